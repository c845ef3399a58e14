/* src/merge.h - join the shard files of one scan into the file a single scan writes.
 *
 * Shards (scan --shard K/N, or MPI ranks) each hold a contiguous range of
 * the rows (shard.h) and record which scan they belong to (inputs, options,
 * doppel version). dp_merge checks that the parts are exactly shards 1..N of
 * one scan, then copies their rows in order into a new result file through
 * the same writer, so every dataset equals that of an unsharded scan.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_MERGE_H
#define DP_SRC_MERGE_H

#include <stddef.h>

#include "err.h"

/*
 * dp_merge - write `out` (atomically: complete or absent) from the nparts
 * shard files `parts` (any order; all borrowed). command is recorded as the
 * result's command attribute. Returns 0; DP_E_ARG when the parts are not
 * exactly the shards of one scan (message says which and why); DP_E_IO,
 * DP_E_FORMAT, DP_E_HDF5, DP_E_NOMEM. Parts are only read.
 */
int dp_merge(const char *const *parts, size_t nparts, const char *out, const char *command,
	     struct dp_err *err) DP_WUR;

#endif
