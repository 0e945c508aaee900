// SPDX-License-Identifier: MIT
/*
 * The HTML report's memory of a run: each interval's numbers per op (and
 * label) in time columns, copied from the frames, in bounded room. When the
 * columns are full, neighbours merge pairwise: counts and histograms add,
 * so a column of four intervals holds exactly their sum.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "output/html.h"

static int key_equal(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static uint32_t fnv(uint32_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619U;
	return (h ^ 0xff) * 16777619U;	/* ends each part: "ab","c" is not "a","bc" */
}

/* A series' key: op, target, and the label (its kind and text), if any. */
static uint32_t key_hash(const char *op, const char *target, const struct frame_label *l)
{
	uint32_t h = fnv(fnv(2166136261U, op), target);

	if (l)
		h = fnv(h ^ (uint32_t)(l->kind * 2 + l->is_string + 1), l->text);
	return h;
}

static bool key_match(const struct html_series *s, const char *op, const char *target,
		      const struct frame_label *l)
{
	if (strcmp(s->op, op) || !key_equal(s->target, target) || !l != !s->label)
		return false;
	return !l || (s->kind == l->kind && s->is_string == l->is_string &&
		      !strcmp(s->label, l->text));
}

/* The slot of index[] holding the key's series, or the empty slot where it would go. */
static size_t find_slot(const struct html_history *h, const char *op, const char *target,
			const struct frame_label *l)
{
	const size_t n = sizeof(h->index) / sizeof(h->index[0]);
	size_t i = key_hash(op, target, l) % n;

	/* never full: at most HTML_MAX_SERIES of twice as many slots are used */
	while (h->index[i] && !key_match(h->series[h->index[i] - 1], op, target, l))
		i = (i + 1) % n;
	return i;
}

static struct html_series *find_series(struct html_history *h, const char *op,
				       const char *target, const struct frame_label *l)
{
	size_t i = find_slot(h, op, target, l);

	return h->index[i] ? h->series[h->index[i] - 1] : NULL;
}

static void series_free(struct html_series *s)
{
	size_t c;

	if (!s)
		return;
	if (s->cells)
		for (c = 0; c < HTML_MAX_COLUMNS; c++)
			hist_free(&s->cells[c].lat);
	free(s->cells);
	free(s->op);
	free(s->target);
	free(s->label);
	free(s);
}

static char *dup_or_null(const char *s, int *err)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*err = -ENOMEM;
	return d;
}

/* The series of op/target (and label l), made when there is room; NULL past the caps. */
static struct html_series *series_of(struct html_history *h, const char *op,
				     const char *target, const struct frame_label *l, int *err)
{
	struct html_series *s = find_series(h, op, target, l);

	if (s || h->nr_series == HTML_MAX_SERIES ||
	    (l && h->nr_label_series == HTML_MAX_LABEL_SERIES))
		return s;
	if (!(s = calloc(1, sizeof(*s))) ||
	    !(s->cells = calloc(HTML_MAX_COLUMNS, sizeof(*s->cells)))) {
		series_free(s);
		*err = -ENOMEM;
		return NULL;
	}
	s->op = dup_or_null(op, err);
	s->target = dup_or_null(target, err);
	if (l) {
		s->label = dup_or_null(l->text, err);
		s->kind = l->kind;
		s->is_string = l->is_string;
		s->number = l->number;
	}
	if (*err) {
		series_free(s);
		return NULL;
	}
	h->index[find_slot(h, op, target, l)] = (uint16_t)(h->nr_series + 1);
	h->series[h->nr_series++] = s;
	h->nr_label_series += l != NULL;
	return s;
}

static int add_cell(struct html_series *s, size_t c, const struct frame_row *r)
{
	struct html_cell *cell = &s->cells[c];

	s->has |= r->has;
	cell->count += r->count;
	cell->errors += r->errors;
	cell->timeouts += r->timeouts;
	if ((r->has & FRAME_HAS_LATENCY) && r->latency.h && r->latency.h->count)
		return hist_merge(&cell->lat, r->latency.h);
	return 0;
}

static struct html_track *track_of(struct html_history *h, const struct frame_state *st)
{
	struct html_track *t;
	size_t i;
	int k, bad;

	for (i = 0; i < h->nr_tracks; i++)
		if (h->tracks[i]->pid == st->pid && !strcmp(h->tracks[i]->machine, st->machine))
			return h->tracks[i];
	if (h->nr_tracks == HTML_MAX_TRACKS || !(t = calloc(1, sizeof(*t))))
		return NULL;
	t->pid = st->pid;
	bad = !(t->machine = strdup(st->machine));
	for (k = 0; k < st->nr_names && k < STATE_VALUES; k++)
		bad |= !(t->names[t->nr_names++] = strdup(st->names[k] ? st->names[k] : ""));
	if (bad) {
		while (t->nr_names)
			free(t->names[--t->nr_names]);
		free(t->machine);
		free(t);
		return NULL;	/* out of memory: this timeline is not drawn */
	}
	for (i = 0; i < HTML_MAX_COLUMNS; i++)
		t->state[i] = -1;
	return h->tracks[h->nr_tracks++] = t;
}

