// SPDX-License-Identifier: MIT
/*
 * --html FILE: one self-contained report page, written when the run ends
 * (or when `report` has replayed a recording): run info, the summary table,
 * per op (and label) a latency heat map with p50/p95/p99 lines and calls
 * per second with error %, state timelines, the events, and every number
 * as embedded JSON. No script runs and nothing is fetched: the page's CSP
 * forbids both. Written to a temporary file renamed at the end, so the
 * path never holds half a page.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "output/html.h"
#include "output/ndjson.h"
#include "output/open.h"

struct html_output {
	struct output base;
	char *path, *tmp;		/* tmp: where the page is written, then renamed */
	FILE *f;			/* tmp, open from the start: a bad path fails at once */
	struct html_run run;
	struct html_history h;
	json_object *summary;		/* the summary frame as --json writes it */
	int err;			/* the first frame() error */
};

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}"
	"h1{font-size:1.4em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}"
	"h3{font-size:1em;margin:1em 0 .3em}"
	"table{border-collapse:collapse;margin:.4em 0}td,th{padding:2px 8px;text-align:right;"
	"border-bottom:1px solid #eee}th{background:#f4f4f0}td.t,th.t{text-align:left}"
	"code{font:12px ui-monospace,monospace;word-break:break-all}"
	".chart{display:block;margin:.3em 0}.ax{font:11px sans-serif;fill:#555}"
	".pl{fill:none;stroke-width:1.6}.halo{fill:none;stroke:#fff;stroke-width:4;opacity:.7}"
	".key{display:inline-block;width:10px;height:10px;"
	"margin:0 4px 0 12px}.note{color:#666}";

static json_object *get(json_object *o, const char *k)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

/* A number cell: the exact value in data-v, and shown. */
static void num_cell(FILE *f, const char *key, json_object *v)
{
	if (!v) {
		fprintf(f, "<td data-k=\"%s\">-</td>", key);
		return;
	}
	fprintf(f, "<td data-k=\"%s\" data-v=\"%s\">%s</td>", key, json_object_get_string(v),
		json_object_get_string(v));
}

/* A duration cell: the exact ns in data-v, shown with its unit. */
static void ns_cell(FILE *f, const char *key, json_object *v)
{
	char buf[32];

	if (!v) {
		fprintf(f, "<td data-k=\"%s\">-</td>", key);
		return;
	}
	fprintf(f, "<td data-k=\"%s\" data-v=\"%s\">%s</td>", key, json_object_get_string(v),
		format_duration(buf, sizeof(buf), (double)json_object_get_uint64(v), UNIT_AUTO));
}

/* A label as the tables show it: the number, the string, "other", "none". */
static void label_text(FILE *f, json_object *row)
{
	json_object *l = get(row, "label");

	if (!json_object_object_get_ex(row, "label", NULL))
		return;
	html_text(f, l ? json_object_get_string(l) : "none");
}

static void summary_row(FILE *f, json_object *row, double seconds)
{
	json_object *count = get(row, "count"), *errors = get(row, "errors");
	json_object *lat = get(row, "latency_ns"), *target = get(row, "target");
	uint64_t n = json_object_get_uint64(count);

	fputs("<tr data-op=\"", f);
	html_text(f, json_object_get_string(get(row, "op")));
	fputs("\" data-label=\"", f);
	label_text(f, row);
	fputs("\"><td class=\"t\">", f);
	html_text(f, json_object_get_string(get(row, "op")));
	if (target && strcmp(json_object_get_string(target), json_object_get_string(get(row,
											"op")))) {
		fputs(" <code>", f);
		html_text(f, json_object_get_string(target));
		fputs("</code>", f);
	}
	fputs("</td><td class=\"t\">", f);
	label_text(f, row);
	fputs("</td>", f);
	num_cell(f, "count", count);
	num_cell(f, "errors", errors);
	if (errors && n)
		fprintf(f, "<td data-k=\"error_pct\">%.2f%%</td>",
			100.0 * (double)json_object_get_uint64(errors) / (double)n);
	else
		fputs("<td data-k=\"error_pct\">-</td>", f);
	num_cell(f, "timeouts", get(row, "timeouts"));
	fprintf(f, "<td data-k=\"rate\">%.4g/s</td>", seconds > 0 ? (double)n / seconds : 0);
	ns_cell(f, "p50", get(lat, "p50"));
	ns_cell(f, "p95", get(lat, "p95"));
	ns_cell(f, "p99", get(lat, "p99"));
	ns_cell(f, "max", get(lat, "max"));
	fputs("</tr>\n", f);
}

