/* src/shard.c - byte-balanced contiguous row ranges (see shard.h).
 *
 * Row i, with weight w_i = size_i + DP_SHARD_FILE_COST and C_i the weight of
 * the rows before it, belongs to shard floor(n * (C_i + w_i / 2) / W) + 1,
 * W the total: the shard its middle byte falls into. Integer arithmetic in
 * 128 bits, so the cut is exact and the same on every machine.
 *
 * SPDX-License-Identifier: MIT
 */
#include "shard.h"

#include <errno.h>
#include <stdlib.h>

#include "status.h"

int dp_shard_parse(const char *s, int *k, int *n, struct dp_err *err)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(s, &end, 10);
	if (errno || end == s || *end != '/')
		goto bad;
	s = end + 1;
	b = strtol(s, &end, 10);
	if (errno || end == s || *end || b < 1 || b > DP_SHARD_MAX || a < 1 || a > b)
		goto bad;
	*k = (int)a;
	*n = (int)b;
	return 0;
bad:
	return dp_err_set(err, DP_E_ARG, "--shard wants K/N with 1 <= K <= N <= %d, e.g. 3/8",
			  DP_SHARD_MAX);
}

static unsigned __int128 weight(const struct dp_walk_entry *e)
{
	return (unsigned __int128)(e->status == DP_ST_OK ? e->size : 0) + DP_SHARD_FILE_COST;
}

void dp_shard_range(const struct dp_filelist *fl, int k, int n, size_t *first, size_t *count)
{
	unsigned __int128 total = 0, before = 0;

	for (size_t i = 0; i < fl->n; i++)
		total += weight(&fl->v[i]);
	*first = *count = 0;
	for (size_t i = 0; i < fl->n; i++) {
		unsigned __int128 w = weight(&fl->v[i]);
		unsigned __int128 shard = ((before + w / 2) * (unsigned)n) / total;

		before += w;
		if (shard + 1 < (unsigned)k)
			(*first)++;
		else if (shard + 1 == (unsigned)k)
			(*count)++;
		else
			break;
	}
}
