// SPDX-License-Identifier: MIT
/* Compile parsed ops to kernel configuration and probe sites; see ops_compile.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/ops_compile.h"
#include "loader/lang_runtime.h"
#include "loader/usdt_notes.h"

/* What one probe of an op or state does: its role, and the expressions it evaluates. */
struct side {
	const char *file;
	int line;
	const char *what;		/* "op 'x'" or "state 'x'" */
	const struct probe_spec *probe;
	__u64 cookie;			/* index and role */
	const struct expr *exprs[4];	/* the expressions evaluated at this probe */
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
}

static void compile_cfg(const struct op_spec *o, const struct ops_options *opt,
			struct op_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->max_labels = opt->max_labels;
	c->slow_ns = o->count_only ? 0 : opt->slow_ns;
	if (!o->count_only)
		c->flags |= OPF_LATENCY;
	if (o->start.has_key) {
		c->flags |= OPF_KEYED;
		to_op_expr(&o->start.key, &c->x[OPS_SLOT_KEY_START]);
		to_op_expr(&o->end.key, &c->x[OPS_SLOT_KEY_END]);
	}
	if (o->error.set) {
		c->flags |= OPF_ERROR;
		c->error_cmp = (__u32)o->error.cmp;
		c->error_rhs = o->error.rhs;
		to_op_expr(&o->error.lhs, &c->x[OPS_SLOT_ERROR]);
	}
	if (o->ignore_unmatched)
		c->flags |= OPF_IGNORE_UNMATCHED;
	if (o->when.set) {
		c->flags |= OPF_WHEN;
		c->when_cmp = (__u32)o->when.cmp;
		c->when_rhs = o->when.rhs;
		to_op_expr(&o->when.lhs, &c->x[OPS_SLOT_WHEN]);
	}
	if (o->has_value) {
		c->flags |= OPF_VALUE;
		to_op_expr(&o->value, &c->x[OPS_SLOT_VALUE]);
	}
	if (o->has_label) {
		c->flags |= OPF_LABEL;
		to_op_expr(&o->label, &c->x[OPS_SLOT_LABEL]);
	}
}

/* The start (or only) probe of an op, and the end of a paired one. */
static void op_sides(const struct op_spec *o, size_t i, struct side *start, struct side *end)
{
	const struct expr *label = o->has_label ? &o->label : NULL;
	const struct expr *value = o->has_value ? &o->value : NULL;
	const struct expr *error = o->error.set ? &o->error.lhs : NULL;
	const struct expr *when = o->when.set ? &o->when.lhs : NULL;
	bool ret = at_return(label) || at_return(value) || at_return(error) || at_return(when);
	enum op_role role = o->count_only && !ret ? OP_ROLE_EVENT : OP_ROLE_CALL;

	*start = (struct side){ o->file, o->line, NULL, &o->start, OP_COOKIE(i, role),
				{ label, value, error, when } };
	if (!o->paired) {
		if (role == OP_ROLE_CALL)
			start->cookie |= OP_COOKIE_AT_RETURN;
		return;
	}
	start->cookie = OP_COOKIE(i, OP_ROLE_START);
	start->exprs[0] = o->start.has_key ? &o->start.key : NULL;
	start->exprs[2] = start->exprs[3] = NULL;
	*end = (struct side){ o->file, o->line, NULL, &o->end, OP_COOKIE(i, OP_ROLE_END),
			      { o->end.has_key ? &o->end.key : NULL, error, when } };
	for (int k = 0; k < 4; k++) {
		if (at_return(start->exprs[k]))
			start->cookie |= OP_COOKIE_AT_RETURN;
		if (at_return(end->exprs[k]))
			end->cookie |= OP_COOKIE_AT_RETURN;
	}
}

static int max_arg(const struct side *s)
{
	int k, n = -1;

	for (k = 0; k < 4; k++)
		if (s->exprs[k] && s->exprs[k]->base == EXPR_ARG && s->exprs[k]->arg > n)
			n = s->exprs[k]->arg;
	return n;
}

/* A USDT site's argument locations, as the kernel side reads them. */
static int add_usdt_spec(struct ops_program *p, const struct probe_site *site, __u64 *cookie)
{
	struct op_usdt_spec *specs, *sp;
	int i;

	if (p->nr_usdt_specs == OPS_USDT_SPECS)
		return -E2BIG;
	specs = realloc(p->usdt_specs, (p->nr_usdt_specs + 1) * sizeof(*specs));
	if (!specs)
		return -ENOMEM;
	p->usdt_specs = specs;
	sp = &specs[p->nr_usdt_specs++];
	memset(sp, 0, sizeof(*sp));
	sp->nr_args = site->usdt_nargs;
	for (i = 0; i < site->usdt_nargs && i < OPS_ARGS; i++) {
		const struct usdt_arg *a = &site->usdt_args[i];

		sp->args[i].val = a->val;
		sp->args[i].reg_off = (__u16)a->reg_off;
		sp->args[i].kind = a->kind == USDT_ARG_CONST ? OPU_CONST :
				   a->kind == USDT_ARG_REG ? OPU_REG : OPU_REG_DEREF;
		sp->args[i].size = (__s8)a->size;
	}
	*cookie |= (__u64)p->nr_usdt_specs << 32;
	return 0;
}

