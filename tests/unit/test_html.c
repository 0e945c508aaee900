// SPDX-License-Identifier: MIT
/* The HTML report: escaping of traced text, the bounded history's exact
 * pairwise merging, and the page appearing whole, at close only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <json-c/json.h>
#include "output/html.h"
#include "output/open.h"
#include "helpers.h"

#define HOSTILE "</script><img src=x onerror=alert(1)><!--<script>&\"'"

static char *render(void (*fn)(FILE *, const char *), const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, s);
	fclose(f);
	return buf;
}

static void test_html_text_escapes_markup_controls_and_bad_utf8(void **state)
{
	char *out = render(html_text, HOSTILE "\n\x01\xff\xc3\xa9\xe2\x82");

	assert_string_equal(out, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&lt;!--"
			    "&lt;script&gt;&amp;&quot;&#39;\\x0a\\x01\\xff\xc3\xa9\\xe2\\x82");
	free(out);
	out = render(html_text, NULL);
	assert_string_equal(out, "");
	free(out);
}

static void test_json_in_script_cannot_end_the_element(void **state)
{
	json_object *o = json_object_new_object(), *back, *v;
	char *out;

	json_object_object_add(o, "label", json_object_new_string(HOSTILE "\xff"));
	out = render(html_json_script, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					JSON_C_TO_STRING_NOSLASHESCAPE));
	assert_null(strchr(out, '<'));
	assert_null(strchr(out, '>'));
	assert_null(strchr(out, '&'));
	assert_null(strchr(out, '\xff'));
	back = json_tokener_parse(out);
	assert_non_null(back);
	assert_true(json_object_object_get_ex(back, "label", &v));
	assert_string_equal(json_object_get_string(v), HOSTILE "\xef\xbf\xbd");
	json_object_put(back);
	json_object_put(o);
	free(out);
}

/* Interval i (from 0) of a one-row lat frame, or a summary: i + 1 calls of (i + 1) us each. */
static void feed(struct output *out, struct html_history *h, int i, bool summary)
{
	struct histogram lat = { 0 };
	struct frame_row row = { .op = "push", .target = "/bin/x:push", .has = FRAME_HAS_LATENCY };
	struct output_frame f = { .source = FRAME_CALLS, .latency = true, .interval_s = 0.5,
				  .nr_rows = 1, .rows = &row, .summary = summary };
	int k;

	for (k = 0; k <= i; k++)
		assert_int_equal(hist_add_value(&lat, (uint64_t)(i + 1) * 1000), 0);
	row.count = lat.count;
	row.latency.h = &lat;
	f.wall.tv_sec = 1700000000 + i / 2;
	f.wall.tv_nsec = (i % 2) * 500000000L;
	if (h)
		assert_int_equal(html_history__add(h, &f), 0);
	if (out)
		assert_int_equal(out->ops->frame(out, &f), 0);
	hist_free(&lat);
}

static void test_history_merges_neighbours_exactly_in_bounded_columns(void **state)
{
	struct html_history *h = calloc(1, sizeof(*h));
	const int n = 1000;
	uint64_t first = 0, calls = 0;
	size_t c;
	int i, k;

	for (i = 0; i < n; i++) {
		feed(NULL, h, i, false);
		assert_true(h->nr_cols <= HTML_MAX_COLUMNS);
	}
	assert_int_equal(h->nr_series, 1);
	assert_int_equal(h->intervals, n);
	assert_int_equal(h->span, 16);		/* 1000 intervals / 120 columns: 4 halvings */
	for (c = 0; c < h->nr_cols; c++) {
		const struct html_cell *x = &h->series[0]->cells[c];
		uint64_t want = 0, sum = 0;

		assert_true(h->cols[c].intervals == h->span || c == h->nr_cols - 1);
		/* column c holds intervals first..first+intervals-1, nothing else */
		for (k = 0; k < (int)h->cols[c].intervals; k++) {
			want += first + k + 1;
			sum += (first + k + 1) * (first + k + 1) * 1000;
		}
		assert_int_equal(x->count, want);
		assert_int_equal(x->lat.count, want);
		assert_int_equal(x->lat.sum, sum);
		assert_true(h->cols[c].seconds == 0.5 * h->cols[c].intervals);
		first += h->cols[c].intervals;
		calls += x->count;
	}
	assert_int_equal(first, n);
	assert_int_equal(calls, (uint64_t)n * (n + 1) / 2);
	assert_int_equal(h->cols[h->nr_cols - 1].end_ns, (1700000000ULL + (n - 1) / 2) *
			 1000000000ULL + 500000000ULL);
	html_history__free(h);
	free(h);
}

