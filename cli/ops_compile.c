// SPDX-License-Identifier: MIT
/* Compile parsed ops to kernel configuration and probe sites; see ops_compile.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/ops_compile.h"

static int fail(const struct op_spec *o, char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s:%d: op '%s': %s", o->file ? o->file : "--op", o->line,
		 o->name, why);
	return -EINVAL;
}

static bool has_reads(const struct expr *e)
{
	return e->nr_reads > 0;
}

/* What this release's kernel side does not do yet, said plainly. */
static int check_supported(const struct op_spec *o, char *err, size_t errlen)
{
	if (o->paired)
		return fail(o, err, errlen, "paired ops (A -> B) are not supported yet");
	if (o->start.target.kind == TARGET_USDT)
		return fail(o, err, errlen, "ops on USDT probes are not supported yet");
	if (o->has_label && expr__is_string(&o->label))
		return fail(o, err, errlen, "string labels (str(), comm) are not supported yet");
	if (o->value.at_ret || o->label.at_ret || o->error.lhs.at_ret ||
	    (!o->count_only && ((o->has_value && has_reads(&o->value)) ||
				(o->has_label && has_reads(&o->label)) ||
				(o->error.set && has_reads(&o->error.lhs)))))
		return fail(o, err, errlen, "memory reads in ops are not supported yet");
	return 0;
}

static int to_op_expr(const struct op_spec *o, const struct expr *e, struct op_expr *out,
		      char *err, size_t errlen)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->base = (__u8)e->base;	/* the same numbering (maps/ops.h) */
	out->arg = (__u8)e->arg;
	out->add = e->base == EXPR_CONST ? e->constant : e->add;
	out->post_add = e->post_add;
	out->nr_reads = (__u8)e->nr_reads;
	if (e->base == EXPR_ARG && e->arg >= OPS_ARGS)
		return fail(o, err, errlen, "arguments past arg5 are not supported yet");
	for (i = 0; i < e->nr_reads && i < OPS_EXPR_READS; i++) {
		if (e->reads[i].off != (__s32)e->reads[i].off)
			return fail(o, err, errlen, "read offset out of range");
		out->reads[i].off = (__s32)e->reads[i].off;
		out->reads[i].size = (__u8)e->reads[i].size;
		out->reads[i].is_signed = e->reads[i].is_signed;
	}
	return 0;
}

static const __u32 cmp_map[] = {
	[CMP_NONE] = OPC_NONE, [CMP_LT] = OPC_LT, [CMP_LE] = OPC_LE, [CMP_GT] = OPC_GT,
	[CMP_GE] = OPC_GE, [CMP_EQ] = OPC_EQ, [CMP_NE] = OPC_NE,
};

static int compile_cfg(const struct op_spec *o, struct op_cfg *c, char *err, size_t errlen)
{
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (!o->count_only)
		c->flags |= OPF_LATENCY;
	if (o->error.set) {
		c->flags |= OPF_ERROR;
		c->error_cmp = cmp_map[o->error.cmp];
		c->error_rhs = o->error.rhs;
		rc = to_op_expr(o, &o->error.lhs, &c->error_lhs, err, errlen);
	}
	if (!rc && o->has_value) {
		c->flags |= OPF_VALUE;
		rc = to_op_expr(o, &o->value, &c->value, err, errlen);
	}
	if (!rc && o->has_label) {
		c->flags |= OPF_LABEL;
		rc = to_op_expr(o, &o->label, &c->label, err, errlen);
	}
	return rc;
}

/* A count-only op whose expressions need no return is a single probe. */
static enum op_role role_of(const struct op_spec *o)
{
	bool ret = o->value.uses_ret || o->label.uses_ret || o->error.lhs.uses_ret;

	return o->count_only && !ret ? OP_ROLE_EVENT : OP_ROLE_CALL;
}

static int add_sites(struct ops_program *p, size_t i, const struct trace_plan *plan)
{
	struct probe_site *s;
	size_t k;

	s = realloc(p->sites, (p->nr_sites + plan->nr_sites) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	p->sites = s;
	for (k = 0; k < plan->nr_sites; k++) {
		s[p->nr_sites] = plan->sites[k];
		s[p->nr_sites++].cookie = OP_COOKIE(i, role_of(p->specs[i]));
	}
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct probe_site *)a)->path, ((const struct probe_site *)b)->path);
}

int ops_compile(const struct ops_file *f, pid_t pid, struct ops_program *out,
		char *err, size_t errlen)
{
	struct resolver *r = resolver__new(pid);
	char msg[768];
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (f->nr_states) {
		snprintf(err, errlen, "%s:%d: state machines are not supported yet",
			 f->states[0].file ? f->states[0].file : "--op", f->states[0].line);
		rc = -EINVAL;
	} else if (f->nr_ops > OPS_MAX) {
		snprintf(err, errlen, "too many ops: %zu (at most %d)", f->nr_ops, OPS_MAX);
		rc = -EINVAL;
	}
	out->plans = calloc(f->nr_ops ? f->nr_ops : 1, sizeof(*out->plans));
	if (!r || !out->plans)
		rc = rc ? rc : -ENOMEM;
	for (i = 0; i < f->nr_ops && !rc; i++) {
		const struct op_spec *o = &f->ops[i];

		out->specs[i] = o;
		out->nr_ops = i + 1;
		rc = check_supported(o, err, errlen);
		if (!rc)
			rc = compile_cfg(o, &out->cfgs[i], err, errlen);
		if (!rc && (rc = resolver__add(r, &o->start.target, &out->plans[i], msg, sizeof(msg))))
			snprintf(err, errlen, "%s:%d: op '%s': %s", o->file ? o->file : "--op",
				 o->line, o->name, msg);
		if (!rc)
			rc = add_sites(out, i, &out->plans[i]);
	}
	resolver__free(r);
	if (!rc)
		qsort(out->sites, out->nr_sites, sizeof(*out->sites), cmp_path);
	return rc;
}

void ops_program__free(struct ops_program *p)
{
	size_t i;

	for (i = 0; p->plans && i < p->nr_ops; i++)
		trace_plan__free(&p->plans[i]);
	free(p->plans);
	free(p->sites);
	memset(p, 0, sizeof(*p));
}
