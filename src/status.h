/* src/status.h - the per-file outcome recorded in every row of a scan.
 *
 * Values are part of the on-disk format (docs/FORMAT.md, /images/status):
 * never renumber, only append. DP_ST_OK is the only success; every other value
 * comes with a message naming the cause.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_STATUS_H
#define DP_SRC_STATUS_H

enum dp_file_status {
	DP_ST_OK = 0,          /* read, decoded and hashed */
	DP_ST_UNREADABLE = 1,  /* could not open or read (permission, vanished, I/O error) */
	DP_ST_EMPTY = 2,       /* zero bytes */
	DP_ST_NOT_IMAGE = 3,   /* content is not an image format we recognise */
	DP_ST_TRUNCATED = 4,   /* image data ends early */
	DP_ST_CORRUPT = 5,     /* image data is damaged */
	DP_ST_TOO_LARGE = 6,   /* over --max-pixels or --max-file-size: refused before decoding */
	DP_ST_UNSUPPORTED = 7, /* an image format this build cannot decode */
	DP_ST_NOT_REGULAR = 8, /* FIFO, socket or device: never opened */
	DP_ST_SYMLINK = 9,     /* symbolic link not followed */
	DP_ST_LOOP = 10,       /* directory cycle through symbolic links */
	DP_ST_CHANGED = 11,    /* file changed size while it was being read */
	DP_ST_TIMEOUT = 12,    /* decoding took longer than --time-limit: stopped */
};
#define DP_ST_COUNT 13

/* dp_file_status_name - stable lowercase name ("ok", "unreadable", ...);
 * "invalid" for values outside the enum. */
const char *dp_file_status_name(int status);

#endif
