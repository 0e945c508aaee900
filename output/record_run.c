// SPDX-License-Identifier: MIT
/* A recording's run metadata and its runtime file (record_run.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include "output/record_db.h"
#include "output/record_run.h"

static const char *runtime_dir(void)
{
	const char *d = getenv("SYNCTRACE_RUNTIME_DIR");

	return d && *d ? d : RECORD_RUNTIME_DIR;
}

static int put(sqlite3 *db, const char *sql, const char *a, const char *b, int64_t i)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (!rc) {
		if (a)
			sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, 1, i);
		sqlite3_bind_text(st, 2, b ? b : "", -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : 1;
	}
	sqlite3_finalize(st);
	return rc;
}

int record_run_write(sqlite3 *db, const char *path, const struct run_info *run)
{
	static const char meta[] = "INSERT INTO meta VALUES(?,?)";
	char start[32], schema[40], kernel[3 * 65 + 4] = "", host[65] = "";
	struct utsname u;
	int rc = 0, i;
	size_t k;

	if (!uname(&u)) {
		snprintf(kernel, sizeof(kernel), "%s %s %s", u.sysname, u.release, u.machine);
		snprintf(host, sizeof(host), "%s", u.nodename);
	}
	snprintf(start, sizeof(start), "%lld",
		 (long long)run->start.tv_sec * 1000000000LL + run->start.tv_nsec);
	snprintf(schema, sizeof(schema), "%d", RECORD_SCHEMA_VERSION);
	rc |= put(db, meta, "format", RECORD_FORMAT, 0);
	rc |= put(db, meta, "schema", schema, 0);
	rc |= put(db, meta, "command", run->command, 0);
	rc |= put(db, meta, "start_ns", start, 0);
	rc |= put(db, meta, "host", host, 0);
	rc |= put(db, meta, "kernel", kernel, 0);
	for (i = 0; i < run->argc && run->argv && run->argv[i]; i++)
		rc |= put(db, "INSERT INTO args VALUES(?,?)", NULL, run->argv[i], i);
	for (k = 0; k < run->nr_binaries; k++)
		rc |= put(db, "INSERT INTO binaries VALUES(?,?)", run->binaries[k].path,
			  run->binaries[k].build_id, 0);
	if (!rc) {
		snprintf(schema, sizeof(schema), "PRAGMA user_version=%d", RECORD_SCHEMA_VERSION);
		rc = sqlite3_exec(db, schema, NULL, NULL, NULL);
	}
	if (rc) {
		fprintf(stderr, "synctrace: --record %s: %s\n", path, sqlite3_errmsg(db));
		return -EIO;
	}
	return 0;
}

void record_run_announce(const char *db_path, char *runtime, size_t len)
{
	char abs[PATH_MAX], tmp[PATH_MAX + 8];
	const char *dir = runtime_dir();
	FILE *f;

	runtime[0] = '\0';
	if (!realpath(db_path, abs))
		goto fail;
	if (mkdir(dir, 0755) && errno != EEXIST)
		goto fail;
	snprintf(runtime, len, "%s/%d.record", dir, (int)getpid());
	/* written aside, then renamed: `mark` never reads half a path */
	snprintf(tmp, sizeof(tmp), "%s.tmp", runtime);
	if (!(f = fopen(tmp, "wx")))
		goto fail;
	fprintf(f, "%s\n", abs);
	if (fclose(f) || rename(tmp, runtime)) {
		unlink(tmp);
		goto fail;
	}
	return;
fail:
	fprintf(stderr, "synctrace: note: cannot announce the recording in %s (%s): "
		"`synctrace mark` needs --db %s\n", dir, strerror(errno), db_path);
	runtime[0] = '\0';
}

/* pid runs synctrace (its comm: the file name, cut at 15 bytes). */
static bool is_synctrace(pid_t pid)
{
	char file[64], comm[32] = "";
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/comm", (int)pid);
	if (!(f = fopen(file, "re")))
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "synctrace", 9);
}

/* The db path in a live synctrace's runtime file, or -1. */
static int read_runtime(const char *dir, const char *name, char *path, size_t len)
{
	char file[PATH_MAX], *nl;
	long pid;
	char *end;
	FILE *f;
	int ok;

	pid = strtol(name, &end, 10);
	if (pid <= 0 || strcmp(end, ".record"))
		return -1;
	snprintf(file, sizeof(file), "%s/%s", dir, name);
	/* a synctrace killed with -9 leaves its file: not running, not counted
	 * (and removed); a pid reused since by another program: not counted */
	if (kill((pid_t)pid, 0) && errno == ESRCH) {
		unlink(file);
		return -1;
	}
	if (!is_synctrace((pid_t)pid))
		return -1;
	if (!(f = fopen(file, "re")))
		return -1;
	ok = fgets(path, (int)len, f) != NULL;
	fclose(f);
	if (!ok || !(nl = strchr(path, '\n')))
		return -1;
	*nl = '\0';
	return 0;
}

int record_run_find(char *path, size_t len, char *err, size_t errlen)
{
	const char *dir = runtime_dir();
	char found[PATH_MAX];
	struct dirent *e;
	int n = 0;
	DIR *d;

	if ((d = opendir(dir))) {
		while ((e = readdir(d)))
			if (!read_runtime(dir, e->d_name, found, sizeof(found)) && n++ == 0)
				snprintf(path, len, "%s", found);
		closedir(d);
	}
	if (n == 1)
		return 0;
	if (n)
		snprintf(err, errlen, "%d recordings are being written (%s): name one with --db FILE",
			 n, dir);
	else
		snprintf(err, errlen, "no recording is being written (none in %s): name one with "
			 "--db FILE", dir);
	return n ? -EEXIST : -ENOENT;
}
