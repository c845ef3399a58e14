/* src/cluster.c - exact, shot and scene groups from a loaded result table (see cluster.h).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE   /* qsort_r */
#include "cluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "kernels.h"
#include "status.h"

void dp_cluster_opts_default(struct dp_cluster_opts *o)
{
	o->hash = DP_HASH_PDQ;
	o->level = DP_LEVEL_SHOT;
	o->max_distance = 31;
	o->split_distance = 31;
	o->quality_min = 50;
	o->verify_distance = 3;
	o->scene_gap_s = 60.0;
	o->scene_link_gap_s = 120.0;
	o->rotations = 0;
	o->align_distance = -1;
	o->align_nearest = DP_ALIGN_NEAREST_DEFAULT;
	o->confirm_distance = -1;
	o->crop_distance = DP_CROP_DISTANCE_DEFAULT;
	o->crop_far_distance = DP_CROP_FAR_DISTANCE_DEFAULT;
	o->threads = 0;
}

const char *dp_cluster_level_name(int level)
{
	return level == DP_LEVEL_SCENE ? "scene" : "shot";
}

void dp_clusters_free(struct dp_clusters *c)
{
	if (!c)
		return;
	free(c->label);
	free(c->shot);
	free(c->exact);
	free(c->flags);
	free(c->keeper_distance);
	free(c->group_size);
	free(c->group_keeper);
	dp_pairs_free(&c->pairs);
	free(c->pair_match);
	memset(c, 0, sizeof(*c));
}

uint64_t *dp_table_codes(const struct dp_table *t, unsigned kind, int *nwords)
{
	const uint64_t *src = kind == DP_HASH_PHASH ? t->phash : kind == DP_HASH_DHASH ? t->dhash :
			      kind == DP_HASH_AHASH ? t->ahash : NULL;
	uint64_t *out;

	*nwords = kind == DP_HASH_PDQ ? 4 : 1;
	if ((kind == DP_HASH_PDQ && !t->pdq) || (kind != DP_HASH_PDQ && !src))
		return NULL;
	out = malloc((t->n ? t->n : 1) * (size_t)*nwords * sizeof(uint64_t));
	if (!out)
		return NULL;
	if (kind == DP_HASH_PDQ)
		memcpy(out, t->pdq, t->n * 32);
	else
		memcpy(out, src, t->n * 8);
	return out;
}

/* ---- union-find ----------------------------------------------------------- */

static uint32_t uf_find(uint32_t *parent, uint32_t x)
{
	while (parent[x] != x) {
		parent[x] = parent[parent[x]];
		x = parent[x];
	}
	return x;
}

/* Union keeping the smaller row as the root (roots are then group minima). */
static void uf_union(uint32_t *parent, uint32_t a, uint32_t b)
{
	a = uf_find(parent, a);
	b = uf_find(parent, b);
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

/* ---- context -------------------------------------------------------------- */

struct ctx {
	const struct dp_table *t;
	const struct dp_cluster_opts *o;
	struct dp_clusters *c;
	uint64_t *codes;
	int nwords;
	uint32_t *parent;       /* exact groups, then shot groups (row -> root) */
	uint32_t *ids;          /* representatives (matching set), ascending */
	size_t nids;
	uint32_t *adj_off, *adj;   /* near pairs as adjacency lists over rows (CSR) */
	const uint64_t *verify;    /* the second hash (dhash or phash), or NULL */
	const uint64_t *trim;      /* PDQ inside uniform borders per row (4 words), or NULL */
	const uint64_t *dih;       /* with rotations: 8 variants x 4 words per row, or NULL */
	uint8_t *trim_info;        /* per row: information of the trimmed hash (0 none) */
	/* Index entries: a row's hash and, where it has one, its trimmed hash. */
	uint64_t *ecodes;
	uint32_t *erow, *eids;
	uint8_t *elow;             /* entry is low-information: its pairs need verification */
	size_t nent;
	struct dp_pairs cand;      /* row pairs for the alignment check */
	struct dp_pairs crop_near; /* crop candidates the nearest cap keeps (sorted) */
};

static unsigned code_distance(const uint64_t *p, const uint64_t *q, int nwords)
{
	unsigned d = 0;

	for (int w = 0; w < nwords; w++)
		d += dp_hamming64(p[w], q[w]);
	return d;
}

/* Least of d and the distance of codes p and q (4 words: PDQ). */
static unsigned least(unsigned d, const uint64_t *p, const uint64_t *q)
{
	unsigned e = code_distance(p, q, 4);

	return e < d ? e : d;
}

/*
 * Distance of two rows: the least over the hashes they are matched on, the
 * same set the index holds (build_entries): the whole image, the part
 * inside uniform borders where a row has one, and with rotations each
 * row's variants against the other's hash.
 */
static unsigned row_distance(const struct ctx *x, uint32_t a, uint32_t b)
{
	const uint64_t *pa = x->codes + (size_t)a * x->nwords, *pb = x->codes + (size_t)b * x->nwords;
	unsigned d = code_distance(pa, pb, x->nwords);

	if (x->trim) {
		const uint64_t *ta = x->trim + 4 * (size_t)a, *tb = x->trim + 4 * (size_t)b;

		if (x->trim_info[a])
			d = least(d, ta, pb);
		if (x->trim_info[b])
			d = least(d, pa, tb);
		if (x->trim_info[a] && x->trim_info[b])
			d = least(d, ta, tb);
	}
	for (int v = 1; x->dih && v < 8; v++) {
		d = least(d, x->dih + 32 * (size_t)a + 4 * v, pb);
		d = least(d, pa, x->dih + 32 * (size_t)b + 4 * v);
	}
	return d;
}

static int cmp_sha_row(const void *a, const void *b, void *t)
{
	const struct dp_table *tb = t;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = memcmp(tb->sha256[x], tb->sha256[y], 32);

	return c ? c : (x > y) - (x < y);
}

/* 2: full information; 1: low information (matched only when verified); 0: none. */
static int information(const struct ctx *x, uint32_t row)
{
	const uint64_t *c = x->codes + (size_t)row * x->nwords;

	if (x->o->hash != DP_HASH_PDQ)
		return c[0] != 0 && c[0] != UINT64_MAX ? 2 : 0;
	if (!(c[0] | c[1] | c[2] | c[3]))
		return 0;   /* a flat image: every coefficient zero */
	if (x->t->pdq_quality[row] >= x->o->quality_min)
		return 2;
	return x->verify && x->o->verify_distance >= 0 ? 1 : 0;
}

/* Information grade of a row's trimmed hash, as information() for the main one. */
static int trim_information(const struct ctx *x, uint32_t row)
{
	const uint64_t *c = x->trim + 4 * (size_t)row;

	if (!(c[0] | c[1] | c[2] | c[3]))
		return 0;   /* no border, or a flat inside */
	if (x->t->pdq_trim_quality[row] >= x->o->quality_min)
		return 2;
	return x->verify && x->o->verify_distance >= 0 ? 1 : 0;
}

/* Exact groups (same SHA-256 among rows that were read), representatives. */
static int exact_groups(struct ctx *x)
{
	const struct dp_table *t = x->t;
	static const uint8_t zero[32];
	uint32_t *order = malloc((t->n ? t->n : 1) * sizeof(uint32_t));
	size_t m = 0;

	if (!order)
		return DP_E_NOMEM;
	for (uint32_t i = 0; i < t->n; i++) {
		x->parent[i] = i;
		if (memcmp(t->sha256[i], zero, 32))
			order[m++] = i;
	}
	qsort_r(order, m, sizeof(uint32_t), cmp_sha_row, (void *)t);
	for (size_t k = 1; k < m; k++)
		if (!memcmp(t->sha256[order[k]], t->sha256[order[k - 1]], 32))
			uf_union(x->parent, order[k - 1], order[k]);
	free(order);
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t r = uf_find(x->parent, i);

		x->c->exact[i] = memcmp(t->sha256[i], zero, 32) ? (int64_t)r : -1;
		if (t->status[i] != DP_ST_OK) {
			x->c->flags[i] |= DP_CF_NOT_IMAGE;
			continue;
		}
		if (x->trim)
			x->trim_info[i] = (uint8_t)trim_information(x, i);
		switch (information(x, i)) {
		case 0:
			x->c->flags[i] |= DP_CF_LOW_INFO;
			x->c->n_low_info++;
			if (!x->trim || !x->trim_info[i])
				continue;
			break;
		case 1:
			x->c->flags[i] |= DP_CF_LOW_INFO;
			x->c->n_low_info++;
			break;
		default:
			x->c->n_matched++;
		}
		if (r == i || t->status[r] != DP_ST_OK)
			x->ids[x->nids++] = i;   /* first readable member of its exact group */
	}
	return 0;
}

