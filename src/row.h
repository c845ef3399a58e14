/* src/row.h - everything a scan records about one input file (one row).
 *
 * Produced by the pipeline (one per walk entry, in walk order) and consumed by
 * the store, which writes each field into its column dataset
 * (docs/FORMAT.md). Fields that do not apply keep their zero value; status
 * says why.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_ROW_H
#define DP_SRC_ROW_H

#include <stdint.h>

#include "err.h"
#include "exif.h"
#include "hash.h"

struct dp_row {
	const char *path;          /* borrowed from the file list */
	int status;                /* enum dp_file_status */
	char message[DP_ERR_MSG_MAX];  /* cause when status != OK, or a warning; "" otherwise */
	uint64_t size;             /* bytes read (walk size when never opened) */
	int64_t mtime_ns;          /* ns since the Unix epoch; 0 when never opened */
	uint8_t sha256[32];        /* all zero when the file could not be read */
	uint32_t width, height;    /* stored pixels (before orientation); 0 when unknown */
	uint8_t orientation;       /* EXIF orientation 1..8; 0 when absent */
	char format[16];           /* content format ("jpeg", "png"...); "" when unknown */
	struct dp_exif exif;       /* capture time, camera make, model, serial */
	struct dp_hashes hashes;   /* zero unless status is OK */
};

#endif
