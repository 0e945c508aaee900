/* SPDX-License-Identifier: MIT */
/*
 * The two /proc text formats synctrace parses, a line of /proc/PID/maps and
 * /proc/PID/stat: pure functions over a buffer (implemented in proc_maps.c),
 * exposed for the unit tests and the fuzzer (tests/fuzz/fuzz_proc.c).
 */
#ifndef SYNCTRACE_PROC_PARSE_H
#define SYNCTRACE_PROC_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define PROC_DELETED_SUFFIX " (deleted)"

/* One line of /proc/PID/maps. */
struct maps_line {
	unsigned long long start, end;
	bool exec;
	unsigned int dev_major, dev_minor;
	unsigned long long ino;
	char *path;	/* into the line; NULL for anonymous, [heap], [vdso]... */
	bool deleted;	/* " (deleted)" was cut off path */
};

/*
 * "start-end perms offset maj:min inode   path\n", parsed in place (the
 * path's newline and " (deleted)" are cut, "\012" becomes '\n'). Returns
 * false for a malformed line (start > end included).
 */
bool proc_parse_maps_line(char *line, struct maps_line *ml);

/* What synctrace reads of /proc/PID/stat. */
struct proc_stat {
	char state;		/* R, S, D, Z, X, ... */
	int ppid;
	long num_threads;
};

/*
 * "pid (comm) state ppid ... num_threads ..." of len bytes (no NUL needed;
 * comm may hold spaces and parentheses, so fields count from the last ')').
 * Returns 0, or -EINVAL when the fields up to num_threads are not there.
 */
int proc_parse_stat(const char *buf, size_t len, struct proc_stat *out);

/* Cut " (deleted)" off path; true if it was there. */
bool proc_strip_deleted(char *path);

#endif /* SYNCTRACE_PROC_PARSE_H */
