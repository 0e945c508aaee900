// SPDX-License-Identifier: MIT
/* Skeleton lifecycle for bpf/probes.bpf.c; see session.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader/kfunc_btf.h"
#include "loader/proc_lookup.h"
#include "loader/ret_plan.h"
#include "loader/session.h"
#include "maps/probes.h"
#include "probes.skel.h"

/*
 * How calls are timed and probes attached, best first: a uprobe session
 * link (one program for entry and return, the start time in the kernel's
 * per-call cookie: kernel 6.13+), uprobe_multi links with a per-thread
 * stack in task storage (6.6+), one classic link per site.
 */
enum link_kind { LINK_SESSION, LINK_MULTI, LINK_CLASSIC };

struct session {
	struct probes_bpf *skel;
	struct attacher *attacher;
	enum session_mode mode;
	unsigned int nr_points;
	enum link_kind kind;
	struct follow_tree follow;	/* root > 0: only its tree counts */
	struct ret_plan *rp;		/* lat: functions timed at their rets, or NULL */
	struct bpf_link *exit_link;	/* counts the open calls of exiting threads */
};

/* Put bpf_session_cookie's BTF id into the marked call of prog. */
static int patch_session_cookie(struct bpf_program *prog)
{
	int id = kfunc_btf_id("/sys/kernel/btf/vmlinux", "bpf_session_cookie");
	size_t i, n = bpf_program__insn_cnt(prog);
	struct bpf_insn *insns;
	int patched = 0, err;

	if (id < 0)
		return id;
	insns = malloc(n * sizeof(*insns));
	if (!insns)
		return -ENOMEM;
	memcpy(insns, bpf_program__insns(prog), n * sizeof(*insns));
	for (i = 0; i < n; i++) {
		if (insns[i].code == (BPF_JMP | BPF_CALL) && insns[i].src_reg == 2 &&
		    insns[i].imm == KFUNC_MARK_SESSION_COOKIE) {
			insns[i].imm = id;
			patched++;
		}
	}
	err = patched ? bpf_program__set_insns(prog, insns, n) : -ENOENT;
	free(insns);
	return err;
}

static void set_attach_type(struct bpf_program *prog, enum link_kind kind,
			    bool session_prog)
{
	if (kind == LINK_CLASSIC)
		return;
	bpf_program__set_expected_attach_type(prog, kind == LINK_SESSION && session_prog ?
					      ATTACH_TYPE_UPROBE_SESSION :
					      ATTACH_TYPE_UPROBE_MULTI);
}

