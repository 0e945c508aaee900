// SPDX-License-Identifier: MIT
/*
 * Unit tests for loader/ret_sites and loader/x86_insn on real compiled
 * functions (tests/fixtures/rets.mk): every function of fx_rets (gcc -O2
 * with tail calls, longjmp, hand-written jumps out), of the Go fixture
 * (the whole Go runtime) and of the OCaml one is decoded, and its rets and
 * jumps out are compared with binutils' own disassembly of the same file
 * (objdump -d, made at build time), a decoder that shares nothing with
 * Zydis. Then the exact sites of the hand-written functions, and the ways
 * a function is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/sym_table.h"
#include "loader/ret_sites.h"
#include "loader/x86_insn.h"

#define RETS "build/fixtures/rets/"
#define RT "build/fixtures/runtimes/"

/* One instruction as objdump prints it. */
struct od_insn {
	__u64 addr;
	unsigned int len;
	char text[96];		/* mnemonic and operands, prefixes included */
};

struct od {
	struct od_insn *v;
	size_t n, cap;
};

/* "  4011d6:\t48 89 e5             \tmov    %rsp,%rbp" */
static void load_objdump(const char *path, struct od *od)
{
	FILE *f = fopen(path, "r");
	char line[512], *tab1, *tab2;

	if (!f)
		fail_msg("%s: %s (built by make fixtures)", path, strerror(errno));
	memset(od, 0, sizeof(*od));
	while (fgets(line, sizeof(line), f)) {
		struct od_insn in = { 0 };
		char *p;

		line[strcspn(line, "\n")] = 0;
		tab1 = strchr(line, '\t');
		if (!tab1 || tab1 == line || tab1[-1] != ':')
			continue;
		in.addr = strtoull(line, NULL, 16);
		tab2 = strchr(tab1 + 1, '\t');
		for (p = tab1 + 1; *p && p != tab2; p++)	/* "48 89 e5 " */
			if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1]) &&
			    (p == tab1 + 1 || p[-1] == ' '))
				in.len++;
		snprintf(in.text, sizeof(in.text), "%s", tab2 ? tab2 + 1 : "(bad)");
		if (od->n == od->cap) {
			od->cap = od->cap ? 2 * od->cap : 4096;
			od->v = realloc(od->v, od->cap * sizeof(*od->v));
			assert_non_null(od->v);
		}
		od->v[od->n++] = in;
	}
	fclose(f);
	assert_true(od->n > 0);
}

/* The mnemonic of an objdump line, past its prefixes, and where its operands start. */
static const char *mnemonic(const char *text, char *out, size_t len)
{
	static const char *const prefixes[] = { "rep", "repz", "repnz", "repe", "repne", "bnd",
						"notrack", "lock", "data16", "addr32", "cs", "ds",
						"es", "ss", "fs", "gs", "rex", "rex.W", "rex.B",
						"rex.WB", "rex.R", "rex.X", NULL };
	const char *p = text;
	size_t n, i;

	for (;;) {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		for (i = 0; prefixes[i]; i++)
			if (strlen(prefixes[i]) == n && !strncmp(p, prefixes[i], n))
				break;
		if (!prefixes[i] || !p[n])
			break;
		p += n;
	}
	snprintf(out, len, "%.*s", (int)n, p);
	p += n;
	while (*p == ' ')
		p++;
	return p;
}

static bool is_jcc(const char *m)
{
	static const char *const jcc[] = { "jo", "jno", "jb", "jae", "je", "jne", "jbe", "ja",
					   "js", "jns", "jp", "jnp", "jl", "jge", "jle", "jg",
					   "jc", "jnc", "jz", "jnz", "jnae", "jnb", "jna", "jnbe",
					   "jpe", "jpo", "jnge", "jnl", "jng", "jnle", NULL };

	for (int i = 0; jcc[i]; i++)
		if (!strcmp(m, jcc[i]))
			return true;
	return false;
}

/* What objdump says of [start, start + size): the outcome ret_sites must give. */
struct expect {
	int rc;
	size_t rets, tails;
	__u64 exits[64];	/* the first 64, in order */
};