static int check_site(const struct side *s, const struct probe_site *site,
		      char *err, size_t errlen)
{
	int n = max_arg(s), k, i;

	for (k = 0; k < 4; k++)
		for (i = 0; s->exprs[k] && i < s->exprs[k]->nr_reads; i++)
			if (s->exprs[k]->reads[i].off != (__s32)s->exprs[k]->reads[i].off)
				return fail(s, err, errlen, "%s: a read offset is out of range",
					    s->probe->text);
	if (!site->usdt_args && n >= OPS_REG_ARGS)
		return fail(s, err, errlen, "%s: arguments past arg%d of a function are not "
			    "supported", s->probe->text, OPS_REG_ARGS - 1);
	if (site->usdt_args && site->usdt_nargs < 0 && n >= 0)
		return fail(s, err, errlen, "%s: the probe's arguments are in a form synctrace "
			    "does not read", s->probe->text);
	if (site->usdt_args && n >= site->usdt_nargs)
		return fail(s, err, errlen, "%s: the probe has %d argument%s, arg%d asked for",
			    s->probe->text, site->usdt_nargs, site->usdt_nargs == 1 ? "" : "s", n);
	return 0;
}

static int add_sites(struct ops_program *p, const struct side *s, const struct trace_plan *plan,
		     char *err, size_t errlen)
{
	struct probe_site *sites;
	size_t k;
	int rc;

	sites = realloc(p->sites, (p->nr_sites + plan->nr_sites) * sizeof(*sites));
	if (!sites)
		return -ENOMEM;
	p->sites = sites;
	for (k = 0; k < plan->nr_sites; k++) {
		struct probe_site *site = &sites[p->nr_sites];

		*site = plan->sites[k];
		site->cookie = s->cookie;
		if ((rc = check_site(s, site, err, errlen)))
			return rc;
		if (site->usdt_args && (rc = add_usdt_spec(p, site, &site->cookie)))
			return fail(s, err, errlen, "%s: %s", s->probe->text, rc == -E2BIG ?
				    "too many USDT sites" : strerror(-rc));
		p->nr_sites++;
	}
	return 0;
}

static int add_side(struct ops_program *p, struct resolver *r, struct runtime_cache *rt,
		    const struct side *s, char *err, size_t errlen)
{
	struct trace_plan *plan = &p->plans[p->nr_plans++];
	char msg[768];
	int rc;

	rc = resolver__add(r, &s->probe->target, plan, msg, sizeof(msg));
	/* a side that waits for the return must not put a return probe where it crashes */
	if (!rc && (s->cookie & OP_COOKIE_AT_RETURN) &&
	    (rc = lang_runtime__check_returns(rt, plan, msg, sizeof(msg))) == -EINVAL)
		return fail(s, err, errlen, "%s; make the op need no return: count (without "
			    "ret), or A -> B paired by key at entries (no ret, no @ret)", msg);
	if (rc) {
		snprintf(err, errlen, "%s:%d: %s: %s", s->file ? s->file : "--op", s->line,
			 s->what, msg);
		return rc;
	}
	return add_sites(p, s, plan, err, errlen);
}

static int compile_op(struct ops_program *p, struct resolver *r, struct runtime_cache *rt,
		      const struct op_spec *o, const struct ops_options *opt, char *err,
		      size_t errlen)
{
	size_t i = p->nr_ops++;
	struct side start, end;
	char what[OPS_NAME_MAX + 8];
	int rc;

	p->specs[i] = o;
	compile_cfg(o, opt, &p->cfgs[i]);
	op_sides(o, i, &start, &end);
	snprintf(what, sizeof(what), "op '%s'", o->name);
	start.what = end.what = what;
	rc = add_side(p, r, rt, &start, err, errlen);
	if (!rc && o->paired)
		rc = add_side(p, r, rt, &end, err, errlen);
	return rc;
}

static int compile_state(struct ops_program *p, struct resolver *r, const struct state_spec *st,
			 char *err, size_t errlen)
{
	size_t i = p->nr_states++;
	struct state_cfg *c = &p->state_cfgs[i];
	char what[OPS_NAME_MAX + 16];
	struct side s = { st->file, st->line, what, &st->probe,
			  OP_COOKIE(i, OP_ROLE_STATE), { &st->probe.key } };
	int v;

	snprintf(what, sizeof(what), "state '%s'", st->name);
	p->state_specs[i] = st;
	memset(c, 0, sizeof(*c));
	to_op_expr(&st->probe.key, &c->value);
	/* names[i] names values[i]; without names, the values 0-15 are their own names */
	c->nr_values = st->nr_names ? (__u32)st->nr_names : STATE_VALUES;
	for (v = 0; v < (int)c->nr_values; v++)
		c->values[v] = st->nr_names ? st->values[v] : v;
	return add_side(p, r, NULL, &s, err, errlen);	/* a state fires at entry */
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
	struct runtime_cache *rt = NULL;
	struct resolver *r = NULL;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = check_sizes(f, err, errlen)))
		return rc;
	r = resolver__new(pid);
	rt = runtime_cache__new();	/* ops on one big binary (node) read it once */
	out->plans = calloc(2 * f->nr_ops + f->nr_states + 1, sizeof(*out->plans));
	if (!r || !rt || !out->plans) {
		resolver__free(r);
		runtime_cache__free(rt);
		return -ENOMEM;
	}
	for (i = 0; i < f->nr_ops && !rc; i++)
		rc = compile_op(out, r, rt, &f->ops[i], opt, err, errlen);
	for (i = 0; i < f->nr_states && !rc; i++)
		rc = compile_state(out, r, &f->states[i], err, errlen);
	runtime_cache__free(rt);
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
	free(p->usdt_specs);
	memset(p, 0, sizeof(*p));
}
