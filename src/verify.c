/* src/verify.c - compare files with their rows again (see verify.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "verify.h"

#include <stdio.h>
#include <string.h>

#include "status.h"

const char *dp_verify_result_name(int result)
{
	static const char *const names[DP_V_COUNT] = {
		[DP_V_SAME] = "same", [DP_V_TOUCHED] = "touched", [DP_V_CHANGED] = "changed",
		[DP_V_MISSING] = "missing", [DP_V_NOT_READ] = "not_read",
	};

	return result >= 0 && result < DP_V_COUNT ? names[result] : "unknown";
}

void dp_verify_row(struct dp_reader *r, const struct dp_table *t, size_t i,
		   struct dp_verify_row *out)
{
	static const uint8_t zero[32];
	struct dp_file_data fd;
	struct dp_err err;
	int st;

	memset(out, 0, sizeof(*out));
	if (!memcmp(t->sha256[i], zero, 32)) {
		out->result = DP_V_NOT_READ;
		snprintf(out->message, sizeof(out->message), "the scan recorded no digest");
		return;
	}
	dp_err_clear(&err);
	/* Digest only (keep nothing); a file that changes while read is reported
	 * as read, its digest then differs. */
	if (dp_reader_read(r, t->path[i], 0, &fd, &st, &err) != 0 && st != DP_ST_CHANGED) {
		out->result = DP_V_MISSING;
		snprintf(out->message, sizeof(out->message), "%s", err.msg);
		return;
	}
	out->size_now = fd.size;
	out->mtime_now = fd.mtime_ns;
	if (fd.size != t->size[i] || memcmp(fd.sha256, t->sha256[i], 32)) {
		out->result = DP_V_CHANGED;
		snprintf(out->message, sizeof(out->message), "%s%s%llu bytes, recorded %llu",
			 memcmp(fd.sha256, t->sha256[i], 32) ? "SHA-256 differs; " : "",
			 "now ", (unsigned long long)fd.size, (unsigned long long)t->size[i]);
		return;
	}
	if (fd.mtime_ns != t->mtime[i]) {
		out->result = DP_V_TOUCHED;
		snprintf(out->message, sizeof(out->message),
			 "content as recorded; mtime now %lld ns, recorded %lld ns",
			 (long long)fd.mtime_ns, (long long)t->mtime[i]);
		return;
	}
	out->result = DP_V_SAME;
}
