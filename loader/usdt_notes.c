// SPDX-License-Identifier: MIT
/*
 * Read the SystemTap SDT notes (.note.stapsdt) of one ELF file and parse
 * their x86_64 argument strings; see usdt_notes.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "loader/elf_file.h"
#include "loader/usdt_notes.h"

#define SDT_NOTE_TYPE	3
#define SDT_NOTE_OWNER	"stapsdt"
#define SDT_DESC_ADDRS	(3 * sizeof(__u64))	/* pc, base, semaphore */

/* Offsets in the uapi x86_64 struct pt_regs. */
struct reg_name {
	const char *name;
	int off;
};

static const struct reg_name legacy_regs[] = {
	/* 64-, 32-, 16-bit and low-byte names of the same register. */
	{ "rax", 80 }, { "eax", 80 }, { "ax", 80 }, { "al", 80 },
	{ "rbx", 40 }, { "ebx", 40 }, { "bx", 40 }, { "bl", 40 },
	{ "rcx", 88 }, { "ecx", 88 }, { "cx", 88 }, { "cl", 88 },
	{ "rdx", 96 }, { "edx", 96 }, { "dx", 96 }, { "dl", 96 },
	{ "rsi", 104 }, { "esi", 104 }, { "si", 104 }, { "sil", 104 },
	{ "rdi", 112 }, { "edi", 112 }, { "di", 112 }, { "dil", 112 },
	{ "rbp", 32 }, { "ebp", 32 }, { "bp", 32 }, { "bpl", 32 },
	{ "rsp", 152 }, { "esp", 152 }, { "sp", 152 }, { "spl", 152 },
	{ "rip", 128 },
	/*
	 * %ah, %bh, %ch, %dh are left out on purpose: they are bits 8-15,
	 * and reading them as the low byte of the register would be wrong.
	 */
};

/* r8 .. r15, with or without a d/w/b suffix. */
static const int numbered_regs[] = { 72, 64, 56, 48, 24, 16, 8, 0 };

/* The pt_regs offset of register name (len bytes), or -1. */
static int reg_offset(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(legacy_regs) / sizeof(legacy_regs[0]); i++)
		if (strlen(legacy_regs[i].name) == len &&
		    !memcmp(legacy_regs[i].name, name, len))
			return legacy_regs[i].off;
	if (len < 2 || name[0] != 'r' || name[1] < '1' || name[1] > '9')
		return -1;
	i = (size_t)(name[1] - '0');
	name += 2;
	len -= 2;
	if (i == 1) {
		if (!len || *name < '0' || *name > '5')
			return -1;
		i = 10 + (size_t)(*name - '0');
		name++;
		len--;
	}
	if (i < 8 || (len == 1 && !strchr("dwb", *name)) || len > 1)
		return -1;
	return numbered_regs[i - 8];
}

/*
 * A signed number in C syntax (decimal, 0x hex, 0 octal, as gas reads
 * it) at *s, with no leading blanks or '+'; advances *s past it.
 */
static int parse_num(const char **s, __s64 *val)
{
	const char *p = *s + (**s == '-');
	char *end;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	*val = strtoll(*s, &end, 0);
	if (errno)
		return -EINVAL;
	*s = end;
	return 0;
}

/* "%reg" at *s; advances *s past it. */
static int parse_reg(const char **s, int *off)
{
	const char *p = *s;
	size_t len = 0;

	if (*p != '%')
		return -EINVAL;
	p++;
	while ((p[len] >= 'a' && p[len] <= 'z') ||
	       (p[len] >= '0' && p[len] <= '9'))
		len++;
	*off = reg_offset(p, len);
	if (*off < 0)
		return -EINVAL;
	*s = p + len;
	return 0;
}

/* One "N@operand" at *s; advances *s to what follows it. */
static int parse_arg(const char **s, struct usdt_arg *arg)
{
	const char *p = *s;
	__s64 size;

	memset(arg, 0, sizeof(*arg));
	if (parse_num(&p, &size) || *p++ != '@')
		return -EINVAL;
	if (size != 1 && size != 2 && size != 4 && size != 8 &&
	    size != -1 && size != -2 && size != -4 && size != -8)
		return -EINVAL;
	arg->size = (int)size;
	if (*p == '%') {
		arg->kind = USDT_ARG_REG;
		if (parse_reg(&p, &arg->reg_off))
			return -EINVAL;
	} else if (*p == '$') {
		arg->kind = USDT_ARG_CONST;
		p++;
		if (parse_num(&p, &arg->val))
			return -EINVAL;
	} else {
		/* disp(%reg) or (%reg); index forms and symbols are not. */
		arg->kind = USDT_ARG_REG_DEREF;
		if (*p != '(' && parse_num(&p, &arg->val))
			return -EINVAL;
		if (*p++ != '(' || parse_reg(&p, &arg->reg_off) || *p++ != ')')
			return -EINVAL;
	}
	if (*p && *p != ' ' && *p != '\t')
		return -EINVAL;
	*s = p;
	return 0;
}

