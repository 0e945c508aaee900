// SPDX-License-Identifier: MIT
/* Attach generic programs to many uprobe sites; see attach.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader/attach.h"
#include "loader/insn_guard.h"

/*
 * BPF_LINK_CREATE's uprobe_multi attributes, laid out as in the kernel's
 * union bpf_attr (Debian's uapi headers and libbpf 1.1 predate them).
 */
struct link_create_uprobe_multi {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u64 path;
	__u64 offsets;
	__u64 ref_ctr_offsets;
	__u64 cookies;
	__u32 cnt;
	__u32 multi_flags;
	__u32 pid;
};

#define UPROBE_MULTI_RETURN 1U

struct attacher {
	bool use_multi;
	bool skip_refused;		/* skip sites the kernel will not probe */
	struct probe_site *skipped;
	size_t nr_skipped, cap_skipped;
	const struct probe_site *failed;	/* where the last attach failed */
	struct probe_site *screened;	/* the last attach's sites (screen_sites()) */
	int *fds;			/* uprobe_multi links */
	size_t nr_fds, cap_fds;
	struct bpf_link **links;	/* classic links */
	size_t nr_links, cap_links;
};

struct attacher *attacher__new(bool use_multi)
{
	struct attacher *a = calloc(1, sizeof(*a));

	if (a)
		a->use_multi = use_multi;
	return a;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int uprobe_multi_link(int prog_fd, __u32 attach_type, bool retprobe, pid_t pid,
			     const char *path, const __u64 *offsets,
			     const __u64 *ref_ctrs, const __u64 *cookies,
			     __u32 cnt)
{
	struct link_create_uprobe_multi attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = prog_fd;
	attr.attach_type = attach_type;
	attr.path = (__u64)(unsigned long)path;
	attr.offsets = (__u64)(unsigned long)offsets;
	attr.ref_ctr_offsets = (__u64)(unsigned long)ref_ctrs;
	attr.cookies = (__u64)(unsigned long)cookies;
	attr.cnt = cnt;
	attr.multi_flags = retprobe ? UPROBE_MULTI_RETURN : 0;
	attr.pid = pid > 0 ? (__u32)pid : 0;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : fd;
}

/* Attach the sites of one path, sites[0..n), as one uprobe_multi link. */
static int attach_multi_group(struct attacher *a, const struct bpf_program *prog,
			      bool retprobe,
			      pid_t pid, const struct probe_site *sites,
			      size_t n)
{
	__u64 *buf = calloc(3 * n, sizeof(*buf));
	__u64 *offs = buf, *refs = buf + n, *cookies = buf + 2 * n;
	bool any_ref = false;
	int fd, err;
	size_t i;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		offs[i] = sites[i].offset;
		refs[i] = sites[i].ref_ctr_offset;
		cookies[i] = sites[i].cookie;
		any_ref |= refs[i] != 0;
	}
	err = grow((void **)&a->fds, &a->cap_fds, a->nr_fds + 1, sizeof(int));
	if (!err) {
		fd = uprobe_multi_link(bpf_program__fd(prog),
				       bpf_program__expected_attach_type(prog),
				       retprobe, pid, sites[0].path,
				       offs, any_ref ? refs : NULL, cookies,
				       (__u32)n);
		if (fd < 0)
			err = fd;
		else
			a->fds[a->nr_fds++] = fd;
	}
	free(buf);
	return err;
}

/* -EILSEQ: an instruction the kernel accepts but would run wrongly (insn_guard.h). */
static bool refused(int err)
{
	return err == -KERNEL_ENOTSUPP || err == -EINVAL || err == -EOPNOTSUPP ||
	       err == -EILSEQ;
}

/* The kernel refuses some instructions (KERNEL_ENOTSUPP, EINVAL): remember
 * the site and go on, when the caller asked for that. */
static int skip_or_fail(struct attacher *a, const struct probe_site *site, int err)
{
	if (!a->skip_refused || !refused(err)) {
		a->failed = site;
		return err;
	}
	if (grow((void **)&a->skipped, &a->cap_skipped, a->nr_skipped + 1, sizeof(*site)))
		return -ENOMEM;
	a->skipped[a->nr_skipped++] = *site;
	return 0;
}

/*
 * A moved entry probe (placement) at its function's entry again: the site
 * the kernel refused, back at +0, unless the instruction there is one
 * uprobes run wrongly (the screen its moved site passed did not see it).
 */
