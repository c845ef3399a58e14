/* tests/unit/test_cluster_links.c - how dp_cluster_run uses the alignment check's verdicts.
 *
 * A table built in memory (no file, no thumbnails to read): PDQ codes with
 * chosen distances, capture times and cameras, and a stand-in for the
 * alignment check that returns the verdict this test assigns to each row
 * pair. Checked, at shot and scene level:
 *   - a copy verdict joins two shot groups; a scene verdict does not (shot
 *     level) but links scenes (scene level);
 *   - a scene link between two dated shot groups of one camera far apart
 *     (or of two cameras) is dropped: it never overrides the metadata;
 *   - an undated shot group linked to two dated scenes joins only the one
 *     of its best (least distance) link, so it cannot chain them;
 *   - undated groups linked to each other form one component that joins a
 *     dated scene through its best link;
 *   - consecutive shots of one camera 60-120 s apart join when the check
 *     says they align, and stay apart when it does not;
 *   - candidates are exactly the pairs beyond the hash threshold and within
 *     the alignment distance; pairs_match and the counters say what joined;
 *   - a candidate pair of one camera and one sub-second capture time is one
 *     exposure: joined without asking the check; not without the fraction
 *     of a second or with two cameras; beyond the alignment distance only
 *     when the check says the thumbnails align;
 *   - copy verdicts never merge groups that hold two exposures (one camera
 *     at different capture times, or two cameras at different seconds):
 *     the closest pair merges first, the other group stays apart;
 *   - a near copy (possibly another shot turned a little) joins only when
 *     one of its rows is dated; so does a sheared copy, which beyond the
 *     alignment distance is the same scene (a far crop pair: nothing),
 *     and a loose one, which is nothing else (no scene link);
 *   - a copy that two exposures of one camera 60-120 s apart kept apart
 *     links their scenes, even where their first dated rows do not align;
 *   - with align_nearest K (2 and 5), the check sees exactly the candidates
 *     among the K nearest of either of their rows (a reference computed
 *     here), and none of the pairs of one exposure, which still join; with
 *     0, all;
 *   - the centre-crop codes (a stand-in gives each row's) make a candidate
 *     of a pair far beyond the alignment distance when one row's frame code
 *     is within crop_distance of a code of the other (8 in, 9 out), not when
 *     only two centres are close nor for a row without codes; a copy
 *     verdict on such a pair joins only when one of its rows is dated, and
 *     links the scene otherwise, unless both rows are smooth (PDQ quality
 *     under DP_FLAT_QUALITY) and undated; with crop_distance 0 there are none;
 *   - far crop pairs (codes 9-14 apart) are checked only where a row is
 *     dated, and only the 2 nearest of one of their rows; a copy or near
 *     copy verdict joins them (no scene link); crop_far_distance
 *     at crop_distance turns them off;
 *   - a crop pair among the 2 nearest (by code distance) of one of its
 *     rows is checked whatever the nearest-candidate cap says; the third
 *     of both rows is not;
 *   - a group holding camera K and camera L at one second never takes L at
 *     another instant (every camera of a group is compared); a medoid's group
 *     takes the nearer of two exposures of one camera, not both;
 *   - copies the check found on the pixels alone merge before those raised
 *     to copies by a date, however close those are;
 *   - near pairs beyond confirm_distance (15) are left to the check: none
 *     joins on the hashes alone; a copy or near copy joins, the same scene
 *     joins when one row is dated, no verdict keeps them apart; pairs
 *     within 15 join unchecked; confirm_distance 31 (off) joins them all
 *     unchecked; asked for without the check it is DP_E_ARG.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "cluster.h"
#include "kernels.h"
#include "pipeline.h"
#include "status.h"
#include "../testrng.h"

#define N 46

/* The verdict the stand-in gives row pair (i, j), i < j. */
static int verdict_of(uint32_t i, uint32_t j)
{
	static const struct { uint32_t i, j; int v; } table[] = {
		{ 0, 1, DP_ALIGN_SCENE },   /* dated, one camera, 1000 s apart: dropped */
		{ 0, 2, DP_ALIGN_SCENE },   /* undated 2: its best link (40) */
		{ 1, 2, DP_ALIGN_SCENE },   /* ... and a worse one (50): dropped */
		{ 3, 4, DP_ALIGN_SCENE },   /* two undated groups: one component */
		{ 4, 5, DP_ALIGN_SCENE },   /* ... joined to dated 5 */
		{ 6, 7, DP_ALIGN_SCENE },   /* 90 s apart, thumbnails align: joined */
		{ 8, 9, DP_ALIGN_NONE },    /* 90 s apart, they do not: apart */
		{ 10, 11, DP_ALIGN_COPY },  /* a cropped copy */
		{ 12, 13, DP_ALIGN_SCENE }, /* dated, two cameras: dropped */
		{ 22, 23, DP_ALIGN_SCENE }, /* one exposure 120 apart, related pixels */
		{ 24, 25, DP_ALIGN_COPY },  /* low information, same PDQ, dhash disagrees */
		{ 26, 27, DP_ALIGN_COPY },  /* two exposures of camera K: refused */
		{ 26, 28, DP_ALIGN_COPY },  /* an undated copy: joins the closer one, 26 */
		{ 27, 28, DP_ALIGN_COPY },  /* ... so this one is refused */
		{ 29, 30, DP_ALIGN_COPY },  /* two cameras at two times: two shots */
		{ 31, 32, DP_ALIGN_NEAR_COPY }, /* both undated: not a copy */
		{ 33, 34, DP_ALIGN_NEAR_COPY }, /* one dated: a copy */
		{ 35, 37, DP_ALIGN_NONE },  /* dated, 100 s apart: the bridge does not align */
		{ 36, 37, DP_ALIGN_COPY },  /* ... but 35's copy does: refused, a scene link */
		{ 38, 39, DP_ALIGN_SHEARED_COPY }, /* one dated: a copy */
		{ 40, 41, DP_ALIGN_SHEARED_COPY }, /* both undated: the same scene */
		{ 42, 43, DP_ALIGN_SHEARED_LOOSE }, /* one dated: a copy */
		{ 44, 45, DP_ALIGN_SHEARED_LOOSE }, /* both undated: nothing */
	};

	for (size_t k = 0; k < sizeof(table) / sizeof(table[0]); k++)
		if (table[k].i == i && table[k].j == j)
			return table[k].v;
	return DP_ALIGN_NONE;
}

