// SPDX-License-Identifier: MIT
/* Compile parsed ops to kernel configuration and probe sites; see ops_compile.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/ops_compile.h"
#include "loader/elf_data.h"
#include "loader/lang_runtime.h"
#include "loader/placement.h"
#include "loader/usdt_notes.h"

/*
 * What one probe of an op or state does: its role, and the expression slots
 * (enum op_slot) it evaluates, which must be those bpf/ops_record.h's
 * role_slots() gives its role.
 */
struct side {
	const char *file;
	int line;
	const char *what;		/* "op 'x'" or "state 'x'" */
	const struct probe_spec *probe;
	__u64 cookie;			/* index and role */
	const struct expr *exprs[OPS_NR_SLOTS];	/* this side's, by slot; NULL: none */
	struct op_expr *x;		/* the kernel's copies of them, by slot */
};

static int fail(const struct side *s, char *err, size_t errlen, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s:%d: %s: %s", s->file ? s->file : "--op", s->line, s->what, msg);
	return -EINVAL;
}

static bool at_return(const struct expr *e)
{
	return e && (e->uses_ret || e->at_ret);
}

static void to_op_expr(const struct expr *e, struct op_expr *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->base = (__u8)e->base;	/* the same numbering (maps/ops.h) */
	out->arg = (__u8)e->arg;
	out->add = e->base == EXPR_CONST ? e->constant : e->add;
	out->post_add = e->post_add;
	out->nr_reads = (__u8)e->nr_reads;
	out->str = e->str;
	out->at_return = at_return(e);
	out->cast = (__s8)(e->cast_signed ? -e->cast_size : e->cast_size);
	for (i = 0; i < e->nr_reads && i < OPS_EXPR_READS; i++) {
		out->reads[i].off = (__s32)e->reads[i].off;
		out->reads[i].size = (__u8)e->reads[i].size;
		out->reads[i].is_signed = e->reads[i].is_signed;
	}
	if (!e->len.set)
		return;
	out->len.set = 1;
	out->len.base = (__u8)e->len.base;
	out->len.arg = (__u8)e->len.arg;
	out->len.add = e->len.base == EXPR_CONST ? e->len.constant : e->len.add;
	out->len.post_add = e->len.post_add;
	out->len.nr_reads = (__u8)e->len.nr_reads;
	out->len.cast = (__s8)(e->len.cast_signed ? -e->len.cast_size : e->len.cast_size);
	for (i = 0; i < e->len.nr_reads && i < OPS_EXPR_READS; i++) {
		out->len.reads[i].off = (__s32)e->len.reads[i].off;
		out->len.reads[i].size = (__u8)e->len.reads[i].size;
		out->len.reads[i].is_signed = e->len.reads[i].is_signed;
	}
}

/* The expression of each slot of o, as parsed (NULL: the slot is unused). */
static void slot_exprs(const struct op_spec *o, const struct expr **e)
{
	memset(e, 0, OPS_NR_SLOTS * sizeof(*e));
	if (o->start.has_key) {
		e[OPS_SLOT_KEY_START] = &o->start.key;
		e[OPS_SLOT_KEY_END] = &o->end.key;
	}
	if (o->start.has_key2) {
		e[OPS_SLOT_KEY_START2] = &o->start.key2;
		e[OPS_SLOT_KEY_END2] = &o->end.key2;
	}
	e[OPS_SLOT_WHEN] = o->when.set ? &o->when.lhs : NULL;
	e[OPS_SLOT_LABEL] = o->has_label ? &o->label : NULL;
	e[OPS_SLOT_VALUE] = o->has_value ? &o->value : NULL;
	e[OPS_SLOT_ERROR] = o->error.set ? &o->error.lhs : NULL;
	e[OPS_SLOT_BLOCKED] = o->would_block.set ? &o->would_block.lhs : NULL;
}

static void compile_cfg(const struct op_spec *o, const struct ops_options *opt,
			struct op_cfg *c)
{
	const struct expr *e[OPS_NR_SLOTS];
	int i;

