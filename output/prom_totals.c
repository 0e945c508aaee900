// SPDX-License-Identifier: MIT
/* The running totals a scrape shows, from interval frames; see prom_totals.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "output/prom_text.h"
#include "output/prom_totals.h"

/* A label set as an escaped string that the row owns; NULL: out of memory. */
static char *take(struct prom_buf *b)
{
	char *s = b->failed ? NULL : b->s;

	if (!s && !b->failed)
		s = strdup("");
	if (!s)
		prom_buf__free(b);
	return s;
}

static char *row_labels(const struct output_frame *f, const struct frame_row *r)
{
	struct prom_buf b;

	prom_buf__init(&b, 1 << 16);
	prom_buf__puts(&b, "op=");
	prom_buf__label_value(&b, r->op ? r->op : "");
	if (f->source == FRAME_CALLS) {
		prom_buf__puts(&b, ",target=");
		prom_buf__label_value(&b, r->target ? r->target : "");
	} else if (r->has & FRAME_HAS_LABEL) {
		prom_buf__puts(&b, ",label=");
		prom_buf__label_value(&b, r->label.text ? r->label.text : "");
	}
	return take(&b);
}

/* FNV-1a: the labels are short and the table is rebuilt rarely. */
static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int grow_index(struct prom_totals *t)
{
	size_t cap = t->index_cap ? 2 * t->index_cap : 1024, i, j;
	uint32_t *index = malloc(cap * sizeof(*index));

	if (!index)
		return -ENOMEM;
	memset(index, 0xff, cap * sizeof(*index));
	for (i = 0; i < t->nr_rows; i++) {
		for (j = hash(t->rows[i].labels) & (cap - 1); index[j] != UINT32_MAX;
		     j = (j + 1) & (cap - 1))
			;
		index[j] = (uint32_t)i;
	}
	free(t->index);
	t->index = index;
	t->index_cap = cap;
	return 0;
}

/* The row with these labels, made if new (labels then owned by it); NULL
 * when out of memory or past PROM_MAX_ROWS (labels freed either way). */
static struct prom_row *find_row(struct prom_totals *t, char *labels)
{
	struct prom_row *rows;
	size_t j;

	if (t->index_cap) {
		for (j = hash(labels) & (t->index_cap - 1); t->index[j] != UINT32_MAX;
		     j = (j + 1) & (t->index_cap - 1))
			if (!strcmp(t->rows[t->index[j]].labels, labels)) {
				free(labels);
				return &t->rows[t->index[j]];
			}
	}
	if (t->nr_rows >= PROM_MAX_ROWS) {
		t->rows_dropped++;
		free(labels);
		return NULL;
	}
	/* at most half full: probes stay short */
	if ((t->nr_rows + 1) * 2 > t->index_cap && grow_index(t))
		goto cleanup;
	if (t->nr_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? 2 * t->cap_rows : 64;

		if (!(rows = realloc(t->rows, cap * sizeof(*rows))))
			goto cleanup;
		t->rows = rows;
		t->cap_rows = cap;
	}
	rows = &t->rows[t->nr_rows];
	memset(rows, 0, sizeof(*rows));
	rows->labels = labels;
	rows->lat_lo = rows->val_lo = 1;	/* lo > hi: no `le` exposed yet */
	for (j = hash(labels) & (t->index_cap - 1); t->index[j] != UINT32_MAX;
	     j = (j + 1) & (t->index_cap - 1))
		;
	t->index[j] = (uint32_t)t->nr_rows++;
	return rows;
cleanup:
	free(labels);
	return NULL;
}

