/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/net_pg.h (its second pass, after struct net_conn): what a
 * PostgreSQL message counts. The exchanges in flight (a FIFO of starts
 * that ReadyForQuery pops), the labels read from a captured message head,
 * and the pg_query, pg_error and pg_notify rows.
 */
#ifndef SYNCTRACE_NET_PG_ROWS_H
#define SYNCTRACE_NET_PG_ROWS_H

/* --- exchanges: a fifo of starts, popped by ReadyForQuery ------------------- */

static __always_inline void pg_push(struct pg_conn *pg, __u64 ts)
{
	if (pg->fifo_over || pg->fifo_n >= PG_FIFO) {
		/* keep the order: every later exchange waits behind this one */
		pg->fifo_over++;
		net_drop(NET_DROP_PIPELINE_FULL);
		return;
	}
	pg->fifo[(pg->fifo_head + pg->fifo_n) & (PG_FIFO - 1)] = ts;
	pg->fifo_n++;
}

static __always_inline void pg_pop(struct pg_conn *pg)
{
	if (pg->fifo_n) {
		pg->fifo_head = (pg->fifo_head + 1) & (PG_FIFO - 1);
		pg->fifo_n--;
	} else if (pg->fifo_over) {
		pg->fifo_over--;
	}
}

/* The start of the exchange the backend answers now; <= PG_START_QUIET: not counted. */
static __always_inline __u64 pg_start(const struct pg_conn *pg)
{
	if (pg->fifo_n)
		return pg->fifo[pg->fifo_head & (PG_FIFO - 1)];
	if (pg->fifo_over)
		return 0;
	return pg->group_ts;	/* results asked for by Flush, before the Sync */
}

static __always_inline void pg_forget_exchanges(struct pg_conn *pg)
{
	pg->fifo_n = 0;
	pg->fifo_over = 0;
	pg->group_ts = 0;
}

/* --- rows ------------------------------------------------------------------- */

/* A row key for kind and side, op text by kind; the label is filled by the caller. */
static __always_inline void pg_key(struct net_row_key *k, __u32 kind, const struct pg_conn *pg)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->kind = kind;
	k->side = pg->side;
	switch (kind) {
	case NET_KIND_PG_QUERY:
		__builtin_memcpy(k->op, "pg_query", 9);
		break;
	case NET_KIND_PG_ERROR:
		__builtin_memcpy(k->op, "pg_error", 9);
		break;
	default:
		__builtin_memcpy(k->op, "pg_notify", 10);
		break;
	}
}

/*
 * The text scans and the row functions are global BPF functions: the
 * verifier checks each once, from its argument types, where a static one
 * is checked again in every state that reaches it, each position a scan
 * stopped at a path of its own (docs/OPS-KERNEL.md). Their pointer
 * arguments may be NULL to the verifier: each checks.
 */

/*
 * The label from cap[from..]: up to a NUL, or also a space (word), at most
 * NET_LABEL_MAX - 1 bytes, as the peer sent them (outputs escape them). A
 * cut does not split a UTF-8 character (labels reach JSON).
 */
__noinline int pg_label(struct net_row_key *k, const struct pg_conn *pg, __u32 from, int word)
{
	__u32 i, n, end;
	char ch;

	if (!k || !pg || from >= PG_CAP)
		return 0;
	end = pg->cap_have;
	/* no branch stores a different value: the verifier's paths stay few */
	for (i = 0; i < NET_LABEL_MAX - 1; i++) {
		if (from + i >= end || from + i >= PG_CAP)
			break;
		ch = pg->cap[(from + i) & (PG_CAP - 1)];
		if (!ch || (word && ch == ' '))
			break;
		k->label[i] = ch;
	}
	n = i;
	if (n == NET_LABEL_MAX - 1 && from + n < end && from + n < PG_CAP &&
	    ((__u8)pg->cap[(from + n) & (PG_CAP - 1)] & 0xc0) == 0x80) {
		/* cut inside a character: drop its first bytes */
		for (i = 0; i < 4 && n; i++) {
			ch = k->label[(n - 1) & (NET_LABEL_MAX - 1)];
			k->label[(n - 1) & (NET_LABEL_MAX - 1)] = 0;
			n--;
			if (((__u8)ch & 0xc0) != 0x80)
				break;
		}
	}
	if (!n)
		__builtin_memcpy(k->label, "unknown", 8);
	return 0;
}

/* The tag's last word as a row count ("INSERT 0 5": 5), 0 when it is no number. */
__noinline __u64 pg_tag_rows(const struct pg_conn *pg)
{
	__u64 rows = 0;
	__u32 i;
	int digits = 0;

	if (!pg)
		return 0;
	for (i = 0; i < PG_CAP; i++) {
		char ch = pg->cap[i];

		if (i >= pg->cap_have || !ch)
			break;
		if (ch == ' ') {
			rows = 0;
			digits = 1;
		} else if (digits && ch >= '0' && ch <= '9') {
			rows = rows * 10 + (ch - '0');
		} else {
			rows = 0;
			digits = 0;
		}
	}
	return digits ? rows : 0;
}

