"""profiles/postgres-logical.ops against real PostgreSQL 15 logical replication:
two clusters on 127.0.0.1 (tests/integration/pgharness.py), a publication of
a preloaded table, a subscription made while synctrace runs (so the initial
copy is traced), then a deterministic pgbench workload. Counts must be exact,
against the workload's own arithmetic and the servers' statistics views.

Without -p the profile traces every process running the postgres it names:
those tests run their clusters from a private copy of the installation
(pgharness.PgTree) and trace it with a copy of the profile whose `pg=` path
names that copy, so other clusters on the host are not counted. The test
with -p runs the system's server and the shipped profile itself."""
import threading

import pytest

from conftest import (ROOT, Tracer, assert_maps_private, assert_no_drops, labels, rows, total,
                      totals, write_private_ops)
from pgharness import (PGOUTPUT, POSTGRES, TABLE, LogicalPair, PgError, PgTree, bench_script,
                       pg_unavailable_reason, pgbench_failed, pgbench_processed, require_pg,
                       run_bench, wait_until)

PROFILE = ROOT / "profiles" / "postgres-logical.ops"
SHIPPED = ["--profile", "postgres-logical"]

N = 3000              # rows preloaded on the publisher: the initial copy
CLIENTS, PER_CLIENT = 2, 100
T = CLIENTS * PER_CLIENT
I, U, D = 3, 2, 1     # rows inserted, updated, deleted by each transaction
assert N >= T * (U + D)

# Commits of the replication workers' own catalog transactions also call
# replorigin_session_advance, the end of sub_txn and lag, with remote_commit
# 0 (the sync worker's FINISHEDCOPY and SYNCDONE updates, the apply worker's
# READY update): the profile's when=arg0!=0 leaves them out, so every end is
# a transaction's and nothing is unmatched.


@pytest.fixture(scope="module")
def tree():
    """A private PostgreSQL installation, and the profile naming its server."""
    require_pg()
    with PgTree() as t:
        t.profile = write_private_ops(PROFILE, t.base / PROFILE.name, {str(POSTGRES): t.postgres})
        yield t


@pytest.fixture(scope="module")
def pair(tree):
    """Two clusters of the private installation."""
    with LogicalPair(tree=tree) as lp:
        for c in (lp.pub, lp.sub):
            assert_maps_private(c.postmaster_pid, tree.postgres, POSTGRES)
        yield lp


@pytest.fixture(scope="module")
def system_pair():
    """Two clusters of the system's installation (traced with -p only)."""
    require_pg()
    with LogicalPair() as lp:
        yield lp


def states(s, machine):
    return {st["pid"]: st for st in s["states"] if st["machine"] == machine}


def transitions(st):
    return {(t["from"], t["to"]): t["count"] for t in st["transitions"]}