static void summary_table(FILE *f, json_object *summary)
{
	json_object *ops = get(summary, "ops");
	double seconds = json_object_get_double(get(summary, "interval_s"));
	size_t i, n = ops ? json_object_array_length(ops) : 0;

	fputs("<h2>Summary</h2>\n<table id=\"summary\"><thead><tr><th class=\"t\">op</th>"
	      "<th class=\"t\">label</th><th>calls</th><th>errors</th><th>error %</th>"
	      "<th>timeouts</th><th>rate</th><th>p50</th><th>p95</th><th>p99</th><th>max</th>"
	      "</tr></thead><tbody>\n", f);
	for (i = 0; i < n; i++)
		summary_row(f, json_object_array_get_idx(ops, i), seconds);
	fputs("</tbody></table>\n", f);
	if (!n)
		fputs("<p class=\"note\">No calls were traced.</p>\n", f);
}

static void run_table(FILE *f, const struct html_output *o)
{
	const struct html_history *h = &o->h;
	json_object *drops = get(o->summary, "drops");
	char when[48];
	size_t i;

	fputs("<table id=\"run\"><tr><th class=\"t\">command</th><td class=\"t\"><code>", f);
	for (i = 0; i < o->run.argc; i++) {
		fputs(i ? " " : "", f);
		html_text(f, o->run.argv[i]);
	}
	frame_time_text(o->run.start_ns, when, sizeof(when));
	fprintf(f, "</code></td></tr>\n<tr><th class=\"t\">started</th><td class=\"t\">%s</td>"
		"</tr>\n", when);
	if (h->nr_cols) {
		frame_time_text(h->cols[h->nr_cols - 1].end_ns, when, sizeof(when));
		fprintf(f, "<tr><th class=\"t\">ended</th><td class=\"t\">%s</td></tr>\n"
			"<tr><th class=\"t\">intervals</th><td class=\"t\">%llu, drawn as %zu "
			"columns of %u each</td></tr>\n", when, (unsigned long long)h->intervals,
			h->nr_cols, h->span);
	}
	fputs("<tr><th class=\"t\">drops</th><td class=\"t\" id=\"drops\">", f);
	json_object_object_foreach(drops, k, v) {
		if (json_object_get_uint64(v)) {
			html_text(f, k);
			fprintf(f, " %s; ", json_object_get_string(v));
		}
	}
	fputs("</td></tr></table>\n", f);
	if (h->rows_not_drawn)
		fprintf(f, "<p class=\"note\">%llu rows are not drawn: a page draws %d series, "
			"%d of them labels (their calls are in their op's totals and the summary)."
			"</p>\n", (unsigned long long)h->rows_not_drawn, HTML_MAX_SERIES,
			HTML_MAX_LABEL_SERIES);
}

static void series_charts(FILE *f, const struct html_history *h, const struct html_series *s)
{
	if (s->label) {
		fputs("<h3>", f);
		html_text(f, s->op);
		fputs(" <span class=\"note\">label</span> ", f);
		html_text(f, s->kind == FRAME_LABEL_NONE ? "none" : s->label);
		fputs("</h3>\n", f);
	}
	if (s->has & FRAME_HAS_LATENCY)
		html_svg_heatmap(f, h, s);
	html_svg_rate(f, h, s);
}

static void op_sections(FILE *f, const struct html_history *h)
{
	size_t i, k;

	for (i = 0; i < h->nr_series; i++) {
		const struct html_series *s = h->series[i];

		if (s->label)
			continue;
		fprintf(f, "<section class=\"op\" id=\"op-%zu\"><h2>", i);
		html_text(f, s->op);
		if (s->target && strcmp(s->target, s->op)) {
			fputs(" <code>", f);
			html_text(f, s->target);
			fputs("</code>", f);
		}
		fputs(s->labelled ? " <span class=\"note\">(all labels)</span></h2>\n" : "</h2>\n",
		      f);
		series_charts(f, h, s);
		for (k = 0; k < h->nr_series; k++)
			if (h->series[k]->label && !strcmp(h->series[k]->op, s->op))
				series_charts(f, h, h->series[k]);
		fputs("</section>\n", f);
	}
}

