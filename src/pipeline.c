/* src/pipeline.c - OpenMP scan with an ordered ring of rows (see pipeline.h).
 *
 * Protocol, for ring size R and n rows:
 *   claim:   i = next++ (atomic); stop when i >= n.
 *   wait:    until i < flushed + R (slot i % R is free); thread 0 drains while
 *            it waits, the others sleep briefly. The row `flushed` has always
 *            been claimed by a thread that is not waiting, so this terminates.
 *   work:    dp_scan_one() into slot i % R, then ready[i % R] = i + 1 (release).
 *   drain:   thread 0 only: while ready[flushed % R] == flushed + 1, sink the
 *            row and advance flushed (release).
 * Thread 0 is the thread that called dp_pipeline_scan, so the sink (HDF5)
 * only ever runs on the main thread.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "pipeline.h"
#include "cluster.h"
#include "mpiwrap.h"

#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status.h"
#include "table.h"

#define DP_RING_PER_THREAD 32
#define DP_PROGRESS_NS 250000000LL    /* progress callback at most 4 times a second */

struct ring {
	struct dp_row *rows;
	_Atomic size_t *ready;            /* row index + 1 when the slot holds that row */
	size_t size;
};

struct shared {
	const struct dp_filelist *fl;
	const struct dp_scan_opts *o;
	struct ring ring;
	_Atomic size_t next;              /* next row to claim */
	_Atomic size_t flushed;           /* rows handed to the sink */
	_Atomic int failed;               /* sink error */
	_Atomic int active;               /* threads other than 0 still in work() */
	dp_row_sink_fn sink;
	void *sink_ctx;
	dp_progress_fn progress;
	void *progress_ctx;
	struct dp_scan_progress prog;
	int64_t t0, last_progress;
	struct dp_err *err;
	int rc;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void nap(void)
{
	struct timespec ts = { 0, 200000 };   /* 0.2 ms */

	nanosleep(&ts, NULL);
}

static void report(struct shared *sh, int force)
{
	int64_t t = now_ns();

	if (!sh->progress || (!force && t - sh->last_progress < DP_PROGRESS_NS))
		return;
	sh->last_progress = t;
	sh->prog.elapsed_s = (double)(t - sh->t0) / 1e9;
	sh->progress(&sh->prog, sh->progress_ctx);
}

/* Thread 0 only: sink every finished row at the front of the ring. */
static void drain(struct shared *sh)
{
	size_t f = atomic_load_explicit(&sh->flushed, memory_order_relaxed);

	while (f < sh->fl->n && !atomic_load(&sh->failed)) {
		size_t slot = f % sh->ring.size;
		const struct dp_row *row = &sh->ring.rows[slot];

		if (atomic_load_explicit(&sh->ring.ready[slot], memory_order_acquire) != f + 1)
			break;
		sh->rc = sh->sink(row, sh->sink_ctx, sh->err);
		if (sh->rc) {
			atomic_store(&sh->failed, 1);
			break;
		}
		sh->prog.done++;
		if (row->status != DP_ST_OK)
			sh->prog.errors++;
		if (sh->fl->v[f].status == DP_ST_OK)
			sh->prog.bytes_done += sh->fl->v[f].size;
		f++;
		atomic_store_explicit(&sh->flushed, f, memory_order_release);
	}
	report(sh, 0);
}

static int stop_requested(const struct shared *sh)
{
	return atomic_load(&sh->failed) || (sh->o->stop && *sh->o->stop);
}

static void work(struct shared *sh, struct dp_worker *w, int tid)
{
	for (;;) {
		size_t i, slot;

		if (tid == 0)
			drain(sh);
		if (stop_requested(sh))
			return;
		i = atomic_fetch_add(&sh->next, 1);
		if (i >= sh->fl->n)
			return;
		while (i >= atomic_load_explicit(&sh->flushed, memory_order_acquire) + sh->ring.size) {
			if (stop_requested(sh))
				return;
			if (tid == 0)
				drain(sh);
			else
				nap();
		}
		slot = i % sh->ring.size;
		dp_scan_one(w, &sh->fl->v[i], sh->o, &sh->ring.rows[slot]);
		atomic_store_explicit(&sh->ring.ready[slot], i + 1, memory_order_release);
	}
}

/* Thread 0, after its last claim: drain until every other worker has left
 * work() (their rows are then all ready) or the sink failed. */
static void finish(struct shared *sh)
{
	for (;;) {
		int others_done = atomic_load(&sh->active) == 0;

		drain(sh);
		if (others_done || atomic_load(&sh->flushed) >= sh->fl->n ||
		    atomic_load(&sh->failed))
			return;
		nap();
	}
}

int dp_pipeline_scan(const struct dp_filelist *fl, const struct dp_scan_opts *o,
		     dp_row_sink_fn sink, void *sink_ctx,
		     dp_progress_fn progress, void *progress_ctx,
		     struct dp_scan_progress *final, struct dp_err *err)
{
	struct shared sh;
	struct dp_worker **workers;
	int nt = o->threads > 0 ? o->threads : omp_get_max_threads();
	int rc = 0;

