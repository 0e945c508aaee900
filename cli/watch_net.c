// SPDX-License-Identifier: MIT
/* The socket rows inside watch's frames; see watch_net.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "cli/watch_net.h"

int watch_net__start(struct watch_net *n, const struct env *env, unsigned int protos,
		     unsigned long long budget)
{
	struct net_setup st = {
		.pid = env->pid, .protos = protos, .routes = env->routes,
		.labels = env->max_labels, .slow_ns = 0,
	};
	unsigned long long bytes;
	char err[512], b[2][32];
	int rc;

	n->protos = protos;
	if (env->children && follow_tree__init(&st.follow, env->pid, err, sizeof(err))) {
		report_error("%s", err);
		return EXIT_RUNTIME;
	}
	if (net_session__open(&n->s, err, sizeof(err))) {
		report_error("%s", err);
		return EXIT_RUNTIME;
	}
	net_session__setup(n->s, &st);
	bytes = net_session__memory(n->s);
	if (bytes > budget) {
		report_error("the socket maps would take %s of kernel memory, over the %s the ops "
			     "leave of the budget (SYNCTRACE_MAP_BUDGET_MB sets the budget)",
			     format_bytes(b[0], sizeof(b[0]), bytes),
			     format_bytes(b[1], sizeof(b[1]), budget));
		return EXIT_USAGE;
	}
	if ((rc = net_session__start(n->s, err, sizeof(err)))) {
		report_error("%s", err);
		return EXIT_RUNTIME;
	}
	net_session__maps(n->s, &n->maps);
	if ((rc = net_table__read(&n->maps, &n->zero))) {
		report_error("cannot read BPF maps: %s", strerror(-rc));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int watch_net__reading(struct watch_net *n)
{
	struct net_table now;
	int rc;

	net_table__free(&n->frame);
	if ((rc = net_table__read(&n->maps, &now)) ||
	    (rc = net_table__delta(&n->frame, &now, n->have_prev ? &n->prev : &n->zero))) {
		net_table__free(&now);
		report_error("cannot read BPF maps: %s", strerror(-rc));
		return rc;
	}
	net_table__free(&n->prev);
	n->prev = now;
	n->have_prev = true;
	return 0;
}

int watch_net__summary(struct watch_net *n)
{
	int rc;

	net_table__free(&n->frame);
	if ((rc = net_table__delta(&n->frame, n->have_prev ? &n->prev : &n->zero, &n->zero)))
		report_error("cannot read BPF maps: %s", strerror(-rc));
	return rc;
}

int watch_net__merge(struct watch_net *n, struct output_frame *f)
{
	size_t i;
	int rc;

	net_frame_rows__free(&n->rows);
	free(n->merged);
	free(n->drops);
	n->merged = NULL;
	n->drops = NULL;
	if ((rc = net_frame_rows__fill(&n->rows, &n->frame, n->protos)))
		return rc;
	n->merged = calloc(f->nr_rows + n->rows.nr + 1, sizeof(*n->merged));
	n->drops = calloc(f->nr_drops + NET_DROP_NR, sizeof(*n->drops));
	if (!n->merged || !n->drops)
		return -ENOMEM;
	memcpy(n->merged, f->rows, f->nr_rows * sizeof(*f->rows));
	memcpy(n->merged + f->nr_rows, n->rows.rows, n->rows.nr * sizeof(*n->rows.rows));
	memcpy(n->drops, f->drops, f->nr_drops * sizeof(*f->drops));
	/* the ops have read_failed and events_lost too: the sockets' are net_... */
	for (i = 0; i < NET_DROP_NR; i++) {
		snprintf(n->drop_names[i], sizeof(n->drop_names[i]), "net_%s",
			 n->rows.drops[i].name);
		n->drops[f->nr_drops + i] = (struct frame_count){ n->drop_names[i],
								  n->rows.drops[i].n };
	}
	f->rows = n->merged;
	f->nr_rows += n->rows.nr;
	f->drops = n->drops;
	f->nr_drops += NET_DROP_NR;
	f->net = &n->rows.totals;
	f->probes_attached += (unsigned int)net_session__nr_links(n->s);
	return 0;
}

void watch_net__free(struct watch_net *n)
{
	net_frame_rows__free(&n->rows);
	free(n->merged);
	free(n->drops);
	net_table__free(&n->zero);
	net_table__free(&n->prev);
	net_table__free(&n->frame);
	net_session__free(n->s);
	memset(n, 0, sizeof(*n));
}
