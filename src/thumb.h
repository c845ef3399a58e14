/* src/thumb.h - one report thumbnail: the scanned file re-read, checked, scaled down.
 *
 * The file is read through the scan's reader (read-only, O_NOATIME) and its
 * SHA-256 compared with the one the scan recorded, so a thumbnail always
 * shows the bytes that were hashed; a file that changed since gets none.
 * Thumbnails are named by that SHA-256, written under a temporary name and
 * renamed, so identical files share one and a later report reuses it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_THUMB_H
#define DP_SRC_THUMB_H

#include <stdint.h>

#include "readfile.h"

#define DP_THUMB_SIDE 256

enum dp_thumb_result {
	DP_THUMB_MADE,       /* written now */
	DP_THUMB_KEPT,       /* already there from an earlier report */
	DP_THUMB_CHANGED,    /* the file's bytes differ from the scan's (or it is gone) */
	DP_THUMB_FAILED,     /* could not be decoded or written */
};

struct dp_thumb_job {
	const char *path;          /* the input file (borrowed) */
	const uint8_t *sha256;     /* as recorded by the scan (borrowed) */
	const char *out;           /* DIR/thumbs/<sha256>.jpg (borrowed) */
	int result;                /* enum dp_thumb_result, set by dp_thumb_make */
	char message[160];         /* why, when CHANGED or FAILED */
};

/* dp_thumb_make - do one job with reader rd (one per thread). Thread-safe
 * for distinct readers and jobs. */
void dp_thumb_make(struct dp_reader *rd, struct dp_thumb_job *job);

#endif
