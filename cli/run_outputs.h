/* SPDX-License-Identifier: MIT */
/*
 * The outputs a command line asks for (output/), opened in one place: the
 * one on stdout (text, the watch dashboard, or NDJSON) and each export
 * (--prometheus, --record, --html, --assert). A new output is one line here.
 */
#ifndef SYNCTRACE_RUN_OUTPUTS_H
#define SYNCTRACE_RUN_OUTPUTS_H

#include "cli/env.h"
#include "output/output.h"

/*
 * Open them into s. run->command, argv and start are filled here.
 * 0, or an exit code with the reason said (the ones opened are closed).
 */
int run_outputs__open(struct outputs *s, const struct env *env, struct run_info *run,
		      enum frame_source source);
/*
 * How often the maps are drained: -i, or every second when an output keeps
 * every interval (Prometheus, a recording, --assert-each) though none is printed; 0: only
 * at the end.
 */
double run_outputs__interval_s(const struct env *env);

#endif /* SYNCTRACE_RUN_OUTPUTS_H */
