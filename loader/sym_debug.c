// SPDX-License-Identifier: MIT
/*
 * The symbol sources for what a stripped file lacks: its separate debug
 * file (debug_file.h) and its MiniDebugInfo (minidebuginfo.h), read with
 * the ELF source; see sym_source.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "loader/debug_file.h"
#include "loader/minidebuginfo.h"
#include "loader/proc_files.h"
#include "loader/proc_maps.h"
#include "loader/sym_source.h"

#define DELETED " (deleted)"

/* pid's root directory, as proc_files opens it (also when its main thread is gone). */
static int root_of(pid_t pid)
{
	struct proc_objs po;
	int rc = proc_maps__read(pid, &po);

	if (rc)
		return rc;
	rc = proc_files__open_root(&po);
	proc_maps__free(&po);
	return rc;
}

/* The file's path as its process names it, without " (deleted)". */
static char *named_path(const char *shown)
{
	size_t len = strlen(shown), dl = strlen(DELETED);

	if (len > dl && !strcmp(shown + len - dl, DELETED))
		len -= dl;
	return strndup(shown, len);
}

int sym_source__debug_file(struct sym_builder *b, bool *found, enum sym_source *via)
{
	const struct sym_file *f = sym_builder__file(b);
	struct debug_where where = { .root_fd = -1 };
	struct debug_file *df = NULL;
	char *named = NULL;
	bool has_symtab;
	size_t i;
	int rc;

	*found = false;
	/* no root, no debug file: the file's own symbols still count */
	if (f->pid > 0) {
		where.root_fd = root_of(f->pid);
		if (where.root_fd < 0)
			return where.root_fd == -ENOMEM ? -ENOMEM :
			       sym_builder__note(b, "skipped debug files: cannot open the root "
						 "of pid %d: %s", f->pid, strerror(-where.root_fd));
	}
	named = named_path(f->shown);
	if (!named) {
		rc = -ENOMEM;
		goto cleanup;
	}
	rc = debug_file__find(sym_builder__code(b), f->path, named, &where, &df);
	if (rc)
		goto cleanup;
	for (i = 0; i < df->nr_skipped && !rc; i++)
		rc = sym_builder__note(b, "skipped %s", df->skipped[i]);
	if (rc || !df->ef)
		goto cleanup;
	*via = df->via == DEBUG_VIA_BUILD_ID ? SYM_SRC_BUILD_ID : SYM_SRC_DEBUGLINK;
	rc = sym_source__elf(b, df->ef, *via, &has_symtab);
	if (rc && rc != -ENOMEM)
		rc = sym_builder__note(b, "skipped %s: a corrupt symbol table", df->path) ?: rc;
	else if (!rc)
		rc = sym_builder__note(b, "symbols from %s (%s)", df->path,
				       df->via == DEBUG_VIA_BUILD_ID ? "build-id" :
				       ".gnu_debuglink");
	*found = !rc;
cleanup:
	debug_file__free(df);
	free(named);
	if (where.root_fd >= 0)
		close(where.root_fd);
	return rc;
}

int sym_source__minidebuginfo(struct sym_builder *b)
{
	struct elf_file *mini = NULL;
	bool has_symtab;
	int rc;

	rc = minidebuginfo__open(sym_builder__code(b), &mini);
	if (rc == -ENOENT)
		return 0;
	if (!rc)
		rc = sym_source__elf(b, mini, SYM_SRC_MINIDEBUG, &has_symtab);
	if (rc && rc != -ENOMEM)
		rc = sym_builder__note(b, "skipped .gnu_debugdata: not a valid MiniDebugInfo "
				       "(a corrupt xz stream or ELF file, or over the size "
				       "limit)") ?: rc;
	else if (!rc)
		rc = sym_builder__note(b, "symbols from .gnu_debugdata (MiniDebugInfo)");
	elf_file__close(mini);
	return rc;
}
