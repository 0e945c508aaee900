// SPDX-License-Identifier: MIT
/*
 * Open an ELF file we do not trust and check its headers once, so the
 * readers above it (symbols, USDT notes) can rely on in-bounds tables.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "loader/elf_file.h"

/* A PT_LOAD segment whose file bytes were checked to lie inside the file. */
struct load_seg {
	__u64 vaddr;
	__u64 filesz;
	__u64 offset;
};

struct elf_file {
	int fd;			/* -1 for a file opened from memory */
	void *mem;		/* elf_file__open_mem's copy of the image */
	Elf *elf;
	GElf_Half type;
	__u64 size;		/* file size at open time */
	size_t shnum;
	size_t shstrndx;
	struct load_seg *segs;
	size_t nr_segs;
};

/* [off, off + len) inside [0, size), without overflowing. */
static bool in_file(__u64 off, __u64 len, __u64 size)
{
	return off <= size && len <= size - off;
}

static int check_sections(struct elf_file *ef, const GElf_Ehdr *eh)
{
	GElf_Shdr shdr;
	size_t i;

	if (elf_getshdrnum(ef->elf, &ef->shnum))
		return -ENOEXEC;
	/*
	 * libelf reports a table that does not fit in the file as no table
	 * at all: tell that apart from a file that really has none (e_shnum
	 * 0 with e_shoff set is the extended count, kept in section 0).
	 */
	if ((eh->e_shnum && ef->shnum != eh->e_shnum) ||
	    (!ef->shnum && eh->e_shoff))
		return -ENOEXEC;
	if (!ef->shnum)
		return 0;
	/* The table itself (libelf checks this too; a second look is cheap). */
	if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    ef->shnum > ef->size / sizeof(Elf64_Shdr) ||
	    !in_file(eh->e_shoff, ef->shnum * sizeof(Elf64_Shdr), ef->size))
		return -ENOEXEC;
	if (elf_getshdrstrndx(ef->elf, &ef->shstrndx) ||
	    ef->shstrndx >= ef->shnum)
		return -ENOEXEC;
	for (i = 0; i < ef->shnum; i++) {
		Elf_Scn *scn = elf_getscn(ef->elf, i);

		if (!scn || !gelf_getshdr(scn, &shdr))
			return -ENOEXEC;
		if (shdr.sh_type == SHT_NOBITS || shdr.sh_type == SHT_NULL)
			continue;
		if (!in_file(shdr.sh_offset, shdr.sh_size, ef->size))
			return -ENOEXEC;
	}
	if (!elf_file__section(ef, ef->shstrndx, &shdr) ||
	    shdr.sh_type != SHT_STRTAB)
		return -ENOEXEC;
	return 0;
}

static int cmp_seg(const void *pa, const void *pb)
{
	const struct load_seg *a = pa, *b = pb;

	return (a->vaddr > b->vaddr) - (a->vaddr < b->vaddr);
}

static int load_segments(struct elf_file *ef, const GElf_Ehdr *eh)
{
	GElf_Phdr ph;
	size_t phnum, i;

	if (elf_getphdrnum(ef->elf, &phnum))
		return -ENOEXEC;
	/* As for sections, libelf may shrink a table that does not fit. */
	if (eh->e_phnum != PN_XNUM && phnum != eh->e_phnum)
		return -ENOEXEC;
	if (!phnum)
		return 0;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    phnum > ef->size / sizeof(Elf64_Phdr) ||
	    !in_file(eh->e_phoff, phnum * sizeof(Elf64_Phdr), ef->size))
		return -ENOEXEC;
	ef->segs = calloc(phnum, sizeof(*ef->segs));
	if (!ef->segs)
		return -ENOMEM;
	for (i = 0; i < phnum; i++) {
		if (!gelf_getphdr(ef->elf, (int)i, &ph))
			return -ENOEXEC;
		/*
		 * One that holds no file bytes gives no offsets; its p_offset
		 * may lie past the end (objcopy leaves them so in debug files).
		 */
		if (ph.p_type != PT_LOAD || !ph.p_filesz)
			continue;
		if (!in_file(ph.p_offset, ph.p_filesz, ef->size) ||
		    ph.p_vaddr + ph.p_filesz < ph.p_vaddr)
			return -ENOEXEC;
		ef->segs[ef->nr_segs++] = (struct load_seg){
			.vaddr = ph.p_vaddr,
			.filesz = ph.p_filesz,
			.offset = ph.p_offset,
		};
	}
	/*
	 * Sorted and disjoint, as every linker writes them, so a lookup is a
	 * binary search: a hostile file may hold thousands of segments.
	 */
	qsort(ef->segs, ef->nr_segs, sizeof(*ef->segs), cmp_seg);
	for (i = 1; i < ef->nr_segs; i++)
		if (ef->segs[i - 1].vaddr + ef->segs[i - 1].filesz >
		    ef->segs[i].vaddr)
			return -ENOEXEC;
	return 0;
}

