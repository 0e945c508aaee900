// SPDX-License-Identifier: MIT
/* Skeleton lifecycle for bpf/probes.bpf.c; see session.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "loader/session.h"
#include "probes.skel.h"

struct session {
	struct probes_bpf *skel;
	struct attacher *attacher;
	enum session_mode mode;
	unsigned int nr_points;
	bool multi;
};

/* Open and load; when multi, programs are loaded for uprobe_multi links. */
static int load(struct session *s, bool multi)
{
	struct probes_bpf *skel = probes_bpf__open();
	bool lat = s->mode == SESSION_LAT;
	unsigned int n = s->nr_points ? s->nr_points : 1;
	struct bpf_program *prog;
	int err;

	if (!skel)
		return -errno;
	bpf_map__set_max_entries(skel->maps.hists, lat ? n : 1);
	bpf_map__set_max_entries(skel->maps.extrema, lat ? 2 * n : 2);
	bpf_map__set_max_entries(skel->maps.counts, lat ? 1 : n);
	bpf_program__set_autoload(skel->progs.lat_entry, lat);
	bpf_program__set_autoload(skel->progs.lat_exit, lat);
	bpf_program__set_autoload(skel->progs.hit, !lat);
	if (multi)
		bpf_object__for_each_program(prog, skel->obj)
			bpf_program__set_expected_attach_type(prog, ATTACH_TYPE_UPROBE_MULTI);
	err = probes_bpf__load(skel);
	if (err) {
		probes_bpf__destroy(skel);
		return err;
	}
	s->skel = skel;
	s->multi = multi;
	return 0;
}

int session__open(struct session **out, enum session_mode mode,
		  unsigned int nr_points, char *err, size_t errlen)
{
	struct session *s = calloc(1, sizeof(*s));
	bool multi = attacher__kernel_has_multi() && !getenv("SYNCTRACE_NO_MULTI");
	int rc;

	if (!s)
		return -ENOMEM;
	s->mode = mode;
	s->nr_points = nr_points;
	rc = load(s, multi);
	if (rc && multi)
		rc = load(s, false);
	if (!rc) {
		s->attacher = attacher__new(s->multi);
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

int session__attach(struct session *s, const struct trace_plan *plan,
		    pid_t pid, char *err, size_t errlen)
{
	int rc;

	if (s->mode == SESSION_LAT) {
		rc = attacher__attach(s->attacher, s->skel->progs.lat_entry, false,
				      pid, plan->sites, plan->nr_sites);
		if (!rc)
			rc = attacher__attach(s->attacher, s->skel->progs.lat_exit,
					      true, pid, plan->sites, plan->nr_sites);
	} else {
		rc = attacher__attach(s->attacher, s->skel->progs.hit, false, pid,
				      plan->sites, plan->nr_sites);
	}
	if (rc == -ESRCH)
		snprintf(err, errlen, "pid %d: process exited", pid);
	else if (rc)
		snprintf(err, errlen, "cannot attach uprobes: %s", strerror(-rc));
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

bool session__uses_multi(const struct session *s)
{
	return s->multi;
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
	probes_bpf__destroy(s->skel);
	free(s);
}
