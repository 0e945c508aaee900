// SPDX-License-Identifier: MIT
/*
 * Finding and checking the separate debug file of an ELF file (build-id,
 * .gnu_debuglink), inside one root; see debug_file.h.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "loader/debug_file.h"
#include "loader/text_lines.h"
#include "loader/proc_files.h"

#define CRC_CHUNK	(64 * 1024)
/* Not found, look further (try_candidate's answer besides 0 and -errno). */
#define NEXT		1

/* One lookup in progress. */
struct search {
	const struct elf_file *ef;
	struct debug_file *df;
	int root_fd;
	bool own_root;		/* root_fd is our "/" */
	const char *debug_root;
	struct stat self;	/* ef's file, when known: never its own debug file */
	bool have_self;
	unsigned char id[DEBUG_BUILD_ID_MAX];
	size_t id_len;		/* 0: ef has no (valid) build-id */
};

/* $SYNCTRACE_DEBUG_ROOT if set and absolute, else DEBUG_FILE_ROOT. */
static const char *debug_root(void)
{
	const char *env = getenv(DEBUG_FILE_ROOT_ENV);

	return env && env[0] == '/' ? env : DEBUG_FILE_ROOT;
}

/* Add one "skipped" line; -ENOMEM is the only error. */
static __attribute__((format(printf, 2, 3))) int note(struct search *s, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = text_lines__vadd(&s->df->skipped, &s->df->nr_skipped, fmt, ap);
	va_end(ap);
	return rc;
}

int debug_file__parse_debuglink(const void *buf, size_t size, const char **name, __u32 *crc)
{
	const char *p = buf;
	size_t len = strnlen(p, size), crc_off;
	__u32 le;

	if (!len || len == size || len > NAME_MAX)
		return -ENOEXEC;
	/* a file name, never a path: it is looked up in given directories */
	if (memchr(p, '/', len) || !strcmp(p, ".") || !strcmp(p, ".."))
		return -ENOEXEC;
	crc_off = (len + 1 + 3) & ~(size_t)3;
	if (crc_off > size || size - crc_off < sizeof(le))
		return -ENOEXEC;
	memcpy(&le, p + crc_off, sizeof(le));
	*name = p;
	*crc = le32toh(le);
	return 0;
}

int debug_file__debuglink(const struct elf_file *ef, const char **name, __u32 *crc)
{
	Elf_Data *data;
	GElf_Shdr sh;
	Elf_Scn *scn;

	scn = elf_file__section_by_name(ef, ".gnu_debuglink", &sh);
	if (!scn)
		return -ENOENT;
	data = elf_file__section_data(ef, scn, &sh);
	if (!data)
		return -ENOEXEC;
	return debug_file__parse_debuglink(data->d_buf, data->d_size, name, crc);
}

/* The GNU build-id note in one note section: 0, -ENOENT or -ENOEXEC. */
static int note_build_id(Elf_Data *data, unsigned char *id, size_t *len)
{
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;

	/* gelf_getnote checks sizes and returns a larger offset, or 0. */
	while (off < data->d_size &&
	       (next = gelf_getnote(data, off, &nh, &name_off, &desc_off))) {
		off = next;
		if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != sizeof(ELF_NOTE_GNU) ||
		    memcmp((const char *)data->d_buf + name_off, ELF_NOTE_GNU,
			   sizeof(ELF_NOTE_GNU)))
			continue;
		if (nh.n_descsz < DEBUG_BUILD_ID_MIN || nh.n_descsz > DEBUG_BUILD_ID_MAX)
			return -ENOEXEC;
		memcpy(id, (const char *)data->d_buf + desc_off, nh.n_descsz);
		*len = nh.n_descsz;
		return 0;
	}
	return -ENOENT;
}

int debug_file__build_id(const struct elf_file *ef, unsigned char id[DEBUG_BUILD_ID_MAX],
			 size_t *len)
{
	size_t i;
	int rc;

	for (i = 1; i < elf_file__nr_sections(ef); i++) {
		GElf_Shdr sh;
		Elf_Scn *scn = elf_file__section(ef, i, &sh);
		Elf_Data *data;

		if (!scn || sh.sh_type != SHT_NOTE ||
		    !(data = elf_file__section_data(ef, scn, &sh)))
			continue;
		rc = note_build_id(data, id, len);
		if (rc != -ENOENT)
			return rc;
	}
	return -ENOENT;
}

