/* src/stale.c - remove the temporary files of killed doppel processes (see stale.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "stale.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The pid in "<base>.tmp-<pid>[-...]", or 0 when name is not of that form. */
static long tmp_pid(const char *name, const char *base)
{
	const char *t = base ? name + strlen(base) : strstr(name, ".tmp-");
	char *end;
	long pid;

	if (base && strncmp(name, base, strlen(base)))
		return 0;
	if (!t || strncmp(t, ".tmp-", 5))
		return 0;
	errno = 0;
	pid = strtol(t + 5, &end, 10);
	if (errno || end == t + 5 || (*end && *end != '-') || pid <= 0)
		return 0;
	return pid;
}

void dp_remove_stale_tmp(const char *dir, const char *base)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		long pid = tmp_pid(e->d_name, base);
		char full[PATH_MAX];

		if (pid == 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (snprintf(full, sizeof(full), "%s/%s", dir, e->d_name) < (int)sizeof(full))
			unlink(full);
	}
	if (d)
		closedir(d);
}
