/* src/h5util.h - small HDF5 helpers shared by the result-file modules.
 *
 * Attributes (scalar and 1-D string, int64), row-range reads of 1-D and
 * N x W datasets, and opening a file as a doppel result of a known format
 * version; the file-system steps of replacing a result file atomically.
 * HDF5 calls only from the main thread (see STYLE.md).
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_H5UTIL_H
#define DP_SRC_H5UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "err.h"

#define DP_H5_FORMAT_NAME "doppel"   /* root attribute format */
#define DP_H5_FORMAT_VERSION 1   /* the newest result-file version this build reads */

/* dp_h5_str_type - a variable-length UTF-8 string type (close with H5Tclose); < 0 on failure. */
hid_t dp_h5_str_type(void);

/* dp_h5_set_attr_* - create attribute `name` on obj and write the value(s).
 * t_str is a dp_h5_str_type(). Return 0 or -1. */
int dp_h5_set_attr_str(hid_t obj, const char *name, const char *value, hid_t t_str);
int dp_h5_set_attr_strs(hid_t obj, const char *name, const char *const *v, size_t n,
			hid_t t_str);
int dp_h5_set_attr_i64(hid_t obj, const char *name, int64_t v);

/* dp_h5_iso_now - the current UTC time as "2026-11-22T07:12:33Z". */
void dp_h5_iso_now(char *out, size_t n);

/* dp_h5_reclaim_strings - free the strings HDF5 allocated for a vlen read. */
void dp_h5_reclaim_strings(hid_t t_str, hid_t space, char **v);

/* dp_h5_read_attr_str - a string attribute as a malloc'd string, or NULL when
 * missing or not a string. */
char *dp_h5_read_attr_str(hid_t obj, const char *name);

/* dp_h5_read_attr_i64 - an integer attribute into *v; 0 or -1. */
int dp_h5_read_attr_i64(hid_t obj, const char *name, int64_t *v);

/* dp_h5_read_attr_strs - a 1-D string attribute as a malloc'd array of
 * malloc'd strings (*n of them), or NULL. */
char **dp_h5_read_attr_strs(hid_t obj, const char *name, size_t *n);

/* dp_h5_dataset_rows - length of a dataset's first dimension, or -1 when missing. */
hssize_t dp_h5_dataset_rows(hid_t file, const char *name);

/* dp_h5_read_rows - rows [start, start+count) of a 1-D (width 1) or
 * N x width dataset into buf, memory type mt, when the file type is one
 * doppel writes for it. 0 or -1; on failure a string buffer holds only
 * NULL pointers (nothing to reclaim). */
int dp_h5_read_rows(hid_t file, const char *name, hid_t mt, size_t start, size_t count,
		    int width, void *buf);

/*
 * dp_h5_open_result - open `path` (borrowed) as a doppel result file: it must
 * exist, be HDF5, carry format = "doppel" and a known format_version, and
 * have /images/path. rdwr selects H5F_ACC_RDWR. Sets *nrows. Returns the
 * file id, or a negative dp_status with err = "<stage>: <path>: <cause>"
 * (DP_E_IO missing/unreadable, DP_E_FORMAT anything else).
 */
hid_t dp_h5_open_result(const char *path, const char *stage, int rdwr, size_t *nrows,
			int *format_version, struct dp_err *err);

/* dp_fsync_path - open path with flags, fsync, close; 0 or -1 (errno set). */
int dp_fsync_path(const char *path, int flags);
/* dp_fsync_parent - fsync the folder holding path; 0 or -1. */
int dp_fsync_parent(const char *path);
/* dp_copy_file - copy from to a new file `to` (must not exist; same
 * permission bits); 0 or -1 (errno set). Not synced. */
int dp_copy_file(const char *from, const char *to);

#endif
