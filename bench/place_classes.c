// SPDX-License-Identifier: MIT
/*
 * How the functions of one ELF file split by entry-probe cost, for
 * bench/placement's weighted summary row: each function (one per address:
 * aliases are the same code) is decoded by loader/placement.c as synctrace
 * decodes it, and counted as emulated at +0, moved for a count (by the
 * mnemonic it moves past), or staying single-stepped at +0 (by why).
 *
 *   place_classes FILE     prints one JSON object
 *
 * The functions are those synctrace finds in FILE (sym_table.h: its symbol
 * tables, or a debug file's).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/placement.h"
#include "loader/sym_table.h"

#define MAX_KEYS 64

struct tally {
	char key[MAX_KEYS][24];
	long n[MAX_KEYS];
	int nr;
};

static void tally_add(struct tally *t, const char *key)
{
	int i;

	for (i = 0; i < t->nr; i++)
		if (!strcmp(t->key[i], key)) {
			t->n[i]++;
			return;
		}
	if (t->nr == MAX_KEYS)
		key = "other", i = t->nr - 1;
	else
		i = t->nr++;
	snprintf(t->key[i], sizeof(t->key[i]), "%s", key);
	t->n[i]++;
}

static void tally_print(const char *name, const struct tally *t)
{
	int i;

	printf("\"%s\": {", name);
	for (i = 0; i < t->nr; i++)
		printf("%s\"%s\": %ld", i ? ", " : "", t->key[i], t->n[i]);
	printf("}");
}

static int by_addr(const void *a, const void *b)
{
	const struct sym *x = *(const struct sym *const *)a, *y = *(const struct sym *const *)b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static const char *why_name(enum place_why w)
{
	static const char *const names[] = {
		[PLACE_NONE] = "none", [PLACE_MOVED] = "moved",
		[PLACE_ENTRY_CHEAP] = "entry_cheap", [PLACE_NO_EMULATED] = "no_emulated",
		[PLACE_UNSAFE_SKIP] = "unsafe_skip", [PLACE_BRANCH_IN] = "branch_in",
		[PLACE_INDIRECT_JMP] = "indirect_jmp", [PLACE_UNDECODED] = "undecoded",
	};

	return w < sizeof(names) / sizeof(names[0]) && names[w] ? names[w] : "other";
}

int main(int argc, char **argv)
{
	struct tally moved = { 0 }, stays = { 0 };
	const struct sym **all = NULL, **m = NULL;
	struct placement *pl = NULL;
	struct sym_table *st = NULL;
	struct elf_file *ef = NULL;
	long cheap = 0, nr_moved = 0, nr_stays = 0;
	size_t n, i, k = 0;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: place_classes FILE\n");
		return 2;
	}
	err = sym_table__load(&(struct sym_file){ .path = argv[1], .shown = argv[1] }, &st);
	if (!err)
		err = elf_file__open(argv[1], &ef);
	if (err) {
		fprintf(stderr, "place_classes: %s: %s\n", argv[1], strerror(-err));
		goto cleanup;
	}
	n = sym_table__list(st, "*", &all);
	m = calloc(n ? n : 1, sizeof(*m));
	pl = calloc(n ? n : 1, sizeof(*pl));
	if (!m || !pl) {
		err = -ENOMEM;
		goto cleanup;
	}
	qsort(all, n, sizeof(*all), by_addr);
	for (i = 0; i < n; i++)
		if (all[i]->size && !all[i]->ifunc && (!k || m[k - 1]->addr != all[i]->addr))
			m[k++] = all[i];
	err = placement__plan(ef, st, m, k, pl);
	if (err)
		goto cleanup;
	for (i = 0; i < k; i++) {
		if (pl[i].why == PLACE_ENTRY_CHEAP) {
			cheap++;
		} else if (pl[i].why == PLACE_MOVED) {
			nr_moved++;
			tally_add(&moved, pl[i].past);
		} else {
			nr_stays++;
			tally_add(&stays, why_name(pl[i].why));
		}
	}
	printf("{\"file\": \"%s\", \"symbols\": %zu, \"functions\": %zu, \"entry_cheap\": %ld, \"moved\": %ld, "
	       "\"stays\": %ld, ", argv[1], n, k, cheap, nr_moved, nr_stays);
	tally_print("moved_past", &moved);
	printf(", ");
	tally_print("stays_why", &stays);
	printf("}\n");
cleanup:
	free(all);
	free(m);
	free(pl);
	elf_file__close(ef);
	sym_table__free(st);
	return err ? 1 : 0;
}
