/* SPDX-License-Identifier: MIT */
/*
 * The tracing main loop: waits for the next interval, the end of -d,
 * Ctrl-C/SIGTERM, or the exit of the -p process, whichever comes first.
 */
#ifndef SYNCTRACE_LOOP_H
#define SYNCTRACE_LOOP_H

#include <stdbool.h>
#include <sys/types.h>

enum loop_end { LOOP_SIGNAL, LOOP_DURATION, LOOP_PID_EXIT, LOOP_ERROR };

struct loop_hooks {
	/* called at each interval; non-zero stops the loop with LOOP_ERROR */
	int (*on_interval)(void *ctx);
	void *ctx;
	/* with fd >= 0: called when fd is readable (events); non-zero stops the loop */
	int fd;
	int (*on_fd)(void *ctx);
	/* with tick_s > 0: called every tick_s (expiring open starts); non-zero stops it */
	double tick_s;
	int (*on_tick)(void *ctx);
};

/*
 * Block SIGINT and SIGTERM so they arrive through the loop. Call before
 * attaching: a Ctrl-C during attach then ends the run cleanly.
 */
int loop_block_signals(void);
/* A pidfd to watch (so a recycled pid cannot fool us), or -errno. */
int loop_watch_pid(pid_t pid);
enum loop_end loop_run(double interval_s, double duration_s, int pidfd,
		       const struct loop_hooks *hooks);

#endif /* SYNCTRACE_LOOP_H */
