/* src/clusters_h5.c - write and read /clusters/NAME (see clusters_h5.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "clusters_h5.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5util.h"
#include "hash.h"

#define DP_CL_CHUNK 65536
#define DP_CL_DEFLATE 4

int dp_cluster_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > DP_CLUSTER_NAME_MAX || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* A 1-D chunked, compressed dataset of n elements. 0 or -1. */
static int write_column(hid_t grp, const char *name, hid_t ftype, hid_t mtype, size_t n,
			const void *buf)
{
	hsize_t dims = n, maxd = H5S_UNLIMITED, chunk = n < DP_CL_CHUNK ? (n ? n : 1) : DP_CL_CHUNK;
	hid_t sp = H5Screate_simple(1, &dims, &maxd), dcpl = H5Pcreate(H5P_DATASET_CREATE), d = -1;
	int rc = -1;

	if (sp >= 0 && dcpl >= 0 && H5Pset_chunk(dcpl, 1, &chunk) >= 0 &&
	    H5Pset_shuffle(dcpl) >= 0 && H5Pset_deflate(dcpl, DP_CL_DEFLATE) >= 0)
		d = H5Dcreate2(grp, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
	if (d >= 0 && (n == 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0))
		rc = 0;
	if (d >= 0)
		H5Dclose(d);
	if (dcpl >= 0)
		H5Pclose(dcpl);
	if (sp >= 0)
		H5Sclose(sp);
	return rc;
}

static int set_attr_f64(hid_t obj, const char *name, double v)
{
	hid_t sp = H5Screate(H5S_SCALAR), a = -1;
	int rc = -1;

	if (sp >= 0)
		a = H5Acreate2(obj, name, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, &v) >= 0)
		rc = 0;
	if (a >= 0)
		H5Aclose(a);
	if (sp >= 0)
		H5Sclose(sp);
	return rc;
}

static const char method_text[] =
	"exact: same SHA-256; near pairs: Hamming distance <= max_distance between "
	"representatives (multi-index hashing, exact); with the alignment check only those "
	"within confirm_distance, the rest are candidates; a pair with a low-information row "
	"(quality < quality_min) kept only when verify_hash is within verify_distance; shots: "
	"connected components split around medoids until every group lies within "
	"split_distance of its medoid (nearest first, never two exposures); "
	"candidates (pairs within align_distance not kept, and pairs whose centre-crop codes "
	"are within crop_distance; the align_nearest nearest of each row, and the 2 nearest "
	"crop pairs of a row by code distance; and, where a row is dated, the 2 nearest of a "
	"row by code distance within crop_far_distance, kept only as copies): a copy when "
	"their 64x64 thumbnails align by a crop or rescale, or when both rows carry one "
	"camera and one sub-second capture time (one exposure; beyond align_distance too when "
	"the thumbnails align); copies merge shot groups, the check's own copies first and "
	"then those raised to copies by close hashes, a dated row or the luma, each closest "
	"first, except two groups holding two exposures (capture times that differ: one "
	"camera to the fraction of a second, two to the second); a candidate within "
	"max_distance is a copy also when the thumbnails align as "
	"a near copy (a small turn; within align_distance also a shear with a turn within "
	"the fit's error at a correlation >= 0.90), or as the same scene with a dated row; "
	"two smooth "
	"pictures (PDQ quality < 10) that do not align but hold the same luma (mean within "
	"0.3 grey levels, spread within 20% where it is a grey level or more) are a near "
	"copy, and beyond align_distance two "
	"undated ones are never the same scene; scenes: shot groups of one camera (serial, "
	"else make+model) whose capture times follow within scene_gap_s, or within "
	"scene_link_gap_s with aligned thumbnails or a copy pair between them, and scene "
	"links of aligned candidates; "
	"keeper: largest resolution, then largest file, then first path";