static void states_section(FILE *f, const struct html_history *h, json_object *summary)
{
	json_object *states = get(summary, "states");
	size_t i, n = states ? json_object_array_length(states) : 0;
	int k;

	if (!h->nr_tracks && !n)
		return;
	fputs("<h2>States</h2>\n", f);
	for (i = 0; i < h->nr_tracks; i++) {
		if (i && !strcmp(h->tracks[i]->machine, h->tracks[i - 1]->machine))
			continue;
		fputs("<p>", f);
		html_text(f, h->tracks[i]->machine);
		fputs(":", f);
		for (k = 0; k < h->tracks[i]->nr_names; k++) {
			fprintf(f, "<span class=\"key\" style=\"background:%s\"></span>",
				html_state_colour(k));
			html_text(f, h->tracks[i]->names[k]);
		}
		fputs("</p>\n", f);
	}
	if (h->nr_tracks && h->nr_cols)
		html_svg_states(f, h);
	fputs("<table id=\"states\"><tr><th class=\"t\">machine</th><th>pid</th>"
	      "<th class=\"t\">now</th><th>calls</th><th class=\"t\">time in each</th></tr>\n", f);
	for (i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(states, i);

		fputs("<tr><td class=\"t\">", f);
		html_text(f, json_object_get_string(get(s, "machine")));
		fputs("</td>", f);
		num_cell(f, "pid", get(s, "pid"));
		fputs("<td class=\"t\">", f);
		html_text(f, json_object_get_string(get(s, "current")));
		fputs("</td>", f);
		num_cell(f, "calls", get(s, "calls"));
		fputs("<td class=\"t\">", f);
		json_object_object_foreach(get(s, "time_in_ns"), name, ns) {
			char buf[32];

			html_text(f, name);
			fprintf(f, " %s; ", format_duration(buf, sizeof(buf),
							     json_object_get_double(ns), UNIT_AUTO));
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

static void events_section(FILE *f, const struct html_history *h, json_object *summary)
{
	static const char *const kinds[] = { "error", "slow", "timeout" };
	uint64_t n = h->nr_events < HTML_MAX_EVENTS ? h->nr_events : HTML_MAX_EVENTS;
	json_object *ev = get(summary, "events");
	char when[48], lat[32];
	size_t i;

	if (!ev && !n)
		return;
	fputs("<h2>Events</h2>\n", f);
	if (ev)
		fprintf(f, "<p id=\"event-counts\">errors %s, slow %s, timeouts %s, lost %s "
			"<span class=\"note\">(the newest %d are kept here)</span></p>\n",
			json_object_get_string(get(ev, "errors")),
			json_object_get_string(get(ev, "slow")),
			json_object_get_string(get(ev, "timeouts")),
			json_object_get_string(get(ev, "lost")), HTML_MAX_EVENTS);
	fputs("<table id=\"events\"><tr><th class=\"t\">time (UTC)</th><th class=\"t\">op</th>"
	      "<th class=\"t\">kind</th><th>pid</th><th class=\"t\">label</th><th>ret</th>"
	      "<th>latency</th></tr>\n", f);
	for (i = 0; i < n; i++) {
		const struct html_event *e = html_history__event(h, i);

		frame_time_text(e->wall_ns, when, sizeof(when));
		fprintf(f, "<tr><td class=\"t\">%s</td><td class=\"t\">", when);
		html_text(f, e->op);
		fprintf(f, "</td><td class=\"t\">%s%s</td><td>%u</td><td class=\"t\">",
			kinds[e->kind], e->slow && e->kind == FRAME_EV_ERROR ? ", slow" : "",
			e->pid);
		html_text(f, e->label ? e->label : "");
		if (e->has_ret)
			fprintf(f, "</td><td>%lld</td>", (long long)e->ret);
		else
			fputs("</td><td>-</td>", f);
		fprintf(f, "<td>%s</td></tr>\n", format_duration(lat, sizeof(lat),
							       (double)e->latency_ns, UNIT_AUTO));
	}
	fputs("</table>\n", f);
}

static void page(FILE *f, struct html_output *o)
{
	json_object *data = html_data_json(&o->h, &o->run, o->summary);

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n<title>synctrace ", f);
	html_text(f, o->run.command);
	fprintf(f, " report</title>\n<style>%s</style></head><body>\n<h1>synctrace ", style);
	html_text(f, o->run.command);
	fputs("</h1>\n", f);
	run_table(f, o);
	summary_table(f, o->summary);
	states_section(f, &o->h, o->summary);
	if (o->h.nr_cols)
		op_sections(f, &o->h);
	events_section(f, &o->h, o->summary);	/* last: the longest table */
	fputs("<script type=\"application/json\" id=\"synctrace-data\">", f);
	html_json_script(f, json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN));
	fputs("</script>\n</body></html>\n", f);
	json_object_put(data);
}

static int html_frame(struct output *base, const struct output_frame *f)
{
	struct html_output *o = (struct html_output *)base;
	struct view all = { .unit = UNIT_AUTO };
	int err = 0;

	if (!f->summary) {
		err = html_history__add(&o->h, f);
	} else {
		json_object_put(o->summary);
		o->summary = f->source == FRAME_CALLS ? ndjson_calls_frame(&all, f) :
							ndjson_ops_frame(f);
		if (!o->summary)
			err = -ENOMEM;
		/* a run shorter than one interval: the summary is its only column */
		else if (!o->h.intervals)
			err = html_history__add(&o->h, f);
	}
	if (err && !o->err)
		o->err = err;
	return err;
}

static void html_free(struct html_output *o)
{
	size_t i;

	if (o->f)
		fclose(o->f);
	if (o->tmp)
		unlink(o->tmp);
	json_object_put(o->summary);
	html_history__free(&o->h);
	for (i = 0; i < o->run.argc; i++)
		free(o->run.argv[i]);
	free(o->run.argv);
	free(o->run.command);
	free(o->path);
	free(o->tmp);
	free(o);
}

static int html_close(struct output *base)
{
	struct html_output *o = (struct html_output *)base;
	int err = o->err, rc = 0;

	if (!o->summary && !o->h.intervals) {
		html_free(o);	/* the run failed before it traced: no page, no temporary */
		return 0;
	}
	if (!err) {
		page(o->f, o);
		if (fflush(o->f) || ferror(o->f) || fsync(fileno(o->f)))
			err = errno ? -errno : -EIO;
	}
	if (fclose(o->f) && !err)
		err = -errno;
	o->f = NULL;
	if (!err && rename(o->tmp, o->path))
		err = -errno;
	if (!err) {
		free(o->tmp);	/* renamed: nothing to remove */
		o->tmp = NULL;
	} else {
		fprintf(stderr, "synctrace: --html %s: %s\n", o->path, strerror(-err));
		rc = 1;
	}
	html_free(o);
	return rc;
}

static const struct output_ops html_ops = {
	.name = "html", .frame = html_frame, .close = html_close,
};

static int copy_run(struct html_run *r, const struct run_info *run)
{
	int i;

	r->start_ns = (uint64_t)run->start.tv_sec * 1000000000ULL + (uint64_t)run->start.tv_nsec;
	if (!(r->command = strdup(run->command ? run->command : "")) ||
	    !(r->argv = calloc(run->argc > 0 ? (size_t)run->argc : 1, sizeof(*r->argv))))
		return -ENOMEM;
	for (i = 0; i < run->argc; i++, r->argc++)
		if (!(r->argv[i] = strdup(run->argv[i] ? run->argv[i] : "")))
			return -ENOMEM;
	return 0;
}

struct output *output_html_open(const char *path, const struct run_info *run)
{
	struct html_output *o = calloc(1, sizeof(*o));
	char *tmp = NULL;
	struct stat st;
	int fd = -1, err = -ENOMEM;

	if (!o || !(o->path = strdup(path)) || copy_run(&o->run, run) ||
	    asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		goto cleanup;
	}
	if (!*path || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
		err = *path ? -EISDIR : -ENOENT;
		goto cleanup;
	}
	/* beside the page, so that the rename is atomic; made now, so a bad path fails now */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		err = -errno;
		goto cleanup;
	}
	o->tmp = tmp;		/* from here on removed unless renamed */
	tmp = NULL;
	fchmod(fd, 0644);
	if (!(o->f = fdopen(fd, "w"))) {
		err = -errno;
		close(fd);
		goto cleanup;
	}
	o->base.ops = &html_ops;
	return &o->base;
cleanup:
	fprintf(stderr, "synctrace: --html %s: %s\n", path, strerror(-err));
	free(tmp);
	if (o)
		html_free(o);
	return NULL;
}
