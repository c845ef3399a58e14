/* tests/envguard.c - LD_PRELOAD library: report every change of the process
 * environment made while the process has more than one thread.
 *
 * setenv, unsetenv, putenv and clearenv may move the environ array while
 * another thread reads it through getenv (libjpeg does, in every
 * jpeg_CreateDecompress), and that thread can then crash. test_environ.py
 * runs doppel under this library: each such change prints one line
 * "envguard: setenv(NAME) with N threads" to stderr, and the call then goes
 * through unchanged.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void check(const char *call, const char *name)
{
	int n = thread_count();

	if (n != 1)
		fprintf(stderr, "envguard: %s(%.*s) with %d threads\n", call,
			(int)strcspn(name ? name : "", "="), name ? name : "", n);
}

#define NEXT(type, sym) ((type)dlsym(RTLD_NEXT, sym))

int setenv(const char *name, const char *value, int overwrite)
{
	check("setenv", name);
	return NEXT(int (*)(const char *, const char *, int), "setenv")(name, value, overwrite);
}

int unsetenv(const char *name)
{
	check("unsetenv", name);
	return NEXT(int (*)(const char *), "unsetenv")(name);
}

int putenv(char *string)
{
	check("putenv", string);
	return NEXT(int (*)(char *), "putenv")(string);
}

int clearenv(void)
{
	check("clearenv", NULL);
	return NEXT(int (*)(void), "clearenv")();
}
