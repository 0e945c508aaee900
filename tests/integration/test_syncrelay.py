"""The bundled sample engine, traced by binary path: counts equal its own summaries.
Each test runs a private copy of the binary: other relays on the host are not counted."""
from conftest import ROOT, RELAY, Tracer, labels, op, rows, total, totals, traced_relay_demo


def test_relay_counts_match_every_process_own_summary(private):
    relay = private.copy(RELAY)
    funcs = ["relay_handle_push", "relay_handle_pull", "apply_change", "resolve_conflict",
             "client_push", "client_pull", "client_apply_remote"]
    t = Tracer("lat", "--json", *[f"{relay}:{f}" for f in funcs]).wait_tracing()
    procs = traced_relay_demo(t, relay)
    s = t.summary()
    server = next(x for x in procs if x["role"] == "server")
    clients = [x for x in procs if x["role"] == "client"]
    assert len(clients) == 3
    assert op(s, "relay_handle_push")["count"] == server["push"]
    assert op(s, "relay_handle_pull")["count"] == server["pull"]
    assert op(s, "apply_change")["count"] == server["apply"]
    assert op(s, "resolve_conflict")["count"] == server["conflicts"] > 0
    assert op(s, "client_push")["count"] == sum(c["push"] for c in clients)
    assert op(s, "client_pull")["count"] == sum(c["pull"] for c in clients)
    assert op(s, "client_apply_remote")["count"] == sum(c["apply_remote"] for c in clients)


def test_example_ops_file_counts_match_every_process_own_summary(private):
    """examples/syncrelay.ops (as `make demo` runs it: without -p, its
    `relay=` selector naming the binary, here the private copy): plain
    functions and the USDT contract, against every process's own counts."""
    relay = private.copy(RELAY)
    ops = private.ops(ROOT / "examples" / "syncrelay.ops", {"build/examples/syncrelay": relay})
    t = Tracer("watch", "--json", "--ops", ops).wait_tracing()
    procs = traced_relay_demo(t, relay)
    s = t.summary()
    server = next(x for x in procs if x["role"] == "server")
    clients = [x for x in procs if x["role"] == "client"]
    assert len(clients) == 3

    def usdt(who, key):
        return sum(x["usdt"].get(key, 0) for x in who)

    (push,) = rows(s, "push")
    assert push["count"] == sum(c["push"] for c in clients)
    assert push["errors"] == sum(c["conflicts_seen"] for c in clients) > 0   # lost races
    (pull,) = rows(s, "pull")
    assert pull["count"] == sum(c["pull"] for c in clients) and pull["errors"] == 0
    assert total(s, "apply") == server["apply"]
    assert total(s, "conflict") == server["conflicts"] > 0
    assert labels(s, "pulled") == {c["pid"]: c["apply_remote"] for c in clients}
    # the USDT contract: each op_done paired with its op_start, by op name
    sync = {r["label"]: r for r in rows(s, "sync")}
    assert set(sync) == {"push", "pull", "apply"}
    for name, who in (("push", clients), ("pull", clients), ("apply", [server])):
        assert sync[name]["count"] == usdt(who, f"op_done:{name}") == \
            usdt(who, f"op_start:{name}"), name
        assert sync[name]["errors"] == usdt(who, f"op_done:{name}:error"), name
    assert totals(s, "sync")["unmatched"] == 0
    assert labels(s, "conflicts") == {"key": server["usdt"]["conflict"]}
    conn = {st["pid"]: st for st in s["states"] if st["machine"] == "conn"}
    assert {pid: st["calls"] for pid, st in conn.items()} == \
        {c["pid"]: c["usdt"]["state"] for c in clients}
    assert all(st["current"] == "closed" for st in conn.values())