static int write_group(hid_t file, const struct dp_clusters *c, const struct dp_clusters_meta *m)
{
	const struct dp_cluster_opts *o = m->opts;
	hid_t top, g = -1, t_str = dp_h5_str_type();
	uint32_t *pi = NULL, *pj = NULL;
	uint16_t *pd = NULL;
	uint8_t *pa = NULL;
	char now[40];
	int rc = -1;

	if (t_str < 0)
		return -1;
	if (H5Lexists(file, "clusters", H5P_DEFAULT) > 0)
		top = H5Gopen2(file, "clusters", H5P_DEFAULT);
	else
		top = H5Gcreate2(file, "clusters", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	if (top < 0)
		goto out;
	if (H5Lexists(top, m->name, H5P_DEFAULT) > 0 && H5Ldelete(top, m->name, H5P_DEFAULT) < 0)
		goto out;
	g = H5Gcreate2(top, m->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
	pi = malloc((c->pairs.n ? c->pairs.n : 1) * sizeof(*pi));
	pj = malloc((c->pairs.n ? c->pairs.n : 1) * sizeof(*pj));
	pd = malloc((c->pairs.n ? c->pairs.n : 1) * sizeof(*pd));
	pa = calloc(c->pairs.n ? c->pairs.n : 1, 1);
	if (g < 0 || !pi || !pj || !pd || !pa)
		goto out;
	for (size_t k = 0; k < c->pairs.n; k++) {
		pi[k] = c->pairs.v[k].i;
		pj[k] = c->pairs.v[k].j;
		pd[k] = (uint16_t)c->pairs.v[k].d;
		pa[k] = c->pair_match ? c->pair_match[k] : DP_MATCH_HASH;
	}
	dp_h5_iso_now(now, sizeof(now));
	if (write_column(g, "label", H5T_STD_I64LE, H5T_NATIVE_INT64, c->n, c->label) ||
	    write_column(g, "shot", H5T_STD_I64LE, H5T_NATIVE_INT64, c->n, c->shot) ||
	    write_column(g, "exact", H5T_STD_I64LE, H5T_NATIVE_INT64, c->n, c->exact) ||
	    write_column(g, "flags", H5T_STD_U8LE, H5T_NATIVE_UINT8, c->n, c->flags) ||
	    write_column(g, "keeper_distance", H5T_STD_I16LE, H5T_NATIVE_INT16, c->n,
			 c->keeper_distance) ||
	    write_column(g, "group_size", H5T_STD_I64LE, H5T_NATIVE_INT64, c->ngroups,
			 c->group_size) ||
	    write_column(g, "group_keeper", H5T_STD_I64LE, H5T_NATIVE_INT64, c->ngroups,
			 c->group_keeper) ||
	    write_column(g, "pairs_i", H5T_STD_U32LE, H5T_NATIVE_UINT32, c->pairs.n, pi) ||
	    write_column(g, "pairs_j", H5T_STD_U32LE, H5T_NATIVE_UINT32, c->pairs.n, pj) ||
	    write_column(g, "pairs_distance", H5T_STD_U16LE, H5T_NATIVE_UINT16, c->pairs.n, pd) ||
	    write_column(g, "pairs_match", H5T_STD_U8LE, H5T_NATIVE_UINT8, c->pairs.n, pa) ||
	    dp_h5_set_attr_str(g, "level", dp_cluster_level_name(o->level), t_str) ||
	    dp_h5_set_attr_str(g, "hash", dp_hash_kind_name(o->hash), t_str) ||
	    dp_h5_set_attr_i64(g, "max_distance", o->max_distance) ||
	    dp_h5_set_attr_i64(g, "split_distance", o->split_distance) ||
	    dp_h5_set_attr_i64(g, "quality_min", o->quality_min) ||
	    dp_h5_set_attr_i64(g, "verify_distance", o->verify_distance) ||
	    dp_h5_set_attr_str(g, "verify_hash", c->verify_hash ?
			       dp_hash_kind_name(c->verify_hash) : "", t_str) ||
	    dp_h5_set_attr_i64(g, "n_low_info_matched", (int64_t)c->n_low_info_matched) ||
	    set_attr_f64(g, "scene_gap_s", o->scene_gap_s) ||
	    dp_h5_set_attr_i64(g, "rotations", o->rotations) ||
	    dp_h5_set_attr_i64(g, "align_distance", c->align_distance) ||
	    dp_h5_set_attr_i64(g, "align_nearest", c->align_distance ? o->align_nearest : 0) ||
	    dp_h5_set_attr_i64(g, "n_candidates", (int64_t)c->n_candidates) ||
	    dp_h5_set_attr_i64(g, "crop_distance", c->crop_distance) ||
	    dp_h5_set_attr_i64(g, "crop_far_distance", c->crop_far_distance) ||
	    dp_h5_set_attr_i64(g, "confirm_distance", c->confirm_distance) ||
	    dp_h5_set_attr_i64(g, "n_confirm", (int64_t)c->n_confirm) ||
	    dp_h5_set_attr_i64(g, "n_crop_candidates", (int64_t)c->n_crop_candidates) ||
	    dp_h5_set_attr_i64(g, "n_crop_far", (int64_t)c->n_crop_far) ||
	    dp_h5_set_attr_i64(g, "n_aligned_checked", (int64_t)c->n_aligned_checked) ||
	    dp_h5_set_attr_i64(g, "n_aligned", (int64_t)c->n_aligned) ||
	    dp_h5_set_attr_i64(g, "n_scene_links", (int64_t)c->n_scene_links) ||
	    dp_h5_set_attr_i64(g, "n_instant", (int64_t)c->n_instant) ||
	    dp_h5_set_attr_i64(g, "n_copies_refused", (int64_t)c->n_copies_refused) ||
	    dp_h5_set_attr_i64(g, "n_split_exposures", (int64_t)c->n_split_exposures) ||
	    set_attr_f64(g, "scene_link_gap_s", o->scene_link_gap_s) ||
	    dp_h5_set_attr_str(g, "method", method_text, t_str) ||
	    dp_h5_set_attr_str(g, "created", now, t_str) ||
	    dp_h5_set_attr_str(g, "tool_version", m->tool_version, t_str) ||
	    dp_h5_set_attr_str(g, "command", m->command, t_str) ||
	    dp_h5_set_attr_i64(g, "n_groups", (int64_t)c->ngroups) ||
	    dp_h5_set_attr_i64(g, "n_shots", (int64_t)c->nshots) ||
	    dp_h5_set_attr_i64(g, "n_pairs", (int64_t)c->pairs.n) ||
	    dp_h5_set_attr_i64(g, "n_low_info", (int64_t)c->n_low_info))
		goto out;
	rc = 0;
out:
	free(pi);
	free(pj);
	free(pd);
	free(pa);
	if (g >= 0)
		H5Gclose(g);
	if (top >= 0)
		H5Gclose(top);
	H5Tclose(t_str);
	return rc;
}

int dp_clusters_store(const char *path, const struct dp_clusters *c,
		      const struct dp_clusters_meta *m, struct dp_err *err)
{
	char *tmp = NULL;
	size_t nrows = 0;
	hid_t file;
	int rc;

	if (!dp_cluster_name_ok(m->name))
		return dp_err_set(err, DP_E_ARG, "cluster: name '%s' is not 1-%d of A-Z a-z 0-9 _ . -",
				  m->name, DP_CLUSTER_NAME_MAX);
	file = dp_h5_open_result(path, "cluster", 0, &nrows, NULL, err);
	if (file < 0)
		return (int)file;
	H5Fclose(file);
	if (nrows != c->n)
		return dp_err_set(err, DP_E_FORMAT, "cluster: %s: %zu rows, clustering has %zu",
				  path, nrows, c->n);
	if (asprintf(&tmp, "%s.tmp-%ld", path, (long)getpid()) < 0)
		return dp_err_set(err, DP_E_NOMEM, "cluster: out of memory");
	if (dp_copy_file(path, tmp) != 0) {
		rc = dp_err_set(err, DP_E_IO, "cluster: cannot write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	file = H5Fopen(tmp, H5F_ACC_RDWR, H5P_DEFAULT);
	if (file < 0) {
		rc = dp_err_set(err, DP_E_HDF5, "cluster: %s: cannot open the copy", tmp);
		goto fail;
	}
	if (write_group(file, c, m) != 0 || H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) {
		H5Fclose(file);
		rc = dp_err_set(err, DP_E_HDF5, "cluster: %s: cannot write /clusters/%s (disk full?)",
				tmp, m->name);
		goto fail;
	}
	if (H5Fclose(file) < 0 || dp_fsync_path(tmp, O_RDONLY) != 0) {
		rc = dp_err_set(err, DP_E_IO, "cluster: %s: cannot sync: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		rc = dp_err_set(err, DP_E_IO, "cluster: cannot rename %s to %s: %s", tmp, path,
				strerror(errno));
		goto fail;
	}
	dp_fsync_parent(path);   /* best effort: the data itself is synced */
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return rc;
}

/* ---- reading ------------------------------------------------------------ */

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
	struct { char **v; size_t n, cap; int failed; } *acc = data;

	(void)g;
	(void)info;
	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? 2 * acc->cap : 8;
		char **v = realloc(acc->v, cap * sizeof(*v));

		if (!v) {
			acc->failed = 1;
			return -1;
		}
		acc->v = v;
		acc->cap = cap;
	}
	if (!(acc->v[acc->n] = strdup(name))) {
		acc->failed = 1;
		return -1;
	}
	acc->n++;
	return 0;
}

int dp_clusters_names(const char *path, char ***names, size_t *n, struct dp_err *err)
{
	struct { char **v; size_t n, cap; int failed; } acc = { NULL, 0, 0, 0 };
	size_t nrows;
	hid_t file = dp_h5_open_result(path, "export", 0, &nrows, NULL, err), g;
	hsize_t idx = 0;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (file < 0)
		return (int)file;
	if (H5Lexists(file, "clusters", H5P_DEFAULT) > 0) {
		g = H5Gopen2(file, "clusters", H5P_DEFAULT);
		if (g < 0 || H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, &acc) < 0)
			rc = dp_err_set(err, acc.failed ? DP_E_NOMEM : DP_E_FORMAT,
					"export: %s: cannot list /clusters", path);
		if (g >= 0)
			H5Gclose(g);
	}
	H5Fclose(file);
	if (rc) {
		for (size_t i = 0; i < acc.n; i++)
			free(acc.v[i]);
		free(acc.v);
		return rc;
	}
	*names = acc.v;
	*n = acc.n;
	return 0;
}

static void *read_column(hid_t g, const char *name, hid_t mt, size_t elem, size_t *n)
{
	char full[128];
	hssize_t rows;
	void *buf;

	snprintf(full, sizeof(full), "%s", name);
	rows = dp_h5_dataset_rows(g, full);
	if (rows < 0)
		return NULL;
	*n = (size_t)rows;
	buf = calloc(rows ? (size_t)rows : 1, elem);
	if (buf && rows > 0 && dp_h5_read_rows(g, full, mt, 0, (size_t)rows, 1, buf)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int dp_clusters_load(const char *path, const char *name, size_t nrows,
		     struct dp_clusters_read *r, struct dp_err *err)
{
	size_t rows, dummy, n_i = 0, n_j = 0, n_d = 0, ng = 0, ng2 = 0;
	hid_t file = dp_h5_open_result(path, "export", 0, &rows, NULL, err), g = -1;
	uint32_t *pi = NULL, *pj = NULL;
	uint16_t *pd = NULL;
	char full[DP_CLUSTER_NAME_MAX + 16];
	int rc = 0;
	int64_t v;

	memset(r, 0, sizeof(*r));
	if (file < 0)
		return (int)file;
	snprintf(full, sizeof(full), "/clusters/%s", name);
	if (!dp_cluster_name_ok(name) || H5Lexists(file, "clusters", H5P_DEFAULT) <= 0 ||
	    H5Lexists(file, full, H5P_DEFAULT) <= 0 ||
	    (g = H5Gopen2(file, full, H5P_DEFAULT)) < 0) {
		rc = dp_err_set(err, DP_E_FORMAT, "export: %s: no clustering named '%s'", path, name);
		goto out;
	}
	snprintf(r->name, sizeof(r->name), "%s", name);
	{
		char *lv = dp_h5_read_attr_str(g, "level"), *hs = dp_h5_read_attr_str(g, "hash");

		snprintf(r->level, sizeof(r->level), "%s", lv ? lv : "");
		snprintf(r->hash, sizeof(r->hash), "%s", hs ? hs : "");
		free(lv);
		free(hs);
	}
	r->max_distance = dp_h5_read_attr_i64(g, "max_distance", &v) == 0 ? (int)v : -1;
	r->c.n = nrows;
	r->c.label = read_column(g, "label", H5T_NATIVE_INT64, 8, &dummy);
	rc |= !r->c.label || dummy != nrows;
	r->c.shot = read_column(g, "shot", H5T_NATIVE_INT64, 8, &dummy);
	rc |= !r->c.shot || dummy != nrows;
	r->c.exact = read_column(g, "exact", H5T_NATIVE_INT64, 8, &dummy);
	rc |= !r->c.exact || dummy != nrows;
	r->c.flags = read_column(g, "flags", H5T_NATIVE_UINT8, 1, &dummy);
	rc |= !r->c.flags || dummy != nrows;
	r->c.keeper_distance = read_column(g, "keeper_distance", H5T_NATIVE_INT16, 2, &dummy);
	rc |= !r->c.keeper_distance || dummy != nrows;
	r->c.group_size = read_column(g, "group_size", H5T_NATIVE_INT64, 8, &ng);
	r->c.group_keeper = read_column(g, "group_keeper", H5T_NATIVE_INT64, 8, &ng2);
	rc |= !r->c.group_size || !r->c.group_keeper || ng != ng2;
	r->c.ngroups = ng;
	pi = read_column(g, "pairs_i", H5T_NATIVE_UINT32, 4, &n_i);
	pj = read_column(g, "pairs_j", H5T_NATIVE_UINT32, 4, &n_j);
	pd = read_column(g, "pairs_distance", H5T_NATIVE_UINT16, 2, &n_d);
	rc |= !pi || !pj || !pd || n_i != n_j || n_i != n_d;
	for (size_t k = 0; !rc && k < n_i; k++) {
		if (pi[k] >= nrows || pj[k] >= nrows || dp_pairs_push(&r->c.pairs, pi[k], pj[k], pd[k]))
			rc = 1;
	}
	/* Optional: clusterings written before the alignment check lack it. */
	if (!rc && H5Lexists(g, "pairs_match", H5P_DEFAULT) > 0) {
		size_t n_a = 0;

		r->c.pair_match = read_column(g, "pairs_match", H5T_NATIVE_UINT8, 1, &n_a);
		rc |= !r->c.pair_match || n_a != n_i;
		for (size_t k = 0; !rc && k < n_a; k++)
			rc |= r->c.pair_match[k] > DP_MATCH_INSTANT;
	}
	for (size_t i = 0; !rc && i < nrows; i++)
		if (r->c.label[i] >= (int64_t)ng || r->c.label[i] < -1)
			rc = 1;
	for (size_t k = 0; !rc && k < ng; k++)
		if (r->c.group_keeper[k] < 0 || r->c.group_keeper[k] >= (int64_t)nrows)
			rc = 1;
	if (rc)
		rc = dp_err_set(err, DP_E_FORMAT, "export: %s: /clusters/%s is damaged", path, name);
out:
	free(pi);
	free(pj);
	free(pd);
	if (g >= 0)
		H5Gclose(g);
	H5Fclose(file);
	if (rc)
		dp_clusters_free(&r->c);
	return rc;
}
