// SPDX-License-Identifier: MIT
/* Events for `watch`: the ring buffer's errors and slow calls, and timeouts. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "cli/watch.h"

static void keep(struct watch_events *w, const struct op_event *e)
{
	struct watch_event *slot = &w->recent[w->seq % WATCH_RECENT];

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

void watch_events__free(struct watch_events *w)
{
	ring_buffer__free(w->rb);
	w->rb = NULL;
}
