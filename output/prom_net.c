// SPDX-License-Identifier: MIT
/* Socket rows on the Prometheus page; see prom_net.h. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output/prom_net.h"
#include "output/prom_totals.h"

static const char *const label_keys[] = {
	[FRAME_NET_HTTP] = "status", [FRAME_NET_PG_QUERY] = "tag",
	[FRAME_NET_PG_ERROR] = "sqlstate", [FRAME_NET_PG_NOTIFY] = "channel",
};

char *prom_net_labels(const struct frame_row *r)
{
	const char *op = r->op ? r->op : "", *sp = strchr(op, ' ');
	struct prom_buf b;
	char method[32];

	prom_buf__init(&b, 1 << 16);
	prom_buf__puts(&b, "side=");
	prom_buf__label_value(&b, r->net->side);
	if (r->net->kind == FRAME_NET_HTTP) {
		/* "POST /sync/push": method and route apart; `other` is the route alone */
		snprintf(method, sizeof(method), "%.*s", sp ? (int)(sp - op) : 0, op);
		prom_buf__puts(&b, ",method=");
		prom_buf__label_value(&b, method);
		prom_buf__puts(&b, ",route=");
		prom_buf__label_value(&b, sp ? sp + 1 : op);
	}
	prom_buf__printf(&b, ",%s=", label_keys[r->net->kind]);
	prom_buf__label_value(&b, r->label.text ? r->label.text : "");
	if (b.failed) {
		prom_buf__free(&b);
		return NULL;
	}
	return b.s ? b.s : strdup("");
}

int prom_net_add(struct prom_net **xp, const struct frame_net *n)
{
	struct prom_net *x = *xp;
	int i;

	if (!x) {
		if (!(x = calloc(1, sizeof(*x))))
			return -ENOMEM;
		x->first_lo = 1;	/* lo > hi: no `le` exposed yet */
		*xp = x;
	}
	x->kind = n->kind;
	x->client_errors += n->client_errors;
	x->rows += n->rows;
	x->bytes_in += n->bytes_in.h ? n->bytes_in.h->sum : 0;
	x->bytes_out += n->bytes_out.h ? n->bytes_out.h->sum : 0;
	x->sse |= n->sse;
	x->sse_opened += n->sse_s.opened;
	x->sse_closed += n->sse_s.closed;
	x->sse_events += n->sse_s.events;
	x->sse_open = n->sse_s.open;
	x->ws |= n->ws;
	x->ws_opened += n->ws_s.opened;
	x->ws_closed += n->ws_s.closed;
	x->ws_open = n->ws_s.open;
	for (i = 0; i < FRAME_WS_OPCODES; i++) {
		x->ws_frames_in[i] += n->ws_s.frames_in[i];
		x->ws_frames_out[i] += n->ws_s.frames_out[i];
	}
	x->ws_bytes_in += n->ws_s.bytes_in;
	x->ws_bytes_out += n->ws_s.bytes_out;
	if (n->sse && n->sse_s.first_event.h && hist_merge(&x->sse_first, n->sse_s.first_event.h))
		return -ENOMEM;
	return 0;
}

void prom_net_free(struct prom_net *x)
{
	if (!x)
		return;
	hist_free(&x->sse_first);
	free(x);
}