/* The rp_site of each ret-probe site, by index: one batch, or one at a time. */
static int fill_rp_sites(struct session *s)
{
	int fd = bpf_map__fd(s->skel->maps.rp_sites);
	__u32 *keys, n = (__u32)s->rp->nr_infos, i;
	int err = 0;

	keys = calloc(n ? n : 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = i;
	if (n && bpf_map_update_batch(fd, keys, s->rp->infos, &n, NULL)) {
		for (i = 0; i < (__u32)s->rp->nr_infos && !err; i++)
			if (bpf_map_update_elem(fd, &keys[i], &s->rp->infos[i], BPF_ANY))
				err = -errno;
	}
	free(keys);
	return err;
}

/* Open and load the programs this mode and link kind need. */
static int load(struct session *s, enum link_kind kind)
{
	struct probes_bpf *skel = probes_bpf__open();
	bool lat = s->mode == SESSION_LAT, sess = lat && kind == LINK_SESSION;
	bool uret = lat && (!s->rp || s->rp->nr_uret), probes = lat && s->rp && s->rp->nr_probed;
	unsigned int n = s->nr_points ? s->nr_points : 1;
	int err = 0;

	if (!skel)
		return -errno;
	bpf_map__set_max_entries(skel->maps.hists, lat ? n : 1);
	bpf_map__set_max_entries(skel->maps.extrema, lat ? 2 * n : 2);
	bpf_map__set_max_entries(skel->maps.counts, lat ? 1 : n);
	bpf_map__set_max_entries(skel->maps.rp_sites, probes && s->rp->nr_infos ?
				 (__u32)s->rp->nr_infos : 1);
	bpf_map__set_max_entries(skel->maps.go_calls, probes && s->rp->any_go ? GO_CALLS_MAX : 1);
	bpf_program__set_autoload(skel->progs.lat_session, uret && sess);
	bpf_program__set_autoload(skel->progs.lat_entry, uret && !sess);
	bpf_program__set_autoload(skel->progs.lat_exit, uret && !sess);
	bpf_program__set_autoload(skel->progs.lat_rp_entry, probes);
	bpf_program__set_autoload(skel->progs.lat_rp_exit, probes);
	bpf_program__set_autoload(skel->progs.lat_thread_gone, probes);
	bpf_program__set_autoload(skel->progs.hit, !lat);
	skel->rodata->follow_root = s->follow.root > 0 ? (__u32)s->follow.root : 0;
	skel->rodata->task_real_parent_off = (__u32)s->follow.real_parent_off;
	skel->rodata->task_tgid_off = (__u32)s->follow.tgid_off;
	set_attach_type(skel->progs.lat_session, kind, true);
	set_attach_type(skel->progs.lat_entry, kind, false);
	set_attach_type(skel->progs.lat_exit, kind, false);
	set_attach_type(skel->progs.hit, kind, false);
	set_attach_type(skel->progs.lat_rp_entry, kind, false);
	set_attach_type(skel->progs.lat_rp_exit, kind, false);
	if (sess && uret)
		err = patch_session_cookie(skel->progs.lat_session);
	if (!err)
		err = probes_bpf__load(skel);
	s->skel = skel;
	if (!err && probes)
		err = fill_rp_sites(s);
	if (err) {
		probes_bpf__destroy(skel);
		s->skel = NULL;
		return err;
	}
	s->kind = kind;
	return 0;
}

/* The best link kind this kernel loads, unless the environment says less. */
static int load_best(struct session *s)
{
	bool multi = attacher__kernel_has_multi() && !getenv("SYNCTRACE_NO_MULTI");
	int rc = -EOPNOTSUPP;

	if (multi && s->mode == SESSION_LAT && !getenv("SYNCTRACE_NO_SESSION"))
		rc = load(s, LINK_SESSION);
	if (rc && multi)
		rc = load(s, LINK_MULTI);
	if (rc)
		rc = load(s, LINK_CLASSIC);
	return rc;
}

unsigned long long session__memory(enum session_mode mode, unsigned int nr_points,
				  const struct ret_plan *rp)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long per_cpu = mode == SESSION_LAT ?
		sizeof(struct hist_slot) + 2 * sizeof(struct extrema) : sizeof(__u64);
	unsigned long long rp_bytes = 0;

	if (mode == SESSION_LAT && rp) {
		rp_bytes = rp->nr_infos * sizeof(struct rp_site);
		if (rp->any_go)	/* a preallocated hash element: header, key, value */
			rp_bytes += GO_CALLS_MAX * (48ULL + sizeof(struct go_call_key) +
						   sizeof(struct go_call) + 16);
	}
	return (unsigned long long)nr_points * per_cpu * (unsigned long long)(ncpu > 0 ? ncpu : 1) +
	       rp_bytes;
}

