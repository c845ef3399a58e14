/* src/checkpoint.h - the durable record of a scan's finished rows, for --resume.
 *
 * While `doppel scan` writes OUT, every finished row is also appended to
 * "OUT.checkpoint": a header naming the scan (tool version, options, roots,
 * the command line) and then one framed record per row, in row order, each
 * with its length and CRC-32. The file is fsynced at a bounded interval, so
 * a crash (kill -9, power loss) loses at most that interval's rows; a torn
 * last record fails its CRC and is cut off on resume. The checkpoint is held
 * under an exclusive flock while a scan runs (a second scan of the same
 * output is refused) and removed once OUT is complete.
 * docs/FORMAT.md ("Checkpoint") describes the layout. Main thread only.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_CHECKPOINT_H
#define DP_SRC_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "row.h"

struct dp_checkpoint;

enum dp_checkpoint_mode {
	DP_CKPT_NEW,      /* start a fresh record; an existing one with rows is refused */
	DP_CKPT_REPLACE,  /* start a fresh record, discarding any existing one */
	DP_CKPT_RESUME,   /* continue an existing record (a fresh one if there is none) */
};

/*
 * dp_checkpoint_open - open or create "<out>.checkpoint" (out borrowed) and
 * lock it. identity (borrowed) names everything the rows depend on; command
 * is the command line to keep for the result file. With DP_CKPT_RESUME an
 * existing record must carry the same identity; its rows are then read back
 * with dp_checkpoint_next(). Returns NULL with err set: DP_E_IO (cannot
 * create or lock: another scan, read-only folder), DP_E_ARG (a record
 * exists and mode is DP_CKPT_NEW; or it belongs to a different scan),
 * DP_E_FORMAT (not a doppel checkpoint), DP_E_NOMEM.
 */
struct dp_checkpoint *dp_checkpoint_open(const char *out, const char *identity,
					 const char *command, enum dp_checkpoint_mode mode,
					 struct dp_err *err);

/* dp_checkpoint_command - the command line of the scan that started the
 * record (the current one for a fresh record); borrowed from cp. */
const char *dp_checkpoint_command(const struct dp_checkpoint *cp);

/* dp_checkpoint_path - "<out>.checkpoint" (borrowed from cp). */
const char *dp_checkpoint_path(const struct dp_checkpoint *cp);

/*
 * dp_checkpoint_next - read the next stored row into *row; row->path points
 * to a buffer owned by cp, valid until the next call. Returns 1 with a row,
 * 0 at the end of the intact records (a torn or damaged tail ends them too).
 */
int dp_checkpoint_next(struct dp_checkpoint *cp, struct dp_row *row);

/*
 * dp_checkpoint_keep - keep the first n rows read back and drop the rest of
 * the file, so that appending continues at row n. Call once, after reading.
 * Returns 0 or DP_E_IO.
 */
int dp_checkpoint_keep(struct dp_checkpoint *cp, size_t n, struct dp_err *err) DP_WUR;

/* dp_checkpoint_set_interval - fsync at most every `seconds` (0: after every row). */
void dp_checkpoint_set_interval(struct dp_checkpoint *cp, double seconds);

/* dp_checkpoint_append - record one finished row; written and fsynced when
 * the interval has passed. Returns 0 or DP_E_IO (disk full...). */
int dp_checkpoint_append(struct dp_checkpoint *cp, const struct dp_row *row,
			 struct dp_err *err) DP_WUR;

/* dp_checkpoint_sync - write out and fsync every appended row. 0 or DP_E_IO. */
int dp_checkpoint_sync(struct dp_checkpoint *cp, struct dp_err *err) DP_WUR;

/* dp_checkpoint_rows - rows recorded so far (kept + appended). */
size_t dp_checkpoint_rows(const struct dp_checkpoint *cp);

/* dp_checkpoint_close - sync what can be synced and close, keeping the file
 * for a later --resume; frees cp. NULL is a no-op. */
void dp_checkpoint_close(struct dp_checkpoint *cp);

/* dp_checkpoint_remove - delete the file (the result is complete) and free cp. */
void dp_checkpoint_remove(struct dp_checkpoint *cp);

/*
 * dp_checkpoint_describe - for `doppel info`: when path is a checkpoint,
 * fill *rows (intact records) and *command (malloc'd; caller frees) and
 * return 1; 0 when it is not one; DP_E_IO when it cannot be read.
 */
int dp_checkpoint_describe(const char *path, size_t *rows, char **command,
			   struct dp_err *err) DP_WUR;

#endif
