/* src/store_h5.c - HDF5 writer and reader of scan results (see store_h5.h).
 *
 * The columns are described once, in the table `columns` below (group, name,
 * element kind, which dp_row field feeds it); creation, buffering, writing and
 * the FORMAT.md documentation all follow that table. Every dataset is 1-D
 * (or N x 32 for digests), extendible, chunked by DP_CHUNK_ROWS rows and
 * compressed with shuffle + deflate only, so any HDF5 reader opens it without
 * plugins. Strings are variable-length with the UTF-8 character set; a path
 * that is not valid UTF-8 is stored as its exact bytes.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "store_h5.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5util.h"
#include "hash.h"
#include "stale.h"

#define DP_CHUNK_ROWS 8192
#define DP_DEFLATE_LEVEL 4

enum col_kind {
	COL_U8, COL_U32, COL_U64, COL_I64, COL_F32, COL_STATUS,
	COL_BYTES,      /* uint8_t[W] field -> N x W dataset (W = the field's size) */
	COL_TEXT,       /* char[] field -> vlen string */
	COL_PATH,       /* const char * field -> vlen string */
};

struct column {
	const char *group, *name;
	enum col_kind kind;
	unsigned hash;          /* enum dp_hash_kind bit this column needs; 0 = always */
	size_t off, size;       /* field of struct dp_row */
};

#define ROWF(f) offsetof(struct dp_row, f), sizeof(((struct dp_row *)0)->f)

static const struct column columns[] = {
	{ "images", "path", COL_PATH, 0, ROWF(path) },
	{ "images", "size", COL_U64, 0, ROWF(size) },
	{ "images", "mtime", COL_I64, 0, ROWF(mtime_ns) },
	{ "images", "sha256", COL_BYTES, 0, ROWF(sha256) },
	{ "images", "status", COL_STATUS, 0, ROWF(status) },
	{ "images", "message", COL_TEXT, 0, ROWF(message) },
	{ "images", "format", COL_TEXT, 0, ROWF(format) },
	{ "images", "width", COL_U32, 0, ROWF(width) },
	{ "images", "height", COL_U32, 0, ROWF(height) },
	{ "images", "orientation", COL_U8, 0, ROWF(orientation) },
	{ "images", "capture_time", COL_TEXT, 0, ROWF(exif.capture_time) },
	{ "images", "camera_make", COL_TEXT, 0, ROWF(exif.make) },
	{ "images", "camera_model", COL_TEXT, 0, ROWF(exif.model) },
	{ "images", "camera_serial", COL_TEXT, 0, ROWF(exif.serial) },
	{ "hashes", "pdq", COL_BYTES, DP_HASH_PDQ, ROWF(hashes.pdq) },
	{ "hashes", "pdq_quality", COL_U8, DP_HASH_PDQ, ROWF(hashes.pdq_quality) },
	{ "hashes", "pdq_trim", COL_BYTES, DP_HASH_PDQ, ROWF(hashes.pdq_trim) },
	{ "hashes", "pdq_trim_quality", COL_U8, DP_HASH_PDQ, ROWF(hashes.pdq_trim_quality) },
	{ "hashes", "pdq_dihedral", COL_BYTES, DP_HASH_PDQDIH, ROWF(hashes.pdq_dihedral) },
	{ "hashes", "phash", COL_U64, DP_HASH_PHASH, ROWF(hashes.phash) },
	{ "hashes", "dhash", COL_U64, DP_HASH_DHASH, ROWF(hashes.dhash) },
	{ "hashes", "ahash", COL_U64, DP_HASH_AHASH, ROWF(hashes.ahash) },
	{ "hashes", "thumb", COL_BYTES, DP_HASH_THUMB, ROWF(hashes.thumb) },
	{ "hashes", "thumb_gain", COL_F32, DP_HASH_THUMB, ROWF(hashes.thumb_gain) },
	{ "hashes", "thumb_offset", COL_F32, DP_HASH_THUMB, ROWF(hashes.thumb_offset) },
};
#define NCOLS (sizeof(columns) / sizeof(columns[0]))

struct colbuf {
	hid_t dset;             /* -1 when the column is not stored */
	void *data;             /* DP_CHUNK_ROWS elements in memory layout */
	char *text;             /* COL_TEXT: DP_CHUNK_ROWS * field size */
};

struct dp_store {
	char *path, *tmp;
	hid_t file;
	size_t nrows, written, buffered;
	size_t nerrors;
	hid_t t_str, t_status;
	struct colbuf col[NCOLS];
};