int session__open(struct session **out, enum session_mode mode, unsigned int nr_points,
		  const struct follow_tree *follow, struct ret_plan *rp, char *err, size_t errlen)
{
	struct session *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->mode = mode;
	s->nr_points = nr_points;
	s->rp = mode == SESSION_LAT ? rp : NULL;
	if (follow)
		s->follow = *follow;
	rc = load_best(s);
	if (!rc) {
		s->attacher = attacher__new(s->kind != LINK_CLASSIC);
		if (!s->attacher)
			rc = -ENOMEM;
	}
	if (rc) {
		snprintf(err, errlen, "cannot load BPF programs: %s%s", strerror(-rc),
			 rc == -EPERM ? " (need root, or CAP_BPF and CAP_PERFMON)" : "");
		session__free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/*
 * The sites of plan whose cookie carries an rp_site (timed at their rets)
 * or not (by uretprobes), in plan order (sorted by path).
 */
static struct probe_site *split_sites(const struct trace_plan *plan, bool probed, size_t *n)
{
	struct probe_site *out = calloc(plan->nr_sites ? plan->nr_sites : 1, sizeof(*out));
	size_t i;

	*n = 0;
	for (i = 0; out && i < plan->nr_sites; i++)
		if (!!COOKIE_RP_INFO(plan->sites[i].cookie) == probed)
			out[(*n)++] = plan->sites[i];
	return out;
}

/*
 * lat: uretprobe functions as before; functions timed at their rets get
 * their entries first (a refused entry is skipped for a glob), then the
 * exits of those the kernel took, none of which may be refused: a call
 * whose exit goes unseen would stay open.
 */
static int attach_lat(struct session *s, const struct trace_plan *plan, pid_t pid)
{
	struct probe_site *uret = NULL, *entries = NULL, *exits = NULL;
	const struct probe_site *skipped;
	size_t nr_uret, nr_entries, i;
	int rc = -ENOMEM;

	uret = split_sites(plan, false, &nr_uret);
	entries = split_sites(plan, true, &nr_entries);
	if (!uret || !entries)
		goto cleanup;
	rc = 0;
	if (nr_uret && s->kind == LINK_SESSION) {
		rc = attacher__attach(s->attacher, s->skel->progs.lat_session, false, pid,
				      uret, nr_uret);
	} else if (nr_uret) {
		rc = attacher__attach(s->attacher, s->skel->progs.lat_entry, false, pid,
				      uret, nr_uret);
		if (!rc)
			rc = attacher__attach(s->attacher, s->skel->progs.lat_exit, true, pid,
					      uret, nr_uret);
	}
	if (rc || !nr_entries)
		goto cleanup;
	s->exit_link = bpf_program__attach_raw_tracepoint(s->skel->progs.lat_thread_gone,
							  "sched_process_exit");
	if (!s->exit_link) {
		rc = -errno;
		goto cleanup;
	}
	rc = attacher__attach(s->attacher, s->skel->progs.lat_rp_entry, false, pid, entries,
			      nr_entries);
	if (rc)
		goto cleanup;
	ret_plan__drop_entries(s->rp, skipped, attacher__skipped(s->attacher, &skipped));
	exits = calloc(s->rp->nr_exits ? s->rp->nr_exits : 1, sizeof(*exits));
	if (!exits) {
		rc = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < s->rp->nr_exits; i++)
		exits[i] = s->rp->exits[i].site;
	attacher__skip_refused(s->attacher, false);
	if (s->rp->nr_exits)
		rc = attacher__attach(s->attacher, s->skel->progs.lat_rp_exit, false, pid, exits,
				      s->rp->nr_exits);
cleanup:
	free(uret);
	free(entries);
	free(exits);
	return rc;
}

int session__attach(struct session *s, const struct trace_plan *plan,
		    pid_t pid, char *err, size_t errlen)
{
	const struct probe_site *skipped;
	int rc;

	/* -p: warn of files it (or its tree) does not map, fail if it maps none */
	if (pid > 0 && (rc = proc_lookup__check_mapped(pid, false, plan->sites, plan->nr_sites,
						       err, errlen)))
		return rc;
	if (!pid && s->follow.root > 0 &&
	    (rc = proc_lookup__check_mapped(s->follow.root, true, plan->sites, plan->nr_sites,
					    err, errlen)))
		return rc;
	/* one refused instruction must not sink a glob; a lone target must fail */
	attacher__skip_refused(s->attacher, plan->nr_sites > 1);
	if (s->mode == SESSION_LAT)
		rc = attach_lat(s, plan, pid);
	else
		rc = attacher__attach(s->attacher, s->skel->progs.hit, false, pid,
				      plan->sites, plan->nr_sites);
	if (!rc && attacher__skipped(s->attacher, &skipped) >= plan->nr_sites)
		rc = -KERNEL_ENOTSUPP;
	if (rc == -ESRCH)
		snprintf(err, errlen, "pid %d: process exited", pid);
	else if (rc)
		attacher__error(s->attacher, rc, plan->nr_sites, err, errlen);
	return rc;
}

void session__maps(const struct session *s, struct drain_maps *m)
{
	m->hists_fd = bpf_map__fd(s->skel->maps.hists);
	m->extrema_fd = bpf_map__fd(s->skel->maps.extrema);
	m->counts_fd = bpf_map__fd(s->skel->maps.counts);
	m->drops_fd = bpf_map__fd(s->skel->maps.drops);
	m->nr_hists = s->mode == SESSION_LAT ? s->nr_points : 0;
	m->nr_counts = s->mode == SESSION_COUNT ? s->nr_points : 0;
	m->epoch = (volatile uint64_t *)&s->skel->bss->epoch;
}

const char *session__link_kind(const struct session *s)
{
	static const char *const names[] = { "uprobe session", "uprobe_multi", "classic uprobe" };

	return names[s->kind];
}

size_t session__skipped(const struct session *s, const struct probe_site **sites)
{
	return attacher__skipped(s->attacher, sites);
}

size_t session__nr_links(const struct session *s)
{
	return attacher__nr_links(s->attacher);
}

void session__free(struct session *s)
{
	if (!s)
		return;
	attacher__free(s->attacher);
	bpf_link__destroy(s->exit_link);
	probes_bpf__destroy(s->skel);
	free(s);
}