/* Renumber exact labels 0.. by first row; count groups and their files. */
static void number_exact(struct dp_clusters *c)
{
	int64_t *map = calloc(c->n ? c->n : 1, sizeof(int64_t));
	int64_t *cnt = calloc(c->n ? c->n : 1, sizeof(int64_t));
	int64_t next = 0;

	if (!map || !cnt)
		goto out;
	for (size_t i = 0; i < c->n; i++)
		if (c->exact[i] >= 0)
			cnt[c->exact[i]]++;
	c->n_exact_files = 0;
	for (size_t i = 0; i < c->n; i++) {
		int64_t r = c->exact[i];

		if (r < 0)
			continue;
		if ((size_t)r == i) {
			map[r] = next++;
			if (cnt[r] > 1) {
				c->n_exact_groups++;
				c->n_exact_files += (size_t)cnt[r];
			}
		}
		c->exact[i] = map[r];
	}
out:
	free(map);
	free(cnt);
}

/* The index entries: each representative's hash (when it has information)
 * and its trimmed hash (when it has one with information). */
static int build_entries(struct ctx *x)
{
	size_t cap = x->nids * (1 + (x->trim ? 1 : 0) + (x->dih ? 7 : 0)), w = (size_t)x->nwords;

	x->ecodes = malloc((cap ? cap : 1) * w * sizeof(uint64_t));
	x->erow = malloc((cap ? cap : 1) * sizeof(uint32_t));
	x->eids = malloc((cap ? cap : 1) * sizeof(uint32_t));
	x->elow = malloc(cap ? cap : 1);
	if (!x->ecodes || !x->erow || !x->eids || !x->elow)
		return DP_E_NOMEM;
	for (size_t k = 0; k < x->nids; k++) {
		uint32_t r = x->ids[k];
		int info = information(x, r);

		if (info) {
			memcpy(x->ecodes + x->nent * w, x->codes + (size_t)r * w, w * 8);
			x->erow[x->nent] = r;
			x->elow[x->nent++] = info == 1;
		}
		for (int v = 1; info && x->dih && v < 8; v++) {
			memcpy(x->ecodes + x->nent * w, x->dih + 32 * (size_t)r + 4 * v, 32);
			x->erow[x->nent] = r;
			x->elow[x->nent++] = info == 1;
		}
		if (x->trim && x->trim_info[r]) {
			memcpy(x->ecodes + x->nent * w, x->trim + 4 * (size_t)r, 32);
			x->erow[x->nent] = r;
			x->elow[x->nent++] = x->trim_info[r] == 1;
		}
	}
	for (size_t e = 0; e < x->nent; e++)
		x->eids[e] = (uint32_t)e;
	return 0;
}

/* Sort by (i, j) and keep one entry per row pair, with the least distance. */
static void unique_pairs(struct dp_pairs *p)
{
	size_t kept = 0;

	dp_pairs_sort(p);
	for (size_t k = 0; k < p->n; k++) {
		if (kept && p->v[kept - 1].i == p->v[k].i && p->v[kept - 1].j == p->v[k].j) {
			if (p->v[k].d < p->v[kept - 1].d)
				p->v[kept - 1].d = p->v[k].d;
			continue;
		}
		p->v[kept++] = p->v[k];
	}
	p->n = kept;
}

/* Sort the candidates, one entry per row pair, and drop those whose row pair
 * was kept (x->c->pairs, sorted) through another of its hashes. */
static void drop_kept(struct ctx *x)
{
	const struct dp_pairs *p = &x->c->pairs;
	size_t m = 0, k = 0;

	unique_pairs(&x->cand);
	for (size_t c = 0; c < x->cand.n; c++) {
		const struct dp_pair *q = &x->cand.v[c];

		while (k < p->n && (p->v[k].i < q->i || (p->v[k].i == q->i && p->v[k].j < q->j)))
			k++;
		if (k < p->n && p->v[k].i == q->i && p->v[k].j == q->j)
			continue;
		x->cand.v[m++] = *q;
	}
	x->cand.n = m;
}

/*
 * Entry pairs -> row pairs: drop a row paired with itself; keep a pair within
 * max_distance, with a low-information entry only when the second hash
 * agrees; keep the least distance of each row pair. Pairs not kept but
 * within the alignment check's reach become its candidates (x->cand),
 * unless the row pair was kept anyway; so do pairs beyond
 * x->c->confirm_distance, which the hashes alone do not keep (the check
 * confirms them). Both sorted by (i, j) on return.
 */
static int map_pairs(struct ctx *x, int align_distance)
{
	struct dp_pairs *p = &x->c->pairs;
	size_t kept = 0;

	for (size_t e = 0; e < p->n; e++) {
		uint32_t ea = p->v[e].i, eb = p->v[e].j, d = p->v[e].d;
		uint32_t i = x->erow[ea], j = x->erow[eb];
		int ok = d <= (uint32_t)x->c->confirm_distance;

		if (i == j)
			continue;
		if (ok && (x->elow[ea] || x->elow[eb])) {
			ok = (int)dp_hamming64(x->verify[i], x->verify[j]) <= x->o->verify_distance;
			if (!ok)
				x->c->n_pairs_rejected++;
			if (ok && (x->c->flags[i] & DP_CF_LOW_INFO))
				x->c->flags[i] |= DP_CF_VERIFIED;
			if (ok && (x->c->flags[j] & DP_CF_LOW_INFO))
				x->c->flags[j] |= DP_CF_VERIFIED;
		}
		if (!ok) {
			if (align_distance > 0 && d <= (uint32_t)align_distance &&
			    dp_pairs_push(&x->cand, i < j ? i : j, i < j ? j : i, d))
				return DP_E_NOMEM;
			continue;
		}
		p->v[kept++] = (struct dp_pair){ i < j ? i : j, i < j ? j : i, d };
	}
	p->n = kept;
	unique_pairs(p);
	drop_kept(x);
	return 0;
}

/* Whether row r carries a capture time (to the second) and a camera name. */
static int dated(const struct dp_table *t, uint32_t r)
{
	return strlen(t->capture_time[r]) >= 19 &&
	       (t->camera_serial[r][0] || t->camera_make[r][0] || t->camera_model[r][0]);
}

/*
 * A far crop pair among the candidates (x->cand) carries this bit in its
 * distance (its PDQ distance, beyond align_distance): the nearest cap then
 * orders it after every other candidate, and check_pairs keeps it only as
 * a copy or near copy. Never stored.
 */
#define FAR_CROP 0x80000000u

/*
 * In pair_match while dp_cluster_run works (never stored): a copy the
 * check did not find on its own pixels, but raised to one by the hashes'
 * closeness, a dated row, or the luma of smooth pictures. merge_copies
 * takes such pairs after the check's own copies.
 */
#define WEAK_MATCH 0x80

/* Row pairs by code distance, then rows: the order far crop pairs are capped in. */
static int cmp_code_distance(const void *a, const void *b)
{
	const struct dp_pair *p = a, *q = b;

	if (p->d != q->d)
		return p->d < q->d ? -1 : 1;
	if (p->i != q->i)
		return p->i < q->i ? -1 : 1;
	return (p->j > q->j) - (p->j < q->j);
}

/*
 * Candidates by the centre-crop codes (kernels/crop_codes_scalar.c), added
 * to x->cand (after map_pairs): representative pairs where the code of one
 * row's frame is within crop_distance of a code of the other's (its frame
 * or a centre). A cropped copy can be far beyond the alignment reach in
 * PDQ, while its frame is close to its photo's centre. The pair's distance
 * stays the PDQ distance, which orders the nearest-candidate cap.
 * Far crop pairs, codes within crop_far_distance but beyond crop_distance,
 * are mostly unrelated pictures: only those where one row is dated (a
 * copy of it can only join its shot then), and of those only the
 * DP_CROP_NEAREST nearest of one of their two rows (least code
 * distance, then rows), are added, marked FAR_CROP. Pairs within
 * crop_distance among the DP_CROP_NEAREST nearest of one of their rows go
 * to x->crop_near too: the nearest-candidate cap keeps them, where their
 * PDQ distance would rank them after every other candidate of their rows.
 */
static int crop_candidates(struct ctx *x, dp_pair_search_fn search, dp_crop_codes_fn crops,
			   struct dp_err *err)
{
	size_t n = x->nids, nent = 0, before = x->cand.n;
	uint64_t *codes = malloc((n ? n : 1) * DP_CROP_CODES * sizeof(uint64_t));
	uint32_t *eids = malloc((n ? n : 1) * DP_CROP_CODES * sizeof(uint32_t));
	uint8_t *info = malloc(n ? n : 1);
	uint32_t *seen = NULL, *seen_near = NULL;
	struct dp_pairs found = { 0 }, rows = { 0 };
	struct dp_mih *ix = NULL;
	int rc = DP_E_NOMEM;