void dp_store_init(void)
{
	/* No library shutdown at exit: after a write failed for lack of space,
	 * HDF5 1.10 keeps the file it could not close and crashes retrying the
	 * flush in its atexit handler. Everything we wrote was closed or removed;
	 * the kernel releases the rest. */
	H5dont_atexit();
	H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void dp_store_library_version(char *out, size_t n)
{
	unsigned maj = 0, min = 0, rel = 0;

	H5get_libversion(&maj, &min, &rel);
	snprintf(out, n, "HDF5 %u.%u.%u", maj, min, rel);
}

const char *dp_store_tmp_path(const struct dp_store *s)
{
	return s->tmp;
}

static hid_t make_status_type(void)
{
	hid_t t = H5Tenum_create(H5T_NATIVE_UINT8);

	if (t < 0)
		return t;
	for (int i = 0; i < DP_ST_COUNT; i++) {
		uint8_t v = (uint8_t)i;

		if (H5Tenum_insert(t, dp_file_status_name(i), &v) < 0) {
			H5Tclose(t);
			return -1;
		}
	}
	return t;
}

static size_t elem_size(const struct column *c)
{
	switch (c->kind) {
	case COL_U8: case COL_STATUS: return 1;
	case COL_U32: case COL_F32: return 4;
	case COL_U64: case COL_I64: return 8;
	case COL_BYTES: return c->size;
	case COL_TEXT: case COL_PATH: return sizeof(char *);
	}
	return 0;
}

static hid_t mem_type(const struct dp_store *s, enum col_kind k)
{
	switch (k) {
	case COL_U8: case COL_BYTES: return H5T_NATIVE_UINT8;
	case COL_STATUS: return s->t_status;
	case COL_U32: return H5T_NATIVE_UINT32;
	case COL_F32: return H5T_NATIVE_FLOAT;
	case COL_U64: return H5T_NATIVE_UINT64;
	case COL_I64: return H5T_NATIVE_INT64;
	case COL_TEXT: case COL_PATH: return s->t_str;
	}
	return -1;
}

/* File types are fixed little-endian so the bytes do not depend on the host. */
static hid_t file_type(const struct dp_store *s, enum col_kind k)
{
	switch (k) {
	case COL_U8: case COL_BYTES: return H5T_STD_U8LE;
	case COL_STATUS: return s->t_status;
	case COL_U32: return H5T_STD_U32LE;
	case COL_F32: return H5T_IEEE_F32LE;
	case COL_U64: return H5T_STD_U64LE;
	case COL_I64: return H5T_STD_I64LE;
	case COL_TEXT: case COL_PATH: return s->t_str;
	}
	return -1;
}

static hid_t create_dataset(struct dp_store *s, hid_t grp, const struct column *c)
{
	int rank = c->kind == COL_BYTES ? 2 : 1;
	hsize_t dims[2] = { s->nrows, c->size };
	hsize_t maxd[2] = { H5S_UNLIMITED, c->size };
	/* Wide columns (thumbnails) in chunks of about 1 MB, so that reading a few
	 * rows does not inflate 32 MB. */
	hsize_t chunk[2] = { rank == 2 && c->size > 128 ? (1u << 20) / c->size : DP_CHUNK_ROWS,
			     c->size };
	hid_t space, dcpl, d = -1;

	space = H5Screate_simple(rank, dims, maxd);
	dcpl = H5Pcreate(H5P_DATASET_CREATE);
	if (space >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, rank, chunk) >= 0 &&
	    H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, DP_DEFLATE_LEVEL) >= 0)
		d = H5Dcreate2(grp, c->name, file_type(s, c->kind), space, H5P_DEFAULT, dcpl,
			       H5P_DEFAULT);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (space >= 0)
		H5Sclose(space);
	return d;
}

