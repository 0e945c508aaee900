// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the debug file lookup (loader/debug_file.c). Each
 * input is, in turn:
 * - the contents of a .gnu_debuglink section (parsed alone);
 * - a candidate debug file of a fixed stripped program (fx_split_link of
 *   tests/fixtures/debug.mk, $FUZZ_DEBUGLINK_FILE): written where its
 *   build-id and its debuglink point, in a scratch root, then looked up;
 * - the stripped program itself (its notes and .gnu_debuglink fuzzed),
 *   looked up in the same root, which holds the candidate above.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "loader/debug_file.h"

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz_debuglink: %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#define NAMED "/opt/fx_split_link"

static char root[] = "/tmp/fuzz_debuglink.XXXXXX";
static int root_fd = -1;
static struct elf_file *fixed;		/* the stripped program */
static char by_id[256], by_link[256];	/* where its debug file may be */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void remove_root(void)
{
	nftw(root, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void mkdirs(const char *path)
{
	char buf[512], *p;

	snprintf(buf, sizeof(buf), "%s%s", root, path);
	for (p = buf + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *file = getenv("FUZZ_DEBUGLINK_FILE");
	unsigned char id[DEBUG_BUILD_ID_MAX];
	const char *name;
	size_t len, i;
	__u32 crc;

	if (!file)
		file = "build/fixtures/debug/fx_split_link";
	if (elf_file__open(file, &fixed) || debug_file__build_id(fixed, id, &len) ||
	    debug_file__debuglink(fixed, &name, &crc)) {
		fprintf(stderr, "fuzz_debuglink: %s: need a file with a build-id and a "
			"debuglink (make fixtures)\n", file);
		exit(1);
	}
	if (!mkdtemp(root)) {
		perror("fuzz_debuglink: mkdtemp");
		exit(1);
	}
	atexit(remove_root);
	root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(by_id, sizeof(by_id), DEBUG_FILE_ROOT "/.build-id/%02x/", id[0]);
	for (i = 1; i < len; i++)
		snprintf(by_id + strlen(by_id), 3, "%02x", id[i]);
	strcat(by_id, ".debug");
	snprintf(by_link, sizeof(by_link), "/opt/%s", name);
	mkdirs(by_id);
	mkdirs(by_link);
	return 0;
}

static void put(const char *path, const uint8_t *data, size_t size)
{
	char full[512];
	int fd;

	snprintf(full, sizeof(full), "%s%s", root, path);
	fd = open(full, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

static void find(const struct elf_file *ef)
{
	struct debug_where where = { .root_fd = root_fd, .debug_root = DEBUG_FILE_ROOT };
	unsigned char id[DEBUG_BUILD_ID_MAX], cid[DEBUG_BUILD_ID_MAX];
	size_t len = 0, clen = 0, i;
	struct debug_file *df;
	int rc;

	rc = debug_file__find(ef, NULL, NAMED, &where, &df);
	CHECK(rc == 0 || rc == -ENOMEM);
	if (rc)
		return;
	for (i = 0; i < df->nr_skipped; i++)
		CHECK(df->skipped[i][0] == '/' || df->skipped[i][0] == '?');
	CHECK(!df->ef == !df->path);
	if (df->ef && df->via == DEBUG_VIA_BUILD_ID) {
		CHECK(!strcmp(df->path, by_id));
		CHECK(!debug_file__build_id(ef, id, &len) &&
		      !debug_file__build_id(df->ef, cid, &clen));
		CHECK(len == clen && !memcmp(id, cid, len));
	}
	if (df->ef && df->via == DEBUG_VIA_DEBUGLINK)
		CHECK(!strncmp(df->path, "/opt/", 5) || !strncmp(df->path, DEBUG_FILE_ROOT, 14));
	debug_file__free(df);
}

static void as_debuglink(const uint8_t *data, size_t size)
{
	const char *name;
	__u32 crc;

	if (debug_file__parse_debuglink(data, size, &name, &crc))
		return;
	CHECK(name[0] && strlen(name) < size && !strchr(name, '/'));
}

static void as_program(const uint8_t *data, size_t size)
{
	unsigned char id[DEBUG_BUILD_ID_MAX];
	struct elf_file *ef;
	const char *name;
	size_t len;
	__u32 crc;

	if (elf_file__open_mem(data, size, &ef))
		return;
	if (!debug_file__build_id(ef, id, &len))
		CHECK(len >= DEBUG_BUILD_ID_MIN && len <= DEBUG_BUILD_ID_MAX);
	if (!debug_file__debuglink(ef, &name, &crc))
		CHECK(name[0] && !strchr(name, '/'));
	find(ef);
	elf_file__close(ef);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_debuglink(data, size);
	put(by_id, data, size);
	put(by_link, data, size);
	find(fixed);
	as_program(data, size);
	return 0;
}