def replicate(lp, db, tracer_args, tmp_path, tree=None):
    """The whole life of one subscription, traced from before it exists
    (tracer_args: which processes, which profile). With tree (the clusters
    run from it), checks that the walsender maps its pgoutput.so.
    Returns (truth, summary, tracer)."""
    lp.setup_db(db, N)
    pub_oid, pub_file = map(int, lp.pub.sql(
        f"SELECT oid, relfilenode FROM pg_class WHERE relname = '{TABLE}'", db)[0])
    sub_oid = int(lp.sub.one(f"SELECT '{TABLE}'::regclass::oid", db))
    assert pub_oid != sub_oid and pub_oid != pub_file

    script = tmp_path / "txn.sql"
    script.write_text(bench_script(I, U, D))
    t = Tracer("watch", *tracer_args, "--json").wait_tracing()
    try:
        lp.subscribe(db)
        lp.wait_ready(db)
        out = run_bench(lp.pub, db, script, CLIENTS, PER_CLIENT, N)
        lp.wait_caught_up(db)
        want = [str(N + T * I), str(T * U), str(T * D)]
        wait_until("subscriber table statistics", lambda: lp.sub.sql(
            f"SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
            f"WHERE relname = '{TABLE}'", db) == [want], timeout=15)
        (walsender,) = lp.pub.sql(
            f"SELECT pid, state FROM pg_stat_replication WHERE application_name = '{db}_sub'",
            db)
        if tree:
            assert_maps_private(int(walsender[0]), tree.pgoutput, PGOUTPUT)
        (slot,) = lp.pub.sql(
            f"SELECT total_txns, spill_txns, stream_txns FROM pg_stat_replication_slots "
            f"WHERE slot_name = '{db}_sub'", db)
        (apply_worker,) = lp.sub.sql(
            "SELECT pid FROM pg_stat_subscription WHERE relid IS NULL", db)
        relstates = lp.sub.sql("SELECT srsubstate FROM pg_subscription_rel", db)
        (ins, upd, dele) = map(int, lp.sub.sql(
            f"SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
            f"WHERE relname = '{TABLE}'", db)[0])
        (rows_after,) = lp.sub.sql(f"SELECT count(*) FROM {TABLE}", db)[0]
    finally:
        rc = t.stop()
        try:
            lp.unsubscribe(db)          # drops its slot on the publisher too
        except PgError as e:            # the clusters go at the end of the module anyway
            print("DROP SUBSCRIPTION failed:", e)
    assert rc == 0, t.stderr
    truth = {
        "pub_oid": pub_oid, "sub_oid": sub_oid,
        "bench_processed": pgbench_processed(out), "bench_failed": pgbench_failed(out),
        "walsender_pid": int(walsender[0]), "walsender_state": walsender[1],
        "slot_total_txns": int(slot[0]), "slot_spill_txns": int(slot[1]),
        "slot_stream_txns": int(slot[2]),
        "apply_pid": int(apply_worker[0]), "relstates": relstates,
        "sub_n_tup_ins": ins, "sub_n_tup_upd": upd, "sub_n_tup_del": dele,
        "sub_rows": int(rows_after),
    }
    print("truth:", truth)
    print("synctrace:", t.summary())
    return truth, t.summary(), t


def test_profile_resolves():
    """Every probe of the profile resolves in the installed postgres binary."""
    if pg_unavailable_reason():
        pytest.skip(pg_unavailable_reason())
    t = Tracer("watch", *SHIPPED, "-d", "0.1").wait_tracing()
    assert t.wait() == 0, t.stderr
    assert "Tracing 16 ops, 2 states" in t.stderr, t.stderr


