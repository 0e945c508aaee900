// SPDX-License-Identifier: MIT
/* State machines from the ops maps; see ops_states.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "maps/ops_states.h"

static int cmp_state_key(const void *a, const void *b)
{
	const struct state_key *x = a, *y = b;

	if (x->state != y->state)
		return x->state < y->state ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The time in the current state so far counts in its time_in, unless the
 * process exited: the kernel side closed its last dwell then. */
static void add_current_dwell(struct state_rec *rec, uint64_t now)
{
	uint64_t since = rec->cur_since >> 4;

	if (rec->cur_since && !rec->ended_ns && now > since)
		rec->time_in[rec->cur_since & (STATE_VALUES - 1)] += now - since;
}

int op_states__read(int fd, struct op_table *t)
{
	struct state_key k, next, *prev = NULL;
	struct state_row *rows;
	size_t cap = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (t->nr_states == cap) {
			cap = cap ? 2 * cap : 8;
			rows = realloc(t->states, cap * sizeof(*rows));
			if (!rows)
				return -ENOMEM;
			t->states = rows;
		}
		rows = &t->states[t->nr_states];
		rows->key = k;
		if (bpf_map_lookup_elem(fd, &k, &rows->rec))
			continue;
		add_current_dwell(&rows->rec, t->time_ns);
		t->nr_states++;
	}
	if (t->nr_states)
		qsort(t->states, t->nr_states, sizeof(*t->states), cmp_state_key);
	return 0;
}

int op_states__copy(struct op_table *out, const struct op_table *from)
{
	out->nr_states = 0;
	if (!from->nr_states)
		return 0;
	out->states = malloc(from->nr_states * sizeof(*out->states));
	if (!out->states)
		return -ENOMEM;
	memcpy(out->states, from->states, from->nr_states * sizeof(*out->states));
	out->nr_states = from->nr_states;
	return 0;
}
