/* src/table_h5.c - load a scan result file into a struct dp_table (see table.h).
 *
 * Reads whole columns (strings in blocks, copied out of HDF5's vlen
 * buffers). Every dataset must have the row count of /images/path; a hash
 * dataset named in the root attribute "hashes" must exist.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "h5util.h"
#include "hash.h"

#define DP_TABLE_BLOCK 65536

/* A vlen string column as malloc'd strings (NULL entries become ""). */
static char **read_strings(hid_t file, const char *name, size_t n)
{
	hid_t t = dp_h5_str_type();
	char **out = calloc(n ? n : 1, sizeof(char *));
	char **blk = calloc(DP_TABLE_BLOCK, sizeof(char *));
	int ok = t >= 0 && out && blk;

	for (size_t s = 0; ok && s < n; s += DP_TABLE_BLOCK) {
		size_t m = n - s < DP_TABLE_BLOCK ? n - s : DP_TABLE_BLOCK;
		hsize_t dm = m;
		hid_t sp = H5Screate_simple(1, &dm, NULL);

		if (sp < 0 || dp_h5_read_rows(file, name, t, s, m, 1, blk)) {
			ok = 0;
		} else {
			for (size_t i = 0; i < m; i++)
				if (!(out[s + i] = strdup(blk[i] ? blk[i] : "")))
					ok = 0;
			dp_h5_reclaim_strings(t, sp, blk);
		}
		if (sp >= 0)
			H5Sclose(sp);
	}
	free(blk);
	if (t >= 0)
		H5Tclose(t);
	if (!ok && out) {
		for (size_t i = 0; i < n; i++)
			free(out[i]);
		free(out);
		out = NULL;
	}
	return out;
}

