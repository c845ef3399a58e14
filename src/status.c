/* src/status.c - names of the per-file outcomes (see status.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "status.h"

static const char *const names[DP_ST_COUNT] = {
	[DP_ST_OK] = "ok",
	[DP_ST_UNREADABLE] = "unreadable",
	[DP_ST_EMPTY] = "empty",
	[DP_ST_NOT_IMAGE] = "not_image",
	[DP_ST_TRUNCATED] = "truncated",
	[DP_ST_CORRUPT] = "corrupt",
	[DP_ST_TOO_LARGE] = "too_large",
	[DP_ST_UNSUPPORTED] = "unsupported",
	[DP_ST_NOT_REGULAR] = "not_regular",
	[DP_ST_SYMLINK] = "symlink",
	[DP_ST_LOOP] = "loop",
	[DP_ST_CHANGED] = "changed",
	[DP_ST_TIMEOUT] = "timeout",
};

const char *dp_file_status_name(int status)
{
	if (status < 0 || status >= DP_ST_COUNT)
		return "invalid";
	return names[status];
}
