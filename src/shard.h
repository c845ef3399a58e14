/* src/shard.h - which rows of a scan one shard (a Slurm array task, an MPI rank) takes.
 *
 * The walk's sorted file list is cut into n contiguous ranges of about equal
 * bytes (each file also counts a fixed cost, so that small and unreadable
 * files spread too). Contiguous ranges keep every shard's rows in the final
 * row order, so a merge is a concatenation; the cut depends only on the list,
 * so every task computes the same ranges without talking to the others.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_SHARD_H
#define DP_SRC_SHARD_H

#include <stddef.h>

#include "err.h"
#include "walk.h"

#define DP_SHARD_FILE_COST (64u << 10)   /* bytes each file counts besides its size */
#define DP_SHARD_MAX 100000

/* dp_shard_parse - "K/N" with 1 <= K <= N <= DP_SHARD_MAX; 0 or DP_E_ARG. */
int dp_shard_parse(const char *s, int *k, int *n, struct dp_err *err) DP_WUR;

/* dp_shard_range - the rows [*first, *first + *count) of shard k (1..n) of fl. */
void dp_shard_range(const struct dp_filelist *fl, int k, int n, size_t *first, size_t *count);

#endif
