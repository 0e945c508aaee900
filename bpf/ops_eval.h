/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Part of bpf/ops.bpf.c (included once, after its maps, struct site and
 * drop()): where arguments come from (registers, USDT specs) and how an
 * op's expressions and predicates are evaluated.
 */
#ifndef SYNCTRACE_OPS_EVAL_H
#define SYNCTRACE_OPS_EVAL_H

/* A C function's arguments: the System V registers. */
static __always_inline void reg_args(struct pt_regs *ctx, __u64 *args)
{
	args[0] = PT_REGS_PARM1(ctx);
	args[1] = PT_REGS_PARM2(ctx);
	args[2] = PT_REGS_PARM3(ctx);
	args[3] = PT_REGS_PARM4(ctx);
	args[4] = PT_REGS_PARM5(ctx);
	args[5] = ctx->r9; /* PT_REGS_PARM6 is newer than libbpf 1.1 */
}

/*
 * A Go function's: ABIInternal (Go 1.17+ on amd64) passes integers,
 * pointers and the words of strings and slices in these nine registers,
 * in order; a string is two words (pointer, length).
 */
static __always_inline void go_reg_args(struct pt_regs *ctx, __u64 *args)
{
	args[0] = ctx->rax;
	args[1] = ctx->rbx;
	args[2] = ctx->rcx;
	args[3] = ctx->rdi;
	args[4] = ctx->rsi;
	args[5] = ctx->r8;
	args[6] = ctx->r9;
	args[7] = ctx->r10;
	args[8] = ctx->r11;
}

/*
 * Set before load: the programs were loaded sleepable, so a read whose page
 * the process never touched may fault it in (bpf_copy_from_user). A
 * non-sleepable program cannot: the page fault handler would have to sleep.
 */
const volatile __u32 reads_fault_in = 0;

/*
 * Nothing is mapped below vm.mmap_min_addr (64 KiB by default): a read
 * there is a NULL pointer plus an offset, and a fault could not help it.
 * Not faulting spares such reads a trip through the page fault handler.
 */
#define OPS_FAULT_MIN_ADDR 65536ULL

/*
 * size bytes of the traced process at addr, into dst: 0 or -errno. The
 * non-faulting read first (the page is nearly always there); only when it
 * fails, and fault (reads_fault_in, or a constant 0) allows, the faulting
 * one. Every path to bpf_copy_from_user tests reads_fault_in, so that the
 * verifier drops it from a non-sleepable program as dead code.
 */
static __always_inline long user_read(void *dst, __u32 size, __u64 addr, __u32 fault)
{
	long err = bpf_probe_read_user(dst, size, (void *)addr);

	if (err && fault && addr >= OPS_FAULT_MIN_ADDR)
		err = bpf_copy_from_user(dst, size, (void *)addr);
	return err;
}

/*
 * The string at addr, up to its NUL or size - 1 bytes: its length with the
 * NUL, or -errno. Where the pages are absent: fault in addr's page and read
 * again; if the string runs on into the next page, fault that in too. No
 * kfunc (bpf_copy_from_user_str, 6.12+): its BTF id would have to be
 * patched into eval(), a global subprogram libbpf 1.1 gives no hook into.
 */
static __always_inline long user_read_str(void *dst, __u32 size, __u64 addr, __u32 fault)
{
	long n = bpf_probe_read_user_str(dst, size, (void *)addr);
	__u64 last = addr + size - 1;
	char c;

	if (n >= 0 || !fault || addr < OPS_FAULT_MIN_ADDR)
		return n;
	if (bpf_copy_from_user(&c, 1, (void *)addr))
		return n;	/* nothing there to fault in */
	n = bpf_probe_read_user_str(dst, size, (void *)addr);
	if (n >= 0 || !((addr ^ last) & ~4095ULL))
		return n;
	bpf_copy_from_user(&c, 1, (void *)(last & ~4095ULL));
	return bpf_probe_read_user_str(dst, size, (void *)addr);
}

/* A value of |size| bytes in the low end of v, sign- or zero-extended. */
static __always_inline __u64 extend(__u64 v, int size)
{
	int shift = 64 - 8 * (size < 0 ? -size : size);

	if (shift <= 0 || shift >= 64)
		return v;
	return size < 0 ? (__u64)(((__s64)(v << shift)) >> shift) : (v << shift) >> shift;
}