static int write_opening_attrs(struct dp_store *s, const struct dp_store_meta *m)
{
	char now[40], host[256], hashes[64] = "";
	hid_t f = s->file, t = s->t_str;

	dp_h5_iso_now(now, sizeof(now));
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	for (unsigned k = 1; k <= DP_HASH_LAST; k <<= 1) {
		if (!(m->hashes & k))
			continue;
		if (hashes[0])
			strcat(hashes, ",");
		strcat(hashes, dp_hash_kind_name(k));
	}
	if (dp_h5_set_attr_str(f, "format", DP_H5_FORMAT_NAME, t) ||
	    dp_h5_set_attr_i64(f, "format_version", DP_H5_FORMAT_VERSION) ||
	    dp_h5_set_attr_str(f, "tool_version", m->tool_version, t) ||
	    dp_h5_set_attr_str(f, "command", m->command, t) ||
	    dp_h5_set_attr_str(f, "created", now, t) ||
	    dp_h5_set_attr_str(f, "host", host, t) ||
	    dp_h5_set_attr_strs(f, "roots", m->roots, m->nroots, t) ||
	    dp_h5_set_attr_str(f, "libraries", m->libraries, t) ||
	    dp_h5_set_attr_str(f, "hashes", hashes, t) ||
	    dp_h5_set_attr_i64(f, "orient", m->orient) ||
	    dp_h5_set_attr_i64(f, "exact", m->exact) ||
	    dp_h5_set_attr_i64(f, "reference_pdq", m->reference) ||
	    dp_h5_set_attr_i64(f, "follow_symlinks", m->follow_symlinks) ||
	    dp_h5_set_attr_i64(f, "min_side", m->min_side) ||
	    dp_h5_set_attr_i64(f, "max_pixels", (int64_t)m->max_pixels) ||
	    dp_h5_set_attr_i64(f, "max_file_size", (int64_t)m->max_file_size) ||
	    dp_h5_set_attr_i64(f, "time_limit_ms", (int64_t)(m->time_limit_s * 1000 + 0.999)) ||
	    dp_h5_set_attr_i64(f, "threads", m->threads) ||
	    dp_h5_set_attr_i64(f, "n_rows", (int64_t)s->nrows))
		return -1;
	if (m->shard_n > 0 &&
	    (dp_h5_set_attr_i64(f, "shard_index", m->shard_k) ||
	     dp_h5_set_attr_i64(f, "shard_count", m->shard_n) ||
	     dp_h5_set_attr_i64(f, "shard_first_row", (int64_t)m->shard_first) ||
	     dp_h5_set_attr_i64(f, "shard_total_rows", (int64_t)m->shard_total) ||
	     dp_h5_set_attr_str(f, "scan_identity", m->identity ? m->identity : "", t)))
		return -1;
	return 0;
}

static void close_all(struct dp_store *s)
{
	for (size_t i = 0; i < NCOLS; i++) {
		if (s->col[i].dset >= 0)
			H5Dclose(s->col[i].dset);
		s->col[i].dset = -1;
		free(s->col[i].data);
		free(s->col[i].text);
		s->col[i].data = s->col[i].text = NULL;
	}
	if (s->t_str >= 0)
		H5Tclose(s->t_str);
	if (s->t_status >= 0)
		H5Tclose(s->t_status);
	if (s->file >= 0)
		H5Fclose(s->file);
	s->t_str = s->t_status = s->file = -1;
}

/* No file, types or datasets open yet (ids -1), so close_all() is safe. */
static void store_reset(struct dp_store *s)
{
	s->file = s->t_str = s->t_status = -1;
	for (size_t i = 0; i < NCOLS; i++)
		s->col[i].dset = -1;
}

static void store_free(struct dp_store *s)
{
	close_all(s);
	free(s->path);
	free(s->tmp);
	free(s);
}