static void expect_from_objdump(const struct od *od, __u64 start, __u64 size, struct expect *e)
{
	size_t i, lo = 0, hi = od->n, nx = 0;
	bool other = false, bad = false, cut = true;
	char m[32];

	memset(e, 0, sizeof(*e));
	while (lo < hi) {	/* the first instruction at or after start */
		size_t mid = (lo + hi) / 2;

		if (od->v[mid].addr < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == od->n || od->v[lo].addr != start)
		fail_msg("objdump has no instruction at 0x%llx", (unsigned long long)start);
	for (i = lo; i < od->n && od->v[i].addr < start + size; i++) {
		const struct od_insn *in = &od->v[i];
		const char *ops = mnemonic(in->text, m, sizeof(m));
		__u64 target = strtoull(ops, NULL, 16);
		bool out = target < start || target >= start + size, exit = false;

		if (in->addr + in->len == start + size)
			cut = false;
		if (!strcmp(m, "(bad)") || in->addr + in->len > start + size) {
			bad = true;
		} else if (!strncmp(m, "ret", 3) && (!m[3] || !strcmp(m + 3, "q") ||
						      !strcmp(m + 3, "w"))) {
			e->rets++;
			exit = true;
		} else if (!strcmp(m, "lret") || !strcmp(m, "lretq") || !strcmp(m, "ljmp") ||
			   !strncmp(m, "iret", 4) || !strncmp(m, "sysret", 6) ||
			   !strcmp(m, "sysexit")) {
			other = true;
		} else if (!strcmp(m, "jmp") || !strcmp(m, "jmpq")) {
			exit = *ops == '*' || out;
			e->tails += exit;
		} else if (is_jcc(m)) {
			exit = out;
			e->tails += exit;
		} else if (!strncmp(m, "loop", 4) || !strcmp(m, "jrcxz") || !strcmp(m, "jecxz") ||
			   !strcmp(m, "xbegin")) {
			other |= out;
		}
		if (exit && nx < 64)
			e->exits[nx++] = in->addr;
	}
	if (!size)
		e->rc = -ENODATA;
	else if (bad || cut)
		e->rc = -EILSEQ;
	else if (other || !e->rets)
		e->rc = -ENOTSUP;
}

/* Every function of path decodes as objdump reads it. */
static void check_file_against_objdump(const char *path, const char *dump, size_t min_ok)
{
	struct sym_table *st;
	struct elf_file *ef;
	struct od od;
	size_t i, ok = 0, checked = 0;
	char why[256];

	load_objdump(dump, &od);
	assert_int_equal(sym_table__load(&(struct sym_file){ .path = path, .shown = path }, &st), 0);
	assert_int_equal(elf_file__open(path, &ef), 0);
	for (i = 0; i < sym_table__count(st); i++) {
		const struct sym *s = sym_table__get(st, i);
		struct ret_sites rs = { 0 };
		struct expect e;
		int rc;
		size_t k;

		if (!s->size || s->size > RP_MAX_FN_SIZE)
			continue;
		expect_from_objdump(&od, s->addr, s->size, &e);
		rc = ret_sites__find(&rs, ef, s->addr, s->size, why, sizeof(why));
		if (rc != e.rc)
			fail_msg("%s: %s: decoded %d (%s), objdump says %d", path, s->name, rc,
				 rc ? why : "ok", e.rc);
		checked++;
		if (!rc) {
			ok++;
			if (rs.nr_rets != e.rets || rs.nr_tails != e.tails)
				fail_msg("%s: %s: %zu rets, %zu jumps out; objdump: %zu, %zu", path,
					 s->name, rs.nr_rets, rs.nr_tails, e.rets, e.tails);
			for (k = 0; k < rs.nr && k < 64; k++)
				if (rs.exits[k].vaddr != e.exits[k])
					fail_msg("%s: %s: exit %zu at 0x%llx, objdump 0x%llx", path,
						 s->name, k, (unsigned long long)rs.exits[k].vaddr,
						 (unsigned long long)e.exits[k]);
		}
		ret_sites__free(&rs);
	}
	if (ok < min_ok)
		fail_msg("%s: only %zu of %zu functions decoded", path, ok, checked);
	elf_file__close(ef);
	sym_table__free(st);
	free(od.v);
}

static void test_fx_rets_functions_match_objdump(void **state)
{
	check_file_against_objdump(RETS "fx_rets", RETS "fx_rets.objdump", 8);
}

static void test_go_runtime_functions_match_objdump(void **state)
{
	check_file_against_objdump(RT "fx_go", RETS "fx_go.objdump", 1000);
}

static void test_ocaml_functions_match_objdump(void **state)
{
	check_file_against_objdump(RT "fx_ocaml", RETS "fx_ocaml.objdump", 1000);
}

/* The exits of one function of fx_rets, by name. */
static int find_fn(const char *path, const char *name, struct ret_sites *rs, __u64 *addr,
		   char *why, size_t len)
{
	const struct sym **m = NULL;
	struct sym_table *st;
	struct elf_file *ef;
	int rc;

	assert_int_equal(sym_table__load(&(struct sym_file){ .path = path, .shown = path }, &st), 0);
	assert_int_equal(elf_file__open(path, &ef), 0);
	assert_int_equal(sym_table__match(st, name, &m), 1);
	*addr = m[0]->addr;
	rc = ret_sites__find(rs, ef, m[0]->addr, m[0]->size, why, len);
	if (!rc)
		for (size_t i = 0; i < rs->nr; i++)	/* offsets are the file's */
			assert_int_equal(rs->exits[i].offset - m[0]->offset,
					 rs->exits[i].vaddr - m[0]->addr);
	free(m);
	elf_file__close(ef);
	sym_table__free(st);
	return rc;
}

static void test_conditional_jump_out_keeps_its_condition(void **state)
{
	struct ret_sites rs = { 0 };
	char why[256];
	__u64 at;

	assert_int_equal(find_fn(RETS "fx_rets", "rt_cond", &rs, &at, why, sizeof(why)), 0);
	assert_int_equal(rs.nr, 2);
	assert_int_equal(rs.exits[0].info.kind, RP_TAIL_JCC);
	assert_int_equal(rs.exits[0].info.cc, 5);	/* jnz: 0x75 */
	assert_int_equal(rs.exits[0].info.insn_len, 2);
	assert_int_equal(rs.exits[1].info.kind, RP_RET);
	assert_int_equal(rs.exits[1].info.fn_off, rs.exits[1].vaddr - at);
	assert_int_equal(rs.exits[1].info.fn_size, rs.exits[1].info.fn_off + 1);
	ret_sites__free(&rs);
}

/* jmp *mem(%rip), jmp *%rax twice (out, and to its own ret), then ret. */
static void test_indirect_jumps_carry_their_operands(void **state)
{
	struct ret_sites rs = { 0 };
	char why[256];
	__u64 at;

	assert_int_equal(find_fn(RETS "fx_rets", "rt_indirect", &rs, &at, why, sizeof(why)), 0);
	assert_int_equal(rs.nr, 4);
	assert_int_equal(rs.nr_rets, 1);
	assert_int_equal(rs.exits[0].info.kind, RP_TAIL_INDIRECT);
	assert_int_equal(rs.exits[0].info.flags, RP_F_MEM);
	assert_int_equal(rs.exits[0].info.base_off, RP_REG_RIP);
	assert_int_equal(rs.exits[0].info.index_off, RP_REG_NONE);
	assert_int_equal(rs.exits[0].info.insn_len, 6);
	assert_true(rs.exits[0].info.disp != 0);
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(rs.exits[i].info.kind, RP_TAIL_INDIRECT);
		assert_int_equal(rs.exits[i].info.flags, 0);
		assert_int_equal(rs.exits[i].info.base_off, 80);	/* rax in pt_regs */
		assert_int_equal(rs.exits[i].info.scale, 0);
	}
	assert_int_equal(rs.exits[3].info.kind, RP_RET);
	ret_sites__free(&rs);
}

