// SPDX-License-Identifier: MIT
/* Skeleton lifecycle for bpf/ops.bpf.c; see ops_session.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "loader/ops_session.h"
#include "loader/proc_lookup.h"
#include "ops.skel.h"

struct ops_session {
	struct ops_bpf *skel;
	struct attacher *attacher;
	struct bpf_link *exit_link;	/* closes the states of exiting processes */
	struct bpf_link *gone_link;	/* counts the open calls of exiting threads */
	bool multi, states;
	bool sleepable;			/* reads may fault pages in */
	pid_t follow_root;		/* > 0: it and its descendants */
	struct ret_plan *rp;		/* functions timed at their rets, or NULL */
};

/* One preallocated hash element: the kernel's header, the key and the value. */
static unsigned long long htab_bytes(unsigned int entries, size_t key, size_t value,
				     bool percpu)
{
	int ncpu = libbpf_num_possible_cpus();
	unsigned long long elem = 48 + ((key + 7) & ~7UL);

	if (ncpu < 1)
		ncpu = 1;
	elem += percpu ? 8 + ((value + 7) & ~7UL) * (unsigned long long)ncpu :
		 ((value + 7) & ~7UL);
	return (unsigned long long)entries * (elem + 16);	/* + its share of the buckets */
}

unsigned long long ops_setup__memory(const struct ops_setup *sz)
{
	return htab_bytes(sz->stats, sizeof(struct op_key), sizeof(struct op_counters), true) +
	       htab_bytes(sz->lat_rows + sz->val_rows, sizeof(struct op_key),
			  sizeof(struct op_hist), false) +
	       htab_bytes(sz->labels, sizeof(struct op_key), sizeof(struct op_label_text), false) +
	       htab_bytes(sz->starts, sizeof(struct op_start_key), sizeof(struct op_start),
			  false) +
	       htab_bytes(sz->states, sizeof(struct state_key), sizeof(struct state_rec), false) +
	       (sz->rp ? sz->rp->nr_infos * sizeof(struct rp_site) : 0) +
	       htab_bytes(sz->rp && sz->rp->any_go ? GO_CALLS_MAX : 0, sizeof(struct go_call_key),
			  sizeof(struct op_frame), false) +
	       sz->events_bytes;
}

/* The rp_site of each ret-probe site, by index. */
static int fill_rp_sites(struct ops_bpf *skel, const struct ret_plan *rp)
{
	int fd = bpf_map__fd(skel->maps.rp_sites);
	__u32 i;

	for (i = 0; i < (__u32)rp->nr_infos; i++)
		if (bpf_map_update_elem(fd, &i, &rp->infos[i], BPF_ANY))
			return -errno;
	return 0;
}

/*
 * The uprobe programs sleepable: their reads may then fault in a page the
 * traced process has not touched yet (a non-sleepable program's read of it
 * fails). The kernel runs a sleepable uprobe program with migration off,
 * under RCU tasks trace: per-CPU values stay on their CPU, and the adds to
 * them are atomic already (another task may run the program on that CPU
 * while this one waits for its page).
 */
static int set_sleepable(struct ops_bpf *skel)
{
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, skel->obj) {
		if (bpf_program__type(prog) != BPF_PROG_TYPE_KPROBE)
			continue;	/* the process-exit tracepoint reads nothing */
		err = bpf_program__set_flags(prog, bpf_program__flags(prog) | BPF_F_SLEEPABLE);
		if (err)
			return err;
	}
	skel->rodata->reads_fault_in = 1;
	return 0;
}

