/* src/mih.h - exact Hamming range self-join over 64- or 256-bit codes: multi-index hashing, with brute force as the reference.
 *
 * Multi-index hashing (Norouzi, Punjani, Fleet, CVPR 2012): each code is
 * cut into m substrings. Two codes within distance r differ by at most r
 * bits over all substrings together, so with r = q m + a (0 <= a < m) they
 * are within q on one of substrings 0..a, or within q - 1 on one of the
 * others (otherwise the total would be at least (a + 1)(q + 1) +
 * (m - a - 1) q = r + 1). Comparing every pair of codes whose substring t
 * keys are within that radius, for every t, therefore finds every pair
 * within r: the search is exact. Each pair is reported once, by the first
 * table whose test it passes.
 *
 * The all-pairs join runs one table at a time: the codes are counting-
 * sorted by their substring key into a contiguous copy, and every bucket
 * is compared with itself and with the buckets whose keys differ by at most
 * the table's radius, block against block with the dispatched one-to-many
 * Hamming kernel. Only one table exists at any time, so the index needs
 * about 40 bytes per code plus 4 * 2^s bytes of bucket offsets (s = key
 * bits, near log2 of the number of codes). The number of tables is the
 * one with the least expected work for that many random codes (src/mih.c,
 * join_cost); at large radii that is one table whose radius is its whole
 * key, which compares every pair: brute force through the same join.
 *
 * Codes are arrays of 64-bit words (1 per code for 64-bit hashes, 4 for
 * PDQ: the hash bytes in order), borrowed. Only the rows listed at build
 * time take part (the caller leaves low-information hashes out); the list
 * must be strictly increasing. The join over a bucket range is pure and
 * uses only its arguments, so the pipeline runs ranges in parallel.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_MIH_H
#define DP_SRC_MIH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DP_MIH_MAX_TABLES 32

/* One pair within range: rows i < j of the code array, their distance. */
struct dp_pair {
	uint32_t i, j;
	uint32_t d;
};

/* A growable pair list (owned array). */
struct dp_pairs {
	struct dp_pair *v;
	size_t n, cap;
};

/* dp_pairs_push - append; 0 or DP_E_NOMEM. */
int dp_pairs_push(struct dp_pairs *p, uint32_t i, uint32_t j, uint32_t d) DP_WUR;
/* dp_pairs_append - append all of src; 0 or DP_E_NOMEM. */
int dp_pairs_append(struct dp_pairs *p, const struct dp_pairs *src) DP_WUR;
/* dp_pairs_sort - order by (i, j) (deterministic output whatever the threads). */
void dp_pairs_sort(struct dp_pairs *p);
/* dp_pairs_free - NULL is a no-op. */
void dp_pairs_free(struct dp_pairs *p);

struct dp_mih;

/*
 * dp_mih_new - an index over rows ids[0..nids) (strictly increasing) of
 * codes (nwords words per code, 1 or 4), for joins at radius r. Both arrays
 * are borrowed and must outlive the index. Returns NULL and fills err on
 * bad arguments (DP_E_ARG) or memory (DP_E_NOMEM).
 */
struct dp_mih *dp_mih_new(const uint64_t *codes, int nwords, const uint32_t *ids, size_t nids,
			  int r, struct dp_err *err);
/* dp_mih_free - NULL is a no-op. */
void dp_mih_free(struct dp_mih *ix);

/* dp_mih_tables - number of substrings m (tables 0..m-1; some may have no work). */
int dp_mih_tables(const struct dp_mih *ix);
/* dp_mih_bytes - memory held by the index. */
size_t dp_mih_bytes(const struct dp_mih *ix);

/*
 * dp_mih_load_table - make table t the current one (sort the codes by its
 * key). Returns the number of buckets to join (0 when the table has nothing
 * to do at this radius). Not thread-safe: call between parallel joins.
 */
size_t dp_mih_load_table(struct dp_mih *ix, int t);

/*
 * dp_mih_join - the pairs within r found by the current table in buckets
 * [lo, hi), appended to *out (unsorted). Reads the index only: threads may
 * join distinct ranges at once. Returns 0 or DP_E_NOMEM.
 */
int dp_mih_join(const struct dp_mih *ix, size_t lo, size_t hi, struct dp_pairs *out) DP_WUR;

/*
 * dp_brute_self_pairs - the reference: every pair (ids[k], ids[k2]),
 * k in [lo, hi), k2 > k, within r, by scanning with the dispatched
 * one-to-many kernel. Returns 0 or DP_E_NOMEM.
 */
int dp_brute_self_pairs(const uint64_t *codes, int nwords, const uint32_t *ids, size_t nids,
			size_t lo, size_t hi, int r, struct dp_pairs *out) DP_WUR;

/*
 * dp_brute_query - every row ids[k] within r of code q (nwords words),
 * appended as (qid, ids[k], d). Linear: what `doppel query` uses for a few
 * query images. Returns 0 or DP_E_NOMEM.
 */
int dp_brute_query(const uint64_t *codes, int nwords, const uint32_t *ids, size_t nids,
		   const uint64_t *q, uint32_t qid, int r, struct dp_pairs *out) DP_WUR;

#endif