static int add_row(struct prom_totals *t, const struct output_frame *f, const struct frame_row *r)
{
	bool lat = f->source == FRAME_CALLS ? f->latency : r->has & FRAME_HAS_LATENCY;
	char *labels = r->net ? prom_net_labels(r) : row_labels(f, r);
	struct prom_row *x;
	int err = 0;

	if (!labels)
		return -ENOMEM;
	if (!(x = find_row(t, labels)))
		return t->nr_rows >= PROM_MAX_ROWS ? 0 : -ENOMEM;
	x->has |= r->has | (lat ? FRAME_HAS_LATENCY : 0);
	x->count += r->count;
	x->errors += r->errors;
	x->would_block += r->would_block;
	x->timeouts += r->timeouts;
	x->inflight = r->inflight;
	if (lat && r->latency.h)
		err = hist_merge(&x->latency, r->latency.h);
	if (!err && (r->has & FRAME_HAS_VALUE) && r->value.h)
		err = hist_merge(&x->value, r->value.h);
	if (!err && r->net)
		err = prom_net_add(&x->net, r->net);
	return err;
}

static int add_ops(struct prom_totals *t, const struct output_frame *f)
{
	size_t i;

	if (!t->ops && f->nr_ops) {
		if (!(t->ops = calloc(f->nr_ops, sizeof(*t->ops))))
			return -ENOMEM;
		for (i = 0; i < f->nr_ops; i++) {
			struct prom_buf b;

			prom_buf__init(&b, 1 << 16);
			prom_buf__puts(&b, "op=");
			prom_buf__label_value(&b, f->ops[i].op);
			if (!(t->ops[i].labels = take(&b)))
				return -ENOMEM;
			t->ops[i].paired = f->ops[i].paired;
			t->nr_ops = i + 1;
		}
	}
	for (i = 0; i < f->nr_ops && i < t->nr_ops; i++)
		t->ops[i].unmatched += f->ops[i].unmatched;
	return 0;
}

/*
 * An op without a label has one row: made at the first frame, at zero, so
 * that its counters start at 0 before its first call (Prometheus' increase()
 * counts from a series' first sample). A labelled op's rows come as seen.
 */
static int zero_rows(struct prom_totals *t, const struct output_frame *f)
{
	struct frame_row r;
	size_t i;
	int err;

	for (i = 0; i < f->nr_ops; i++) {
		if (f->ops[i].labelled)
			continue;
		r = (struct frame_row){ .op = f->ops[i].op, .has = f->ops[i].has };
		if ((err = add_row(t, f, &r)))
			return err;
	}
	return 0;
}