static bool unplaced(const struct probe_site *site, struct probe_site *back)
{
	int fd, unsafe;

	if (!site->placed)
		return false;
	*back = *site;
	back->offset -= site->placed;
	back->vaddr -= site->placed;
	back->entry_skip -= site->placed;
	back->placed = 0;
	fd = open(site->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	unsafe = insn_guard__unsafe_at(fd, back->offset);
	close(fd);
	return unsafe == 0;
}

/* One link for sites[0..n); if the kernel refuses it, find the refused
 * sites by halving, so one bad instruction does not sink a whole glob (and
 * an error can name the site). */
static int attach_multi_bisect(struct attacher *a, const struct bpf_program *prog,
			       bool retprobe, pid_t pid,
			       const struct probe_site *sites, size_t n)
{
	int err = attach_multi_group(a, prog, retprobe, pid, sites, n);
	struct probe_site back;

	if (!err)
		return 0;
	if (!refused(err)) {
		a->failed = sites;	/* the file, not one site: name its first */
		return err;
	}
	if (n == 1 && unplaced(sites, &back) &&
	    !attach_multi_group(a, prog, retprobe, pid, &back, 1))
		return 0;
	if (n == 1)
		return skip_or_fail(a, sites, err);
	err = attach_multi_bisect(a, prog, retprobe, pid, sites, n / 2);
	if (!err)
		err = attach_multi_bisect(a, prog, retprobe, pid, sites + n / 2, n - n / 2);
	return err;
}

static int attach_classic(struct attacher *a, const struct bpf_program *prog,
			  bool retprobe, pid_t pid,
			  const struct probe_site *site)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .retprobe = retprobe,
		    .ref_ctr_offset = site->ref_ctr_offset,
		    .bpf_cookie = site->cookie);
	struct probe_site back;
	struct bpf_link *link;
	int err;

	err = grow((void **)&a->links, &a->cap_links, a->nr_links + 1,
		   sizeof(*a->links));
	if (err)
		return err;
	link = bpf_program__attach_uprobe_opts(prog, pid > 0 ? pid : -1,
					       site->path, site->offset, &opts);
	err = -errno;
	if (!link && refused(err) && unplaced(site, &back))
		link = bpf_program__attach_uprobe_opts(prog, pid > 0 ? pid : -1,
						       back.path, back.offset, &opts);
	if (!link)
		return skip_or_fail(a, site, err);
	a->links[a->nr_links++] = link;
	return 0;
}

static bool already_skipped(const struct attacher *a, const struct probe_site *site)
{
	size_t i;

	for (i = 0; i < a->nr_skipped; i++)
		if (a->skipped[i].offset == site->offset && !strcmp(a->skipped[i].path, site->path))
			return true;
	return false;
}

/*
 * sites less those whose instruction uprobes would run wrongly, refused as
 * the kernel refuses others (skipped, or the error), into *out (n long).
 * A file that cannot be read here is left to the kernel's attach to fail.
 */
static int screen_sites(struct attacher *a, const struct probe_site *sites, size_t n,
			struct probe_site **out, size_t *nr)
{
	struct probe_site *ok = calloc(n ? n : 1, sizeof(*ok));
	const char *fd_path = NULL;
	int fd = -1, err = 0;
	size_t i;

	*nr = 0;
	if (!ok)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		/* sites come grouped by file: one open per file */
		if (!fd_path || strcmp(fd_path, sites[i].path)) {
			if (fd >= 0)
				close(fd);
			fd = open(sites[i].path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
			fd_path = sites[i].path;
		}
		if (fd < 0 || insn_guard__unsafe_at(fd, sites[i].offset) != 1)
			ok[(*nr)++] = sites[i];
		else if (!already_skipped(a, &sites[i]))	/* entry, then exit */
			err = skip_or_fail(a, &sites[i], -EILSEQ);
	}
	if (fd >= 0)
		close(fd);
	if (err) {
		free(ok);
		return err;
	}
	*out = ok;
	return 0;
}

static int attach_sites(struct attacher *a, const struct bpf_program *prog,
			bool retprobe, pid_t pid, const struct probe_site *sites,
			size_t n)
{
	size_t i, j;
	int err;

	if (!a->use_multi) {
		for (i = 0; i < n; i++) {
			err = attach_classic(a, prog, retprobe, pid, &sites[i]);
			if (err)
				return err;
		}
		return 0;
	}
	/* one link per run of sites that share a path */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n; j++)
			if (strcmp(sites[j].path, sites[i].path) != 0)
				break;
		err = attach_multi_bisect(a, prog, retprobe,
					 pid, sites + i, j - i);
		if (err)
			return err;
	}
	return 0;
}

