/* src/pipeline.h - the parallel scan: walk entries -> rows, in order, to a sink.
 *
 * The only module that starts threads; it also runs the cluster step's
 * pair search (dp_pipeline_pairs) in parallel. Workers take the next file index from
 * a shared counter and write its row into a ring of slots; the main thread
 * (OpenMP thread 0), between its own files, hands finished rows to the sink
 * strictly in index order. A worker never runs more than DP_RING_PER_THREAD *
 * threads rows ahead of the sink, so memory is bounded whatever the number
 * of files, and the output does not depend on scheduling.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_PIPELINE_H
#define DP_SRC_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "mih.h"
#include "row.h"
#include "scanfile.h"
#include "thumb.h"
#include "walk.h"

struct dp_table;

struct dp_scan_progress {
	size_t done, total;          /* rows handed to the sink / all rows */
	size_t errors;               /* rows with a status other than ok */
	uint64_t bytes_done, bytes_total;
	double elapsed_s;
	int threads;
};

/* Called on the main thread, in row order; returns 0 or a negative dp_status
 * (then the scan stops and that error is returned). */
typedef int (*dp_row_sink_fn)(const struct dp_row *row, void *ctx, struct dp_err *err);
/* Called on the main thread a few times per second, and once at the end. */
typedef void (*dp_progress_fn)(const struct dp_scan_progress *p, void *ctx);

/*
 * dp_pipeline_scan - scan every entry of fl (borrowed) with o->threads threads.
 * sink receives each row exactly once, in order. progress may be NULL.
 * *final (may be NULL) gets the closing counts. Returns 0, the sink's error,
 * DP_E_NOMEM (worker setup) or DP_E_INTERRUPTED when *o->stop was set.
 */
int dp_pipeline_scan(const struct dp_filelist *fl, const struct dp_scan_opts *o,
		     dp_row_sink_fn sink, void *sink_ctx,
		     dp_progress_fn progress, void *progress_ctx,
		     struct dp_scan_progress *final, struct dp_err *err) DP_WUR;

/*
 * dp_pipeline_pairs - every pair of indexed codes within the index's radius:
 * table by table (dp_mih_load_table), the buckets joined by `threads`
 * threads (0: all cores) in blocks taken from a shared counter, then merged
 * and sorted by (i, j) into *out (appended), so the result does not depend
 * on the thread count. Returns 0 or DP_E_NOMEM.
 */
int dp_pipeline_pairs(struct dp_mih *ix, int threads, struct dp_pairs *out,
		      struct dp_err *err) DP_WUR;

/*
 * dp_pipeline_align - the alignment check of cluster.c (dp_align_check_fn):
 * verdict[k] = dp_align_verdict() of the thumbnails of candidate row pair k
 * of t, computed on `threads` threads (0: all cores) and, under MPI, shared
 * between the ranks (every rank gets every verdict). Only the thumbnails of
 * the candidates are read (dp_table_read_thumbs). Returns 0, DP_E_NOMEM, or
 * the error of reading the thumbnails.
 */
int dp_pipeline_align(const struct dp_table *t, const struct dp_pairs *cand, int threads,
		      uint8_t *verdict, struct dp_err *err) DP_WUR;

/*
 * dp_pipeline_crop_codes - the centre-crop codes of cluster.c
 * (dp_crop_codes_fn): dp_crop_codes() of the thumbnails of rows[0..n)
 * (ascending) into codes[k * DP_CROP_CODES ..] and its result into info[k],
 * read a block at a time and computed on `threads` threads (0: all cores);
 * under MPI the blocks are shared between the ranks and every rank gets
 * every code. Returns 0, DP_E_NOMEM, or the error of reading the thumbnails.
 */
int dp_pipeline_crop_codes(const struct dp_table *t, const uint32_t *rows, size_t n, int threads,
			   uint64_t *codes, uint8_t *info, struct dp_err *err) DP_WUR;

/*
 * dp_pipeline_thumbs - dp_thumb_make() every job of jobs[0..n) on `threads`
 * threads (0: all cores), each with its own reader. Returns 0 or DP_E_NOMEM.
 */
int dp_pipeline_thumbs(struct dp_thumb_job *jobs, size_t n, int threads, struct dp_err *err) DP_WUR;

#endif
