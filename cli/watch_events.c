// SPDX-License-Identifier: MIT
/* Events for `watch`: the ring buffer's errors and slow calls, and timeouts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "cli/watch.h"

/* 0: errors (slow ones too), 1: slow calls, 2: timeouts */
static unsigned int kind_of(const struct op_event *e)
{
	return e->flags & WATCH_TIMEOUT ? 2 : e->flags & OPE_ERROR ? 0 : 1;
}

static void keep(struct watch_events *w, const struct op_event *e)
{
	unsigned int k = kind_of(e);
	struct watch_event *slot = &w->recent[k][w->kind_seq[k]++ % WATCH_RECENT_PER_KIND];

	slot->e = *e;
	slot->seq = ++w->seq;
	if (e->flags & OPE_ERROR)
		w->errors++;
	if (e->flags & OPE_SLOW)
		w->slow++;
	if (e->flags & WATCH_TIMEOUT)
		w->timeouts++;
}

static int on_event(void *ctx, void *data, size_t size)
{
	if (size >= sizeof(struct op_event))
		keep(ctx, data);
	return 0;
}

int watch_events__open(struct watch_events *w, int ring_fd)
{
	memset(w, 0, sizeof(*w));
	w->rb = ring_buffer__new(ring_fd, on_event, w, NULL);
	return w->rb ? 0 : -errno;
}

int watch_events__consume(struct watch_events *w)
{
	int n = ring_buffer__consume(w->rb);

	return n < 0 ? n : 0;
}

int watch_events__fd(const struct watch_events *w)
{
	return ring_buffer__epoll_fd(w->rb);
}

void watch_events__on_expired(void *ctx, const struct op_expired *x)
{
	struct timespec now;
	struct op_event e = {
		.latency_ns = x->age_ns, .label = x->start.label, .op = x->key.op,
		.label_kind = x->start.label_kind, .pid = x->start.pid, .flags = WATCH_TIMEOUT,
	};

	clock_gettime(CLOCK_MONOTONIC, &now);
	e.ts = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	keep(ctx, &e);
}

static int by_seq(const void *a, const void *b)
{
	const struct watch_event *x = *(const struct watch_event *const *)a;
	const struct watch_event *y = *(const struct watch_event *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

size_t watch_events__recent(const struct watch_events *w, uint64_t first_seq,
			    const struct watch_event **out)
{
	size_t n = 0;
	unsigned int k, i;

	for (k = 0; k < WATCH_KINDS; k++)
		for (i = 0; i < WATCH_RECENT_PER_KIND && i < w->kind_seq[k]; i++)
			if (w->recent[k][i].seq >= first_seq)
				out[n++] = &w->recent[k][i];
	qsort(out, n, sizeof(*out), by_seq);
	return n;
}

void watch_events__free(struct watch_events *w)
{
	ring_buffer__free(w->rb);
	w->rb = NULL;
}