def test_both_sides_every_process_exact(tree, pair, tmp_path):
    """No -p: every postgres process of both clusters, including the
    walsenders and the apply and sync workers started after synctrace (and no
    other cluster's: they run the system's postgres, not this copy)."""
    truth, s, t = replicate(pair, "everyone", ["--ops", tree.profile], tmp_path, tree)
    assert_no_drops(s)
    assert truth["bench_processed"] == T and truth["bench_failed"] == 0
    # The harness's own transactions decoded by the slot: none (autovacuum is
    # off, the sync worker's COPY is read-only). The slot's own count says so.
    assert truth["slot_total_txns"] == T
    assert truth["slot_spill_txns"] == 0 and truth["slot_stream_txns"] == 0
    assert truth["sub_n_tup_ins"] == N + T * I          # the copy's rows, then the inserts
    assert truth["sub_n_tup_upd"] == T * U and truth["sub_n_tup_del"] == T * D
    assert truth["sub_rows"] == N + T * (I - D)

    pub, sub = truth["pub_oid"], truth["sub_oid"]
    # publisher
    assert total(s, "pub_txn") == truth["slot_total_txns"] == T
    # per slot: the names read through MyReplicationSlot and MySubscription
    for name in ("pub_txn", "sub_txn", "lag", "hop"):
        assert labels(s, name) == {"everyone_sub": T}, name
    assert labels(s, "pub_insert") == {pub: T * I}
    assert labels(s, "pub_update") == {pub: T * U}
    assert labels(s, "pub_delete") == {pub: T * D}
    # BEGIN, COMMIT and the row changes of each transaction, and the table's
    # RELATION message once, before its first change.
    assert total(s, "pub_msgs") == T * (2 + I + U + D) + 1
    assert total(s, "pub_feedback") > 0
    # subscriber: labels are the publisher's OID of the table, not the subscriber's
    assert labels(s, "sub_insert") == {pub: T * I} and sub not in labels(s, "sub_insert")
    assert labels(s, "sub_update") == {pub: T * U} == {pub: truth["sub_n_tup_upd"]}
    assert labels(s, "sub_delete") == {pub: T * D} == {pub: truth["sub_n_tup_del"]}
    assert total(s, "sub_insert") == truth["sub_n_tup_ins"] - N

    (sub_txn,) = rows(s, "sub_txn")
    assert sub_txn["count"] == T
    assert sub_txn["inflight"] == 0 and sub_txn["timeouts"] == 0
    assert totals(s, "sub_txn")["restarts"] == 0
    assert totals(s, "sub_txn")["unmatched"] == 0

    # the initial copy
    (backfill,) = rows(s, "backfill")
    assert backfill["count"] == 1 and backfill["latency_ns"]["p50"] > 0
    (rows_copied,) = rows(s, "backfill_rows")
    assert rows_copied["count"] == 1 and rows_copied["value"]["sum"] == N

    # across the servers, by LSN
    (lag,) = rows(s, "lag")
    assert lag["count"] == T and lag["inflight"] == 0 and lag["timeouts"] == 0
    assert totals(s, "lag")["restarts"] == 0
    assert totals(s, "lag")["unmatched"] == 0          # every transaction's lag paired
    (hop,) = rows(s, "hop")
    assert hop["count"] == T and hop["inflight"] == 0 and hop["timeouts"] == 0
    assert totals(s, "hop")["unmatched"] == 0 and totals(s, "hop")["restarts"] == 0
    # Each transaction's lag spans its hop and its apply (sub_txn): so do the
    # distributions, if every pair was made with the right partner.
    for p in ("p50", "p99", "max"):
        assert lag["latency_ns"][p] >= hop["latency_ns"][p], p
        assert lag["latency_ns"][p] >= sub_txn["latency_ns"][p], p

    # state machines
    assert truth["walsender_state"] == "streaming"
    ws = states(s, "walsender")
    main = ws[truth["walsender_pid"]]
    assert main["current"] == "streaming"
    assert transitions(main) == {("catchup", "streaming"): 1}
    # The sync worker's walsender: from catchup back to startup when the
    # worker has reached the apply worker's LSN and ends streaming to drop its
    # slot; it may or may not have been caught up (streaming) in between.
    (sync_ws,) = [st for pid, st in ws.items() if pid != truth["walsender_pid"]]
    assert sync_ws["current"] == "startup"
    assert sync_ws["recent"][0]["from"] == "catchup"
    assert set(transitions(sync_ws)) <= {("catchup", "streaming"), ("streaming", "startup"),
                                         ("catchup", "startup")}

    assert truth["relstates"] == [["r"]]
    rs = states(s, "relsync")
    assert rs[truth["apply_pid"]]["current"] == "ready"
    (sync_rs,) = [st for pid, st in rs.items() if pid != truth["apply_pid"]]
    assert sync_rs["current"] == "syncdone"
    assert [(r["from"], r["to"]) for r in sync_rs["recent"]] == \
        [("datasync", "finishedcopy"), ("finishedcopy", "syncdone")]


