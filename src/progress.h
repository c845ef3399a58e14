/* src/progress.h - the one-line progress display of `doppel scan` (CLI layer).
 *
 * Redraws a single stderr line ("\r...\033[K") with files done/total,
 * images/s, MB/s, ETA and errors so far. Only used when stderr is a
 * terminal and --quiet is not given; otherwise every call is a no-op.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_PROGRESS_H
#define DP_SRC_PROGRESS_H

#include "pipeline.h"

struct dp_progress_line {
	int enabled;
	int drawn;      /* something is on the line: end it with a newline */
};

/* dp_progress_line_init - enabled: draw at all. */
void dp_progress_line_init(struct dp_progress_line *pl, int enabled);

/* dp_progress_line_update - a dp_progress_fn; ctx is a struct dp_progress_line. */
void dp_progress_line_update(const struct dp_scan_progress *p, void *ctx);

/* dp_progress_line_end - finish the line so later output starts on its own. */
void dp_progress_line_end(struct dp_progress_line *pl);

#endif
