/* src/table.h - a scan result loaded into memory, column by column, for cluster, query and export.
 *
 * Only the columns those commands need: identity (path, size, SHA-256,
 * status and its message, format, dimensions), capture metadata, and the hash datasets the
 * file holds. Row i is row i of the file (sorted by path bytes).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_TABLE_H
#define DP_SRC_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash.h"

struct dp_table {
	size_t n;                   /* rows */
	int format_version;
	int orient, exact, reference;   /* the scan's decoding options (root attributes) */
	char **path;                /* raw bytes as stored, NUL-terminated */
	uint64_t *size;
	int64_t *mtime;             /* ns since 1970 UTC; 0 when never opened */
	uint8_t (*sha256)[32];
	uint8_t *status;            /* enum dp_file_status */
	uint32_t *width, *height;
	char **format;
	char **message;             /* why the status is not ok, or a warning; "" */
	char **capture_time;        /* ISO 8601 or "" */
	char **camera_make, **camera_model, **camera_serial;
	unsigned hashes;            /* enum dp_hash_kind bits of the datasets present */
	uint8_t (*pdq)[32];         /* NULL unless DP_HASH_PDQ */
	uint8_t *pdq_quality;
	uint8_t (*pdq_trim)[32];    /* PDQ inside uniform borders (all zero: none); NULL in older files */
	uint8_t *pdq_trim_quality;
	uint8_t (*pdq_dihedral)[256];   /* 8 rotations/mirrors x 32 bytes; NULL unless "pdqdih" */
	uint64_t *phash, *dhash, *ahash;   /* NULL unless present */
	float *thumb_gain, *thumb_offset;  /* the thumbnails' tone; NULL in older files */
	char *file;                 /* the result file's path (thumbnails are read from it on demand) */
};

/*
 * dp_table_load - read the result file at `path` (borrowed; opened
 * read-only, never modified) into *t. stage prefixes error messages
 * ("cluster", "query"...). Returns 0, DP_E_IO (missing/unreadable),
 * DP_E_FORMAT (not a doppel file, unknown version, damaged or missing
 * datasets) or DP_E_NOMEM. On failure *t is left empty.
 */
int dp_table_load(const char *path, const char *stage, struct dp_table *t, struct dp_err *err)
	DP_WUR;

/*
 * dp_table_read_thumbs - the thumbnails (/hashes/thumb) of rows[0..n)
 * (strictly increasing, < t->n) into out[0..n), read from t->file a chunk
 * of rows at a time, so memory follows the rows asked for, not the file.
 * Returns 0, DP_E_ARG (the file has no thumbnails, bad rows), DP_E_IO or
 * DP_E_FORMAT (file gone or damaged since it was loaded), with a message.
 */
int dp_table_read_thumbs(const struct dp_table *t, const uint32_t *rows, size_t n,
			 uint8_t (*out)[DP_THUMB_BYTES], struct dp_err *err) DP_WUR;

/* dp_table_free - free every column; the struct may be reused. NULL is a no-op. */
void dp_table_free(struct dp_table *t);

#endif
