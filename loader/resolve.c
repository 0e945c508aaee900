// SPDX-License-Identifier: MIT
/* Resolve targets to probe sites, reading each file's tables once; see resolve.h. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/resolve.h"
#include "loader/sym_table.h"
#include "loader/elf_file.h"
#include "loader/go_prologue.h"
#include "loader/lang_runtime.h"
#include "loader/libpath.h"
#include "loader/proc_files.h"
#include "loader/proc_lookup.h"
#include "loader/ret_plan.h"
#include "loader/usdt_notes.h"

/* One file's tables, loaded on first use. */
struct file_tables {
	char *open_path;	/* as we open it: with -p, /proc/self/fd/N (proc_files.h) */
	char *shown;		/* as the process names it */
	struct sym_table *syms;
	struct usdt_probe *usdt;
	size_t nr_usdt;
	bool usdt_loaded;
	bool warned;		/* of a symbol source it could not read */
	enum { RUNTIME_UNKNOWN, RUNTIME_GO, RUNTIME_OTHER } runtime;
};

struct resolver {
	pid_t pid;
	struct file_tables **files;	/* pointers: handed out, never moved */
	size_t nr_files;
};

struct resolver *resolver__new(pid_t pid)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (r)
		r->pid = pid;
	return r;
}

void resolver__free(struct resolver *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nr_files; i++) {
		free(r->files[i]->open_path);
		free(r->files[i]->shown);
		sym_table__free(r->files[i]->syms);
		usdt_notes__free(r->files[i]->usdt, r->files[i]->nr_usdt);
		free(r->files[i]);
	}
	free(r->files);
	free(r);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The tables of the file opened as path, added (not loaded yet) if new. */
static int file_tables_of(struct resolver *r, const char *path, const char *shown,
			  struct file_tables **out)
{
	struct file_tables *f, **p;
	size_t i;