/* Fold column 2k+1 into 2k and move the sum to k, for every k: half the columns. */
static int compact(struct html_history *h)
{
	size_t k, i, half = HTML_MAX_COLUMNS / 2;
	int err;

	for (k = 0; k < half; k++) {
		const struct html_column *a = &h->cols[2 * k], *b = &h->cols[2 * k + 1];

		h->cols[k] = (struct html_column){ .end_ns = b->end_ns,
						   .seconds = a->seconds + b->seconds,
						   .intervals = a->intervals + b->intervals };
		for (i = 0; i < h->nr_series; i++) {
			struct html_cell *cells = h->series[i]->cells, sum = cells[2 * k];

			memset(&cells[2 * k], 0, sizeof(cells[0]));
			sum.count += cells[2 * k + 1].count;
			sum.errors += cells[2 * k + 1].errors;
			sum.timeouts += cells[2 * k + 1].timeouts;
			err = hist_merge(&sum.lat, &cells[2 * k + 1].lat);
			hist_free(&cells[2 * k + 1].lat);
			memset(&cells[2 * k + 1], 0, sizeof(cells[0]));
			cells[k] = sum;
			if (err)
				return err;
		}
		for (i = 0; i < h->nr_tracks; i++) {
			int16_t *st = h->tracks[i]->state;

			st[k] = st[2 * k + 1] >= 0 ? st[2 * k + 1] : st[2 * k];
		}
	}
	for (i = 0; i < h->nr_tracks; i++)
		for (k = half; k < HTML_MAX_COLUMNS; k++)
			h->tracks[i]->state[k] = -1;
	memset(&h->cols[half], 0, sizeof(h->cols[0]) * (HTML_MAX_COLUMNS - half));
	h->nr_cols = half;
	h->span *= 2;
	return 0;
}

/* The column the next interval adds to: the last while it has room, else a new one. */
static int next_column(struct html_history *h, size_t *c)
{
	int err;

	if (!h->span)
		h->span = 1;
	if (h->nr_cols && h->cols[h->nr_cols - 1].intervals < h->span) {
		*c = h->nr_cols - 1;
		return 0;
	}
	if (h->nr_cols == HTML_MAX_COLUMNS && (err = compact(h)))
		return err;
	*c = h->nr_cols++;
	return 0;
}

int html_history__add(struct html_history *h, const struct output_frame *f)
{
	uint64_t end = (uint64_t)f->wall.tv_sec * 1000000000ULL + (uint64_t)f->wall.tv_nsec;
	size_t c, i, skipped = 0;
	int err = 0;

	if ((err = next_column(h, &c)))
		return err;
	if (!h->intervals++) {
		h->source = f->source;
		h->latency = f->latency;
		h->first_start_ns = end - (uint64_t)(f->interval_s * 1e9);
	}
	h->cols[c].end_ns = end;
	h->cols[c].seconds += f->interval_s;
	h->cols[c].intervals++;
	for (i = 0; i < f->nr_rows && !err; i++) {
		const struct frame_row *r = &f->rows[i];
		const char *target = f->source == FRAME_CALLS ? r->target : NULL;
		struct html_series *s;

		if (!r->count && !r->errors && !r->timeouts && !find_series(h, r->op, target, NULL))
			continue;	/* a function never called (lat/count over a glob) */
		if ((s = series_of(h, r->op, target, NULL, &err))) {
			s->labelled |= !!(r->has & FRAME_HAS_LABEL);
			err = err ? err : add_cell(s, c, r);
		} else {
			skipped++;
		}
		if (!(r->has & FRAME_HAS_LABEL) || err)
			continue;
		if ((s = series_of(h, r->op, NULL, &r->label, &err)))
			err = err ? err : add_cell(s, c, r);
		else
			skipped++;
	}
	if (skipped > h->rows_not_drawn)
		h->rows_not_drawn = skipped;
	for (i = 0; i < f->nr_states && !err; i++) {
		struct html_track *t = track_of(h, &f->states[i]);

		if (t)
			t->state[c] = (int16_t)frame_state_current(&f->states[i]);
	}
	return err ? err : html_history__add_events(h, f);
}

int html_history__add_events(struct html_history *h, const struct output_frame *f)
{
	size_t i;

	for (i = 0; i < f->events.nr; i++) {
		const struct frame_event *e = &f->events.v[i];
		struct html_event *x = &h->events[h->nr_events % HTML_MAX_EVENTS];

		free(x->op);
		free(x->label);
		*x = (struct html_event){
			.wall_ns = e->wall_ns, .latency_ns = e->latency_ns, .kind = e->kind,
			.slow = e->slow, .has_ret = e->has_ret, .pid = e->pid, .ret = e->ret,
			.op = strdup(e->op),
			.label = e->labelled && e->label.text ? strdup(e->label.text) : NULL,
		};
		if (!x->op)
			return -ENOMEM;
		h->nr_events++;
	}
	return 0;
}

const struct html_event *html_history__event(const struct html_history *h, size_t i)
{
	uint64_t first = h->nr_events > HTML_MAX_EVENTS ? h->nr_events - HTML_MAX_EVENTS : 0;

	return &h->events[(first + i) % HTML_MAX_EVENTS];
}

uint64_t html_column_start(const struct html_history *h, size_t c)
{
	return c ? h->cols[c - 1].end_ns : h->first_start_ns;
}

void html_history__free(struct html_history *h)
{
	size_t i;
	int k;

	for (i = 0; i < h->nr_series; i++)
		series_free(h->series[i]);
	for (i = 0; i < h->nr_tracks; i++) {
		free(h->tracks[i]->machine);
		for (k = 0; k < h->tracks[i]->nr_names; k++)
			free(h->tracks[i]->names[k]);
		free(h->tracks[i]);
	}
	for (i = 0; i < HTML_MAX_EVENTS; i++) {
		free(h->events[i].op);
		free(h->events[i].label);
	}
	memset(h, 0, sizeof(*h));
}
