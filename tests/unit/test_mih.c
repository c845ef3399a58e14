/* tests/unit/test_mih.c - multi-index hashing against the brute-force reference.
 *
 * Groups of checks:
 *   - random 256-bit and 64-bit codes with planted near-duplicates (0..48
 *     flipped bits, chains, exact copies, a crowded bucket): the sorted pair
 *     set of the index join (dp_mih_load_table + dp_mih_join) equals
 *     dp_brute_self_pairs for many radii, including radii that are not
 *     multiples of the table count;
 *   - only the listed rows take part (a sparse id list);
 *   - joining each table's buckets in uneven pieces, and dp_pipeline_pairs
 *     on 1 and 3 threads, give the same pairs;
 *   - dp_brute_query equals a plain loop for outside codes;
 *   - the PDQ reference's index vectors: needles.txt and haystack.txt of
 *     tests/data/pdq/reg-test-input indexed together; the (needle, haystack)
 *     pairs at distance <= 31 are exactly the 250 rows of
 *     expected/mih-needles-haystack-d31.csv (the reference's mih-query).
 *
 * Usage: test_mih [--seed N]   (run from the repository root)
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../testrng.h"
#include "err.h"
#include "hash.h"
#include "kernels.h"
#include "mih.h"
#include "pipeline.h"

#define DATA "tests/data/pdq"

static int same_pairs(struct dp_pairs *a, struct dp_pairs *b)
{
	dp_pairs_sort(a);
	dp_pairs_sort(b);
	return a->n == b->n && (a->n == 0 || !memcmp(a->v, b->v, a->n * sizeof(*a->v)));
}

/* All pairs within r through the index, table by table, buckets in `pieces` ranges. */
static int mih_pairs(const uint64_t *codes, int nwords, const uint32_t *ids, size_t n, int r,
		     int pieces, struct dp_pairs *out)
{
	struct dp_err err;
	struct dp_mih *ix = dp_mih_new(codes, nwords, ids, n, r, &err);
	int rc = ix ? 0 : -1;

	for (int t = 0; ix && rc == 0 && t < dp_mih_tables(ix); t++) {
		size_t nb = dp_mih_load_table(ix, t), at = 0;

		for (int p = 1; rc == 0 && p <= pieces; p++) {
			size_t to = p == pieces ? nb : nb * (size_t)p * (size_t)p /
							   ((size_t)pieces * (size_t)pieces);

			rc = dp_mih_join(ix, at, to, out);
			at = to;
		}
	}
	dp_mih_free(ix);
	return rc;
}

/* n codes of nwords words: random, then planted copies of earlier codes. */
static uint64_t *make_codes(size_t n, int nwords)
{
	uint64_t *c = xmalloc(n * (size_t)nwords * sizeof(uint64_t));
	int bits = 64 * nwords;

	for (size_t i = 0; i < n; i++) {
		uint64_t *code = c + i * nwords;

		if (i > 10 && rng_next() % 3 == 0) {
			/* A near-duplicate of an earlier code, or of the previous one (chains). */
			size_t src = rng_next() % 4 == 0 ? i - 1 : rng_next() % i;
			int flips = (int)(rng_next() % (uint64_t)(bits == 256 ? 49 : 17));

			memcpy(code, c + src * nwords, (size_t)nwords * 8);
			for (int f = 0; f < flips; f++) {
				int b = (int)(rng_next() % (uint64_t)bits);

				code[b / 64] ^= 1ull << (b % 64);
			}
		} else if (i % 97 == 5) {
			memset(code, 0, (size_t)nwords * 8);   /* a crowded bucket of zeros */
		} else {
			for (int w = 0; w < nwords; w++)
				code[w] = rng_next();
		}
	}
	return c;
}

/* The plans the radii led to: 1 brute force (one table), 2 split tables. */
static int plans;

