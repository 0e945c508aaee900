// SPDX-License-Identifier: MIT
/* What every command shares: error messages, and the checks before tracing. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include "cli/commands.h"
#include "cli/loop.h"
#include "cli/privs.h"
#include "loader/proc_maps.h"

#define MAP_BUDGET_DEFAULT_MB 512ULL

unsigned long long map_budget(void)
{
	const char *env = getenv("SYNCTRACE_MAP_BUDGET_MB");
	unsigned long long mb = MAP_BUDGET_DEFAULT_MB;
	char *end;

	if (env && *env) {
		errno = 0;
		mb = strtoull(env, &end, 10);
		if (errno || *end || !mb || mb > (1ULL << 30))
			mb = MAP_BUDGET_DEFAULT_MB;
	}
	return mb << 20;
}

const char *format_bytes(char *buf, size_t len, unsigned long long bytes)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.3g %s" : "%.0f %s", v, units[u]);
	return buf;
}

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
