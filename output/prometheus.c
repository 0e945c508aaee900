// SPDX-License-Identifier: MIT
/*
 * --prometheus [ADDR:]PORT: /metrics for Prometheus, served by libmicrohttpd
 * in its own thread. The drain thread adds each interval frame to running
 * totals (prom_totals.c) and writes the whole page anew (prom_text.c); the
 * lock is held only to swap the page pointer, so a slow scraper never holds
 * up the drain and a scrape never resets anything. Every series is in
 * README.md ("Export to Prometheus").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "output/open.h"
#include "output/prom_net.h"
#include "output/prom_text.h"
#include "output/prom_totals.h"

#define PAGE_MAX (256UL << 20)	/* past this, the last whole page is served */
#define MAX_CONNECTIONS 32	/* scrapers at once; more wait in the backlog */
#define CONNECTION_TIMEOUT_S 10

/* A page, shared by the drain (which makes it) and scrapes (which send it). */
struct prom_page {
	int refs;		/* atomic */
	struct prom_buf b;
};

struct prom_output {
	struct output base;
	struct prom_totals totals;
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;	/* guards page, only for the swap */
	struct prom_page *page;
	char *command;
	struct timespec start;
	uint64_t render_failures;
	bool warned;
};

static void page_put(void *cls)
{
	struct prom_page *p = cls;

	if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		prom_buf__free(&p->b);
		free(p);
	}
}

/* ---- [ADDR:]PORT ----------------------------------------------------------------- */

/* An IPv4 literal and a port 1..65535; loopback when no address is given. */
static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	const char *colon = strrchr(s, ':'), *port = colon ? colon + 1 : s;
	char addr[INET_ADDRSTRLEN];
	unsigned long n = 0;
	const char *p;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!*port || strlen(port) > 5)
		return -EINVAL;
	for (p = port; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n < 1 || n > 65535)
		return -EINVAL;
	sa->sin_port = htons((uint16_t)n);
	if (!colon)
		return 0;
	if ((size_t)(colon - s) >= sizeof(addr) || colon == s)
		return -EINVAL;
	memcpy(addr, s, (size_t)(colon - s));
	addr[colon - s] = '\0';
	return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

int output_prometheus_check(const char *addr_port)
{
	struct sockaddr_in sa;

	if (!parse_addr(addr_port, &sa))
		return 0;
	fprintf(stderr, "synctrace: --prometheus '%s': expected [ADDR:]PORT, an IPv4 address "
		"and a port 1-65535 (e.g. 9464 or 0.0.0.0:9464)\n", addr_port);
	return -EINVAL;
}