static size_t n_checked, n_instant_asked;

static int fake_align(const struct dp_table *t, const struct dp_pairs *cand, int threads,
		      uint8_t *verdict, struct dp_err *err)
{
	(void)t;
	(void)threads;
	(void)err;
	for (size_t k = 0; k < cand->n; k++) {
		verdict[k] = (uint8_t)verdict_of(cand->v[k].i, cand->v[k].j);
		n_instant_asked += cand->v[k].i == 14 && cand->v[k].j == 15;
	}
	n_checked += cand->n;
	return 0;
}

static int serial_pairs(struct dp_mih *ix, int threads, struct dp_pairs *out, struct dp_err *err)
{
	(void)threads;
	return dp_pipeline_pairs(ix, 1, out, err);
}

/* A 256-bit code from base (mixed so that different bases are ~128 apart),
 * with bits [lo, hi) flipped. */
static void set_code(uint8_t code[32], uint64_t base, int lo, int hi)
{
	uint64_t w[4], x = base * 0x2545f4914f6cdd1dull + 0x9e3779b97f4a7c15ull;

	for (int k = 0; k < 4; k++) {
		x ^= x >> 31;
		x *= 0xbf58476d1ce4e5b9ull;
		x ^= x >> 29;
		w[k] = x;
	}
	for (int b = lo; b < hi; b++)
		w[b / 64] ^= 1ull << (b % 64);
	memcpy(code, w, 32);
}

/* The columns of an in-memory table of up to N rows. */
struct fixture {
	uint8_t pdq[N][32], sha[N][32], status[N], quality[N];
	uint32_t width[N], height[N];
	uint64_t size[N], dhash[N];
	char *times[N], *serials[N], *empty[N];
};

/* Point t at f's first n rows, each read (status ok), of its own SHA-256,
 * 100 x 100 pixels, 1000 bytes, PDQ quality 100, dhash 0, undated, no camera
 * or path: the caller then sets the codes and what differs. */
static void fixture_table(struct fixture *f, int n, struct dp_table *t)
{
	memset(t, 0, sizeof(*t));
	for (int r = 0; r < n; r++) {
		memset(f->sha[r], r + 1, 32);
		f->status[r] = DP_ST_OK;
		f->quality[r] = 100;
		f->dhash[r] = 0;
		f->width[r] = f->height[r] = 100;
		f->size[r] = 1000;
		f->times[r] = f->serials[r] = f->empty[r] = (char *)"";
	}
	t->n = (size_t)n;
	t->hashes = DP_HASH_PDQ | DP_HASH_THUMB;
	t->pdq = f->pdq;
	t->pdq_quality = f->quality;
	t->dhash = f->dhash;
	t->sha256 = f->sha;
	t->status = f->status;
	t->width = f->width;
	t->height = f->height;
	t->size = f->size;
	t->capture_time = f->times;
	t->camera_serial = f->serials;
	t->camera_make = f->empty;
	t->camera_model = f->empty;
	t->path = f->empty;
}

#define NN 12

static uint32_t seen[NN][NN];   /* times the check saw row pair (i, j), i < j */
static uint8_t recorded_verdict = DP_ALIGN_NONE;   /* what record_align says of every pair */

static int record_align(const struct dp_table *t, const struct dp_pairs *cand, int threads,
			uint8_t *verdict, struct dp_err *err)
{
	(void)t;
	(void)threads;
	(void)err;
	for (size_t k = 0; k < cand->n; k++) {
		seen[cand->v[k].i][cand->v[k].j]++;
		verdict[k] = recorded_verdict;
	}
	return 0;
}

/* The verdicts of confirm_band(): pair (2k, 2k + 1) gets band_verdict[k]. */
static const uint8_t band_verdict[6] = {
	DP_ALIGN_NONE, DP_ALIGN_COPY, DP_ALIGN_NEAR_COPY, DP_ALIGN_SCENE, DP_ALIGN_SCENE, DP_ALIGN_NONE,
};

static int band_align(const struct dp_table *t, const struct dp_pairs *cand, int threads,
		      uint8_t *verdict, struct dp_err *err)
{
	(void)t;
	(void)threads;
	(void)err;
	for (size_t k = 0; k < cand->n; k++) {
		uint32_t i = cand->v[k].i, j = cand->v[k].j;

		seen[i][j]++;
		verdict[k] = i % 2 == 0 && j == i + 1 ? band_verdict[i / 2] : DP_ALIGN_NONE;
	}
	return 0;
}

/* The reference: want[i][j] (i < j) when j is among the k nearest candidates
 * (31 < d <= 90; least distance, then lowest row) of i, or i of j. */
static void reference_nearest(int d[NN][NN], int k, int want[NN][NN])
{
	memset(want, 0, NN * sizeof(want[0]));
	for (int i = 0; i < NN; i++) {
		int taken[NN] = { 0 };

		for (int q = 0; q < k; q++) {
			int best = -1;

			for (int j = 0; j < NN; j++)
				if (j != i && !taken[j] && d[i][j] > 31 && d[i][j] <= 90 &&
				    (best < 0 || d[i][j] < d[i][best]))
					best = j;
			if (best < 0)
				break;
			taken[best] = 1;
			want[i < best ? i : best][i < best ? best : i] = 1;
		}
	}
}

/*
 * Rows 0..9 flip 24 random bits of [0, 200) of one code: 32..48 apart
 * (nearer pairs are hash pairs); row 10 flips 24 bits of [200, 256), 48 from
 * each, and row 11 30 others there, 54 from all: so neither has the other
 * among its 10 nearest (ties go to the lower row). 10 and 11 are one
 * exposure of camera C.
 */
