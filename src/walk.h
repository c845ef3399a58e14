/* src/walk.h - expand the command-line paths into the sorted list of files to scan.
 *
 * Roots may be files or directories; directories are walked recursively.
 * Command-line roots are always resolved (like find -H); symbolic links met
 * inside directories are recorded, not followed, unless follow_symlinks is
 * set, and a directory that is its own ancestor is never entered twice. Entries
 * that cannot be scanned (unreadable directory, FIFO, symlink not followed,
 * loop) are kept as entries with a status so that the scan reports them as
 * rows. The list is sorted by path bytes (strcmp) and duplicate paths are
 * removed, so row i is the same file whatever the order of the roots, the
 * directory order of the file system or the number of threads.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_WALK_H
#define DP_SRC_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct dp_walk_entry {
	char *path;      /* owned by the list; exact bytes (may be invalid UTF-8) */
	uint64_t size;   /* bytes as seen by the walk (lstat/stat); 0 for non-files */
	int status;      /* enum dp_file_status: DP_ST_OK = a file for the scanner to read */
	char *message;   /* owned; NULL when status is DP_ST_OK */
};

struct dp_filelist {
	struct dp_walk_entry *v;
	size_t n, cap;
	uint64_t total_bytes;   /* sum of size over entries with status DP_ST_OK */
};

struct dp_walk_opts {
	int follow_symlinks;    /* follow symbolic links inside directories */
};

/*
 * dp_walk - walk `roots` (nroots paths, borrowed) into *out (must be zeroed;
 * free with dp_filelist_free). Per-entry problems become entries with a
 * status. Returns 0; DP_E_ARG when a root does not exist (message names it);
 * DP_E_NOMEM. On error *out holds what was found so far (still to be freed).
 * Not thread-safe (uses the process's working directory paths only).
 */
int dp_walk(const char *const *roots, size_t nroots, const struct dp_walk_opts *o,
	    struct dp_filelist *out, struct dp_err *err) DP_WUR;

/* dp_filelist_free - free paths, messages and the array. NULL is a no-op. */
void dp_filelist_free(struct dp_filelist *fl);

#endif