	memset(c, 0, sizeof(*c));
	c->max_labels = opt->max_labels;
	c->slow_ns = o->count_only ? 0 : opt->slow_ns;
	slot_exprs(o, e);
	for (i = 0; i < OPS_NR_SLOTS; i++)
		if (e[i])
			to_op_expr(e[i], &c->x[i]);
	c->flags |= (o->count_only ? 0 : OPF_LATENCY) | (o->start.has_key ? OPF_KEYED : 0) |
		    (o->start.has_key2 ? OPF_KEY2 : 0) | (o->error.set ? OPF_ERROR : 0) |
		    (o->ignore_unmatched ? OPF_IGNORE_UNMATCHED : 0) |
		    (o->when.set ? OPF_WHEN : 0) | (o->has_value ? OPF_VALUE : 0) |
		    (o->has_label ? OPF_LABEL : 0) | (o->fanout ? OPF_FANOUT : 0) |
		    (o->would_block.set ? OPF_WOULD_BLOCK : 0);
	c->error_cmp = (__u32)o->error.cmp;
	c->error_rhs = o->error.rhs;
	c->when_cmp = (__u32)o->when.cmp;
	c->when_rhs = o->when.rhs;
	c->block_cmp = (__u32)o->would_block.cmp;
	c->block_rhs = o->would_block.rhs;
}

#define SLOT(i) (1U << (i))

/* A side that evaluates the slots in mask, waiting for the return if one needs it. */
static void side_slots(struct side *sd, const struct expr **e, __u32 mask)
{
	int i;

	for (i = 0; i < OPS_NR_SLOTS; i++) {
		sd->exprs[i] = mask & SLOT(i) ? e[i] : NULL;
		if (at_return(sd->exprs[i]))
			sd->cookie |= OP_COOKIE_AT_RETURN;
	}
}

/* The start (or only) probe of an op, and the end of a paired one. */
static void op_sides(const struct op_spec *o, size_t i, struct op_cfg *cfg, struct side *start,
		     struct side *end)
{
	const __u32 call = SLOT(OPS_SLOT_WHEN) | SLOT(OPS_SLOT_LABEL) | SLOT(OPS_SLOT_VALUE) |
			   SLOT(OPS_SLOT_ERROR) | SLOT(OPS_SLOT_BLOCKED);
	const __u32 label = SLOT(OPS_SLOT_LABEL);
	const struct expr *e[OPS_NR_SLOTS];

	slot_exprs(o, e);
	*start = (struct side){ o->file, o->line, NULL, &o->start, OP_COOKIE(i, OP_ROLE_CALL),
				.x = cfg->x };
	if (!o->paired) {
		side_slots(start, e, call);
		/* a count op records at the entry, unless an expression needs the return */
		if (o->count_only && !(start->cookie & OP_COOKIE_AT_RETURN))
			start->cookie = OP_COOKIE(i, OP_ROLE_EVENT);
		else
			start->cookie |= OP_COOKIE_AT_RETURN;
		return;
	}
	/* a fanout start is answered by many peers: the end's label names the peer */
	start->cookie = OP_COOKIE(i, OP_ROLE_START);
	side_slots(start, e, SLOT(OPS_SLOT_KEY_START) | SLOT(OPS_SLOT_KEY_START2) |
		   SLOT(OPS_SLOT_VALUE) | (o->fanout ? 0 : label));
	*end = (struct side){ o->file, o->line, NULL, &o->end, OP_COOKIE(i, OP_ROLE_END),
			      .x = cfg->x };
	side_slots(end, e, SLOT(OPS_SLOT_KEY_END) | SLOT(OPS_SLOT_KEY_END2) | SLOT(OPS_SLOT_WHEN) |
		   SLOT(OPS_SLOT_ERROR) | SLOT(OPS_SLOT_BLOCKED) | (o->fanout ? label : 0));
}

/* The highest argN the side's expressions read (str()'s LEN too), or -1. */
static int max_arg(const struct side *s)
{
	const struct expr *e;
	int k, n = -1;

	for (k = 0; k < OPS_NR_SLOTS; k++) {
		if (!(e = s->exprs[k]))
			continue;
		if (e->base == EXPR_ARG && e->arg > n)
			n = e->arg;
		if (e->len.set && e->len.base == EXPR_ARG && e->len.arg > n)
			n = e->len.arg;
	}
	return n;
}