	if (!codes || !eids || !info)
		goto out;
	if (n > UINT32_MAX / DP_CROP_CODES) {
		rc = dp_err_set(err, DP_E_ARG, "cluster: %zu rows: too many for the crop codes", n);
		goto out;
	}
	if ((rc = crops(x->t, x->ids, n, x->o->threads, codes, info, err)) != 0)
		goto out;
	for (size_t k = 0; k < n; k++)   /* entry k * DP_CROP_CODES + c: row ids[k], scale c */
		for (uint32_t c = 0; info[k] && c < DP_CROP_CODES; c++)
			eids[nent++] = (uint32_t)k * DP_CROP_CODES + c;
	ix = dp_mih_new(codes, 1, eids, nent, x->c->crop_far_distance, err);
	if (!ix) {
		rc = err ? err->code : DP_E_NOMEM;
		goto out;
	}
	if ((rc = search(ix, x->o->threads, &found, err)) != 0)
		goto out;
	rc = DP_E_NOMEM;
	for (size_t k = 0; k < found.n; k++) {
		uint32_t a = found.v[k].i, b = found.v[k].j;
		uint32_t i = x->ids[a / DP_CROP_CODES], j = x->ids[b / DP_CROP_CODES];

		if (i == j || (a % DP_CROP_CODES && b % DP_CROP_CODES))
			continue;   /* one row, or two centres: no frame compared */
		if (dp_pairs_push(&rows, i < j ? i : j, i < j ? j : i, found.v[k].d))
			goto out;
	}
	dp_pairs_free(&found);
	unique_pairs(&rows);   /* each row pair once, at its least code distance */
	if (rows.n) {
		qsort(rows.v, rows.n, sizeof(rows.v[0]), cmp_code_distance);
		if (!(seen = calloc(x->t->n, sizeof(uint32_t))) ||
		    !(seen_near = calloc(x->t->n, sizeof(uint32_t))))
			goto out;
	}
	for (size_t k = 0; k < rows.n; k++) {
		uint32_t i = rows.v[k].i, j = rows.v[k].j, d = row_distance(x, i, j);

		if (rows.v[k].d > (uint32_t)x->c->crop_distance) {
			int keep;

			if (!dated(x->t, i) && !dated(x->t, j))
				continue;
			keep = seen[i] < DP_CROP_NEAREST || seen[j] < DP_CROP_NEAREST;
			seen[i]++;
			seen[j]++;
			if (!keep)
				continue;
			d |= FAR_CROP;
		} else {
			int keep = seen_near[i] < DP_CROP_NEAREST || seen_near[j] < DP_CROP_NEAREST;

			seen_near[i]++;
			seen_near[j]++;
			if (keep && dp_pairs_push(&x->crop_near, i, j, d))
				goto out;
		}
		if (dp_pairs_push(&x->cand, i, j, d))
			goto out;
	}
	dp_pairs_sort(&x->crop_near);
	drop_kept(x);
	x->c->n_crop_candidates = x->cand.n - before;
	for (size_t k = 0; k < x->cand.n; k++)
		x->c->n_crop_far += (x->cand.v[k].d & FAR_CROP) != 0;
	rc = 0;
out:
	if (rc == DP_E_NOMEM && (!err || !err->code))
		rc = dp_err_set(err, DP_E_NOMEM, "cluster: out of memory for the crop codes");
	dp_mih_free(ix);
	dp_pairs_free(&found);
	dp_pairs_free(&rows);
	free(seen);
	free(seen_near);
	free(codes);
	free(eids);
	free(info);
	return rc;
}

/*
 * Merge pairs add (sorted; add_kind[k] the enum dp_pair_match of add->v[k])
 * into the near pairs (sorted), keeping them sorted; a row pair already
 * there keeps its entry.
 */
static int merge_matches(struct dp_clusters *c, const struct dp_pairs *add, const uint8_t *add_kind)
{
	struct dp_pairs all = { 0 };
	uint8_t *kind = malloc(c->pairs.n + add->n + 1);
	size_t a = 0, b = 0;

	if (!kind)
		return DP_E_NOMEM;
	while (a < c->pairs.n || b < add->n) {
		const struct dp_pair *p = a < c->pairs.n ? &c->pairs.v[a] : NULL;
		const struct dp_pair *q = b < add->n ? &add->v[b] : NULL;
		int take_b = !p || (q && (q->i < p->i || (q->i == p->i && q->j < p->j)));

		if (p && q && p->i == q->i && p->j == q->j) {
			b++;   /* already a pair */
			continue;
		}
		kind[all.n] = take_b ? add_kind[b] : c->pair_match ? c->pair_match[a] : DP_MATCH_HASH;
		if (dp_pairs_push(&all, take_b ? q->i : p->i, take_b ? q->j : p->j,
				  take_b ? q->d : p->d)) {
			dp_pairs_free(&all);
			free(kind);
			return DP_E_NOMEM;
		}
		if (take_b)
			b++;
		else
			a++;
	}
	dp_pairs_free(&c->pairs);
	free(c->pair_match);
	c->pairs = all;
	c->pair_match = kind;
	return 0;
}

/* How pair k of c was matched. */
static int match(const struct dp_clusters *c, size_t k)
{
	return c->pair_match ? c->pair_match[k] & ~WEAK_MATCH : DP_MATCH_HASH;
}

/*
 * The order of the cameras of rows a and b (0: one camera), as strcmp. A
 * camera is its body serial number with make and model, else make and model
 * alone; cameras named by a serial sort after those without.
 */
static int cmp_camera(const struct dp_table *t, uint32_t a, uint32_t b)
{
	int sa = t->camera_serial[a][0] != 0, sb = t->camera_serial[b][0] != 0, c;

	if (sa != sb)
		return sa - sb;
	if ((c = strcmp(t->camera_make[a], t->camera_make[b])) != 0 ||
	    (c = strcmp(t->camera_model[a], t->camera_model[b])) != 0)
		return c;
	return sa ? strcmp(t->camera_serial[a], t->camera_serial[b]) : 0;
}

/*
 * Whether rows a and b record one exposure: the same camera and the same
 * capture time to a fraction of a second (EXIF DateTimeOriginal with
 * SubSecTimeOriginal). A camera takes one picture per instant, so a copy
 * that kept its EXIF is a copy of that shot, whatever its pixels. Without
 * the fraction two frames of a burst can share the second, and without a
 * camera name any two cameras could, so neither counts.
 */
static int same_instant(const struct dp_table *t, uint32_t a, uint32_t b)
{
	const char *ta = t->capture_time[a];

	if (!dated(t, a) || strlen(ta) < 21 || ta[19] != '.' || strcmp(ta, t->capture_time[b]))
		return 0;
	return !cmp_camera(t, a, b);
}

/* Whether row pair (i, j) is in the sorted pairs p. */
static int has_pair(const struct dp_pairs *p, uint32_t i, uint32_t j)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct dp_pair *q = &p->v[mid];

		if (q->i < i || (q->i == i && q->j < j))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < p->n && p->v[lo].i == i && p->v[lo].j == j;
}

/* A candidate as one of its row's neighbours: ordered by distance, then row. */
static uint64_t near_key(uint32_t d, uint32_t other)
{
	return (uint64_t)d << 32 | other;
}

/* Offer key to the max-heap h of *len keys (at most k): it keeps the k least. */
static void heap_offer(uint64_t *h, uint32_t *len, uint32_t k, uint64_t key)
{
	uint32_t at;

	if (*len < k) {
		for (at = (*len)++; at > 0 && h[(at - 1) / 2] < key; at = (at - 1) / 2)
			h[at] = h[(at - 1) / 2];
		h[at] = key;
		return;
	}
	if (key >= h[0])
		return;
	for (at = 0;;) {   /* the root goes; key sinks from there */
		uint32_t c = 2 * at + 1;

		if (c >= k)
			break;
		if (c + 1 < k && h[c + 1] > h[c])
			c++;
		if (h[c] <= key)
			break;
		h[at] = h[c];
		at = c;
	}
	h[at] = key;
}

/*
 * Keep of the candidates (sorted by (i, j)) the pairs among the nearest
 * (least distance, then lowest row) of either of their rows, the pairs
 * within max_distance (left to the check by confirm_distance) and the pairs
 * of one exposure (joined without the check): pairs of unrelated pictures
 * within the alignment reach grow as the square of the rows, while a row's
 * copies are almost always among its nearest. Order is kept. Only rows with
 * more candidates than that hold a heap of their nearest (the root: the
 * farthest kept): 8 * nearest bytes per such row, whatever the number of
 * candidates.
 */
