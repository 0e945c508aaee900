// SPDX-License-Identifier: MIT
/* poll() over a signalfd, two timerfds and a pidfd; see loop.h. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include "cli/loop.h"

static sigset_t stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	return set;
}

int loop_block_signals(void)
{
	sigset_t set = stop_signals();

	return sigprocmask(SIG_BLOCK, &set, NULL) ? -errno : 0;
}

int loop_watch_pid(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	return fd < 0 ? -errno : fd;
}

static int timer_fd(double secs, bool periodic)
{
	struct itimerspec its;
	int fd;

	if (secs <= 0)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)secs;
	its.it_value.tv_nsec = (long)((secs - (double)(time_t)secs) * 1e9);
	if (periodic)
		its.it_interval = its.it_value;
	if (timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

enum loop_end loop_run(double interval_s, double duration_s, int pidfd,
		       const struct loop_hooks *hooks)
{
	sigset_t set = stop_signals();
	enum { SIG, IVAL, DUR, TICK, PID, EXTRA, NFDS };
	struct pollfd fds[NFDS];
	enum loop_end end = LOOP_ERROR;
	uint64_t ticks;
	int i;

	fds[SIG].fd = signalfd(-1, &set, SFD_CLOEXEC);
	fds[IVAL].fd = timer_fd(interval_s, true);
	fds[DUR].fd = timer_fd(duration_s, false);
	fds[TICK].fd = hooks->on_tick ? timer_fd(hooks->tick_s, true) : -1;
	fds[PID].fd = pidfd;
	fds[EXTRA].fd = hooks->on_fd ? hooks->fd : -1;
	for (i = 0; i < NFDS; i++)
		fds[i].events = POLLIN;
	if (fds[SIG].fd < 0)
		goto cleanup;
	for (;;) {
		if (poll(fds, NFDS, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* the end of the run wins over a tick that fell due with it */
		if (fds[SIG].revents) {
			end = LOOP_SIGNAL;
			break;
		}
		if (fds[PID].revents) {
			end = LOOP_PID_EXIT;
			break;
		}
		if (fds[DUR].revents) {
			end = LOOP_DURATION;
			break;
		}
		if (fds[EXTRA].revents && hooks->on_fd(hooks->ctx))
			break;
		if (fds[TICK].revents &&
		    read(fds[TICK].fd, &ticks, sizeof(ticks)) == sizeof(ticks) &&
		    hooks->on_tick(hooks->ctx))
			break;
		if (fds[IVAL].revents &&
		    read(fds[IVAL].fd, &ticks, sizeof(ticks)) == sizeof(ticks) &&
		    hooks->on_interval(hooks->ctx))
			break;
	}
cleanup:
	for (i = 0; i < PID; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	return end;
}
