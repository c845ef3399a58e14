/* src/mih.c - multi-index hashing self-join and the brute-force reference (see mih.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "mih.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#define DP_MIH_MIN_BITS 8
#define DP_MIH_MAX_BITS 24
#define DP_MIH_CHUNK 256       /* distances per kernel call */
#define DP_MIH_JOIN_SPAN 4096  /* buckets one join pass lists (dp_mih_join) */

struct dp_mih {
	const uint64_t *codes;
	const uint32_t *ids;
	int nwords, m, r, cur;
	size_t n;
	int start[DP_MIH_MAX_TABLES], len[DP_MIH_MAX_TABLES], radius[DP_MIH_MAX_TABLES];
	uint32_t *masks[DP_MIH_MAX_TABLES];   /* keys within radius of 0, fewest bits first */
	size_t nmasks[DP_MIH_MAX_TABLES];
	uint64_t *tcodes;   /* the codes sorted by the current table's key */
	uint32_t *tids;     /* their rows */
	uint32_t *keys;     /* current key of each listed row */
	uint32_t *off;      /* bucket starts, 2^len + 1 */
};

/* ---- pairs ---------------------------------------------------------------- */

int dp_pairs_push(struct dp_pairs *p, uint32_t i, uint32_t j, uint32_t d)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 1024;
		struct dp_pair *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return DP_E_NOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct dp_pair){ i, j, d };
	return 0;
}

int dp_pairs_append(struct dp_pairs *p, const struct dp_pairs *src)
{
	for (size_t k = 0; k < src->n; k++)
		if (dp_pairs_push(p, src->v[k].i, src->v[k].j, src->v[k].d))
			return DP_E_NOMEM;
	return 0;
}

static int cmp_pair(const void *a, const void *b)
{
	const struct dp_pair *x = a, *y = b;

	if (x->i != y->i)
		return x->i < y->i ? -1 : 1;
	return x->j < y->j ? -1 : x->j > y->j;
}

void dp_pairs_sort(struct dp_pairs *p)
{
	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), cmp_pair);
}

