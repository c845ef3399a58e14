/* src/h5util.c - small HDF5 helpers shared by the result-file modules (see h5util.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

hid_t dp_h5_str_type(void)
{
	hid_t t = H5Tcopy(H5T_C_S1);

	if (t < 0)
		return t;
	if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
		H5Tclose(t);
		return -1;
	}
	return t;
}


/* Create attribute `name` on obj with file type ftype over space sp and
 * write buf (memory type mtype) into it. Returns 0 or -1. */
static int h5_write_attr(hid_t obj, const char *name, hid_t ftype, hid_t mtype, hid_t sp,
		      const void *buf, int empty)
{
	hid_t a = -1;
	int rc = -1;

	if (sp >= 0)
		a = H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
	if (a >= 0 && (empty || H5Awrite(a, mtype, buf) >= 0))
		rc = 0;
	if (a >= 0)
		H5Aclose(a);
	if (sp >= 0)
		H5Sclose(sp);
	return rc;
}

int dp_h5_set_attr_str(hid_t obj, const char *name, const char *value, hid_t t_str)
{
	return h5_write_attr(obj, name, t_str, t_str, H5Screate(H5S_SCALAR), &value, 0);
}

int dp_h5_set_attr_strs(hid_t obj, const char *name, const char *const *v, size_t n,
			 hid_t t_str)
{
	hsize_t dims[1] = { n };

	return h5_write_attr(obj, name, t_str, t_str, H5Screate_simple(1, dims, NULL), v, n == 0);
}

int dp_h5_set_attr_i64(hid_t obj, const char *name, int64_t v)
{
	return h5_write_attr(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, H5Screate(H5S_SCALAR),
			  &v, 0);
}


void dp_h5_iso_now(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}


void dp_h5_reclaim_strings(hid_t t_str, hid_t space, char **v)
{
#if H5_VERSION_GE(1, 12, 0)
	H5Treclaim(t_str, space, H5P_DEFAULT, v);
#else
	H5Dvlen_reclaim(t_str, space, H5P_DEFAULT, v);
#endif
}

/* A string attribute (variable or fixed length) as a malloc'd string, or NULL. */
char *dp_h5_read_attr_str(hid_t obj, const char *name)
{
	hid_t a, t = -1, mt = -1, sp = -1;
	char *out = NULL;

	if (H5Aexists(obj, name) <= 0)
		return NULL;
	a = H5Aopen(obj, name, H5P_DEFAULT);
	if (a < 0)
		return NULL;
	t = H5Aget_type(a);
	sp = H5Aget_space(a);
	if (t < 0 || H5Tget_class(t) != H5T_STRING || H5Sget_simple_extent_npoints(sp) != 1)
		goto out;
	if (H5Tis_variable_str(t) > 0) {
		char *v = NULL;

		mt = dp_h5_str_type();
		if (mt >= 0 && H5Aread(a, mt, &v) >= 0 && v) {
			out = strdup(v);
			dp_h5_reclaim_strings(mt, sp, &v);
		}
	} else {
		size_t n = H5Tget_size(t);

		mt = H5Tcopy(t);
		out = calloc(1, n + 1);
		if (out && (mt < 0 || H5Aread(a, mt, out) < 0)) {
			free(out);
			out = NULL;
		}
	}
out:
	if (mt >= 0)
		H5Tclose(mt);
	if (sp >= 0)
		H5Sclose(sp);
	if (t >= 0)
		H5Tclose(t);
	H5Aclose(a);
	return out;
}

int dp_h5_read_attr_i64(hid_t obj, const char *name, int64_t *v)
{
	hid_t a, t;
	int rc = -1;

	if (H5Aexists(obj, name) <= 0)
		return -1;
	a = H5Aopen(obj, name, H5P_DEFAULT);
	if (a < 0)
		return -1;
	t = H5Aget_type(a);
	if (t >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Aread(a, H5T_NATIVE_INT64, v) >= 0)
		rc = 0;
	if (t >= 0)
		H5Tclose(t);
	H5Aclose(a);
	return rc;
}