static void check_random(int nwords, size_t n, const int *radii, int nr)
{
	uint64_t *codes = make_codes(n, nwords);
	uint32_t *ids = xmalloc(n * sizeof(uint32_t)), *sparse = xmalloc(n * sizeof(uint32_t));
	size_t ns = 0;

	for (size_t i = 0; i < n; i++) {
		ids[i] = (uint32_t)i;
		if (rng_next() % 3)
			sparse[ns++] = (uint32_t)i;
	}
	for (int k = 0; k < nr; k++) {
		int r = radii[k];
		struct dp_pairs a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 }, e = { 0 }, f = { 0 };
		struct dp_err err;
		struct dp_mih *ix = dp_mih_new(codes, nwords, ids, n, r, &err);
		int rc = mih_pairs(codes, nwords, ids, n, r, 1, &a);

		rc |= dp_brute_self_pairs(codes, nwords, ids, n, 0, n, r, &b);
		tap_ok(rc == 0 && same_pairs(&a, &b), "%d-bit n=%zu r=%d: MIH = brute force (%zu pairs)",
		       64 * nwords, n, r, b.n);
		if (ix) {
			tap_diag("%d-bit n=%zu r=%d: %d tables, %zu bytes (%.1f per code)", 64 * nwords,
				 n, r, dp_mih_tables(ix), dp_mih_bytes(ix),
				 (double)dp_mih_bytes(ix) / (double)n);
			plans |= dp_mih_tables(ix) == 1 ? 1 : 2;
		}
		dp_pairs_free(&a);
		rc = mih_pairs(codes, nwords, ids, n, r, 5, &a);
		tap_ok(rc == 0 && same_pairs(&a, &b), "%d-bit r=%d: buckets in pieces, same pairs",
		       64 * nwords, r);
		rc = ix ? dp_pipeline_pairs(ix, 1, &e, &err) | dp_pipeline_pairs(ix, 3, &f, &err) : -1;
		tap_ok(rc == 0 && same_pairs(&e, &b) && same_pairs(&f, &b),
		       "%d-bit r=%d: dp_pipeline_pairs on 1 and 3 threads, same pairs", 64 * nwords, r);
		rc = mih_pairs(codes, nwords, sparse, ns, r, 1, &c);
		rc |= dp_brute_self_pairs(codes, nwords, sparse, ns, 0, ns, r, &d);
		tap_ok(rc == 0 && same_pairs(&c, &d), "%d-bit r=%d: sparse ids: MIH = brute (%zu pairs)",
		       64 * nwords, r, d.n);
		dp_pairs_free(&a);
		dp_pairs_free(&b);
		dp_pairs_free(&c);
		dp_pairs_free(&d);
		dp_pairs_free(&e);
		dp_pairs_free(&f);
		dp_mih_free(ix);
	}
	/* Outside queries: perturbed copies of indexed codes. */
	{
		int bad = 0;

		for (int q = 0; q < 200; q++) {
			uint64_t code[4];
			size_t src = rng_next() % n;
			struct dp_pairs a = { 0 }, b = { 0 };
			int r = radii[q % nr];

			memcpy(code, codes + src * nwords, (size_t)nwords * 8);
			code[0] ^= rng_next() & rng_next() & rng_next();
			if (dp_brute_query(codes, nwords, ids, n, code, 7, r, &a))
				bad++;
			for (size_t i = 0; i < n; i++) {
				unsigned dd = 0;

				for (int w = 0; w < nwords; w++)
					dd += (unsigned)__builtin_popcountll(code[w] ^ codes[i * nwords + w]);
				if ((int)dd <= r && dp_pairs_push(&b, 7, (uint32_t)i, dd))
					bad++;
			}
			bad += !same_pairs(&a, &b);
			dp_pairs_free(&a);
			dp_pairs_free(&b);
		}
		tap_ok(bad == 0, "%d-bit: 200 outside queries equal a plain loop", 64 * nwords);
	}
	free(codes);
	free(ids);
	free(sparse);
}

static void check_tiny(void)
{
	uint64_t codes[4 * 3] = { 0 };
	uint32_t ids[3] = { 0, 1, 2 }, bad[3] = { 0, 2, 1 };
	struct dp_pairs p = { 0 };
	struct dp_err err;

	tap_ok(mih_pairs(codes, 4, ids, 0, 31, 1, &p) == 0 && p.n == 0,
	       "an empty index finds nothing");
	tap_ok(mih_pairs(codes, 4, ids, 3, 0, 1, &p) == 0 && p.n == 3,
	       "three equal codes: 3 pairs at radius 0 (%zu)", p.n);
	dp_pairs_free(&p);
	tap_ok(dp_mih_new(codes, 2, ids, 3, 31, &err) == NULL && err.code == DP_E_ARG,
	       "2-word codes are refused: %s", err.msg);
	tap_ok(dp_mih_new(codes, 4, bad, 3, 31, &err) == NULL && err.code == DP_E_ARG,
	       "a row list out of order is refused: %s", err.msg);
	tap_ok(dp_mih_new(codes, 1, ids, 3, 65, &err) == NULL && err.code == DP_E_ARG,
	       "a radius over the code length is refused: %s", err.msg);
}

