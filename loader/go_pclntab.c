// SPDX-License-Identifier: MIT
/*
 * Go's function table read defensively; see go_pclntab.h. The layout is
 * the linker's (cmd/link/internal/ld/pcln.go) as the runtime reads it
 * (runtime/symtab.go: pcHeader, functab, _func); every offset the file
 * gives is checked against the bytes of the table it points into.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gelf.h>
#include "loader/elf_file.h"
#include "loader/go_pclntab.h"

#define GO12_MAGIC	0xfffffffbU	/* Go 1.2 to 1.15: refused */
#define GO116_MAGIC	0xfffffffaU
#define GO118_MAGIC	0xfffffff0U
#define GO120_MAGIC	0xfffffff1U

/*
 * The header: magic, two zero pads, the pc quantum (1 on x86-64), the
 * pointer size (8), then pointer-sized words: nfunc, nfiles, (1.18+)
 * textStart, and the offsets of the tables from the header's start.
 */
#define HDR_FIXED	8
#define TEXT_START_WORD	2	/* 1.18+ */

/* The tables, in the order the header gives their offsets. */
enum { T_NAMES, T_CU, T_FILES, T_PCTAB, T_PCLN, NR_TABLES };

/*
 * _func, the record functab points at (offsets from its start).
 * 1.16: entry uintptr, nameoff int32, args int32, deferreturn uint32, pcsp.
 * 1.18+: entryoff uint32 (from textStart), nameoff, args, deferreturn, pcsp;
 * what 1.20 added (startLine) comes after these.
 */
#define FUNC116_NAMEOFF	8
#define FUNC116_PCSP	20
#define FUNC118_NAMEOFF	4
#define FUNC118_PCSP	16

/*
 * In a file the system linker merged the table into .data.rel.ro, the
 * scan tries this many candidate headers at most: the 8-byte pattern is
 * rare, and a hostile file must not make the search quadratic.
 */
#define MAX_SCAN_TRIES	16

struct pcln {
	const __u8 *data;	/* the header, then the tables */
	size_t size;
	__u64 vaddr;		/* of data[0] */
	bool go118;		/* entries are 32-bit offsets from text_start */
	__u64 nfunc;
	__u64 text_start;
	size_t off[NR_TABLES];	/* from data */
	size_t end[NR_TABLES];	/* where the next table begins, or size */
};

