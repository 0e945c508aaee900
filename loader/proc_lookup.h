/* SPDX-License-Identifier: MIT */
/*
 * A target's BINARY_OR_LIB in a -p process: its main executable, a file it
 * maps (by short name), or a path in its root, opened through proc_files.h
 * and never outside that root. And, before attaching, which of the probed
 * files the process (or its tree) maps.
 */
#ifndef SYNCTRACE_PROC_LOOKUP_H
#define SYNCTRACE_PROC_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "loader/attach.h"
#include "loader/proc_files.h"

/*
 * name NULL: pid's main executable. A short name ("libpq", "relayd"): the
 * object pid maps whose basename matches (an exact basename first, then
 * the main executable, then an executable mapping, then mapping order),
 * or, when pid shares our root, the one the system's file of that name is
 * a link to. A path: that file in pid's root (a relative path is made
 * absolute from our working directory first).
 * Returns 0 or -errno with a one-line message in err; -ENOENT when there is
 * no such file (err then says "not found", and a caller may take name for
 * something else), -ESRCH when pid is gone.
 */
int proc_lookup__file(pid_t pid, const char *name, const struct proc_file **out,
		      char *err, size_t errlen);

/*
 * The one-line message for rc, the error of reading pid's maps (shown
 * NULL) or of opening its file shown.
 */
void proc_lookup__strerror(pid_t pid, const char *shown, int rc, char *err, size_t errlen);

/*
 * Before attaching sites to pid (tree: pid and its descendants now): one
 * warning on stderr per probed file that none of them maps, naming its
 * probes (a library may still be loaded later). Returns 0, or -ENOENT with
 * a message in err when they map none of the files at all (nothing would
 * ever be traced). Sites of files not opened through proc_files are not
 * checked.
 */
int proc_lookup__check_mapped(pid_t pid, bool tree, const struct probe_site *sites,
			      size_t n, char *err, size_t errlen);

#endif /* SYNCTRACE_PROC_LOOKUP_H */
