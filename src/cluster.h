/* src/cluster.h - groups from a loaded result table: exact duplicates, shots (copies of one photo), scenes.
 *
 * Method (docs/CLUSTER.md states it with its parameters and measurements):
 *   1. exact: rows that were read and share a SHA-256;
 *   2. matching set: rows decoded and hashed (status ok), one representative
 *      per exact group. Rows whose hash carries little information (PDQ
 *      quality < quality_min, default 50: near-uniform, very dark or very
 *      smooth images) are flagged DP_CF_LOW_INFO and never matched on the
 *      primary hash alone: a pair involving one is kept only when a second
 *      stored hash agrees too (dhash, else phash, within verify_distance,
 *      default 3). Hashes without any information (an all-zero PDQ from a
 *      flat image; an all-0/all-1 64-bit hash) are never matched;
 *   3. near pairs: every pair of representatives within max_distance
 *      (multi-index hashing, src/mih.c, run by the pipeline's threads) over
 *      each row's hash, its hash inside uniform borders and, with
 *      rotations, its 7 rotated/mirrored PDQ variants; a row pair's distance
 *      is the least over these; then the verification of step 2. With the
 *      alignment check, only pairs within confirm_distance (default 15) are
 *      kept on the hashes; the rest go to step 4, which they pass when the
 *      thumbnails align as a copy or near copy (or the same scene, where a
 *      row is dated): other shots of one scene can come within 31;
 *   4. alignment check (PDQ, files scanned with thumbnails): pairs within
 *      align_distance (default 90) that step 3 did not keep, and pairs where
 *      the code of one thumbnail's frame is within crop_distance (default
 *      8) of a code of the other's centre at a zoom up to 1.22
 *      (kernels/crop_codes_scalar.c), among the align_nearest (default 8)
 *      nearest of one of their rows, are checked on
 *      the stored 64 x 64 thumbnails (kernels/align_scalar.c): a pair is
 *      kept as "aligned" when one thumbnail maps onto the other by a scale
 *      and shift per axis without rotation, with the mapped frame inside
 *      the other and a close fit. That finds cropped, framed and
 *      overlaid copies whose global hashes are far apart, and rejects other
 *      shots of the same scene (a turned camera). Beyond align_distance
 *      such a copy counts only where one of the rows is dated (a zoomed
 *      shot on a tripod looks the same; step 5 tells them by their times).
 *      Far crop pairs, codes from crop_distance to crop_far_distance
 *      (default 14) apart, where one row is dated: the DP_CROP_NEAREST
 *      nearest of one of their rows by code distance are checked too, and
 *      count only when the thumbnails align as a copy or near copy. Crop
 *      pairs within crop_distance that are among the DP_CROP_NEAREST
 *      nearest of one of their rows are checked whatever the align_nearest
 *      cap says. Two smooth pictures (PDQ quality under DP_FLAT_QUALITY)
 *      that do not align but hold the same luma (dp_align_same_tone) are a
 *      near copy;
 *   5. shots: connected components of the near pairs, split so that no
 *      group chains unrelated photos: the medoid of a component (least total
 *      distance to its members) takes every member within split_distance of
 *      it, but of two exposures (two capture times) only the nearer, and no
 *      undated row nearer to an exposure it left out; what is left is
 *      split into components again and treated the same way, until every
 *      group lies within split_distance of its medoid; then groups joined
 *      by an aligned pair are merged (the check's own copies first, then
 *      those a date or close hashes made copies), unless they hold two
 *      exposures;
 *   6. scenes (level scene): shot groups carry the capture metadata of any
 *      member (copies whose EXIF was stripped inherit it); per camera
 *      (serial, else make + model) groups are ordered by capture time and
 *      consecutive ones at most scene_gap seconds apart form one scene, or
 *      at most scene_link_gap seconds apart when their thumbnails align
 *      (DP_ALIGN_SCENE or better). Candidate pairs of step 4 whose
 *      thumbnails show the same scene join their scenes too, with or
 *      without capture metadata.
 * Labels are numbered by the smallest row of each group, so they do not
 * depend on the threads. Each group has a keeper: the largest resolution,
 * then the largest file, then the first path.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_CLUSTER_H
#define DP_SRC_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "mih.h"
#include "table.h"

enum dp_cluster_level { DP_LEVEL_SHOT = 0, DP_LEVEL_SCENE = 1 };

/* How a pair was matched (dp_clusters.pair_match, /clusters/NAME/pairs_match). */
enum dp_pair_match {
	DP_MATCH_HASH = 0,      /* hash distance <= max_distance (verified when low-information) */
	DP_MATCH_COPY = 1,      /* alignment check: one is a crop/rescale of the other */
	DP_MATCH_SCENE = 2,     /* scene level: thumbnails align with a turn or shift */
	DP_MATCH_INSTANT = 3,   /* one camera, one capture instant (EXIF, sub-second): one exposure */
};