int usdt_parse_args(const char *s, struct usdt_arg *args, int max)
{
	int n = 0;

	if (!s || max < 0)
		return -EINVAL;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			return n;
		if (n == max || parse_arg(&s, &args[n]))
			return -EINVAL;
		n++;
	}
}

/* The NUL-terminated string at *p, which must end before end. */
static const char *take_str(const char **p, const char *end)
{
	const char *s = *p, *nul;

	if (s >= end)
		return NULL;
	nul = memchr(s, '\0', (size_t)(end - s));
	if (!nul)
		return NULL;
	*p = nul + 1;
	return s;
}

/* An allocated section with file contents, where a semaphore may live. */
struct data_scn {
	__u64 addr, size, offset;
};

/*
 * Sections sorted by address, made once per file: a hostile file with many
 * sections and many semaphores must not cost their product.
 */
struct scn_index {
	struct data_scn *s;
	size_t n;
	bool built;
};

static int cmp_scn(const void *pa, const void *pb)
{
	const struct data_scn *a = pa, *b = pb;

	return (a->addr > b->addr) - (a->addr < b->addr);
}

static int build_index(const struct elf_file *ef, struct scn_index *ix)
{
	size_t i, n = elf_file__nr_sections(ef);
	GElf_Shdr sh;

	ix->built = true;
	ix->s = calloc(n ? n : 1, sizeof(*ix->s));
	if (!ix->s)
		return -ENOMEM;
	for (i = 1; i < n; i++) {
		if (!elf_file__section(ef, i, &sh) || !sh.sh_size ||
		    !(sh.sh_flags & SHF_ALLOC) || sh.sh_type == SHT_NOBITS ||
		    sh.sh_type == SHT_NULL)
			continue;
		/* elf_file__open checked these types lie inside the file. */
		ix->s[ix->n++] = (struct data_scn){ sh.sh_addr, sh.sh_size,
						    sh.sh_offset };
	}
	qsort(ix->s, ix->n, sizeof(*ix->s), cmp_scn);
	return 0;
}

/*
 * The file offset of a semaphore through the section that holds it (what
 * the kernel's ref_ctr_offset wants). -ENOENT if none does.
 */
