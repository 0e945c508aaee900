/* SPDX-License-Identifier: MIT */
/*
 * Small Go function tables (.gopclntab, formats 1.16, 1.18 and 1.20) and
 * the ELF files around them, written the way Go's linker lays them out:
 * for the reader's unit test (test_go_pclntab.c) and its fuzz harness
 * (tests/fuzz/fuzz_gopclntab.c), which wraps fuzzed bytes the same way.
 */
#ifndef SYNCTRACE_TESTS_GOPCLNTAB_BUILD_H
#define SYNCTRACE_TESTS_GOPCLNTAB_BUILD_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#define GT_MAGIC_12	0xfffffffbU
#define GT_MAGIC_116	0xfffffffaU
#define GT_MAGIC_118	0xfffffff0U
#define GT_MAGIC_120	0xfffffff1U

/*
 * The file: one executable PT_LOAD over its first 16 MiB (vaddr = file
 * offset: it covers the text of every real Go file the seeds come from),
 * the table's section after it. The unwritten bytes are a hole.
 */
#define GT_TEXT_VADDR	0x401000ULL
#define GT_SEG_SIZE	0x1000000ULL
#define GT_DATA_VADDR	0x2000000ULL
#define GT_RECORD	48	/* bytes of a _func record, past pcsp */

struct gt_func {
	const char *name;
	__u32 off;		/* from the text start */
	__u32 size;		/* what its pcsp table covers */
	bool no_pcsp;		/* pcsp offset 0: no table */
};

