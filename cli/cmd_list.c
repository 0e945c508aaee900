// SPDX-License-Identifier: MIT
/* `list`: what can be probed in a file, or in every file a process maps. */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/commands.h"
#include "loader/elf_syms.h"
#include "loader/libpath.h"
#include "loader/proc_maps.h"
#include "loader/usdt_notes.h"

static int cmp_sym_name(const void *a, const void *b)
{
	const struct elf_sym *x = *(const struct elf_sym *const *)a;
	const struct elf_sym *y = *(const struct elf_sym *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->addr > y->addr) - (x->addr < y->addr);
}

static void list_functions(const struct elf_symtab *st, const char *pattern)
{
	size_t i, n = 0, count = elf_symtab__count(st);
	const struct elf_sym **v = calloc(count ? count : 1, sizeof(*v));

	if (!v)
		return;
	for (i = 0; i < count; i++) {
		const struct elf_sym *s = elf_symtab__get(st, i);

		if (!pattern || !fnmatch(pattern, s->name, 0))
			v[n++] = s;
	}
	qsort(v, n, sizeof(*v), cmp_sym_name);
	for (i = 0; i < n; i++) {
		char name[512];

		if (v[i]->version)
			snprintf(name, sizeof(name), "%s%s%s", v[i]->name,
				 v[i]->default_version ? "@@" : "@", v[i]->version);
		else
			snprintf(name, sizeof(name), "%s", v[i]->name);
		printf("  func  %-48s size %-8llu%s\n", name,
		       (unsigned long long)v[i]->size, v[i]->ifunc ? " ifunc" : "");
	}
	free(v);
}

static void list_usdt(const struct usdt_probe *p, size_t n, const char *pattern)
{
	char name[512];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s:%s", p[i].provider, p[i].name);
		if (pattern && fnmatch(pattern, name, 0) && fnmatch(pattern, p[i].name, 0))
			continue;
		printf("  usdt  %-48s args %-3d semaphore %s\n", name,
		       p[i].nargs < 0 ? 0 : p[i].nargs, p[i].sema_offset ? "yes" : "no");
	}
}

/* One file: its functions, then its USDT probes. Unreadable files are skipped
 * with a note when listing a whole process, an error otherwise. */
static int list_file(const char *host_path, const char *shown, const char *pattern,
		     bool strict)
{
	struct elf_symtab *st = NULL;
	struct usdt_probe *probes = NULL;
	size_t nprobes = 0;
	int rc;

	rc = elf_symtab__load(host_path, &st);
	if (!rc)
		rc = usdt_notes__load(host_path, &probes, &nprobes);
	if (rc) {
		if (strict)
			report_error("%s: %s", shown, rc == -ENOEXEC || rc == -EINVAL ?
				     "not a valid ELF file" : strerror(-rc));
		elf_symtab__free(st);
		return rc;
	}
	printf("%s\n", shown);
	list_functions(st, pattern);
	list_usdt(probes, nprobes, pattern);
	usdt_notes__free(probes, nprobes);
	elf_symtab__free(st);
	return 0;
}

static int list_process(pid_t pid, const char *pattern)
{
	struct mapped_obj *objs;
	size_t n, i;
	int rc = proc_maps__objects(pid, &objs, &n);

	if (rc) {
		report_error("pid %d: %s", pid, rc == -ESRCH ? "no such process" : strerror(-rc));
		return EXIT_RUNTIME;
	}
	for (i = 0; i < n; i++)
		if (objs[i].exec)
			list_file(objs[i].host_path, objs[i].path, pattern, false);
	proc_maps__free(objs, n);
	return EXIT_OK;
}

int cmd_list(const struct env *env)
{
	const char *binary = env->nr_args > 0 ? env->args[0] : NULL;
	const char *pattern = env->nr_args > 1 ? env->args[1] : NULL;
	char path[PATH_MAX];
	int rc;

	if (env->pid && proc_alive(env->pid)) {
		report_error("pid %d: no such process", env->pid);
		return EXIT_RUNTIME;
	}
	/* with -p, a lone argument that names no mapped file is a pattern */
	if (env->pid && binary && env->nr_args == 1 &&
	    libpath__resolve(binary, env->pid, path, sizeof(path))) {
		pattern = binary;
		binary = NULL;
	}
	if (!binary)
		return list_process(env->pid, pattern);
	rc = libpath__resolve(binary, env->pid, path, sizeof(path));
	if (rc) {
		if (env->pid)
			report_error("binary or library '%s' not found in pid %d", binary, env->pid);
		else
			report_error("binary or library '%s' not found", binary);
		return EXIT_RUNTIME;
	}
	return list_file(path, binary[0] == '/' ? binary : path, pattern, true) ?
	       EXIT_RUNTIME : EXIT_OK;
}
