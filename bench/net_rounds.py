"""The rounds' arithmetic bench/net_cost, bench/net_steady.py and
bench/net_builds share: the rotating order of a round, a run whose failure
becomes a problem line, medians, quartiles and geometric means of ratios."""
import math
import statistics
import subprocess


def rotated(items, r):
    """items in round r's order: each is first once every len(items) rounds."""
    k = r % len(items)
    return items[k:] + items[:k]


def guarded(fn, *a):
    """fn(*a), or {"problems": [the first line of what it raised]}."""
    try:
        return fn(*a)
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as e:
        return {"problems": [str(e).splitlines()[0][:200]]}


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def quartiles(xs):
    if len(xs) < 4:
        return min(xs), max(xs)
    q = statistics.quantiles(xs, n=4)
    return q[0], q[2]


def geo_se(xs):
    """The geometric mean of ratios and its standard error (as a ratio's spread)."""
    logs = [math.log(x) for x in xs]
    se = statistics.stdev(logs) / math.sqrt(len(logs)) if len(logs) > 1 else float("nan")
    return math.exp(statistics.mean(logs)), se