static void nearest_cap(unsigned long long seed)
{
	static struct fixture f;
	static uint8_t base[32];
	uint8_t (*pdq)[32] = f.pdq;
	int d[NN][NN], want[NN][NN], all = 0, ncand = 0;
	struct dp_table t;
	struct dp_cluster_opts o;
	struct dp_clusters c;
	struct dp_err err;

	rng_state = seed ? seed : 1;
	fixture_table(&f, NN, &t);
	set_code(base, 1000, 0, 0);
	for (int r = 0; r < NN; r++) {
		int lo = r < 10 ? 0 : 200, span = r < 10 ? 200 : 56, nbits = r == 11 ? 30 : 24;

		memcpy(pdq[r], base, 32);
		for (int b = 0; b < nbits;) {   /* distinct bits; row 11 takes those row 10 left */
			int bit = lo + (int)(rng_next() % (uint64_t)span);

			if ((pdq[r][bit / 8] ^ base[bit / 8]) & (1 << (bit % 8)) ||
			    (r == 11 && ((pdq[10][bit / 8] ^ base[bit / 8]) & (1 << (bit % 8)))))
				continue;
			pdq[r][bit / 8] ^= (uint8_t)(1 << (bit % 8));
			b++;
		}
		if (r >= 10) {
			f.times[r] = (char *)"2020-01-01T10:00:00.50";
			f.serials[r] = (char *)"C";
		}
	}
	for (int i = 0; i < NN; i++)
		for (int j = 0; j < NN; j++)
			d[i][j] = (int)dp_hamming256(pdq[i], pdq[j]);
	for (int i = 0; i < NN; i++)
		for (int j = i + 1; j < NN; j++)
			ncand += d[i][j] > 31 && d[i][j] <= 90;
	tap_ok(d[10][11] == 54 && d[0][10] == 48 && d[0][11] == 54,
	       "fixture: rows 10 and 11 are 54 apart, 48 and 54 from the others");
	dp_cluster_opts_default(&o);
	o.threads = 1;
	dp_err_clear(&err);
	for (int q = 0; q < 2; q++) {
		int bad = 0;

		o.align_nearest = q ? 5 : 2;   /* heaps of two levels, and of three */
		reference_nearest(d, o.align_nearest, want);
		memset(seen, 0, sizeof(seen));
		if (dp_cluster_run(&t, &o, serial_pairs, record_align, NULL, &c, &err) != 0) {
			tap_ok(0, "align_nearest %d runs (%s)", o.align_nearest, err.msg);
			return;
		}
		for (int i = 0; i < NN; i++)
			for (int j = i + 1; j < NN; j++)
				bad += (int)seen[i][j] != want[i][j];
		tap_ok(!bad && c.n_candidates == (size_t)ncand && ncand > 20,
		       "align_nearest %d: the check saw each of the nearest candidates once, no "
		       "other (%d wrong of %d candidates)", o.align_nearest, bad, ncand);
		tap_ok(!want[10][11] && c.shot[10] == c.shot[11] && c.n_instant == 1 && !seen[10][11],
		       "... and the pair of one exposure beyond them still joins, unchecked");
		dp_clusters_free(&c);
	}
	o.align_nearest = 0;
	memset(seen, 0, sizeof(seen));
	if (dp_cluster_run(&t, &o, serial_pairs, record_align, NULL, &c, &err) != 0) {
		tap_ok(0, "align_nearest 0 runs (%s)", err.msg);
		return;
	}
	for (int i = 0; i < NN; i++)
		for (int j = i + 1; j < NN; j++)
			all += (int)seen[i][j] == (d[i][j] > 31 && d[i][j] <= 90 && !(i == 10 && j == 11));
	tap_ok(all == NN * (NN - 1) / 2, "align_nearest 0: every candidate is checked");
	dp_clusters_free(&c);
	o.align_nearest = -1;
	tap_ok(dp_cluster_run(&t, &o, serial_pairs, record_align, NULL, &c, &err) == DP_E_ARG,
	       "align_nearest -1: DP_E_ARG (%s)", err.msg);
}

/* Crop codes per row of crop_pairs(): frame, centres 1..3; has[r] 0: none. */
static uint64_t crop_code[NN][DP_CROP_CODES];
static uint8_t crop_has[NN];

static int fake_crops(const struct dp_table *t, const uint32_t *rows, size_t n, int threads,
		      uint64_t *codes, uint8_t *info, struct dp_err *err)
{
	(void)t;
	(void)threads;
	(void)err;
	for (size_t k = 0; k < n; k++) {
		memcpy(codes + k * DP_CROP_CODES, crop_code[rows[k]], sizeof(crop_code[0]));
		info[k] = crop_has[rows[k]];
	}
	return 0;
}

/* Flip the n bits lo, lo + 1, ... of code. */
static uint64_t flip(uint64_t code, int lo, int n)
{
	for (int b = lo; b < lo + n; b++)
		code ^= 1ull << b;
	return code;
}

/*
 * The first n rows of f as a table whose PDQ codes (from base + row) are all
 * about 128 apart, so only the crop codes can make candidates; each row has
 * random crop codes, which the caller then relates.
 */
static void crop_table(struct fixture *f, int n, uint64_t base, struct dp_table *t)
{
	fixture_table(f, n, t);
	for (int r = 0; r < n; r++) {
		set_code(f->pdq[r], base + (uint64_t)r, 0, 0);
		for (int k = 0; k < DP_CROP_CODES; k++)
			crop_code[r][k] = (uint64_t)rng_next() >> 1;
		crop_has[r] = 1;
	}
}

/*
 * Eleven rows of crop_table(): (0, 1) row 1's frame is row 0's centre 2 (0
 * dated); (2, 3) row 3's frame is 5 bits from row 2's centre 1, both
 * undated; (4, 5) only centre 1 of 4 equals centre 2 of 5; row 6 has row
 * 0's codes but none to use; (7, 8) frame 8 bits from centre 3; (9, 10)
 * 9 bits (a far crop pair, but neither row is dated).
 */