/* USDT arguments from the site's spec: a register of the probed
 * instruction, a constant, or memory at a register plus a displacement. */
static __always_inline void usdt_args(struct pt_regs *ctx, const struct op_usdt_spec *sp,
				      __u64 *args)
{
	int i;

	for (i = 0; i < OPS_ARGS; i++) {
		const struct op_usdt_arg *a = &sp->args[i];
		__u64 v = 0;

		if (i >= sp->nr_args)
			break;
		if (a->kind == OPU_CONST) {
			args[i] = (__u64)a->val;
			continue;
		}
		/* a variable offset into ctx may not be loaded directly */
		if (bpf_probe_read_kernel(&v, sizeof(v), (void *)ctx + a->reg_off))
			continue;
		if (a->kind == OPU_REG_DEREF &&
		    user_read(&v, sizeof(v), v + a->val, reads_fault_in)) {
			drop(OPD_READ_FAILED);
			continue;
		}
		args[i] = extend(v, a->size);
	}
}

/*
 * A site's arguments, and where its file is loaded: the probed
 * instruction's address now minus its address in the file (a uprobe
 * handler sees the probed address as ip), which sym() adds to a global's
 * address in the file. The cookie says which registers hold the
 * arguments, and the index + 1 of the site's info (0: none).
 */
static __always_inline void site_args(struct pt_regs *ctx, __u64 cookie, struct site *s)
{
	const struct op_site_info *si;
	__u32 info = OP_COOKIE_SITE(cookie), idx = info - 1;

	si = info ? bpf_map_lookup_elem(&site_infos, &idx) : NULL;
	if (si)
		s->bias = PT_REGS_IP(ctx) - si->vaddr;
	if (si && si->usdt)
		usdt_args(ctx, &si->spec, s->args);
	else if (cookie & OP_COOKIE_GO_ABI)
		go_reg_args(ctx, s->args);
	else
		reg_args(ctx, s->args);
}

/* Read size bytes of the traced process at addr, sign- or zero-extended. */
static __always_inline int read_user(__u64 addr, const struct op_read *r, __u64 *out,
				     __u32 fault)
{
	__u64 v = 0;
	int size = r->size & 15, err;

	if (size != 1 && size != 2 && size != 4)
		size = 8;
	err = user_read(&v, size, addr, fault);
	*out = extend(v, r->is_signed ? -size : size);
	return err;
}