static void *read_numbers(hid_t file, const char *name, hid_t mt, size_t elem, int width,
			  size_t n)
{
	void *buf = calloc(n ? n : 1, elem * (size_t)width);

	if (buf && dp_h5_read_rows(file, name, mt, 0, n, width, buf)) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

static void free_strings(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void dp_table_free(struct dp_table *t)
{
	if (!t)
		return;
	free_strings(t->path, t->n);
	free_strings(t->format, t->n);
	free_strings(t->message, t->n);
	free_strings(t->capture_time, t->n);
	free_strings(t->camera_make, t->n);
	free_strings(t->camera_model, t->n);
	free_strings(t->camera_serial, t->n);
	free(t->size);
	free(t->mtime);
	free(t->sha256);
	free(t->status);
	free(t->width);
	free(t->height);
	free(t->pdq);
	free(t->pdq_quality);
	free(t->pdq_trim);
	free(t->pdq_trim_quality);
	free(t->file);
	free(t->pdq_dihedral);
	free(t->phash);
	free(t->dhash);
	free(t->ahash);
	free(t->thumb_gain);
	free(t->thumb_offset);
	memset(t, 0, sizeof(*t));
}

int dp_table_load(const char *path, const char *stage, struct dp_table *t, struct dp_err *err)
{
	static const char *const cols[] = {
		"/images/size", "/images/mtime", "/images/sha256", "/images/status", "/images/width",
		"/images/height", "/images/format", "/images/message", "/images/capture_time", "/images/camera_make",
		"/images/camera_model", "/images/camera_serial",
	};
	static const struct { unsigned kind; const char *name; } hashcols[] = {
		{ DP_HASH_PDQ, "/hashes/pdq" }, { DP_HASH_PDQ, "/hashes/pdq_quality" },
		{ DP_HASH_PHASH, "/hashes/phash" }, { DP_HASH_DHASH, "/hashes/dhash" },
		{ DP_HASH_AHASH, "/hashes/ahash" }, { DP_HASH_PDQDIH, "/hashes/pdq_dihedral" },
		{ DP_HASH_THUMB, "/hashes/thumb" },
	};
	char *hashes;
	struct dp_err e2;
	hid_t file;
	size_t n;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	file = dp_h5_open_result(path, stage, 0, &n, &t->format_version, err);
	if (file < 0)
		return (int)file;
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (dp_h5_dataset_rows(file, cols[i]) != (hssize_t)n) {
			rc = dp_err_set(err, DP_E_FORMAT,
					"%s: %s: dataset %s is missing or has the wrong length",
					stage, path, cols[i]);
			goto out;
		}
	hashes = dp_h5_read_attr_str(file, "hashes");
	dp_err_clear(&e2);
	if (!hashes || (hashes[0] && dp_hash_parse_list(hashes, &t->hashes, &e2))) {
		rc = dp_err_set(err, DP_E_FORMAT, "%s: %s: root attribute hashes is %s%s", stage,
				path, hashes ? "not understood: " : "missing", hashes ? hashes : "");
		free(hashes);
		goto out;
	}
	free(hashes);
	{
		int64_t v;

		t->orient = dp_h5_read_attr_i64(file, "orient", &v) == 0 ? (int)v : 1;
		t->exact = dp_h5_read_attr_i64(file, "exact", &v) == 0 ? (int)v : 0;
		t->reference = dp_h5_read_attr_i64(file, "reference_pdq", &v) == 0 ? (int)v : 0;
	}
	for (size_t i = 0; i < sizeof(hashcols) / sizeof(hashcols[0]); i++)
		if ((t->hashes & hashcols[i].kind) &&
		    dp_h5_dataset_rows(file, hashcols[i].name) != (hssize_t)n) {
			rc = dp_err_set(err, DP_E_FORMAT,
					"%s: %s: dataset %s is missing or has the wrong length",
					stage, path, hashcols[i].name);
			goto out;
		}
	t->n = n;
	t->file = strdup(path);
	t->path = read_strings(file, "/images/path", n);
	t->format = read_strings(file, "/images/format", n);
	t->message = read_strings(file, "/images/message", n);
	t->capture_time = read_strings(file, "/images/capture_time", n);
	t->camera_make = read_strings(file, "/images/camera_make", n);
	t->camera_model = read_strings(file, "/images/camera_model", n);
	t->camera_serial = read_strings(file, "/images/camera_serial", n);
	t->size = read_numbers(file, "/images/size", H5T_NATIVE_UINT64, 8, 1, n);
	t->mtime = read_numbers(file, "/images/mtime", H5T_NATIVE_INT64, 8, 1, n);
	t->sha256 = read_numbers(file, "/images/sha256", H5T_NATIVE_UINT8, 1, 32, n);
	t->status = read_numbers(file, "/images/status", H5T_NATIVE_UINT8, 1, 1, n);
	t->width = read_numbers(file, "/images/width", H5T_NATIVE_UINT32, 4, 1, n);
	t->height = read_numbers(file, "/images/height", H5T_NATIVE_UINT32, 4, 1, n);
	if (!t->file || !t->path || !t->format || !t->message || !t->capture_time || !t->camera_make || !t->camera_model ||
	    !t->camera_serial || !t->size || !t->mtime || !t->sha256 || !t->status || !t->width || !t->height)
		goto damaged;
	if (t->hashes & DP_HASH_PDQ) {
		t->pdq = read_numbers(file, "/hashes/pdq", H5T_NATIVE_UINT8, 1, 32, n);
		t->pdq_quality = read_numbers(file, "/hashes/pdq_quality", H5T_NATIVE_UINT8, 1, 1, n);
		if (!t->pdq || !t->pdq_quality)
			goto damaged;
		/* Optional: files written before border hashes lack them. */
		if (dp_h5_dataset_rows(file, "/hashes/pdq_trim") == (hssize_t)n &&
		    dp_h5_dataset_rows(file, "/hashes/pdq_trim_quality") == (hssize_t)n) {
			t->pdq_trim = read_numbers(file, "/hashes/pdq_trim", H5T_NATIVE_UINT8, 1, 32, n);
			t->pdq_trim_quality = read_numbers(file, "/hashes/pdq_trim_quality",
							   H5T_NATIVE_UINT8, 1, 1, n);
			if (!t->pdq_trim || !t->pdq_trim_quality)
				goto damaged;
		}
	}
	if ((t->hashes & DP_HASH_PDQDIH) &&
	    !(t->pdq_dihedral = read_numbers(file, "/hashes/pdq_dihedral", H5T_NATIVE_UINT8, 1, 256,
					     n)))
		goto damaged;
	if ((t->hashes & DP_HASH_PHASH) &&
	    !(t->phash = read_numbers(file, "/hashes/phash", H5T_NATIVE_UINT64, 8, 1, n)))
		goto damaged;
	if ((t->hashes & DP_HASH_DHASH) &&
	    !(t->dhash = read_numbers(file, "/hashes/dhash", H5T_NATIVE_UINT64, 8, 1, n)))
		goto damaged;
	if ((t->hashes & DP_HASH_AHASH) &&
	    !(t->ahash = read_numbers(file, "/hashes/ahash", H5T_NATIVE_UINT64, 8, 1, n)))
		goto damaged;
	/* Optional: files written before the stretched thumbnails lack them. */
	if ((t->hashes & DP_HASH_THUMB) &&
	    dp_h5_dataset_rows(file, "/hashes/thumb_gain") == (hssize_t)n &&
	    dp_h5_dataset_rows(file, "/hashes/thumb_offset") == (hssize_t)n) {
		t->thumb_gain = read_numbers(file, "/hashes/thumb_gain", H5T_NATIVE_FLOAT, 4, 1, n);
		t->thumb_offset = read_numbers(file, "/hashes/thumb_offset", H5T_NATIVE_FLOAT, 4, 1, n);
		if (!t->thumb_gain || !t->thumb_offset)
			goto damaged;
	}
	goto out;
damaged:
	rc = dp_err_set(err, DP_E_FORMAT, "%s: %s: cannot read the columns (damaged?)", stage,
			path);
out:
	H5Fclose(file);
	if (rc)
		dp_table_free(t);
	return rc;
}

int dp_table_read_thumbs(const struct dp_table *t, const uint32_t *rows, size_t n,
			 uint8_t (*out)[DP_THUMB_BYTES], struct dp_err *err)
{
	enum { WINDOW = 256 };   /* rows per read: the dataset's chunk */
	uint8_t (*buf)[DP_THUMB_BYTES] = NULL;
	size_t nrows, k = 0;
	hid_t file;
	int rc = 0;

	if (!(t->hashes & DP_HASH_THUMB))
		return dp_err_set(err, DP_E_ARG, "cluster: %s has no thumbnails", t->file);
	for (size_t i = 0; i < n; i++)
		if (rows[i] >= t->n || (i && rows[i] <= rows[i - 1]))
			return dp_err_set(err, DP_E_ARG, "cluster: thumbnail rows out of order");
	if (n == 0)
		return 0;
	file = dp_h5_open_result(t->file, "cluster", 0, &nrows, NULL, err);
	if (file < 0)
		return (int)file;
	buf = malloc(WINDOW * sizeof(*buf));
	if (!buf || nrows != t->n) {
		rc = buf ? dp_err_set(err, DP_E_FORMAT, "cluster: %s changed since it was read", t->file)
			 : dp_err_set(err, DP_E_NOMEM, "cluster: out of memory for thumbnails");
		goto out;
	}
	/* Window by window (aligned to the chunks), only those holding a row asked for. */
	while (k < n) {
		size_t start = rows[k] / WINDOW * WINDOW;
		size_t count = t->n - start < WINDOW ? t->n - start : WINDOW;

		if (dp_h5_read_rows(file, "/hashes/thumb", H5T_NATIVE_UINT8, start, count,
				    DP_THUMB_BYTES, buf)) {
			rc = dp_err_set(err, DP_E_FORMAT, "cluster: %s: cannot read /hashes/thumb "
					"(damaged?)", t->file);
			goto out;
		}
		for (; k < n && rows[k] < start + count; k++)
			memcpy(out[k], buf[rows[k] - start], DP_THUMB_BYTES);
	}
out:
	free(buf);
	H5Fclose(file);
	return rc;
}