static void crop_pairs(void)
{
	static struct fixture f;
	struct dp_table t;
	struct dp_cluster_opts o;
	struct dp_clusters c;
	struct dp_err err;
	int rc, others = 0;

	crop_table(&f, 11, 500, &t);
	crop_has[6] = 0;
	f.times[0] = (char *)"2020-02-01T08:00:00";
	f.serials[0] = (char *)"D";
	crop_code[1][0] = crop_code[0][2];
	crop_code[3][0] = flip(crop_code[2][1], 10, 5);
	crop_code[4][1] = crop_code[5][2];
	memcpy(crop_code[6], crop_code[0], sizeof(crop_code[0]));
	crop_code[8][0] = flip(crop_code[7][3], 3, 8);
	crop_code[10][0] = flip(crop_code[9][3], 40, 9);
	dp_cluster_opts_default(&o);
	o.threads = 1;
	dp_err_clear(&err);
	recorded_verdict = DP_ALIGN_COPY;
	for (int level = DP_LEVEL_SHOT; level <= DP_LEVEL_SCENE; level++) {
		o.level = level;
		memset(seen, 0, sizeof(seen));
		rc = dp_cluster_run(&t, &o, serial_pairs, record_align, fake_crops, &c, &err);
		if (rc) {
			tap_ok(0, "crop codes: %s level runs (%s)", dp_cluster_level_name(level), err.msg);
			return;
		}
		for (int i = 0; i < 11; i++)
			for (int j = i + 1; j < 11; j++)
				others += seen[i][j] && !((i == 0 && j == 1) || (i == 2 && j == 3) ||
							  (i == 7 && j == 8));
		tap_ok(seen[0][1] == 1 && seen[2][3] == 1 && seen[7][8] == 1 && !others &&
		       c.n_crop_candidates == 3 && c.n_candidates == 3 && c.crop_distance == 8,
		       "crop codes (%s): frame to a centre within 8 checked, 9 not, two centres "
		       "not, a row without codes not (%d others)", dp_cluster_level_name(level),
		       others);
		if (level == DP_LEVEL_SHOT)
			tap_ok(c.shot[0] == c.shot[1] && c.shot[2] != c.shot[3] && c.shot[7] != c.shot[8] &&
			       c.n_aligned == 1,
			       "a far copy joins a dated row's shot; between undated rows it does not");
		else
			tap_ok(c.label[2] == c.label[3] && c.label[7] == c.label[8] &&
			       c.label[4] != c.label[5] && c.n_scene_links == 2,
			       "... and links their scene instead");
		if (level == DP_LEVEL_SCENE) {   /* (7, 8) as two smooth pictures: no link */
			dp_clusters_free(&c);
			f.quality[7] = f.quality[8] = DP_FLAT_QUALITY - 1;
			rc = dp_cluster_run(&t, &o, serial_pairs, record_align, fake_crops, &c, &err);
			tap_ok(rc == 0 && c.label[2] == c.label[3] && c.label[7] != c.label[8] &&
			       c.n_scene_links == 1,
			       "... but not between two undated smooth pictures (a gradient aligns "
			       "with any other)");
			f.quality[7] = f.quality[8] = 100;
			if (rc)
				return;
		}
		dp_clusters_free(&c);
	}
	o.level = DP_LEVEL_SHOT;
	o.crop_distance = 0;
	memset(seen, 0, sizeof(seen));
	rc = dp_cluster_run(&t, &o, serial_pairs, record_align, fake_crops, &c, &err);
	tap_ok(rc == 0 && !seen[0][1] && c.n_candidates == 0 && c.crop_distance == 0 &&
	       c.shot[0] != c.shot[1], "crop_distance 0: no crop candidates");
	dp_clusters_free(&c);
	o.crop_distance = 64;
	tap_ok(dp_cluster_run(&t, &o, serial_pairs, record_align, fake_crops, &c, &err) == DP_E_ARG,
	       "crop_distance 64: DP_E_ARG (%s)", err.msg);
	recorded_verdict = DP_ALIGN_NONE;
}

/*
 * Far crop pairs, codes from crop_distance (8) to crop_far_distance (14)
 * apart, twelve rows of crop_table(): (0, 1) 10 apart, row 0 dated;
 * (2, 3) 10 apart, undated; (4, 5) 15 apart, row 4 dated; rows 6 and 7
 * (dated) each have two undated partners 9 and 10 apart (8, 9 and 10, 11),
 * and are 12 apart from each other: not among the 2 nearest of either.
 */
static void crop_far_pairs(void)
{
	static struct fixture f;
	static char *serial[4] = { "F0", "F4", "F6", "F7" };
	static const int dated_row[4] = { 0, 4, 6, 7 };
	static const uint8_t verdicts[5] = { DP_ALIGN_COPY, DP_ALIGN_NEAR_COPY, DP_ALIGN_SCENE,
					     DP_ALIGN_SHEARED_COPY, DP_ALIGN_SHEARED_LOOSE };
	static const char *what[5] = { "copy", "near copy", "same-scene", "sheared copy",
				       "loose sheared copy" };
	struct dp_table t;
	struct dp_cluster_opts o;
	struct dp_clusters c;
	struct dp_err err;
	int rc;

	crop_table(&f, 12, 700, &t);
	for (int k = 0; k < 4; k++) {
		f.times[dated_row[k]] = (char *)"2020-02-01T08:00:00";
		f.serials[dated_row[k]] = serial[k];
	}
	crop_code[1][0] = flip(crop_code[0][2], 0, 10);
	crop_code[3][0] = flip(crop_code[2][1], 0, 10);
	crop_code[5][0] = flip(crop_code[4][1], 0, 15);
	crop_code[8][0] = flip(crop_code[6][1], 0, 9);
	crop_code[9][0] = flip(crop_code[6][2], 0, 10);
	crop_code[10][0] = flip(crop_code[7][1], 0, 9);
	crop_code[11][0] = flip(crop_code[7][2], 0, 10);
	crop_code[7][0] = flip(crop_code[6][3], 20, 12);
	dp_cluster_opts_default(&o);
	o.threads = 1;
	dp_err_clear(&err);
	for (int v = 0; v < 5; v++) {
		recorded_verdict = verdicts[v];
		o.level = v >= 2 ? DP_LEVEL_SCENE : DP_LEVEL_SHOT;
		memset(seen, 0, sizeof(seen));
		rc = dp_cluster_run(&t, &o, serial_pairs, record_align, fake_crops, &c, &err);
		if (rc) {
			tap_ok(0, "far crop pairs: runs (%s)", err.msg);
			return;
		}
		if (v == 0) {
			tap_ok(seen[0][1] && !seen[2][3] && !seen[4][5] && seen[6][8] && seen[6][9] &&
			       seen[7][10] && seen[7][11] && !seen[6][7] && c.n_crop_far == 5 &&
			       c.n_crop_candidates == 5 && c.crop_far_distance == 14,
			       "far crop pairs within 14 of a dated row are checked, the 2 nearest "
			       "of a row; not undated ones, not beyond 14, not (6, 7) (%zu far)",
			       c.n_crop_far);
		}
		if (v < 2) {
			tap_ok(c.shot[0] == c.shot[1] && c.shot[6] == c.shot[8] && c.n_aligned == 5,
			       "a %s verdict joins a far crop pair%s", v ? "near copy" : "copy",
			       v ? " (a row is dated)" : "");
		} else {
			tap_ok(c.label[0] != c.label[1] && c.n_scene_links == 0,
			       "a %s verdict on a far crop pair links no scene", what[v]);
		}
		dp_clusters_free(&c);
	}
	o.level = DP_LEVEL_SHOT;
	recorded_verdict = DP_ALIGN_COPY;
	o.crop_far_distance = 8;
	memset(seen, 0, sizeof(seen));
	rc = dp_cluster_run(&t, &o, serial_pairs, record_align, fake_crops, &c, &err);
	tap_ok(rc == 0 && !seen[0][1] && c.n_crop_far == 0 && c.crop_far_distance == 8 &&
	       c.shot[0] != c.shot[1], "crop_far_distance 8 (= crop_distance): no far crop pairs");
	dp_clusters_free(&c);
	o.crop_far_distance = 64;
	tap_ok(dp_cluster_run(&t, &o, serial_pairs, record_align, fake_crops, &c, &err) == DP_E_ARG,
	       "crop_far_distance 64: DP_E_ARG (%s)", err.msg);
	recorded_verdict = DP_ALIGN_NONE;
}

