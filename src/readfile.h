/* src/readfile.h - read one input file once: bytes in memory, SHA-256, size, mtime.
 *
 * Inputs are evidence: they are opened read-only (O_RDONLY, O_NOATIME where
 * the kernel allows it, O_NONBLOCK so that a FIFO swapped in after the walk
 * cannot hang us) and never written. The SHA-256 is computed while the bytes
 * stream in, so each file is read exactly once. Bytes beyond max_keep are
 * hashed but not kept (the file is then too large to decode); of a file
 * larger than max_keep when opened only the first 64 KiB are kept (enough to
 * name its format), so memory does not grow with the largest input.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_READFILE_H
#define DP_SRC_READFILE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct dp_file_data {
	const uint8_t *data;  /* borrowed from the reader; valid until its next read */
	size_t len;           /* bytes at data: min(size, max_keep), or the 64 KiB
				 prefix of a file over max_keep */
	uint64_t size;        /* bytes read in total */
	int complete;         /* 1 when data holds the whole file */
	int64_t mtime_ns;     /* modification time, ns since the Unix epoch */
	uint8_t sha256[32];
};

struct dp_reader;

/* dp_reader_new - per-thread reader (buffer + digest context); NULL on failure. */
struct dp_reader *dp_reader_new(void);
/* dp_reader_free - NULL is a no-op. */
void dp_reader_free(struct dp_reader *r);

/*
 * dp_reader_read - read `path` (borrowed) into the reader's buffer and fill *fd.
 * Returns 0 on success. On failure returns a negative dp_status, sets
 * *file_status (enum dp_file_status: UNREADABLE, NOT_REGULAR or CHANGED) and
 * writes "read: <cause>" into err. For CHANGED, *fd is still filled (SHA-256
 * of the bytes that were read). Thread-safe for distinct readers.
 */
int dp_reader_read(struct dp_reader *r, const char *path, uint64_t max_keep,
		   struct dp_file_data *fd, int *file_status, struct dp_err *err) DP_WUR;

/* dp_sha256_hex - 64 lowercase hex digits + NUL into out[65]. */
void dp_sha256_hex(const uint8_t sha[32], char out[65]);

#endif