/* The process's name, as /proc shows it now ("" once it is gone). */
static void read_comm(uint32_t pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static char *escaped(const char *s)
{
	struct prom_buf b;

	prom_buf__init(&b, 1 << 16);
	prom_buf__label_value(&b, s);
	return take(&b);
}

static int new_state(struct prom_state *x, const struct frame_state *s)
{
	char comm[64], num[16];
	struct prom_buf b;
	unsigned int i;

	memset(x, 0, sizeof(*x));
	x->pid = s->pid;
	x->nr_names = s->nr_names;
	if (!(x->machine = strdup(s->machine)))
		return -ENOMEM;
	read_comm(s->pid, comm, sizeof(comm));
	prom_buf__init(&b, 1 << 16);
	prom_buf__puts(&b, "machine=");
	prom_buf__label_value(&b, s->machine);
	prom_buf__printf(&b, ",pid=\"%u\",comm=", s->pid);
	prom_buf__label_value(&b, comm);
	if (!(x->labels = take(&b)))
		return -ENOMEM;
	for (i = 0; i < STATE_VALUES; i++)
		if (!(x->names[i] = escaped(frame_state_name(s, i, num, sizeof(num)))))
			return -ENOMEM;
	return 0;
}

static void free_state(struct prom_state *x)
{
	unsigned int i;

	free(x->machine);
	free(x->labels);
	for (i = 0; i < STATE_VALUES; i++)
		free(x->names[i]);
}

static struct prom_state *find_state(struct prom_totals *t, const struct frame_state *s)
{
	struct prom_state *v;
	size_t i;

	for (i = 0; i < t->nr_states; i++)
		if (t->states[i].pid == s->pid && !strcmp(t->states[i].machine, s->machine))
			return &t->states[i];
	if (t->nr_states >= PROM_MAX_STATES) {
		t->rows_dropped++;
		return NULL;
	}
	if (t->nr_states == t->cap_states) {
		size_t cap = t->cap_states ? 2 * t->cap_states : 16;

		if (!(v = realloc(t->states, cap * sizeof(*v))))
			return NULL;
		t->states = v;
		t->cap_states = cap;
	}
	v = &t->states[t->nr_states];
	if (new_state(v, s)) {
		free_state(v);
		return NULL;
	}
	t->nr_states++;
	return v;
}

/* A frame's states are the machines' own totals so far, not deltas. */
static int add_states(struct prom_totals *t, const struct output_frame *f)
{
	struct prom_state *x;
	unsigned int j;
	size_t i;

	for (i = 0; i < f->nr_states; i++) {
		const struct frame_state *s = &f->states[i];

		if (!(x = find_state(t, s))) {
			if (t->nr_states >= PROM_MAX_STATES)
				continue;
			return -ENOMEM;
		}
		x->current = frame_state_current(s);
		for (j = 0; j < STATE_VALUES; j++)
			x->time_in_ns[j] = s->rec->time_in[j];
		x->changes = s->rec->recent_head;
	}
	return 0;
}

static int add_drops(struct prom_totals *t, const struct output_frame *f)
{
	size_t i;

	if (!t->drops && f->nr_drops) {
		if (!(t->drops = calloc(f->nr_drops, sizeof(*t->drops))))
			return -ENOMEM;
		for (i = 0; i < f->nr_drops; i++)
			if (!(t->drops[i].name = strdup(f->drops[i].name))) {
				while (i--)
					free((char *)t->drops[i].name);
				free(t->drops);
				t->drops = NULL;
				return -ENOMEM;
			}
		t->nr_drops = f->nr_drops;
	}
	for (i = 0; i < f->nr_drops && i < t->nr_drops; i++)
		t->drops[i].n += f->drops[i].n;
	return 0;
}

int prom_totals__add(struct prom_totals *t, const struct output_frame *f)
{
	size_t i;
	int err;

	if (f->summary)
		return 0;
	t->source = f->source;
	t->latency = f->latency;
	if (!t->frames && (err = zero_rows(t, f)))
		return err;
	for (i = 0; i < f->nr_rows; i++)
		if ((err = add_row(t, f, &f->rows[i])))
			return err;
	if ((err = add_ops(t, f)) || (err = add_states(t, f)) || (err = add_drops(t, f)))
		return err;
	if (f->net) {
		t->has_net = true;
		t->net.ops = f->net->ops;
		t->net.labels = f->net->labels;
		t->net.op_overflow += f->net->op_overflow;
		t->net.label_overflow += f->net->label_overflow;
		t->net.conns_opened += f->net->conns_opened;
		t->net.conns_closed += f->net->conns_closed;
	}
	t->ev_errors += f->events.errors;
	t->ev_slow += f->events.slow;
	t->ev_timeouts += f->events.timeouts;
	t->ev_lost += f->events.lost;
	t->probes_attached = f->probes_attached;
	t->last_wall = f->wall;
	t->frames++;
	return 0;
}

void prom_totals__free(struct prom_totals *t)
{
	size_t i;

	for (i = 0; i < t->nr_rows; i++) {
		free(t->rows[i].labels);
		hist_free(&t->rows[i].latency);
		hist_free(&t->rows[i].value);
		prom_net_free(t->rows[i].net);
	}
	free(t->rows);
	free(t->index);
	for (i = 0; i < t->nr_ops; i++)
		free(t->ops[i].labels);
	free(t->ops);
	for (i = 0; i < t->nr_states; i++)
		free_state(&t->states[i]);
	free(t->states);
	for (i = 0; i < t->nr_drops; i++)
		free((char *)t->drops[i].name);
	free(t->drops);
	memset(t, 0, sizeof(*t));
}
