/* src/scanfile.c - the per-file scan step (see scanfile.h).
 *
 * Order of the checks follows what a reader of the result needs first: the
 * identity (size, mtime, SHA-256) of every file that could be read at all,
 * then what the content is, then pixels and hashes. A file that is not an
 * image, or is too large to decode, still gets its digest.
 *
 * SPDX-License-Identifier: MIT
 */
#include "scanfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "readfile.h"
#include "sniff.h"
#include "status.h"

struct dp_worker {
	struct dp_reader *reader;
	struct dp_decoder *decoder;
	struct dp_image image;
	struct dp_hash_scratch *hs;
};

void dp_scan_opts_default(struct dp_scan_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->hashes = DP_HASH_DEFAULT;
	o->decode.orient = 1;
	o->decode.exact = 0;
	o->decode.max_pixels = DP_DECODE_MAX_PIXELS;
	o->decode.min_side = DP_DECODE_MIN_SIDE;
	o->decode.time_limit_s = DP_DECODE_TIME_LIMIT;
	o->max_file_size = DP_MAX_FILE_SIZE;
}

struct dp_worker *dp_worker_new(void)
{
	struct dp_worker *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->reader = dp_reader_new();
	w->decoder = dp_decoder_new();
	w->hs = dp_hash_scratch_new();
	if (!w->reader || !w->decoder || !w->hs) {
		dp_worker_free(w);
		return NULL;
	}
	return w;
}

void dp_worker_free(struct dp_worker *w)
{
	if (!w)
		return;
	dp_reader_free(w->reader);
	dp_decoder_free(w->decoder);
	dp_image_release(&w->image);
	dp_hash_scratch_free(w->hs);
	free(w);
}

const struct dp_image *dp_worker_image(const struct dp_worker *w)
{
	return w->image.pix ? &w->image : NULL;
}

static void set_message(struct dp_row *row, const char *msg)
{
	snprintf(row->message, sizeof(row->message), "%s", msg ? msg : "");
}

/* "not an image" is more useful with what the name claimed. */
static void note_extension(struct dp_row *row)
{
	enum dp_format ext = dp_format_from_extension(row->path);
	size_t n = strlen(row->message);

	if (ext != DP_FMT_UNKNOWN && dp_format_is_image(ext))
		snprintf(row->message + n, sizeof(row->message) - n,
			 "; the file name says %s", dp_format_name(ext));
}

static void copy_decode_info(struct dp_row *row, const struct dp_decode_info *info)
{
	row->width = info->width > 0 ? (uint32_t)info->width : 0;
	row->height = info->height > 0 ? (uint32_t)info->height : 0;
	row->orientation = (uint8_t)info->orientation;
	row->exif = info->exif;
}

void dp_scan_one(struct dp_worker *w, const struct dp_walk_entry *e,
		 const struct dp_scan_opts *o, struct dp_row *row)
{
	struct dp_file_data fd;
	struct dp_decode_info info;
	struct dp_err err;
	enum dp_format fmt;
	int st;

	memset(row, 0, sizeof(*row));
	row->path = e->path;
	row->size = e->size;
	row->status = e->status;
	if (e->status != DP_ST_OK) {
		set_message(row, e->message);
		return;
	}
	dp_err_clear(&err);
	if (dp_reader_read(w->reader, e->path, o->max_file_size, &fd, &st, &err) != 0) {
		row->status = st;
		set_message(row, err.msg);
		if (st == DP_ST_CHANGED) {
			row->size = fd.size;
			row->mtime_ns = fd.mtime_ns;
			memcpy(row->sha256, fd.sha256, 32);
		}
		return;
	}
	row->size = fd.size;
	row->mtime_ns = fd.mtime_ns;
	memcpy(row->sha256, fd.sha256, 32);
	fmt = dp_sniff(fd.data, fd.len);
	if (fmt != DP_FMT_UNKNOWN)
		snprintf(row->format, sizeof(row->format), "%s", dp_format_name(fmt));
	if (!fd.complete) {
		row->status = dp_format_is_image(fmt) ? DP_ST_TOO_LARGE : DP_ST_NOT_IMAGE;
		snprintf(row->message, sizeof(row->message),
			 "read: %llu bytes exceed --max-file-size (%llu): digest only, not decoded",
			 (unsigned long long)fd.size, (unsigned long long)o->max_file_size);
		return;
	}
	if (dp_decode(w->decoder, fd.data, fd.len, &o->decode, &w->image, &info, &err) != 0) {
		copy_decode_info(row, &info);
		row->status = info.status;
		set_message(row, err.msg);
		if (row->status == DP_ST_NOT_IMAGE)
			note_extension(row);
		return;
	}
	copy_decode_info(row, &info);
	if (dp_hash_image(&w->image, o->hashes, w->hs, &row->hashes, &err) != 0) {
		row->status = DP_ST_TOO_LARGE;
		set_message(row, err.msg);
		return;
	}
	row->status = DP_ST_OK;
	if (info.warning[0])
		snprintf(row->message, sizeof(row->message), "decode: warning: %s", info.warning);
}