static void test_refusals_say_why(void **state)
{
	struct ret_sites rs = { 0 };
	char why[256];
	__u64 at;

	assert_int_equal(find_fn(RETS "fx_rets", "rt_never", &rs, &at, why, sizeof(why)),
			 -ENOTSUP);
	assert_string_equal(why, "it has no ret: it never returns");
	assert_int_equal(find_fn(RETS "fx_rets", "rt_relay", &rs, &at, why, sizeof(why)),
			 -ENOTSUP);
	assert_non_null(strstr(why, "it has no ret: it leaves only by jumps to other code"));
	assert_int_equal(rs.nr, 0);	/* nothing left behind */
	ret_sites__free(&rs);
}

static void test_bounds_and_bad_bytes(void **state)
{
	static const unsigned char call_cut[] = { 0xe8, 0x00, 0x00 };	/* call rel32, cut */
	static const unsigned char far_jmp[] = { 0xff, 0x2c, 0x24, 0xc3 };	/* ljmp *(%rsp) */
	static const unsigned char loop_out[] = { 0xe2, 0x10, 0xc3 };	/* loop out; ret */
	static const unsigned char ret_imm[] = { 0xc2, 0x08, 0x00 };	/* ret $8 */
	static const unsigned char fs_jmp[] = { 0x64, 0xff, 0x24, 0x25, 0, 0, 0, 0, 0xc3 };
	struct ret_sites rs = { 0 };
	unsigned char *big;
	char why[256];

	assert_int_equal(ret_sites__decode(&rs, ret_imm, 0, 0x1000, why, sizeof(why)),
			 -ENODATA);
	assert_int_equal(ret_sites__decode(&rs, call_cut, sizeof(call_cut), 0x1000, why,
					   sizeof(why)), -EILSEQ);
	assert_string_equal(why, "the bytes at +0x0 are no instruction (or one cut by its end)");
	assert_int_equal(ret_sites__decode(&rs, far_jmp, sizeof(far_jmp), 0x1000, why,
					   sizeof(why)), -ENOTSUP);
	assert_non_null(strstr(why, "'jmp' at +0x0 leaves it in a way synctrace cannot follow"));
	assert_int_equal(ret_sites__decode(&rs, loop_out, sizeof(loop_out), 0x1000, why,
					   sizeof(why)), -ENOTSUP);
	assert_int_equal(ret_sites__decode(&rs, fs_jmp, sizeof(fs_jmp), 0x1000, why,
					   sizeof(why)), -ENOTSUP);
	assert_int_equal(ret_sites__decode(&rs, ret_imm, sizeof(ret_imm), 0x1000, why,
					   sizeof(why)), 0);
	assert_int_equal(rs.nr_rets, 1);
	/* over the cap: refused before a byte is read */
	big = calloc(1, RP_MAX_FN_SIZE + 1);
	assert_non_null(big);
	assert_int_equal(ret_sites__decode(&rs, big, RP_MAX_FN_SIZE + 1, 0x1000, why,
					   sizeof(why)), -E2BIG);
	free(big);
	ret_sites__free(&rs);
}

