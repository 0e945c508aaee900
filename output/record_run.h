/* SPDX-License-Identifier: MIT */
/*
 * A recording's run: its metadata (command line, host, kernel, binaries,
 * start) written once at open, and the runtime file that lets
 * `synctrace mark NAME` find the one recording being written now.
 */
#ifndef SYNCTRACE_OUTPUT_RECORD_RUN_H
#define SYNCTRACE_OUTPUT_RECORD_RUN_H

#include <stddef.h>
#include <sqlite3.h>
#include "output/output.h"

/* Where running recordings are announced: $SYNCTRACE_RUNTIME_DIR, else this. */
#define RECORD_RUNTIME_DIR "/run/synctrace"

/* meta, args and binaries of run into db (inside the caller's transaction). 0 or -EIO (said). */
int record_run_write(sqlite3 *db, const char *path, const struct run_info *run);
/* RUNTIME_DIR/PID.record holding db_path's absolute path (its name into
 * runtime, "" when it could not be made: a note says so). */
void record_run_announce(const char *db_path, char *runtime, size_t len);
/* The one recording being written by a live synctrace, into path. 0,
 * -ENOENT (none) or -EEXIST (several) with one line in err. */
int record_run_find(char *path, size_t len, char *err, size_t errlen);

#endif /* SYNCTRACE_OUTPUT_RECORD_RUN_H */
