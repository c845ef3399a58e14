/* tests/tap.h - minimal TAP producer for the C unit tests.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines and a final
 * plan "1..N"; prove(1) reads them. Exit status is 0 when every check passed,
 * 1 otherwise; a program may exit 77 after printing "1..0 # SKIP reason".
 * Header-only so each test is one self-contained program.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_TESTS_TAP_H
#define DP_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n;
static int tap_failed;

__attribute__((format(printf, 2, 3), unused))
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond) {   /* prove shows a test's stderr, not its stdout: say there what failed */
		fprintf(stderr, "# failed %d - ", tap_n);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	return cond;
}

__attribute__((format(printf, 1, 2), unused))
static void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

__attribute__((unused))
static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

/*
 * tap_seed - the seed of a randomised test: "--seed N" from the command line,
 * else dflt. Prints it as a TAP comment so a failing run can be replayed.
 * Returns 0 and sets *seed, or -1 (after a usage line) on other arguments.
 */
__attribute__((unused))
static int tap_seed(int argc, char **argv, unsigned long long dflt, unsigned long long *seed)
{
	*seed = dflt;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			*seed = strtoull(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [--seed N]\n", argv[0]);
			return -1;
		}
	}
	tap_diag("seed %llu (rerun with --seed %llu)", *seed, *seed);
	return 0;
}

#define TAP_IS_INT(got, want, ...)                                             \
	do {                                                                   \
		long long tap_g_ = (long long)(got), tap_w_ = (long long)(want); \
		if (!tap_ok(tap_g_ == tap_w_, __VA_ARGS__))                     \
			tap_diag("got %lld, want %lld", tap_g_, tap_w_);        \
	} while (0)

#endif