def test_publisher_postmaster_and_its_children_only(system_pair, tmp_path):
    """-p the publisher's postmaster, the shipped profile on the system's
    server: the profile's `children` line follows its walsenders, forked
    after synctrace started; nothing of the subscriber, nor of any other
    cluster running the same postgres."""
    pair = system_pair
    truth, s, t = replicate(pair, "pubonly", ["-p", pair.pub.postmaster_pid, *SHIPPED],
                            tmp_path)
    assert "descendants" in t.stderr, t.stderr
    assert_no_drops(s)
    pub = truth["pub_oid"]
    assert truth["slot_total_txns"] == T
    assert total(s, "pub_txn") == T
    assert labels(s, "pub_insert") == {pub: T * I}
    assert labels(s, "pub_update") == {pub: T * U}
    assert labels(s, "pub_delete") == {pub: T * D}
    assert total(s, "pub_msgs") == T * (2 + I + U + D) + 1
    assert total(s, "pub_feedback") > 0
    for name in ("sub_txn", "sub_insert", "sub_update", "sub_delete", "backfill",
                 "backfill_rows"):
        assert total(s, name) == 0, name
    assert totals(s, "sub_txn")["unmatched"] == 0
    # the starts are the publisher's, their ends were on the subscriber
    for name in ("lag", "hop"):
        (r,) = rows(s, name)
        assert r["count"] == 0 and r["inflight"] == T, name
        assert totals(s, name)["unmatched"] == 0, name
    ws = states(s, "walsender")
    assert transitions(ws[truth["walsender_pid"]]) == {("catchup", "streaming"): 1}
    assert states(s, "relsync") == {}


def test_labels_of_a_table_with_an_oid_past_2_31(tree, tmp_path):
    """Both sides label rows with the publisher's OID of the table, also when
    the OID has its top bit set (a cluster that has used 2^31 OIDs): the
    publisher's label is read from memory (u32), the subscriber's is
    logicalrep_read_insert's uint32 return value, cast with (u32): synctrace
    sign-extends a 32-bit ret whose top bit is set, as it would an int."""
    big = 3_000_000_000
    with LogicalPair(tree=tree) as lp:
        for c in (lp.pub, lp.sub):
            assert_maps_private(c.postmaster_pid, tree.postgres, POSTGRES)
        lp.pub.set_next_oid(big)
        lp.setup_db("bigoid", 100)
        oid = int(lp.pub.one(f"SELECT '{TABLE}'::regclass::oid", "bigoid"))
        assert oid >= 2 ** 31
        script = tmp_path / "txn.sql"
        script.write_text(bench_script(1, 1, 1))
        t = Tracer("watch", "--ops", tree.profile, "--json").wait_tracing()
        try:
            lp.subscribe("bigoid")
            lp.wait_ready("bigoid")
            run_bench(lp.pub, "bigoid", script, 1, 10, 100)
            lp.wait_caught_up("bigoid")
        finally:
            assert t.stop() == 0, t.stderr
        s = t.summary()
        for kind in ("insert", "update", "delete"):
            assert labels(s, f"pub_{kind}") == {oid: 10}
        for kind in ("insert", "update", "delete"):
            assert labels(s, f"sub_{kind}") == {oid: 10}, labels(s, f"sub_{kind}")


# -- one publication, two subscriptions ----------------------------------------------

SLOTS = ("suba", "subb")   # subscription names = slot names; told apart by their 4th byte
BULK = "st_bulk"           # the 50k-row transaction's table, then TRUNCATEd
BULK_ROWS = 50_000
P1, P2 = 100, 60           # transactions per client before and across the restart
T1, T2 = CLIENTS * P1, CLIENTS * P2
UNPUBLISHED = 5            # transactions on a table no publication has
TXNS = T1 + 1 + 1 + T2     # sent: + the 50k-row INSERT + the TRUNCATE
DECODED = TXNS + 1 + UNPUBLISHED   # + the unpublished table's CREATE and INSERTs
assert N >= (T1 + T2) * (U + D)

