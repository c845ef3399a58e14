/* src/report.h - the static HTML report: groups as contact sheets, errors, counts.
 *
 * Written from a result file and one of its clusterings into a folder that
 * opens from the file system with no server and no network: index pages
 * (counts, the largest groups first, paged), one page per group of two or
 * more files (a scene group shows its shot groups nested), error pages, a
 * style sheet and thumbnails (thumb.h). No script at all: thumbnails are
 * blurred by CSS and revealed one at a time by clicking (a checkbox), and a
 * Content-Security-Policy forbids every request but the report's own files.
 * Every text from the data is HTML-escaped; bytes that are not UTF-8 and
 * control characters are shown as \xHH / \n escapes. docs/REPORT.md.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_REPORT_H
#define DP_SRC_REPORT_H

#include <stddef.h>

#include "err.h"
#include "thumb.h"

struct dp_report_opts {
	const char *name;          /* the clustering: /clusters/<name> */
	int blur;                  /* 1: thumbnails blurred until clicked */
	int threads;               /* thumbnail threads; 0 = all cores */
	size_t groups_per_page;    /* index pages */
	size_t rows_per_page;      /* error pages */
};

struct dp_report_stats {
	size_t files, errors, groups, group_files, pages;
	size_t thumbs_made, thumbs_kept, thumbs_changed, thumbs_failed;
};

/* The parallel thumbnailer the caller supplies (dp_pipeline_thumbs). */
typedef int (*dp_thumbs_fn)(struct dp_thumb_job *jobs, size_t n, int threads, struct dp_err *err);

/* dp_report_opts_default - blur on, 50 groups and 500 error rows per page. */
void dp_report_opts_default(struct dp_report_opts *o);

/*
 * dp_report_write - write the report of `h5path` (read only) into `dir`
 * (created if missing; files of an earlier report replaced, thumbnails
 * reused). Returns 0, DP_E_IO (cannot write dir), DP_E_FORMAT (not a
 * doppel file; no such clustering), DP_E_NOMEM, with err set.
 */
int dp_report_write(const char *h5path, const char *dir, const struct dp_report_opts *o,
		    dp_thumbs_fn thumbs, struct dp_report_stats *st, struct dp_err *err) DP_WUR;

#endif