/* FNV-1a of the string in s->text: a string label's value. */
static __always_inline __u64 hash_text(const struct site *s)
{
	__u64 h = 0xcbf29ce484222325ULL;
	int i;

	for (i = 0; i < OPS_STR_MAX; i++) {
		if (!s->text[i])
			break;
		h ^= (__u8)s->text[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static __always_inline __u64 read_str(struct site *s, __u64 addr, int comm, __u32 fault)
{
	__builtin_memset(s->text, 0, sizeof(s->text));
	if (comm)
		bpf_get_current_comm(s->text, sizeof(s->text));
	else if (user_read_str(s->text, sizeof(s->text), addr, fault) < 0)
		drop(OPD_READ_FAILED);
	return hash_text(s);
}

/*
 * str(PTR, LEN): exactly LEN bytes, not up to a NUL (a Go string has none,
 * a C buffer's may be far); a length <= 0 is the empty string, one past
 * the label's room is cut to it, so no more than that is ever read.
 */
static __always_inline __u64 read_str_len(struct site *s, __u64 addr, __s64 len, __u32 fault)
{
	__u32 n = len <= 0 ? 0 : len >= OPS_STR_MAX - 1 ? OPS_STR_MAX - 1 : (__u32)len;

	__builtin_memset(s->text, 0, sizeof(s->text));
	if (n && user_read(s->text, n & (OPS_STR_MAX - 1), addr, fault))
		drop(OPD_READ_FAILED);
	return hash_text(s);
}

/*
 * base + add, each read, + post_add, cut by the cast: a number's value
 * (a constant's base is 0). -1 if a read failed.
 */
static __always_inline int number(__u8 base, __u8 arg, __s64 add, __u8 nr_reads,
				  const struct op_read *reads, __s64 post_add, __s8 cast,
				  const struct site *s, __u64 *out, __u32 fault)
{
	__u64 v = 0;
	int i;

	switch (base) {
	case OPX_ARG:
		if (arg < OPS_ARGS)
			v = s->args[arg];
		break;
	case OPX_RET:
		v = s->ret;
		break;
	case OPX_SYM:
		v = s->bias;	/* + add, the global's address in the file */
		break;
	}
	v += (__u64)add;
	for (i = 0; i < OPS_EXPR_READS; i++) {
		if (i >= nr_reads)
			break;
		if (read_user(v + (__u64)(__s64)reads[i].off, &reads[i], &v, fault)) {
			drop(OPD_READ_FAILED);
			return -1;
		}
	}
	v += (__u64)post_add;
	*out = cast ? extend(v, cast) : v;
	return 0;
}

/* An expression's value; its reads may fault pages in if fault is set. */
static __always_inline __u64 eval_body(const struct op_expr *e, struct site *s, __u32 fault)
{
	const struct op_len *l;
	__u64 v = 0, n = 0;

	if (!e || !s)
		return 0;
	switch (e->base) {
	case OPX_PID:
		return bpf_get_current_pid_tgid() >> 32;
	case OPX_TID:
		return (__u32)bpf_get_current_pid_tgid();
	case OPX_COMM:
		return read_str(s, 0, 1, 0);
	case OPX_CONST:
		return (__u64)e->add;
	}
	if (number(e->base, e->arg, e->add, e->nr_reads, e->reads, e->post_add, e->cast, s, &v,
		   fault))
		return 0;
	if (!e->str)
		return v;
	l = &e->len;
	if (!l->set)
		return read_str(s, v, 0, fault);
	/* a length that cannot be read is no length: the empty string */
	if (number(l->base, l->arg, l->add, l->nr_reads, l->reads, l->post_add, l->cast, s, &n,
		   fault))
		n = 0;
	return read_str_len(s, v, (__s64)n, fault);
}

/*
 * An expression's value. A global function: the verifier checks it once,
 * from its argument types, rather than on every path of every caller that
 * would inline it (inlined, the two programs took ~400k verified
 * instructions and ~0.55 s to load; see OPS-KERNEL.md). A global function
 * must check its pointers itself.
 *
 * Two of them: the kernel (6.18 here) marks a global function that may sleep,
 * reachable or not, and refuses its call from a non-sleepable program; so
 * eval() never faults, and eval_fault(), called only when reads_fault_in
 * is set, may.
 */
__noinline __u64 eval(const struct op_expr *e, struct site *s)
{
	return eval_body(e, s, 0);
}

__noinline __u64 eval_fault(const struct op_expr *e, struct site *s)
{
	return eval_body(e, s, reads_fault_in);
}

static __always_inline __u64 eval_any(const struct op_expr *e, struct site *s)
{
	return reads_fault_in ? eval_fault(e, s) : eval(e, s);
}

/*
 * The same, with the common plain argN and ret (no reads, string or cast)
 * inline: a call to a global function costs ~30 ns here (every return goes
 * through the kernel's SRSO-safe return thunk on this AMD host).
 */
static __always_inline __u64 eval_at(const struct op_expr *e, struct site *s)
{
	__u64 v;

	if (e->nr_reads || e->str || e->cast)
		return eval_any(e, s);
	switch (e->base) {
	case OPX_ARG:
		v = e->arg < OPS_ARGS ? s->args[e->arg] : 0;
		break;
	case OPX_RET:
		v = s->ret;
		break;
	default:
		return eval_any(e, s);
	}
	return v + (__u64)e->add + (__u64)e->post_add;
}

/* l CMP r, signed: error= and when= */
static __always_inline int holds(__u32 cmp, __s64 l, __s64 r)
{
	switch (cmp) {
	case OPC_LT: return l < r;
	case OPC_LE: return l <= r;
	case OPC_GT: return l > r;
	case OPC_GE: return l >= r;
	case OPC_EQ: return l == r;
	case OPC_NE: return l != r;
	}
	return 0;
}

/* when= rejects this hit (its value known by now) */
static __always_inline int rejected(const struct op_cfg *cfg, const struct site *s)
{
	return (cfg->flags & OPF_WHEN) && s->role != OP_ROLE_START &&
	       !holds(cfg->when_cmp, (__s64)s->x[OPS_SLOT_WHEN], cfg->when_rhs);
}

#endif /* SYNCTRACE_OPS_EVAL_H */