static int nearest_candidates(struct ctx *x, uint32_t nearest)
{
	struct dp_pairs *cand = &x->cand;
	size_t n = x->t->n, m = 0;
	uint32_t *slot = calloc(n ? n : 1, sizeof(uint32_t)), *len = NULL, full = 0;
	uint64_t *heap = NULL;
	int rc = DP_E_NOMEM;

	if (!slot)
		goto out;
	for (size_t k = 0; k < cand->n; k++) {   /* first each row's candidates ... */
		slot[cand->v[k].i] += slot[cand->v[k].i] <= nearest;
		slot[cand->v[k].j] += slot[cand->v[k].j] <= nearest;
	}
	for (size_t r = 0; r < n; r++)   /* ... then its heap, if it has more than nearest */
		slot[r] = slot[r] > nearest ? full++ : UINT32_MAX;
	rc = 0;
	if (!full)
		goto out;   /* no row has more candidates than that: all stay */
	rc = DP_E_NOMEM;
	if ((size_t)full > SIZE_MAX / sizeof(uint64_t) / nearest)
		goto out;
	len = calloc(full, sizeof(uint32_t));
	heap = malloc((size_t)full * nearest * sizeof(uint64_t));
	if (!len || !heap)
		goto out;
	for (size_t k = 0; k < cand->n; k++) {
		const struct dp_pair *p = &cand->v[k];

		if (slot[p->i] != UINT32_MAX)
			heap_offer(heap + (size_t)slot[p->i] * nearest, len + slot[p->i], nearest,
				   near_key(p->d, p->j));
		if (slot[p->j] != UINT32_MAX)
			heap_offer(heap + (size_t)slot[p->j] * nearest, len + slot[p->j], nearest,
				   near_key(p->d, p->i));
	}
	for (size_t k = 0; k < cand->n; k++) {
		const struct dp_pair *p = &cand->v[k];

		if (slot[p->i] == UINT32_MAX || slot[p->j] == UINT32_MAX ||
		    p->d <= (uint32_t)x->o->max_distance ||
		    near_key(p->d, p->j) <= heap[(size_t)slot[p->i] * nearest] ||
		    near_key(p->d, p->i) <= heap[(size_t)slot[p->j] * nearest] ||
		    same_instant(x->t, p->i, p->j) || has_pair(&x->crop_near, p->i, p->j))
			cand->v[m++] = *p;
	}
	cand->n = m;
	rc = 0;
out:
	free(slot);
	free(len);
	free(heap);
	return rc;
}

/*
 * The alignment check of row pairs, merged into the near pairs: those it
 * finds copies as copy_kind, those it finds the same scene as scene_kind
 * (enum dp_pair_match; -1: not kept). With copy_kind DP_MATCH_COPY (the
 * candidates), pairs of one exposure (same_instant) are kept as
 * DP_MATCH_INSTANT without aligning: the pixels of a copy and those of
 * another shot can look alike, the capture instants cannot. A near copy
 * (DP_ALIGN_NEAR_COPY: possibly another shot turned a little) counts as a
 * copy only when one of its rows is dated, so that merge_copies can keep
 * two shots apart by their capture times; else as the same scene. So does
 * a sheared copy (DP_ALIGN_SHEARED_COPY: a loose fit) within
 * align_distance; beyond it, it is the same scene. A loose one
 * (DP_ALIGN_SHEARED_LOOSE: not even the same scene's fit) within
 * align_distance is a copy where a row is dated or the hashes are within
 * max_distance, else nothing, and nothing outside the candidates' check
 * (copy_kind other than DP_MATCH_COPY: bridges, far instants). Hashes
 * within max_distance (pairs left to the check by confirm_distance, and
 * low-information pairs the second hash rejected) raise the verdict one
 * step: a near copy is a copy, and the same scene counts as a near copy
 * does further out. A far crop pair (FAR_CROP, one of its rows dated)
 * counts only as a copy or near copy, never as the same scene. Beyond
 * align_distance two undated smooth pictures (PDQ quality under
 * DP_FLAT_QUALITY: a gradient aligns with any other of its direction) are
 * never the same scene.
 */
static int check_pairs(struct ctx *x, const struct dp_pairs *pairs, int copy_kind, int scene_kind,
		       dp_align_check_fn align, struct dp_err *err)
{
	struct dp_pairs keep = { 0 }, rest = { 0 };
	size_t n = pairs->n ? pairs->n : 1;
	uint8_t *verdict = malloc(n), *kind = malloc(n), *instant = calloc(n, 1);
	int rc = DP_E_NOMEM;

	if (!verdict || !kind || !instant)
		goto out;
	for (size_t k = 0; k < pairs->n; k++) {
		instant[k] = copy_kind == DP_MATCH_COPY &&
			     same_instant(x->t, pairs->v[k].i, pairs->v[k].j);
		if (!instant[k] && dp_pairs_push(&rest, pairs->v[k].i, pairs->v[k].j,
						 pairs->v[k].d & ~FAR_CROP))
			goto out;
	}
	if (rest.n && (rc = align(x->t, &rest, x->o->threads, verdict, err)) != 0)
		goto out;
	rc = DP_E_NOMEM;
	for (size_t k = 0, r = 0; k < pairs->n; k++) {
		uint32_t i = pairs->v[k].i, j = pairs->v[k].j, d = pairs->v[k].d & ~FAR_CROP;
		int far = d > (uint32_t)x->c->align_distance;
		int v = instant[k] ? -1 :
			verdict[r] == DP_ALIGN_SHEARED_COPY ? (far ? DP_ALIGN_SCENE : DP_ALIGN_NEAR_COPY) :
			verdict[r] == DP_ALIGN_SHEARED_LOOSE && far ? DP_ALIGN_NONE : verdict[r];
		int near = d <= (uint32_t)x->o->max_distance;
		int weak = (v == DP_ALIGN_COPY && far) ||
			   (v == (near ? DP_ALIGN_SCENE : DP_ALIGN_NEAR_COPY));
		int smooth = x->t->pdq_quality[i] < DP_FLAT_QUALITY &&
			     x->t->pdq_quality[j] < DP_FLAT_QUALITY;
		int any_dated = dated(x->t, i) || dated(x->t, j);
		int as = instant[k] ? DP_MATCH_INSTANT :
			 pairs->v[k].d & FAR_CROP ?
				 (v == DP_ALIGN_COPY || v == DP_ALIGN_NEAR_COPY ? copy_kind : -1) :
			 v == DP_ALIGN_SHEARED_LOOSE ?
				 ((near || any_dated) && copy_kind == DP_MATCH_COPY ? copy_kind : -1) :
			 (v == DP_ALIGN_COPY && !far) || (v == DP_ALIGN_NEAR_COPY && near) ? copy_kind :
			 weak && any_dated ? copy_kind :
			 (weak || v == DP_ALIGN_SCENE) && !(far && smooth && !any_dated) ? scene_kind :
			 -1;

		r += !instant[k];
		if (as < 0)
			continue;
		kind[keep.n] = (uint8_t)as;
		if (as == DP_MATCH_COPY && !(v == DP_ALIGN_COPY && !far))
			kind[keep.n] |= WEAK_MATCH;   /* pairs of one exposure are never weak */
		if (dp_pairs_push(&keep, i, j, d))
			goto out;
	}
	rc = merge_matches(x->c, &keep, kind);
out:
	if (rc == DP_E_NOMEM && (!err || !err->code))
		rc = dp_err_set(err, DP_E_NOMEM, "cluster: out of memory in the alignment check");
	dp_pairs_free(&keep);
	dp_pairs_free(&rest);
	free(verdict);
	free(kind);
	free(instant);
	return rc;
}

/* Representatives with a sub-second capture time and a camera, by (time, camera). */
static int cmp_instant(const void *a, const void *b, void *table)
{
	const struct dp_table *t = table;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(t->capture_time[x], t->capture_time[y]);

	if (!c)
		c = cmp_camera(t, x, y);
	return c ? c : (x > y) - (x < y);
}

/*
 * Pairs of one exposure (same_instant) that the hashes put beyond the
 * candidates (after check_pairs of x->cand): kept as DP_MATCH_INSTANT when
 * the thumbnails align as a copy or the same scene, i.e. the pixels are
 * related too. Runs of more than DP_INSTANT_MAX_RUN files of one instant
 * (a tool stamping one EXIF onto many files) are left out.
 */
#define DP_INSTANT_MAX_RUN 16

