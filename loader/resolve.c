// SPDX-License-Identifier: MIT
/* Resolve targets to probe sites: functions, raw addresses, USDT probes; see resolve.h. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/go_prologue.h"
#include "loader/lang_runtime.h"
#include "loader/placement.h"
#include "loader/proc_lookup.h"
#include "loader/resolve_internal.h"
#include "loader/ret_plan.h"
#include "loader/sym_table.h"
#include "loader/usdt_notes.h"

static int find_file(struct resolver *r, const struct target_spec *t,
		     struct file_tables **out, char *err, size_t errlen)
{
	if (!t->binary && r->pid <= 0) {
		snprintf(err, errlen, "target '%s' names no binary: use %s, or -p PID", t->text,
			 t->kind == TARGET_USDT ? "usdt:BINARY:PROVIDER:NAME" : "BINARY:SYMBOL");
		return -EINVAL;
	}
	return resolver__file(r, t->binary, out, err, errlen);
}

static bool debug_file_refused(const struct sym_table *st)
{
	const char *const *notes;
	size_t i, n = sym_table__notes(st, &notes);

	for (i = 0; i < n; i++)
		if (!strncmp(notes[i], "skipped ", 8))
			return true;
	return false;
}

static int no_symbol(const struct file_tables *f, const struct target_spec *t, char *err,
		     size_t errlen)
{
	const char *sym = t->symbol;
	const char *hint = is_glob(t->glob) ? NULL : sym_table__suggest(f->syms, sym);
	char refused[64] = "";

	if (debug_file_refused(f->syms))
		snprintf(refused, sizeof(refused), " (its debug file was refused: see list -v)");
	if (is_glob(t->glob))
		snprintf(err, errlen, "%s: no function matches '%s'%s",
			 base_name(f->shown), sym, refused);
	else if (hint)
		snprintf(err, errlen, "%s: symbol '%s' not found (did you mean %s?)%s",
			 base_name(f->shown), sym, hint, refused);
	else
		snprintf(err, errlen, "%s: symbol '%s' not found%s",
			 base_name(f->shown), sym, refused);
	return -ENOENT;
}

/* One line for all IFUNCs a target matched: a glob over libc matches ~100. */
static void warn_ifuncs(const struct sym_table *syms, const struct sym **m, size_t n)
{
	size_t i, nr = 0;
	const char *first = NULL;

	for (i = 0; i < n; i++) {
		if (!m[i]->ifunc)
			continue;
		first = first ? first : sym_table__shown(syms, m[i]);
		nr++;
	}
	if (nr == 1)
		fprintf(stderr, "synctrace: warning: %s is an IFUNC: the probe sees its resolver, not the calls\n",
			first);
	else if (nr > 1)
		fprintf(stderr, "synctrace: warning: %zu IFUNCs matched (%s, ...): their probes see the resolvers, not the calls\n",
			nr, first);
}

/* The last point added: a raw target past a function's entry. */
static void mark_mid_function(struct trace_plan *plan)
{
	plan->points[plan->nr_points - 1].mid_function = true;
}

/*
 * BINARY:0xADDR: where the user says, in a loaded segment. Nothing tells
 * it is the first byte of an instruction: a probe elsewhere corrupts the
 * code it patches. Hence the warning, which names the function it is in.
 */
static int add_raw(struct file_tables *f, const struct sym_table *syms,
		   const struct target_spec *t, struct trace_plan *plan, char *err,
		   size_t errlen)
{
	const struct sym *in = sym_table__containing(syms, t->raw_addr);
	__u64 off;
	int rc;

	if (sym_table__offset_of(syms, t->raw_addr, &off)) {
		snprintf(err, errlen, "%s: 0x%llx is not in its code (no executable segment holds it)",
			 base_name(f->shown), (unsigned long long)t->raw_addr);
		return -ENOENT;
	}
	if (in && in->addr == t->raw_addr)
		fprintf(stderr, "synctrace: warning: %s is %s's entry: you vouch for the address\n",
			t->text, sym_table__shown(syms, in));
	else if (in)
		fprintf(stderr, "synctrace: warning: %s is %s+0x%llx: you vouch that an instruction starts there\n",
			t->text, sym_table__shown(syms, in),
			(unsigned long long)(t->raw_addr - in->addr));
	else
		fprintf(stderr, "synctrace: warning: %s is in no known function: you vouch that an instruction starts there\n",
			t->text);
	rc = add_point(plan, t->symbol, f->shown, false);
	if (!rc && !(in && in->addr == t->raw_addr))
		mark_mid_function(plan);
	if (!rc)
		rc = add_site(plan, f, off, t->raw_addr, 0, plan->nr_points - 1);
	if (!rc && in && in->addr == t->raw_addr)
		plan->sites[plan->nr_sites - 1].size = in->size;	/* its rets can be found */
	return rc;
}

