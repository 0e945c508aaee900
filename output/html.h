/* SPDX-License-Identifier: MIT */
/*
 * Inside the HTML report (html.c): the bounded history of a run's intervals
 * it keeps (html_history.c), the escaping of traced text (html_escape.c)
 * and the SVG charts drawn from the history (html_svg.c).
 */
#ifndef SYNCTRACE_OUTPUT_HTML_H
#define SYNCTRACE_OUTPUT_HTML_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>
#include "output/frame.h"

/*
 * Time columns kept: when full, neighbours are merged pairwise (exact, as
 * counts and histograms add) and each column then spans twice as many
 * intervals. A run of any length costs at most this many columns.
 */
#define HTML_MAX_COLUMNS 120
/* Rows drawn: every op (or lat/count function) with calls, up to the first... */
#define HTML_MAX_SERIES 128
/* ...of which labels (watch's by=) at most these; the rest are in their op's total. */
#define HTML_MAX_LABEL_SERIES 64
/* State machines in processes drawn, and events kept (the newest). */
#define HTML_MAX_TRACKS 64
#define HTML_MAX_EVENTS 200

/* One series in one column: its numbers added over the column's intervals. */
struct html_cell {
	uint64_t count, errors, timeouts;
	struct histogram lat;		/* ns; empty without FRAME_HAS_LATENCY */
};

struct html_column {
	uint64_t end_ns;		/* wall clock at the end of its last interval */
	double seconds;			/* the time its intervals cover */
	unsigned int intervals;
};

/* An op's total (label NULL), one of its labels, or a lat/count function. */
struct html_series {
	char *op, *target;		/* target: lat/count's function; else NULL */
	char *label;			/* the label's text; NULL: the op's total */
	enum frame_label_kind kind;	/* with a label */
	bool is_string;
	int64_t number;
	bool labelled;			/* the op has labels (then label NULL is their sum) */
	unsigned int has;		/* enum frame_has, of the rows seen */
	struct html_cell *cells;	/* [HTML_MAX_COLUMNS] */
};

/* A state machine in one process: its current state at the end of each column. */
struct html_track {
	char *machine;
	uint32_t pid;
	int nr_names;
	char *names[STATE_VALUES];
	int16_t state[HTML_MAX_COLUMNS];	/* slot, or -1 when not seen in that column */
};

struct html_event {
	uint64_t wall_ns, latency_ns;
	char *op, *label;		/* label NULL: the op has none */
	enum frame_event_kind kind;
	bool slow, has_ret;
	uint32_t pid;
	int64_t ret;
};

struct html_history {
	enum frame_source source;
	bool latency;			/* FRAME_CALLS: lat */
	struct html_column cols[HTML_MAX_COLUMNS];
	size_t nr_cols;
	unsigned int span;		/* intervals per full column: 1, 2, 4... */
	uint64_t intervals;		/* seen, in all */
	uint64_t first_start_ns;	/* wall clock at the start of the first interval */
	struct html_series *series[HTML_MAX_SERIES];
	uint16_t index[HTML_MAX_SERIES * 2];	/* open addressing by key: series + 1, or 0 */
	size_t nr_series, nr_label_series;
	uint64_t rows_not_drawn;	/* distinct rows past the caps (their calls are in totals) */
	struct html_track *tracks[HTML_MAX_TRACKS];
	size_t nr_tracks;
	struct html_event events[HTML_MAX_EVENTS];	/* a ring: the newest kept */
	uint64_t nr_events;		/* seen, in all */
};

/* The run, copied from struct run_info at open. */
struct html_run {
	char *command;
	size_t argc;
	char **argv;
	uint64_t start_ns;		/* wall clock */
};

/* Add an interval frame (not a summary). 0 or -ENOMEM. */
int html_history__add(struct html_history *h, const struct output_frame *f);
/* Events of a frame, the newest kept (intervals' are new ones; a summary's, the last few). */
int html_history__add_events(struct html_history *h, const struct output_frame *f);
/* The i-th kept event, oldest first (i < min(nr_events, HTML_MAX_EVENTS)). */
const struct html_event *html_history__event(const struct html_history *h, size_t i);
void html_history__free(struct html_history *h);
/* Wall-clock start of column c. */
uint64_t html_column_start(const struct html_history *h, size_t c);

/* Text as HTML character data or an attribute value: &<>"' escaped, control
 * bytes and bytes that are not UTF-8 shown as \xNN, never raw. */
void html_text(FILE *f, const char *s);
/* JSON text inside <script type="application/json">: '<', '>' and '&' (only
 * ever inside JSON strings) as \u escapes, so no "</script>" or "<!--" can
 * end the element; bytes that are not UTF-8 as \ufffd. */
void html_json_script(FILE *f, const char *json);

/* The page's embedded numbers (html_data.c); summary: the --json summary, or NULL. */
json_object *html_data_json(const struct html_history *h, const struct html_run *run,
			    json_object *summary);

/* SVG charts (html_svg.c). */
void html_svg_heatmap(FILE *f, const struct html_history *h, const struct html_series *s);
void html_svg_rate(FILE *f, const struct html_history *h, const struct html_series *s);
void html_svg_states(FILE *f, const struct html_history *h);
/* The colour state slot i is drawn in. */
const char *html_state_colour(int i);

#endif /* SYNCTRACE_OUTPUT_HTML_H */
