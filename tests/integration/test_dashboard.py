"""The watch dashboard as a reader sees it: labels that say what they are,
escaped and told apart; events that stay visible; a frame that fits."""
import fcntl
import json
import os
import pty
import struct
import subprocess
import termios
import time

from conftest import FX_PAIRS, SYNCTRACE, Tracer, finish_fx_ops, read_pty, start_fx_ops


def ops_lines(out, op):
    """The summary's OPERATIONS rows of op."""
    section = out.split("summary of the whole run")[-1].split("\nOPERATIONS\n")[1]
    section = section.split("\n\n")[0]
    return [l for l in section.splitlines()[1:] if l.startswith(f"  {op} ")]


def test_labels_that_read_alike_when_cut_are_told_apart():
    p = start_fx_ops("texts", 6, binary=FX_PAIRS)
    t = Tracer("watch", "-p", p.pid, "--op", "q fxp_query count by=str(arg0)").wait_tracing()
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    lines = ops_lines(t.out, "q")
    assert len(lines) == len(truth["texts"]) == 7, t.out
    names = [l[:38].rstrip() for l in lines]
    assert len(set(names)) == 7, names                 # distinct, though cut alike
    assert all(len(n) <= 38 for n in names)
    # the newline is shown escaped, on its row: no row is broken in two
    (sel,) = [l for l in lines if "SELECT 1;" in l]
    assert "\\n" in sel and sel.split()[-6] == "1", sel
    counts = sorted(int(l[38:].split()[0]) for l in lines)
    assert counts == sorted(truth["texts"].values())


def test_labels_say_what_they_are():
    p = start_fx_ops("fanout", 10, 2, binary=FX_PAIRS)
    t = Tracer("watch", "-p", p.pid, "--op",
               "d fxp_publish(arg0) -> fxp_deliver(arg0) fanout by=peer:arg1",
               "--op", "by_pid fxp_publish count by=pid").wait_tracing()
    finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    assert [l.split("]")[0] + "]" for l in ops_lines(t.out, "d")] == \
        ["  d [peer 1]", "  d [peer 2]", "  d [none]"]   # none: the open starts
    (line,) = ops_lines(t.out, "by_pid")
    assert line.startswith(f"  by_pid [pid {p.pid}]"), line


def test_errors_stay_visible_when_timeouts_flood_the_recent_events():
    # 30 acks are errors (error=arg0>0), then 30 starts time out after them: the
    # last 20 events were once all timeouts
    p = start_fx_ops("open", 60, 30, "--hold")
    t = Tracer("watch", "-p", p.pid, "--json", "--op",
               "rt fxo_submit(arg0) -> fxo_ack(arg0) error=arg0>0 timeout=200ms").wait_tracing()
    p.stdin.write("go\n")
    p.stdin.flush()
    json.loads(p.stdout.readline())
    time.sleep(0.8)
    assert t.stop() == 0, t.stderr
    p.stdin.close()
    p.wait()
    ev = t.summary()["events"]
    assert ev["errors"] == 30 and ev["timeouts"] == 30
    kinds = [e["kind"] for e in ev["recent"]]
    assert kinds.count("error") == 5 and kinds.count("timeout") == 5, kinds
    assert all(e["error_value"] > 0 for e in ev["recent"] if e["kind"] == "error")


def test_usdt_errors_show_what_made_them_errors():
    p = start_fx_ops("usdt", 50)
    t = Tracer("watch", "-p", p.pid, "--op",
               "sync usdt:synctrace:op_start(arg1) -> usdt:synctrace:op_done(arg1) "
               "error=arg2!=0").wait_tracing()
    finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    events = t.out.split("RECENT ERRORS")[-1].split("\nDROPS")[0].splitlines()[1:]
    assert events and all(" arg2=1 " in e for e in events), events
    assert not any(" ret " in e for e in events)      # a USDT probe has no return


def test_a_frame_fits_the_terminal():
    rows_, cols = 24, 120
    p = start_fx_ops("open", 400, 200, "--hold")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows_, cols, 0, 0))
    t = subprocess.Popen([str(SYNCTRACE), "watch", "-p", str(p.pid), "-i", "0.3",
                          "--op", "rt fxo_submit(arg0) -> fxo_ack(arg0) error=arg0>0 "
                          "timeout=100ms", "--op", "s fxo_submit", "--op", "a fxo_ack"],
                         stdout=slave, stderr=subprocess.PIPE, text=True)
    os.close(slave)
    assert t.stderr.readline().startswith("Tracing")
    p.stdin.write("go\n")
    p.stdin.flush()
    p.stdout.readline()
    time.sleep(1.5)
    t.send_signal(2)
    p.stdin.close()
    p.wait()
    assert t.wait(timeout=30) == 0
    out = read_pty(master)
    frames = out.decode().split("\033[H\033[2J")[1:]
    assert len(frames) >= 3
    for f in frames[:-1]:                 # each redrawn frame; the summary follows them
        assert len(f.rstrip("\n").split("\n")) < rows_, f
        assert "RECENT ERRORS" in f
    assert any("error" in f.split("RECENT ERRORS")[1] for f in frames[:-1])
