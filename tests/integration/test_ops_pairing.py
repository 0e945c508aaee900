"""Paired ops beyond one key: fanout (one start, many ends), compound keys with
a global variable read by name (sym()), and calls that would block."""
import json
import time

from conftest import FX_PAIRS, Tracer, assert_between, finish_fx_ops, rows, start_fx_ops, totals


def start_fx_pairs(*args):
    return start_fx_ops(*args, binary=FX_PAIRS)


def test_fanout_times_every_end_against_its_start():
    p = start_fx_pairs("fanout", 40, 3, "--hold")
    t = Tracer("watch", "-p", p.pid, "--json", "--op",
               "deliver fxp_publish(arg0) -> fxp_deliver(arg0) fanout by=peer:arg1 "
               "timeout=300ms").wait_tracing()
    p.stdin.write("go\n")
    p.stdin.flush()
    truth = json.loads(p.stdout.readline())
    time.sleep(0.8)                    # past the timeout: every start has expired
    assert t.stop() == 0, t.stderr
    p.stdin.close()
    p.wait()
    s = t.summary()
    got = {r["label"]: r for r in rows(s, "deliver") if r["label"] is not None}
    assert sorted(got) == [1, 2, 3]
    for peer, r in got.items():
        assert r["count"] == truth["answered"] == 39, (peer, r)
        pt = truth["by_peer"][str(peer)]
        for q in ("p50", "p99"):
            assert_between(f"peer {peer} {q}", r["latency_ns"][q], pt["latency_lo"][q],
                           pt["latency_hi"][q])
    assert sum(r["count"] for r in got.values()) == truth["deliveries"] == 117
    # answered starts expire quietly; the one nobody answered is a timeout, on the
    # row of the starts (label null: no end gave it a peer)
    assert sum(r["timeouts"] for r in got.values()) == 0
    (unanswered,) = [r for r in rows(s, "deliver") if r["label"] is None]
    assert unanswered["timeouts"] == 1 and unanswered["count"] == 0
    assert sum(r["inflight"] for r in rows(s, "deliver")) == 0
    tot = totals(s, "deliver")
    assert tot["unmatched"] == 0 and tot["restarts"] == 0
    assert s["events"]["timeouts"] == 1


def test_fanout_is_refused_on_a_one_call_op():
    p = start_fx_pairs("fanout", 2, 1)
    t = Tracer("watch", "-p", p.pid, "--op", "d fxp_publish fanout")
    assert t.wait() == 2
    assert "fanout is for paired ops" in t.stderr
    p.kill()


def slots_run(*ops):
    p = start_fx_pairs("slots", 200, 3)
    t = Tracer("watch", "-p", p.pid, "--json", *[a for o in ops for a in ("--op", o)]
               ).wait_tracing()
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    return truth, t.summary()


def test_one_commit_decoded_by_several_slots_pairs_by_slot_and_lsn():
    # the slot is known to the decoder only through a global variable, as a
    # walsender knows MyReplicationSlot: its name at offset 8 of the struct
    truth, s = slots_run(
        "lag fxp_decode(str(u64(sym(fxp_my_slot))+8), arg0) -> fxp_apply(str(arg0), arg1)",
        "lag_by_id fxp_decode(u64(u64(sym(fxp_my_slot))), arg0) -> "
        "fxp_apply(u8(arg0+4)-48, arg1)",
        "lsn_only fxp_decode(arg0) -> fxp_apply(arg1)")
    for name in ("lag", "lag_by_id"):
        (r,) = rows(s, name)
        assert r["count"] == truth["pairs"] == 600, (name, r)
        assert totals(s, name)["restarts"] == 0 and totals(s, name)["unmatched"] == 0
        assert r["inflight"] == 0 and r["timeouts"] == 0
        for q in ("p50", "p99"):
            assert_between(f"{name} {q}", r["latency_ns"][q], truth["lag"]["latency_lo"][q],
                           truth["lag"]["latency_hi"][q])
    # by LSN alone, each slot's decode restarts the last one's: what the issue saw
    (r,) = rows(s, "lsn_only")
    assert totals(s, "lsn_only")["restarts"] == 400 and r["count"] == 200
    assert totals(s, "lsn_only")["unmatched"] == 400


def test_sym_names_a_variable_the_binary_has():
    p = start_fx_pairs("slots", 2, 2)
    t = Tracer("watch", "-p", p.pid, "--op",
               "x fxp_decode(u64(sym(fxp_no_such_slot)), arg0) -> fxp_apply(arg0, arg1)")
    assert t.wait() == 1
    assert "sym(fxp_no_such_slot): no such global variable in" in t.stderr, t.stderr
    assert len(t.err_lines) == 1
    p.kill()


def test_compound_keys_need_the_same_parts_on_both_sides():
    p = start_fx_pairs("slots", 2, 2)
    t = Tracer("watch", "-p", p.pid, "--op", "x fxp_decode(arg0, arg0) -> fxp_apply(arg1)")
    assert t.wait() == 2
    assert "both keys need the same number of parts" in t.stderr, t.stderr
    p.kill()


def test_would_block_calls_are_neither_errors_nor_work():
    p = start_fx_pairs("block", 3000)
    t = Tracer("watch", "-p", p.pid, "--json", "--op",
               "io fxp_io error=ret<0 value=ret would_block=u32(sym(fxp_last_error))@ret==11"
               ).wait_tracing()
    truth = finish_fx_ops(p)
    assert t.wait() == 0, t.stderr
    (r,) = rows(t.summary(), "io")
    assert r["count"] == truth["calls"] == 3000
    assert r["would_block"] == truth["would_block"] == 1000
    assert r["errors"] == truth["failed"]
    assert r["value"]["sum"] == truth["bytes"]
    # would-block calls add no latency sample either: they did no work
    assert r["latency_ns"]["count"] == truth["calls"] - truth["would_block"]
