/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/ops.bpf.c (included once, after struct site, drop() and
 * zeroes()): the frames of ops on Go functions timed at their rets
 * (bpf/ret_probes.h), kept per goroutine and stack depth, since a
 * goroutine moves between threads and its stack moves when it grows.
 */
#ifndef SYNCTRACE_OPS_RETS_H
#define SYNCTRACE_OPS_RETS_H

/* Open calls of Go functions, by (g, depth, the site's op and role). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* GO_CALLS_MAX when some op waits in Go code, before load */
	__type(key, struct go_call_key);
	__type(value, struct op_frame);
} go_frames SEC(".maps");

/*
 * A Go call's entry: its frame, unless one is open at its key for the
 * same call, whose prologue morestack runs again (its start and values
 * stay); an open frame of a call that never returned (a panic) is reused.
 */
static __always_inline void go_push_frame(struct pt_regs *ctx, const struct rp_site *rp,
					  struct site *s, __u64 cookie)
{
	const void *zero = zeroes();
	struct go_call_key k;
	struct op_frame *f;

	if (go_call_key(ctx, OP_COOKIE_FRAME_ID(cookie), &k)) {
		drop(OPD_NO_GOROUTINE);
		return;
	}
	f = bpf_map_lookup_elem(&go_frames, &k);
	if (f && go_prologue_rerun(ctx, k.g, rp))
		return;
	if (f) {
		drop(OPD_MISSED_RETURN);
	} else {
		if (!zero || bpf_map_update_elem(&go_frames, &k, zero, BPF_NOEXIST)) {
			drop(OPD_CALLS_FULL);
			return;
		}
		f = bpf_map_lookup_elem(&go_frames, &k);
		if (!f)
			return;
	}
	fill_frame(f, ctx, s, cookie);
}

/*
 * The frame a Go call's exit closes, taken out into out: 0; 1 there is
 * none (not counted here); -1 no goroutine (counted).
 */
static __always_inline int go_pop_frame(struct pt_regs *ctx, __u32 frame_id, struct site *out,
					__u64 *ts)
{
	struct go_call_key k;
	struct op_frame *f;

	if (go_call_key(ctx, frame_id, &k)) {
		drop(OPD_NO_GOROUTINE);
		return -1;
	}
	f = bpf_map_lookup_elem(&go_frames, &k);
	if (!f)
		return 1;
	*ts = f->ts;
	out->bias = f->bias;
	out->label_kind = f->label_kind;
	__builtin_memcpy(out->args, f->args, sizeof(f->args));
	__builtin_memcpy(out->x, f->x, sizeof(out->x));
	bpf_map_delete_elem(&go_frames, &k);
	return 0;
}

/*
 * A thread that exits with calls open (pthread_exit inside one) takes its
 * frames with it: missed returns. Attached when functions are timed at
 * their rets.
 */
SEC("raw_tracepoint/sched_process_exit")
int op_thread_gone(void *ctx)
{
	struct op_frames *st = bpf_task_storage_get(&op_frames, bpf_get_current_task_btf(), 0, 0);
	__u32 reason = OPD_MISSED_RETURN, d;
	__u64 *n;

	if (!st)
		return 0;
	d = st->depth;
	st->depth = 0;
	n = bpf_map_lookup_elem(&op_drops, &reason);
	if (n && d && d <= OPS_FRAME_DEPTH)
		add_u64(n, d);
	return 0;
}

#endif /* SYNCTRACE_OPS_RETS_H */