/* Every read offset of e fits the kernel's 32 bits. */
static bool offsets_fit(const struct expr *e)
{
	int i;

	for (i = 0; i < e->nr_reads; i++)
		if (e->reads[i].off != (__s32)e->reads[i].off)
			return false;
	for (i = 0; e->len.set && i < e->len.nr_reads; i++)
		if (e->len.reads[i].off != (__s32)e->len.reads[i].off)
			return false;
	return true;
}

static bool uses_sym(const struct side *s)
{
	for (int k = 0; k < OPS_NR_SLOTS; k++)
		if (s->exprs[k] && s->exprs[k]->base == EXPR_SYM)
			return true;
	return false;
}

/* Does e read a register or memory at the probe's entry (not only at the return)? */
static bool reads_at_entry(const struct expr *e)
{
	if (e->base == EXPR_ARG || e->base == EXPR_SYM || (e->base != EXPR_RET && e->nr_reads))
		return true;
	return e->len.set && (e->len.base == EXPR_ARG ||
			      (e->len.base != EXPR_RET && e->len.nr_reads));
}

/*
 * What the side's probe at site reads at its entry, as the writes that
 * would spoil it (loader/placement.h): the return armed there (rsp), the
 * arguments, the stack and memory its expressions read.
 */
static __u32 placement_needs(const struct side *s, const struct probe_site *site)
{
	__u32 needs = (s->cookie & OP_COOKIE_AT_RETURN) ? PLACE_NEEDS_RETURN : 0;
	int k;

	for (k = 0; k < OPS_NR_SLOTS; k++)
		if (s->exprs[k] && reads_at_entry(s->exprs[k]))
			needs |= (site->cookie & OP_COOKIE_GO_ABI) ? PLACE_NEEDS_GO_ARGS :
				 PLACE_NEEDS_C_ARGS;
	return needs;
}

/*
 * sym(NAME) in this side's expressions: NAME's address in the file the
 * side probes, added to the kernel's copy (the kernel adds where the file
 * is loaded).
 */
static int resolve_syms(const struct side *s, const struct trace_plan *plan, char *err,
			size_t errlen)
{
	__u64 vaddr;
	int k, rc;

	for (k = 0; k < OPS_NR_SLOTS && plan->nr_sites; k++) {
		const struct expr *e = s->exprs[k];

		if (!e || e->base != EXPR_SYM)
			continue;
		rc = elf_data_symbol(plan->sites[0].path, e->sym, &vaddr);
		if (rc == -EMEDIUMTYPE)
			return fail(s, err, errlen, "sym(%s) is thread-local: it has no one address",
				    e->sym);
		if (rc) {
			fail(s, err, errlen, "sym(%s): no such global variable in %s%s", e->sym,
			     plan->points[0].target, rc == -ENOENT ? "" : " (cannot read its symbols)");
			return -ENOENT;	/* like an unknown function: a runtime error */
		}
		s->x[k].add += (__s64)vaddr;
	}
	return 0;
}

/* What the kernel needs of a site beyond its cookie: its USDT arguments, its address. */
static int add_site_info(struct ops_program *p, const struct probe_site *site, __u64 *cookie)
{
	struct op_site_info *infos, *si;
	int i;

	if (p->nr_site_infos == OPS_SITE_INFOS)
		return -E2BIG;
	infos = realloc(p->site_infos, (p->nr_site_infos + 1) * sizeof(*infos));
	if (!infos)
		return -ENOMEM;
	p->site_infos = infos;
	si = &infos[p->nr_site_infos++];
	memset(si, 0, sizeof(*si));
	si->vaddr = site->vaddr;
	si->usdt = site->usdt_args != NULL;
	si->spec.nr_args = site->usdt_args && site->usdt_nargs > 0 ? site->usdt_nargs : 0;
	for (i = 0; i < (int)si->spec.nr_args && i < OPS_ARGS; i++) {
		const struct usdt_arg *a = &site->usdt_args[i];

		si->spec.args[i].val = a->val;
		si->spec.args[i].reg_off = (__u16)a->reg_off;
		si->spec.args[i].kind = a->kind == USDT_ARG_CONST ? OPU_CONST :
					a->kind == USDT_ARG_REG ? OPU_REG : OPU_REG_DEREF;
		si->spec.args[i].size = (__s8)a->size;
	}
	*cookie |= (__u64)p->nr_site_infos << 32;
	return 0;
}

