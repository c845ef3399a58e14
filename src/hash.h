/* src/hash.h - decoded image -> perceptual hashes, through the kernels.
 *
 * Turns a dp_image (grey or RGB, 8-bit, display orientation) into float luma
 * and computes the requested hashes with the kernels/ functions. No I/O, no
 * threads: each worker thread owns one struct dp_hash_scratch.
 *
 * Hash definitions and bit orders are documented in docs/HASHES.md and in
 * kernels/kernels.h.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_HASH_H
#define DP_SRC_HASH_H

#include <stdint.h>

#include "err.h"
#include "image.h"

enum dp_hash_kind {
	DP_HASH_PDQ = 1u << 0,
	DP_HASH_PHASH = 1u << 1,
	DP_HASH_DHASH = 1u << 2,
	DP_HASH_AHASH = 1u << 3,
	DP_HASH_PDQDIH = 1u << 4,   /* "pdqdih": the 8 PDQ rotations/mirrors (implies pdq) */
	DP_HASH_THUMB = 1u << 5,    /* "thumb": 64 x 64 grey thumbnail inside uniform borders */
};
#define DP_HASH_LAST DP_HASH_THUMB
#define DP_HASH_ALL (DP_HASH_PDQ | DP_HASH_PHASH | DP_HASH_DHASH | DP_HASH_AHASH)
#define DP_HASH_KNOWN (DP_HASH_ALL | DP_HASH_PDQDIH | DP_HASH_THUMB)   /* every bit a list may name */
#define DP_HASH_DEFAULT (DP_HASH_PDQ | DP_HASH_PHASH | DP_HASH_DHASH | DP_HASH_THUMB)
#define DP_THUMB_BYTES 4096         /* DP_HASH_THUMB: 64 x 64 bytes, row-major */

struct dp_hashes {
	uint8_t pdq[32];      /* PDQ bits; bytes in the order of the reference hex string */
	uint8_t pdq_quality;  /* 0..100 */
	uint8_t pdq_trim[32]; /* PDQ of the image inside uniform borders; all zero when none */
	uint8_t pdq_trim_quality;
	uint8_t pdq_dihedral[8][32];  /* the 8 rotations/mirrors (DP_DIHEDRAL_* order); [0] = pdq */
	uint64_t phash;       /* bit 63 = first cell (row-major), as imagehash's hex */
	uint64_t dhash;
	uint64_t ahash;
	/* The luma inside uniform borders (the whole image when none), area-
	 * averaged to 64 x 64, stretched to the full range and rounded to bytes
	 * (dp_align_to_bytes): what the cluster's alignment check compares
	 * (docs/CLUSTER.md). thumb ~ thumb_gain * luma + thumb_offset. All zero
	 * unless DP_HASH_THUMB. */
	uint8_t thumb[DP_THUMB_BYTES];
	float thumb_gain, thumb_offset;
};

struct dp_hash_scratch;

/* dp_hash_scratch_new - per-thread working memory; NULL on allocation failure. */
struct dp_hash_scratch *dp_hash_scratch_new(void);
/* dp_hash_scratch_free - NULL is a no-op. */
void dp_hash_scratch_free(struct dp_hash_scratch *s);

/*
 * dp_hash_image - compute the hashes selected by `kinds` (enum dp_hash_kind
 * bits) of `im` (borrowed) into *out (fields not selected are zeroed).
 * Grows the scratch when the image is larger than any before. Returns 0,
 * DP_E_NOMEM, or DP_E_ARG (empty image / bad channels) with a message in err.
 * Thread-safe for distinct scratch objects.
 */
int dp_hash_image(const struct dp_image *im, unsigned kinds,
		  struct dp_hash_scratch *s, struct dp_hashes *out,
		  struct dp_err *err) __attribute__((warn_unused_result));

/* dp_hash_parse_list - "pdq,phash" -> kinds bitmask; DP_E_ARG on unknown name. */
int dp_hash_parse_list(const char *list, unsigned *kinds, struct dp_err *err)
	__attribute__((warn_unused_result));

/* dp_hash_kind_name - "pdq", "phash", "dhash", "ahash" for a single bit; "unknown" otherwise. */
const char *dp_hash_kind_name(unsigned kind);

/*
 * dp_hash_pdq_to_hex - the 64 lowercase hex digits of a PDQ hash (bytes in
 * order, which is the reference's Hash256 string) plus a NUL into hex.
 * Both borrowed. Thread-safe.
 */
void dp_hash_pdq_to_hex(const uint8_t pdq[32], char hex[65]);

/*
 * dp_hash_pdq_from_hex - parse exactly 64 hex digits (either case, NUL
 * after them) into pdq. Returns 0 or DP_E_FORMAT with a message. Thread-safe.
 */
int dp_hash_pdq_from_hex(const char *hex, uint8_t pdq[32], struct dp_err *err)
	__attribute__((warn_unused_result));

/*
 * The 8 dihedral variants of PDQ (the image rotated / mirrored), in the order
 * and with the meaning of Meta's reference (pdqDihedralHash256esFromFloatLuma);
 * docs/HASHES.md, "Dihedral variants", gives the geometry and the derivation.
 */
enum dp_dihedral {
	DP_DIHEDRAL_ORIGINAL = 0,    /* "original": the plain PDQ hash */
	DP_DIHEDRAL_ROTATE90 = 1,    /* "rotate90": turned 90 degrees anticlockwise */
	DP_DIHEDRAL_ROTATE180 = 2,   /* "rotate180" */
	DP_DIHEDRAL_ROTATE270 = 3,   /* "rotate270": turned 90 degrees clockwise */
	DP_DIHEDRAL_FLIPX = 4,       /* "flipx": mirrored top <-> bottom */
	DP_DIHEDRAL_FLIPY = 5,       /* "flipy": mirrored left <-> right */
	DP_DIHEDRAL_FLIP_PLUS1 = 6,  /* "flipplus1": transposed (main diagonal) */
	DP_DIHEDRAL_FLIP_MINUS1 = 7, /* "flipminus1": mirrored on the anti-diagonal */
};
#define DP_DIHEDRAL_COUNT 8

/*
 * dp_dihedral_name - "original", "rotate90", "rotate180", "rotate270",
 * "flipx", "flipy", "flipplus1", "flipminus1" for 0..7; "unknown" otherwise.
 * Static strings. Thread-safe.
 */
const char *dp_dihedral_name(int variant);

/*
 * dp_hash_pdq_dihedral - the PDQ hashes of the 8 dihedral variants of `im`
 * (borrowed) into out[enum dp_dihedral] (bytes as in struct dp_hashes.pdq)
 * and the quality (0..100, shared by all 8) into *quality. All 8 come from
 * one DCT, at about the cost of one PDQ hash; out[DP_DIHEDRAL_ORIGINAL] and
 * *quality equal what dp_hash_image() gives for DP_HASH_PDQ. Grows the
 * scratch like dp_hash_image(). Returns 0, DP_E_NOMEM or DP_E_ARG (empty
 * image / bad channels) with a message in err; on failure out is zeroed.
 * Thread-safe for distinct scratch objects.
 */
int dp_hash_pdq_dihedral(const struct dp_image *im, struct dp_hash_scratch *s,
			 uint8_t out[DP_DIHEDRAL_COUNT][32], uint8_t *quality,
			 struct dp_err *err) __attribute__((warn_unused_result));

#endif