/* The page at path, NUL-terminated. */
/* A machine's state, interval after interval: each column keeps its last interval's. */
static void test_state_timeline_keeps_each_columns_last_state_through_merges(void **state)
{
	struct html_history *h = calloc(1, sizeof(*h));
	static const char *const names[] = { "idle", "syncing", "closed" };
	struct state_rec rec = { 0 };
	struct frame_state st = { .machine = "conn", .pid = 42, .names = names, .nr_names = 3,
				  .rec = &rec };
	struct output_frame f = { .source = FRAME_OPS, .interval_s = 1, .nr_states = 1,
				  .states = &st };
	size_t c;
	int i;

	for (i = 0; i < 300; i++) {
		rec.cur_since = (uint64_t)i << 8 | (uint64_t)(i % 3);	/* slot in the low bits */
		assert_int_equal(html_history__add(h, &f), 0);
	}
	assert_int_equal(h->nr_tracks, 1);
	assert_int_equal(h->span, 4);
	assert_int_equal(h->nr_cols, 75);
	for (c = 0; c < h->nr_cols; c++)
		assert_int_equal(h->tracks[0]->state[c], (4 * c + 3) % 3);
	for (; c < HTML_MAX_COLUMNS; c++)
		assert_int_equal(h->tracks[0]->state[c], -1);
	assert_string_equal(h->tracks[0]->names[2], "closed");
	html_history__free(h);
	free(h);
}

/* 300 labels of one op, twice: the first HTML_MAX_LABEL_SERIES drawn, the rest in the op's total; found again by key. */
static void test_labels_past_the_cap_are_counted_in_the_total_only(void **state)
{
	struct html_history *h = calloc(1, sizeof(*h));
	struct frame_row *rows = calloc(300, sizeof(*rows));
	struct output_frame f = { .source = FRAME_OPS, .interval_s = 1, .nr_rows = 300,
				  .rows = rows };
	char (*text)[16] = calloc(300, 16);
	size_t i, k;
	uint64_t labelled = 0;

	for (i = 0; i < 300; i++) {
		snprintf(text[i], 16, "%zu", i);
		rows[i] = (struct frame_row){ .op = "pulled", .count = i + 1, .has = FRAME_HAS_LABEL,
			.label = { .kind = FRAME_LABEL_VALUE, .number = (int64_t)i,
				   .text = text[i] } };
	}
	for (k = 0; k < 2; k++)
		assert_int_equal(html_history__add(h, &f), 0);
	assert_int_equal(h->nr_series, 1 + HTML_MAX_LABEL_SERIES);
	assert_int_equal(h->rows_not_drawn, 300 - HTML_MAX_LABEL_SERIES);
	assert_null(h->series[0]->label);
	assert_int_equal(h->series[0]->cells[0].count + h->series[0]->cells[1].count,
			 2 * 300 * 301 / 2);
	for (i = 1; i < h->nr_series; i++) {
		assert_string_equal(h->series[i]->label, text[i - 1]);
		assert_int_equal(h->series[i]->cells[1].count, i);	/* the same series again */
		labelled += h->series[i]->cells[0].count;
	}
	assert_int_equal(labelled, HTML_MAX_LABEL_SERIES * (HTML_MAX_LABEL_SERIES + 1) / 2);
	html_history__free(h);
	free(h);
	free(rows);
	free(text);
}

static char *read_page(const char *path)
{
	size_t len;
	unsigned char *raw = read_whole_file(path, &len);
	char *page = strndup((char *)raw, len);

	free(raw);
	assert_int_equal(strlen(page), len);
	return page;
}

static char *data_block(const char *page)
{
	const char *open = "<script type=\"application/json\" id=\"synctrace-data\">";
	const char *a = strstr(page, open), *b;

	assert_non_null(a);
	a += strlen(open);
	b = strstr(a, "</script>");
	assert_non_null(b);
	assert_null(strstr(b + 1, "<script"));		/* one script element only */
	return strndup(a, (size_t)(b - a));
}