/*
 * Whether site's function takes Go's argument registers: a function of a
 * Go file whose name has a '.'. Go qualifies every function's name by its
 * package (main.apply, pkg/path.(*T).Method); the C code of a Go file
 * (cgo's exported wrappers, runtime/cgo) has C's names and C's registers.
 * The file is read only when an expression reads an argument.
 */
static int go_abi(const struct side *s, struct runtime_cache *rt,
		  const struct probe_site *site, bool *go, char *err, size_t errlen)
{
	struct runtime_info info;
	int rc;

	*go = false;
	if (site->usdt_args || max_arg(s) < 0 || !site->name ||
	    !ret_plan__is_go_function(site->name))
		return 0;
	rc = runtime_cache__detect(rt, site->path, &info);
	if (rc) {
		fail(s, err, errlen, "%s: %s: cannot tell its language runtime: %s",
		     s->probe->text, site->file ? site->file : site->path, strerror(-rc));
		return rc == -EINVAL ? -EIO : rc;
	}
	*go = info.runtime == LANG_RUNTIME_GO;
	return 0;
}

static int check_site(const struct side *s, const struct probe_site *site,
		      char *err, size_t errlen)
{
	int n = max_arg(s), k;
	bool go = site->cookie & OP_COOKIE_GO_ABI;

	for (k = 0; k < OPS_NR_SLOTS; k++)
		if (s->exprs[k] && !offsets_fit(s->exprs[k]))
			return fail(s, err, errlen, "%s: a read offset is out of range",
				    s->probe->text);
	if (!site->usdt_args && n >= (go ? OPS_GO_REG_ARGS : OPS_C_REG_ARGS))
		return fail(s, err, errlen, "%s: arguments past arg%d of a %sfunction are not "
			    "supported", s->probe->text,
			    (go ? OPS_GO_REG_ARGS : OPS_C_REG_ARGS) - 1, go ? "Go " : "");
	if (site->usdt_args && site->usdt_nargs < 0 && n >= 0)
		return fail(s, err, errlen, "%s: the probe's arguments are in a form synctrace "
			    "does not read", s->probe->text);
	if (site->usdt_args && n >= site->usdt_nargs)
		return fail(s, err, errlen, "%s: the probe has %d argument%s, arg%d asked for",
			    s->probe->text, site->usdt_nargs, site->usdt_nargs == 1 ? "" : "s", n);
	return 0;
}

/* Refusals about one function's code, which a glob can step past. */
static bool function_refusal(int rc)
{
	return rc == -ENOTSUP || rc == -EILSEQ || rc == -E2BIG || rc == -ENODATA || rc == -ENOENT;
}

/*
 * A site that waits for its function's return: a uretprobe, or probes on
 * the function's rets (loader/ret_plan.h), which the site's cookie and
 * its exits' name (OP_COOKIE_RP). 1: the function cannot be timed (why),
 * and the side has other functions to go on with.
 */