static int sema_offset(const struct elf_file *ef, struct scn_index *ix,
		       __u64 addr, __u64 *off)
{
	size_t lo = 0, hi;
	int err;

	if (!ix->built && (err = build_index(ef, ix)))
		return err;
	for (hi = ix->n; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->s[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Sections do not overlap: only the last one starting below counts. */
	if (!lo || addr - ix->s[lo - 1].addr >= ix->s[lo - 1].size)
		return -ENOENT;
	*off = addr - ix->s[lo - 1].addr + ix->s[lo - 1].offset;
	return 0;
}

struct probe_list {
	struct usdt_probe *p;
	size_t n, cap;
};

static int add_probe(struct probe_list *pl, const struct usdt_probe *pr,
		     const char *provider, const char *name, const char *args)
{
	struct usdt_probe *dst;

	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 16;
		struct usdt_probe *p = realloc(pl->p, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		pl->p = p;
		pl->cap = cap;
	}
	dst = &pl->p[pl->n];
	*dst = *pr;
	dst->provider = strdup(provider);
	dst->name = strdup(name);
	dst->arg_str = strdup(args);
	if (!dst->provider || !dst->name || !dst->arg_str) {
		free(dst->provider);
		free(dst->name);
		free(dst->arg_str);
		return -ENOMEM;
	}
	pl->n++;
	return 0;
}

/*
 * One note's descriptor: pc, base and semaphore (8 bytes each, little
 * endian: elf_file only opens ELFDATA2LSB), then provider, name and
 * arguments, each NUL-terminated inside the descriptor. Returns 0 and
 * leaves pl alone for a note that is malformed or cannot be attached.
 */
static int parse_note(const struct elf_file *ef, struct probe_list *pl,
		      struct scn_index *ix, const char *desc, size_t len,
		      bool has_base, __u64 base_addr)
{
	const char *p = desc + SDT_DESC_ADDRS, *end = desc + len;
	const char *provider, *name, *args;
	struct usdt_probe pr = {};
	__u64 note_base;
	int err;

	if (len < SDT_DESC_ADDRS)
		return 0;
	memcpy(&pr.pc, desc, 8);
	memcpy(&note_base, desc + 8, 8);
	memcpy(&pr.sema_addr, desc + 16, 8);
	provider = take_str(&p, end);
	name = provider ? take_str(&p, end) : NULL;
	args = name ? take_str(&p, end) : NULL;
	if (!args || !*provider || !*name)
		return 0;
	/* Prelinked or otherwise moved: the base section says by how much. */
	if (has_base)
		pr.pc += base_addr - note_base;
	if (elf_file__vaddr_to_offset(ef, pr.pc, &pr.offset))
		return 0;
	if (pr.sema_addr) {
		err = sema_offset(ef, ix, pr.sema_addr, &pr.sema_offset);
		if (err)
			return err == -ENOENT ? 0 : err;
	}
	pr.nargs = usdt_parse_args(args, pr.args, USDT_MAX_ARGS);
	if (pr.nargs < 0) {
		pr.nargs = -1;
		memset(pr.args, 0, sizeof(pr.args));
	}
	return add_probe(pl, &pr, provider, name, args);
}

static int parse_section(const struct elf_file *ef, Elf_Scn *scn,
			 const GElf_Shdr *sh, struct probe_list *pl,
			 struct scn_index *ix, bool has_base, __u64 base_addr)
{
	Elf_Data *data = elf_file__section_data(ef, scn, sh);
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;
	int err;

	if (!data)
		return 0;
	/* gelf_getnote checks sizes and returns a larger offset, or 0. */
	while (off < data->d_size &&
	       (next = gelf_getnote(data, off, &nh, &name_off, &desc_off))) {
		const char *buf = data->d_buf;

		if (next <= off)
			break;
		off = next;
		if (nh.n_type != SDT_NOTE_TYPE ||
		    nh.n_namesz != sizeof(SDT_NOTE_OWNER) ||
		    name_off > data->d_size ||
		    data->d_size - name_off < nh.n_namesz ||
		    memcmp(buf + name_off, SDT_NOTE_OWNER, nh.n_namesz) ||
		    desc_off > data->d_size ||
		    data->d_size - desc_off < nh.n_descsz)
			continue;
		err = parse_note(ef, pl, ix, buf + desc_off, nh.n_descsz,
				 has_base, base_addr);
		if (err)
			return err;
	}
	return 0;
}

int usdt_notes__load(const char *path, struct usdt_probe **out, size_t *n)
{
	struct scn_index ix = {};
	struct probe_list pl = {};
	struct elf_file *ef;
	size_t i, nr_scns;
	__u64 base_addr = 0;
	bool has_base;
	GElf_Shdr sh;
	int err;

	*out = NULL;
	*n = 0;
	err = elf_file__open(path, &ef);
	if (err)
		return err;
	has_base = elf_file__section_by_name(ef, ".stapsdt.base", &sh);
	if (has_base)
		base_addr = sh.sh_addr;
	nr_scns = elf_file__nr_sections(ef);
	for (i = 1; i < nr_scns && !err; i++) {
		Elf_Scn *scn = elf_file__section(ef, i, &sh);
		const char *sname;

		if (!scn || sh.sh_type != SHT_NOTE)
			continue;
		sname = elf_file__section_name(ef, &sh);
		if (sname && !strcmp(sname, ".note.stapsdt"))
			err = parse_section(ef, scn, &sh, &pl, &ix, has_base,
					    base_addr);
	}
	free(ix.s);
	elf_file__close(ef);
	if (err) {
		usdt_notes__free(pl.p, pl.n);
		return err;
	}
	*out = pl.p;
	*n = pl.n;
	return 0;
}

void usdt_notes__free(struct usdt_probe *p, size_t n)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < n; i++) {
		free(p[i].provider);
		free(p[i].name);
		free(p[i].arg_str);
	}
	free(p);
}
