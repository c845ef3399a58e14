/* src/scanfile.h - one walk entry -> one row: read once, identify, decode, hash.
 *
 * The per-file work of a scan, without threads: the pipeline calls it from
 * its workers, each with its own struct dp_worker, and other commands (query)
 * call it to hash a single file the way scan does.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_SCANFILE_H
#define DP_SRC_SCANFILE_H

#include <stdint.h>

#include "decode.h"
#include "row.h"
#include "walk.h"

#define DP_MAX_FILE_SIZE (512ULL << 20)   /* default: larger files are hashed, not decoded */

struct dp_scan_opts {
	int threads;                   /* worker threads; 0 = OpenMP's default (all cores) */
	unsigned hashes;               /* enum dp_hash_kind bits */
	struct dp_decode_opts decode;
	uint64_t max_file_size;        /* bytes kept in memory for decoding */
	const volatile int *stop;      /* set (e.g. by a signal handler) to stop early; may be NULL */
};

/* dp_scan_opts_default - defaults for every field (stop NULL, threads 0). */
void dp_scan_opts_default(struct dp_scan_opts *o);

struct dp_worker;

/* dp_worker_new - per-thread reader, decoder, pixel and hash scratch; NULL on failure. */
struct dp_worker *dp_worker_new(void);
/* dp_worker_free - NULL is a no-op. */
void dp_worker_free(struct dp_worker *w);

/*
 * dp_scan_one - fill *row for entry e (borrowed; row->path points into it).
 * Never fails as a whole: every problem becomes row->status + row->message.
 * Thread-safe for distinct workers.
 */
void dp_scan_one(struct dp_worker *w, const struct dp_walk_entry *e,
		 const struct dp_scan_opts *o, struct dp_row *row);

/* dp_worker_image - the pixels dp_scan_one() last decoded and hashed
 * (borrowed; valid until the worker's next use) when that row's status was
 * DP_ST_OK; NULL before any file. Lets callers compute more from them. */
const struct dp_image *dp_worker_image(const struct dp_worker *w);

#endif
