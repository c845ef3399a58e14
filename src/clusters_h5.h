/* src/clusters_h5.h - /clusters/NAME in a result file: written atomically, read back for export.
 *
 * Writing never modifies the file in place: it is copied to
 * "<path>.tmp-<pid>", the group is written into the copy (replacing an
 * earlier result of the same name, keeping the others), the copy is fsynced
 * and renamed over the original. An interrupted or failed run leaves the
 * original file as it was. docs/FORMAT.md lists the datasets.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_CLUSTERS_H5_H
#define DP_SRC_CLUSTERS_H5_H

#include <stddef.h>

#include "cluster.h"
#include "err.h"

#define DP_CLUSTER_NAME_MAX 64

/* Provenance written with a clustering. All borrowed. */
struct dp_clusters_meta {
	const char *name;           /* group name: [A-Za-z0-9_.-]{1,64} */
	const char *tool_version;
	const char *command;
	const struct dp_cluster_opts *opts;
};

/* dp_cluster_name_ok - whether name is a valid group name. */
int dp_cluster_name_ok(const char *name);

/*
 * dp_clusters_store - add (or replace) /clusters/<m->name> in the result
 * file at path, atomically (see above). c must have as many rows as the
 * file. Returns 0, DP_E_IO (cannot copy, sync or rename: read-only folder,
 * full disk) or DP_E_HDF5/DP_E_FORMAT, with "cluster: <path>: <cause>".
 */
int dp_clusters_store(const char *path, const struct dp_clusters *c,
		      const struct dp_clusters_meta *m, struct dp_err *err) DP_WUR;

/* A clustering read back (export): the per-row and per-group arrays and the pairs. */
struct dp_clusters_read {
	char name[DP_CLUSTER_NAME_MAX + 1];
	char level[16], hash[16];
	int max_distance;
	struct dp_clusters c;
};

/*
 * dp_clusters_names - the names under /clusters (sorted), as a malloc'd
 * array of malloc'd strings; *n set (0 and NULL when there are none).
 * Returns 0 or DP_E_FORMAT/DP_E_IO/DP_E_NOMEM.
 */
int dp_clusters_names(const char *path, char ***names, size_t *n, struct dp_err *err) DP_WUR;

/*
 * dp_clusters_load - read /clusters/<name> of the file at path (nrows rows)
 * into *r. Returns 0 or DP_E_FORMAT (missing or damaged) / DP_E_NOMEM.
 */
int dp_clusters_load(const char *path, const char *name, size_t nrows,
		     struct dp_clusters_read *r, struct dp_err *err) DP_WUR;

#endif
