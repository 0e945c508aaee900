// SPDX-License-Identifier: MIT
/* A net table as socket rows of an output frame; see net_frame.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli/net_frame.h"

static const char *const label_names[NET_KIND_NR] = {
	[NET_KIND_HTTP] = "status", [NET_KIND_PG_QUERY] = "tag",
	[NET_KIND_PG_ERROR] = "sqlstate", [NET_KIND_PG_NOTIFY] = "channel",
};

static unsigned int proto_of(unsigned int kind)
{
	return kind == NET_KIND_HTTP ? NET_PROTO_HTTP : NET_PROTO_PG;
}

static struct frame_dist dist(const struct net_row *r, unsigned int d)
{
	return (struct frame_dist){ .h = &r->dist[d] };
}

static void fill_net(struct frame_net *n, const struct net_row *r)
{
	const struct net_counters *c = &r->c;
	int i;

	n->kind = r->key.kind == NET_KIND_PG_QUERY ? FRAME_NET_PG_QUERY :
		  r->key.kind == NET_KIND_PG_ERROR ? FRAME_NET_PG_ERROR :
		  r->key.kind == NET_KIND_PG_NOTIFY ? FRAME_NET_PG_NOTIFY : FRAME_NET_HTTP;
	n->side = net_side_name(r->key.side);
	n->client_errors = c->client_errors;
	n->rows = c->rows;
	n->bytes_in = dist(r, NET_DIST_BYTES_IN);
	n->bytes_out = dist(r, NET_DIST_BYTES_OUT);
	/* a row with streams open, or that opened or closed some in the frame's time */
	n->sse = r->sse_open || c->sse_opened || c->sse_closed || c->sse_events;
	n->sse_s.opened = c->sse_opened;
	n->sse_s.closed = c->sse_closed;
	n->sse_s.events = c->sse_events;
	n->sse_s.open = r->sse_open;
	n->sse_s.first_event = dist(r, NET_DIST_SSE_FIRST);
	n->sse_s.duration = dist(r, NET_DIST_SSE_DURATION);
	n->ws = r->ws_open || c->ws_opened || c->ws_closed;
	n->ws_s.opened = c->ws_opened;
	n->ws_s.closed = c->ws_closed;
	n->ws_s.open = r->ws_open;
	for (i = 0; i < FRAME_WS_OPCODES && i < NET_WS_OPCODES; i++) {
		n->ws_s.frames_in[i] = c->ws_frames_in[i];
		n->ws_s.frames_out[i] = c->ws_frames_out[i];
	}
	n->ws_s.bytes_in = c->ws_bytes_in;
	n->ws_s.bytes_out = c->ws_bytes_out;
}

static void fill_row(struct frame_row *x, struct frame_net *n, const struct net_row *r)
{
	bool timed = r->key.kind == NET_KIND_HTTP || r->key.kind == NET_KIND_PG_QUERY;
	bool has_lat = r->c.lat_min_inv != 0;

	fill_net(n, r);
	x->op = r->key.op;
	/* the side, as a recording and the HTML report key their series */
	x->target = n->side;
	x->has = FRAME_HAS_LABEL | (timed ? FRAME_HAS_ERRORS | FRAME_HAS_LATENCY : 0);
	x->label = (struct frame_label){
		.kind = r->key.other_label ? FRAME_LABEL_OTHER : FRAME_LABEL_VALUE,
		.is_string = true, .text = r->key.label,
		.name = r->key.kind < NET_KIND_NR ? label_names[r->key.kind] : "",
	};
	x->count = r->c.count;
	x->errors = r->c.errors;
	x->latency = (struct frame_dist){ .h = &r->dist[NET_DIST_LATENCY], .has_min = has_lat,
					  .min = r->lat_min, .has_max = has_lat,
					  .max = r->lat_max };
	x->net = n;
}

int net_frame_rows__fill(struct net_frame_rows *o, const struct net_table *t,
			 unsigned int protos)
{
	size_t i, n = t->nr_rows ? t->nr_rows : 1;

	memset(o, 0, sizeof(*o));
	o->rows = calloc(n, sizeof(*o->rows));
	o->nets = calloc(n, sizeof(*o->nets));
	if (!o->rows || !o->nets) {
		net_frame_rows__free(o);
		return -ENOMEM;
	}
	for (i = 0; i < t->nr_rows; i++)
		if (t->rows[i].key.kind < NET_KIND_NR && (proto_of(t->rows[i].key.kind) & protos)) {
			fill_row(&o->rows[o->nr], &o->nets[o->nr], &t->rows[i]);
			o->nr++;
		}
	o->totals = (struct frame_net_totals){
		.ops = t->totals.ops, .op_overflow = t->totals.op_overflow,
		.labels = t->totals.labels, .label_overflow = t->totals.label_overflow,
		.conns_opened = t->totals.conns_opened, .conns_closed = t->totals.conns_closed,
	};
	for (i = 0; i < NET_DROP_NR; i++)
		o->drops[i] = (struct frame_count){ net_drop_name((unsigned int)i), t->drops[i] };
	return 0;
}

void net_frame_rows__free(struct net_frame_rows *o)
{
	free(o->rows);
	free(o->nets);
	memset(o, 0, sizeof(*o));
}