static __u32 get32(const __u8 *p)
{
	__u32 v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static __u64 get64(const __u8 *p)
{
	__u64 v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static bool known_magic(__u32 magic)
{
	return magic == GO116_MAGIC || magic == GO118_MAGIC || magic == GO120_MAGIC;
}

static int parse_header(struct pcln *t)
{
	size_t words, base, hdr, i, j;
	__u32 magic;

	if (t->size < HDR_FIXED)
		return -ENOEXEC;
	magic = get32(t->data);
	if (!known_magic(magic))
		return -ENOTSUP;
	t->go118 = magic != GO116_MAGIC;
	/* quantum 1 and 8-byte pointers: x86-64 is all elf_file opens */
	if (t->data[4] || t->data[5] || t->data[6] != 1 || t->data[7] != 8)
		return -ENOEXEC;
	base = t->go118 ? TEXT_START_WORD + 1 : TEXT_START_WORD;
	words = base + NR_TABLES;
	hdr = HDR_FIXED + words * 8;
	if (t->size < hdr)
		return -ENOEXEC;
	t->nfunc = get64(t->data + HDR_FIXED);
	t->text_start = t->go118 ? get64(t->data + HDR_FIXED + TEXT_START_WORD * 8) : 0;
	for (i = 0; i < NR_TABLES; i++) {
		__u64 off = get64(t->data + HDR_FIXED + (base + i) * 8);

		if (off < hdr || off > t->size)
			return -ENOEXEC;
		t->off[i] = (size_t)off;
	}
	/*
	 * A table ends where the next one begins, whatever order a version
	 * writes them in: a name or pc table never runs into the next table.
	 */
	for (i = 0; i < NR_TABLES; i++) {
		t->end[i] = t->size;
		for (j = 0; j < NR_TABLES; j++)
			if (t->off[j] > t->off[i] && t->off[j] < t->end[i])
				t->end[i] = t->off[j];
	}
	return 0;
}

/* functab is nfunc (entry, funcoff) pairs and the end of the text after them. */
static size_t field_size(const struct pcln *t)
{
	return t->go118 ? 4 : 8;
}

static __u64 functab_field(const struct pcln *t, __u64 i)
{
	const __u8 *p = t->data + t->off[T_PCLN] + i * field_size(t);

	return t->go118 ? get32(p) : get64(p);
}

static int entry_at(const struct pcln *t, __u64 i, __u64 *entry)
{
	__u64 v = functab_field(t, 2 * i);

	if (!t->go118) {
		*entry = v;
		return 0;
	}
	*entry = t->text_start + v;
	return *entry < t->text_start ? -ENOEXEC : 0;
}

/*
 * A pointer of a position-independent file: the linker may leave its
 * value only in the R_X86_64_RELATIVE relocation's addend (lld does; GNU
 * ld and Go's own linker write it into the file too). The addend wins.
 */
static __u64 relocated(const struct elf_file *ef, __u64 vaddr, __u64 value)
{
	GElf_Shdr shdr;
	Elf_Scn *scn;
	Elf_Data *data;
	GElf_Rela rela;
	size_t i, n;

	if (!elf_file__is_pie_or_dso(ef))
		return value;
	scn = elf_file__section_by_name(ef, ".rela.dyn", &shdr);
	if (!scn || shdr.sh_type != SHT_RELA)
		return value;
	data = elf_file__section_data(ef, scn, &shdr);
	if (!data)
		return value;
	n = data->d_size / sizeof(Elf64_Rela);
	for (i = 0; i < n && i <= INT32_MAX; i++)
		if (gelf_getrela(data, (int)i, &rela) && rela.r_offset == vaddr &&
		    GELF_R_TYPE(rela.r_info) == R_X86_64_RELATIVE)
			return (__u64)rela.r_addend;
	return value;
}

/* [start, end) inside the file bytes of one executable PT_LOAD segment. */
static int check_text(const struct elf_file *ef, __u64 start, __u64 end)
{
	Elf *elf = elf_file__elf(ef);
	GElf_Phdr ph;
	size_t n, i;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	/* elf_file__open checked that p_vaddr + p_filesz does not wrap */
	for (i = 0; i < n && i <= INT32_MAX; i++)
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    (ph.p_flags & PF_X) && start >= ph.p_vaddr &&
		    end <= ph.p_vaddr + ph.p_filesz)
			return 0;
	return -ENOEXEC;
}

/* A varint of a pc-value table as runtime.readvarint reads it: 32 bits, 5 bytes at most. */
static int read_varint(const __u8 **p, const __u8 *end, __u32 *v)
{
	unsigned int shift;
	__u32 r = 0;

	for (shift = 0; shift < 35; shift += 7) {
		__u8 b;

		if (*p >= end)
			return -ENOEXEC;
		b = *(*p)++;
		r |= (__u32)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -ENOEXEC;
}

/*
 * The pcs a pc-value table covers, read as runtime.step does: (value
 * delta, pc delta) pairs until a zero byte where a value delta would
 * follow the first. The linker writes pcsp up to the function's last byte
 * of code, which is its size. More than limit is a corrupt table.
 */
static int table_span(const struct pcln *t, __u32 off, __u64 limit, __u64 *span)
{
	const __u8 *p, *end = t->data + t->end[T_PCTAB];
	bool first = true;
	__u64 pc = 0;
	__u32 v;

	if (off >= t->end[T_PCTAB] - t->off[T_PCTAB])
		return -ENOEXEC;
	p = t->data + t->off[T_PCTAB] + off;
	for (;;) {
		if (p >= end)
			return -ENOEXEC;
		if (!*p && !first)
			break;
		if (read_varint(&p, end, &v) || read_varint(&p, end, &v))
			return -ENOEXEC;
		pc += v;	/* times the quantum, 1 */
		if (pc > limit)
			return -ENOEXEC;
		first = false;
	}
	*span = pc;
	return 0;
}

/* The name at nameoff of funcnametab, NUL-terminated inside it and not empty. */
static int read_name(const struct pcln *t, __s32 nameoff, const char **name, size_t *len)
{
	const char *s, *nul;
	size_t avail;

	if (nameoff < 0 || (size_t)nameoff >= t->end[T_NAMES] - t->off[T_NAMES])
		return -ENOEXEC;
	s = (const char *)t->data + t->off[T_NAMES] + nameoff;
	avail = t->end[T_NAMES] - t->off[T_NAMES] - (size_t)nameoff;
	nul = memchr(s, '\0', avail);
	if (!nul || nul == s)
		return -ENOEXEC;
	*name = s;
	*len = (size_t)(nul - s);
	return 0;
}

/*
 * Function i, whose entry and the next entry functab gave. names_left
 * bounds the bytes of all names copied: a hostile table may point every
 * function at one long name.
 */
static int read_func(const struct pcln *t, __u64 i, __u64 entry, __u64 next,
		     struct go_func *f, size_t *names_left)
{
	size_t avail = t->end[T_PCLN] - t->off[T_PCLN], rec, len;
	__u64 funcoff = functab_field(t, 2 * i + 1), span;
	const __u8 *p;
	const char *name;
	__u32 pcsp;
	int err;

	rec = t->go118 ? FUNC118_PCSP + 4 : FUNC116_PCSP + 4;
	if (funcoff > avail || avail - funcoff < rec)
		return -ENOEXEC;
	p = t->data + t->off[T_PCLN] + funcoff;
	/* _func repeats functab's entry: a table that disagrees with itself is corrupt */
	if (t->go118 ? get32(p) != functab_field(t, 2 * i) : get64(p) != entry)
		return -ENOEXEC;
	err = read_name(t, (__s32)get32(p + (t->go118 ? FUNC118_NAMEOFF : FUNC116_NAMEOFF)),
			&name, &len);
	if (err)
		return err;
	if (len >= *names_left)
		return -ENOEXEC;
	*names_left -= len + 1;
	pcsp = get32(p + (t->go118 ? FUNC118_PCSP : FUNC116_PCSP));
	span = next - entry;
	if (pcsp) {
		err = table_span(t, pcsp, next - entry, &span);
		if (err)
			return err;
	}
	f->name = strndup(name, len);
	if (!f->name)
		return -ENOMEM;
	f->entry = entry;
	f->size = span;
	return 0;
}

static int load_funcs(const struct elf_file *ef, struct pcln *t,
		      struct go_func **out, size_t *n)
{
	__u64 i, first, entry, next, text_end, nfields;
	size_t names_left = t->size;
	struct go_func *f = NULL;
	int err;

	err = parse_header(t);
	if (err)
		return err;
	if (t->go118)
		t->text_start = relocated(ef, t->vaddr + HDR_FIXED + TEXT_START_WORD * 8,
					  t->text_start);
	/* nfunc pairs and the end: (2 * nfunc + 1) fields, without overflowing */
	nfields = (t->end[T_PCLN] - t->off[T_PCLN]) / field_size(t);
	if (!t->nfunc || !nfields || t->nfunc > (nfields - 1) / 2)
		return -ENOEXEC;
	if (entry_at(t, 0, &first) || entry_at(t, t->nfunc, &text_end) || first > text_end)
		return -ENOEXEC;
	err = check_text(ef, first, text_end);
	if (err)
		return err;
	f = calloc((size_t)t->nfunc, sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (i = 0, entry = first; i < t->nfunc; i++, entry = next) {
		/* sorted as the runtime's findfunc needs (moduledataverify1 checks <=) */
		if (entry_at(t, i + 1, &next) || next < entry) {
			err = -ENOEXEC;
			goto cleanup;
		}
		err = read_func(t, i, entry, next, &f[i], &names_left);
		if (err)
			goto cleanup;
	}
	*out = f;
	*n = (size_t)t->nfunc;
	return 0;

cleanup:
	go_pclntab__free(f, (size_t)t->nfunc);
	return err;
}

static bool looks_like_header(const __u8 *p)
{
	__u32 magic = get32(p);

	return (known_magic(magic) || magic == GO12_MAGIC) &&
	       !p[4] && !p[5] && p[6] == 1 && p[7] == 8;
}

/*
 * The system linker (external linking: cgo, -buildmode=c-shared, PIE)
 * merges Go's .data.rel.ro.gopclntab into .data.rel.ro: look for a header
 * there, pointer-aligned, and take the first that reads as a whole table.
 * Only in a Go file (.go.buildinfo), so a C library is never scanned.
 */
static int scan_relro(const struct elf_file *ef, struct go_func **out, size_t *n)
{
	int err = -ENOENT, e;
	size_t pos, tries = 0;
	const __u8 *p;
	GElf_Shdr shdr;
	Elf_Data *data;
	Elf_Scn *scn;

	if (!elf_file__section_by_name(ef, ".go.buildinfo", &shdr))
		return -ENOENT;
	scn = elf_file__section_by_name(ef, ".data.rel.ro", &shdr);
	data = scn ? elf_file__section_data(ef, scn, &shdr) : NULL;
	if (!data)
		return -ENOENT;
	p = data->d_buf;
	for (pos = (8 - shdr.sh_addr % 8) % 8; pos < data->d_size && data->d_size - pos >= 8 &&
	     tries < MAX_SCAN_TRIES; pos += 8) {
		struct pcln t = { .data = p + pos, .size = data->d_size - pos,
				  .vaddr = shdr.sh_addr + pos };

		if (!looks_like_header(p + pos))
			continue;
		tries++;
		e = load_funcs(ef, &t, out, n);
		if (!e || e == -ENOMEM)
			return e;
		if (err == -ENOENT)
			err = e;	/* the first candidate's reason */
	}
	return err;
}

int go_pclntab__load(const struct elf_file *ef, struct go_func **out, size_t *n)
{
	/* Go's linker names the section so; with PIE, after the relro prefix. */
	static const char *const names[] = { ".gopclntab", ".data.rel.ro.gopclntab" };
	GElf_Shdr shdr;
	Elf_Data *data;
	Elf_Scn *scn;
	size_t i;

	*out = NULL;
	*n = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct pcln t = { 0 };

		scn = elf_file__section_by_name(ef, names[i], &shdr);
		if (!scn)
			continue;
		data = elf_file__section_data(ef, scn, &shdr);
		if (!data)
			return -ENOEXEC;	/* NOBITS, or not in the file */
		t.data = data->d_buf;
		t.size = data->d_size;
		t.vaddr = shdr.sh_addr;
		return load_funcs(ef, &t, out, n);
	}
	return scan_relro(ef, out, n);
}

void go_pclntab__free(struct go_func *f, size_t n)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < n; i++)
		free(f[i].name);
	free(f);
}
