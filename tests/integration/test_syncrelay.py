"""The bundled sample engine, traced by binary path: counts equal its own summaries.
Each test runs a private copy of the binary: other relays on the host are not counted."""
from conftest import RELAY, Tracer, op, traced_relay_demo


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