void dp_pairs_free(struct dp_pairs *p)
{
	if (!p)
		return;
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* ---- building ------------------------------------------------------------- */

/* Bits [start, start + len) of a code (len <= 32), bit b being bit b % 64 of word b / 64. */
static uint32_t substring(const uint64_t *code, int start, int len)
{
	int w = start / 64, b = start % 64;
	uint64_t v = code[w] >> b;

	if (b + len > 64)
		v |= code[w + 1] << (64 - b);
	return (uint32_t)(v & ((1ull << len) - 1));
}

static size_t choose(int n, int k)
{
	size_t c = 1;

	for (int i = 1; i <= k; i++)
		c = c * (size_t)(n - k + i) / (size_t)i;
	return c;
}

/* All masks of len bits with at most rho bits set, fewest bits first. */
static size_t make_masks(uint32_t *out, int len, int rho)
{
	size_t n = 0;
	int idx[32];

	out[n++] = 0;
	for (int k = 1; k <= rho; k++) {
		for (int i = 0; i < k; i++)
			idx[i] = i;
		for (;;) {
			uint32_t m = 0;
			int i;

			for (i = 0; i < k; i++)
				m |= 1u << idx[i];
			out[n++] = m;
			/* Next combination of k positions out of len. */
			for (i = k - 1; i >= 0 && idx[i] == len - k + i; i--)
				;
			if (i < 0)
				break;
			idx[i]++;
			for (int j = i + 1; j < k; j++)
				idx[j] = idx[j - 1] + 1;
		}
	}
	return n;
}

/*
 * Bits and radius of table t of m over `bits` bits at search radius r. One
 * table (m = 1) is the brute-force plan: a short key whose radius is its
 * length, so every bucket meets every other and every pair is compared.
 */
static void table_shape(int bits, int r, int m, int t, int *len, int *radius)
{
	int q = r / m, a = r % m;

	if (m == 1) {
		*len = *radius = DP_MIH_MIN_BITS;
		return;
	}
	*len = bits / m + (t < bits % m);
	*radius = t <= a ? q : q - 1;
	if (*radius > *len)
		*radius = *len;
}

/*
 * Expected time (ns) of the self-join of n random codes with m tables:
 * for each table, the code comparisons (pairs whose keys are within the
 * table's radius), the blocks compared (a code against a non-empty partner
 * bucket), the partner buckets probed and the buckets sorted into. The
 * costs per unit were fitted on bench_cluster (one thread, 1-4 million
 * codes, 12-16 tables; the fit is within 10%); only their ratios matter:
 * few long tables compare fewer codes but probe many more buckets, and at
 * large radii brute force (m = 1) compares fewer codes than any split.
 */
static double join_cost(size_t n, int bits, int r, int m)
{
	double dn = (double)n, cost = 0;

	for (int t = 0; t < m; t++) {
		int len, rho;
		double masks = 0, buckets;

		table_shape(bits, r, m, t, &len, &rho);
		if (rho < 0)
			continue;
		buckets = ldexp(1.0, len);
		for (int k = 0; k <= rho; k++)
			masks += (double)choose(len, k);
		cost += 1.3 * dn * dn / 2 * masks / buckets +
			10 * dn * masks / 2 * -expm1(-dn / buckets) +
			10 * fmin(buckets, dn) * masks + 2 * buckets;
	}
	return cost;
}

struct dp_mih *dp_mih_new(const uint64_t *codes, int nwords, const uint32_t *ids, size_t nids,
			  int r, struct dp_err *err)
{
	struct dp_mih *ix;
	int bits = 64 * nwords, maxlen = 0;
	double best;

	if ((nwords != 1 && nwords != 4) || nids > UINT32_MAX - 1 || r < 0 || r > bits) {
		dp_err_set(err, DP_E_ARG, "index: %d-word codes, %zu rows, radius %d: unsupported",
			   nwords, nids, r);
		return NULL;
	}
	for (size_t k = 1; k < nids; k++)
		if (ids[k] <= ids[k - 1]) {
			dp_err_set(err, DP_E_ARG, "index: row list not increasing at %zu", k);
			return NULL;
		}
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		goto nomem;
	ix->codes = codes;
	ix->ids = ids;
	ix->nwords = nwords;
	ix->n = nids;
	ix->r = r;
	ix->cur = -1;
	/*
	 * The plan with the least expected work (join_cost): brute force, or
	 * m tables whose keys are DP_MIH_MIN_BITS to DP_MIH_MAX_BITS long. At
	 * r = 31 on 256 bits that is 16 tables of radius 1 around a million
	 * codes, fewer and longer ones above (13 at ten million), and brute
	 * force at r = 90 (the alignment candidates' radius).
	 */
	ix->m = 1;
	best = join_cost(nids, bits, r, 1);
	for (int m = (bits + DP_MIH_MAX_BITS - 1) / DP_MIH_MAX_BITS;
	     m <= DP_MIH_MAX_TABLES && bits / m >= DP_MIH_MIN_BITS; m++) {
		double c = join_cost(nids, bits, r, m);

		if (c < best) {
			ix->m = m;
			best = c;
		}
	}
	for (int t = 0, at = 0; t < ix->m; t++) {
		table_shape(bits, r, ix->m, t, &ix->len[t], &ix->radius[t]);
		ix->start[t] = at;
		at += ix->len[t];
		if (ix->len[t] > maxlen)
			maxlen = ix->len[t];
		if (ix->radius[t] >= 0) {
			size_t nm = 0;

			for (int k = 0; k <= ix->radius[t]; k++)
				nm += choose(ix->len[t], k);
			ix->masks[t] = malloc(nm * sizeof(uint32_t));
			if (!ix->masks[t])
				goto nomem;
			ix->nmasks[t] = make_masks(ix->masks[t], ix->len[t], ix->radius[t]);
		}
	}
	ix->tcodes = malloc((nids ? nids : 1) * (size_t)nwords * sizeof(uint64_t));
	ix->tids = malloc((nids ? nids : 1) * sizeof(uint32_t));
	ix->keys = malloc((nids ? nids : 1) * sizeof(uint32_t));
	ix->off = malloc((((size_t)1 << maxlen) + 1) * sizeof(uint32_t));
	if (!ix->tcodes || !ix->tids || !ix->keys || !ix->off)
		goto nomem;
	return ix;
nomem:
	dp_mih_free(ix);
	dp_err_set(err, DP_E_NOMEM, "index: out of memory for %zu codes", nids);
	return NULL;
}

void dp_mih_free(struct dp_mih *ix)
{
	if (!ix)
		return;
	for (int t = 0; t < DP_MIH_MAX_TABLES; t++)
		free(ix->masks[t]);
	free(ix->tcodes);
	free(ix->tids);
	free(ix->keys);
	free(ix->off);
	free(ix);
}

int dp_mih_tables(const struct dp_mih *ix)
{
	return ix->m;
}

size_t dp_mih_bytes(const struct dp_mih *ix)
{
	size_t b = sizeof(*ix) + ix->n * ((size_t)ix->nwords * 8 + 2 * sizeof(uint32_t));
	int maxlen = 0;

	for (int t = 0; t < ix->m; t++) {
		b += ix->nmasks[t] * sizeof(uint32_t);
		if (ix->len[t] > maxlen)
			maxlen = ix->len[t];
	}
	return b + (((size_t)1 << maxlen) + 1) * sizeof(uint32_t);
}

size_t dp_mih_load_table(struct dp_mih *ix, int t)
{
	size_t nb, words = (size_t)ix->nwords;
	uint32_t *off = ix->off;

	if (t < 0 || t >= ix->m || ix->radius[t] < 0)
		return 0;
	ix->cur = t;
	nb = (size_t)1 << ix->len[t];
	memset(off, 0, (nb + 1) * sizeof(uint32_t));
	/* Counting sort by key, stable (rows ascend within a bucket). */
	for (size_t k = 0; k < ix->n; k++) {
		ix->keys[k] = substring(ix->codes + (size_t)ix->ids[k] * words, ix->start[t],
					ix->len[t]);
		off[ix->keys[k] + 1]++;
	}
	for (size_t b = 0; b < nb; b++)
		off[b + 1] += off[b];
	for (size_t k = 0; k < ix->n; k++) {
		uint32_t e = off[ix->keys[k]]++;

		memcpy(ix->tcodes + e * words, ix->codes + (size_t)ix->ids[k] * words, words * 8);
		ix->tids[e] = ix->ids[k];
	}
	for (size_t b = nb; b > 0; b--)
		off[b] = off[b - 1];
	off[0] = 0;
	return nb;
}

/* Whether an earlier table already reports the pair (a, b): the first
 * table whose radius test the pair passes owns it. */
static int found_earlier(const struct dp_mih *ix, const uint64_t *a, const uint64_t *b)
{
	for (int t = 0; t < ix->cur; t++) {
		uint32_t x = substring(a, ix->start[t], ix->len[t]) ^
			     substring(b, ix->start[t], ix->len[t]);

		if (ix->radius[t] >= 0 && __builtin_popcount(x) <= ix->radius[t])
			return 1;
	}
	return 0;
}

/* Distances of code q to the n codes at block (contiguous); hits go to out. */
static int compare_block(const struct dp_mih *ix, const struct dp_kernels *k, const uint64_t *q,
			 uint32_t qid, const uint64_t *block, const uint32_t *bids, size_t n,
			 struct dp_pairs *out)
{
	uint16_t dist[DP_MIH_CHUNK];
	size_t words = (size_t)ix->nwords;

	for (size_t c0 = 0; c0 < n; c0 += DP_MIH_CHUNK) {
		size_t cn = n - c0 < DP_MIH_CHUNK ? n - c0 : DP_MIH_CHUNK;

		if (words == 4)
			k->hamming256_many((const uint8_t *)q, (const uint8_t *)(block + c0 * 4), cn,
					   dist);
		else
			k->hamming64_many(q[0], block + c0, cn, dist);
		for (size_t c = 0; c < cn; c++) {
			uint32_t other = bids[c0 + c];

			if (dist[c] > ix->r || found_earlier(ix, q, block + (c0 + c) * words))
				continue;
			if (dp_pairs_push(out, qid < other ? qid : other, qid < other ? other : qid,
					  dist[c]))
				return DP_E_NOMEM;
		}
	}
	return 0;
}

int dp_mih_join(const struct dp_mih *ix, size_t lo, size_t hi, struct dp_pairs *out)
{
	const struct dp_kernels *k = dp_kernels_get();
	const uint32_t *off = ix->off, *masks;
	size_t words = (size_t)ix->nwords, nm, nb;
	uint32_t full[DP_MIH_JOIN_SPAN];
	int t = ix->cur;

	if (t < 0)
		return 0;
	masks = ix->masks[t];
	nm = ix->nmasks[t];
	nb = (size_t)1 << ix->len[t];
	if (hi > nb)
		hi = nb;
	for (; lo < hi; lo += DP_MIH_JOIN_SPAN) {
		size_t nfull = 0, end = hi - lo < DP_MIH_JOIN_SPAN ? hi : lo + DP_MIH_JOIN_SPAN;

		for (size_t b = lo; b < end; b++)
			if (off[b] < off[b + 1])
				full[nfull++] = (uint32_t)b;
		/*
		 * Masks outside, buckets inside: for one mask the partners
		 * b ^ mask of a run of buckets lie in a run too, so both are
		 * read in order. The other way round, every probe of a table
		 * larger than the caches is a miss (twice the time at two
		 * million codes).
		 */
		for (size_t mi = 0; mi < nm; mi++) {
			for (size_t f = 0; f < nfull; f++) {
				size_t b = full[f], b2 = b ^ masks[mi];

				if (b2 < b || off[b2] == off[b2 + 1])
					continue;   /* each bucket pair once, from its lower key */
				for (uint32_t x = off[b]; x < off[b + 1]; x++) {
					uint32_t from = b2 == b ? x + 1 : off[b2];

					if (from < off[b2 + 1] &&
					    compare_block(ix, k, ix->tcodes + x * words, ix->tids[x],
							  ix->tcodes + (size_t)from * words,
							  ix->tids + from, off[b2 + 1] - from, out))
						return DP_E_NOMEM;
				}
			}
		}
	}
	return 0;
}

/* ---- brute force ---------------------------------------------------------- */

/* Codes of rows ids[k0 .. k0+n) packed into buf. */
static void gather(const uint64_t *codes, size_t words, const uint32_t *ids, size_t k0,
		   size_t n, uint64_t *buf)
{
	for (size_t c = 0; c < n; c++)
		memcpy(buf + c * words, codes + (size_t)ids[k0 + c] * words, words * 8);
}

static void distances(int nwords, const uint64_t *q, const uint64_t *buf, size_t n,
		      uint16_t *dist)
{
	if (nwords == 4)
		dp_kernels_get()->hamming256_many((const uint8_t *)q, (const uint8_t *)buf, n, dist);
	else
		dp_kernels_get()->hamming64_many(q[0], buf, n, dist);
}

int dp_brute_query(const uint64_t *codes, int nwords, const uint32_t *ids, size_t nids,
		   const uint64_t *q, uint32_t qid, int r, struct dp_pairs *out)
{
	uint64_t buf[DP_MIH_CHUNK * 4];
	uint16_t dist[DP_MIH_CHUNK];

	for (size_t k0 = 0; k0 < nids; k0 += DP_MIH_CHUNK) {
		size_t n = nids - k0 < DP_MIH_CHUNK ? nids - k0 : DP_MIH_CHUNK;

		gather(codes, (size_t)nwords, ids, k0, n, buf);
		distances(nwords, q, buf, n, dist);
		for (size_t c = 0; c < n; c++)
			if (dist[c] <= r && dp_pairs_push(out, qid, ids[k0 + c], dist[c]))
				return DP_E_NOMEM;
	}
	return 0;
}

int dp_brute_self_pairs(const uint64_t *codes, int nwords, const uint32_t *ids, size_t nids,
			size_t lo, size_t hi, int r, struct dp_pairs *out)
{
	size_t words = (size_t)nwords;
	uint64_t *packed = malloc((nids ? nids : 1) * words * 8);
	uint16_t *dist = malloc((nids ? nids : 1) * sizeof(uint16_t));
	int rc = 0;

	if (!packed || !dist) {
		rc = DP_E_NOMEM;
		goto out;
	}
	gather(codes, words, ids, 0, nids, packed);
	for (size_t k = lo; rc == 0 && k < hi && k + 1 < nids; k++) {
		size_t rest = nids - k - 1;

		distances(nwords, packed + k * words, packed + (k + 1) * words, rest, dist);
		for (size_t c = 0; rc == 0 && c < rest; c++)
			if (dist[c] <= r)
				rc = dp_pairs_push(out, ids[k], ids[k + 1 + c], dist[c]);
	}
out:
	free(packed);
	free(dist);
	return rc;
}