/* A function whose code is not in a loaded segment of the file. */
static void test_code_outside_the_file(void **state)
{
	struct ret_sites rs = { 0 };
	struct elf_file *ef;
	char why[256];

	assert_int_equal(elf_file__open(RETS "fx_rets", &ef), 0);
	assert_int_equal(ret_sites__find(&rs, ef, 0x7fffffff0000ULL, 16, why, sizeof(why)),
			 -ENOENT);
	assert_non_null(strstr(why, "is not in the file"));
	assert_int_equal(ret_sites__find(&rs, ef, ~0ULL - 4, 16, why, sizeof(why)), -ENOENT);
	elf_file__close(ef);
}

/* The decoder alone: lengths and flows of a few known encodings. */
static void test_iterator_lengths_and_flows(void **state)
{
	/* push %rbp; jne +2; call rel32; jmp *%rax; ret */
	static const unsigned char code[] = { 0x55, 0x75, 0x02, 0xe8, 0, 0, 0, 0,
					      0xff, 0xe0, 0xc3 };
	static const enum x86_flow flows[] = { X86_FLOW_NEXT, X86_FLOW_JCC, X86_FLOW_CALL,
					       X86_FLOW_JMP_INDIRECT, X86_FLOW_RET };
	static const unsigned lens[] = { 1, 2, 5, 2, 1 };
	struct x86_insn in;
	struct x86_iter it;
	int i = 0;

	x86_iter__init(&it, code, sizeof(code), 0x400000);
	while (x86_iter__next(&it, &in) > 0) {
		assert_true(i < 5);
		assert_int_equal(in.flow, flows[i]);
		assert_int_equal(in.len, lens[i]);
		i++;
	}
	assert_int_equal(i, 5);
	x86_iter__init(&it, code + 1, 2, 0x400001);
	assert_int_equal(x86_iter__next(&it, &in), 1);
	assert_string_equal(in.mnemonic, "jnz");
	assert_int_equal(in.target, 0x400001 + 2 + 2);
	assert_int_equal(x86_iter__next(&it, &in), 0);
	x86_iter__init(&it, NULL, 5, 0);
	assert_int_equal(x86_iter__next(&it, &in), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fx_rets_functions_match_objdump),
		cmocka_unit_test(test_go_runtime_functions_match_objdump),
		cmocka_unit_test(test_ocaml_functions_match_objdump),
		cmocka_unit_test(test_conditional_jump_out_keeps_its_condition),
		cmocka_unit_test(test_indirect_jumps_carry_their_operands),
		cmocka_unit_test(test_refusals_say_why),
		cmocka_unit_test(test_bounds_and_bad_bytes),
		cmocka_unit_test(test_code_outside_the_file),
		cmocka_unit_test(test_iterator_lengths_and_flows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