int debug_file__crc(int fd, __u64 size, __u32 *crc)
{
	unsigned char *buf = malloc(CRC_CHUNK);
	uLong c = crc32(0L, Z_NULL, 0);
	__u64 off = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (off < size) {
		size_t want = size - off < CRC_CHUNK ? (size_t)(size - off) : CRC_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto cleanup;
		}
		c = crc32(c, buf, (uInt)n);
		off += (__u64)n;
	}
	*crc = (__u32)c;
cleanup:
	free(buf);
	return err;
}

static bool has_symtab(const struct elf_file *ef)
{
	size_t i;

	for (i = 1; i < elf_file__nr_sections(ef); i++) {
		GElf_Shdr sh;

		if (elf_file__section(ef, i, &sh) && sh.sh_type == SHT_SYMTAB && sh.sh_size)
			return true;
	}
	return false;
}

/* Is the candidate cand, found by way via, the right file? NEXT or 0. */
static int check_candidate(struct search *s, const char *path, struct elf_file *cand,
			   enum debug_file_via via)
{
	unsigned char id[DEBUG_BUILD_ID_MAX];
	size_t len = 0;
	int rc;

	rc = debug_file__build_id(cand, id, &len);
	if (rc == -ENOEXEC)
		return note(s, "%s: malformed build-id note", path) ?: NEXT;
	if (via == DEBUG_VIA_BUILD_ID && rc)
		return note(s, "%s: has no build-id", path) ?: NEXT;
	if (!rc && s->id_len && (len != s->id_len || memcmp(id, s->id, len)))
		return note(s, "%s: another build (its build-id differs)", path) ?: NEXT;
	if (!has_symtab(cand))
		return note(s, "%s: has no symbol table", path) ?: NEXT;
	return 0;
}

/*
 * Open and check the candidate at path (inside the root). want_crc: the
 * debuglink's CRC, for via DEBUG_VIA_DEBUGLINK. 0 (found: s->df holds it),
 * NEXT, or -ENOMEM.
 */
static int try_candidate(struct search *s, const char *path, enum debug_file_via via,
			 __u32 want_crc)
{
	struct elf_file *cand = NULL;
	char fd_path[32];
	struct stat st;
	__u32 crc;
	int fd, rc;

	fd = proc_files__open_beneath(s->root_fd, path);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return NEXT;
	if (fd < 0)
		return note(s, "%s: %s", path, strerror(-fd)) ?: NEXT;
	if (fstat(fd, &st)) {
		rc = note(s, "%s: %s", path, strerror(errno)) ?: NEXT;
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = note(s, "%s: not a regular file", path) ?: NEXT;
		goto cleanup;
	}
	if (s->have_self && st.st_dev == s->self.st_dev && st.st_ino == s->self.st_ino) {
		rc = NEXT;	/* the file itself, as a link names it: not a debug file */
		goto cleanup;
	}
	if (via == DEBUG_VIA_DEBUGLINK) {
		if ((__u64)st.st_size > DEBUG_FILE_CRC_MAX) {
			rc = note(s, "%s: larger than %llu GiB, its CRC is not checked", path,
				  DEBUG_FILE_CRC_MAX >> 30) ?: NEXT;
			goto cleanup;
		}
		rc = debug_file__crc(fd, (__u64)st.st_size, &crc);
		if (rc == -ENOMEM)
			goto cleanup;
		if (rc) {
			rc = note(s, "%s: %s", path, strerror(-rc)) ?: NEXT;
			goto cleanup;
		}
		if (crc != want_crc) {
			rc = note(s, "%s: CRC %08x, its .gnu_debuglink wants %08x", path, crc,
				  want_crc) ?: NEXT;
			goto cleanup;
		}
	}
	/* that very file, whatever its path names by now */
	snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", fd);
	rc = elf_file__open(fd_path, &cand);
	if (rc == -ENOMEM)
		goto cleanup;
	if (rc) {
		rc = note(s, "%s: %s", path, rc == -ENOEXEC ? "not a valid x86_64 ELF file" :
			  strerror(-rc)) ?: NEXT;
		goto cleanup;
	}
	rc = check_candidate(s, path, cand, via);
	if (rc)
		goto cleanup;
	s->df->path = strdup(path);
	if (!s->df->path) {
		rc = -ENOMEM;
		goto cleanup;
	}
	s->df->ef = cand;
	s->df->via = via;
	cand = NULL;
cleanup:
	elf_file__close(cand);
	close(fd);
	return rc;
}

