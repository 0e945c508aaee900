/* SPDX-License-Identifier: MIT */
/*
 * The outputs a command line asks for (output/), opened in one place: the
 * one on stdout (text, the watch dashboard, or NDJSON) and each export
 * (--prometheus, --record, --html, --assert). A new output is one line here.
 */
#ifndef SYNCTRACE_RUN_OUTPUTS_H
#define SYNCTRACE_RUN_OUTPUTS_H

#include "cli/env.h"
#include "loader/attach.h"
#include "output/output.h"

/*
 * Open them into s. run->command, argv and start are filled here.
 * 0, or an exit code with the reason said (the ones opened are closed).
 */
int run_outputs__open(struct outputs *s, const struct env *env, struct run_info *run,
		      enum frame_source source);
/*
 * The same outputs for frames that are not live (report replays a
 * recording; run is the recording's): live = false never redraws a
 * terminal. 0, or an exit code with the reason said.
 */
int run_outputs__add(struct outputs *s, const struct env *env, const struct run_info *run,
		     enum frame_source source, bool live);
/*
 * run->binaries: each file of sites once, with its GNU build-id (hex, ""
 * when it has none), when an output keeps the run (--record, --html):
 * reading build-ids costs a run without them nothing. Before
 * run_outputs__open; freed by run_outputs__free_run after the outputs close.
 */
void run_outputs__binaries(struct run_info *run, const struct env *env,
			   const struct probe_site *sites, size_t n);
void run_outputs__free_run(struct run_info *run);
/*
 * How often the maps are drained: -i, or every second when an output keeps
 * every interval (Prometheus, a recording, --assert-each) though none is printed; 0: only
 * at the end.
 */
double run_outputs__interval_s(const struct env *env);

#endif /* SYNCTRACE_RUN_OUTPUTS_H */
