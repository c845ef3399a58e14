/* src/store_h5.h - the scan result file: HDF5 column datasets (docs/FORMAT.md).
 *
 * Writing: dp_store_create() makes "<path>.tmp-<pid>" next to the final name,
 * rows are appended in order and buffered per column (one chunk at a time),
 * dp_store_commit() writes the closing attributes, flushes, fsyncs and renames
 * the file into place, so the final name only ever holds a complete file.
 * Reading: dp_store_summarise() validates that a file is a doppel result of a
 * known format version and summarises it for `doppel info`.
 * HDF5 is used only in this module, and only from the main thread.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_STORE_H5_H
#define DP_SRC_STORE_H5_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "row.h"
#include "status.h"


/* Provenance and options written as root attributes. All borrowed. */
struct dp_store_meta {
	const char *tool_version;   /* "0.1.0 (git abc1234)" */
	const char *command;        /* the command line, shell-quoted */
	const char *const *roots;   /* paths as given */
	size_t nroots;
	const char *libraries;      /* decoder/library versions */
	unsigned hashes;            /* enum dp_hash_kind bits: datasets created */
	int orient, exact, reference, follow_symlinks, min_side, threads;
	uint64_t max_pixels, max_file_size;
	double time_limit_s;        /* per-file decode limit; 0 = none */
	/* A shard (scan --shard K/N, an MPI rank) holds rows [shard_first,
	 * shard_first + rows) of shard_total; shard_n = 0 for a whole scan. */
	int shard_k, shard_n;
	uint64_t shard_first, shard_total;
	const char *identity;       /* shards only: what the rows depend on (merge checks it) */
};

struct dp_store;

/* dp_store_init - once, main thread, before any other HDF5 call: silence
 * HDF5's automatic error printing and its shutdown at exit (see store_h5.c). */
void dp_store_init(void);

/*
 * dp_store_create - create the temporary file for `path` (borrowed) sized for
 * nrows rows, with every dataset and the opening attributes. Returns NULL and
 * fills err ("store: <tmp>: <cause>") when the file cannot be created.
 */
struct dp_store *dp_store_create(const char *path, size_t nrows,
				 const struct dp_store_meta *meta, struct dp_err *err);

/* dp_store_append - buffer one row (row->path must outlive the store);
 * writes a chunk when the buffer is full. Returns 0 or DP_E_HDF5/DP_E_ARG. */
int dp_store_append(struct dp_store *s, const struct dp_row *row, struct dp_err *err) DP_WUR;

/* dp_store_commit - flush, write closing attributes (finished time, counts),
 * close, fsync and rename into place; frees s in all cases (on failure the
 * temporary file is removed). Returns 0 or a negative dp_status. */
int dp_store_commit(struct dp_store *s, struct dp_err *err) DP_WUR;

/* dp_store_abort - close and remove the temporary file; frees s. NULL is a no-op. */
void dp_store_abort(struct dp_store *s);

/* dp_store_remove_stale - remove "<path>.tmp-<pid>" files left by scans that
 * were killed (their pid no longer runs). Call only while holding the
 * output's checkpoint lock. Best effort. */
void dp_store_remove_stale(const char *path);

/* dp_store_tmp_path - the temporary file's name (borrowed from s). */
const char *dp_store_tmp_path(const struct dp_store *s);

/* A result file's root attributes read back (dp_store_read_meta): meta's
 * strings point into the owned fields. */
struct dp_store_file_meta {
	struct dp_store_meta meta;
	size_t nrows;
	char *tool_version, *command, *libraries, *identity;
	char **roots;
};

/*
 * dp_store_read_meta - open `path` read-only as a doppel result and read its
 * provenance, options and shard attributes into *fm (free with
 * dp_store_file_meta_free, also after a failure). DP_E_IO, DP_E_FORMAT.
 */
int dp_store_read_meta(const char *path, struct dp_store_file_meta *fm, struct dp_err *err) DP_WUR;
void dp_store_file_meta_free(struct dp_store_file_meta *fm);

/* Reading a result's rows back, in order, as the scan wrote them. */
struct dp_store_rows;

/* dp_store_rows_open - every /images and /hashes dataset the writer knows
 * (hash datasets where present: *hashes gets their bits). NULL + err. */
struct dp_store_rows *dp_store_rows_open(const char *path, unsigned *hashes, size_t *nrows,
					 struct dp_err *err);
/* dp_store_rows_next - 1 and the next row in *row (row->path valid until the
 * next call), 0 after the last, or a negative dp_status. */
int dp_store_rows_next(struct dp_store_rows *r, struct dp_row *row, struct dp_err *err) DP_WUR;
/* dp_store_rows_close - NULL is a no-op. */
void dp_store_rows_close(struct dp_store_rows *r);

struct dp_format_count {
	char name[16];
	size_t count;
};

/* What `doppel info` shows. Strings are owned; free with dp_store_summary_free. */
struct dp_store_summary {
	int format_version;
	char *tool_version, *command, *created, *finished, *host, *hashes, *libraries;
	char **roots;
	size_t nroots;
	size_t nrows;
	size_t status_count[DP_ST_COUNT];
	size_t status_other;         /* values outside the known enum */
	struct dp_format_count formats[16];
	size_t nformats;             /* distinct formats (the rest counted as "other") */
	size_t dup_files, dup_groups;     /* files sharing a SHA-256 with another; groups */
	size_t with_capture_time, with_camera;
	uint64_t total_bytes;
};

/*
 * dp_store_summarise - open `path` read-only, check it is a doppel file of a
 * supported version, and fill *sum. Errors: DP_E_IO (missing/unreadable),
 * DP_E_FORMAT (not HDF5, not doppel, unsupported version, damaged datasets).
 * Never modifies the file.
 */
int dp_store_summarise(const char *path, struct dp_store_summary *sum, struct dp_err *err) DP_WUR;

/* dp_store_summary_free - free the strings; NULL is a no-op. */
void dp_store_summary_free(struct dp_store_summary *sum);

/* dp_store_library_version - "HDF5 1.10.8" into out. */
void dp_store_library_version(char *out, size_t n);

#endif