char *debug_build_id_hex(const unsigned char *id, size_t len, char *hex)
{
	size_t i;

	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	hex[2 * len] = '\0';
	return hex;
}

static int by_build_id(struct search *s)
{
	char hex[2 * DEBUG_BUILD_ID_MAX + 1], *path;
	int rc;

	debug_build_id_hex(s->id, s->id_len, hex);
	if (asprintf(&path, "%s/.build-id/%.2s/%s.debug", s->debug_root, hex, hex + 2) < 0)
		return -ENOMEM;
	rc = try_candidate(s, path, DEBUG_VIA_BUILD_ID, 0);
	free(path);
	return rc;
}

/* name in dir, dir/.debug and DEBUG_ROOT/dir (dir: "" or "/a/b"). */
static int in_dir(struct search *s, const char *dir, const char *name, __u32 crc)
{
	static const char *const fmts[] = { "%2$s/%3$s", "%2$s/.debug/%3$s", "%1$s%2$s/%3$s" };
	size_t i;
	int rc = NEXT;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]) && rc == NEXT; i++) {
		char *path;

		if (asprintf(&path, fmts[i], s->debug_root, dir, name) < 0)
			return -ENOMEM;
		rc = try_candidate(s, path, DEBUG_VIA_DEBUGLINK, crc);
		free(path);
	}
	return rc;
}

/* The directory part of an absolute path, without its last '/'. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return strndup(path, (size_t)(slash - path));
}

static int by_debuglink(struct search *s, const char *named)
{
	char *dir = NULL, *canon = NULL, *canon_dir = NULL;
	const char *name;
	__u32 crc;
	int rc;

	rc = debug_file__debuglink(s->ef, &name, &crc);
	if (rc == -ENOENT)
		return NEXT;
	if (rc)
		return note(s, "%s: malformed .gnu_debuglink, ignored", named ? named : "?") ?: NEXT;
	rc = NEXT;
	if (named && named[0] == '/') {
		dir = dir_of(named);
		if (!dir)
			return -ENOMEM;
		rc = in_dir(s, dir, name, crc);
	}
	/*
	 * In our own root, also where the links lead (gdb does too): /lib is
	 * /usr/lib on a merged-/usr system, and a relative name only has a
	 * directory this way. Another root's links are not ours to follow.
	 */
	if (rc == NEXT && s->own_root && named && (canon = realpath(named, NULL))) {
		canon_dir = dir_of(canon);
		if (!canon_dir)
			rc = -ENOMEM;
		else if (!dir || strcmp(dir, canon_dir))
			rc = in_dir(s, canon_dir, name, crc);
	}
	free(canon_dir);
	free(canon);
	free(dir);
	return rc;
}

int debug_file__find(const struct elf_file *ef, const char *opened, const char *named,
		     const struct debug_where *where, struct debug_file **out)
{
	struct search s = { .ef = ef, .root_fd = where->root_fd };
	int own_root = -1, rc;

	*out = NULL;
	s.df = calloc(1, sizeof(*s.df));
	if (!s.df)
		return -ENOMEM;
	s.debug_root = where->debug_root ? where->debug_root : debug_root();
	if (s.root_fd < 0) {
		own_root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (own_root < 0) {
			rc = -errno;
			goto cleanup;
		}
		s.root_fd = own_root;
		s.own_root = true;
	}
	s.have_self = opened && !stat(opened, &s.self);
	rc = debug_file__build_id(ef, s.id, &s.id_len);
	if (rc == -ENOEXEC && (rc = note(&s, "%s: malformed build-id note, ignored",
					 named ? named : "?")))
		goto cleanup;
	if (rc)
		s.id_len = 0;
	rc = s.id_len ? by_build_id(&s) : NEXT;
	if (rc == NEXT)
		rc = by_debuglink(&s, named);
	if (rc == NEXT)
		rc = 0;
cleanup:
	if (own_root >= 0)
		close(own_root);
	if (rc) {
		debug_file__free(s.df);
		return rc;
	}
	*out = s.df;
	return 0;
}

void debug_file__free(struct debug_file *df)
{
	if (!df)
		return;
	elf_file__close(df->ef);
	free(df->path);
	text_lines__free(df->skipped, df->nr_skipped);
	free(df);
}