/* SYMBOL+OFF: one function, OFF bytes past its entry and inside it. */
static int add_sym_offset(struct file_tables *f, const struct sym **m, size_t n,
			  const struct target_spec *t, struct trace_plan *plan, char *err,
			  size_t errlen)
{
	const struct sym *s = m[0];
	const char *name = sym_table__shown(f->syms, s);
	char *op;
	int rc;

	if (n > 1) {
		snprintf(err, errlen, "%s: '%s' names %zu functions; SYMBOL+OFF needs one",
			 base_name(f->shown), t->symbol, n);
		return -EINVAL;
	}
	if (t->sym_offset >= s->size) {
		snprintf(err, errlen, "%s: +0x%llx is past the end of %s (%llu bytes)",
			 base_name(f->shown), (unsigned long long)t->sym_offset, name,
			 (unsigned long long)s->size);
		return -EINVAL;
	}
	fprintf(stderr, "synctrace: warning: %s: you vouch that an instruction starts there\n",
		t->text);
	if (asprintf(&op, "%s+0x%llx", name, (unsigned long long)t->sym_offset) < 0)
		return -ENOMEM;
	rc = add_point(plan, op, f->shown, false);
	free(op);
	if (!rc)
		mark_mid_function(plan);
	if (!rc)
		rc = add_site(plan, f, s->offset + t->sym_offset, s->addr + t->sym_offset, 0,
			      plan->nr_points - 1);
	return rc;
}

/* A source that could not be read is said, once per file; its other symbols still count. */
static void warn_skipped(struct file_tables *f, const struct sym_table *syms)
{
	int err;
	enum sym_source src = sym_table__skipped(syms, &err);

	if (src == SYM_SRC_NR || f->warned)
		return;
	f->warned = true;
	fprintf(stderr, "synctrace: warning: %s: its %s cannot be read (%s): ignored\n", f->shown,
		sym_source__name(src), err == -ENOEXEC ? "corrupt" : strerror(-err));
}

/* Is f a Go program or library? Read once. */
static bool is_go_file(struct file_tables *f)
{
	struct runtime_info info;

	if (f->runtime == RUNTIME_UNKNOWN)
		f->runtime = !lang_runtime__detect(f->open_path, &info) &&
			     info.runtime == LANG_RUNTIME_GO ? RUNTIME_GO : RUNTIME_OTHER;
	return f->runtime == RUNTIME_GO;
}

/*
 * Where the calls of the matched functions begin: their first byte, or
 * for a Go function past its stack check, which runs again when the stack
 * grows (go_prologue.h). skips[i] for m[i]; code that cannot be read is
 * probed at its first byte.
 */
static int entry_skips(struct file_tables *f, const struct sym **m, size_t n, __u64 *skips)
{
	struct elf_file *ef = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		/* the name first: telling a file's runtime reads its symbols again */
		if (!ret_plan__is_go_function(m[i]->name) || !is_go_file(f))
			continue;
		if (!ef && elf_file__open(f->open_path, &ef))
			return 0;
		if (go_prologue__skip(ef, m[i]->addr, m[i]->size, &skips[i]))
			skips[i] = 0;
	}
	elf_file__close(ef);
	return 0;
}

/*
 * Where each function's entry probe may move (placement.h), into pl[i] for
 * m[i]; none for a Go function probed past its stack check. Code that
 * cannot be read stays at the entry.
 */
static int placements(struct file_tables *f, const struct sym_table *syms,
		      const struct sym **m, size_t n, const __u64 *skips, struct placement *pl)
{
	struct elf_file *ef = NULL;
	size_t i;
	int rc;

	if (elf_file__open(f->open_path, &ef))
		return 0;
	rc = placement__plan(ef, syms, (const struct sym *const *)m, n, pl);
	for (i = 0; i < n; i++)
		if (skips[i])
			pl[i] = (struct placement){ .why = PLACE_NONE };
	elf_file__close(ef);
	return rc;
}

int file_tables__placements(struct file_tables *f, const struct sym **m, size_t n,
			    struct placement *out)
{
	const struct sym_table *syms = f->syms;
	__u64 *skips = calloc(n ? n : 1, sizeof(*skips));
	int rc;

	memset(out, 0, n * sizeof(*out));
	if (!skips)
		return -ENOMEM;
	rc = syms ? entry_skips(f, m, n, skips) : -ENOENT;
	if (!rc)
		rc = placements(f, syms, m, n, skips, out);
	free(skips);
	return rc;
}