static void test_page_appears_whole_at_close_with_hostile_label_escaped(void **state)
{
	char path[512], *argv[] = { "synctrace", "watch", "--op", HOSTILE };
	struct run_info run = { .command = "watch", .argc = 4, .argv = argv };
	struct histogram lat = { 0 };
	struct frame_row row = { .op = "req", .count = 3, .errors = 1,
				 .has = FRAME_HAS_LABEL | FRAME_HAS_ERRORS | FRAME_HAS_LATENCY,
				 .label = { .kind = FRAME_LABEL_VALUE, .is_string = true,
					    .text = HOSTILE, .name = "arg0" },
				 .latency = { .h = &lat } };
	struct output_frame f = { .source = FRAME_OPS, .interval_s = 1, .nr_rows = 1,
				  .rows = &row, .wall = { 1700000000, 0 } };
	json_object *d, *series, *summary, *ops, *v;
	struct output *out;
	struct stat st;
	char *page, *data;

	snprintf(path, sizeof(path), "%s/report.html", scratch_dir);
	hist_add_value(&lat, 100);
	hist_add_value(&lat, 200);
	hist_add_value(&lat, 300);
	out = output_html_open(path, &run);
	assert_non_null(out);
	assert_int_equal(out->ops->frame(out, &f), 0);
	f.summary = true;
	assert_int_equal(out->ops->frame(out, &f), 0);
	assert_int_equal(stat(path, &st), -1);		/* nothing at the path before close */
	assert_int_equal(out->ops->close(out), 0);
	page = read_page(path);
	assert_null(strstr(page, "<img"));
	assert_null(strstr(page, "<!--"));
	assert_non_null(strstr(page, "&lt;img src=x onerror=alert(1)&gt;"));
	data = data_block(page);
	d = json_tokener_parse(data);
	assert_non_null(d);
	assert_true(json_object_object_get_ex(d, "series", &series));
	assert_int_equal(json_object_array_length(series), 2);	/* the op's total, its label */
	assert_true(json_object_object_get_ex(json_object_array_get_idx(series, 1), "label", &v));
	assert_string_equal(json_object_get_string(v), HOSTILE);
	assert_true(json_object_object_get_ex(d, "summary", &summary));
	assert_true(json_object_object_get_ex(summary, "ops", &ops));
	assert_true(json_object_object_get_ex(json_object_array_get_idx(ops, 0), "count", &v));
	assert_int_equal(json_object_get_int64(v), 3);
	assert_true(json_object_object_get_ex(d, "argv", &v));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 3)), HOSTILE);
	json_object_put(d);
	free(data);
	free(page);
	hist_free(&lat);
	unlink(path);
}

static void test_unwritable_path_fails_at_open_not_at_the_end(void **state)
{
	char *argv[] = { "synctrace" };
	struct run_info run = { .command = "lat", .argc = 1, .argv = argv };

	assert_null(output_html_open("/nonexistent-synctrace-dir/x.html", &run));
	assert_null(output_html_open(scratch_dir, &run));	/* a directory */
	assert_null(output_html_open("", &run));
}

static void test_run_that_never_traced_leaves_no_file(void **state)
{
	char path[512], *argv[] = { "synctrace" };
	struct run_info run = { .command = "watch", .argc = 1, .argv = argv };
	struct output *out;
	struct dirent *e;
	struct stat st;
	DIR *d;

	snprintf(path, sizeof(path), "%s/never.html", scratch_dir);
	out = output_html_open(path, &run);
	assert_non_null(out);
	assert_int_equal(out->ops->close(out), 0);
	assert_int_equal(stat(path, &st), -1);
	d = opendir(scratch_dir);	/* nor its temporary beside it */
	assert_non_null(d);
	while ((e = readdir(d)))
		assert_null(strstr(e->d_name, "never"));
	closedir(d);
}

static void test_many_intervals_through_the_output_keep_the_summary(void **state)
{
	char path[512], *argv[] = { "synctrace" };
	struct run_info run = { .command = "lat", .argc = 1, .argv = argv };
	struct output *out;
	char *page;
	int i;

	snprintf(path, sizeof(path), "%s/long.html", scratch_dir);
	out = output_html_open(path, &run);
	assert_non_null(out);
	for (i = 0; i < 500; i++)
		feed(out, NULL, i, false);
	feed(out, NULL, 6, true);	/* 7 calls */
	assert_int_equal(out->ops->close(out), 0);
	page = read_page(path);
	assert_non_null(strstr(page, "500, drawn as 63 columns of 8 each"));
	assert_non_null(strstr(page, "<td data-k=\"count\" data-v=\"7\">7</td>"));
	free(page);
	unlink(path);
}

int main(void)
{
	char dir[] = "/tmp/synctrace-html-XXXXXX";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html_text_escapes_markup_controls_and_bad_utf8),
		cmocka_unit_test(test_json_in_script_cannot_end_the_element),
		cmocka_unit_test(test_history_merges_neighbours_exactly_in_bounded_columns),
		cmocka_unit_test(test_state_timeline_keeps_each_columns_last_state_through_merges),
		cmocka_unit_test(test_labels_past_the_cap_are_counted_in_the_total_only),
		cmocka_unit_test(test_page_appears_whole_at_close_with_hostile_label_escaped),
		cmocka_unit_test(test_unwritable_path_fails_at_open_not_at_the_end),
		cmocka_unit_test(test_run_that_never_traced_leaves_no_file),
		cmocka_unit_test(test_many_intervals_through_the_output_keep_the_summary),
	};

	scratch_dir = dir;
	return cmocka_run_group_tests(tests, scratch_dir_setup, scratch_dir_teardown);
}