static int far_instants(struct ctx *x, dp_align_check_fn align, struct dp_err *err)
{
	const struct dp_table *t = x->t;
	uint32_t *rows = malloc((x->nids ? x->nids : 1) * sizeof(uint32_t));
	struct dp_pairs far = { 0 };
	size_t n = 0;
	int rc = DP_E_NOMEM;

	if (!rows)
		goto out;
	for (size_t k = 0; k < x->nids; k++)   /* a row with itself: has a time and a camera */
		if (same_instant(t, x->ids[k], x->ids[k]))
			rows[n++] = x->ids[k];
	qsort_r(rows, n, sizeof(uint32_t), cmp_instant, (void *)t);
	for (size_t a = 0, e; a < n; a = e) {
		for (e = a + 1; e < n && same_instant(t, rows[a], rows[e]); e++)
			;
		for (size_t i = a; e - a <= DP_INSTANT_MAX_RUN && i < e; i++)
			for (size_t j = i + 1; j < e; j++) {
				uint32_t p = rows[i] < rows[j] ? rows[i] : rows[j];
				uint32_t q = rows[i] < rows[j] ? rows[j] : rows[i];

				if (!has_pair(&x->c->pairs, p, q) && !has_pair(&x->cand, p, q) &&
				    dp_pairs_push(&far, p, q, row_distance(x, p, q)))
					goto out;
			}
	}
	dp_pairs_sort(&far);
	x->c->n_aligned_checked += far.n;
	rc = far.n ? check_pairs(x, &far, DP_MATCH_INSTANT, DP_MATCH_INSTANT, align, err) : 0;
out:
	if (rc == DP_E_NOMEM && (!err || !err->code))
		rc = dp_err_set(err, DP_E_NOMEM, "cluster: out of memory for the capture instants");
	dp_pairs_free(&far);
	free(rows);
	return rc;
}

/* Near pairs as adjacency lists over rows. */
static int build_adjacency(struct ctx *x)
{
	const struct dp_pairs *p = &x->c->pairs;
	size_t n = x->t->n;

	x->adj_off = calloc(n + 1, sizeof(uint32_t));
	x->adj = malloc((2 * p->n + 1) * sizeof(uint32_t));
	if (!x->adj_off || !x->adj)
		return DP_E_NOMEM;
	for (size_t k = 0; k < p->n; k++) {
		if (match(x->c, k) != DP_MATCH_HASH)
			continue;
		x->adj_off[p->v[k].i + 1]++;
		x->adj_off[p->v[k].j + 1]++;
	}
	for (size_t i = 0; i < n; i++)
		x->adj_off[i + 1] += x->adj_off[i];
	{
		uint32_t *fill = malloc((n + 1) * sizeof(uint32_t));

		if (!fill)
			return DP_E_NOMEM;
		memcpy(fill, x->adj_off, (n + 1) * sizeof(uint32_t));
		for (size_t k = 0; k < p->n; k++) {
			if (match(x->c, k) != DP_MATCH_HASH)
				continue;
			x->adj[fill[p->v[k].i]++] = p->v[k].j;
			x->adj[fill[p->v[k].j]++] = p->v[k].i;
		}
		free(fill);
	}
	return 0;
}

/*
 * Whether rows a and b are two exposures: both dated, and either the same
 * camera with capture times that differ (to the second, or to its fraction
 * where both give one: a camera takes one picture at a time), or two
 * cameras with capture times that differ to the second. A copy keeps the
 * capture time of its photo or has none; a copy stamped with the make,
 * model and capture time of the device that made it would be a new shot
 * (screenshots carry no camera name, and are not dated). Two cameras at
 * one second say nothing.
 */
static int two_exposures(const struct dp_table *t, uint32_t a, uint32_t b)
{
	const char *ta = t->capture_time[a], *tb = t->capture_time[b];

	if (!dated(t, a) || !dated(t, b))
		return 0;
	if (strncmp(ta, tb, 19))
		return 1;
	return !cmp_camera(t, a, b) && ta[19] == '.' && tb[19] == '.' && strcmp(ta, tb);
}

struct near_ctx {
	const struct ctx *x;
	uint32_t medoid;
};

/* Rows by distance to the medoid, then row. */
static int cmp_near_medoid(const void *a, const void *b, void *arg)
{
	const struct near_ctx *c = arg;
	uint32_t u = *(const uint32_t *)a, v = *(const uint32_t *)b;
	unsigned du = row_distance(c->x, c->medoid, u), dv = row_distance(c->x, c->medoid, v);

	if (du != dv)
		return du < dv ? -1 : 1;
	return (u > v) - (u < v);
}

/* split_component's scratch: the dated rows a medoid's group took, and
 * those it left out (another exposure than one it holds). */
struct split_scratch {
	uint32_t *dates, *left;
	size_t cap_dates, cap_left;
};

/* Append row r to the growing array *v of *n rows (capacity *cap). */
static int push_row(uint32_t **v, size_t *n, size_t *cap, uint32_t r)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		uint32_t *w = realloc(*v, c * sizeof(uint32_t));

		if (!w)
			return DP_E_NOMEM;
		*v = w;
		*cap = c;
	}
	(*v)[(*n)++] = r;
	return 0;
}

/*
 * Split one component (rows in comp, ascending) until every group lies
 * within split_distance of its medoid; groups are recorded by uniting
 * their rows in x->parent (reset to singletons for these rows first).
 * mark: scratch over rows (0 = not in the current set).
 */
static int split_component(struct ctx *x, uint32_t *comp, size_t k, uint8_t *mark,
			   uint32_t *stack, struct split_scratch *sc)
{
	size_t lo = 0;
	int rc;

	/* comp[lo..k) is the set still to split; it is processed as components. */
	while (lo < k) {
		size_t n = k - lo, best = 0, top = 0, ncomp = 0;
		uint32_t *set = comp + lo;
		unsigned long long best_sum = ~0ull;

		/* Take the component of set[0] within the set (BFS over near pairs). */
		for (size_t i = 0; i < n; i++)
			mark[set[i]] = 1;
		stack[top++] = set[0];
		mark[set[0]] = 2;
		while (top) {
			uint32_t v = stack[--top];

			for (uint32_t e = x->adj_off[v]; e < x->adj_off[v + 1]; e++)
				if (mark[x->adj[e]] == 1) {
					mark[x->adj[e]] = 2;
					stack[top++] = x->adj[e];
				}
		}
		/* Move that component to the front of set, in row order. */
		for (size_t i = 0; i < n; i++)
			if (mark[set[i]] == 2) {
				uint32_t v = set[i];

				memmove(set + ncomp + 1, set + ncomp, (i - ncomp) * sizeof(uint32_t));
				set[ncomp++] = v;
			}
		for (size_t i = 0; i < n; i++)
			mark[set[i]] = 0;
		/* Medoid: least total distance to the component's members. */
		for (size_t i = 0; i < ncomp && ncomp > 2; i++) {
			unsigned long long sum = 0;

			for (size_t j = 0; j < ncomp; j++)
				sum += row_distance(x, set[i], set[j]);
			if (sum < best_sum) {
				best_sum = sum;
				best = i;
			}
		}
		/* The medoid's group: members within split_distance of it, but no
		 * two exposures (two_exposures): of those the nearer to the medoid
		 * is taken; the other is left out, and so is every undated member
		 * nearer to it than to the medoid (its copies). */
		{
			uint32_t med = set[best], *near = stack;
			size_t g = 0, nn = 0, nd = 0, nx = 0;
			struct near_ctx nc = { x, med };

			for (size_t i = 0; i < ncomp; i++)
				if (i != best &&
				    row_distance(x, med, set[i]) <= (unsigned)x->o->split_distance)
					near[nn++] = set[i];
			qsort_r(near, nn, sizeof(uint32_t), cmp_near_medoid, &nc);
			if (dated(x->t, med) && (rc = push_row(&sc->dates, &nd, &sc->cap_dates, med)) != 0)
				return rc;
			mark[med] = 3;
			for (size_t i = 0; i < nn; i++) {   /* the dated members, nearest first */
				uint32_t v = near[i];
				int ok = 1;

				if (!dated(x->t, v))
					continue;
				for (size_t e = 0; ok && e < nd; e++)
					ok = !two_exposures(x->t, sc->dates[e], v);
				if (ok)
					mark[v] = 3;
				if ((rc = ok ? push_row(&sc->dates, &nd, &sc->cap_dates, v)
					     : push_row(&sc->left, &nx, &sc->cap_left, v)) != 0)
					return rc;
			}
			x->c->n_split_exposures += nx;
			for (size_t i = 0; i < nn; i++) {   /* then the undated ones */
				uint32_t v = near[i];
				unsigned dm;
				int ok = 1;

				if (dated(x->t, v))
					continue;
				dm = row_distance(x, med, v);
				for (size_t e = 0; ok && e < nx; e++)
					ok = row_distance(x, sc->left[e], v) >= dm;
				if (ok)
					mark[v] = 3;
			}
			for (size_t i = 0; i < ncomp; i++)
				if (mark[set[i]] == 3) {
					uint32_t v = set[i];

					mark[v] = 0;
					uf_union(x->parent, med, v);
					memmove(set + g + 1, set + g, (i - g) * sizeof(uint32_t));
					set[g++] = v;
				}
			if (g < ncomp)
				x->c->n_merged_splits++;
			lo += g;   /* the rest of the component and of the set go round again */
		}
	}
	return 0;
}

