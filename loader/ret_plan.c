// SPDX-License-Identifier: MIT
/* uretprobe or ret probes, per function; see ret_plan.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/lang_runtime.h"
#include "loader/ret_plan.h"
#include "loader/ret_sites.h"

/* What -v says of one file. */
struct ret_plan_file {
	char *path;			/* as opened (sites share the plan's string) */
	char *shown;			/* as the process names it */
	enum lang_runtime runtime;
	bool library;
	size_t nr_uret, nr_probed, nr_exits;
};

int returns_mode__parse(const char *s, enum returns_mode *out)
{
	if (!strcmp(s, "auto"))
		*out = RETURNS_AUTO;
	else if (!strcmp(s, "uretprobe"))
		*out = RETURNS_URETPROBE;
	else if (!strcmp(s, "ret-probe"))
		*out = RETURNS_RET_PROBE;
	else
		return -EINVAL;
	return 0;
}

struct ret_plan *ret_plan__new(enum returns_mode mode)
{
	struct ret_plan *rp = calloc(1, sizeof(*rp));

	if (!rp)
		return NULL;
	rp->mode = mode;
	rp->runtimes = runtime_cache__new();
	if (!rp->runtimes) {
		free(rp);
		return NULL;
	}
	return rp;
}

void ret_plan__free(struct ret_plan *rp)
{
	size_t i;

	if (!rp)
		return;
	for (i = 0; i < rp->nr_files; i++) {
		free(rp->files[i].path);
		free(rp->files[i].shown);
	}
	free(rp->files);
	free(rp->infos);
	free(rp->exits);
	elf_file__close(rp->ef);
	free(rp->ef_path);
	runtime_cache__free(rp->runtimes);
	free(rp);
}

/* "digits" and "WORD.digits" and "WORD" forms gcc gives the clones it splits off. */
static bool gcc_suffix(const char *s)
{
	static const char *const words[] = { "part", "cold", "constprop", "isra", "lto_priv",
					     "clone", "localalias", "_omp_fn" };
	size_t i, n;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i]);
		if (strncmp(s, words[i], n))
			continue;
		s += n;
		if (!*s)
			return true;
		if (*s++ != '.' || !*s)
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
		return !*s || *s == '.';
	}
	return false;
}

/*
 * gc names every Go function PKG.NAME (main.apply, runtime.morestack,
 * github.com/x/y.(*T).M); the C in a Go file (cgo's exports and _cgo_*
 * helpers, crosscall2) has C names, which have no dot but for gcc's
 * clones (f.part.0, f.cold). That C runs on the thread's stack with its
 * own use of R14, and is keyed by thread.
 */
bool ret_plan__is_go_function(const char *name)
{
	const char *dot = name ? strchr(name, '.') : NULL;

	return dot && dot != name && dot[1] && !gcc_suffix(dot + 1);
}

