/* src/merge.c - shard files -> one result file (see merge.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "merge.h"

#include <stdlib.h>
#include <string.h>

#include "store_h5.h"

/* The parts' metadata, checked to be shards 1..N of one scan; *order[k-1]
 * is the index of shard k. */
static int check_parts(const char *const *parts, size_t n, struct dp_store_file_meta *fm,
		       size_t *order, struct dp_err *err)
{
	const struct dp_store_meta *m0;
	uint64_t next = 0;

	for (size_t i = 0; i < n; i++) {
		int rc = dp_store_read_meta(parts[i], &fm[i], err);

		if (rc)
			return rc;
		if (fm[i].meta.shard_n == 0)
			return dp_err_set(err, DP_E_ARG, "merge: %s is a whole scan, not a shard "
					  "(made by doppel scan --shard K/N)", parts[i]);
	}
	m0 = &fm[0].meta;
	if ((size_t)m0->shard_n != n)
		return dp_err_set(err, DP_E_ARG, "merge: %s is shard %d/%d, but %zu parts were "
				  "given: give all %d shards of the scan", parts[0], m0->shard_k,
				  m0->shard_n, n, m0->shard_n);
	for (size_t k = 0; k < n; k++)
		order[k] = n;
	for (size_t i = 0; i < n; i++) {
		const struct dp_store_meta *m = &fm[i].meta;

		if (m->shard_n != m0->shard_n || m->shard_total != m0->shard_total ||
		    strcmp(m->identity, m0->identity) || m->hashes != m0->hashes)
			return dp_err_set(err, DP_E_ARG, "merge: %s and %s are shards of different "
					  "scans (other inputs, options or doppel version): '%s' vs '%s'",
					  parts[0], parts[i], fm[0].command, fm[i].command);
		if (order[m->shard_k - 1] != n)
			return dp_err_set(err, DP_E_ARG, "merge: shard %d/%d given twice (%s and %s)",
					  m->shard_k, m->shard_n, parts[order[m->shard_k - 1]], parts[i]);
		order[m->shard_k - 1] = i;
	}
	for (size_t k = 0; k < n; k++) {
		const struct dp_store_file_meta *f = &fm[order[k]];

		if (f->meta.shard_first != next)
			return dp_err_set(err, DP_E_ARG, "merge: %s holds rows from %llu, expected %llu: "
					  "the shard was cut from a different file list",
					  parts[order[k]], (unsigned long long)f->meta.shard_first,
					  (unsigned long long)next);
		next += f->nrows;
	}
	if (next != m0->shard_total)
		return dp_err_set(err, DP_E_ARG, "merge: the shards hold %llu rows, the scan had %llu",
				  (unsigned long long)next, (unsigned long long)m0->shard_total);
	return 0;
}

/* The store keeps row paths until it is committed: they live here. */
struct paths {
	char **v;
	size_t n, cap;
};

static const char *keep_path(struct paths *p, const char *path)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		void *v = realloc(p->v, cap * sizeof(*p->v));

		if (!v)
			return NULL;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n] = strdup(path);
	return p->v[p->n] ? p->v[p->n++] : NULL;
}

static int copy_rows(struct dp_store *st, const char *part, unsigned hashes, struct paths *keep,
		     struct dp_err *err)
{
	unsigned have;
	size_t n;
	struct dp_row row;
	struct dp_store_rows *r = dp_store_rows_open(part, &have, &n, err);
	int rc;

	if (!r)
		return err->code;
	if ((have & hashes) != hashes) {
		dp_store_rows_close(r);
		return dp_err_set(err, DP_E_FORMAT, "merge: %s lacks hash datasets its attributes "
				  "name", part);
	}
	while ((rc = dp_store_rows_next(r, &row, err)) == 1) {
		row.path = keep_path(keep, row.path);
		rc = row.path ? dp_store_append(st, &row, err)
			      : dp_err_set(err, DP_E_NOMEM, "merge: out of memory");
		if (rc)
			break;
	}
	dp_store_rows_close(r);
	return rc;
}

int dp_merge(const char *const *parts, size_t nparts, const char *out, const char *command,
	     struct dp_err *err)
{
	struct dp_store_file_meta *fm = calloc(nparts ? nparts : 1, sizeof(*fm));
	size_t *order = calloc(nparts ? nparts : 1, sizeof(*order));
	struct dp_store_meta meta;
	struct dp_store *st = NULL;
	struct paths keep = { 0 };
	int rc;

	if (!fm || !order) {
		rc = dp_err_set(err, DP_E_NOMEM, "merge: out of memory");
		goto out;
	}
	if (nparts == 0) {
		rc = dp_err_set(err, DP_E_ARG, "merge: no shard files given");
		goto out;
	}
	rc = check_parts(parts, nparts, fm, order, err);
	if (rc)
		goto out;
	meta = fm[order[0]].meta;
	meta.command = command;
	meta.shard_k = meta.shard_n = 0;
	meta.shard_first = meta.shard_total = 0;
	meta.identity = NULL;
	st = dp_store_create(out, (size_t)fm[0].meta.shard_total, &meta, err);
	if (!st) {
		rc = err->code;
		goto out;
	}
	for (size_t k = 0; k < nparts && rc == 0; k++)
		rc = copy_rows(st, parts[order[k]], meta.hashes, &keep, err);
	if (rc)
		dp_store_abort(st);
	else
		rc = dp_store_commit(st, err);
out:
	for (size_t i = 0; fm && i < nparts; i++)
		dp_store_file_meta_free(&fm[i]);
	for (size_t i = 0; i < keep.n; i++)
		free(keep.v[i]);
	free(keep.v);
	free(fm);
	free(order);
	return rc;
}
