/* SPDX-License-Identifier: MIT */
/* The commands; each returns the process exit code. */
#ifndef SYNCTRACE_COMMANDS_H
#define SYNCTRACE_COMMANDS_H

#include "cli/env.h"

int cmd_trace(const struct env *env);	/* lat and count */
int cmd_list(const struct env *env);
int cmd_watch(const struct env *env);

/*
 * Before tracing: privileges, kernel support, and with -p a process (not a
 * thread) that exists, watched through *pidfd (-1 without -p). Returns an
 * exit code, EXIT_OK to go on; the error is already reported.
 */
int prepare_to_trace(const struct env *env, int *pidfd);

/* "synctrace: " + message on stderr. */
void report_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SYNCTRACE_COMMANDS_H */