# The per-transaction ops: the profile's own lag, hop and sub_txn probes and
# keys, one copy per subscription, labelled by the transaction's commit LSN
# (the same number on each side: the final_lsn of the ReorderBufferTXN that
# logicalrep_write_begin sends, logicalrep_write_commit's commit_lsn,
# LogicalRepBeginData.final_lsn that
# logicalrep_read_begin fills). Only the subscription's own ends are kept
# (when= on the 4th byte of MySubscription->slotname): so each row is one
# transaction of one subscription. Their when= replaces the profile's
# arg0!=0, so the workers' bookkeeping commits are unmatched ends here:
# unmatched=ignore. The other slot's starts stay open in these copies (never
# asserted on).
#
# lag and sub_txn end at the same hit of replorigin_session_advance, each op
# reading the clock in its own program: the kernel runs the programs of one
# probe newest first, so sub_txn_X, declared after lag_X, reads it first and
# its end is never after lag_X's. (The other way round, a preemption between
# the two programs could make a fast transaction's lag look shorter than its
# apply.) lag >= hop needs no such care: hop's ends are earlier calls of the
# same threads. rel_msgs counts the RELATION messages, the one part of
# pub_msgs the workload does not fix. The file comes after the profile on
# the command line and uses its `pg` selector.
LSN_LABEL = {"lag": "u64(arg1+32)", "hop": "arg2", "sub_txn": "u64(arg1)@ret"}


def split_outside_parens(line):
    words, depth, cur = [], 0, ""
    for ch in line:
        if ch.isspace() and not depth:
            if cur:
                words.append(cur)
            cur = ""
            continue
        depth += (ch == "(") - (ch == ")")
        cur += ch
    return words + ([cur] if cur else [])


def per_transaction_ops(profile_text):
    """The test's extra ops (see LSN_LABEL), from the profile's op lines."""
    lines = {}
    for line in profile_text.splitlines():
        w = split_outside_parens(line.partition("#")[0])
        if len(w) >= 5 and w[0] == "op" and w[1] in LSN_LABEL and w[3] == "->":
            lines[w[1]] = (w[2], w[4])
    assert set(lines) == set(LSN_LABEL), lines
    out = []
    for slot in SLOTS:
        byte = ord(slot[3])
        for name in LSN_LABEL:
            start, end = lines[name]
            out.append(f"op {name}_{slot} {start} -> {end} by=lsn:{LSN_LABEL[name]} "
                       f"when=u8(u64(u64(sym(MySubscription))+48)+3)=={byte} "
                       f"unmatched=ignore")
    out.append("op rel_msgs pg:logicalrep_write_rel count")
    return "\n".join(out) + "\n"


def sub_stats(sub, db, table):
    return [int(x) for x in sub.sql(
        f"SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables "
        f"WHERE relname = '{table}'", db)[0]]


@pytest.fixture(scope="module")
def fanout(tree):
    """A publisher and two subscriber clusters of the private installation."""
    with LogicalPair(tree=tree, subscribers=2) as lp:
        for c in (lp.pub, *lp.subs):
            assert_maps_private(c.postmaster_pid, tree.postgres, POSTGRES)
        yield lp