static int load(struct ops_session *s, const struct ops_setup *sz, bool multi, bool sleepable)
{
	struct ops_bpf *skel = ops_bpf__open();
	int err;

	if (!skel)
		return -errno;
	/* preallocated: sized for the ops at hand, at least 1 */
	bpf_map__set_max_entries(skel->maps.op_stats, sz->stats ? sz->stats : 1);
	bpf_map__set_max_entries(skel->maps.op_lat, sz->lat_rows ? sz->lat_rows : 1);
	bpf_map__set_max_entries(skel->maps.op_val, sz->val_rows ? sz->val_rows : 1);
	bpf_map__set_max_entries(skel->maps.op_labels, sz->labels ? sz->labels : 1);
	bpf_map__set_max_entries(skel->maps.op_starts, sz->starts ? sz->starts : 1);
	bpf_map__set_max_entries(skel->maps.states, sz->states ? sz->states : 1);
	bpf_map__set_max_entries(skel->maps.events, sz->events_bytes);
	bpf_map__set_max_entries(skel->maps.rp_sites, sz->rp && sz->rp->nr_infos ?
				 (__u32)sz->rp->nr_infos : 1);
	bpf_map__set_max_entries(skel->maps.go_frames, sz->rp && sz->rp->any_go ? GO_CALLS_MAX : 1);
	bpf_program__set_autoload(skel->progs.op_ret_exit, sz->rp && sz->rp->nr_probed);
	bpf_program__set_autoload(skel->progs.op_thread_gone, sz->rp && sz->rp->nr_probed);
	skel->rodata->events_wakeup_bytes = sz->events_bytes / 4;
	skel->rodata->follow_root = sz->follow.root > 0 ? (__u32)sz->follow.root : 0;
	skel->rodata->nr_state_machines = sz->states ? sz->nr_state_machines : 0;
	skel->rodata->task_real_parent_off = (__u32)sz->follow.real_parent_off;
	skel->rodata->task_tgid_off = (__u32)sz->follow.tgid_off;
	if (multi) {
		bpf_program__set_expected_attach_type(skel->progs.op_entry, ATTACH_TYPE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.op_exit, ATTACH_TYPE_UPROBE_MULTI);
		bpf_program__set_expected_attach_type(skel->progs.op_ret_exit,
						      ATTACH_TYPE_UPROBE_MULTI);
	}
	err = sleepable ? set_sleepable(skel) : 0;
	if (!err)
		err = ops_bpf__load(skel);
	if (!err && sz->rp && sz->rp->nr_probed)
		err = fill_rp_sites(skel, sz->rp);
	if (err) {
		ops_bpf__destroy(skel);
		return err;
	}
	s->skel = skel;
	s->sleepable = sleepable;
	return 0;
}

/*
 * Sleepable if the kernel takes it (tried by loading), else not;
 * multi-uprobe links if it has them, else classic ones.
 * SYNCTRACE_NO_SLEEPABLE=1 and SYNCTRACE_NO_MULTI=1 force the fallbacks.
 */
static int load_best(struct ops_session *s, const struct ops_setup *sz, bool *multi)
{
	bool sleepable = !getenv("SYNCTRACE_NO_SLEEPABLE");
	int rc = load(s, sz, *multi, sleepable);

	if (rc && sleepable)
		rc = load(s, sz, *multi, false);
	if (rc && *multi) {
		*multi = false;
		rc = load(s, sz, false, sleepable);
		if (rc && sleepable)
			rc = load(s, sz, false, false);
	}
	return rc;
}

int ops_session__open(struct ops_session **out, const struct ops_setup *sz,
		      char *err, size_t errlen)
{
	struct ops_session *s = calloc(1, sizeof(*s));
	bool multi = attacher__kernel_has_multi() && !getenv("SYNCTRACE_NO_MULTI");
	int rc;

	if (!s)
		return -ENOMEM;
	rc = load_best(s, sz, &multi);
	s->multi = multi;
	s->states = sz->states && sz->nr_state_machines;
	s->follow_root = sz->follow.root;
	s->rp = sz->rp;
	if (!rc && !(s->attacher = attacher__new(multi)))
		rc = -ENOMEM;
	if (rc) {
		snprintf(err, errlen, "cannot load BPF programs: %s", strerror(-rc));
		ops_session__free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int ops_session__configure(struct ops_session *s, unsigned int op,
			   const struct op_cfg *cfg)
{
	return bpf_map_update_elem(bpf_map__fd(s->skel->maps.op_cfgs), &op, cfg, BPF_ANY) ?
	       -errno : 0;
}

int ops_session__configure_state(struct ops_session *s, unsigned int state,
				 const struct state_cfg *cfg)
{
	return bpf_map_update_elem(bpf_map__fd(s->skel->maps.state_cfgs), &state, cfg,
				   BPF_ANY) ? -errno : 0;
}

int ops_session__set_site_infos(struct ops_session *s, const struct op_site_info *infos,
				size_t n)
{
	int fd = bpf_map__fd(s->skel->maps.site_infos);
	__u32 i;

	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &i, &infos[i], BPF_ANY))
			return -errno;
	return 0;
}