	memset(&sh, 0, sizeof(sh));
	sh.fl = fl;
	sh.o = o;
	sh.sink = sink;
	sh.sink_ctx = sink_ctx;
	sh.progress = progress;
	sh.progress_ctx = progress_ctx;
	sh.err = err;
	sh.prog.total = fl->n;
	sh.prog.bytes_total = fl->total_bytes;
	sh.prog.threads = nt;
	sh.ring.size = (size_t)nt * DP_RING_PER_THREAD;
	sh.ring.rows = calloc(sh.ring.size, sizeof(*sh.ring.rows));
	sh.ring.ready = calloc(sh.ring.size, sizeof(*sh.ring.ready));
	workers = calloc((size_t)nt, sizeof(*workers));
	if (!sh.ring.rows || !sh.ring.ready || !workers) {
		rc = dp_err_set(err, DP_E_NOMEM, "scan: out of memory");
		goto out;
	}
	for (int t = 0; t < nt; t++) {
		workers[t] = dp_worker_new();
		if (!workers[t]) {
			rc = dp_err_set(err, DP_E_NOMEM, "scan: out of memory for worker %d", t);
			goto out;
		}
	}
	dp_decode_prepare();
	sh.t0 = sh.last_progress = now_ns();
	#pragma omp parallel num_threads(nt)
	{
		int tid = omp_get_thread_num();

		if (tid == 0) {
			atomic_store(&sh.active, omp_get_num_threads() - 1);
		}
		#pragma omp barrier
		work(&sh, workers[tid], tid);
		if (tid == 0)
			finish(&sh);
		else
			atomic_fetch_sub(&sh.active, 1);
		dp_decode_thread_done();
	}
	report(&sh, 1);
	if (sh.rc)
		rc = sh.rc;
	else if (sh.prog.done < fl->n)
		rc = dp_err_set(err, DP_E_INTERRUPTED, "scan: interrupted after %zu of %zu files",
				sh.prog.done, fl->n);
out:
	if (final) {
		sh.prog.elapsed_s = (double)(now_ns() - sh.t0) / 1e9;
		*final = sh.prog;
	}
	for (int t = 0; workers && t < nt; t++)
		dp_worker_free(workers[t]);
	free(workers);
	free(sh.ring.rows);
	free((void *)sh.ring.ready);
	return rc;
}

/* ---- pair search ------------------------------------------------------- */

#define DP_BUCKET_BLOCK 4096   /* buckets per work item, at most */

int dp_pipeline_pairs(struct dp_mih *ix, int threads, struct dp_pairs *out, struct dp_err *err)
{
	int nt = threads > 0 ? threads : omp_get_max_threads();
	int rank = dp_mpi_rank(), nranks = dp_mpi_size();
	struct dp_pairs *part = calloc((size_t)nt, sizeof(*part)), mine = { 0 };
	atomic_int failed = 0;

	if (!part)
		return dp_err_set(err, DP_E_NOMEM, "cluster: out of memory");
	for (int t = 0; t < dp_mih_tables(ix) && !atomic_load(&failed); t++) {
		size_t nb = dp_mih_load_table(ix, t);
		/* Blocks small enough that every rank and thread gets some. */
		size_t bs = nb / ((size_t)nranks * (size_t)nt * 8) + 1;
		size_t nblocks;
		atomic_size_t next = 0;

		if (bs > DP_BUCKET_BLOCK)
			bs = DP_BUCKET_BLOCK;
		nblocks = (nb + bs - 1) / bs;

		if (nb == 0)
			continue;
		#pragma omp parallel num_threads(nt)
		{
			int tid = omp_get_thread_num();
			size_t b;

			while (!atomic_load(&failed) && (b = atomic_fetch_add(&next, 1)) < nblocks)
				if (b % (size_t)nranks == (size_t)rank &&
				    dp_mih_join(ix, b * bs, (b + 1) * bs, &part[tid]))
					atomic_store(&failed, 1);
		}
	}
	for (int t = 0; t < nt; t++) {
		if (!atomic_load(&failed) && dp_pairs_append(&mine, &part[t]))
			atomic_store(&failed, 1);
		dp_pairs_free(&part[t]);
	}
	free(part);
	/* Every rank (all of them, failed or not: the gather is collective)
	 * learns whether any failed, then every rank gets all the new pairs. */
	if (dp_mpi_max(atomic_load(&failed)) || dp_mpi_allgather_pairs(&mine, err) ||
	    dp_pairs_append(out, &mine)) {
		dp_pairs_free(&mine);
		return err->code ? err->code :
		       dp_err_set(err, DP_E_NOMEM, "cluster: out of memory in the pair search");
	}
	dp_pairs_free(&mine);
	dp_pairs_sort(out);
	return 0;
}

/* ---- the alignment check ---------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Index of row r in the sorted rows[0..n) (present). */
static size_t find_row(const uint32_t *rows, size_t n, uint32_t r)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (rows[mid] <= r)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The verdict on rows i, j whose thumbnails a, b do not align as a copy or
 * near copy: a near copy when both pictures are smooth (PDQ quality under
 * DP_FLAT_QUALITY: too little structure to align) and hold the same luma
 * (dp_align_same_tone; needs the stored tone), else verdict. Like any near
 * copy it joins a shot only where a row is dated (cluster.c).
 */
static uint8_t flat_verdict(const struct dp_table *t, uint32_t i, uint32_t j, const uint8_t *a,
			    const uint8_t *b, uint8_t verdict)
{
	if (verdict == DP_ALIGN_COPY || verdict == DP_ALIGN_NEAR_COPY || !t->thumb_gain ||
	    t->pdq_quality[i] >= DP_FLAT_QUALITY || t->pdq_quality[j] >= DP_FLAT_QUALITY)
		return verdict;
	return dp_align_same_tone(a, (const float[2]){ t->thumb_gain[i], t->thumb_offset[i] }, b,
				  (const float[2]){ t->thumb_gain[j], t->thumb_offset[j] })
		       ? DP_ALIGN_NEAR_COPY : verdict;
}

int dp_pipeline_align(const struct dp_table *t, const struct dp_pairs *cand, int threads,
		      uint8_t *verdict, struct dp_err *err)
{
	int nt = threads > 0 ? threads : omp_get_max_threads();
	int rank = dp_mpi_rank(), nranks = dp_mpi_size(), rc = 0;
	size_t nrows = 0, m = 0;
	uint32_t *rows = malloc((2 * (cand->n / (size_t)nranks + 1)) * sizeof(uint32_t));
	uint8_t (*thumbs)[DP_THUMB_BYTES] = NULL;
	atomic_int failed = 0;
	atomic_size_t next = 0;

	memset(verdict, 0, cand->n);
	/* The thumbnails of this rank's pairs (every nranks-th), read once each. */
	for (size_t k = (size_t)rank; rows && k < cand->n; k += (size_t)nranks) {
		rows[nrows++] = cand->v[k].i;
		rows[nrows++] = cand->v[k].j;
	}
	if (rows && nrows) {
		qsort(rows, nrows, sizeof(uint32_t), cmp_u32);
		for (size_t k = 0; k < nrows; k++)
			if (!m || rows[k] != rows[m - 1])
				rows[m++] = rows[k];
		thumbs = malloc(m * sizeof(*thumbs));
	}
	if (!rows || (nrows && !thumbs))
		rc = dp_err_set(err, DP_E_NOMEM, "cluster: out of memory for %zu thumbnails", m);
	else if (m)
		rc = dp_table_read_thumbs(t, rows, m, thumbs, err);
	if (rc == 0) {
		#pragma omp parallel num_threads(nt)
		{
			struct dp_align_work *w = malloc(sizeof(*w));
			size_t k;

			if (!w)
				atomic_store(&failed, 1);
			while (w && !atomic_load(&failed) && (k = atomic_fetch_add(&next, 1)) < cand->n) {
				struct dp_align_result res[2];

				if (k % (size_t)nranks != (size_t)rank)
					continue;
				const uint8_t *a = thumbs[find_row(rows, m, cand->v[k].i)];
				const uint8_t *b = thumbs[find_row(rows, m, cand->v[k].j)];

				dp_align_thumbs(dp_kernels_get(), a, b, w, res);
				verdict[k] = flat_verdict(t, cand->v[k].i, cand->v[k].j, a, b,
							  (uint8_t)dp_align_verdict(res));
			}
			free(w);
		}
		if (atomic_load(&failed))
			rc = dp_err_set(err, DP_E_NOMEM, "cluster: out of memory in the alignment check");
	}
	free(rows);
	free(thumbs);
	/* Every rank, failed or not (the calls are collective), learns whether
	 * any failed and gets every rank's verdicts. */
	if (dp_mpi_max(rc != 0) && !rc)
		rc = dp_err_set(err, DP_E_NOMEM, "cluster: another rank failed in the alignment check");
	dp_mpi_max_bytes(verdict, cand->n);
	return rc;
}

/* ---- centre-crop codes ---------------------------------------------------- */

int dp_pipeline_crop_codes(const struct dp_table *t, const uint32_t *rows, size_t n, int threads,
			   uint64_t *codes, uint8_t *info, struct dp_err *err)
{
	enum { BLOCK = 4096 };   /* rows read at a time: 16 MB of thumbnails */
	int nt = threads > 0 ? threads : omp_get_max_threads();
	int rank = dp_mpi_rank(), nranks = dp_mpi_size(), rc = 0;
	uint8_t (*thumbs)[DP_THUMB_BYTES] = malloc((n < BLOCK ? n + 1 : BLOCK) * sizeof(*thumbs));

	memset(codes, 0, n * DP_CROP_CODES * sizeof(uint64_t));
	memset(info, 0, n);
	if (!thumbs)
		rc = dp_err_set(err, DP_E_NOMEM, "cluster: out of memory for thumbnails");
	/* Block b on rank b % nranks; the others' codes stay 0 for the exchange. */
	for (size_t b = 0; !rc && b * BLOCK < n; b++) {
		size_t start = b * BLOCK, count = n - start < BLOCK ? n - start : BLOCK;

		if (b % (size_t)nranks != (size_t)rank)
			continue;
		if ((rc = dp_table_read_thumbs(t, rows + start, count, thumbs, err)) != 0)
			break;
		#pragma omp parallel for num_threads(nt) schedule(static)
		for (size_t k = 0; k < count; k++)
			info[start + k] = (uint8_t)dp_crop_codes(thumbs[k],
								 codes + (start + k) * DP_CROP_CODES);
	}
	free(thumbs);
	if (dp_mpi_max(rc != 0) && !rc)
		rc = dp_err_set(err, DP_E_IO, "cluster: another rank failed reading the thumbnails");
	dp_mpi_max_bytes((uint8_t *)codes, n * DP_CROP_CODES * sizeof(uint64_t));
	dp_mpi_max_bytes(info, n);
	return rc;
}

/* ---- report thumbnails ----------------------------------------------------- */

int dp_pipeline_thumbs(struct dp_thumb_job *jobs, size_t n, int threads, struct dp_err *err)
{
	int nt = threads > 0 ? threads : omp_get_max_threads();
	atomic_size_t next = 0;
	atomic_int failed = 0;

	dp_decode_prepare();
	#pragma omp parallel num_threads(nt)
	{
		struct dp_reader *rd = dp_reader_new();
		size_t i;

		if (!rd)
			atomic_store(&failed, 1);
		while (rd && (i = atomic_fetch_add(&next, 1)) < n)
			dp_thumb_make(rd, &jobs[i]);
		dp_reader_free(rd);
		dp_decode_thread_done();
	}
	if (atomic_load(&failed))
		return dp_err_set(err, DP_E_NOMEM, "report: out of memory for the thumbnail readers");
	return 0;
}
