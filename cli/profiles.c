// SPDX-License-Identifier: MIT
/* Finding --profile NAME; see profiles.h. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/profiles.h"

/* The directories to look in, best first; n of them filled. */
static int profile_dirs(char dirs[][PATH_MAX], int max)
{
	const char *env = getenv("SYNCTRACE_PROFILES");
	char exe[PATH_MAX];
	ssize_t n;
	int nr = 0;

	if (env && *env && nr < max)
		snprintf(dirs[nr++], PATH_MAX, "%s", env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return nr;
	exe[n] = '\0';
	dirname(exe);
	if (nr < max)
		snprintf(dirs[nr++], PATH_MAX, "%.*s/../profiles", PATH_MAX - 16, exe);
	if (nr < max)
		snprintf(dirs[nr++], PATH_MAX, "%.*s/../share/synctrace/profiles", PATH_MAX - 32,
			 exe);
	return nr;
}

/* "a, b, c": the NAME.ops files of the first directory that has any. */
static void list_profiles(char dirs[][PATH_MAX], int nr, char *out, size_t len)
{
	struct dirent *e;
	size_t used = 0;
	DIR *d = NULL;
	int i;

	out[0] = '\0';
	for (i = 0; i < nr && !d; i++)
		d = opendir(dirs[i]);
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);

		if (l > 4 && !strcmp(e->d_name + l - 4, ".ops") && used + l < len)
			used += snprintf(out + used, len - used, "%s%.*s", used ? ", " : "",
					 (int)(l - 4), e->d_name);
	}
	if (d)
		closedir(d);
}

int profile_path(const char *name, char *path, size_t len, char *err, size_t errlen)
{
	char dirs[3][PATH_MAX], known[512];
	int nr = profile_dirs(dirs, 3), i;

	if (!*name || strchr(name, '/')) {
		snprintf(err, errlen, "bad profile name '%s' (a name like postgres-logical; "
			 "a file goes with --ops)", name);
		return -EINVAL;
	}
	for (i = 0; i < nr; i++) {
		char *real;

		snprintf(path, len, "%s/%s.ops", dirs[i], name);
		if (access(path, R_OK))
			continue;
		/* messages then name profiles/x.ops, not build/../profiles/x.ops */
		if ((real = realpath(path, NULL))) {
			snprintf(path, len, "%s", real);
			free(real);
		}
		return 0;
	}
	list_profiles(dirs, nr, known, sizeof(known));
	snprintf(err, errlen, "no profile '%s'%s%s", name, *known ? " (there are: " : "",
		 *known ? known : "");
	if (*known)
		strncat(err, ")", errlen - strlen(err) - 1);
	return -ENOENT;
}
