// SPDX-License-Identifier: MIT
/*
 * The record output alone (bench/RESULTS.md "Outputs"): frames of OPS ops x
 * LABELS labels (every row with a latency histogram, every other op a value
 * histogram too, numbers that change each interval) handed to the record
 * output (output/record.c) as synctrace hands them at 1 s intervals. Prints
 * the CPU time of each frame() (the interval's transaction) and the
 * database's size, as growth per hour at one interval a second.
 *
 * bench/output_cost measures --record in a real run, beside the other
 * outputs; this measures what that cannot: frame() alone (no BPF, no drain,
 * no root), with histograms as wide as chosen (~20 buckets a row: the worst
 * case, where real calls at ~1 a row a second fill one or two), and at other
 * sizes.
 *
 *   build/bench/record_cost [OPS LABELS FRAMES DIR]   (default 64 256 60 /tmp)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "output/open.h"

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long long size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (long long)st.st_size;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* A latency-like histogram: ~nr buckets around 100 us, counts from seed. */
static void fill(struct histogram *h, unsigned int *seed, int nr, uint64_t base)
{
	int i;

	hist_free(h);
	memset(h, 0, sizeof(*h));
	for (i = 0; i < nr; i++) {
		uint64_t v = base + base * (uint64_t)i / 4, n = 1 + rand_r(seed) % 50, k;

		for (k = 0; k < n; k++)
			hist_add_value(h, v);
	}
}

int main(int argc, char **argv)
{
	int nr_ops = argc > 1 ? atoi(argv[1]) : 64, nr_labels = argc > 2 ? atoi(argv[2]) : 256;
	int frames = argc > 3 ? atoi(argv[3]) : 60;
	const char *dir = argc > 4 ? argv[4] : "/tmp";
	size_t nr = (size_t)nr_ops * (size_t)nr_labels, i;
	struct frame_row *rows = calloc(nr, sizeof(*rows));
	struct histogram *lat = calloc(nr, sizeof(*lat)), *val = calloc(nr, sizeof(*val));
	struct frame_op *ops = calloc((size_t)nr_ops, sizeof(*ops));
	char (*names)[16] = calloc((size_t)nr_ops, 16), (*labels)[16] = calloc(nr, 16);
	struct frame_count drops[2] = { { "events_lost", 0 }, { "labels", 0 } };
	char *av[] = { "synctrace", "watch", "--record", "bench.db", NULL };
	struct run_info run = { .command = "watch", .argc = 4, .argv = av };
	double *cpu = calloc((size_t)frames, sizeof(*cpu)), total = 0;
	unsigned int seed = 1;
	char path[512];
	struct output *o;
	int f;

	if (!rows || !lat || !val || !ops || !names || !labels || !cpu || nr_ops > 64 ||
	    nr_ops < 1 || nr_labels < 1 || frames < 1)
		return 2;
	snprintf(path, sizeof(path), "%s/record_cost_%d.db", dir, (int)getpid());
	clock_gettime(CLOCK_REALTIME, &run.start);
	if (!(o = output_record_open(path, &run)))
		return 1;
	for (i = 0; i < (size_t)nr_ops; i++) {
		snprintf(names[i], 16, "op%zu", i);
		ops[i] = (struct frame_op){ .op = names[i], .labelled = true, .labels = nr_labels,
					    .has = FRAME_HAS_LATENCY | FRAME_HAS_LABEL |
						   FRAME_HAS_ERRORS | (i % 2 ? 0 : FRAME_HAS_VALUE) };
	}
	for (i = 0; i < nr; i++) {
		size_t op = i / (size_t)nr_labels;

		snprintf(labels[i], 16, "/r/%zu", i % (size_t)nr_labels);
		rows[i] = (struct frame_row){ .op = names[op], .has = ops[op].has,
			.label = { FRAME_LABEL_VALUE, true, (int64_t)(i % (size_t)nr_labels),
				   labels[i], "route" } };
	}
	for (f = 0; f < frames; f++) {
		struct output_frame fr = {
			.source = FRAME_OPS, .interval_s = 1.0, .nr_rows = nr, .rows = rows,
			.nr_ops = (size_t)nr_ops, .ops = ops, .nr_drops = 2, .drops = drops,
			.events = { .present = true },
		};
		double t0;

		for (i = 0; i < nr; i++) {
			fill(&lat[i], &seed, 20, 50000);
			rows[i].count = lat[i].count;
			rows[i].errors = rand_r(&seed) % 3;
			rows[i].latency = (struct frame_dist){ &lat[i], true, true, lat[i].min,
							       lat[i].max };
			if (rows[i].has & FRAME_HAS_VALUE) {
				fill(&val[i], &seed, 10, 1000);
				rows[i].value = (struct frame_dist){ &val[i], true, true, val[i].min,
								     val[i].max };
			}
		}
		clock_gettime(CLOCK_REALTIME, &fr.wall);
		t0 = cpu_s();
		if (o->ops->frame(o, &fr))
			return 1;
		cpu[f] = cpu_s() - t0;
		total += cpu[f];
	}
	o->ops->close(o);
	qsort(cpu, (size_t)frames, sizeof(*cpu), cmp_double);
	printf("| %d × %d | %zu | %d | %.1f | %.1f | %.1f | %.1f | %.2f |\n", nr_ops, nr_labels, nr,
	       frames, cpu[frames / 2] * 1e3, cpu[frames * 9 / 10] * 1e3, total / frames * 1e3,
	       (double)size_of(path) / frames / 1024, (double)size_of(path) / frames * 3600 / 1e9);
	unlink(path);
	return 0;
}