char **dp_h5_read_attr_strs(hid_t obj, const char *name, size_t *n)
{
	hid_t a, sp = -1, t = -1, mt = -1;
	char **v = NULL, **out = NULL;
	hssize_t cnt;

	*n = 0;
	if (H5Aexists(obj, name) <= 0)
		return NULL;
	a = H5Aopen(obj, name, H5P_DEFAULT);
	if (a < 0)
		return NULL;
	sp = H5Aget_space(a);
	t = H5Aget_type(a);
	cnt = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
	if (cnt <= 0 || t < 0 || H5Tis_variable_str(t) <= 0)
		goto out;
	mt = dp_h5_str_type();
	v = calloc((size_t)cnt, sizeof(*v));
	out = calloc((size_t)cnt, sizeof(*out));
	if (mt < 0 || !v || !out || H5Aread(a, mt, v) < 0) {
		free(out);
		out = NULL;
		goto out;
	}
	for (hssize_t i = 0; i < cnt; i++)
		out[i] = strdup(v[i] ? v[i] : "");
	*n = (size_t)cnt;
	dp_h5_reclaim_strings(mt, sp, v);
out:
	free(v);
	if (mt >= 0)
		H5Tclose(mt);
	if (t >= 0)
		H5Tclose(t);
	if (sp >= 0)
		H5Sclose(sp);
	H5Aclose(a);
	return out;
}

/* Length of a dataset's first dimension, or -1 when it is missing. */
hssize_t dp_h5_dataset_rows(hid_t file, const char *name)
{
	hid_t d, sp;
	hsize_t dims[2] = { 0, 0 };
	hssize_t n = -1;

	if (H5Lexists(file, name, H5P_DEFAULT) <= 0)
		return -1;
	d = H5Dopen2(file, name, H5P_DEFAULT);
	if (d < 0)
		return -1;
	sp = H5Dget_space(d);
	if (sp >= 0 && H5Sget_simple_extent_ndims(sp) >= 1 &&
	    H5Sget_simple_extent_dims(sp, dims, NULL) >= 1)
		n = (hssize_t)dims[0];
	if (sp >= 0)
		H5Sclose(sp);
	H5Dclose(d);
	return n;
}

/*
 * Whether a dataset's file type can be read as memory type mt the way doppel
 * writes it: integers (or a 1-byte enum) of at most 8 bytes as integers,
 * variable-length strings as variable-length strings. Anything else (a
 * damaged or foreign file) is refused before HDF5 converts it.
 */
static int type_compatible(hid_t ft, hid_t mt)
{
	H5T_class_t fc = H5Tget_class(ft), mc = H5Tget_class(mt);
	size_t fs = H5Tget_size(ft);

	if (mc == H5T_STRING)
		return fc == H5T_STRING && H5Tis_variable_str(ft) > 0;
	if (mc == H5T_INTEGER)
		return (fc == H5T_INTEGER && fs >= 1 && fs <= 8) || (fc == H5T_ENUM && fs == 1);
	if (mc == H5T_ENUM)
		return fc == H5T_ENUM && fs == 1;
	if (mc == H5T_FLOAT)
		return fc == H5T_FLOAT && (fs == 4 || fs == 8);
	return 0;
}