/* Row flags (dp_clusters.flags). */
enum dp_cluster_flag {
	DP_CF_LOW_INFO = 1,     /* hash carries too little information: not matched */
	DP_CF_KEEPER = 2,       /* the keeper of its group */
	DP_CF_NOT_IMAGE = 4,    /* status not ok: no hash, label -1 */
	DP_CF_VERIFIED = 8,     /* low information, matched through the second hash */
};

struct dp_cluster_opts {
	unsigned hash;          /* one enum dp_hash_kind bit */
	int level;              /* enum dp_cluster_level */
	int max_distance;       /* near pairs: distance <= this */
	int split_distance;     /* shot groups lie within this of their medoid */
	int quality_min;        /* PDQ quality below this: low information */
	int verify_distance;    /* low-information pairs: second hash within this; -1: never match them */
	double scene_gap_s;     /* scene level: largest capture-time gap inside a scene */
	double scene_link_gap_s;   /* ... up to this when the thumbnails show the same scene */
	int rotations;          /* PDQ: also match the 8 rotations/mirrors (needs "pdqdih") */
	int align_distance;     /* PDQ: check pairs up to this on thumbnails; 0 off, -1 auto */
	int align_nearest;      /* ... only each row's this many nearest candidates; 0: all */
	int crop_distance;      /* ... and pairs whose centre-crop codes are within this; 0: none */
	int crop_far_distance;  /* ... and up to this, a dated row's nearest few, as copies only */
	int confirm_distance;   /* with the check: pairs beyond this (within max_distance) need it; -1 auto */
	int threads;            /* 0: all cores */
};

/* dp_cluster_opts_default - PDQ, shot level, 31, 31, quality 50, verify 3, 60 s, align auto,
 * all cores. */
#define DP_ALIGN_DISTANCE_DEFAULT 90   /* "auto" with PDQ and thumbnails in the file */
#define DP_ALIGN_NEAREST_DEFAULT 8
#define DP_CROP_DISTANCE_DEFAULT 8
#define DP_CROP_FAR_DISTANCE_DEFAULT 14
/* Crop pairs of a row (least code distance) checked past the cap; far ones: the only checked. */
#define DP_CROP_NEAREST 2
/* PDQ quality under which a picture is smooth: its luma decides, far scene links need a date. */
#define DP_FLAT_QUALITY 10
#define DP_CONFIRM_DISTANCE_DEFAULT 15   /* "auto" when the alignment check runs */
void dp_cluster_opts_default(struct dp_cluster_opts *o);