static int plan_return(struct ops_program *p, const struct side *s, const struct trace_plan *plan,
		       struct probe_site *site, char *why, size_t whylen, char *err,
		       size_t errlen)
{
	size_t first = p->rp->nr_exits;
	__u32 info;
	int rc;

	rc = ret_plan__add(p->rp, site, &info, why, whylen);
	if (function_refusal(rc) && plan->nr_sites > 1)
		return 1;
	if (rc == -EINVAL)
		return fail(s, err, errlen, "%s; --returns=auto probes its ret instructions instead",
			    why);
	if (rc < 0) {
		fail(s, err, errlen, "%s%s", function_refusal(rc) ? "cannot time " : "", why);
		return rc == -ENOMEM ? rc : -ENOTSUP;	/* the binary's doing: a runtime error */
	}
	if (rc != RET_USE_PROBES)
		return 0;
	if (p->rp->nr_infos > OP_COOKIE_RP_MAX)
		return fail(s, err, errlen, "%s: too many functions timed at their ret "
			    "instructions", s->probe->text);
	site->cookie |= ((__u64)info + 1) << OP_COOKIE_RP_SHIFT;
	for (; first < p->rp->nr_exits; first++) {
		struct ret_plan_exit *x = &p->rp->exits[first];

		x->site.cookie = (s->cookie & ~((__u64)OP_COOKIE_RP_MAX << OP_COOKIE_RP_SHIFT)) |
				 ((__u64)x->info + 1) << OP_COOKIE_RP_SHIFT;
	}
	return 0;
}

static int add_sites(struct ops_program *p, const struct side *s, const struct trace_plan *plan,
		     char *err, size_t errlen)
{
	char why[768], first_why[768] = "";
	size_t k, added = 0, refused = 0;
	struct probe_site *sites;
	bool go;
	int rc;

	sites = realloc(p->sites, (p->nr_sites + plan->nr_sites) * sizeof(*sites));
	if (!sites)
		return -ENOMEM;
	p->sites = sites;
	for (k = 0; k < plan->nr_sites; k++) {
		struct probe_site *site = &sites[p->nr_sites];

		*site = plan->sites[k];
		site->cookie = s->cookie;
		if ((rc = go_abi(s, p->rp->runtimes, site, &go, err, errlen)))
			return rc;
		if (go)
			site->cookie |= OP_COOKIE_GO_ABI;
		if ((rc = check_site(s, site, err, errlen)))
			return rc;
		placement__apply(site, placement_needs(s, site));
		if ((s->cookie & OP_COOKIE_AT_RETURN) && !site->usdt_args &&
		    (rc = plan_return(p, s, plan, site, why, sizeof(why), err, errlen))) {
			if (rc < 0)
				return rc;
			if (!refused++)	/* one warning for the side, below */
				snprintf(first_why, sizeof(first_why), "%s", why);
			continue;
		}
		if ((site->usdt_args || uses_sym(s)) &&
		    (rc = add_site_info(p, site, &site->cookie)))
			return fail(s, err, errlen, "%s: %s", s->probe->text, rc == -E2BIG ?
				    "too many USDT sites or sites with sym()" : strerror(-rc));
		p->nr_sites++;
		added++;
	}
	if (!added) {
		fail(s, err, errlen, "%s: none of its functions can be timed (%s)", s->probe->text,
		     first_why);
		return -ENOTSUP;
	}
	if (refused == 1)
		fprintf(stderr, "synctrace: warning: %s:%d: %s: cannot time %s; not traced\n",
			s->file ? s->file : "--op", s->line, s->what, first_why);
	else if (refused)
		fprintf(stderr, "synctrace: warning: %s:%d: %s: cannot time %s; not traced, nor "
			"%zu other matching function%s\n", s->file ? s->file : "--op", s->line,
			s->what, first_why, refused - 1, refused > 2 ? "s" : "");
	return 0;
}

static int add_side(struct ops_program *p, struct resolver *r, const struct side *s, char *err,
		    size_t errlen)
{
	struct trace_plan *plan = &p->plans[p->nr_plans++];
	char msg[768];
	int rc;

	rc = resolver__add(r, &s->probe->target, plan, msg, sizeof(msg));
	if (!rc && (s->cookie & OP_COOKIE_AT_RETURN) &&
	    trace_plan__check_entries(plan, msg, sizeof(msg)))
		return fail(s, err, errlen, "%s; make the op need no return (no ret, no @ret)", msg);
	if (rc) {
		snprintf(err, errlen, "%s:%d: %s: %s", s->file ? s->file : "--op", s->line,
			 s->what, msg);
		return rc;
	}
	if ((rc = resolve_syms(s, plan, err, errlen)))
		return rc;
	return add_sites(p, s, plan, err, errlen);
}