static struct ret_plan_file *file_of(struct ret_plan *rp, const struct probe_site *site,
				     const struct runtime_info *info)
{
	struct ret_plan_file *f;
	size_t i;

	for (i = 0; i < rp->nr_files; i++)
		if (!strcmp(rp->files[i].path, site->path))
			return &rp->files[i];
	f = realloc(rp->files, (rp->nr_files + 1) * sizeof(*f));
	if (!f)
		return NULL;
	rp->files = f;
	f = &f[rp->nr_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(site->path);
	f->shown = strdup(site->file ? site->file : site->path);
	f->runtime = info->runtime;
	f->library = info->library;
	if (!f->path || !f->shown) {
		free(f->path);
		free(f->shown);
		return NULL;
	}
	rp->nr_files++;
	return f;
}

static int add_info(struct ret_plan *rp, const struct rp_site *info, __u32 *idx)
{
	size_t cap = rp->cap_infos ? rp->cap_infos * 2 : 64;
	struct rp_site *p;

	if (rp->nr_infos == rp->cap_infos) {
		p = realloc(rp->infos, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		rp->infos = p;
		rp->cap_infos = cap;
	}
	*idx = (__u32)rp->nr_infos;
	rp->infos[rp->nr_infos++] = *info;
	return 0;
}

static int add_exit(struct ret_plan *rp, const struct probe_site *site, const struct ret_exit *x,
		    __u8 flags)
{
	size_t cap = rp->cap_exits ? rp->cap_exits * 2 : 64;
	struct ret_plan_exit *e;
	struct rp_site info = x->info;
	int rc;

	if (rp->nr_exits == rp->cap_exits) {
		e = realloc(rp->exits, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		rp->exits = e;
		rp->cap_exits = cap;
	}
	e = &rp->exits[rp->nr_exits];
	info.flags |= flags;
	if ((rc = add_info(rp, &info, &e->info)))
		return rc;
	e->site = *site;
	e->site.offset = x->offset;
	e->site.vaddr = x->vaddr;
	e->site.size = 0;
	e->entry_offset = site->offset;
	rp->nr_exits++;
	return 0;
}

/* The ELF file of path, kept open for the next function of the same file. */
static int open_file(struct ret_plan *rp, const char *path)
{
	int rc;

	if (rp->ef && !strcmp(rp->ef_path, path))
		return 0;
	elf_file__close(rp->ef);
	free(rp->ef_path);
	rp->ef = NULL;
	rp->ef_path = strdup(path);
	if (!rp->ef_path)
		return -ENOMEM;
	rc = elf_file__open(path, &rp->ef);
	return rc;
}

/* The function's exits, decoded, into rp; with the kernel's infos. */
static int plan_probes(struct ret_plan *rp, const struct probe_site *site, __u8 flags,
		       __u32 *entry_info, char *err, size_t errlen)
{
	/* a Go entry probe may sit past the stack check: the function starts before it */
	struct rp_site entry = { .kind = RP_ENTRY, .flags = flags, .fn_size = (__u32)site->size,
				 .fn_off = (__u32)site->entry_skip };
	struct ret_sites rs = { 0 };
	size_t first = rp->nr_exits, first_info = rp->nr_infos, i;
	char why[256];
	int rc;

	rc = open_file(rp, site->path);
	if (rc) {
		snprintf(err, errlen, "%s: cannot read it again: %s", site->file ? site->file :
			 site->path, strerror(-rc));
		return rc == -EINVAL ? -EIO : rc;
	}
	rc = ret_sites__find(&rs, rp->ef, site->vaddr - site->entry_skip, site->size, why,
			     sizeof(why));
	if (rc) {
		ret_sites__free(&rs);	/* it may have grown before it failed */
		if (rc != -ENOMEM)
			snprintf(err, errlen, "%s in %s: %s", site->name ? site->name : "a function",
				 site->file ? site->file : site->path, why);
		return rc;
	}
	rc = add_info(rp, &entry, entry_info);
	for (i = 0; !rc && i < rs.nr; i++)
		rc = add_exit(rp, site, &rs.exits[i], flags);
	ret_sites__free(&rs);
	if (rc) {		/* as it was */
		rp->nr_exits = first;
		rp->nr_infos = first_info;
	}
	return rc;
}

int ret_plan__add(struct ret_plan *rp, const struct probe_site *site, __u32 *entry_info,
		  char *err, size_t errlen)
{
	const char *shown = site->file ? site->file : site->path;
	struct ret_plan_file *f;
	struct runtime_info info;
	size_t before = rp->nr_exits;
	bool probes;
	__u8 flags;
	int rc;

	rc = runtime_cache__detect(rp->runtimes, site->path, &info);
	if (rc) {
		snprintf(err, errlen, "%s: cannot tell its language runtime: %s", shown,
			 strerror(-rc));
		return rc == -EINVAL ? -EIO : rc;
	}
	probes = rp->mode == RETURNS_RET_PROBE ||
		 (rp->mode == RETURNS_AUTO && info.runtime != LANG_RUNTIME_NATIVE);
	if (!probes && info.runtime != LANG_RUNTIME_NATIVE) {
		snprintf(err, errlen, "%s: %s is %s %s %s, and a uretprobe would crash it (%s)",
			 site->name ? site->name : "a function", shown,
			 info.runtime == LANG_RUNTIME_OCAML ? "an" : "a",
			 lang_runtime__name(info.runtime), info.library ? "library" : "program",
			 lang_runtime__uretprobe_hazard(info.runtime));
		return -EINVAL;
	}
	if (!(f = file_of(rp, site, &info)))
		return -ENOMEM;
	if (!probes) {
		f->nr_uret++;
		rp->nr_uret++;
		return RET_USE_URETPROBE;
	}
	flags = info.runtime == LANG_RUNTIME_GO && ret_plan__is_go_function(site->name) ?
		RP_F_GO : 0;
	rc = plan_probes(rp, site, flags, entry_info, err, errlen);
	if (rc)
		return rc;
	rp->any_go |= flags & RP_F_GO;
	f->nr_probed++;
	f->nr_exits += rp->nr_exits - before;
	rp->nr_probed++;
	return RET_USE_PROBES;
}

void ret_plan__describe(const struct ret_plan *rp, FILE *out)
{
	size_t i;

	for (i = 0; i < rp->nr_files; i++) {
		const struct ret_plan_file *f = &rp->files[i];
		const char *kind = f->runtime == LANG_RUNTIME_NATIVE ? "native" :
				   lang_runtime__name(f->runtime);

		if (f->nr_probed)
			fprintf(out, "synctrace: %s (%s %s): returns seen by probes on ret "
				"instructions and jumps out: %zu function%s, %zu exit site%s\n",
				f->shown, kind, f->library ? "library" : "program", f->nr_probed,
				f->nr_probed == 1 ? "" : "s", f->nr_exits,
				f->nr_exits == 1 ? "" : "s");
		if (f->nr_uret)
			fprintf(out, "synctrace: %s (%s %s): returns seen by uretprobes: %zu "
				"function%s\n", f->shown, kind, f->library ? "library" : "program",
				f->nr_uret, f->nr_uret == 1 ? "" : "s");
	}
}

void ret_plan__drop_entries(struct ret_plan *rp, const struct probe_site *skipped, size_t n)
{
	size_t i, j, kept = 0;

	for (i = 0; i < rp->nr_exits; i++) {
		const struct ret_plan_exit *e = &rp->exits[i];
		bool drop = false;

		for (j = 0; j < n && !drop; j++)
			drop = skipped[j].offset == e->entry_offset &&
			       !strcmp(skipped[j].path, e->site.path);
		if (!drop)
			rp->exits[kept++] = *e;
	}
	rp->nr_exits = kept;
}