/* The result; arrays have n (rows) or ngroups entries, all owned. */
struct dp_clusters {
	size_t n, ngroups, nshots;
	int64_t *label;          /* group at the requested level; -1 when not an image */
	int64_t *shot;           /* shot group; -1 when not an image */
	int64_t *exact;          /* exact-duplicate group (same SHA-256); -1 when unread */
	uint8_t *flags;          /* enum dp_cluster_flag bits */
	int16_t *keeper_distance;   /* hash distance to the group's keeper; -1 when none */
	int64_t *group_size;     /* per label */
	int64_t *group_keeper;   /* per label: the keeper's row */
	struct dp_pairs pairs;   /* near pairs between representatives, sorted */
	uint8_t *pair_match;     /* per pair: enum dp_pair_match; NULL: all DP_MATCH_HASH */
	int align_distance;      /* the alignment check's reach (0: not run) */
	size_t n_aligned_checked, n_aligned, n_scene_links, n_instant;
	size_t n_candidates;     /* candidates within align_distance, before the align_nearest cap */
	size_t n_crop_candidates;   /* ... of them found by the centre-crop codes alone */
	size_t n_crop_far;       /* ... of those, far crop pairs (beyond crop_distance) */
	int crop_distance;       /* the centre-crop codes' reach (0: not used) */
	int crop_far_distance;   /* far crop pairs' reach (crop_distance: none) */
	int confirm_distance;    /* pairs within this are kept on the hashes (max_distance: all) */
	size_t n_confirm;        /* candidates within max_distance: left to the check */
	size_t n_copies_refused;  /* copy pairs whose groups hold two exposures (capture times) */
	unsigned verify_hash;    /* the second hash used (0: none in the file) */
	size_t n_low_info, n_low_info_matched, n_exact_groups, n_exact_files, n_matched;
	size_t n_merged_splits, n_pairs_rejected;
	size_t n_split_exposures;   /* members kept out of a medoid's group: two exposures */
};

/* The near-pair search the caller supplies (the pipeline's parallel join):
 * every pair of ix's codes within its radius, sorted, into *out. */
typedef int (*dp_pair_search_fn)(struct dp_mih *ix, int threads, struct dp_pairs *out,
				 struct dp_err *err);

/* The alignment check the caller supplies (the pipeline runs it on its
 * threads): verdict[k] = dp_align_verdict() of the thumbnails of row pair
 * cand->v[k] of table t, for every k. */
typedef int (*dp_align_check_fn)(const struct dp_table *t, const struct dp_pairs *cand,
				 int threads, uint8_t *verdict, struct dp_err *err);

/* The centre-crop codes the caller supplies (the pipeline computes them on
 * its threads): codes[k * DP_CROP_CODES ..] = dp_crop_codes() of the
 * thumbnail of row rows[k] (ascending), and info[k] its result, k < n. */
typedef int (*dp_crop_codes_fn)(const struct dp_table *t, const uint32_t *rows, size_t n,
				int threads, uint64_t *codes, uint8_t *info, struct dp_err *err);

/*
 * dp_cluster_run - cluster table t (borrowed) with options o into *c, finding
 * near pairs with search (e.g. dp_pipeline_pairs), checking candidates
 * with align (e.g. dp_pipeline_align; NULL: no alignment check) and adding
 * candidates by the centre-crop codes of crops (e.g. dp_pipeline_crop_codes;
 * NULL: none). Returns 0,
 * DP_E_ARG (the hash is not in the file, bad options) or DP_E_NOMEM, with
 * a message in err. On failure *c is empty.
 */
int dp_cluster_run(const struct dp_table *t, const struct dp_cluster_opts *o,
		   dp_pair_search_fn search, dp_align_check_fn align, dp_crop_codes_fn crops,
		   struct dp_clusters *c, struct dp_err *err) DP_WUR;

/* dp_clusters_free - NULL is a no-op; the struct may be reused. */
void dp_clusters_free(struct dp_clusters *c);

/* dp_cluster_level_name - "shot" or "scene". */
const char *dp_cluster_level_name(int level);

/*
 * dp_table_codes - the hash `kind` of every row as 64-bit words (4 per row
 * for PDQ, 1 otherwise) in a new array (caller frees); *nwords set. NULL
 * when the table lacks that hash or memory runs out.
 */
uint64_t *dp_table_codes(const struct dp_table *t, unsigned kind, int *nwords);

#endif