def test_two_subscriptions_per_slot(tree, fanout, tmp_path):
    """One publication, two subscriptions (two subscriber clusters, a slot and
    a walsender each), so every commit is decoded, sent and applied twice,
    with the same LSNs. The table is REPLICA IDENTITY FULL (updates and
    deletes carry the old row). Workload: pgbench (T1 transactions), one
    50k-row INSERT, a TRUNCATE, then the second subscriber's cluster is
    stopped (fast), pgbench runs again (T2, rate-limited) and the cluster is
    started while it runs: the new apply worker and walsender catch up on
    the backlog while traffic flows.

    The stop is made with the subscriber caught up and its walsender gone,
    so no transaction is in flight at that moment and none is decoded twice:
    each slot's pg_stat_replication_slots.total_txns says so, and then 0
    restarts, 0 unmatched and nothing in flight at the end is the exact
    truth. (Keyed by LSN alone, as the profile was before, the two
    walsenders' starts of one commit collide: this test then sees hundreds
    of restarts and unmatched ends, and lag < sub_txn for some transactions.)

    Per transaction: a test-only copy of lag, hop and sub_txn for each
    subscription, labelled by the commit LSN (see LSN_LABEL), makes each row
    one transaction of one subscription; its latency sum is that one pair's
    time. lag >= hop and lag >= sub_txn are checked row by row: a pair made
    with another slot's start, or with a later decode, breaks it."""
    lp, db = fanout, "two"
    subb = lp.subs[1]
    tables = (TABLE, BULK)
    lp.setup_db(db, N, tables)
    lp.pub.sql(f"ALTER TABLE {TABLE} REPLICA IDENTITY FULL", db)
    oid = {t: int(lp.pub.one(f"SELECT '{t}'::regclass::oid", db)) for t in tables}
    for sub in lp.subs:
        assert not set(oid.values()) & {int(sub.one(f"SELECT '{t}'::regclass::oid", db))
                                         for t in tables}
    ops = tmp_path / "pertxn.ops"
    ops.write_text(per_transaction_ops(tree.profile.read_text()))
    script = tmp_path / "txn.sql"
    script.write_text(bench_script(I, U, D))
    bench = lambda per_client, first: run_bench(lp.pub, db, script, CLIENTS, per_client, N,
                                               *(["-R", "60"] if first else []),
                                               first=first, tpc=P1 + P2)

    t = Tracer("watch", "--ops", tree.profile, "--ops", ops, "--max-labels", 1000,
               "--json").wait_tracing()
    try:
        for sub, name in zip(lp.subs, SLOTS):
            lp.subscribe(db, sub, name)
            lp.wait_ready(db, sub=sub, tables=len(tables))
        outs = [bench(P1, 0)]
        lp.pub.sql(f"INSERT INTO {BULK} SELECT g, 0, 'bulk' "
                   f"FROM generate_series(1, {BULK_ROWS}) g", db)
        lp.pub.sql(f"TRUNCATE {BULK}", db)
        # transactions that change no published table: pgoutput sends them
        # nothing, so they must start no lag (they once timed out, falsely)
        lp.pub.sql("CREATE TABLE unpublished (id int)", db)
        for i in range(UNPUBLISHED):
            lp.pub.sql(f"INSERT INTO unpublished VALUES ({i})", db)
        for sub, name in zip(lp.subs, SLOTS):
            lp.wait_caught_up(db, sub=sub, name=name, tables=tables, timeout=60)

        subb.stop_server()
        wait_until("subb's walsender gone", lambda: lp.pub.one(
            "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'subb'",
            db) == "0")
        runner = threading.Thread(target=lambda: outs.append(bench(P2, P1)))
        runner.start()
        subb.start_server()
        runner.join()
        for sub, name in zip(lp.subs, SLOTS):
            lp.wait_caught_up(db, sub=sub, name=name, tables=tables, timeout=60)
        want_rows = [N + (T1 + T2) * I, (T1 + T2) * U, (T1 + T2) * D]
        for sub in lp.subs:
            wait_until("subscriber table statistics", lambda: sub_stats(sub, db, TABLE) ==
                       want_rows and sub_stats(sub, db, BULK)[0] == BULK_ROWS, timeout=15)
        slots = {r[0]: list(map(int, r[1:])) for r in lp.pub.sql(
            "SELECT slot_name, total_txns, stream_txns FROM pg_stat_replication_slots", db)}
        walsenders = {r[1]: int(r[0]) for r in lp.pub.sql(
            "SELECT pid, application_name FROM pg_stat_replication", db)}
        rows_after = [int(sub.one(f"SELECT count(*) FROM {TABLE}", db)) for sub in lp.subs]
        bulk_after = [int(sub.one(f"SELECT count(*) FROM {BULK}", db)) for sub in lp.subs]
    finally:
        rc = t.stop()
        for sub, name in zip(lp.subs, SLOTS):
            try:
                lp.unsubscribe(db, sub, name)
            except PgError as e:
                print("DROP SUBSCRIPTION failed:", e)
    assert rc == 0, t.stderr
    s = t.summary()
    print("slots:", slots)
    print("synctrace:", s)
    assert [pgbench_processed(o) for o in outs] == [T1, T2]
    assert [pgbench_failed(o) for o in outs] == [0, 0]
    assert rows_after == [N + (T1 + T2) * (I - D)] * 2 and bulk_after == [0, 0]
    # Each slot decoded each transaction once: nothing decoded twice across
    # the restart, nothing streamed, nothing else written on the publisher.
    assert slots == {name: [DECODED, 0] for name in SLOTS}
    assert_no_drops(s)

    # lag and hop: every start answered by its own subscription, once
    for name in ("lag", "hop"):
        tot = totals(s, name)
        assert (tot["restarts"], tot["unmatched"]) == (0, 0), (name, tot)
        assert [(r["inflight"], r["timeouts"]) for r in rows(s, name)] == [(0, 0)] * 2, name
        assert labels(s, name) == {n: TXNS for n in SLOTS}, name
    assert labels(s, "pub_txn") == {n: slots[n][0] for n in SLOTS}
    assert labels(s, "sub_txn") == {n: TXNS for n in SLOTS}
    assert totals(s, "sub_txn")["restarts"] == 0 and totals(s, "sub_txn")["unmatched"] == 0
    assert [r["inflight"] for r in rows(s, "sub_txn")] == [0, 0]

    # rows, both sides, by the publisher's OIDs; TRUNCATE once per subscription
    rows_, bulk = oid[TABLE], oid[BULK]
    for side in ("pub", "sub"):
        assert labels(s, f"{side}_insert") == {rows_: 2 * (T1 + T2) * I, bulk: 2 * BULK_ROWS}
        assert labels(s, f"{side}_update") == {rows_: 2 * (T1 + T2) * U}
        assert labels(s, f"{side}_delete") == {rows_: 2 * (T1 + T2) * D}
        assert labels(s, f"{side}_truncate") == {bulk: 2}, side
        (tr,) = rows(s, f"{side}_truncate")
        assert tr["value"]["sum"] == 2, side          # one table in each message
    assert total(s, "sub_insert") == 2 * (want_rows[0] - N + BULK_ROWS)
    (copies,) = rows(s, "backfill_rows")
    assert total(s, "backfill") == 4 and copies["count"] == 4
    assert copies["value"]["sum"] == 2 * N         # st_bulk was empty when copied
    # Per slot: BEGIN and COMMIT of each transaction, each row, the TRUNCATE;
    # and the RELATION messages: each walsender's first of each table it
    # sends (suba's and subb's first: 2 each, subb's second: st_rows).
    per_slot = TXNS * 2 + (T1 + T2) * (I + U + D) + BULK_ROWS + 1
    assert total(s, "rel_msgs") >= 5
    assert total(s, "pub_msgs") == 2 * per_slot + total(s, "rel_msgs")
    ws = states(s, "walsender")
    assert sorted(walsenders) == list(SLOTS)
    for name in SLOTS:
        assert ws[walsenders[name]]["current"] == "streaming", name
        assert transitions(ws[walsenders[name]]) == {("catchup", "streaming"): 1}, name

    # per transaction, per subscription
    for slot in SLOTS:
        per = {name: {r["label"]: r for r in rows(s, f"{name}_{slot}") if r["count"]}
               for name in LSN_LABEL}
        lsns = set(per["lag"])
        assert len(lsns) == TXNS, slot
        for name, by_lsn in per.items():
            assert set(by_lsn) == lsns, (slot, name)
            assert {r["count"] for r in by_lsn.values()} == {1}, (slot, name)
        for lsn in lsns:
            lag = per["lag"][lsn]["latency_ns"]["sum"]
            for name in ("hop", "sub_txn"):
                other = per[name][lsn]["latency_ns"]["sum"]
                assert lag >= other, f"{slot} lsn {lsn:#x}: lag {lag} ns < {name} {other} ns"
        slowest = max(lsns, key=lambda l: per["sub_txn"][l]["latency_ns"]["sum"])
        print(slot, "slowest apply (the 50k rows):", {n: per[n][slowest]["latency_ns"]["sum"]
                                                     for n in LSN_LABEL})