	for (i = 0; i < r->nr_files; i++) {
		if (!strcmp(r->files[i]->open_path, path)) {
			*out = r->files[i];
			return 0;
		}
	}
	p = realloc(r->files, (r->nr_files + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->files = p;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->open_path = strdup(path);
	f->shown = strdup(shown);
	if (!f->open_path || !f->shown) {
		free(f->open_path);
		free(f->shown);
		free(f);
		return -ENOMEM;
	}
	r->files[r->nr_files++] = f;
	*out = f;
	return 0;
}

int resolver__file(struct resolver *r, const char *binary, struct file_tables **out,
		   char *err, size_t errlen)
{
	const struct proc_file *pf;
	char path[PATH_MAX];
	int rc;

	if (r->pid > 0) {
		/* its files only, opened so that none lies outside its root */
		rc = proc_lookup__file(r->pid, binary, &pf, err, errlen);
		if (rc)
			return rc == -EINVAL ? -EIO : rc;
		return file_tables_of(r, pf->path, pf->shown, out);
	}
	rc = binary ? libpath__resolve(binary, path, sizeof(path)) : -EINVAL;
	if (rc) {
		snprintf(err, errlen, "binary or library '%s' not found", binary ? binary : "");
		return rc == -EINVAL ? -ENOENT : rc;
	}
	/* a path as the user wrote it is how they know it */
	return file_tables_of(r, path, binary[0] == '/' ? binary : path, out);
}

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

const char *file_tables__shown(const struct file_tables *f)
{
	return f->shown;
}

static int bad_elf(const struct file_tables *f, int rc, char *err, size_t errlen)
{
	if (rc == -ENOEXEC || rc == -EINVAL)
		snprintf(err, errlen, "%s: not a valid ELF file", f->shown);
	else
		snprintf(err, errlen, "%s: %s", f->shown, strerror(-rc));
	return rc;
}

int file_tables__syms(struct file_tables *f, pid_t pid, const struct sym_table **out,
		      char *err, size_t errlen)
{
	struct sym_file sf = { .path = f->open_path, .shown = f->shown, .pid = pid };
	int rc;

	if (!f->syms && (rc = sym_table__load(&sf, &f->syms)))
		return bad_elf(f, rc, err, errlen);
	*out = f->syms;
	return 0;
}

int file_tables__usdt(struct file_tables *f, const struct usdt_probe **out, size_t *n,
		      char *err, size_t errlen)
{
	int rc;

	if (!f->usdt_loaded) {
		rc = usdt_notes__load(f->open_path, &f->usdt, &f->nr_usdt);
		if (rc)
			return bad_elf(f, rc, err, errlen);
		f->usdt_loaded = true;
	}
	*out = f->usdt;
	*n = f->nr_usdt;
	return 0;
}

/* s interned in (*arr)[0..*n): the plan owns one copy of each string. */
static const char *intern(char ***arr, size_t *n, const char *s)
{
	char **p, *copy;
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp((*arr)[i], s))
			return (*arr)[i];
	p = realloc(*arr, (*n + 1) * sizeof(*p));
	if (!p)
		return NULL;
	*arr = p;
	copy = strdup(s);
	if (copy)
		(*arr)[(*n)++] = copy;
	return copy;
}

static int add_point(struct trace_plan *plan, const char *op,
		     const char *shown, bool usdt)
{
	struct trace_point *p;
	size_t len = strlen(shown) + strlen(op) + 2;

	p = realloc(plan->points, (plan->nr_points + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	plan->points = p;
	p = &plan->points[plan->nr_points];
	p->op = strdup(op);
	p->target = malloc(len);
	p->usdt = usdt;
	p->mid_function = false;
	if (!p->op || !p->target) {
		free(p->op);
		free(p->target);
		return -ENOMEM;
	}
	snprintf(p->target, len, "%s:%s", shown, op);
	plan->nr_points++;
	return 0;
}

/* A site of point cookie in file f (at vaddr, its address in the file), whose open
 * path and shown name plan holds. */
static int add_site(struct trace_plan *plan, const struct file_tables *f, __u64 offset,
		    __u64 vaddr, __u64 ref_ctr, size_t cookie)
{
	const char *path = intern(&plan->paths, &plan->nr_paths, f->open_path);
	const char *file = intern(&plan->files, &plan->nr_files, f->shown);
	struct probe_site *s;

	if (!path || !file)
		return -ENOMEM;
	s = realloc(plan->sites, (plan->nr_sites + 1) * sizeof(*s));
	if (!s)
		return -ENOMEM;
	plan->sites = s;
	s = &plan->sites[plan->nr_sites++];
	memset(s, 0, sizeof(*s));
	s->path = path;
	s->file = file;
	s->name = plan->points[cookie].op;
	s->offset = offset;
	s->vaddr = vaddr;
	s->ref_ctr_offset = ref_ctr;
	s->cookie = cookie;
	return 0;
}

/* The last site's USDT arguments: a copy the plan owns, as the notes go with the resolver. */
static int set_usdt_args(struct trace_plan *plan, const struct usdt_probe *p)
{
	struct probe_site *s = &plan->sites[plan->nr_sites - 1];
	struct usdt_arg **sets, *copy = NULL;
	size_t bytes = (p->nargs > 0 ? p->nargs : 1) * sizeof(*copy);

	sets = realloc(plan->arg_sets, (plan->nr_arg_sets + 1) * sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	plan->arg_sets = sets;
	copy = malloc(bytes);
	if (!copy)
		return -ENOMEM;
	if (p->nargs > 0)
		memcpy(copy, p->args, bytes);
	sets[plan->nr_arg_sets++] = copy;
	s->usdt_args = copy;
	s->usdt_nargs = p->nargs;
	return 0;
}

/* Was a debug file of st refused (a wrong CRC or build-id)? It may be why. */
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

static int add_functions(struct file_tables *f, pid_t pid, const struct target_spec *t,
			 struct trace_plan *plan, char *err, size_t errlen)
{
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
	rc = skips ? entry_skips(f, m, n, skips) : -ENOMEM;
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
	}
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

int resolver__mapped_file(struct resolver *r, const struct proc_objs *po,
			  const struct mapped_obj *o, struct file_tables **out)
{
	const struct proc_file *pf;
	size_t i;
	int rc = proc_files__open_mapped(po, o, &pf);

	if (rc)
		return rc;
	for (i = 0; i < r->nr_files; i++) {
		if (!strcmp(r->files[i]->open_path, pf->path)) {
			proc_files__put(pf);	/* the tables hold it already */
			*out = r->files[i];
			return 0;
		}
	}
	/* pf stays open, as the path names it, until exit (proc_files.h) */
	return file_tables_of(r, pf->path, pf->shown, out);
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
		return add_functions(f, r->pid, t, plan, err, errlen);
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
	rc = add_functions(f, r->pid, t, plan, err, errlen);
	if (rc == -ENOENT && !t->binary && r->pid > 0)
		rc = add_from_libraries(r, t, plan, err, errlen);
	return rc;
}

int trace_plan__check_entries(const struct trace_plan *plan, char *msg, size_t len)
{
	size_t i;

	for (i = 0; i < plan->nr_points; i++) {
		if (plan->points[i].mid_function) {
			snprintf(msg, len, "%s is not a function's entry: nothing there returns",
				 plan->points[i].target);
			return -EINVAL;
		}
	}
	return 0;
}

static int cmp_site(const void *a, const void *b)
{
	const struct probe_site *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c)
		return c;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

void trace_plan__finish(struct trace_plan *plan)
{
	size_t *new_id, i, n = 0, kept = 0;
	bool *used;

	qsort(plan->sites, plan->nr_sites, sizeof(*plan->sites), cmp_site);
	/* the same address named by two targets: the first target keeps it */
	for (i = 0; i < plan->nr_sites; i++) {
		if (n && plan->sites[n - 1].path == plan->sites[i].path &&
		    plan->sites[n - 1].offset == plan->sites[i].offset)
			continue;
		plan->sites[n++] = plan->sites[i];
	}
	plan->nr_sites = n;

	used = calloc(plan->nr_points + 1, sizeof(*used));
	new_id = calloc(plan->nr_points + 1, sizeof(*new_id));
	if (!used || !new_id)
		goto cleanup;
	for (i = 0; i < n; i++)
		used[plan->sites[i].cookie] = true;
	for (i = 0; i < plan->nr_points; i++) {
		if (!used[i]) {
			free(plan->points[i].op);
			free(plan->points[i].target);
			continue;
		}
		new_id[i] = kept;
		plan->points[kept++] = plan->points[i];
	}
	plan->nr_points = kept;
	for (i = 0; i < n; i++)
		plan->sites[i].cookie = new_id[plan->sites[i].cookie];
cleanup:
	free(used);
	free(new_id);
}

void trace_plan__free(struct trace_plan *plan)
{
	size_t i;

	for (i = 0; i < plan->nr_points; i++) {
		free(plan->points[i].op);
		free(plan->points[i].target);
	}
	for (i = 0; i < plan->nr_paths; i++)
		free(plan->paths[i]);
	for (i = 0; i < plan->nr_files; i++)
		free(plan->files[i]);
	free(plan->files);
	for (i = 0; i < plan->nr_arg_sets; i++)
		free(plan->arg_sets[i]);
	free(plan->arg_sets);
	free(plan->points);
	free(plan->sites);
	free(plan->paths);
	memset(plan, 0, sizeof(*plan));
}
