/* src/progress.c - terminal progress line (see progress.h).
 *
 * The ETA uses bytes rather than files: files of one dump differ in size by
 * orders of magnitude, and decode time follows bytes far more closely.
 *
 * SPDX-License-Identifier: MIT
 */
#include "progress.h"

#include <stdio.h>

void dp_progress_line_init(struct dp_progress_line *pl, int enabled)
{
	pl->enabled = enabled;
	pl->drawn = 0;
}

static void format_eta(double s, char *out, size_t n)
{
	long t;

	if (s < 0 || s > 360000.0) {
		snprintf(out, n, "--:--:--");
		return;
	}
	t = (long)(s + 0.5);
	snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

void dp_progress_line_update(const struct dp_scan_progress *p, void *ctx)
{
	struct dp_progress_line *pl = ctx;
	double t = p->elapsed_s > 1e-3 ? p->elapsed_s : 1e-3;
	double bps = (double)p->bytes_done / t;
	double eta = -1;
	char etas[32];

	if (!pl->enabled)
		return;
	if (bps > 0 && p->bytes_total >= p->bytes_done)
		eta = (double)(p->bytes_total - p->bytes_done) / bps;
	else if (p->done > 0)
		eta = (double)(p->total - p->done) * t / (double)p->done;
	format_eta(eta, etas, sizeof(etas));
	fprintf(stderr, "\rscan: %zu/%zu files  %.1f img/s  %.1f MB/s  ETA %s  %zu errors\033[K",
		p->done, p->total, (double)p->done / t, bps / 1e6, etas, p->errors);
	fflush(stderr);
	pl->drawn = 1;
}

void dp_progress_line_end(struct dp_progress_line *pl)
{
	if (pl->enabled && pl->drawn)
		fputs("\n", stderr);
	pl->drawn = 0;
}
