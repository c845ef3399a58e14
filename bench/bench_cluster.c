/* bench/bench_cluster.c - all pairs within distance r among synthetic PDQ hashes: multi-index hashing vs brute force.
 *
 * For each N: N random 256-bit codes of which a share are planted
 * near-duplicates (a copy of an earlier code with 0..40 bits flipped, some
 * copying the previous code so chains form). Builds the index, finds all
 * pairs within r with dp_pipeline_pairs (the cluster step's code) on 1 and
 * on -j threads, and runs the brute-force reference (dp_brute_self_pairs,
 * the dispatched SIMD one-to-many kernel, one thread) on the first queries
 * so that it does about the work of `--brute-pairs` comparisons; its time is
 * scaled up to all N (N-1)/2 comparisons (exact when it covered all). The
 * pairs of the queries both ran must be equal (check=ok), so a broken index
 * cannot win. Medians of --reps runs.
 *
 * usage: bench_cluster [-n N,N,...] [-j THREADS] [-r RADIUS] [--reps K] [--planted FRACTION]
 *                      [--brute-pairs COUNT] [--seed S]
 * output (one line per N):
 *   bench=cluster n=130000 r=31 threads=2 tables=16 build_s=... search_s=... search_1t_s=...
 *         pairs=... index_mb=... hash_mb=... index_ratio=... brute_1t_s=... brute_share=...
 *         speedup_1t=... check=ok
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"

#include "err.h"
#include "kernels.h"
#include "mih.h"
#include "pipeline.h"

static uint64_t rng = 88172645463325252ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void make_codes(uint64_t *c, size_t n, double planted)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t *code = c + 4 * i;

		if (i > 0 && (double)(next() % 1000000) < planted * 1e6) {
			size_t src = next() % 5 == 0 ? i - 1 : next() % i;
			int flips = (int)(next() % 41);

			memcpy(code, c + 4 * src, 32);
			for (int f = 0; f < flips; f++) {
				int b = (int)(next() % 256);

				code[b / 64] ^= 1ull << (b % 64);
			}
		} else {
			for (int w = 0; w < 4; w++)
				code[w] = next();
		}
	}
}

static int run(size_t n, int threads, int r, int reps, double planted, double brute_pairs)
{
	uint64_t *codes = malloc(n * 32);
	uint32_t *ids = malloc(n * sizeof(uint32_t));
	double *tb = calloc((size_t)reps * 3, sizeof(double)), *ts = tb + reps, *t1 = ts + reps;
	struct dp_pairs pairs = { 0 }, brute = { 0 };
	struct dp_mih *ix = NULL;
	struct dp_err err;
	size_t nq = 0, bmih = 0, bytes = 0;
	double work = 0, bt, brute_s, total = (double)n * (double)(n - 1) / 2;
	int ok = 1, tables = 0;

	if (!codes || !ids || !tb)
		return -1;
	make_codes(codes, n, planted);
	for (size_t i = 0; i < n; i++)
		ids[i] = (uint32_t)i;
	for (int k = 0; k < reps; k++) {
		double t0 = bench_now_s();

		dp_mih_free(ix);
		ix = dp_mih_new(codes, 4, ids, n, r, &err);
		if (!ix)
			return -1;
		tb[k] = bench_now_s() - t0;
		dp_pairs_free(&pairs);
		t0 = bench_now_s();
		if (dp_pipeline_pairs(ix, 1, &pairs, &err))
			return -1;
		t1[k] = bench_now_s() - t0;
		dp_pairs_free(&pairs);
		t0 = bench_now_s();
		if (dp_pipeline_pairs(ix, threads, &pairs, &err))
			return -1;
		ts[k] = bench_now_s() - t0;
	}
	tables = dp_mih_tables(ix);
	bytes = dp_mih_bytes(ix);
	/* Brute force over the first nq queries (about brute_pairs comparisons). */
	while (nq < n && work < brute_pairs)
		work += (double)(n - 1 - nq++);
	bt = bench_now_s();
	if (dp_brute_self_pairs(codes, 4, ids, n, 0, nq, r, &brute))
		return -1;
	brute_s = (bench_now_s() - bt) * (work > 0 ? total / work : 1);
	dp_pairs_sort(&brute);
	while (bmih < pairs.n && pairs.v[bmih].i < nq)
		bmih++;
	ok = bmih == brute.n && (brute.n == 0 || !memcmp(pairs.v, brute.v, brute.n * sizeof(*brute.v)));
	{
		double mb = bench_median(tb, reps), ms = bench_median(ts, reps), m1 = bench_median(t1, reps);

		printf("bench=cluster n=%zu r=%d threads=%d tables=%d build_s=%.3f search_s=%.3f "
		       "search_1t_s=%.3f pairs=%zu index_mb=%.1f hash_mb=%.1f index_ratio=%.2f "
		       "brute_1t_s=%.1f brute_share=%.3f speedup_1t=%.0f check=%s\n", n, r, threads,
		       tables, mb, ms, m1, pairs.n, bytes / 1e6, n * 32 / 1e6, bytes / (n * 32.0),
		       brute_s, work / total, brute_s / (mb + m1), ok ? "ok" : "FAIL");
		fflush(stdout);
	}
	dp_pairs_free(&pairs);
	dp_pairs_free(&brute);
	dp_mih_free(ix);
	free(codes);
	free(ids);
	free(tb);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *list = "10000,100000,130000,1000000";
	int threads = 2, r = 31, reps = 3, fail = 0;
	double planted = 0.2, brute_pairs = 2e9;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			list = argv[++i];
		else if (!strcmp(argv[i], "-j") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			r = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--planted") && i + 1 < argc)
			planted = atof(argv[++i]);
		else if (!strcmp(argv[i], "--brute-pairs") && i + 1 < argc)
			brute_pairs = atof(argv[++i]);
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			rng = strtoull(argv[++i], NULL, 0) | 1;
		else {
			fprintf(stderr, "usage: bench_cluster [-n N,N,...] [-j THREADS] [-r RADIUS] "
				"[--reps K] [--planted FRACTION] [--brute-pairs COUNT] [--seed S]\n");
			return 2;
		}
	}
	if (reps < 1 || r < 0 || r > 256)
		return 2;
	dp_kernels_init();
	printf("bench=cluster_context kernels=%s planted=%.2f reps=%d\n", dp_kernels_get()->name,
	       planted, reps);
	for (const char *p = list; *p;) {
		size_t n = strtoull(p, NULL, 10);

		if (n > 1 && run(n, threads, r, reps, planted, brute_pairs) != 0)
			fail = 1;
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	return fail;
}
