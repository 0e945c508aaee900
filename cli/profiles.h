/* SPDX-License-Identifier: MIT */
/* Ready ops files for real engines, found by name (--profile NAME). */
#ifndef SYNCTRACE_PROFILES_H
#define SYNCTRACE_PROFILES_H

#include <stddef.h>

/*
 * The path of profile name: NAME.ops in $SYNCTRACE_PROFILES, else in the
 * profiles/ directory beside the executable's (the source tree:
 * build/synctrace finds profiles/), else in ../share/synctrace/profiles
 * from it (make install). 0, or -ENOENT with a one-line message in err
 * that lists the profiles there are, or -EINVAL for a name with a '/'.
 */
int profile_path(const char *name, char *path, size_t len, char *err, size_t errlen);

#endif /* SYNCTRACE_PROFILES_H */