/* Copy pairs k of c: the check's own copies first, then by distance, then k. */
static int cmp_pair_distance(const void *a, const void *b, void *clusters)
{
	const struct dp_clusters *c = clusters;
	const struct dp_pair *v = c->pairs.v;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int wx = c->pair_match && (c->pair_match[x] & WEAK_MATCH);
	int wy = c->pair_match && (c->pair_match[y] & WEAK_MATCH);

	if (wx != wy)
		return wx - wy;
	if (v[x].d != v[y].d)
		return v[x].d < v[y].d ? -1 : 1;
	return (x > y) - (x < y);
}

/*
 * Per shot group (its root), a chain through next[] of its dated rows, one
 * per camera and capture time: the group's exposures. Whether the groups
 * of roots a and b hold two exposures.
 */
static int chains_clash(const struct dp_table *t, const int64_t *head, const int64_t *next,
			uint32_t a, uint32_t b)
{
	for (int64_t u = head[a]; u >= 0; u = next[u])
		for (int64_t v = head[b]; v >= 0; v = next[v])
			if (two_exposures(t, (uint32_t)u, (uint32_t)v))
				return 1;
	return 0;
}

/* Add row r to the chain of root a unless a row of its camera and capture time is there. */
static void chain_add(const struct dp_table *t, int64_t *head, int64_t *next, uint32_t a,
		      uint32_t r)
{
	int64_t *at = &head[a];

	for (; *at >= 0; at = &next[*at])
		if (!cmp_camera(t, (uint32_t)*at, r) &&
		    !strcmp(t->capture_time[*at], t->capture_time[r]))
			return;
	*at = r;
	next[r] = -1;
}

/*
 * Copies (aligned, or of one exposure) merge the shot groups of their rows:
 * the check's own copies first (WEAK_MATCH last), each round closest pairs
 * first, unless the two groups hold two exposures (two_exposures of a
 * dated row of each; a group can hold several cameras): then the pixels
 * matched two shots of a scene, whatever they look like.
 */
static int merge_copies(struct ctx *x)
{
	const struct dp_table *t = x->t;
	const struct dp_pairs *p = &x->c->pairs;
	int64_t *head = malloc((t->n ? t->n : 1) * sizeof(int64_t));
	int64_t *next = malloc((t->n ? t->n : 1) * sizeof(int64_t));
	size_t *order = malloc((p->n ? p->n : 1) * sizeof(size_t)), m = 0;
	int rc = DP_E_NOMEM;

	if (!head || !next || !order)
		goto out;
	for (size_t r = 0; r < t->n; r++)
		head[r] = next[r] = -1;
	for (uint32_t r = 0; r < t->n; r++)
		if (t->status[r] == DP_ST_OK && dated(t, r))
			chain_add(t, head, next, uf_find(x->parent, r), r);
	for (size_t k = 0; k < p->n; k++)
		if (match(x->c, k) == DP_MATCH_COPY || match(x->c, k) == DP_MATCH_INSTANT)
			order[m++] = k;
	qsort_r(order, m, sizeof(size_t), cmp_pair_distance, (void *)x->c);
	for (size_t k = 0; k < m; k++) {
		uint32_t a = uf_find(x->parent, p->v[order[k]].i), b = uf_find(x->parent, p->v[order[k]].j);
		uint32_t root, other;

		if (a == b)
			continue;
		if (chains_clash(t, head, next, a, b)) {
			x->c->n_copies_refused++;
			continue;
		}
		uf_union(x->parent, a, b);
		root = uf_find(x->parent, a);
		other = root == a ? b : a;
		for (int64_t v = head[other], w; v >= 0; v = w) {
			w = next[v];
			chain_add(t, head, next, root, (uint32_t)v);
		}
		head[other] = -1;
	}
	rc = 0;
out:
	free(head);
	free(next);
	free(order);
	return rc;
}

