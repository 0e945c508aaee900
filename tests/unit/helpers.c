// SPDX-License-Identifier: MIT
/* Helpers shared by the cmocka unit tests (see helpers.h); linked into
 * every build/tests binary. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <link.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "tests/unit/helpers.h"

unsigned char *read_whole_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return buf;
}

ino_t inode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		fail_msg("stat %s: %s", path, strerror(errno));
	return st.st_ino;
}

char *scratch_dir;

int scratch_dir_setup(void **state)
{
	return scratch_dir && mkdtemp(scratch_dir) ? 0 : -1;
}

/* nftw() callback; file-local, as nothing else wants it. */
static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

int scratch_dir_teardown(void **state)
{
	return nftw(scratch_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

pid_t spawn_child(child_fn fn, const char *arg, char *report, size_t len)
{
	struct pollfd pfd = { .events = POLLIN };
	size_t got = 0;
	ssize_t r;
	int p[2];
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* a failed test must not leave children holding its stdout */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		fn(arg, p[1]);
		for (;;)
			pause();
	}
	close(p[1]);

	/* until the child closes its end (or execs); a hung child fails */
	pfd.fd = p[0];
	for (;;) {
		if (poll(&pfd, 1, 10000) <= 0)
			fail_msg("child did not report within 10 s");
		r = read(p[0], report + got, len - 1 - got);
		if (r <= 0)
			break;
		got += r;
	}
	report[got] = '\0';
	close(p[0]);
	if (report[0] == '!')
		fail_msg("child failed: %s", report + 1);
	return pid;
}

void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

void child_dlopen(const char *path, int report_fd)
{
	struct link_map *lm;
	void *h = dlopen(path, RTLD_NOW);

	if (!h || dlinfo(h, RTLD_DI_LINKMAP, &lm))
		dprintf(report_fd, "!dlopen %s: %s", path, dlerror());
	else
		dprintf(report_fd, "%s", lm->l_name);
	close(report_fd);
}

void child_chroot(const char *dir, int report_fd)
{
	if (chroot(dir) || chdir("/"))
		dprintf(report_fd, "!chroot %s: %s", dir, strerror(errno));
	close(report_fd);
}

void copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	char buf[65536];
	ssize_t r;

	if (in < 0 || out < 0)
		fail_msg("copy %s to %s: %s", from, to, strerror(errno));
	while ((r = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, r), r);
	close(in);
	close(out);
}