static int create_columns(struct dp_store *s, unsigned hashes)
{
	hid_t grp[2];
	const char *gname[2] = { "images", "hashes" };
	int rc = 0;

	for (int g = 0; g < 2; g++)
		grp[g] = H5Gcreate2(s->file, gname[g], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	for (size_t i = 0; i < NCOLS && rc == 0; i++) {
		const struct column *c = &columns[i];
		hid_t gid = grp[strcmp(c->group, "images") ? 1 : 0];

		if (c->hash && !(hashes & c->hash))
			continue;
		s->col[i].data = calloc(DP_CHUNK_ROWS, elem_size(c));
		if (c->kind == COL_TEXT)
			s->col[i].text = calloc(DP_CHUNK_ROWS, c->size);
		if (gid < 0 || !s->col[i].data || (c->kind == COL_TEXT && !s->col[i].text))
			rc = -1;
		else if ((s->col[i].dset = create_dataset(s, gid, c)) < 0)
			rc = -1;
	}
	for (int g = 0; g < 2; g++)
		if (grp[g] >= 0)
			H5Gclose(grp[g]);
	return rc;
}

struct dp_store *dp_store_create(const char *path, size_t nrows,
				 const struct dp_store_meta *meta, struct dp_err *err)
{
	struct dp_store *s = calloc(1, sizeof(*s));
	size_t n;

	if (!s) {
		dp_err_set(err, DP_E_NOMEM, "store: out of memory");
		return NULL;
	}
	store_reset(s);
	s->nrows = nrows;
	n = strlen(path) + 32;
	s->path = strdup(path);
	s->tmp = malloc(n);
	if (!s->path || !s->tmp) {
		dp_err_set(err, DP_E_NOMEM, "store: out of memory");
		goto out_free;
	}
	snprintf(s->tmp, n, "%s.tmp-%ld", path, (long)getpid());
	s->file = H5Fcreate(s->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
	if (s->file < 0) {
		int fd = open(s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

		/* HDF5 hides errno; try the same creation ourselves to name the cause. */
		dp_err_set(err, DP_E_IO, "store: %s: cannot create output file: %s", s->tmp,
			   fd < 0 ? strerror(errno) : "HDF5 refused to create it");
		if (fd >= 0) {
			close(fd);
			unlink(s->tmp);
		}
		goto out_free;
	}
	s->t_str = dp_h5_str_type();
	s->t_status = make_status_type();
	if (s->t_str < 0 || s->t_status < 0 || create_columns(s, meta->hashes) ||
	    write_opening_attrs(s, meta)) {
		dp_err_set(err, DP_E_HDF5, "store: %s: cannot create datasets (disk full?)",
			   s->tmp);
		close_all(s);
		unlink(s->tmp);
		goto out_free;
	}
	return s;
out_free:
	store_free(s);
	return NULL;
}

static void buffer_row(struct dp_store *s, const struct dp_row *row)
{
	size_t r = s->buffered;

	for (size_t i = 0; i < NCOLS; i++) {
		const struct column *c = &columns[i];
		const char *field = (const char *)row + c->off;
		struct colbuf *b = &s->col[i];
		size_t es = elem_size(c);
		char *dst;

		if (b->dset < 0)
			continue;
		dst = (char *)b->data + r * es;
		switch (c->kind) {
		case COL_STATUS: {
			int st = *(const int *)field;

			*(uint8_t *)dst = (uint8_t)st;
			break;
		}
		case COL_TEXT: {
			char *t = b->text + r * c->size;

			memcpy(t, field, c->size);
			t[c->size - 1] = '\0';
			*(char **)dst = t;
			break;
		}
		case COL_PATH:
			*(const char **)dst = *(const char *const *)field;
			break;
		default:
			memcpy(dst, field, es);
			break;
		}
	}
	s->buffered++;
}

static int flush(struct dp_store *s, struct dp_err *err)
{
	if (s->buffered == 0)
		return 0;
	for (size_t i = 0; i < NCOLS; i++) {
		const struct column *c = &columns[i];
		int rank = c->kind == COL_BYTES ? 2 : 1;
		hsize_t start[2] = { s->written, 0 }, count[2] = { s->buffered, c->size };
		hid_t fsp, msp;
		herr_t w = -1;

		if (s->col[i].dset < 0)
			continue;
		fsp = H5Dget_space(s->col[i].dset);
		msp = H5Screate_simple(rank, count, NULL);
		if (fsp >= 0 && msp >= 0 &&
		    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) >= 0)
			w = H5Dwrite(s->col[i].dset, mem_type(s, c->kind), msp, fsp, H5P_DEFAULT,
				     s->col[i].data);
		if (msp >= 0)
			H5Sclose(msp);
		if (fsp >= 0)
			H5Sclose(fsp);
		if (w < 0)
			return dp_err_set(err, DP_E_HDF5, "store: %s: writing /%s/%s failed (disk full?)",
					  s->tmp, c->group, c->name);
	}
	s->written += s->buffered;
	s->buffered = 0;
	return 0;
}

int dp_store_append(struct dp_store *s, const struct dp_row *row, struct dp_err *err)
{
	if (s->written + s->buffered >= s->nrows)
		return dp_err_set(err, DP_E_ARG, "store: %s: more rows than announced (%zu)",
				  s->tmp, s->nrows);
	if (row->status != DP_ST_OK)
		s->nerrors++;
	buffer_row(s, row);
	if (s->buffered == DP_CHUNK_ROWS)
		return flush(s, err);
	return 0;
}

int dp_store_commit(struct dp_store *s, struct dp_err *err)
{
	char now[40];
	int rc;

	rc = flush(s, err);
	if (rc == 0 && s->written != s->nrows)
		rc = dp_err_set(err, DP_E_ARG, "store: %s: %zu rows written, %zu announced",
				s->tmp, s->written, s->nrows);
	dp_h5_iso_now(now, sizeof(now));
	if (rc == 0 && (dp_h5_set_attr_str(s->file, "finished", now, s->t_str) ||
			dp_h5_set_attr_i64(s->file, "n_errors", (int64_t)s->nerrors) ||
			dp_h5_set_attr_i64(s->file, "complete", 1) ||
			H5Fflush(s->file, H5F_SCOPE_GLOBAL) < 0))
		rc = dp_err_set(err, DP_E_HDF5, "store: %s: cannot finish the file (disk full?)",
				s->tmp);
	close_all(s);
	if (rc == 0 && dp_fsync_path(s->tmp, O_RDONLY) != 0)
		rc = dp_err_set(err, DP_E_IO, "store: %s: fsync failed: %s", s->tmp,
				strerror(errno));
	if (rc == 0 && rename(s->tmp, s->path) != 0)
		rc = dp_err_set(err, DP_E_IO, "store: cannot rename %s to %s: %s", s->tmp,
				s->path, strerror(errno));
	if (rc == 0)
		dp_fsync_parent(s->path);   /* best effort: the data itself is synced */
	else
		unlink(s->tmp);
	store_free(s);
	return rc;
}

void dp_store_abort(struct dp_store *s)
{
	if (!s)
		return;
	close_all(s);
	unlink(s->tmp);
	store_free(s);
}

void dp_store_remove_stale(const char *path)
{
	char *copy = strdup(path), *slash;

	if (!copy)
		return;
	slash = strrchr(copy, '/');
	if (!slash)
		dp_remove_stale_tmp(".", copy);
	else if (slash == copy)
		dp_remove_stale_tmp("/", copy + 1);
	else {
		*slash = '\0';
		dp_remove_stale_tmp(copy, slash + 1);
	}
	free(copy);
}

/* ---- reading back: options, rows ------------------------------------------- */

static int read_int(hid_t f, const char *name, int64_t lo, int64_t hi, int64_t *v)
{
	return dp_h5_read_attr_i64(f, name, v) == 0 && *v >= lo && *v <= hi ? 0 : -1;
}

static unsigned parse_hash_names(const char *list)
{
	unsigned bits = 0;
	struct dp_err e;

	if (list && *list && dp_hash_parse_list(list, &bits, &e))
		bits = 0;
	return bits;
}

int dp_store_read_meta(const char *path, struct dp_store_file_meta *fm, struct dp_err *err)
{
	struct dp_store_meta *m = &fm->meta;
	int64_t orient, exact, ref, follow, side, threads, maxpix, maxfile, tl = 0;
	int64_t sk = 0, sn = 0, sfirst = 0, stotal = 0;
	char *hashes = NULL;
	int version, rc = 0;
	hid_t f;

	memset(fm, 0, sizeof(*fm));
	f = dp_h5_open_result(path, "merge", 0, &fm->nrows, &version, err);
	if (f < 0)
		return (int)f;
	fm->tool_version = dp_h5_read_attr_str(f, "tool_version");
	fm->command = dp_h5_read_attr_str(f, "command");
	fm->libraries = dp_h5_read_attr_str(f, "libraries");
	fm->identity = dp_h5_read_attr_str(f, "scan_identity");
	fm->roots = dp_h5_read_attr_strs(f, "roots", &m->nroots);
	hashes = dp_h5_read_attr_str(f, "hashes");
	if (!fm->tool_version || !fm->command || !fm->libraries || !fm->roots || !hashes ||
	    read_int(f, "orient", 0, 1, &orient) || read_int(f, "exact", 0, 1, &exact) ||
	    read_int(f, "reference_pdq", 0, 1, &ref) ||
	    read_int(f, "follow_symlinks", 0, 1, &follow) ||
	    read_int(f, "min_side", 0, 65535, &side) || read_int(f, "threads", 0, 1 << 20, &threads) ||
	    read_int(f, "max_pixels", 0, INT64_MAX, &maxpix) ||
	    read_int(f, "max_file_size", 0, INT64_MAX, &maxfile)) {
		rc = dp_err_set(err, DP_E_FORMAT, "merge: %s: root attributes missing or damaged",
				path);
		goto out;
	}
	(void)read_int(f, "time_limit_ms", 0, INT64_MAX, &tl);   /* absent before 0.1.0 */
	if (dp_h5_read_attr_i64(f, "shard_count", &sn) == 0 &&
	    (read_int(f, "shard_index", 1, sn, &sk) || read_int(f, "shard_first_row", 0, INT64_MAX, &sfirst) ||
	     read_int(f, "shard_total_rows", sfirst + (int64_t)fm->nrows, INT64_MAX, &stotal) ||
	     !fm->identity || sn < 1)) {
		rc = dp_err_set(err, DP_E_FORMAT, "merge: %s: shard attributes damaged", path);
		goto out;
	}
	m->tool_version = fm->tool_version;
	m->command = fm->command;
	m->roots = (const char *const *)fm->roots;
	m->libraries = fm->libraries;
	m->hashes = parse_hash_names(hashes);
	m->orient = (int)orient;
	m->exact = (int)exact;
	m->reference = (int)ref;
	m->follow_symlinks = (int)follow;
	m->min_side = (int)side;
	m->threads = (int)threads;
	m->max_pixels = (uint64_t)maxpix;
	m->max_file_size = (uint64_t)maxfile;
	m->time_limit_s = (double)tl / 1000;
	m->shard_k = (int)sk;
	m->shard_n = (int)sn;
	m->shard_first = (uint64_t)sfirst;
	m->shard_total = (uint64_t)stotal;
	m->identity = fm->identity;
out:
	free(hashes);
	H5Fclose(f);
	return rc;
}

void dp_store_file_meta_free(struct dp_store_file_meta *fm)
{
	if (!fm)
		return;
	free(fm->tool_version);
	free(fm->command);
	free(fm->libraries);
	free(fm->identity);
	for (size_t i = 0; fm->roots && i < fm->meta.nroots; i++)
		free(fm->roots[i]);
	free(fm->roots);
	memset(fm, 0, sizeof(*fm));
}

struct dp_store_rows {
	struct dp_store s;      /* file, column datasets and buffers, types */
	size_t pos, block;      /* next row; rows in the buffers (from pos - pos % CHUNK) */
	char **paths;           /* the block's paths, owned */
	char *path_arena;       /* backing store for paths */
};

void dp_store_rows_close(struct dp_store_rows *r)
{
	if (!r)
		return;
	close_all(&r->s);
	free(r->paths);
	free(r->path_arena);
	free(r->s.path);
	free(r);
}

struct dp_store_rows *dp_store_rows_open(const char *path, unsigned *hashes, size_t *nrows,
					 struct dp_err *err)
{
	struct dp_store_rows *r = calloc(1, sizeof(*r));
	int version;

	*hashes = 0;
	if (!r) {
		dp_err_set(err, DP_E_NOMEM, "merge: out of memory");
		return NULL;
	}
	store_reset(&r->s);
	r->s.path = strdup(path);
	r->s.file = dp_h5_open_result(path, "merge", 0, &r->s.nrows, &version, err);
	if (!r->s.path || r->s.file < 0)
		goto fail;
	r->s.t_str = dp_h5_str_type();
	r->s.t_status = make_status_type();
	r->paths = calloc(DP_CHUNK_ROWS, sizeof(*r->paths));
	if (r->s.t_str < 0 || r->s.t_status < 0 || !r->paths)
		goto fail_nomem;
	for (size_t i = 0; i < NCOLS; i++) {
		const struct column *c = &columns[i];
		char name[64];
		hssize_t rows;

		snprintf(name, sizeof(name), "/%s/%s", c->group, c->name);
		rows = dp_h5_dataset_rows(r->s.file, name);
		if (rows < 0 && c->hash)
			continue;       /* not computed by that scan (or by its older version) */
		if (rows != (hssize_t)r->s.nrows) {
			dp_err_set(err, DP_E_FORMAT, "merge: %s: %s %s", path, name,
				   rows < 0 ? "is missing" : "has the wrong length");
			goto fail;
		}
		r->s.col[i].dset = H5Dopen2(r->s.file, name, H5P_DEFAULT);
		r->s.col[i].data = calloc(DP_CHUNK_ROWS, elem_size(c));
		if (r->s.col[i].dset < 0 || !r->s.col[i].data)
			goto fail_nomem;
		*hashes |= c->hash;
	}
	*nrows = r->s.nrows;
	return r;
fail_nomem:
	dp_err_set(err, DP_E_NOMEM, "merge: %s: cannot open the datasets", path);
fail:
	dp_store_rows_close(r);
	return NULL;
}

/* Read the block of rows starting at r->pos into the column buffers. */
static int read_block(struct dp_store_rows *r, struct dp_err *err)
{
	size_t n = r->s.nrows - r->pos < DP_CHUNK_ROWS ? r->s.nrows - r->pos : DP_CHUNK_ROWS;
	size_t arena = 0;

	for (size_t i = 0; i < NCOLS; i++) {
		const struct column *c = &columns[i];
		int rank = c->kind == COL_BYTES ? 2 : 1;
		hsize_t start[2] = { r->pos, 0 }, count[2] = { n, c->size };
		hid_t fsp, msp, mt = mem_type(&r->s, c->kind);
		herr_t rd = -1;

		if (r->s.col[i].dset < 0)
			continue;
		fsp = H5Dget_space(r->s.col[i].dset);
		msp = H5Screate_simple(rank, count, NULL);
		if (fsp >= 0 && msp >= 0 &&
		    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) >= 0)
			rd = H5Dread(r->s.col[i].dset, mt, msp, fsp, H5P_DEFAULT, r->s.col[i].data);
		if (rd >= 0 && (c->kind == COL_TEXT || c->kind == COL_PATH)) {
			/* Copy the strings out and give HDF5's back at once. */
			char **v = r->s.col[i].data;

			if (c->kind == COL_PATH) {
				for (size_t k = 0; k < n; k++)
					arena += (v[k] ? strlen(v[k]) : 0) + 1;
				free(r->path_arena);
				r->path_arena = malloc(arena ? arena : 1);
				arena = 0;
			}
			if (!r->s.col[i].text)
				r->s.col[i].text = malloc(DP_CHUNK_ROWS * c->size);
			for (size_t k = 0; k < n && r->path_arena && r->s.col[i].text; k++) {
				const char *t = v[k] ? v[k] : "";

				if (c->kind == COL_PATH) {
					r->paths[k] = strcpy(r->path_arena + arena, t);
					arena += strlen(t) + 1;
				} else {
					snprintf(r->s.col[i].text + k * c->size, c->size, "%s", t);
				}
			}
			H5Dvlen_reclaim(mt, msp, H5P_DEFAULT, v);
			if (!r->path_arena || !r->s.col[i].text)
				rd = -1;
		}
		if (msp >= 0)
			H5Sclose(msp);
		if (fsp >= 0)
			H5Sclose(fsp);
		if (rd < 0)
			return dp_err_set(err, DP_E_FORMAT, "merge: %s: reading /%s/%s failed",
					  r->s.path, c->group, c->name);
	}
	r->block = n;
	return 0;
}

int dp_store_rows_next(struct dp_store_rows *r, struct dp_row *row, struct dp_err *err)
{
	size_t k = r->pos % DP_CHUNK_ROWS;

	if (r->pos >= r->s.nrows)
		return 0;
	if (k == 0 && read_block(r, err))
		return err ? err->code : DP_E_FORMAT;
	memset(row, 0, sizeof(*row));
	for (size_t i = 0; i < NCOLS; i++) {
		const struct column *c = &columns[i];
		const struct colbuf *b = &r->s.col[i];
		char *field = (char *)row + c->off;
		const char *src = (const char *)b->data + k * elem_size(c);

		if (b->dset < 0)
			continue;
		switch (c->kind) {
		case COL_STATUS: *(int *)field = *(const uint8_t *)src; break;
		case COL_TEXT: memcpy(field, b->text + k * c->size, c->size); break;
		case COL_PATH: *(const char **)field = r->paths[k]; break;
		default: memcpy(field, src, c->size); break;
		}
	}
	r->pos++;
	return 1;
}

/* ---- reading ------------------------------------------------------------ */

#define DP_READ_BLOCK 65536

static void count_format(struct dp_store_summary *sum, const char *f)
{
	size_t i;
	size_t cap = sizeof(sum->formats) / sizeof(sum->formats[0]);

	for (i = 0; i < sum->nformats; i++)
		if (!strcmp(sum->formats[i].name, f))
			break;
	if (i == sum->nformats) {
		if (sum->nformats == cap)
			i = cap - 1;    /* last slot collects the rest */
		else
			sum->nformats++;
		snprintf(sum->formats[i].name, sizeof(sum->formats[i].name), "%s",
			 i == cap - 1 && sum->formats[i].count ? "other" : f);
	}
	sum->formats[i].count++;
}

static int cmp_sha(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* Text columns: formats, capture times, cameras; block by block. */
static int summarise_text(hid_t file, struct dp_store_summary *sum)
{
	static const char *const cols[] = { "/images/format", "/images/capture_time",
					    "/images/camera_serial", "/images/camera_model" };
	hid_t t = dp_h5_str_type();
	char **v[4] = { NULL };
	int rc = -1;

	for (int c = 0; c < 4; c++)
		v[c] = calloc(DP_READ_BLOCK, sizeof(char *));
	if (t < 0 || !v[0] || !v[1] || !v[2] || !v[3])
		goto out;
	for (size_t s = 0; s < sum->nrows; s += DP_READ_BLOCK) {
		size_t n = sum->nrows - s < DP_READ_BLOCK ? sum->nrows - s : DP_READ_BLOCK;
		hsize_t dn = n;
		hid_t sp = H5Screate_simple(1, &dn, NULL);
		int ok = 1;

		for (int c = 0; c < 4; c++)
			if (dp_h5_read_rows(file, cols[c], t, s, n, 1, v[c]))
				ok = 0;
		for (size_t i = 0; ok && i < n; i++) {
			count_format(sum, v[0][i] && *v[0][i] ? v[0][i] : "unknown");
			if (v[1][i] && *v[1][i])
				sum->with_capture_time++;
			if ((v[2][i] && *v[2][i]) || (v[3][i] && *v[3][i]))
				sum->with_camera++;
		}
		for (int c = 0; c < 4; c++)
			dp_h5_reclaim_strings(t, sp, v[c]);   /* failed reads left NULLs */
		H5Sclose(sp);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	for (int c = 0; c < 4; c++)
		free(v[c]);
	if (t >= 0)
		H5Tclose(t);
	return rc;
}

/* Numeric columns: status counts, bytes, exact-duplicate groups. */
static int summarise_numbers(hid_t file, struct dp_store_summary *sum)
{
	size_t n = sum->nrows;
	uint8_t *st = malloc(n ? n : 1), *sha = NULL;
	uint64_t *size = malloc((n ? n : 1) * sizeof(*size));
	static const uint8_t zero[32];
	size_t m = 0;
	int rc = -1;

	if (!st || !size || dp_h5_read_rows(file, "/images/status", H5T_NATIVE_UINT8, 0, n, 1, st) ||
	    dp_h5_read_rows(file, "/images/size", H5T_NATIVE_UINT64, 0, n, 1, size))
		goto out;
	sha = malloc(n ? n * 32 : 1);
	if (!sha || dp_h5_read_rows(file, "/images/sha256", H5T_NATIVE_UINT8, 0, n, 32, sha))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (st[i] < DP_ST_COUNT)
			sum->status_count[st[i]]++;
		else
			sum->status_other++;
		sum->total_bytes += size[i];
		/* Files that could not be read have an all-zero digest. */
		if (memcmp(sha + 32 * i, zero, 32))
			memmove(sha + 32 * m++, sha + 32 * i, 32);
	}
	qsort(sha, m, 32, cmp_sha);
	for (size_t i = 0; i < m;) {
		size_t j = i + 1;

		while (j < m && !memcmp(sha + 32 * i, sha + 32 * j, 32))
			j++;
		if (j - i > 1) {
			sum->dup_groups++;
			sum->dup_files += j - i;
		}
		i = j;
	}
	rc = 0;
out:
	free(st);
	free(size);
	free(sha);
	return rc;
}

int dp_store_summarise(const char *path, struct dp_store_summary *sum, struct dp_err *err)
{
	static const char *const required[] = {
		"/images/path", "/images/size", "/images/mtime", "/images/sha256",
		"/images/status", "/images/message", "/images/format", "/images/width",
		"/images/height", "/images/capture_time", "/images/camera_serial",
		"/images/camera_model",
	};
	hid_t file;
	int rc = 0;

	memset(sum, 0, sizeof(*sum));
	file = dp_h5_open_result(path, "info", 0, &sum->nrows, &sum->format_version, err);
	if (file < 0)
		return (int)file;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (dp_h5_dataset_rows(file, required[i]) != (hssize_t)sum->nrows) {
			rc = dp_err_set(err, DP_E_FORMAT,
					"info: %s: dataset %s is missing or has the wrong length",
					path, required[i]);
			goto out;
		}
	}
	sum->tool_version = dp_h5_read_attr_str(file, "tool_version");
	sum->command = dp_h5_read_attr_str(file, "command");
	sum->created = dp_h5_read_attr_str(file, "created");
	sum->finished = dp_h5_read_attr_str(file, "finished");
	sum->host = dp_h5_read_attr_str(file, "host");
	sum->hashes = dp_h5_read_attr_str(file, "hashes");
	sum->libraries = dp_h5_read_attr_str(file, "libraries");
	sum->roots = dp_h5_read_attr_strs(file, "roots", &sum->nroots);
	if (summarise_numbers(file, sum) || summarise_text(file, sum))
		rc = dp_err_set(err, DP_E_FORMAT, "info: %s: cannot read the columns (damaged?)",
				path);
out:
	H5Fclose(file);
	if (rc)
		dp_store_summary_free(sum);
	return rc;
}

void dp_store_summary_free(struct dp_store_summary *sum)
{
	if (!sum)
		return;
	free(sum->tool_version);
	free(sum->command);
	free(sum->created);
	free(sum->finished);
	free(sum->host);
	free(sum->hashes);
	free(sum->libraries);
	for (size_t i = 0; i < sum->nroots; i++)
		free(sum->roots[i]);
	free(sum->roots);
	memset(sum, 0, sizeof(*sum));
}
