"""The public USDT contract (include/synctrace/sdt.h): semaphore-guarded probes
fire only while traced, and `count` sees every one the program fired."""
import json
import subprocess

from conftest import BUILD, Tracer, finish_fx_ops, free_port, op, start_fx_ops

RELAY = (BUILD / "examples" / "syncrelay").resolve()


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


def test_relay_contract_counts_match_every_process():
    t = Tracer("count", "--json", f"usdt:{RELAY}:synctrace:*").wait_tracing()
    p = subprocess.run([str(RELAY), "demo", "--port", str(free_port()), "--clients", "3",
                        "--seconds", "2"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert t.stop() == 0, t.stderr
    s = t.summary()
    procs = [json.loads(l) for l in p.stderr.splitlines() if l.startswith("{")]
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