/* The listening socket, made here so that a port in use is said plainly. */
static int listen_on(const char *addr_port, const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, err;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) || listen(fd, 64)) {
		err = errno;
		fprintf(stderr, "synctrace: --prometheus %s: cannot listen: %s\n", addr_port,
			strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	return fd;
}

/* ---- the page -------------------------------------------------------------------- */

static void family(struct prom_buf *b, const char *name, const char *type, const char *help)
{
	prom_buf__printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct prom_buf *b, const char *name, const char *labels, uint64_t v)
{
	prom_buf__printf(b, *labels ? "%s{%s} %" PRIu64 "\n" : "%s%s %" PRIu64 "\n", name,
			 labels, v);
}

/* A counter or gauge over the rows that have `has` (0: every row). */
static void row_family(struct prom_buf *b, struct prom_totals *t, const char *name,
		       const char *type, const char *help, unsigned int has, size_t field)
{
	bool header = false;
	size_t i;

	for (i = 0; i < t->nr_rows; i++) {
		const struct prom_row *r = &t->rows[i];

		if ((has && !(r->has & has)) || r->net)	/* socket rows: prom_net.c */
			continue;
		if (!header)
			family(b, name, type, help);
		header = true;
		sample(b, name, r->labels, *(const uint64_t *)((const char *)r + field));
	}
}

static void histograms(struct prom_buf *b, struct prom_totals *t, bool latency)
{
	const char *name = latency ? "synctrace_op_latency_seconds" : "synctrace_op_value";
	unsigned int has = latency ? FRAME_HAS_LATENCY : FRAME_HAS_VALUE;
	bool header = false;
	size_t i;

	for (i = 0; i < t->nr_rows; i++) {
		struct prom_row *r = &t->rows[i];

		if (!(r->has & has) || r->net)
			continue;
		if (!header)
			family(b, name, "histogram", latency ?
			       "Latency of each op's calls (starts to ends, for paired ops)" :
			       "The values of each op's value= (unitless: what the op measures)");
		header = true;
		if (latency)
			prom_histogram(b, name, r->labels, &r->latency, 9, &r->lat_lo, &r->lat_hi);
		else
			prom_histogram(b, name, r->labels, &r->value, 0, &r->val_lo, &r->val_hi);
	}
}

/* A machine's slots worth a series: the named ones, and any it was in. */
static bool slot_shown(const struct prom_state *s, unsigned int i)
{
	return (int)i < s->nr_names || s->time_in_ns[i] || s->current == i;
}

static void states(struct prom_buf *b, const struct prom_totals *t)
{
	char sec[48];
	unsigned int j;
	size_t i;

	if (!t->nr_states)
		return;
	family(b, "synctrace_state", "gauge", "1 for the state a machine is in now, else 0");
	for (i = 0; i < t->nr_states; i++)
		for (j = 0; j < STATE_VALUES; j++)
			if (slot_shown(&t->states[i], j))
				prom_buf__printf(b, "synctrace_state{%s,state=%s} %d\n",
						 t->states[i].labels, t->states[i].names[j],
						 t->states[i].current == j);
	family(b, "synctrace_state_seconds_total", "counter", "Time spent in each state");
	for (i = 0; i < t->nr_states; i++)
		for (j = 0; j < STATE_VALUES; j++)
			if (slot_shown(&t->states[i], j))
				prom_buf__printf(b, "synctrace_state_seconds_total{%s,state=%s} %s\n",
						 t->states[i].labels, t->states[i].names[j],
						 prom_decimal(sec, sizeof(sec),
							      t->states[i].time_in_ns[j], 9));
	family(b, "synctrace_state_changes_total", "counter", "State changes of each machine");
	for (i = 0; i < t->nr_states; i++)
		sample(b, "synctrace_state_changes_total", t->states[i].labels,
		       t->states[i].changes);
}

static void health(struct prom_buf *b, const struct prom_output *o)
{
	const struct prom_totals *t = &o->totals;
	char num[48];
	size_t i;

	family(b, "synctrace_drops_total", "counter", "What synctrace could not count, by reason");
	for (i = 0; i < t->nr_drops; i++)
		prom_buf__printf(b, "synctrace_drops_total{reason=\"%s\"} %" PRIu64 "\n",
				 t->drops[i].name, t->drops[i].n);
	if (t->source == FRAME_OPS) {
		family(b, "synctrace_events_total", "counter",
		       "Error, slow and timeout events heard, by kind");
		prom_buf__printf(b, "synctrace_events_total{kind=\"error\"} %" PRIu64 "\n"
				 "synctrace_events_total{kind=\"slow\"} %" PRIu64 "\n"
				 "synctrace_events_total{kind=\"timeout\"} %" PRIu64 "\n",
				 t->ev_errors, t->ev_slow, t->ev_timeouts);
		family(b, "synctrace_events_lost_total", "counter",
		       "Events the ring buffer had no room for");
		sample(b, "synctrace_events_lost_total", "", t->ev_lost);
	}
	family(b, "synctrace_probes_attached", "gauge", "Probes (links) attached");
	sample(b, "synctrace_probes_attached", "", t->probes_attached);
	family(b, "synctrace_intervals_total", "counter", "Intervals drained from the kernel");
	sample(b, "synctrace_intervals_total", "", t->frames);
	family(b, "synctrace_last_interval_timestamp_seconds", "gauge",
	       "When the last interval ended (Unix time)");
	prom_buf__printf(b, "synctrace_last_interval_timestamp_seconds %s\n",
			 prom_decimal(num, sizeof(num), (uint64_t)t->last_wall.tv_sec * 1000 +
				      (uint64_t)t->last_wall.tv_nsec / 1000000, 3));
	family(b, "synctrace_start_time_seconds", "gauge", "When tracing began (Unix time)");
	prom_buf__printf(b, "synctrace_start_time_seconds %s\n",
			 prom_decimal(num, sizeof(num), (uint64_t)o->start.tv_sec * 1000 +
				      (uint64_t)o->start.tv_nsec / 1000000, 3));
	family(b, "synctrace_run_info", "gauge", "The synctrace command running (always 1)");
	prom_buf__puts(b, "synctrace_run_info{command=");
	prom_buf__label_value(b, o->command);
	prom_buf__puts(b, "} 1\n");
	family(b, "synctrace_series_dropped_total", "counter",
	       "Series past synctrace's bounds, not exported");
	sample(b, "synctrace_series_dropped_total", "", t->rows_dropped);
	family(b, "synctrace_page_failures_total", "counter",
	       "Pages not made (too big or out of memory): the last whole one is served");
	sample(b, "synctrace_page_failures_total", "", o->render_failures);
}

static void render(struct prom_buf *b, struct prom_output *o)
{
	struct prom_totals *t = &o->totals;
	size_t i;

	row_family(b, t, "synctrace_op_calls_total", "counter",
		   "Calls of each op (ends, for paired ops)", 0,
		   offsetof(struct prom_row, count));
	row_family(b, t, "synctrace_op_errors_total", "counter", "Calls error= found failed",
		   FRAME_HAS_ERRORS, offsetof(struct prom_row, errors));
	row_family(b, t, "synctrace_op_would_block_total", "counter",
		   "Calls would_block= found would have blocked (not errors)",
		   FRAME_HAS_WOULD_BLOCK, offsetof(struct prom_row, would_block));
	row_family(b, t, "synctrace_op_timeouts_total", "counter",
		   "Starts of a paired op that no end answered within its timeout",
		   FRAME_HAS_PAIRED, offsetof(struct prom_row, timeouts));
	row_family(b, t, "synctrace_op_inflight", "gauge",
		   "Starts of a paired op not yet ended", FRAME_HAS_PAIRED,
		   offsetof(struct prom_row, inflight));
	histograms(b, t, true);
	histograms(b, t, false);
	for (i = 0; i < t->nr_ops && !t->ops[i].paired; i++)
		;
	if (i < t->nr_ops) {
		family(b, "synctrace_op_unmatched_total", "counter",
		       "Ends of a paired op with no start seen");
		for (i = 0; i < t->nr_ops; i++)
			if (t->ops[i].paired)
				sample(b, "synctrace_op_unmatched_total", t->ops[i].labels,
				       t->ops[i].unmatched);
	}
	states(b, t);
	prom_net_render(b, t);
	health(b, o);
}

/* Make the page from the totals and swap it in; the old one is freed by
 * whoever lets go of it last (the drain, or a scrape still sending it). */
static int publish(struct prom_output *o)
{
	struct prom_page *p = calloc(1, sizeof(*p)), *old;

	if (!p)
		return -ENOMEM;
	p->refs = 1;
	prom_buf__init(&p->b, PAGE_MAX);
	render(&p->b, o);
	if (p->b.failed) {
		o->render_failures++;
		if (!o->warned)
			fprintf(stderr, "synctrace: prometheus: cannot make the page (over %lu MiB "
				"or out of memory); serving the last whole one\n", PAGE_MAX >> 20);
		o->warned = true;
		page_put(p);
		return 0;
	}
	pthread_mutex_lock(&o->lock);
	old = o->page;
	o->page = p;
	pthread_mutex_unlock(&o->lock);
	page_put(old);
	return 0;
}

/* ---- serving ---------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* In MHD's thread: hands out the latest page, never waits on the drain. */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req)
{
	struct prom_output *o = cls;
	struct MHD_Response *r;
	struct prom_page *p;
	enum MHD_Result ret;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
	pthread_mutex_lock(&o->lock);
	p = o->page;
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&o->lock);
	r = MHD_create_response_from_buffer_with_free_callback_cls(p->b.len, p->b.s, page_put, p);
	if (!r) {
		page_put(p);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static int prom_frame(struct output *base, const struct output_frame *f)
{
	struct prom_output *o = (struct prom_output *)base;
	int err;

	if (f->summary)
		return 0;
	/* out of memory loses this interval's numbers, not the run */
	if ((err = prom_totals__add(&o->totals, f)))
		o->render_failures++;
	return publish(o);
}

static int prom_close(struct output *base)
{
	struct prom_output *o = (struct prom_output *)base;

	if (o->mhd)
		MHD_stop_daemon(o->mhd);	/* joins its thread: no scrape is left */
	page_put(o->page);
	prom_totals__free(&o->totals);
	pthread_mutex_destroy(&o->lock);
	free(o->command);
	free(o);
	return 0;
}

static const struct output_ops prom_ops = {
	.name = "prometheus", .frame = prom_frame, .close = prom_close,
};

struct output *output_prometheus_open(const char *addr_port, const struct run_info *run)
{
	struct prom_output *o = NULL;
	struct sockaddr_in sa;
	int fd = -1;

	if (output_prometheus_check(addr_port))
		return NULL;
	parse_addr(addr_port, &sa);
	if (!(o = calloc(1, sizeof(*o))) ||
	    !(o->command = strdup(run && run->command ? run->command : ""))) {
		fprintf(stderr, "synctrace: out of memory\n");
		goto cleanup;
	}
	o->base.ops = &prom_ops;
	pthread_mutex_init(&o->lock, NULL);
	if (run)
		o->start = run->start;
	/* a page before the first interval: a scrape always gets one */
	if (publish(o) || !o->page) {
		fprintf(stderr, "synctrace: out of memory\n");
		goto cleanup;
	}
	if ((fd = listen_on(addr_port, &sa)) < 0)
		goto cleanup;
	o->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
				  handle, o, MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
				  MHD_OPTION_END);
	if (!o->mhd) {
		fprintf(stderr, "synctrace: --prometheus %s: cannot start the HTTP server\n",
			addr_port);
		goto cleanup;
	}
	return &o->base;
cleanup:
	if (fd >= 0)
		close(fd);
	if (o)
		prom_close(&o->base);
	return NULL;
}
