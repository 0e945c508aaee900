/* SPDX-License-Identifier: MIT */
/* The commands; each returns the process exit code. */
#ifndef SYNCTRACE_COMMANDS_H
#define SYNCTRACE_COMMANDS_H

#include <stddef.h>
#include "cli/env.h"

int cmd_trace(const struct env *env);	/* lat and count */
int cmd_list(const struct env *env);
int cmd_watch(const struct env *env);
int cmd_net(const struct env *env);	/* http and pg */
/* The sockets of env->pid for the parsers in protos (enum net_proto): http, pg, and
 * watch --profile http|pg, whose outputs env's command picks. */
int net_command(const struct env *env, unsigned int protos);
/* diff BASE NEW: argv[0] is "diff"; exit 0 ok, 1 warn, 3 fail, 2 usage */
int cmd_diff(int argc, char **argv);
/* report and mark parse their own command lines (cmd_report.c) */
int cmd_report(int argc, char **argv);
int cmd_mark(int argc, char **argv);

/*
 * Before tracing: privileges, kernel support, and with -p a process (not a
 * thread) that exists, watched through *pidfd (-1 without -p). Returns an
 * exit code, EXIT_OK to go on; the error is already reported.
 */
int prepare_to_trace(const struct env *env, int *pidfd);

/*
 * The kernel memory synctrace's maps may take, preallocated (512 MiB, or
 * SYNCTRACE_MAP_BUDGET_MB): a run that would take more is refused before
 * anything is loaded.
 */
unsigned long long map_budget(void);
/* "1.02 GiB", "768 KiB". */
const char *format_bytes(char *buf, size_t len, unsigned long long bytes);

/* "synctrace: " + message on stderr. */
void report_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* SYNCTRACE_COMMANDS_H */