static size_t read_hex_file(const char *path, uint64_t **out)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t n = 0, cap = 0;

	*out = NULL;
	while (f && fgets(line, sizeof(line), f)) {
		struct dp_err err;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			*out = realloc(*out, cap * 32);
			if (!*out)
				exit(1);
		}
		if (dp_hash_pdq_from_hex(line, (uint8_t *)(*out + 4 * n), &err) == 0)
			n++;
	}
	if (f)
		fclose(f);
	return n;
}

static void check_reference_vectors(void)
{
	uint64_t *needles, *hay, *all;
	size_t nn = read_hex_file(DATA "/reg-test-input/needles.txt", &needles);
	size_t nh = read_hex_file(DATA "/reg-test-input/haystack.txt", &hay);
	uint32_t *ids = xmalloc((nn + nh + 1) * sizeof(uint32_t));
	struct dp_pairs pairs = { 0 }, got = { 0 }, want = { 0 };
	FILE *f;
	char line[512];
	int rc = 0;

	tap_ok(nn == 100 && nh == 1350, "reference index vectors: %zu needles, %zu haystack", nn, nh);
	/* One index over haystack (rows 0..nh-1) then needles (rows nh..). */
	all = xmalloc((nn + nh + 1) * 32);
	memcpy(all, hay, nh * 32);
	memcpy(all + 4 * nh, needles, nn * 32);
	for (size_t i = 0; i < nn + nh; i++)
		ids[i] = (uint32_t)i;
	rc |= mih_pairs(all, 4, ids, nn + nh, 31, 1, &pairs);
	for (size_t k = 0; k < pairs.n; k++)
		if (pairs.v[k].i < nh && pairs.v[k].j >= nh)
			rc |= dp_pairs_push(&got, pairs.v[k].j - (uint32_t)nh, pairs.v[k].i,
					    pairs.v[k].d);
	/* Expected rows name hashes; map them back to (needle index, haystack rows). */
	f = fopen(DATA "/expected/mih-needles-haystack-d31.csv", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *a = line, *b = strchr(line, ','), *c;
		uint8_t hn[32], hm[32];
		struct dp_err e2;

		if (!b || !(c = strchr(b + 1, ',')))
			continue;
		*b++ = '\0';
		*c++ = '\0';
		if (dp_hash_pdq_from_hex(a, hn, &e2) || dp_hash_pdq_from_hex(b, hm, &e2))
			continue;   /* header */
		for (size_t q = 0; q < nn; q++) {
			if (memcmp(needles + 4 * q, hn, 32))
				continue;
			for (size_t i = 0; i < nh; i++)
				if (!memcmp(hay + 4 * i, hm, 32))
					rc |= dp_pairs_push(&want, (uint32_t)q, (uint32_t)i,
							    (uint32_t)atoi(c));
			break;
		}
	}
	if (f)
		fclose(f);
	tap_ok(f && want.n == 250, "expected table: 250 rows (%zu)", want.n);
	tap_ok(rc == 0 && same_pairs(&got, &want),
	       "needles x haystack at <= 31: the reference's %zu matches exactly (got %zu)", want.n,
	       got.n);
	dp_pairs_free(&pairs);
	dp_pairs_free(&got);
	dp_pairs_free(&want);
	free(ids);
	free(all);
	free(needles);
	free(hay);
}

int main(int argc, char **argv)
{
	static const int r256[] = { 0, 1, 7, 15, 16, 17, 31, 32, 45, 63, 90 };
	static const int r64[] = { 0, 1, 3, 4, 8, 10, 15 };
	unsigned long long seed;

	if (tap_seed(argc, argv, 4242, &seed))
		return 2;
	rng_state = seed ? seed : 1;
	dp_kernels_init();
	check_tiny();
	check_random(4, 3000, r256, (int)(sizeof(r256) / sizeof(r256[0])));
	check_random(1, 3000, r64, (int)(sizeof(r64) / sizeof(r64[0])));
	check_random(4, 40000, (const int[]){ 31 }, 1);
	tap_ok(plans == 3, "both plans were checked: brute force (one table) and split tables");
	check_reference_vectors();
	return tap_done();
}
