/* bench/benchutil.h - the clock and the median the benchmark programs share.
 *
 * Header-only (static functions) so each bench program stays one file.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_BENCH_BENCHUTIL_H
#define DP_BENCH_BENCHUTIL_H

#include <stdlib.h>
#include <time.h>

/* bench_now_s - monotonic clock in seconds. */
__attribute__((unused))
static double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bench_now_ns - monotonic clock in nanoseconds. */
__attribute__((unused))
static double bench_now_ns(void)
{
	return bench_now_s() * 1e9;
}

/* bench_cmp_double - qsort comparator for doubles, ascending. */
__attribute__((unused))
static int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* bench_median - the median of v[0..n) (n >= 1); sorts v in place. */
__attribute__((unused))
static double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