/* The sites of the last attach, screened: a->failed may point into them. */
int attacher__attach(struct attacher *a, const struct bpf_program *prog,
		     bool retprobe, pid_t pid, const struct probe_site *sites,
		     size_t n)
{
	struct probe_site *ok = NULL;
	int err = screen_sites(a, sites, n, &ok, &n);

	if (err)
		return err;
	free(a->screened);
	a->screened = ok;
	return attach_sites(a, prog, retprobe, pid, ok, n);
}

void attacher__skip_refused(struct attacher *a, bool skip)
{
	a->skip_refused = skip;
}

size_t attacher__skipped(const struct attacher *a, const struct probe_site **sites)
{
	*sites = a->skipped;
	return a->nr_skipped;
}

size_t attacher__nr_links(const struct attacher *a)
{
	return a->nr_fds + a->nr_links;
}

/* "USDT probe fx:done in /usr/bin/x" or "fx_work in /usr/bin/x". */
static void describe(const struct probe_site *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s in %s", s->usdt_args ? "USDT probe " : "",
		 s->name ? s->name : "a probe", s->file ? s->file : s->path);
}

void attacher__error(const struct attacher *a, int rc, size_t nr_sites, char *err,
		     size_t errlen)
{
	const struct probe_site *site = a->failed;
	char what[768] = "";

	/* every site was set aside (only runs of several sites skip any) */
	if (!site && a->nr_skipped && nr_sites > 1) {
		describe(a->skipped, what, sizeof(what));
		snprintf(err, errlen, "cannot attach uprobes: the kernel cannot probe any of "
			 "those %zu sites (%s, ...)", nr_sites, what);
		return;
	}
	if (!site && a->nr_skipped)
		site = a->skipped;
	if (site)
		describe(site, what, sizeof(what));
	if (rc == -EILSEQ && site)
		snprintf(err, errlen, "cannot attach uprobes: %s starts with an AVX-512 (EVEX) "
			 "instruction, which uprobes execute wrongly: the program would compute "
			 "wrong results", what);
	else if ((rc == -KERNEL_ENOTSUPP || rc == -EOPNOTSUPP) && site)
		snprintf(err, errlen, "cannot attach uprobes: the kernel cannot probe %s (its "
			 "first instruction)", what);
	else if (site)
		snprintf(err, errlen, "cannot attach a uprobe to %s: %s%s", what, strerror(-rc),
			 rc == -EINVAL && site->usdt_args ? " (the kernel refused the probe's "
			 "note: its address or semaphore)" : "");
	else
		snprintf(err, errlen, "cannot attach uprobes: %s", strerror(-rc));
}

/*
 * Each close of a uprobe_multi or session link waits for the kernel's
 * uprobe grace period (20-70 ms here); closes in parallel share grace
 * periods, so links are closed from several threads at once. Classic links
 * gain nothing from this: the kernel tears them down one at a time, ~100 ms
 * each (bench/RESULTS.md), which is why they are only the fallback.
 */
#define DETACH_THREADS_MAX 128

struct detach_job {
	struct attacher *a;
	size_t idx, stride;
};

static void *detach_worker(void *arg)
{
	struct detach_job *job = arg;
	struct attacher *a = job->a;
	size_t i;

	for (i = job->idx; i < a->nr_fds + a->nr_links; i += job->stride) {
		if (i < a->nr_fds)
			close(a->fds[i]);
		else
			bpf_link__destroy(a->links[i - a->nr_fds]);
	}
	return NULL;
}

static void detach_all(struct attacher *a)
{
	size_t total = a->nr_fds + a->nr_links, n, i;
	struct detach_job jobs[DETACH_THREADS_MAX];
	pthread_t tids[DETACH_THREADS_MAX];
	bool started[DETACH_THREADS_MAX] = { false };

	if (!total)
		return;
	n = total < DETACH_THREADS_MAX ? total : DETACH_THREADS_MAX;
	for (i = 0; i < n; i++)
		jobs[i] = (struct detach_job){ a, i, n };
	for (i = 1; i < n; i++)
		started[i] = !pthread_create(&tids[i], NULL, detach_worker, &jobs[i]);
	detach_worker(&jobs[0]);
	for (i = 1; i < n; i++) {
		if (started[i])
			pthread_join(tids[i], NULL);
		else
			detach_worker(&jobs[i]); /* no thread: do its share here */
	}
}

void attacher__free(struct attacher *a)
{
	if (!a)
		return;
	detach_all(a);
	free(a->fds);
	free(a->links);
	free(a->skipped);
	free(a->screened);
	free(a);
}

bool attacher__kernel_has_multi(void)
{
	static int cached = -1;
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = ATTACH_TYPE_UPROBE_MULTI);
	int fd;

	if (cached >= 0)
		return cached;
	fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &opts);
	cached = fd >= 0;
	if (fd >= 0)
		close(fd);
	return cached;
}