/*
 * Pairs within max_distance (31) beyond confirm_distance (15): row pairs
 * (2k, 2k + 1), each 20 or 25 apart, with the verdicts of band_verdict;
 * (10, 11) is 10 apart, within 15; row 8 is dated.
 */
static void confirm_band(void)
{
	static const int apart[6] = { 20, 20, 25, 25, 25, 10 };
	static struct fixture f;
	struct dp_table t;
	struct dp_cluster_opts o;
	struct dp_clusters c;
	struct dp_err err;
	int rc, asked = 0, copies = 0;

	fixture_table(&f, NN, &t);
	for (int k = 0; k < 6; k++) {
		set_code(f.pdq[2 * k], 700 + (uint64_t)k, 0, 0);
		set_code(f.pdq[2 * k + 1], 700 + (uint64_t)k, 0, apart[k]);
	}
	f.times[8] = (char *)"2020-03-01T08:00:00";
	f.serials[8] = (char *)"B";
	dp_cluster_opts_default(&o);
	o.threads = 1;
	dp_err_clear(&err);
	memset(seen, 0, sizeof(seen));
	rc = dp_cluster_run(&t, &o, serial_pairs, band_align, NULL, &c, &err);
	if (rc) {
		tap_ok(0, "confirm_distance: runs (%s)", err.msg);
		return;
	}
	for (int i = 0; i < NN; i++)
		for (int j = i + 1; j < NN; j++)
			asked += seen[i][j] != 0;
	for (size_t k = 0; k < c.pairs.n; k++)
		copies += c.pair_match[k] == DP_MATCH_COPY;
	tap_ok(c.confirm_distance == DP_CONFIRM_DISTANCE_DEFAULT && asked == 5 && !seen[10][11] &&
	       c.n_confirm == 5, "pairs within 31 beyond %d are checked (%d), within it not",
	       c.confirm_distance, asked);
	tap_ok(c.shot[0] != c.shot[1] && c.shot[2] == c.shot[3] && c.shot[4] == c.shot[5] &&
	       c.shot[6] != c.shot[7] && c.shot[8] == c.shot[9] && c.shot[10] == c.shot[11] &&
	       copies == 3, "no verdict: apart; copy, near copy: joined; same scene: joined "
	       "only when dated; within 15: joined");
	dp_clusters_free(&c);
	o.confirm_distance = 31;
	memset(seen, 0, sizeof(seen));
	rc = dp_cluster_run(&t, &o, serial_pairs, band_align, NULL, &c, &err);
	asked = 0;
	for (int i = 0; rc == 0 && i < NN; i++)
		for (int j = i + 1; j < NN; j++)
			asked += seen[i][j] != 0;
	tap_ok(rc == 0 && !asked && c.confirm_distance == 31 && c.shot[0] == c.shot[1] &&
	       c.shot[6] == c.shot[7], "confirm_distance 31: every pair within 31 joins unchecked");
	if (rc == 0)
		dp_clusters_free(&c);
	o.confirm_distance = 10;
	o.align_distance = 0;
	tap_ok(dp_cluster_run(&t, &o, serial_pairs, band_align, NULL, &c, &err) == DP_E_ARG,
	       "confirm_distance without the check: DP_E_ARG (%s)", err.msg);
	o.confirm_distance = -1;
	rc = dp_cluster_run(&t, &o, serial_pairs, band_align, NULL, &c, &err);
	tap_ok(rc == 0 && c.confirm_distance == 31 && c.shot[0] == c.shot[1],
	       "confirm_distance auto without the check: off");
	if (rc == 0)
		dp_clusters_free(&c);
}

/*
 * Crop pairs past the nearest-candidate cap (align_nearest 1), ten rows of
 * crop_table(): (0, 1) row 1's frame 2 bits from row 0's centre 3, far in
 * PDQ; rows 2, 3 are 40 and 50 from row 0, rows 4, 5 from row 1, and
 * (2, 3), (4, 5) 90 apart, the nearest of neither of their rows. Then
 * rows 6, 7 (frames 0 and 1 bit from row 0's centres) and 8, 9 (likewise
 * of row 1) get codes: (0, 1) is no longer among the 2 nearest crop pairs
 * of either row, and the cap applies to it.
 */
