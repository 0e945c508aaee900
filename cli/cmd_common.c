// SPDX-License-Identifier: MIT
/* What every command shares: error messages, and the checks before tracing. */
#include <stdarg.h>
#include <stdio.h>
#include "cli/commands.h"
#include "cli/loop.h"
#include "cli/privs.h"
#include "loader/proc_maps.h"

void report_error(const char *fmt, ...)
{
	va_list ap;

	fputs("synctrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* -p takes a process; a thread id is a usage error that names the process. */
static int check_not_thread(pid_t pid)
{
	pid_t tgid = proc_tgid(pid);

	if (tgid <= 0 || tgid == pid)
		return EXIT_OK;
	report_error("%d is a thread of pid %d: use -p %d", pid, tgid, tgid);
	return EXIT_USAGE;
}

int prepare_to_trace(const struct env *env, int *pidfd)
{
	char err[512];
	int rc;

	*pidfd = -1;
	if (check_privileges(err, sizeof(err)) || check_kernel(err, sizeof(err))) {
		report_error("%s", err);
		return EXIT_RUNTIME;
	}
	if (!env->pid)
		return EXIT_OK;
	if ((rc = check_not_thread(env->pid)))
		return rc;
	/* watch the pid before resolving, so an exit at any point is seen */
	if (proc_alive(env->pid) || (*pidfd = loop_watch_pid(env->pid)) < 0) {
		report_error("pid %d: no such process", env->pid);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}