/* Shot groups: components of the near pairs, split around medoids. */
static int shot_groups(struct ctx *x)
{
	size_t n = x->t->n;
	uint32_t *comp_parent = malloc((n ? n : 1) * sizeof(uint32_t));
	uint32_t *order = malloc((x->nids ? x->nids : 1) * sizeof(uint32_t));
	uint32_t *stack = malloc((x->nids ? x->nids : 1) * sizeof(uint32_t));
	uint8_t *mark = calloc(n ? n : 1, 1);
	struct split_scratch sc = { 0 };
	int rc = DP_E_NOMEM;

	if (!comp_parent || !order || !stack || !mark)
		goto out;
	if ((rc = build_adjacency(x)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		comp_parent[i] = (uint32_t)i;
	for (size_t k = 0; k < x->c->pairs.n; k++)
		if (match(x->c, k) == DP_MATCH_HASH)
			uf_union(comp_parent, x->c->pairs.v[k].i, x->c->pairs.v[k].j);
	/* Representatives grouped by component (stable: ascending rows inside). */
	{
		size_t m = 0;
		uint32_t *cnt = calloc(n + 1, sizeof(uint32_t));

		if (!cnt) {
			rc = DP_E_NOMEM;
			goto out;
		}
		for (size_t k = 0; k < x->nids; k++)
			cnt[uf_find(comp_parent, x->ids[k]) + 1]++;
		for (size_t i = 0; i < n; i++)
			cnt[i + 1] += cnt[i];
		for (size_t k = 0; k < x->nids; k++)
			order[cnt[uf_find(comp_parent, x->ids[k])]++] = x->ids[k];
		free(cnt);
		/* Each component is a run of equal roots in order. */
		while (m < x->nids) {
			uint32_t root = uf_find(comp_parent, order[m]);
			size_t e = m + 1;

			while (e < x->nids && uf_find(comp_parent, order[e]) == root)
				e++;
			if (e - m > 1 &&
			    (rc = split_component(x, order + m, e - m, mark, stack, &sc)))
				goto out;
			m = e;
		}
	}
	rc = merge_copies(x);
out:
	free(sc.dates);
	free(sc.left);
	free(comp_parent);
	free(order);
	free(stack);
	free(mark);
	return rc;
}

/* ---- scenes --------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Hinnant's algorithm). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

/* "YYYY-MM-DDTHH:MM:SS[.ff][+HH:MM]" as the camera clock's seconds (the
 * offset is ignored: one camera's times are compared with each other only).
 * Returns 0, or -1 when empty or malformed. */
static int parse_time(const char *s, double *out)
{
	int y, mo, d, h, mi, n = 0;
	double sec;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%lf%n", &y, &mo, &d, &h, &mi, &sec, &n) < 6 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61)
		return -1;
	*out = (double)days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400.0 + h * 3600.0 +
	       mi * 60.0 + sec;
	return 0;
}

struct shot_meta {
	uint32_t root;          /* shot group (root row) */
	uint32_t row;           /* the row whose metadata it carries */
	double time;
};

static int cmp_meta(const void *a, const void *b, void *table)
{
	const struct shot_meta *x = a, *y = b;
	int c = cmp_camera(table, x->row, y->row);

	if (c)
		return c;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return (x->root > y->root) - (x->root < y->root);
}

/* Two metadata rows: same camera and at most `gap` seconds apart. */
static int same_run(const struct dp_table *t, const struct shot_meta *a, const struct shot_meta *b,
		    double gap)
{
	double d = a->time - b->time;

	return !cmp_camera(t, a->row, b->row) && d <= gap && -d <= gap;
}

/*
 * Scene links (DP_MATCH_SCENE candidate pairs) after the capture-time runs.
 * A global hash match plus aligned thumbnails is weaker evidence than the
 * capture metadata, and one wrong link can chain two scenes, so:
 *   - between two shot groups with metadata, a link stands only when they
 *     are of one camera within scene_link_gap (it never overrides them); a
 *     copy pair between two such groups (merge_copies kept two exposures
 *     apart) links them the same way;
 *   - shot groups without metadata joined by links form components; each
 *     component joins at most one group with metadata: through its best
 *     link (least distance, then first pair).
 * Links that do not stand are removed from the pairs. meta_of: shot root ->
 * index in meta, or -1.
 */
static int apply_links(struct ctx *x, uint32_t *scene_parent, const struct shot_meta *meta,
		       const int32_t *meta_of)
{
	struct dp_clusters *c = x->c;
	size_t n = x->t->n, kept = 0;
	uint32_t *free_parent = malloc((n ? n : 1) * sizeof(uint32_t));
	int64_t *best = malloc((n ? n : 1) * sizeof(int64_t));   /* component root -> pair */
	uint8_t *drop = calloc(c->pairs.n ? c->pairs.n : 1, 1);
	int rc = DP_E_NOMEM;

	if (!free_parent || !best || !drop)
		goto out;
	for (size_t i = 0; i < n; i++) {
		free_parent[i] = (uint32_t)i;
		best[i] = -1;
	}
	/* Links between groups with metadata; components of the others. */
	for (size_t k = 0; k < c->pairs.n; k++) {
		int m = match(c, k);
		uint32_t a, b;

		if (m != DP_MATCH_SCENE && m != DP_MATCH_COPY)
			continue;
		a = uf_find(x->parent, c->pairs.v[k].i);
		b = uf_find(x->parent, c->pairs.v[k].j);
		/* a copy across two such groups: two exposures kept apart, one scene */
		if (a != b && meta_of[a] >= 0 && meta_of[b] >= 0) {
			if (same_run(x->t, &meta[meta_of[a]], &meta[meta_of[b]], x->o->scene_link_gap_s))
				uf_union(scene_parent, a, b);
			else if (m == DP_MATCH_SCENE)
				drop[k] = 1;   /* copies stay in the pairs */
		} else if (m == DP_MATCH_SCENE && meta_of[a] < 0 && meta_of[b] < 0) {
			uf_union(free_parent, a, b);
			uf_union(scene_parent, a, b);
		}
	}
	/* Each component's best link to a group with metadata. */
	for (size_t k = 0; k < c->pairs.n; k++) {
		uint32_t a, b, comp;

		if (match(c, k) != DP_MATCH_SCENE || drop[k])
			continue;
		a = uf_find(x->parent, c->pairs.v[k].i);
		b = uf_find(x->parent, c->pairs.v[k].j);
		if ((meta_of[a] < 0) == (meta_of[b] < 0))
			continue;
		comp = uf_find(free_parent, meta_of[a] < 0 ? a : b);
		if (best[comp] < 0 || c->pairs.v[k].d < c->pairs.v[best[comp]].d) {
			if (best[comp] >= 0)
				drop[best[comp]] = 1;
			best[comp] = (int64_t)k;
		} else {
			drop[k] = 1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (best[i] >= 0)
			uf_union(scene_parent, c->pairs.v[best[i]].i, c->pairs.v[best[i]].j);
	for (size_t k = 0; c->pair_match && k < c->pairs.n; k++) {
		if (drop[k])
			continue;   /* only scene links are dropped: pair_match is there */
		c->pairs.v[kept] = c->pairs.v[k];
		c->pair_match[kept++] = c->pair_match[k];
	}
	if (c->pair_match)
		c->pairs.n = kept;
	rc = 0;
out:
	free(free_parent);
	free(best);
	free(drop);
	return rc;
}

/*
 * Scenes: shot groups of one camera whose capture times follow each other
 * within scene_gap_s, or within scene_link_gap_s when their thumbnails
 * align; then the scene links (apply_links). scene_parent starts as a copy
 * of the shot roots.
 */
static int scene_groups(struct ctx *x, uint32_t *scene_parent, dp_align_check_fn align,
			struct dp_err *err)
{
	const struct dp_table *t = x->t;
	size_t n = t->n, m = 0;
	struct shot_meta *meta = malloc((n ? n : 1) * sizeof(*meta));
	uint8_t *seen = calloc(n ? n : 1, 1);
	int32_t *meta_of = malloc((n ? n : 1) * sizeof(int32_t));
	struct dp_pairs bridges = { 0 };
	int rc = DP_E_NOMEM, link = x->c->align_distance > 0;

	if (!meta || !seen || !meta_of)
		goto out;
	/* Each shot group's metadata: its first row with a capture time. */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t root;
		double tm;

		if (x->c->shot[i] < 0)
			continue;
		root = uf_find(x->parent, i);
		if (seen[root] || parse_time(t->capture_time[i], &tm))
			continue;
		seen[root] = 1;
		meta[m++] = (struct shot_meta){ root, i, tm };
	}
	qsort_r(meta, m, sizeof(*meta), cmp_meta, (void *)t);
	for (size_t i = 0; i < n; i++)
		meta_of[i] = -1;
	for (size_t k = 0; k < m; k++)
		meta_of[meta[k].root] = (int32_t)k;
	for (size_t k = 1; k < m; k++) {
		uint32_t a = meta[k - 1].row, b = meta[k].row;

		if (same_run(t, &meta[k - 1], &meta[k], x->o->scene_gap_s))
			uf_union(scene_parent, meta[k - 1].root, meta[k].root);
		else if (link && same_run(t, &meta[k - 1], &meta[k], x->o->scene_link_gap_s) &&
			 dp_pairs_push(&bridges, a < b ? a : b, a < b ? b : a, row_distance(x, a, b)))
			goto out;
	}
	/* Pairs more than scene_gap apart become scene links when their
	 * thumbnails align; apply_links() then joins them (one camera, within
	 * scene_link_gap). */
	rc = 0;
	if (bridges.n) {
		dp_pairs_sort(&bridges);
		rc = check_pairs(x, &bridges, DP_MATCH_SCENE, DP_MATCH_SCENE, align, err);
	}
	if (rc == 0 && link)
		rc = apply_links(x, scene_parent, meta, meta_of);
out:
	if (rc == DP_E_NOMEM && (!err || !err->code))
		rc = dp_err_set(err, DP_E_NOMEM, "cluster: out of memory for %zu rows", n);
	dp_pairs_free(&bridges);
	free(meta);
	free(meta_of);
	free(seen);
	return rc;
}

/* ---- labels, keepers ------------------------------------------------------ */

static int better_keeper(const struct dp_table *t, uint32_t a, uint32_t b)
{
	uint64_t pa = (uint64_t)t->width[a] * t->height[a], pb = (uint64_t)t->width[b] * t->height[b];

	if (pa != pb)
		return pa > pb;
	if (t->size[a] != t->size[b])
		return t->size[a] > t->size[b];
	return a < b;
}

/* Labels 0.. by first row from a parent forest over image rows. */
static int assign_labels(struct ctx *x, uint32_t *parent, int64_t *label, size_t *ngroups)
{
	size_t n = x->t->n;
	int64_t *map = malloc((n ? n : 1) * sizeof(int64_t));
	int64_t next = 0;

	if (!map)
		return DP_E_NOMEM;
	for (size_t i = 0; i < n; i++)
		map[i] = -1;
	for (size_t i = 0; i < n; i++) {
		uint32_t r;

		if (x->c->flags[i] & DP_CF_NOT_IMAGE) {
			label[i] = -1;
			continue;
		}
		r = uf_find(parent, (uint32_t)i);
		if (map[r] < 0)
			map[r] = next++;
		label[i] = map[r];
	}
	free(map);
	*ngroups = (size_t)next;
	return 0;
}

static int keepers(struct ctx *x)
{
	struct dp_clusters *c = x->c;
	const struct dp_table *t = x->t;

	c->group_size = calloc(c->ngroups ? c->ngroups : 1, sizeof(int64_t));
	c->group_keeper = malloc((c->ngroups ? c->ngroups : 1) * sizeof(int64_t));
	if (!c->group_size || !c->group_keeper)
		return DP_E_NOMEM;
	for (size_t g = 0; g < c->ngroups; g++)
		c->group_keeper[g] = -1;
	for (uint32_t i = 0; i < c->n; i++) {
		int64_t g = c->label[i];

		if (g < 0)
			continue;
		c->group_size[g]++;
		if (c->group_keeper[g] < 0 || better_keeper(t, i, (uint32_t)c->group_keeper[g]))
			c->group_keeper[g] = i;
	}
	for (uint32_t i = 0; i < c->n; i++) {
		int64_t g = c->label[i];

		c->keeper_distance[i] = -1;
		if (g < 0)
			continue;
		c->keeper_distance[i] = (int16_t)row_distance(x, i, (uint32_t)c->group_keeper[g]);
		if (c->group_keeper[g] == (int64_t)i)
			c->flags[i] |= DP_CF_KEEPER;
	}
	return 0;
}

/*
 * The alignment check's reach for options o on table t: 0 when off; "auto"
 * (-1) is DP_ALIGN_DISTANCE_DEFAULT with PDQ, thumbnails and a checker.
 * DP_E_ARG when it was asked for and cannot run.
 */
static int align_reach(const struct dp_table *t, const struct dp_cluster_opts *o,
		       dp_align_check_fn align, int *reach, struct dp_err *err)
{
	int possible = o->hash == DP_HASH_PDQ && (t->hashes & DP_HASH_THUMB) && align;

	*reach = 0;
	if (o->align_distance < 0) {
		*reach = possible ? DP_ALIGN_DISTANCE_DEFAULT : 0;
	} else if (o->align_distance > 0) {
		if (o->align_distance > 256)
			return dp_err_set(err, DP_E_ARG, "cluster: alignment distance %d out of range",
					  o->align_distance);
		if (!possible)
			return dp_err_set(err, DP_E_ARG, "cluster: the alignment check needs PDQ and "
					  "thumbnails: scan with --hashes ...,thumb (the default)");
		*reach = o->align_distance;
	}
	if (*reach && *reach <= o->max_distance)
		*reach = 0;   /* nothing beyond the hash match to check */
	return 0;
}

/*
 * The distance up to which the hashes alone keep a pair, for options o and
 * the check's reach: pairs from there to max_distance are left to the
 * check. max_distance when the check is off or confirm_distance is
 * "auto" (-1) without it; DP_E_ARG when it was asked for without it.
 */
static int confirm_reach(const struct dp_cluster_opts *o, int reach, int *confirm,
			 struct dp_err *err)
{
	int want = o->confirm_distance < 0 ? DP_CONFIRM_DISTANCE_DEFAULT : o->confirm_distance;

	*confirm = o->max_distance;
	if (o->confirm_distance > 256)
		return dp_err_set(err, DP_E_ARG, "cluster: confirm distance %d out of range",
				  o->confirm_distance);
	if (want >= o->max_distance)
		return 0;
	if (!reach) {
		if (o->confirm_distance < 0)
			return 0;
		return dp_err_set(err, DP_E_ARG, "cluster: a confirm distance under the near-pair "
				  "distance needs the alignment check (PDQ, thumbnails, --align-distance "
				  "above it)");
	}
	*confirm = want;
	return 0;
}

int dp_cluster_run(const struct dp_table *t, const struct dp_cluster_opts *o,
		   dp_pair_search_fn search, dp_align_check_fn align, dp_crop_codes_fn crops,
		   struct dp_clusters *c, struct dp_err *err)
{
	struct ctx x = { .t = t, .o = o, .c = c };
	uint32_t *scene_parent = NULL;
	struct dp_mih *ix = NULL;
	size_t n = t->n;
	int rc = DP_E_NOMEM, reach;

	memset(c, 0, sizeof(*c));
	if (!(t->hashes & o->hash)) {
		char have[64] = "";

		for (unsigned k = 1; k <= DP_HASH_LAST; k <<= 1)
			if (t->hashes & k)
				snprintf(have + strlen(have), sizeof(have) - strlen(have), "%s%s",
					 have[0] ? "," : "", dp_hash_kind_name(k));
		return dp_err_set(err, DP_E_ARG, "cluster: the file has no %s hashes (it has: %s)",
				  dp_hash_kind_name(o->hash), have[0] ? have : "none");
	}
	if (o->max_distance < 0 || o->max_distance > (o->hash == DP_HASH_PDQ ? 256 : 64))
		return dp_err_set(err, DP_E_ARG, "cluster: distance %d out of range", o->max_distance);
	if (o->align_nearest < 0)
		return dp_err_set(err, DP_E_ARG, "cluster: align_nearest %d out of range", o->align_nearest);
	if (o->crop_distance < 0 || o->crop_distance > 63)
		return dp_err_set(err, DP_E_ARG, "cluster: crop distance %d out of range", o->crop_distance);
	if (o->crop_far_distance < 0 || o->crop_far_distance > 63)
		return dp_err_set(err, DP_E_ARG, "cluster: far crop distance %d out of range",
				  o->crop_far_distance);
	if (n > UINT32_MAX - 1)
		return dp_err_set(err, DP_E_ARG, "cluster: %zu rows: too many", n);
	if ((rc = align_reach(t, o, align, &reach, err)) != 0 ||
	    (rc = confirm_reach(o, reach, &c->confirm_distance, err)) != 0)
		return rc;
	rc = DP_E_NOMEM;
	c->n = n;
	c->align_distance = reach;
	c->label = malloc((n ? n : 1) * sizeof(int64_t));
	c->shot = malloc((n ? n : 1) * sizeof(int64_t));
	c->exact = malloc((n ? n : 1) * sizeof(int64_t));
	c->flags = calloc(n ? n : 1, 1);
	c->keeper_distance = malloc((n ? n : 1) * sizeof(int16_t));
	x.parent = malloc((n ? n : 1) * sizeof(uint32_t));
	x.ids = malloc((n ? n : 1) * sizeof(uint32_t));
	x.codes = dp_table_codes(t, o->hash, &x.nwords);
	if (o->hash == DP_HASH_PDQ && t->pdq_trim) {
		x.trim = (const uint64_t *)t->pdq_trim;
		x.trim_info = calloc(n ? n : 1, 1);
		if (!x.trim_info)
			goto fail;
	}
	if (o->rotations) {
		if (o->hash != DP_HASH_PDQ || !t->pdq_dihedral) {
			rc = dp_err_set(err, DP_E_ARG, "cluster: --rotations needs PDQ variants: scan "
					"with --hashes ...,pdqdih");
			goto out;
		}
		x.dih = (const uint64_t *)t->pdq_dihedral;
	}
	if (o->hash == DP_HASH_PDQ) {
		x.verify = t->dhash ? t->dhash : t->phash;
		c->verify_hash = t->dhash ? DP_HASH_DHASH : t->phash ? DP_HASH_PHASH : 0;
	}
	if (!c->label || !c->shot || !c->exact || !c->flags || !c->keeper_distance || !x.parent ||
	    !x.ids || !x.codes)
		goto fail;
	if ((rc = exact_groups(&x)) != 0)
		goto fail;
	if ((rc = build_entries(&x)) != 0)
		goto fail;
	ix = dp_mih_new(x.ecodes, x.nwords, x.eids, x.nent,
			reach > o->max_distance ? reach : o->max_distance, err);
	if (!ix) {
		rc = err ? err->code : DP_E_NOMEM;
		goto out;
	}
	if ((rc = search(ix, o->threads, &c->pairs, err)) != 0)
		goto out;
	if ((rc = map_pairs(&x, reach)) != 0)
		goto fail;
	if (reach && crops && o->crop_distance > 0) {
		c->crop_distance = o->crop_distance;
		c->crop_far_distance = o->crop_far_distance > o->crop_distance ? o->crop_far_distance
									      : o->crop_distance;
		if ((rc = crop_candidates(&x, search, crops, err)) != 0)
			goto out;
	}
	c->n_candidates = x.cand.n;
	for (size_t k = 0; k < x.cand.n; k++)
		c->n_confirm += x.cand.v[k].d <= (uint32_t)o->max_distance;
	if (o->align_nearest > 0 && (rc = nearest_candidates(&x, (uint32_t)o->align_nearest)) != 0)
		goto fail;
	/* Copies join shot groups; pairs of one scene are kept at scene level. */
	c->n_aligned_checked = x.cand.n;
	if (x.cand.n && (rc = check_pairs(&x, &x.cand, DP_MATCH_COPY,
					  o->level == DP_LEVEL_SCENE ? DP_MATCH_SCENE : -1, align, err)) != 0)
		goto out;
	if (reach && (rc = far_instants(&x, align, err)) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (c->flags[i] & DP_CF_VERIFIED)
			c->n_low_info_matched++;
	if ((rc = shot_groups(&x)) != 0 ||
	    (rc = assign_labels(&x, x.parent, c->shot, &c->nshots)) != 0)
		goto fail;
	if (o->level == DP_LEVEL_SCENE) {
		scene_parent = malloc((n ? n : 1) * sizeof(uint32_t));
		if (!scene_parent)
			goto fail;
		for (size_t i = 0; i < n; i++)
			scene_parent[i] = uf_find(x.parent, (uint32_t)i);
		if ((rc = scene_groups(&x, scene_parent, align, err)) != 0)
			goto out;
		if ((rc = assign_labels(&x, scene_parent, c->label, &c->ngroups)) != 0)
			goto fail;
	} else {
		memcpy(c->label, c->shot, n * sizeof(int64_t));
		c->ngroups = c->nshots;
	}
	if ((rc = keepers(&x)) != 0)
		goto fail;
	for (size_t k = 0; k < c->pairs.n; k++) {
		c->n_aligned += match(c, k) == DP_MATCH_COPY;
		c->n_scene_links += match(c, k) == DP_MATCH_SCENE;
		c->n_instant += match(c, k) == DP_MATCH_INSTANT;
	}
	for (size_t k = 0; c->pair_match && k < c->pairs.n; k++)
		c->pair_match[k] &= (uint8_t)~WEAK_MATCH;
	number_exact(c);
	rc = 0;
	goto out;
fail:
	rc = dp_err_set(err, DP_E_NOMEM, "cluster: out of memory for %zu rows", n);
out:
	dp_mih_free(ix);
	dp_pairs_free(&x.cand);
	dp_pairs_free(&x.crop_near);
	free(scene_parent);
	free(x.parent);
	free(x.ids);
	free(x.codes);
	free(x.adj_off);
	free(x.adj);
	free(x.trim_info);
	free(x.ecodes);
	free(x.erow);
	free(x.eids);
	free(x.elow);
	if (rc)
		dp_clusters_free(c);
	return rc;
}
