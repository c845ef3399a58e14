/* tests/fuzz/replay.c - run a fuzz target over files, as a TAP test (no libFuzzer needed).
 *
 * usage: test_fuzz_<target> [FILE|DIR]...
 * Default: tests/fuzz/corpus/<target>/ (seeds and regressions kept in git)
 * and, when it exists, <build>/fuzz-seeds/<target>/ next to the program's
 * tests/ folder (seeds the build makes, tests/fuzz/mkseeds.sh).
 * Each file is one input; a crash or sanitizer report fails the test. Prints
 * one TAP line per directory or file argument.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(n ? (size_t)n : 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir, in name order; returns the number run or -1. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int done = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README"))
			continue;
		if (n == cap && !(names = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names))))
			return -1;
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char *p;
		struct stat st;

		if (asprintf(&p, "%s/%s", dir, names[i]) >= 0 && stat(p, &st) == 0 &&
		    S_ISREG(st.st_mode) && run_file(p) == 0)
			done++;
		free(p);
		free(names[i]);
	}
	free(names);
	return done;
}

/* The target's name from the program's: test_fuzz_decode -> decode. */
static const char *target_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/'), *p;

	base = base ? base + 1 : argv0;
	p = strstr(base, "fuzz_");
	return p ? p + 5 : base;
}

int main(int argc, char **argv)
{
	char *corpus = NULL, *made = NULL, *dir = strdup(argv[0]), *slash;
	const char *def[2];
	int ndef = 1;
	struct stat st0;

	if (!dir || asprintf(&corpus, "tests/fuzz/corpus/%s", target_name(argv[0])) < 0)
		return 1;
	def[0] = corpus;
	/* argv[0] is <build>/tests/test_fuzz_<target> (the masked reruns exec it
	 * by that path too): the made seeds are in <build>/fuzz-seeds/<target>. */
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		if (asprintf(&made, "%s/../fuzz-seeds/%s", dir, target_name(argv[0])) >= 0 &&
		    stat(made, &st0) == 0 && S_ISDIR(st0.st_mode))
			def[ndef++] = made;
	}
	const char **args = argc > 1 ? (const char **)argv + 1 : def;
	int nargs = argc > 1 ? argc - 1 : ndef, failed = 0;

	for (int i = 0; i < nargs; i++) {
		struct stat st;
		int n = stat(args[i], &st) != 0 ? -1 :
			S_ISDIR(st.st_mode) ? run_dir(args[i]) : (run_file(args[i]) == 0 ? 1 : -1);

		printf("%sok %d - %s: %d inputs replayed without a crash\n", n > 0 ? "" : "not ",
		       i + 1, args[i], n);
		failed += n <= 0;
	}
	printf("1..%d\n", nargs);
	free(corpus);
	free(made);
	free(dir);
	return failed ? 1 : 0;
}