static void family(struct prom_buf *b, const char *name, const char *type, const char *help)
{
	prom_buf__printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Which rows a family has: a kind, and with sse/ws only the rows that had streams. */
enum pick { PICK_ALL, PICK_SSE, PICK_WS };

static bool picked(const struct prom_row *r, enum frame_net_kind kind, enum pick p)
{
	if (!r->net || r->net->kind != kind)
		return false;
	return p == PICK_ALL || (p == PICK_SSE ? r->net->sse : r->net->ws);
}

/* A family of one number per row: field of struct prom_net, or count/errors (field < 0). */
static void counter(struct prom_buf *b, const struct prom_totals *t, const char *name,
		    const char *type, const char *help, enum frame_net_kind kind, enum pick p,
		    long field)
{
	bool header = false;
	uint64_t v;
	size_t i;

	for (i = 0; i < t->nr_rows; i++) {
		const struct prom_row *r = &t->rows[i];

		if (!picked(r, kind, p))
			continue;
		if (!header)
			family(b, name, type, help);
		header = true;
		v = field == -1 ? r->count : field == -2 ? r->errors :
		    *(const uint64_t *)((const char *)r->net + field);
		prom_buf__printf(b, "%s{%s} %" PRIu64 "\n", name, r->labels, v);
	}
}

static void latency(struct prom_buf *b, struct prom_totals *t, const char *name,
		    const char *help, enum frame_net_kind kind)
{
	bool header = false;
	size_t i;

	for (i = 0; i < t->nr_rows; i++) {
		struct prom_row *r = &t->rows[i];

		if (!picked(r, kind, PICK_ALL))
			continue;
		if (!header)
			family(b, name, "histogram", help);
		header = true;
		prom_histogram(b, name, r->labels, &r->latency, 9, &r->lat_lo, &r->lat_hi);
	}
}

static void ws_frames(struct prom_buf *b, const struct prom_totals *t)
{
	const char *name = "synctrace_http_websocket_frames_total";
	bool header = false;
	size_t i;
	int d, op;

	for (i = 0; i < t->nr_rows; i++) {
		const struct prom_row *r = &t->rows[i];

		if (!picked(r, FRAME_NET_HTTP, PICK_WS))
			continue;
		if (!header)
			family(b, name, "counter", "WebSocket frames by direction and opcode");
		header = true;
		for (d = 0; d < 2; d++)
			for (op = 0; op < FRAME_WS_OPCODES; op++)
				prom_buf__printf(b, "%s{%s,direction=\"%s\",opcode=\"%s\"} %" PRIu64
						 "\n", name, r->labels, d ? "out" : "in",
						 frame_ws_opcode_names[op],
						 d ? r->net->ws_frames_out[op] : r->net->ws_frames_in[op]);
	}
}

static void http(struct prom_buf *b, struct prom_totals *t)
{
	bool header = false;
	size_t i;

	counter(b, t, "synctrace_http_requests_total", "counter",
		"HTTP exchanges by side, method, route template and status", FRAME_NET_HTTP,
		PICK_ALL, -1);
	latency(b, t, "synctrace_http_request_duration_seconds",
		"From the request's first byte to the response's last (to its head, for a stream)",
		FRAME_NET_HTTP);
	counter(b, t, "synctrace_http_received_bytes_total", "counter",
		"Bytes the process read in HTTP exchanges (requests on the server side)",
		FRAME_NET_HTTP, PICK_ALL, offsetof(struct prom_net, bytes_in));
	counter(b, t, "synctrace_http_sent_bytes_total", "counter",
		"Bytes the process wrote in HTTP exchanges (responses on the server side)",
		FRAME_NET_HTTP, PICK_ALL, offsetof(struct prom_net, bytes_out));
	counter(b, t, "synctrace_http_sse_streams_opened_total", "counter",
		"Server-Sent Events streams opened", FRAME_NET_HTTP, PICK_SSE,
		offsetof(struct prom_net, sse_opened));
	counter(b, t, "synctrace_http_sse_streams_closed_total", "counter",
		"Server-Sent Events streams closed", FRAME_NET_HTTP, PICK_SSE,
		offsetof(struct prom_net, sse_closed));
	counter(b, t, "synctrace_http_sse_streams_open", "gauge",
		"Server-Sent Events streams open now", FRAME_NET_HTTP, PICK_SSE,
		offsetof(struct prom_net, sse_open));
	counter(b, t, "synctrace_http_sse_events_total", "counter",
		"Server-Sent Events written (each ends with a blank line)", FRAME_NET_HTTP,
		PICK_SSE, offsetof(struct prom_net, sse_events));
	for (i = 0; i < t->nr_rows; i++) {
		struct prom_row *r = &t->rows[i];
		const char *name = "synctrace_http_sse_first_event_seconds";

		if (!picked(r, FRAME_NET_HTTP, PICK_SSE))
			continue;
		if (!header)
			family(b, name, "histogram", "From a stream's request to its first "
			       "event's end (the catch-up a client waits for)");
		header = true;
		prom_histogram(b, name, r->labels, &r->net->sse_first, 9, &r->net->first_lo,
			       &r->net->first_hi);
	}
	counter(b, t, "synctrace_http_websockets_opened_total", "counter",
		"WebSocket upgrades (101 Switching Protocols)", FRAME_NET_HTTP, PICK_WS,
		offsetof(struct prom_net, ws_opened));
	counter(b, t, "synctrace_http_websockets_closed_total", "counter",
		"WebSocket connections closed", FRAME_NET_HTTP, PICK_WS,
		offsetof(struct prom_net, ws_closed));
	counter(b, t, "synctrace_http_websockets_open", "gauge", "WebSocket connections open now",
		FRAME_NET_HTTP, PICK_WS, offsetof(struct prom_net, ws_open));
	ws_frames(b, t);
	counter(b, t, "synctrace_http_websocket_received_bytes_total", "counter",
		"WebSocket payload bytes read", FRAME_NET_HTTP, PICK_WS,
		offsetof(struct prom_net, ws_bytes_in));
	counter(b, t, "synctrace_http_websocket_sent_bytes_total", "counter",
		"WebSocket payload bytes written", FRAME_NET_HTTP, PICK_WS,
		offsetof(struct prom_net, ws_bytes_out));
}

static void pg(struct prom_buf *b, struct prom_totals *t)
{
	counter(b, t, "synctrace_pg_queries_total", "counter",
		"PostgreSQL queries (Query or Sync to ReadyForQuery) by command tag",
		FRAME_NET_PG_QUERY, PICK_ALL, -1);
	counter(b, t, "synctrace_pg_query_errors_total", "counter",
		"PostgreSQL queries that got an ErrorResponse", FRAME_NET_PG_QUERY, PICK_ALL, -2);
	counter(b, t, "synctrace_pg_rows_total", "counter",
		"Rows the command tags reported", FRAME_NET_PG_QUERY, PICK_ALL,
		offsetof(struct prom_net, rows));
	latency(b, t, "synctrace_pg_query_duration_seconds",
		"From Query (or the first Parse/Bind/Execute) to ReadyForQuery", FRAME_NET_PG_QUERY);
	counter(b, t, "synctrace_pg_errors_total", "counter",
		"PostgreSQL ErrorResponses by SQLSTATE", FRAME_NET_PG_ERROR, PICK_ALL, -1);
	counter(b, t, "synctrace_pg_notifications_total", "counter",
		"PostgreSQL notifications (LISTEN/NOTIFY) by channel", FRAME_NET_PG_NOTIFY,
		PICK_ALL, -1);
}

void prom_net_render(struct prom_buf *b, const struct prom_totals *ct)
{
	/* the histograms' exposed ranges are kept in the rows: they widen as they render */
	struct prom_totals *t = (struct prom_totals *)ct;

	if (!t->has_net)
		return;
	http(b, t);
	pg(b, t);
	family(b, "synctrace_net_capped_total", "counter",
	       "Exchanges counted in an `other` row: their route (op) or label was past the cap");
	prom_buf__printf(b, "synctrace_net_capped_total{cap=\"op\"} %" PRIu64 "\n"
			 "synctrace_net_capped_total{cap=\"label\"} %" PRIu64 "\n",
			 t->net.op_overflow, t->net.label_overflow);
	family(b, "synctrace_net_connections_opened_total", "counter",
	       "Connections the socket parsers started to follow");
	prom_buf__printf(b, "synctrace_net_connections_opened_total %" PRIu64 "\n",
			 t->net.conns_opened);
	family(b, "synctrace_net_connections_closed_total", "counter",
	       "Followed connections closed");
	prom_buf__printf(b, "synctrace_net_connections_closed_total %" PRIu64 "\n",
			 t->net.conns_closed);
}