static int compile_op(struct ops_program *p, struct resolver *r, const struct op_spec *o,
		      const struct ops_options *opt, char *err, size_t errlen)
{
	size_t i = p->nr_ops++;
	struct side start, end;
	char what[OPS_NAME_MAX + 8];
	int rc;

	p->specs[i] = o;
	compile_cfg(o, opt, &p->cfgs[i]);
	op_sides(o, i, &p->cfgs[i], &start, &end);
	/* where the op records: ret means something there only at a return */
	p->returns[i] = !!((o->paired ? end.cookie : start.cookie) & OP_COOKIE_AT_RETURN);
	snprintf(what, sizeof(what), "op '%s'", o->name);
	start.what = end.what = what;
	rc = add_side(p, r, &start, err, errlen);
	if (!rc && o->paired)
		rc = add_side(p, r, &end, err, errlen);
	return rc;
}

static int compile_state(struct ops_program *p, struct resolver *r,
			 const struct state_spec *st, char *err, size_t errlen)
{
	size_t i = p->nr_states++;
	struct state_cfg *c = &p->state_cfgs[i];
	char what[OPS_NAME_MAX + 16];
	struct side s = { st->file, st->line, what, &st->probe, OP_COOKIE(i, OP_ROLE_STATE),
			  { &st->probe.key }, &c->value };
	int v;

	snprintf(what, sizeof(what), "state '%s'", st->name);
	p->state_specs[i] = st;
	memset(c, 0, sizeof(*c));
	to_op_expr(&st->probe.key, &c->value);
	/* names[i] names values[i]; without names, the values 0-15 are their own names */
	c->nr_values = st->nr_names ? (__u32)st->nr_names : STATE_VALUES;
	for (v = 0; v < (int)c->nr_values; v++)
		c->values[v] = st->nr_names ? st->values[v] : v;
	return add_side(p, r, &s, err, errlen);	/* a state fires at entry */
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct probe_site *)a)->path, ((const struct probe_site *)b)->path);
}

static int check_sizes(const struct ops_file *f, char *err, size_t errlen)
{
	if (f->nr_ops > OPS_MAX) {
		snprintf(err, errlen, "too many ops: %zu (at most %d)", f->nr_ops, OPS_MAX);
		return -EINVAL;
	}
	if (f->nr_states > OPS_STATES_MAX) {
		snprintf(err, errlen, "too many states: %zu (at most %d)", f->nr_states,
			 OPS_STATES_MAX);
		return -EINVAL;
	}
	return 0;
}

int ops_compile(const struct ops_file *f, pid_t pid, const struct ops_options *opt,
		struct ops_program *out, char *err, size_t errlen)
{
	struct resolver *r = NULL;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_sizes(f, err, errlen)))
		return rc;
	r = resolver__new(pid);
	if (r)
		resolver__set_placement(r, !opt->no_placement);
	out->rp = ret_plan__new(opt->returns);	/* ops on one big binary (node) read it once */
	out->plans = calloc(2 * f->nr_ops + f->nr_states + 1, sizeof(*out->plans));
	if (!r || !out->rp || !out->plans) {
		resolver__free(r);
		return -ENOMEM;
	}
	for (i = 0; i < f->nr_ops && !rc; i++)
		rc = compile_op(out, r, &f->ops[i], opt, err, errlen);
	for (i = 0; i < f->nr_states && !rc; i++)
		rc = compile_state(out, r, &f->states[i], err, errlen);
	resolver__free(r);
	if (!rc)
		qsort(out->sites, out->nr_sites, sizeof(*out->sites), cmp_path);
	return rc;
}

void ops_program__free(struct ops_program *p)
{
	size_t i;

	for (i = 0; p->plans && i < p->nr_plans; i++)
		trace_plan__free(&p->plans[i]);
	free(p->plans);
	free(p->sites);
	free(p->site_infos);
	ret_plan__free(p->rp);
	memset(p, 0, sizeof(*p));
}