/* The exits of the functions timed at their rets: after their entries, all or nothing. */
static int attach_exits(struct ops_session *s, pid_t pid)
{
	struct probe_site *exits = calloc(s->rp->nr_exits, sizeof(*exits));
	size_t i;
	int rc;

	if (!exits)
		return -ENOMEM;
	s->gone_link = bpf_program__attach_raw_tracepoint(s->skel->progs.op_thread_gone,
							  "sched_process_exit");
	if (!s->gone_link) {
		rc = -errno;
		free(exits);
		return rc;
	}
	for (i = 0; i < s->rp->nr_exits; i++)
		exits[i] = s->rp->exits[i].site;
	rc = attacher__attach(s->attacher, s->skel->progs.op_ret_exit, false, pid, exits,
			      s->rp->nr_exits);
	free(exits);
	return rc;
}

int ops_session__attach(struct ops_session *s, const struct probe_site *sites,
			size_t n, pid_t pid, char *err, size_t errlen)
{
	struct probe_site *calls = calloc(n ? n : 1, sizeof(*calls));
	size_t i, nr_calls = 0;
	int rc;

	if (!calls)
		return -ENOMEM;
	/* -p: warn of files it (or its tree) does not map, fail if none is */
	rc = 0;
	if (pid > 0)
		rc = proc_lookup__check_mapped(pid, false, sites, n, err, errlen);
	else if (s->follow_root > 0)
		rc = proc_lookup__check_mapped(s->follow_root, true, sites, n, err, errlen);
	if (rc) {
		free(calls);
		return rc;
	}
	for (i = 0; i < n; i++)
		if ((sites[i].cookie & OP_COOKIE_AT_RETURN) && !OP_COOKIE_RP(sites[i].cookie))
			calls[nr_calls++] = sites[i];
	if (s->states) {
		s->exit_link = bpf_program__attach_raw_tracepoint(s->skel->progs.state_exit,
								  "sched_process_exit");
		if (!s->exit_link) {
			rc = -errno;
			snprintf(err, errlen, "cannot watch process exits: %s", strerror(-rc));
			free(calls);
			return rc;
		}
	}
	rc = attacher__attach(s->attacher, s->skel->progs.op_entry, false, pid, sites, n);
	if (!rc && nr_calls)
		rc = attacher__attach(s->attacher, s->skel->progs.op_exit, true, pid,
				      calls, nr_calls);
	free(calls);
	if (!rc && s->rp && s->rp->nr_exits)
		rc = attach_exits(s, pid);
	if (rc == -ESRCH)
		snprintf(err, errlen, "pid %d: process exited", pid);
	else if (rc)
		attacher__error(s->attacher, rc, n, err, errlen);
	return rc;
}

void ops_session__maps(const struct ops_session *s, struct ops_maps *m)
{
	m->stats_fd = bpf_map__fd(s->skel->maps.op_stats);
	m->lat_fd = bpf_map__fd(s->skel->maps.op_lat);
	m->val_fd = bpf_map__fd(s->skel->maps.op_val);
	m->drops_fd = bpf_map__fd(s->skel->maps.op_drops);
	m->labels_fd = bpf_map__fd(s->skel->maps.op_labels);
	m->totals_fd = bpf_map__fd(s->skel->maps.op_totals);
	m->starts_fd = bpf_map__fd(s->skel->maps.op_starts);
	m->states_fd = bpf_map__fd(s->skel->maps.states);
	m->events_fd = bpf_map__fd(s->skel->maps.events);
}

size_t ops_session__nr_links(const struct ops_session *s)
{
	return attacher__nr_links(s->attacher);
}

const char *ops_session__link_kind(const struct ops_session *s)
{
	return s->multi ? "uprobe_multi" : "classic uprobe";
}

bool ops_session__sleepable(const struct ops_session *s)
{
	return s->sleepable;
}

void ops_session__free(struct ops_session *s)
{
	if (!s)
		return;
	attacher__free(s->attacher);
	bpf_link__destroy(s->gone_link);
	bpf_link__destroy(s->exit_link);
	ops_bpf__destroy(s->skel);
	free(s);
}
