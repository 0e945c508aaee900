/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/ops.bpf.c (included once, after its maps and helpers): state
 * machines, set at their probes and closed when their process exits.
 */
#ifndef SYNCTRACE_OPS_STATES_H
#define SYNCTRACE_OPS_STATES_H

/* A state machine's new value: time in the old state, and a transition if it changed. */
static __always_inline void set_state(struct site *s)
{
	struct state_key k = { .state = s->op, .pid = bpf_get_current_pid_tgid() >> 32 };
	const struct state_cfg *sc = bpf_map_lookup_elem(&state_cfgs, &s->op);
	struct state_rec *rec;
	__u64 v, now, old, since;
	__u32 slot, from, i;

	if (!sc)
		return;
	/* the low 32 bits: an int argument's register may carry garbage above them */
	v = eval_at(&sc->value, s);
	for (slot = 0; slot < STATE_VALUES; slot++)
		if (slot < sc->nr_values && (__u32)sc->values[slot] == (__u32)v)
			break;
	if (slot >= STATE_VALUES || slot >= sc->nr_values) {
		drop(OPD_STATE_UNKNOWN);
		return;
	}
	rec = lookup_or_init(&states, &k, zeroes());
	if (!rec) {
		drop(OPD_STATES_FULL);
		return;
	}
	now = bpf_ktime_get_ns();
	/* one exchange: two threads changing state at once each see the other's */
	old = __sync_lock_test_and_set(&rec->cur_since, now << 4 | slot);
	add_u64(&rec->calls, 1);
	if (!old)
		return;
	from = old & (STATE_VALUES - 1);
	since = old >> 4;
	if (now > since)
		add_u64(&rec->time_in[from], now - since);
	if (from == slot)
		return;
	add_u64(&rec->trans[from][slot], 1);
	i = __sync_fetch_and_add(&rec->recent_head, 1) & (STATE_RECENT - 1);
	rec->recent[i].ts = now;
	rec->recent[i].from = from;
	rec->recent[i].to = slot;
}

/* How many state machines the ops have: the exit hook looks at these. Set before load. */
const volatile __u32 nr_state_machines = 0;

/*
 * A process ends: close the last dwell of each of its state machines, so
 * that its time in the final state stops growing. Runs in the exiting
 * thread; only the group leader's exit ends the process.
 */
SEC("raw_tracepoint/sched_process_exit")
int state_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), now, old, since;
	struct state_key k = { .pid = id >> 32 };
	struct state_rec *rec;
	__u32 i;

	if ((__u32)id != k.pid)
		return 0;
	for (i = 0; i < OPS_STATES_MAX; i++) {
		if (i >= nr_state_machines)
			break;
		k.state = i;
		rec = bpf_map_lookup_elem(&states, &k);
		if (!rec || rec->ended_ns)
			continue;
		now = bpf_ktime_get_ns();
		old = rec->cur_since;
		since = old >> 4;
		if (old && now > since)
			add_u64(&rec->time_in[old & (STATE_VALUES - 1)], now - since);
		rec->ended_ns = now;
	}
	return 0;
}

#endif /* SYNCTRACE_OPS_STATES_H */
