/* src/verify.h - re-read the files a result file lists and compare them with what the scan recorded.
 *
 * For court use: shows that the evidence is what was scanned. Each file is
 * read again (read-only, O_NOATIME where allowed, through the scan's own
 * reader) and its size and SHA-256 compared with the row; the mtime is
 * compared too but, on its own, is only reported. Rows the scan never read
 * (unreadable, links not followed, FIFOs...) carry no digest and cannot be
 * verified. Paths are used as stored: relative ones are relative to the
 * folder the scan ran in.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_VERIFY_H
#define DP_SRC_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "readfile.h"
#include "table.h"

enum dp_verify_result {
	DP_V_SAME = 0,      /* size and SHA-256 as recorded (mtime too) */
	DP_V_TOUCHED,       /* content as recorded, mtime differs */
	DP_V_CHANGED,       /* size or SHA-256 differs */
	DP_V_MISSING,       /* cannot be read now (gone, permission...) */
	DP_V_NOT_READ,      /* the scan recorded no digest: nothing to compare */
	DP_V_COUNT
};

/* dp_verify_result_name - "same", "touched", "changed", "missing", "not_read". */
const char *dp_verify_result_name(int result);

struct dp_verify_row {
	int result;                  /* enum dp_verify_result */
	uint64_t size_now;
	int64_t mtime_now;
	char message[DP_ERR_MSG_MAX];   /* why missing; what changed */
};

/*
 * dp_verify_row - verify row i of t (borrowed) with reader r (a per-thread
 * reader). Fills *out; never fails (a file that cannot be read is
 * DP_V_MISSING with the cause).
 */
void dp_verify_row(struct dp_reader *r, const struct dp_table *t, size_t i,
		   struct dp_verify_row *out);

#endif
