"""The public USDT contract (include/synctrace/sdt.h): semaphore-guarded probes
fire only while traced, and `count` sees every one the program fired."""
from conftest import RELAY, Tracer, finish_fx_ops, op, start_fx_ops, traced_relay_demo


def test_contract_probes_fire_only_while_traced_and_are_all_counted():
    alone = finish_fx_ops(start_fx_ops("usdt", 20))
    assert alone["fired"]["op_start"] == 0    # nobody attached: probes skipped

    p = start_fx_ops("usdt", 200)
    t = Tracer("count", "-p", p.pid, "--json", "usdt:synctrace:op_*").wait_tracing()
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    s = t.summary()
    assert truth["fired"]["op_start"] == truth["jobs"] == 200   # semaphore raised by the kernel
    assert op(s, "synctrace:op_start")["count"] == truth["fired"]["op_start"]
    assert op(s, "synctrace:op_done")["count"] == truth["fired"]["op_done"] == 200


def test_relay_contract_counts_match_every_process(private):
    relay = private.copy(RELAY)           # other relays on the host are not counted
    t = Tracer("count", "--json", f"usdt:{relay}:synctrace:*").wait_tracing()
    procs = traced_relay_demo(t, relay)
    s = t.summary()
    fired = {}
    for proc in procs:
        for k, v in proc["usdt"].items():
            kind = k.split(":")[0]
            if not k.endswith(":error"):
                fired[kind] = fired.get(kind, 0) + v
    assert fired["op_start"] > 0 and fired["conflict"] > 0
    assert op(s, "synctrace:op_start")["count"] == fired["op_start"]
    assert op(s, "synctrace:op_done")["count"] == fired["op_done"]
    assert op(s, "synctrace:conflict")["count"] == fired["conflict"]