static void crop_near_cap(void)
{
	static struct fixture f;
	struct dp_table t;
	struct dp_cluster_opts o;
	struct dp_clusters c;
	struct dp_err err;
	int rc, checked[3];

	crop_table(&f, 10, 900, &t);
	for (int k = 0; k < 2; k++) {
		set_code(f.pdq[2 + 2 * k], 900 + (uint64_t)k, 0, 40);
		set_code(f.pdq[3 + 2 * k], 900 + (uint64_t)k, 100, 150);
	}
	crop_code[1][0] = flip(crop_code[0][3], 0, 2);
	crop_code[6][0] = crop_code[0][1];
	crop_code[7][0] = flip(crop_code[0][2], 0, 1);
	crop_code[8][0] = crop_code[1][1];
	crop_code[9][0] = flip(crop_code[1][2], 0, 1);
	dp_cluster_opts_default(&o);
	o.threads = 1;
	o.align_nearest = 1;
	dp_err_clear(&err);
	recorded_verdict = DP_ALIGN_COPY;
	for (int run = 0; run < 3; run++) {
		for (int r = 6; r < 10; r++)
			crop_has[r] = run > 0;
		o.align_nearest = run < 2 ? 1 : 0;
		memset(seen, 0, sizeof(seen));
		rc = dp_cluster_run(&t, &o, serial_pairs, record_align, fake_crops, &c, &err);
		if (rc) {
			tap_ok(0, "crop pairs past the cap: runs (%s)", err.msg);
			return;
		}
		checked[run] = (int)seen[0][1];
		if (run == 0)
			tap_ok(checked[0] == 1 && seen[0][2] == 1 && seen[1][4] == 1 && !seen[2][3] &&
			       !seen[4][5], "the nearest crop pair of a row is checked past the cap "
			       "(align_nearest 1), which drops candidates nearest to neither row");
		dp_clusters_free(&c);
	}
	tap_ok(checked[1] == 0 && checked[2] == 1,
	       "a crop pair third by code distance for both rows is capped (%d), unless the cap "
	       "is off (%d)", checked[1], checked[2]);
	recorded_verdict = DP_ALIGN_NONE;
}

/*
 * Two exposures never share a shot group, at either stage. Merges: rows 0
 * (camera K at 09:00:00), 1 (camera L at 09:00:00.50) and 2 (L at
 * 09:00:00.70), 40, 50 and 90 apart, all copies by the check: {0, 1} merge
 * first (two cameras at one second say nothing); {2} then meets a group
 * that holds L at another instant (before, only the group's first dated
 * row, 0, was compared). Medoid split: rows
 * 4 and 5 (camera K at two times) and 3 (undated), 5, 8 and 13 apart,
 * within confirm_distance, and 6, undated, a copy of 5 (0 apart): 3 is the
 * medoid and takes 4, the nearer; 5 is left out, and 6 with it.
 */
static void exposure_chains(void)
{
	static struct fixture f;
	static const char *times[7] = { "2020-03-01T09:00:00", "2020-03-01T09:00:00.50",
					"2020-03-01T09:00:00.70", "", "2020-03-02T08:00:00",
					"2020-03-02T08:00:20", "" };
	static const char *serials[7] = { "K", "L", "L", "", "K", "K", "" };
	struct dp_table t;
	struct dp_cluster_opts o;
	struct dp_clusters c;
	struct dp_err err;

	fixture_table(&f, 7, &t);
	set_code(f.pdq[0], 1001, 0, 0);
	set_code(f.pdq[1], 1001, 0, 40);
	set_code(f.pdq[2], 1001, 100, 150);
	set_code(f.pdq[3], 1002, 0, 0);
	set_code(f.pdq[4], 1002, 0, 5);
	set_code(f.pdq[5], 1002, 100, 108);
	set_code(f.pdq[6], 1002, 100, 108);
	for (int r = 0; r < 7; r++) {
		f.times[r] = (char *)times[r];
		f.serials[r] = (char *)serials[r];
	}
	dp_cluster_opts_default(&o);
	o.threads = 1;
	dp_err_clear(&err);
	recorded_verdict = DP_ALIGN_COPY;
	if (dp_cluster_run(&t, &o, serial_pairs, record_align, NULL, &c, &err)) {
		tap_ok(0, "two exposures: runs (%s)", err.msg);
		return;
	}
	tap_ok(c.shot[0] == c.shot[1] && c.shot[2] != c.shot[0] && c.n_copies_refused == 2,
	       "a copy does not merge a group holding another exposure of its camera, "
	       "whatever other cameras the group holds (%zu refused)", c.n_copies_refused);
	tap_ok(c.shot[3] == c.shot[4] && c.shot[5] != c.shot[3] && c.n_split_exposures == 1,
	       "a medoid's group takes the nearer of two exposures of one camera, not both");
	tap_ok(c.shot[6] == c.shot[5], "an undated copy nearer to the exposure left out goes with it");
	dp_clusters_free(&c);
	recorded_verdict = DP_ALIGN_NONE;
}

/* The verdicts of merge_rounds(): (0, 2) a near copy, (1, 2) a copy. */
static int rounds_align(const struct dp_table *t, const struct dp_pairs *cand, int threads,
			uint8_t *verdict, struct dp_err *err)
{
	(void)t;
	(void)threads;
	(void)err;
	for (size_t k = 0; k < cand->n; k++)
		verdict[k] = cand->v[k].i == 0 && cand->v[k].j == 2 ? DP_ALIGN_NEAR_COPY :
			     cand->v[k].i == 1 && cand->v[k].j == 2 ? DP_ALIGN_COPY : DP_ALIGN_NONE;
	return 0;
}

/*
 * Rows 0 and 1, two exposures of camera K, and 2, undated, 40 from 0 and 50
 * from 1: the check says (0, 2) is a near copy (a copy, as 0 is dated) and
 * (1, 2) a copy on its pixels alone. The latter merges first, though
 * farther: 2 joins 1, and 0 stays apart.
 */
static void merge_rounds(void)
{
	static struct fixture f;
	struct dp_table t;
	struct dp_cluster_opts o;
	struct dp_clusters c;
	struct dp_err err;

	fixture_table(&f, 3, &t);
	set_code(f.pdq[0], 1101, 0, 0);
	set_code(f.pdq[1], 1101, 0, 90);
	set_code(f.pdq[2], 1101, 0, 40);
	f.times[0] = (char *)"2020-04-01T08:00:00";
	f.times[1] = (char *)"2020-04-01T08:00:30";
	f.serials[0] = f.serials[1] = (char *)"K";
	dp_cluster_opts_default(&o);
	o.threads = 1;
	dp_err_clear(&err);
	if (dp_cluster_run(&t, &o, serial_pairs, rounds_align, NULL, &c, &err)) {
		tap_ok(0, "merge rounds: runs (%s)", err.msg);
		return;
	}
	tap_ok(c.shot[2] == c.shot[1] && c.shot[0] != c.shot[1] && c.n_copies_refused == 1 &&
	       c.pair_match[0] <= DP_MATCH_INSTANT,
	       "a copy on the pixels alone merges before a closer near copy raised by a date");
	dp_clusters_free(&c);
}