static int check_header(struct elf_file *ef, GElf_Ehdr *eh)
{
	const char *ident;
	size_t id_len;

	if (elf_kind(ef->elf) != ELF_K_ELF)
		return -ENOEXEC;
	ident = elf_getident(ef->elf, &id_len);
	if (!ident || id_len < EI_NIDENT ||
	    ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
	if (!gelf_getehdr(ef->elf, eh))
		return -ENOEXEC;
	/* Register names in USDT arguments and uprobe offsets are x86_64's. */
	if (eh->e_machine != EM_X86_64)
		return -ENOEXEC;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return -ENOEXEC;
	ef->type = eh->e_type;
	return 0;
}

/* The checks every file gets, once ef->elf and ef->size are set. */
static int check_all(struct elf_file *ef)
{
	GElf_Ehdr eh;
	int err;

	if (!ef->elf)
		return -ENOEXEC;
	err = check_header(ef, &eh);
	if (!err)
		err = check_sections(ef, &eh);
	if (!err)
		err = load_segments(ef, &eh);
	return err;
}

int elf_file__open(const char *path, struct elf_file **out)
{
	struct elf_file *ef;
	struct stat st;
	int err;

	*out = NULL;
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO planted where a binary should be must not hang us. */
	ef->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (ef->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	if (fstat(ef->fd, &st)) {
		err = -errno;
		goto cleanup;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		err = -ENOEXEC;
		goto cleanup;
	}
	ef->size = (__u64)st.st_size;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		err = -ENOEXEC;
		goto cleanup;
	}
	ef->elf = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
	err = check_all(ef);
	if (err)
		goto cleanup;
	*out = ef;
	return 0;

cleanup:
	elf_file__close(ef);
	return err;
}

int elf_file__open_mem(const void *buf, size_t len, struct elf_file **out)
{
	struct elf_file *ef;
	int err;

	*out = NULL;
	if (len < sizeof(Elf64_Ehdr))
		return -ENOEXEC;
	ef = calloc(1, sizeof(*ef));
	if (!ef)
		return -ENOMEM;
	ef->fd = -1;
	/* A copy: libelf reads the image in place for as long as ef lives. */
	ef->mem = malloc(len);
	if (!ef->mem) {
		err = -ENOMEM;
		goto cleanup;
	}
	memcpy(ef->mem, buf, len);
	ef->size = len;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		err = -ENOEXEC;
		goto cleanup;
	}
	ef->elf = elf_memory(ef->mem, len);
	err = check_all(ef);
	if (err)
		goto cleanup;
	*out = ef;
	return 0;

cleanup:
	elf_file__close(ef);
	return err;
}

void elf_file__close(struct elf_file *ef)
{
	if (!ef)
		return;
	free(ef->segs);
	if (ef->elf)
		elf_end(ef->elf);
	if (ef->fd >= 0)
		close(ef->fd);
	free(ef->mem);
	free(ef);
}

Elf *elf_file__elf(const struct elf_file *ef)
{
	return ef->elf;
}

bool elf_file__is_pie_or_dso(const struct elf_file *ef)
{
	return ef->type == ET_DYN;
}

int elf_file__vaddr_to_offset(const struct elf_file *ef, __u64 vaddr,
			      __u64 *offset)
{
	size_t lo = 0, hi = ef->nr_segs;
	const struct load_seg *s;

	/* The last segment starting at or below vaddr is the only candidate. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ef->segs[mid].vaddr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	s = &ef->segs[lo - 1];
	if (vaddr - s->vaddr >= s->filesz)
		return -ENOENT;
	*offset = vaddr - s->vaddr + s->offset;
	return 0;
}

int elf_file__read(const struct elf_file *ef, __u64 off, void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	if (!in_file(off, len, ef->size))
		return -EIO;
	while (done < len) {
		n = pread(ef->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EIO;	/* shorter than at open time: changed under us */
		done += (size_t)n;
	}
	return 0;
}

size_t elf_file__nr_sections(const struct elf_file *ef)
{
	return ef->shnum;
}

Elf_Scn *elf_file__section(const struct elf_file *ef, size_t ndx,
			   GElf_Shdr *shdr)
{
	Elf_Scn *scn;

	if (ndx >= ef->shnum)
		return NULL;
	scn = elf_getscn(ef->elf, ndx);
	if (!scn || !gelf_getshdr(scn, shdr))
		return NULL;
	return scn;
}

const char *elf_file__section_name(const struct elf_file *ef,
				   const GElf_Shdr *shdr)
{
	/* elf_strptr checks the offset and the terminating NUL. */
	return ef->shnum ? elf_strptr(ef->elf, ef->shstrndx, shdr->sh_name) :
			   NULL;
}

Elf_Scn *elf_file__section_by_name(const struct elf_file *ef,
				   const char *name, GElf_Shdr *shdr)
{
	size_t i;

	for (i = 1; i < ef->shnum; i++) {
		Elf_Scn *scn = elf_file__section(ef, i, shdr);
		const char *sname;

		if (!scn)
			continue;
		sname = elf_file__section_name(ef, shdr);
		if (sname && !strcmp(sname, name))
			return scn;
	}
	return NULL;
}

Elf_Data *elf_file__section_data(const struct elf_file *ef, Elf_Scn *scn,
				 const GElf_Shdr *shdr)
{
	Elf_Data *data;

	if (shdr->sh_type == SHT_NOBITS || shdr->sh_type == SHT_NULL ||
	    !in_file(shdr->sh_offset, shdr->sh_size, ef->size))
		return NULL;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || data->d_size != shdr->sh_size)
		return NULL;
	return data;
}