static inline void gt_put32(__u8 *p, __u32 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void gt_put64(__u8 *p, __u64 v)
{
	memcpy(p, &v, sizeof(v));
}

/* A pc-value varint as the linker writes it. */
static inline size_t gt_varint(__u8 *p, __u32 v)
{
	size_t n = 0;

	for (; v >= 0x80; v >>= 7)
		p[n++] = (__u8)(v | 0x80);
	p[n++] = (__u8)v;
	return n;
}

/*
 * A table of n functions in the layout of magic, with text_start as the
 * 1.18+ header's field (1.16 keeps absolute entries: GT_TEXT_VADDR + off).
 * The text ends text_end bytes after its start. Returns the length written
 * into buf (cap: 64 KiB is plenty for a few functions), 0 if it did not fit.
 */
static inline size_t gt_table(__u32 magic, __u64 text_start, __u32 text_end,
			      const struct gt_func *f, size_t n, __u8 *buf, size_t cap)
{
	bool go118 = magic != GT_MAGIC_116;
	size_t words = go118 ? 8 : 7, fs = go118 ? 4 : 8, hdr = 8 + words * 8;
	size_t names, pctab, pcln, funcs, pos, i, w;
	__u32 nameoff[64], pcsp[64];

	if (n > 64 || cap < 65536)
		return 0;
	memset(buf, 0, cap);
	gt_put32(buf, magic);
	buf[6] = 1;
	buf[7] = 8;
	/* funcnametab, cutab and filetab (one zero byte each), pctab, pclntab */
	names = pos = hdr;
	for (i = 0; i < n; i++) {
		nameoff[i] = (__u32)(pos - names);
		memcpy(buf + pos, f[i].name, strlen(f[i].name) + 1);
		pos += strlen(f[i].name) + 1;
	}
	pctab = pos + 2;
	pos = pctab + 1;	/* offset 0 of pctab means "no table" */
	for (i = 0; i < n; i++) {
		pcsp[i] = f[i].no_pcsp ? 0 : (__u32)(pos - pctab);
		if (f[i].no_pcsp)
			continue;
		buf[pos++] = 0;		/* first value delta may be 0 */
		pos += gt_varint(buf + pos, f[i].size);
		buf[pos++] = 0;		/* the end */
	}
	pcln = (pos + 7) & ~(size_t)7;
	funcs = pcln + (2 * n + 1) * fs;
	gt_put64(buf + 8, n);
	gt_put64(buf + 16, 1);
	if (go118)
		gt_put64(buf + 24, text_start);
	w = go118 ? 32 : 24;
	gt_put64(buf + w, names);
	gt_put64(buf + w + 8, pctab - 2);
	gt_put64(buf + w + 16, pctab - 1);
	gt_put64(buf + w + 24, pctab);
	gt_put64(buf + w + 32, pcln);
	for (i = 0; i <= n; i++) {
		__u8 *ft = buf + pcln + 2 * i * fs;
		__u64 entry = i < n ? f[i].off : text_end;
		__u64 rec = funcs + i * GT_RECORD - pcln;
		__u8 *r = buf + pcln + rec;

		if (go118) {
			gt_put32(ft, (__u32)entry);
		} else {
			gt_put64(ft, GT_TEXT_VADDR + entry);
		}
		if (i == n)
			break;
		if (go118) {
			gt_put32(ft + 4, (__u32)rec);
			gt_put32(r, (__u32)entry);
			gt_put32(r + 4, nameoff[i]);
			gt_put32(r + 16, pcsp[i]);
		} else {
			gt_put64(ft + 8, rec);
			gt_put64(r, GT_TEXT_VADDR + entry);
			gt_put32(r + 8, nameoff[i]);
			gt_put32(r + 20, pcsp[i]);
		}
	}
	pos = funcs + n * GT_RECORD;
	return pos <= cap ? pos : 0;
}

/* Where gt_elf puts the table, and what else the file has. */
struct gt_layout {
	__u16 type;		/* ET_EXEC or ET_DYN */
	const char *section;	/* ".gopclntab", ".data.rel.ro.gopclntab", ".data.rel.ro" */
	size_t pos;		/* of the table inside the section */
	bool buildinfo;		/* a .go.buildinfo section */
	bool rela;		/* .rela.dyn: a RELATIVE relocation of textStart */
	__u64 addend;
};

/*
 * Write the ELF file around table (len bytes) to fd, from offset 0; the
 * file is truncated first. Returns 0, or -1 if a write failed.
 */
static inline int gt_elf(int fd, const struct gt_layout *l, const void *table, size_t len)
{
	static const char strtab[] = "\0.text\0.go.buildinfo\0.rela.dyn\0.shstrtab\0";
	enum { N_TEXT = 1, N_BUILDINFO = 7, N_RELA = 21, N_SHSTRTAB = 31,
	       N_TABLE = sizeof(strtab) };
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	Elf64_Shdr sh[6];
	Elf64_Rela rela[2];
	__u64 sect = GT_SEG_SIZE, off, names, nsec = 0;
	size_t slen = strlen(l->section) + 1;

	memset(sh, 0, sizeof(sh));
	if (ftruncate(fd, 0))
		return -1;
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = l->type;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R | PF_X;
	ph.p_filesz = ph.p_memsz = GT_SEG_SIZE;
	ph.p_align = 0x1000;

	nsec = 1;
	sh[nsec++] = (Elf64_Shdr){ .sh_name = N_TEXT, .sh_type = SHT_PROGBITS,
		.sh_flags = SHF_ALLOC | SHF_EXECINSTR, .sh_addr = GT_TEXT_VADDR,
		.sh_offset = GT_TEXT_VADDR, .sh_size = GT_SEG_SIZE - GT_TEXT_VADDR };
	/* the table's section */
	off = sect;
	if (pwrite(fd, table, len, (off_t)(off + l->pos)) != (ssize_t)len)
		return -1;
	sh[nsec++] = (Elf64_Shdr){ .sh_name = N_TABLE, .sh_type = SHT_PROGBITS,
		.sh_flags = SHF_ALLOC, .sh_addr = GT_DATA_VADDR, .sh_offset = off,
		.sh_size = l->pos + len, .sh_addralign = 32 };
	off = (off + l->pos + len + 7) & ~7ULL;
	if (l->buildinfo) {
		if (pwrite(fd, "\xff Go buildinf:", 14, (off_t)off) != 14)
			return -1;
		sh[nsec++] = (Elf64_Shdr){ .sh_name = N_BUILDINFO, .sh_type = SHT_PROGBITS,
			.sh_flags = SHF_ALLOC | SHF_WRITE, .sh_addr = GT_DATA_VADDR + 0x100000,
			.sh_offset = off, .sh_size = 16 };
		off += 16;
	}
	if (l->rela) {
		/* a decoy first: another pointer of the table's section */
		rela[0] = (Elf64_Rela){ .r_offset = GT_DATA_VADDR + l->pos + 16,
			.r_info = ELF64_R_INFO(0, R_X86_64_RELATIVE), .r_addend = 0x1234 };
		rela[1] = (Elf64_Rela){ .r_offset = GT_DATA_VADDR + l->pos + 24,
			.r_info = ELF64_R_INFO(0, R_X86_64_RELATIVE),
			.r_addend = (Elf64_Sxword)l->addend };
		if (pwrite(fd, rela, sizeof(rela), (off_t)off) != sizeof(rela))
			return -1;
		sh[nsec++] = (Elf64_Shdr){ .sh_name = N_RELA, .sh_type = SHT_RELA,
			.sh_flags = SHF_ALLOC, .sh_offset = off, .sh_size = sizeof(rela),
			.sh_entsize = sizeof(Elf64_Rela), .sh_addralign = 8 };
		off += sizeof(rela);
	}
	names = off;
	if (pwrite(fd, strtab, sizeof(strtab), (off_t)off) != sizeof(strtab) ||
	    pwrite(fd, l->section, slen, (off_t)(off + sizeof(strtab))) != (ssize_t)slen)
		return -1;
	sh[nsec++] = (Elf64_Shdr){ .sh_name = N_SHSTRTAB, .sh_type = SHT_STRTAB,
		.sh_offset = names, .sh_size = sizeof(strtab) + slen };
	off = (names + sizeof(strtab) + slen + 7) & ~7ULL;
	eh.e_shoff = off;
	eh.e_shnum = (Elf64_Half)nsec;
	eh.e_shstrndx = (Elf64_Half)(nsec - 1);
	if (pwrite(fd, sh, nsec * sizeof(sh[0]), (off_t)off) != (ssize_t)(nsec * sizeof(sh[0])) ||
	    pwrite(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    pwrite(fd, &ph, sizeof(ph), sizeof(eh)) != sizeof(ph))
		return -1;
	return 0;
}

#endif