int main(int argc, char **argv)
{
	/* base, flipped bits [lo, hi), capture time, camera serial */
	static const struct { uint64_t base; int lo, hi; const char *time, *serial; } rows[N] = {
		{ 11, 0, 0, "2020-01-01T10:00:00", "X" },     /* 0 */
		{ 11, 100, 150, "2020-01-01T10:16:40", "X" }, /* 1: 50 from 0, 1000 s later */
		{ 11, 0, 40, "", "" },                        /* 2: 40 from 0, 90 from 1 */
		{ 22, 0, 0, "", "" },                         /* 3 */
		{ 22, 0, 45, "", "" },                        /* 4: 45 from 3 */
		{ 22, 0, 105, "2020-01-02T09:00:00", "Y" },   /* 5: 60 from 4, 105 from 3 */
		{ 33, 0, 0, "2020-01-03T08:00:00", "Z" },     /* 6 */
		{ 33, 0, 150, "2020-01-03T08:01:30", "Z" },   /* 7: 90 s later, 150 apart */
		{ 44, 0, 0, "2020-01-04T08:00:00", "W" },     /* 8 */
		{ 44, 0, 150, "2020-01-04T08:01:30", "W" },   /* 9: likewise */
		{ 55, 0, 0, "", "" },                         /* 10 */
		{ 55, 0, 70, "", "" },                        /* 11: 70 from 10 */
		{ 66, 0, 0, "2020-01-05T08:00:00", "P" },     /* 12 */
		{ 66, 0, 35, "2020-01-05T08:00:10", "Q" },    /* 13: 35 from 12, another camera */
		{ 77, 0, 0, "2020-01-06T08:00:00.25", "R" },  /* 14 */
		{ 77, 0, 60, "2020-01-06T08:00:00.25", "R" }, /* 15: 60 from 14, one exposure */
		{ 88, 0, 0, "2020-01-07T08:00:00", "S" },     /* 16 */
		{ 88, 0, 60, "2020-01-07T08:00:00", "S" },    /* 17: same second, no fraction */
		{ 99, 0, 0, "2020-01-08T08:00:00.50", "T" },  /* 18 */
		{ 99, 0, 120, "2020-01-08T08:00:00.50", "T" },/* 19: one exposure, 120 apart */
		{ 111, 0, 0, "2020-01-09T08:00:00.50", "U" }, /* 20 */
		{ 111, 0, 60, "2020-01-09T08:00:00.50", "V" },/* 21: same instant, another camera */
		{ 122, 0, 0, "2020-01-10T08:00:00.75", "R" }, /* 22 */
		{ 122, 0, 120, "2020-01-10T08:00:00.75", "R" },/* 23: one exposure, 120 apart */
		{ 133, 0, 0, "", "" },                        /* 24: low information */
		{ 133, 0, 0, "", "" },                        /* 25: same PDQ, another dhash */
		{ 144, 0, 0, "2020-01-11T08:00:00.10", "K" }, /* 26 */
		{ 144, 0, 40, "2020-01-11T08:00:05.10", "K" },/* 27: 40 from 26, 5 s later */
		{ 144, 100, 145, "", "" },                    /* 28: 45 from 26, 85 from 27 */
		{ 155, 0, 0, "2020-01-12T08:00:00", "L" },    /* 29 */
		{ 155, 0, 50, "2020-01-12T09:00:00", "M" },   /* 30: 50 from 29, camera M */
		{ 166, 0, 0, "", "" },                        /* 31 */
		{ 166, 0, 50, "", "" },                       /* 32: 50 from 31 */
		{ 177, 0, 0, "2020-01-13T08:00:00", "N" },    /* 33 */
		{ 177, 0, 50, "", "" },                       /* 34: 50 from 33 */
		{ 188, 0, 0, "2020-01-14T08:00:00", "J" },    /* 35 */
		{ 188, 0, 10, "", "" },                       /* 36: 10 from 35 */
		{ 188, 100, 150, "2020-01-14T08:01:40", "J" },/* 37: 50 from 35, 100 s later */
		{ 199, 0, 0, "2020-01-15T08:00:00", "H" },    /* 38 */
		{ 199, 0, 40, "", "" },                       /* 39: 40 from 38 */
		{ 211, 0, 0, "", "" },                        /* 40 */
		{ 211, 0, 40, "", "" },                       /* 41: 40 from 40 */
		{ 222, 0, 0, "2020-01-16T08:00:00", "G" },    /* 42 */
		{ 222, 0, 40, "", "" },                       /* 43: 40 from 42 */
		{ 233, 0, 0, "", "" },                        /* 44 */
		{ 233, 0, 40, "", "" },                       /* 45: 40 from 44 */
	};
	static struct fixture f;
	uint8_t (*pdq)[32] = f.pdq;
	struct dp_table t;
	struct dp_cluster_opts o;
	struct dp_clusters c;
	struct dp_err err;
	unsigned long long seed;
	int rc, far = 1;

	if (tap_seed(argc, argv, 77, &seed))
		return 2;
	fixture_table(&f, N, &t);
	for (int r = 0; r < N; r++) {
		set_code(f.pdq[r], rows[r].base, rows[r].lo, rows[r].hi);
		f.quality[r] = r >= 24 ? 10 : 100;
		f.dhash[r] = r == 25 ? 0xfffff : 0;
		f.times[r] = (char *)rows[r].time;
		f.serials[r] = (char *)rows[r].serial;
	}
	for (int i = 0; i < N; i++)
		for (int j = i + 1; j < N; j++)
			if (rows[i].base != rows[j].base)
				far &= (int)dp_hamming256(pdq[i], pdq[j]) > 90;
	tap_ok(far && (int)dp_hamming256(pdq[0], pdq[2]) == 40 && (int)dp_hamming256(pdq[1], pdq[2]) == 90 &&
	       (int)dp_hamming256(pdq[4], pdq[5]) == 60, "fixture: the distances are as designed");

	dp_cluster_opts_default(&o);
	o.threads = 1;
	dp_err_clear(&err);
	rc = dp_cluster_run(&t, &o, serial_pairs, fake_align, NULL, &c, &err);
	tap_ok(rc == 0, "shot level runs (%s)", err.msg);
	if (rc)
		return tap_done();
	tap_ok(c.align_distance == DP_ALIGN_DISTANCE_DEFAULT &&
	       c.n_aligned_checked == n_checked + 1 && n_checked > 0,
	       "the check ran at %d on %zu pairs (%zu aligned, one exposure within 90 not)",
	       c.align_distance, c.n_aligned_checked, n_checked);
	tap_ok(c.shot[10] == c.shot[11] && c.n_aligned == 10, "a copy verdict joins two shot groups "
	       "(%zu aligned)", c.n_aligned);
	tap_ok(c.shot[26] != c.shot[27] && c.shot[28] == c.shot[26] && c.shot[36] == c.shot[35] &&
	       c.shot[36] != c.shot[37] && c.n_copies_refused == 4,
	       "copies never merge two exposures of one camera; the closer pair merges first "
	       "(%zu refused)", c.n_copies_refused);
	tap_ok(c.shot[29] != c.shot[30], "two cameras at two times are two shots, whatever the pixels");
	tap_ok(c.shot[31] != c.shot[32] && c.shot[33] == c.shot[34],
	       "a near copy joins when one of its rows is dated, not between two undated ones");
	tap_ok(c.shot[38] == c.shot[39] && c.shot[40] != c.shot[41],
	       "so does a sheared copy within the alignment distance");
	tap_ok(c.shot[42] == c.shot[43] && c.shot[44] != c.shot[45],
	       "and a loose sheared copy (not the same scene's fit)");
	tap_ok(c.shot[0] != c.shot[2] && c.shot[3] != c.shot[4] && c.n_scene_links == 0,
	       "scene verdicts join nothing at shot level and are not kept");
	tap_ok(c.shot[14] == c.shot[15] && n_instant_asked == 0,
	       "one camera, one sub-second capture time: joined as one exposure, not aligned");
	tap_ok(c.shot[16] != c.shot[17], "the same second without its fraction joins nothing");
	tap_ok(c.shot[18] != c.shot[19], "one exposure 120 bits apart whose thumbnails do not align: apart");
	tap_ok(c.shot[22] == c.shot[23] && c.n_instant == 2,
	       "one exposure 120 bits apart whose thumbnails align (as a scene): joined");
	tap_ok(c.shot[24] == c.shot[25] && c.n_pairs_rejected == 1,
	       "a low-information pair the second hash rejects is a candidate: aligned, joined");
	tap_ok(c.shot[20] != c.shot[21], "the same instant on two cameras joins nothing");
	dp_clusters_free(&c);

	o.level = DP_LEVEL_SCENE;
	n_checked = 0;
	rc = dp_cluster_run(&t, &o, serial_pairs, fake_align, NULL, &c, &err);
	tap_ok(rc == 0, "scene level runs (%s)", err.msg);
	if (rc)
		return tap_done();
	tap_ok(c.label[0] != c.label[1], "a link between dated shots of one camera 1000 s apart is dropped");
	tap_ok(c.label[2] == c.label[0] && c.label[2] != c.label[1],
	       "an undated shot joins the scene of its best link only (no chain)");
	tap_ok(c.label[3] == c.label[4] && c.label[4] == c.label[5],
	       "undated shots linked to each other join a dated scene together");
	tap_ok(c.label[6] == c.label[7], "shots 90 s apart join when their thumbnails align");
	tap_ok(c.label[8] != c.label[9], "... and stay apart when they do not");
	tap_ok(c.label[10] == c.label[11], "copies stay together at scene level");
	tap_ok(c.label[12] != c.label[13], "a scene link between dated shots of two cameras is dropped");
	tap_ok(c.label[35] == c.label[37] && c.shot[35] != c.shot[37],
	       "a copy between two exposures of one camera 100 s apart links their scenes");
	tap_ok(c.label[40] == c.label[41] && c.shot[40] != c.shot[41],
	       "a sheared copy between undated shots links their scenes");
	tap_ok(c.label[44] != c.label[45], "a loose sheared copy between undated shots links nothing");
	{
		int kinds[4] = { 0 }, bad = 0;

		for (size_t k = 0; k < c.pairs.n; k++) {
			int m = c.pair_match ? c.pair_match[k] : 0;
			uint32_t i = c.pairs.v[k].i, j = c.pairs.v[k].j;

			kinds[m]++;
			bad += m == DP_MATCH_SCENE && ((i == 0 && j == 1) || (i == 1 && j == 2));
		}
		tap_ok(!bad && kinds[DP_MATCH_SCENE] == 6 && (size_t)kinds[DP_MATCH_SCENE] == c.n_scene_links &&
		       kinds[DP_MATCH_COPY] == 10 && kinds[DP_MATCH_INSTANT] == 2,
		       "pairs_match: dropped links are gone; %d scene links, %d copy, %d one exposure",
		       kinds[2], kinds[1], kinds[3]);
	}
	dp_clusters_free(&c);

	o.align_distance = 0;
	n_checked = 0;
	rc = dp_cluster_run(&t, &o, serial_pairs, fake_align, NULL, &c, &err);
	tap_ok(rc == 0 && n_checked == 0 && c.align_distance == 0 && c.label[6] != c.label[7] &&
	       c.label[10] != c.label[11] && c.shot[14] != c.shot[15] && c.n_instant == 0 &&
	       c.label[24] != c.label[25] && c.n_aligned_checked == 0,
	       "--align-distance 0: nothing checked (not even rejected pairs at distance 0), "
	       "nothing joined by it (nor by the instant)");
	dp_clusters_free(&c);
	nearest_cap(seed);
	crop_pairs();
	crop_far_pairs();
	crop_near_cap();
	exposure_chains();
	merge_rounds();
	confirm_band();
	return tap_done();
}