/* One pg_query row: a statement ended (label in k), with its exchange's latency. */
static __always_inline void pg_count_query(struct net_row_key *k, __u64 start, __u64 ts,
					    __u64 rows, int error)
{
	struct net_row_slot *s = net_row(k);
	struct net_counters *c = s ? net_counts_of(s) : NULL;

	if (!c)
		return;
	c->count++;
	c->rows += rows;
	if (error)
		c->errors++;
	net_latency(c, s, k, ts > start ? ts - start : 0);
}

/* CommandComplete (tag), EmptyQueryResponse (no tag). */
__noinline int pg_statement(struct pg_conn *pg, __u64 ts, int empty)
{
	struct net_row_key k;
	__u64 start;

	if (!pg)
		return 0;
	start = pg_start(pg);
	if (start <= PG_START_QUIET)
		return 0;	/* its start was not seen (or is the startup's) */
	pg_key(&k, NET_KIND_PG_QUERY, pg);
	if (empty)
		__builtin_memcpy(k.label, "EMPTY", 6);
	else
		pg_label(&k, pg, 0, 1);
	pg_count_query(&k, start, ts, empty ? 0 : pg_tag_rows(pg), 0);
	return 0;
}

/* Where the value of field 'C' (SQLSTATE) starts in cap, 0 if not there. */
__noinline int pg_sqlstate_at(const struct pg_conn *pg)
{
	__u32 i, field = 1;

	if (!pg)
		return 0;
	/* fields: a type byte, a NUL-terminated value; PostgreSQL sends S, V, C first */
	for (i = 0; i < PG_CAP - 6; i++) {
		if (i >= pg->cap_have)
			break;
		if (field) {
			if (!pg->cap[i])
				break;
			if (pg->cap[i] == 'C')
				return i + 5 < pg->cap_have ? i + 1 : 0;
			field = 0;
		} else if (!pg->cap[i]) {
			field = 1;
		}
	}
	return 0;
}

/*
 * ErrorResponse: a pg_error row by SQLSTATE (field 'C'), and, when it ends
 * a statement of an exchange seen from its start, a pg_query row "ERROR"
 * (the statement's tag never comes).
 */
__noinline int pg_error(struct pg_conn *pg, __u64 ts)
{
	struct net_row_key k;
	struct net_row_slot *s;
	struct net_counters *c;
	__u32 i, at, bad = 0;
	__u64 start;

	if (!pg)
		return 0;
	start = pg_start(pg);
	at = pg_sqlstate_at(pg);
	pg_key(&k, NET_KIND_PG_ERROR, pg);
	for (i = 0; i < 5; i++) {
		char ch = pg->cap[(at + i) & (PG_CAP - 1)];

		bad |= !((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z'));
		k.label[i] = ch;
	}
	if (!at || bad) {
		__builtin_memset(k.label, 0, sizeof(k.label));
		__builtin_memcpy(k.label, "unknown", 8);
	}
	s = net_row(&k);
	c = s ? net_counts_of(s) : NULL;
	if (c)
		c->count++;	/* counted only: the histograms are sized for pg_query's */
	if (start <= PG_START_QUIET)
		return 0;
	pg_key(&k, NET_KIND_PG_QUERY, pg);
	__builtin_memcpy(k.label, "ERROR", 6);
	pg_count_query(&k, start, ts, 0, 1);
	return 0;
}

/* NotificationResponse: int32 pid, channel, payload. */
__noinline int pg_notify(struct pg_conn *pg)
{
	struct net_row_key k;
	struct net_row_slot *s;
	struct net_counters *c;

	if (!pg)
		return 0;
	pg_key(&k, NET_KIND_PG_NOTIFY, pg);
	pg_label(&k, pg, 4, 0);
	s = net_row(&k);
	c = s ? net_counts_of(s) : NULL;
	if (c)
		c->count++;
	return 0;
}

/* --- messages ---------------------------------------------------------------- */

/* A frontend message's header has been read. */
static __always_inline void pg_frontend_msg(struct pg_conn *pg, __u8 type, __u64 ts)
{
	switch (type) {
	case 'Q':	/* simple query (maybe several statements): one ReadyForQuery */
	case 'F':	/* function call */
		pg_push(pg, ts);
		break;
	case 'P': case 'B': case 'E': case 'D': case 'C':
		if (!pg->group_ts)
			pg->group_ts = ts;
		break;
	case 'S':	/* every Sync gets one ReadyForQuery */
		pg_push(pg, pg->group_ts ? pg->group_ts : ts);
		pg->group_ts = 0;
		break;
	}
}

/* A backend message is complete enough to act on (a captured one: its head is in cap). */
static __always_inline void pg_backend_msg(struct pg_conn *pg, __u8 type, __u64 ts)
{
	switch (type) {
	case 'C':
		pg_statement(pg, ts, 0);
		break;
	case 'I':
		pg_statement(pg, ts, 1);
		break;
	case 'E':
		pg_error(pg, ts);
		break;
	case 'A':
		pg_notify(pg);
		break;
	case 'Z':
		pg_pop(pg);
		break;
	}
}

#endif /* SYNCTRACE_NET_PG_ROWS_H */