/* Read rows [start, start+count) of a dataset into buf with memory type mt. */
int dp_h5_read_rows(hid_t file, const char *name, hid_t mt, size_t start, size_t count,
		     int width, void *buf)
{
	hid_t d = H5Dopen2(file, name, H5P_DEFAULT), fsp = -1, msp = -1, ft = -1;
	int rank = width > 1 ? 2 : 1;
	hsize_t st[2] = { start, 0 }, cnt[2] = { count, (hsize_t)width }, dims[2] = { 0, 0 };
	int vlen = H5Tget_class(mt) == H5T_STRING && H5Tis_variable_str(mt) > 0, rc = -1;

	if (d < 0)
		return -1;
	fsp = H5Dget_space(d);
	ft = H5Dget_type(d);
	msp = H5Screate_simple(rank, cnt, NULL);
	/* Strings: start from NULL pointers so that a read that fails halfway
	 * can give back what HDF5 allocated (the caller gets nothing). */
	if (vlen)
		memset(buf, 0, count * sizeof(char *));
	if (fsp >= 0 && msp >= 0 && ft >= 0 && type_compatible(ft, mt) &&
	    H5Sget_simple_extent_ndims(fsp) == rank &&
	    H5Sget_simple_extent_dims(fsp, dims, NULL) == rank &&
	    start + count <= dims[0] && (rank == 1 || dims[1] == (hsize_t)width) &&
	    H5Sselect_hyperslab(fsp, H5S_SELECT_SET, st, NULL, cnt, NULL) >= 0 &&
	    H5Dread(d, mt, msp, fsp, H5P_DEFAULT, buf) >= 0)
		rc = 0;
	else if (vlen && msp >= 0) {
		dp_h5_reclaim_strings(mt, msp, buf);
		memset(buf, 0, count * sizeof(char *));
	}
	if (ft >= 0)
		H5Tclose(ft);
	if (msp >= 0)
		H5Sclose(msp);
	if (fsp >= 0)
		H5Sclose(fsp);
	H5Dclose(d);
	return rc;
}


hid_t dp_h5_open_result(const char *path, const char *stage, int rdwr, size_t *nrows,
			int *format_version, struct dp_err *err)
{
	int64_t version = 0;
	char *format = NULL;
	hid_t file;
	hssize_t rows;
	int rc;

	if (access(path, rdwr ? R_OK | W_OK : R_OK) != 0)
		return dp_err_set(err, DP_E_IO, "%s: %s: %s", stage, path, strerror(errno));
	if (H5Fis_hdf5(path) <= 0)
		return dp_err_set(err, DP_E_FORMAT, "%s: %s: not an HDF5 file", stage, path);
	file = H5Fopen(path, rdwr ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
	if (file < 0)
		return dp_err_set(err, DP_E_FORMAT, "%s: %s: cannot open as HDF5 (damaged?)",
				  stage, path);
	format = dp_h5_read_attr_str(file, "format");
	if (!format || strcmp(format, DP_H5_FORMAT_NAME)) {
		rc = dp_err_set(err, DP_E_FORMAT,
				"%s: %s: not a doppel file (root attribute format is %s%s%s)",
				stage, path, format ? "'" : "missing", format ? format : "",
				format ? "'" : "");
		goto fail;
	}
	if (dp_h5_read_attr_i64(file, "format_version", &version) || version < 1 ||
	    version > DP_H5_FORMAT_VERSION) {
		rc = dp_err_set(err, DP_E_FORMAT,
				"%s: %s: unsupported format version %lld (this doppel reads 1..%d)",
				stage, path, (long long)version, DP_H5_FORMAT_VERSION);
		goto fail;
	}
	rows = dp_h5_dataset_rows(file, "/images/path");
	if (rows < 0) {
		rc = dp_err_set(err, DP_E_FORMAT, "%s: %s: dataset /images/path is missing",
				stage, path);
		goto fail;
	}
	free(format);
	*nrows = (size_t)rows;
	if (format_version)
		*format_version = (int)version;
	return file;
fail:
	free(format);
	H5Fclose(file);
	return rc;
}

int dp_fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int dp_fsync_parent(const char *path)
{
	char *dir = strdup(path);
	char *slash;
	int rc;

	if (!dir)
		return -1;
	slash = strrchr(dir, '/');
	if (!slash)
		rc = dp_fsync_path(".", O_RDONLY | O_DIRECTORY);
	else {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		rc = dp_fsync_path(dir, O_RDONLY | O_DIRECTORY);
	}
	free(dir);
	return rc;
}


int dp_copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	struct stat st;
	char buf[1 << 16];
	ssize_t got;

	if (in < 0 || fstat(in, &st) != 0)
		goto done;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 0777);
	if (out < 0)
		goto done;
	while ((got = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < got;) {
			ssize_t w = write(out, buf + off, (size_t)(got - off));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				goto done;
			}
			off += w;
		}
	}
	rc = got == 0 ? 0 : -1;
done:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0)
		rc = -1;
	return rc;
}