static int add_functions(struct resolver *r, struct file_tables *f, pid_t pid,
			 const struct target_spec *t, struct trace_plan *plan, char *err,
			 size_t errlen)
{
	struct placement *pl = NULL;
	const struct sym_table *syms = NULL;
	const struct sym **m = NULL;
	__u64 *skips = NULL;
	size_t n, i;
	int rc = file_tables__syms(f, pid, &syms, err, errlen);

	if (rc)
		return rc;
	warn_skipped(f, syms);
	if (t->raw)
		return add_raw(f, syms, t, plan, err, errlen);
	n = sym_table__match(syms, t->glob, &m);
	if (!n)
		return no_symbol(f, t, err, errlen);
	if (t->sym_offset) {
		rc = add_sym_offset(f, m, n, t, plan, err, errlen);
		free(m);
		return rc;
	}
	warn_ifuncs(syms, m, n);
	skips = calloc(n, sizeof(*skips));
	pl = calloc(n, sizeof(*pl));
	rc = skips && pl ? entry_skips(f, m, n, skips) : -ENOMEM;
	if (!rc && r->placement)
		rc = placements(f, syms, m, n, skips, pl);
	for (i = 0; i < n && !rc; i++) {
		/* a C++ or Rust function's row is its demangled name */
		rc = add_point(plan, sym_table__shown(syms, m[i]), f->shown, false);
		if (!rc)
			rc = add_site(plan, f, m[i]->offset + skips[i], m[i]->addr + skips[i], 0,
				      plan->nr_points - 1);
		if (!rc)
			plan->sites[plan->nr_sites - 1].entry_skip = skips[i];
		if (!rc)	/* where its returns are: ret_plan.h */
			plan->sites[plan->nr_sites - 1].size = m[i]->size;
		if (!rc) {
			plan->sites[plan->nr_sites - 1].place_skip = pl[i].skip;
			plan->sites[plan->nr_sites - 1].place_writes = pl[i].writes;
		}
	}
	free(pl);
	free(skips);
	free(m);
	return rc;
}

static bool usdt_matches(const struct usdt_probe *p, const struct target_spec *t)
{
	return !fnmatch(t->provider, p->provider, 0) && !fnmatch(t->name, p->name, 0);
}

/* One point per provider:name; a probe inlined in several places has several sites. */
static int add_usdt(struct file_tables *f, const struct target_spec *t,
		    struct trace_plan *plan, char *err, size_t errlen)
{
	size_t i, j, first = plan->nr_points, found = 0, nr_usdt = 0;
	const struct usdt_probe *usdt = NULL;
	char op[512];
	int rc = file_tables__usdt(f, &usdt, &nr_usdt, err, errlen);

	for (i = 0; i < nr_usdt && !rc; i++) {
		const struct usdt_probe *p = &usdt[i];

		if (!usdt_matches(p, t))
			continue;
		found++;
		snprintf(op, sizeof(op), "%s:%s", p->provider, p->name);
		for (j = first; j < plan->nr_points; j++)
			if (!strcmp(plan->points[j].op, op))
				break;
		if (j == plan->nr_points)
			rc = add_point(plan, op, f->shown, true);
		if (!rc)
			rc = add_site(plan, f, p->offset, p->pc, p->sema_offset, j);
		if (!rc)
			rc = set_usdt_args(plan, p);
	}
	if (!rc && !found) {
		snprintf(err, errlen, "%s: no USDT probe matches '%s:%s'%s",
			 base_name(f->shown), t->provider, t->name,
			 nr_usdt ? "" : " (the file has no USDT probes)");
		return -ENOENT;
	}
	return rc;
}

static bool has_match(const struct sym_table *st, const char *glob)
{
	const struct sym **m = NULL;
	size_t n = sym_table__match(st, glob, &m);

	free(m);
	return n > 0;
}

/*
 * The tables of o, a library pid maps, if it has a function matching glob;
 * NULL otherwise (or when it cannot be opened or read: not where it is).
 */
static struct file_tables *library_with(struct resolver *r, const struct proc_objs *po,
					const struct mapped_obj *o, const char *glob)
{
	const struct sym_table *syms = NULL;
	struct file_tables *f;
	char err[256];

	if (resolver__mapped_file(r, po, o, &f) ||
	    file_tables__syms(f, r->pid, &syms, err, sizeof(err)))
		return NULL;
	return has_match(syms, glob) ? f : NULL;
}

/*
 * A function named without a binary, absent from the -p process's main
 * executable: the first library it maps that has it (a statically linked
 * program and one using shared libraries then take the same target).
 */
static int add_from_libraries(struct resolver *r, const struct target_spec *t,
			      struct trace_plan *plan, char *err, size_t errlen)
{
	struct file_tables *f = NULL;
	struct proc_objs po;
	size_t i, len;
	int rc = proc_maps__read(r->pid, &po);

	for (i = 0; !rc && !f && i < po.n; i++)
		if (!po.o[i].is_main && po.o[i].exec)
			f = library_with(r, &po, &po.o[i], t->glob);
	proc_maps__free(&po);
	if (rc) {
		proc_lookup__strerror(r->pid, NULL, rc, err, errlen);
		return rc;
	}
	if (f)
		return add_functions(r, f, r->pid, t, plan, err, errlen);
	len = strlen(err);
	snprintf(err + len, errlen - len, " (nor in a library pid %d maps)", r->pid);
	return -ENOENT;
}

int resolver__add(struct resolver *r, const struct target_spec *t,
		  struct trace_plan *plan, char *err, size_t errlen)
{
	struct file_tables *f;
	int rc;

	rc = find_file(r, t, &f, err, errlen);
	if (rc)
		return rc;
	if (t->kind == TARGET_USDT)
		return add_usdt(f, t, plan, err, errlen);
	rc = add_functions(r, f, r->pid, t, plan, err, errlen);
	if (rc == -ENOENT && !t->binary && r->pid > 0)
		rc = add_from_libraries(r, t, plan, err, errlen);
	return rc;
}

