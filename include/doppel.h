/* include/doppel.h - the public C API of doppel: hash images, compare hashes.
 *
 * Link with build/libdoppel.a and the libraries `pkg-config --libs vips
 * libjpeg libcrypto hdf5` plus -fopenmp -lm. The hashes are the ones
 * `doppel scan` stores (docs/HASHES.md, docs/FORMAT.md): a program using this
 * API gets bit-identical values for the same file and options.
 *
 * Usage:
 *     doppel_init();                                   // once, main thread
 *     struct doppel_hasher *h = doppel_hasher_new(DOPPEL_PDQ | DOPPEL_PHASH, 0);
 *     struct doppel_hashes out;
 *     char why[256];
 *     int st = doppel_hash_file(h, "photo.jpg", &out, why, sizeof(why));
 *     if (st == 0) printf("%d\n", doppel_hamming256(out.pdq, other.pdq));
 *     doppel_hasher_free(h);
 *
 * Threads: doppel_init() once before any other call; then one hasher per
 * thread. The comparison functions are pure and thread-safe.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DOPPEL_H
#define DOPPEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DOPPEL_PDQ_BYTES 32

/* Which hashes to compute (bits; same values as the scan's --hashes). */
enum doppel_hash_kind {
	DOPPEL_PDQ = 1u << 0,
	DOPPEL_PHASH = 1u << 1,
	DOPPEL_DHASH = 1u << 2,
	DOPPEL_AHASH = 1u << 3,
};

/* Decoding options (bits), as the scan options of the same names. */
enum doppel_flags {
	DOPPEL_NO_ORIENT = 1u << 0,      /* --no-orient: hash stored pixels */
	DOPPEL_EXACT = 1u << 1,          /* --exact: full-resolution RGB decode */
	DOPPEL_REFERENCE_PDQ = 1u << 2,  /* --reference-pdq: the PDQ reference tool's decoding */
};

/* Results. Fields of hashes that were not asked for are zero. */
struct doppel_hashes {
	uint8_t pdq[DOPPEL_PDQ_BYTES];   /* bytes in the order of the reference's hex string */
	int pdq_quality;                 /* 0..100; below 50 do not match on it */
	uint64_t phash, dhash, ahash;    /* '%016llx' gives imagehash's hex string */
	int width, height;               /* stored pixels (files); the input size (pixels) */
};

struct doppel_hasher;

/* doppel_init - select the CPU kernels and set up the environment libvips
 * reads when it starts (on first use, from any thread; VIPSHOME, when
 * unset). Call once from the main thread before anything else, and before
 * starting threads; returns 0 (-1 is reserved for a failure to
 * initialise). Calling it again is harmless. */
int doppel_init(void);

/* doppel_version - "doppel 0.1.0 (kernels avx2)" style string; static storage. */
const char *doppel_version(void);

/* doppel_hasher_new - per-thread hasher for `kinds` (enum doppel_hash_kind
 * bits) and `flags` (enum doppel_flags bits); NULL on allocation failure or
 * when kinds selects nothing. */
struct doppel_hasher *doppel_hasher_new(unsigned kinds, unsigned flags);

/* doppel_hasher_free - NULL is a no-op. */
void doppel_hasher_free(struct doppel_hasher *h);

/*
 * doppel_hash_file - read, decode and hash one file (opened read-only, never
 * modified). Returns 0 on success; otherwise the row status `doppel scan`
 * would record (1 unreadable, 2 empty, 3 not_image, 4 truncated, 5 corrupt,
 * 6 too_large, 7 unsupported, 8 not_regular, 11 changed; see docs/FORMAT.md)
 * with the cause in why (may be NULL). -1 for invalid arguments.
 */
int doppel_hash_file(struct doppel_hasher *h, const char *path, struct doppel_hashes *out,
		     char *why, size_t why_len);

/*
 * doppel_hash_pixels - hash an 8-bit image in memory: channels 1 (grey) or
 * 3 (RGB, R first), rows `stride` bytes apart (>= w * channels), display
 * orientation. Returns 0, or -1 with the cause in why (bad arguments, no
 * memory).
 */
int doppel_hash_pixels(struct doppel_hasher *h, const uint8_t *pixels, int w, int hgt,
		       int channels, size_t stride, struct doppel_hashes *out,
		       char *why, size_t why_len);

/* The 8 dihedral variants, in this order (docs/HASHES.md): the image as is,
 * turned 90 degrees anticlockwise, 180, 90 clockwise, mirrored top-bottom,
 * mirrored left-right, transposed, mirrored on the anti-diagonal. */
#define DOPPEL_DIHEDRAL 8

/* doppel_dihedral_name - "original", "rotate90", ... "flipminus1"; static. */
const char *doppel_dihedral_name(int variant);

/*
 * doppel_pdq_dihedral_file - the PDQ hashes of the 8 rotations/mirrors of a
 * file's image, computed from its one DCT (no pixel is re-hashed), and the
 * quality they share. out[0] is the file's plain PDQ. Returns as
 * doppel_hash_file().
 */
int doppel_pdq_dihedral_file(struct doppel_hasher *h, const char *path,
			     uint8_t out[DOPPEL_DIHEDRAL][DOPPEL_PDQ_BYTES], int *quality,
			     char *why, size_t why_len);

/* doppel_pdq_dihedral_pixels - the same for pixels in memory (arguments as
 * doppel_hash_pixels()). Returns 0 or -1 with the cause in why. */
int doppel_pdq_dihedral_pixels(struct doppel_hasher *h, const uint8_t *pixels, int w, int hgt,
			       int channels, size_t stride,
			       uint8_t out[DOPPEL_DIHEDRAL][DOPPEL_PDQ_BYTES], int *quality,
			       char *why, size_t why_len);

/* doppel_hamming256 - bits differing between two PDQ hashes (0..256). */
int doppel_hamming256(const uint8_t a[DOPPEL_PDQ_BYTES], const uint8_t b[DOPPEL_PDQ_BYTES]);

/* doppel_hamming64 - bits differing between two 64-bit hashes (0..64). */
int doppel_hamming64(uint64_t a, uint64_t b);

/* doppel_hamming256_many - dist[i] = distance of q to codes[32*i .. 32*i+31],
 * for i < n, with the fastest kernel this CPU has. */
void doppel_hamming256_many(const uint8_t q[DOPPEL_PDQ_BYTES], const uint8_t *codes, size_t n,
			    uint16_t *dist);

/* doppel_pdq_to_hex - 64 lowercase hex digits + NUL (the reference's format). */
void doppel_pdq_to_hex(const uint8_t pdq[DOPPEL_PDQ_BYTES], char hex[65]);

/* doppel_pdq_from_hex - parse 64 hex digits; 0, or -1 if hex is not that. */
int doppel_pdq_from_hex(const char *hex, uint8_t pdq[DOPPEL_PDQ_BYTES]);

#ifdef __cplusplus
}
#endif

#endif
