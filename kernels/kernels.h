/* kernels/kernels.h - public API of the pure compute kernels and their dispatch table.
 *
 * Everything under kernels/ is pure compute: libc + math (+ intrinsics in
 * the per-ISA files), no I/O, no allocation, no mutable globals except the
 * dispatch table filled once by dp_kernels_init(). Callers own every buffer
 * and pass scratch space in; the dp_*_floats() functions say how
 * much. All image buffers are float, row-major, tightly packed (stride =
 * width), values on the 0..255 luma scale.
 *
 * Layers:
 *   stage kernels   dp_<kernel>_<isa>(): luma, box filter, resize, DCT,
 *                   Hamming. Each has an always-built scalar reference; the
 *                   hot ones are reached through struct dp_kernels.
 *   finishers       small fixed-size steps (decimation, quality, median,
 *                   bit packing) that are never worth vectorising.
 *   hash drivers    dp_pdq_from_luma(), dp_phash_from_luma()... compose the
 *                   stages through a struct dp_kernels, so the same driver
 *                   runs the scalar reference and every SIMD variant.
 *
 * Exactness: PDQ is bit-exact with Meta's reference C++ (facebook/
 * ThreatExchange pdq/cpp) for the same float luma. That holds because every
 * float operation is done in the reference's order with IEEE single
 * precision and no fused multiply-add: build with -ffp-contract=off (GCC's
 * default under -std=c11) and keep SIMD variants of the PDQ stages free of
 * FMA and of reassociation. docs/HASHES.md defines every hash precisely.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_KERNELS_KERNELS_H
#define DP_KERNELS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* Sizes                                                               */

#define DP_PDQ_BYTES 32     /* 256-bit PDQ hash */
#define DP_PDQ_MIN_DIM 5    /* reference: smaller images hash to all-zero, quality 0 */
#define DP_PDQ_GRID 64      /* decimated image is 64x64 */
#define DP_PDQ_COEFS 16     /* DCT coefficients 1..16 along each axis */
#define DP_PDQ_PASSES 2     /* Jarosz filter: two (rows, cols) box passes = tent */
#define DP_PHASH_GRID 32    /* pHash input is 32x32 */
#define DP_PHASH_COEFS 8    /* pHash keeps DCT coefficients 0..7 along each axis */

/* ------------------------------------------------------------------ */
/* Luma (luma_scalar.c)                                                */

/*
 * dp_luma_rgb8_scalar - packed RGB8 (3*npix bytes, R first) -> float luma.
 * luma = 0.299f*R + 0.587f*G + 0.114f*B evaluated left to right in single
 * precision (PDQ's reference weights and order). rgb and luma are borrowed;
 * npix may be 0. Pure.
 */
void dp_luma_rgb8_scalar(const uint8_t *rgb, size_t npix, float *luma);

/* dp_luma_grey8_scalar - grey8 (npix bytes) -> float luma = the grey value. Pure. */
void dp_luma_grey8_scalar(const uint8_t *grey, size_t npix, float *luma);

/* ------------------------------------------------------------------ */
/* Jarosz box filter (jarosz_scalar.c)                                 */

/*
 * dp_jarosz_window - box window length for one Jarosz pass that prepares a
 * decimation from old_dim to new_dim samples: ceil(old_dim / (2*new_dim)),
 * i.e. half an output cell, so two passes cover one cell. >= 1 for
 * old_dim >= 1, new_dim >= 1, and never larger than old_dim.
 */
int dp_jarosz_window(int old_dim, int new_dim);

/*
 * dp_box_rows_scalar - 1-D box filter along each row of a w x h image.
 * out[x] = mean of in[x-a .. x+b] clipped to the row, where
 * b = (window+2)/2 - 1 and a = window-1-b (window 7: 3 left, 3 right;
 * window 8: 3 left, 4 right). Means are running float sums (add the
 * entering sample, then subtract the leaving one) divided by the number of
 * samples inside the row, exactly as the PDQ reference does.
 * window must be in 1..w. in and out are borrowed, must not overlap. Pure.
 */
void dp_box_rows_scalar(const float *in, float *out, int w, int h, int window);

/* dp_box_cols_scalar - the same filter along each column (window in 1..h). Pure. */
void dp_box_cols_scalar(const float *in, float *out, int w, int h, int window);

/* ------------------------------------------------------------------ */
/* Area-average resize (resize_scalar.c)                               */

/*
 * dp_resize_area_floats - scratch floats dp_resize_area_*() needs:
 * out_h * in_w (the vertically resized rows). 0 on overflow of size_t.
 */
size_t dp_resize_area_floats(int in_w, int in_h, int out_w, int out_h);

/*
 * dp_resize_area_scalar - resize in (in_w x in_h) to out (out_w x out_h),
 * any sizes >= 1, up or down, by exact box (area) averaging: output cell
 * (ox, oy) is the mean of the piecewise-constant input over the rectangle
 * [ox*in_w/out_w, (ox+1)*in_w/out_w) x [oy*in_h/out_h, (oy+1)*in_h/out_h),
 * with fractional coverage at the edges. Separable, vertical pass first:
 *   tmp[oy][x] = (sum_y wy(oy,y) * in[y][x]) / in_h   (y ascending)
 *   out[oy][ox] = (sum_x wx(ox,x) * tmp[oy][x]) / in_w (x ascending)
 * where wy is the overlap length in units of 1/out_h of an input row (an
 * integer 1..out_h), likewise wx; float arithmetic. scratch holds
 * dp_resize_area_floats() floats. All pointers borrowed; in, out and
 * scratch must not overlap. Pure.
 */
void dp_resize_area_scalar(const float *in, int in_w, int in_h,
			   float *out, int out_w, int out_h, float *scratch);

/* ------------------------------------------------------------------ */
/* Thumbnail alignment (align_scalar.c)                                */

#define DP_ALIGN_SIDE 64                       /* stored thumbnails are 64 x 64 grey */
#define DP_ALIGN_BYTES (DP_ALIGN_SIDE * DP_ALIGN_SIDE)

/*
 * dp_align_to_bytes - a 64 x 64 float luma (0..255) to thumbnail bytes,
 * stretched to the full range: out = round(g in + o), clamped to 0..255,
 * where g = 255 / (hi - lo), kept within 1 .. DP_ALIGN_MAX_GAIN, and o
 * puts the middle of lo..hi at 127.5. lo and hi are the extremes of in
 * once DP_ALIGN_STRETCH_CLIP of the pixels at each end are left out (to
 * 1/16 of a grey level): those clip to 0 and 255, so a caption or a
 * timestamp burnt into a smooth picture does not set its range. A smooth
 * picture's texture, a grey level or less, then survives the rounding
 * (one level of the bytes is 1/g of the luma's), which is what the
 * alignment check fits on. tone (may be NULL) receives g and o, so
 * in ~ (out - o) / g where out is not clipped. Pure.
 */
#define DP_ALIGN_STRETCH_CLIP 0.03f
#define DP_ALIGN_MAX_GAIN 16.0f
void dp_align_to_bytes(const float in[DP_ALIGN_BYTES], uint8_t out[DP_ALIGN_BYTES], float tone[2]);

/*
 * dp_align_same_tone - whether two thumbnails of smooth pictures hold the
 * same luma: with each one's tone (dp_align_to_bytes: gain, offset; gain
 * > 0), their mean luma is within DP_ALIGN_TONE_MEAN grey levels and
 * their standard deviations within a factor exp(DP_ALIGN_TONE_SPREAD)
 * (each taken as at least 1/1000 of a level), unless both are under
 * DP_ALIGN_TONE_FLAT grey levels: a spread that faint is the encoder's
 * and the thumbnail's rounding, which a copy does not keep. A plain copy
 * of a smooth picture (re-encoded, resized, cropped a little) keeps both,
 * to a tenth of a level; another exposure of the same scene seldom does
 * (+-0.35 EV moves the mean by many levels). For pictures too smooth to
 * align. Pure.
 */
#define DP_ALIGN_TONE_MEAN 0.3f
#define DP_ALIGN_TONE_SPREAD 0.2f
#define DP_ALIGN_TONE_FLAT 1.0f
int dp_align_same_tone(const uint8_t a[DP_ALIGN_BYTES], const float tone_a[2],
		       const uint8_t b[DP_ALIGN_BYTES], const float tone_b[2]);

/*
 * One row of the alignment fit's sums (align_row_scalar.c): the inner loop
 * of dp_align_thumbs(), a kernel with SIMD variants. For row v of thumbnail
 * B (level lv, n x n, n a multiple of DP_ALIGN_LANES) under map q, gain g,
 * offset h and curve k, the pixels that land inside A (lv->a) give their
 * residual r = A(q(u, v)) - g B - h - k c(B), weight wt (1; cut / |r| beyond
 * cut > 0; 0 beyond DP_ALIGN_REJECT_K cuts) and |r| histogram bin; out[]
 * receives the row's sums of enum dp_align_q (all of them with normal,
 * else the moments; the rest 0). Each sum runs in DP_ALIGN_LANES partial
 * sums, pixel u into lane u % DP_ALIGN_LANES, joined by dp_align_lanes(),
 * so that every variant gives the same bits. Returns the pixels inside;
 * hist[] counts them by |r| (DP_ALIGN_HIST_STEP bins per grey level, the
 * last bin holds the rest). Pure.
 */
#define DP_ALIGN_LANES 8
#define DP_ALIGN_HIST_STEP 8
#define DP_ALIGN_HIST_BINS 256
#define DP_ALIGN_REJECT_K 8.0f

/* The sums of one row: moments, then the terms of J^T W J and J^T W r. */
enum dp_align_q {
	DP_AQ_WS, DP_AQ_SA, DP_AQ_SB, DP_AQ_SAA, DP_AQ_SBB, DP_AQ_SAB, DP_AQ_SRR,
	DP_AQ_MOMENTS,   /* the count of the moments above */
	DP_AQ_XX0 = DP_AQ_MOMENTS, DP_AQ_XX1, DP_AQ_XX2, DP_AQ_XY0, DP_AQ_XY1, DP_AQ_XY2,
	DP_AQ_YY0, DP_AQ_YY1, DP_AQ_YY2, DP_AQ_XB0, DP_AQ_XB1, DP_AQ_YB0, DP_AQ_YB1,
	DP_AQ_X0, DP_AQ_X1, DP_AQ_Y0, DP_AQ_Y1, DP_AQ_XR0, DP_AQ_XR1, DP_AQ_YR0, DP_AQ_YR1,
	DP_AQ_BR, DP_AQ_R, DP_AQ_XC0, DP_AQ_XC1, DP_AQ_YC0, DP_AQ_YC1, DP_AQ_C, DP_AQ_BC,
	DP_AQ_CC, DP_AQ_CR,
	DP_AQ_N
};

/* One level of the fit: A, its gradients and B, n x n each. */
struct dp_align_level {
	const float *a, *gx, *gy, *b;
	int n;
};

/* The map, tone and weights' cut one row is summed under. */
struct dp_align_map {
	double q[6];
	float g, h, k, cut;
};

int dp_align_row_scalar(const struct dp_align_level *lv, int v, const struct dp_align_map *m,
			int normal, float out[DP_AQ_N], unsigned hist[DP_ALIGN_HIST_BINS]);

/* The lanes' partial sums joined: ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)). */
static inline float dp_align_lanes(const float l[DP_ALIGN_LANES])
{
	return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

struct dp_kernels;

/* Working memory of dp_align_thumbs() (about 250 KB; one per thread). */
struct dp_align_work {
	float a2[DP_ALIGN_BYTES], gxa2[DP_ALIGN_BYTES], gya2[DP_ALIGN_BYTES];
	float b2[DP_ALIGN_BYTES], gxb2[DP_ALIGN_BYTES], gyb2[DP_ALIGN_BYTES];
	float a1[DP_ALIGN_BYTES], gxa1[DP_ALIGN_BYTES], gya1[DP_ALIGN_BYTES];
	float b1[DP_ALIGN_BYTES], gxb1[DP_ALIGN_BYTES], gyb1[DP_ALIGN_BYTES];
	float a0[DP_ALIGN_BYTES / 4], gxa0[DP_ALIGN_BYTES / 4], gya0[DP_ALIGN_BYTES / 4];
	float b0[DP_ALIGN_BYTES / 4], gxb0[DP_ALIGN_BYTES / 4], gyb0[DP_ALIGN_BYTES / 4];
	float tmp[DP_ALIGN_BYTES], tmp2[DP_ALIGN_BYTES];
};

/* What dp_align_thumbs() found. */
struct dp_align_result {
	int ok;            /* 0: no fit (too little overlap, no structure, no coarse match) */
	float p[6];        /* A(p0 u + p1 v + p2, p3 u + p4 v + p5) ~ B(u, v), pixel units */
	float corr;        /* Pearson correlation of the aligned pixels, weighted as the fit */
	float skew;        /* |p1| + |p3|: 0 for a crop or rescale, ~0.035 per degree turned */
	float turn;        /* sqrt(-p1 p3) when p1, p3 differ in sign, else 0: zoom x sin(angle) of a turn */
	float skew_error;  /* standard error of skew from the fit */
	float inside;      /* share of B's pixels that land inside A */
	float excess;      /* how far B's frame reaches outside A's, share of the side */
	float excess_back; /* how far A's frame reaches outside B's under the inverse map */
};

/*
 * dp_align_thumbs - fit the affine map and tone (gain, offset, curve) that carry
 * thumbnail b onto thumbnail a (res[0]) and a onto b (res[1]), each by
 * Gauss-Newton, coarse (32 x 32, blur sigma 2) to fine (64 x 64, sigma 1)
 * to sharp (64 x 64, sigma 0.5), from the identity (align_scalar.c has the
 * method; the correlation is the sigma-1 level's). When res[0] already
 * shows a copy, res[1] is not fitted (all zero, ok = 0). Thumbnails are
 * DP_ALIGN_SIDE^2 grey bytes, row-major. w is the caller's working memory.
 * All borrowed. Pure.
 */
void dp_align_thumbs(const struct dp_kernels *k, const uint8_t a[DP_ALIGN_BYTES],
		     const uint8_t b[DP_ALIGN_BYTES], struct dp_align_work *w,
		     struct dp_align_result res[2]);

/*
 * dp_align_verdict - what res (from dp_align_thumbs) says of the two pictures:
 *   DP_ALIGN_COPY   in one direction, one is a crop, rescale or retone of the
 *                   other without rotation: fitted, corr >= DP_ALIGN_MIN_CORR,
 *                   skew_error <= DP_ALIGN_MAX_SKEW_ERROR (enough structure to
 *                   tell), turn <= DP_ALIGN_MAX_TURN (about 0.09 degrees),
 *                   skew <= DP_ALIGN_MAX_SKEW (the off-diagonal terms are
 *                   small: a fit that bends more than that is not a crop),
 *                   excess or excess_back <= DP_ALIGN_MAX_EXCESS (one
 *                   frame lies inside the other, either way round), each
 *                   axis scaled by DP_ALIGN_SCENE_MIN_SCALE ..
 *                   1 / DP_ALIGN_SCENE_MIN_SCALE (p0, p4; a fit beyond has
 *                   collapsed onto a smooth picture's gradient);
 *   DP_ALIGN_NEAR_COPY not that, but the same with any turn the skew bound
 *                   allows (up to 0.29 degrees) and skew_error <=
 *                   DP_ALIGN_NEAR_MAX_SKEW_ERROR: a copy, or another shot
 *                   taken with the camera turned that little, which the
 *                   pixels cannot tell apart (capture times can: cluster.c);
 *   DP_ALIGN_SHEARED_COPY not that, but in one direction a fit with corr >=
 *                   DP_ALIGN_SHEAR_MIN_CORR, skew_error <=
 *                   DP_ALIGN_SHEAR_MAX_SKEW_ERROR, each axis scaled
 *                   plausibly, one frame inside the other (as for a copy),
 *                   a shear of any size (off-diagonal terms of one sign,
 *                   which neither a crop nor a turned camera makes: on
 *                   smooth or captioned pictures they are the fit's error)
 *                   and a turn within DP_ALIGN_MAX_TURN +
 *                   DP_ALIGN_SHEAR_TURN_SE standard errors of the skew, at
 *                   most DP_ALIGN_SHEAR_MAX_TURN (0.57 degrees): a copy
 *                   whose fit is loose, or another shot turned that
 *                   little; and one direction passes DP_ALIGN_SCENE's test,
 *                   so a caller that does not take it as a near copy
 *                   (cluster.c: beyond the candidates' reach) can read it
 *                   as the same scene;
 *   DP_ALIGN_SHEARED_LOOSE that, but no direction passes DP_ALIGN_SCENE's
 *                   test (corr or skew_error beyond its limits): a copy
 *                   only where something else says so (cluster.c: a dated
 *                   row, close hashes), else nothing;
 *   DP_ALIGN_SCENE  not that, but in one direction the fit is as close
 *                   (corr), about as well determined (skew_error <=
 *                   DP_ALIGN_SCENE_MAX_SKEW_ERROR) and scales each axis as
 *                   plausibly: the same scene seen from a camera turned,
 *                   shifted or zoomed a little;
 *   DP_ALIGN_NONE   otherwise.
 */
#define DP_ALIGN_MIN_CORR 0.95f
#define DP_ALIGN_MAX_SKEW 0.01f
#define DP_ALIGN_MAX_TURN 0.0015f
#define DP_ALIGN_MAX_SKEW_ERROR 0.002f
#define DP_ALIGN_NEAR_MAX_SKEW_ERROR 0.003f
#define DP_ALIGN_MAX_EXCESS 0.02f
#define DP_ALIGN_SCENE_MAX_SKEW_ERROR 0.003f
#define DP_ALIGN_SCENE_MIN_SCALE 0.5f
#define DP_ALIGN_SHEAR_TURN_SE 3.0f
#define DP_ALIGN_SHEAR_MAX_TURN 0.01f
#define DP_ALIGN_SHEAR_MIN_CORR 0.90f
#define DP_ALIGN_SHEAR_MAX_SKEW_ERROR 0.004f
enum dp_align_verdict {
	DP_ALIGN_NONE = 0, DP_ALIGN_SCENE = 1, DP_ALIGN_COPY = 2, DP_ALIGN_NEAR_COPY = 3,
	DP_ALIGN_SHEARED_COPY = 4, DP_ALIGN_SHEARED_LOOSE = 5
};
int dp_align_verdict(const struct dp_align_result res[2]);

/* ------------------------------------------------------------------ */
/* Centre-crop codes (crop_codes_scalar.c)                             */

#define DP_CROP_CODES 4              /* the frame, then centres 0.94, 0.88, 0.82 of the side */
#define DP_CROP_SCALE_STEP 0.06f
#define DP_CROP_MIN_RANGE 4          /* least max - min of a thumbnail's grey levels for codes */

/*
 * dp_crop_codes - 63-bit low-frequency DCT codes of thumbnail (64 x 64 grey
 * bytes) and of its centre cut to scales 1 - k DP_CROP_SCALE_STEP (k = 1..3),
 * into codes[0..3]: a cropped copy's frame is within a few bits of one of
 * its photo's centres (crop_codes_scalar.c has the method). Returns 1, or 0
 * with all codes 0 when the thumbnail's grey levels span less than
 * DP_CROP_MIN_RANGE (max - min; no structure to code, only rounding). Pure.
 */
int dp_crop_codes(const uint8_t thumb[DP_ALIGN_BYTES], uint64_t codes[DP_CROP_CODES]);

/* ------------------------------------------------------------------ */
/* DCT (dct_scalar.c)                                                  */

/*
 * dp_dct_pdq_matrix - fill m (16 x 64, row-major) with PDQ's DCT-II rows
 * for frequencies 1..16 (DC skipped):
 *   m[i][j] = (float)((double)(float)sqrt(2.0/64) * cos(arg)),
 *   arg = ((pi/2.0/64.0) * (i+1)) * (2j+1)     (double; = pi (i+1)(2j+1) / 128)
 * exactly as the reference builds it. m borrowed. Pure.
 */
void dp_dct_pdq_matrix(float m[DP_PDQ_COEFS * DP_PDQ_GRID]);

/*
 * dp_dct_phash_matrix - fill m (8 x 32, row-major) with unscaled DCT-II rows
 * for frequencies 0..7: m[u][x] = (float)cos(pi * u * (2x+1) / 64) (double
 * cos). Unscaled: scipy.fftpack.dct(type 2, norm=None) is 2x this per axis,
 * the orthonormal DCT differs per row; pHash only compares coefficients
 * with their median, which every such positive scaling of the whole 8x8
 * block leaves unchanged (up to float rounding). m borrowed. Pure.
 */
void dp_dct_phash_matrix(float m[DP_PHASH_COEFS * DP_PHASH_GRID]);

/*
 * dp_dct_lowfreq_scalar - out = M * in * M^T for an n x n input and a k x n
 * matrix M: the k x k block of a 2-D transform. Two single-precision
 * matrix products with sums in ascending index order starting from 0.0f:
 *   tmp[i][x] = sum_y M[i][y] * in[y][x]      (k x n)
 *   out[i][j] = sum_x tmp[i][x] * M[j][x]     (k x k)
 * which is the PDQ reference's order. in (n*n), m (k*n), tmp (k*n), out
 * (k*k) are borrowed and must not overlap. Pure.
 */
void dp_dct_lowfreq_scalar(const float *in, int n, const float *m, int k,
			   float *tmp, float *out);

/* dp_dct64to16_scalar - dp_dct_lowfreq_scalar with n = 64, k = 16 (PDQ). */
void dp_dct64to16_scalar(const float *in, const float *m, float *tmp, float *out);

/* dp_dct32to8_scalar - dp_dct_lowfreq_scalar with n = 32, k = 8 (pHash). */
void dp_dct32to8_scalar(const float *in, const float *m, float *tmp, float *out);

/* ------------------------------------------------------------------ */
/* Median (median_scalar.c)                                            */

/*
 * dp_lower_median - the element of rank (n-1)/2 (0-based) in ascending
 * order: the 128th smallest of 256 (what PDQ's Torben median returns), the
 * 32nd smallest of 64. "v > lower median" equals numpy's "v > median" for
 * even n (the mean of the two middle values), since no element lies
 * strictly between them. v (n floats, n >= 1, no NaN) is borrowed and left
 * unchanged; scratch holds n floats and is clobbered. Pure.
 */
float dp_lower_median(const float *v, int n, float *scratch);

/* ------------------------------------------------------------------ */
/* PDQ finishers (pdq_scalar.c)                                        */

/*
 * dp_decimate - point-sample in (in_w x in_h) to out (out_w x out_h): out
 * cell (ox, oy) takes in[iy][ix] with ix = floor((ox + 0.5) * in_w / out_w),
 * iy likewise (integer arithmetic; equal to the reference's double
 * expression). Borrowed, non-overlapping. Pure.
 */
void dp_decimate(const float *in, int in_w, int in_h, float *out, int out_w, int out_h);

/*
 * dp_pdq_quality - PDQ's quality score of the 64x64 decimated image:
 * sum over vertical then horizontal neighbour pairs (u, v) of
 * |(int)(((u - v) * 100.0f) / 255.0f)| (float ops, truncation toward zero),
 * divided by 90 (integer division), capped at 100. Returns 0..100. Pure.
 */
int dp_pdq_quality(const float img[DP_PDQ_GRID * DP_PDQ_GRID]);

/*
 * dp_pdq_bits - 16x16 DCT coefficients (row i = vertical frequency i+1,
 * row-major) -> 256-bit hash: bit (i, j) is set when coef[i][j] > lower
 * median of the 256. Packed in the reference's hex-string order:
 * out[2*(15-i) + (j < 8)] bit (j & 7), so printing out[0..31] as %02x
 * gives the reference's 64-digit string. Pure.
 */
void dp_pdq_bits(const float coef[DP_PDQ_COEFS * DP_PDQ_COEFS], uint8_t out[DP_PDQ_BYTES]);

/* ------------------------------------------------------------------ */
/* PDQ dihedral variants (pdq_dihedral_scalar.c)                       */

/*
 * The 8 hashes of the image under the dihedral group of the square
 * (rotations by multiples of 90 degrees, mirrors), derived from the DCT of
 * the unrotated image as the reference's pdqDihedralHash256esFromFloatLuma()
 * does, in its order. Geometry ("rotate90" = the image turned 90 degrees
 * anticlockwise...) and the measured agreement with re-hashing transformed
 * pixels: docs/HASHES.md, "Dihedral variants".
 */
enum dp_pdq_dihedral {
	DP_PDQ_DIH_ORIGINAL = 0,    /* identity: the plain PDQ hash */
	DP_PDQ_DIH_ROTATE90 = 1,    /* transpose, negate even rows */
	DP_PDQ_DIH_ROTATE180 = 2,   /* negate where row + column is odd */
	DP_PDQ_DIH_ROTATE270 = 3,   /* transpose, negate even columns */
	DP_PDQ_DIH_FLIPX = 4,       /* negate even rows */
	DP_PDQ_DIH_FLIPY = 5,       /* negate even columns */
	DP_PDQ_DIH_FLIP_PLUS1 = 6,  /* transpose */
	DP_PDQ_DIH_FLIP_MINUS1 = 7, /* transpose, negate where row + column is odd */
};
#define DP_PDQ_DIHEDRAL 8   /* number of variants */

/*
 * dp_pdq_dct_dihedral - the 16x16 PDQ DCT block of the transformed image:
 * out[r][c] = +-in[r][c], or +-in[c][r] for the transposing variants, with
 * the signs of enum dp_pdq_dihedral ("even rows" = indices 0, 2, ..., 14,
 * i.e. the odd vertical frequencies). Only copies and negations, so exact.
 * variant in 0..7. in and out (256 floats, row-major) are borrowed and must
 * not overlap. Pure.
 */
void dp_pdq_dct_dihedral(const float in[DP_PDQ_COEFS * DP_PDQ_COEFS], int variant,
			 float out[DP_PDQ_COEFS * DP_PDQ_COEFS]);

/*
 * dp_pdq_dihedral_from_dct - the 8 PDQ hashes of the dihedral variants from
 * the 16x16 DCT block of the original image: out[v] = dp_pdq_bits() of
 * dp_pdq_dct_dihedral(coef, v), so each variant is thresholded at the lower
 * median of its own block (as the reference does) and out[0] is the plain
 * PDQ hash. coef and out are borrowed. Pure; no allocation (1 KiB of stack).
 */
void dp_pdq_dihedral_from_dct(const float coef[DP_PDQ_COEFS * DP_PDQ_COEFS],
			      uint8_t out[DP_PDQ_DIHEDRAL][DP_PDQ_BYTES]);

/* ------------------------------------------------------------------ */
/* 64-bit hash finishers (phash_scalar.c, dhash_scalar.c, ahash_scalar.c) */

/*
 * All three return bits in row-major cell order with the first cell in the
 * most significant bit (bit 63), so printf("%016llx") equals imagehash's
 * hex string of the same boolean array.
 */

/* dp_phash_bits - 8x8 DCT block (incl. DC) -> bit = coef > lower median of the 64. Pure. */
uint64_t dp_phash_bits(const float coef[DP_PHASH_COEFS * DP_PHASH_COEFS]);

/* dp_dhash_bits - 9 wide x 8 high image -> bit (r, c) = px[r][c+1] > px[r][c], c < 8. Pure. */
uint64_t dp_dhash_bits(const float px[8 * 9]);

/* dp_ahash_bits - 8x8 image -> bit = px > mean (float sum in order, / 64). Pure. */
uint64_t dp_ahash_bits(const float px[8 * 8]);

/* ------------------------------------------------------------------ */
/* Hamming distance (hamming_scalar.c)                                 */

/* dp_hamming64 - number of differing bits of a and b (0..64). Pure. */
unsigned dp_hamming64(uint64_t a, uint64_t b);

/* dp_hamming256 - differing bits of two 32-byte codes (0..256); borrowed. Pure. */
unsigned dp_hamming256(const uint8_t a[DP_PDQ_BYTES], const uint8_t b[DP_PDQ_BYTES]);

/*
 * dp_hamming256_many_scalar - dist[i] = dp_hamming256(q, codes + 32*i) for
 * i < n. codes is n consecutive 32-byte codes (any alignment); dist has n
 * entries. All borrowed; n may be 0. Pure.
 */
void dp_hamming256_many_scalar(const uint8_t q[DP_PDQ_BYTES], const uint8_t *codes,
			       size_t n, uint16_t *dist);

/* dp_hamming64_many_scalar - dist[i] = dp_hamming64(q, codes[i]) for i < n. Pure. */
void dp_hamming64_many_scalar(uint64_t q, const uint64_t *codes, size_t n, uint16_t *dist);

/* ------------------------------------------------------------------ */
/* x86-64 SIMD variants (<kernel>_avx2.c, <kernel>_avx512.c)           */

/*
 * Each variant has the contract of the scalar reference it is named after
 * and gives identical results: integers exactly, floats bit for bit, since
 * vector lanes hold independent outputs, each computed with the
 * reference's operations in the reference's order, without FMA and without
 * reciprocal approximations. One exception to "same contract": the DCT
 * variants leave tmp in another layout (its contents are scratch). Lengths
 * that are not a multiple of the vector width are handled inside.
 *
 * The ISA is enabled per function with __attribute__((target("..."))), not
 * with -m flags, so every other object keeps the baseline ISA and no
 * Makefile rule is involved. "avx2" does not imply FMA, so no fused
 * multiply-add can appear in these functions even by accident (GCC
 * rejects the intrinsic there). Calling a variant on a CPU without its
 * features may fault (SIGILL), so callers go through dispatch.c, which
 * knows what each needs. DP_KERNELS_X86 is 1 when they are compiled in: an
 * x86-64 target, a GCC-compatible compiler (GCC >= 7 or clang) and no
 * -DDP_NO_SIMD. The declarations are always present, the definitions only
 * then.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(DP_NO_SIMD)
#define DP_KERNELS_X86 1
#else
#define DP_KERNELS_X86 0
#endif

/* AVX2 (needs DP_CPU_AVX2). */
void dp_luma_rgb8_avx2(const uint8_t *rgb, size_t npix, float *luma);
void dp_box_rows_avx2(const float *in, float *out, int w, int h, int window);
void dp_box_cols_avx2(const float *in, float *out, int w, int h, int window);
void dp_resize_area_avx2(const float *in, int in_w, int in_h,
			 float *out, int out_w, int out_h, float *scratch);
void dp_dct64to16_avx2(const float *in, const float *m, float *tmp, float *out);
void dp_dct32to8_avx2(const float *in, const float *m, float *tmp, float *out);
void dp_hamming256_many_avx2(const uint8_t q[DP_PDQ_BYTES], const uint8_t *codes,
			     size_t n, uint16_t *dist);
void dp_hamming64_many_avx2(uint64_t q, const uint64_t *codes, size_t n, uint16_t *dist);
int dp_align_row_avx2(const struct dp_align_level *lv, int v, const struct dp_align_map *m,
		      int normal, float out[DP_AQ_N], unsigned hist[DP_ALIGN_HIST_BINS]);

/* AVX-512 with VPOPCNTQ (needs DP_CPU_AVX512VPOPCNTDQ | DP_CPU_AVX512 | DP_CPU_AVX2). */
void dp_hamming256_many_avx512(const uint8_t q[DP_PDQ_BYTES], const uint8_t *codes,
			       size_t n, uint16_t *dist);
void dp_hamming64_many_avx512(uint64_t q, const uint64_t *codes, size_t n, uint16_t *dist);

/* ------------------------------------------------------------------ */
/* Dispatch (dispatch.c)                                               */

typedef void (*dp_luma_rgb8_fn)(const uint8_t *rgb, size_t npix, float *luma);
typedef void (*dp_box_fn)(const float *in, float *out, int w, int h, int window);
typedef void (*dp_resize_fn)(const float *in, int in_w, int in_h,
			     float *out, int out_w, int out_h, float *scratch);
typedef void (*dp_dct_fn)(const float *in, const float *m, float *tmp, float *out);
typedef void (*dp_hamming256_many_fn)(const uint8_t *q, const uint8_t *codes,
				      size_t n, uint16_t *dist);
typedef void (*dp_hamming64_many_fn)(uint64_t q, const uint64_t *codes, size_t n,
				     uint16_t *dist);
typedef int (*dp_align_row_fn)(const struct dp_align_level *lv, int v,
			       const struct dp_align_map *m, int normal, float out[DP_AQ_N],
			       unsigned hist[DP_ALIGN_HIST_BINS]);

/*
 * struct dp_kernels - one implementation of each hot kernel. Every field is
 * non-NULL in a table returned by dp_kernels_get() / dp_kernels_scalar();
 * each function has the contract of its scalar reference above (same
 * arguments; float kernels within the tolerance stated in their tests,
 * PDQ stages bit-exact).
 */
struct dp_kernels {
	const char *name;                 /* variants in use, best first: "avx2", "avx512+avx2", "scalar" */
	dp_luma_rgb8_fn luma_rgb8;        /* dp_luma_rgb8_scalar */
	dp_box_fn box_rows;               /* dp_box_rows_scalar */
	dp_box_fn box_cols;               /* dp_box_cols_scalar */
	dp_resize_fn resize_area;         /* dp_resize_area_scalar */
	dp_dct_fn dct64to16;              /* dp_dct64to16_scalar */
	dp_dct_fn dct32to8;               /* dp_dct32to8_scalar */
	dp_hamming256_many_fn hamming256_many; /* dp_hamming256_many_scalar */
	dp_hamming64_many_fn hamming64_many;   /* dp_hamming64_many_scalar */
	dp_align_row_fn align_row;        /* dp_align_row_scalar */
};

/* CPU feature bits (dp_cpu_features()); names as in DP_DISABLE_CPU_FEATURES. */
enum dp_cpu_feature {
	DP_CPU_SSE41 = 1u << 0,    /* "sse4.1" */
	DP_CPU_POPCNT = 1u << 1,   /* "popcnt" */
	DP_CPU_AVX2 = 1u << 2,     /* "avx2" (OS saves YMM state) */
	DP_CPU_AVX512 = 1u << 3,   /* "avx512" (F+BW+VL; OS saves ZMM state) */
	DP_CPU_NEON = 1u << 4,     /* "neon" */
	DP_CPU_AVX512VPOPCNTDQ = 1u << 5,  /* "avx512vpopcntdq" (VPOPCNTD/Q; set only with DP_CPU_AVX512) */
};

/*
 * dp_kernels_init - detect CPU features once, remove those named in the
 * environment variable DP_DISABLE_CPU_FEATURES (comma-separated, e.g.
 * "avx512,avx2"; "all" disables every feature; a masked feature masks its
 * extensions, avx2 -> avx512 -> avx512vpopcntdq; unknown names are ignored),
 * and select for each kernel the first variant of an ordered best->worst
 * list whose features are all present, ending with the scalar reference.
 * Call from main() before starting threads. Idempotent and thread-safe
 * (C11 call_once): a second call does nothing.
 */
void dp_kernels_init(void);

/*
 * dp_kernels_get - the selected table (calls dp_kernels_init() if nobody
 * did). The table is static, read-only after init, never freed.
 */
const struct dp_kernels *dp_kernels_get(void);

/* dp_kernels_scalar - the all-scalar reference table (for tests/benchmarks). */
const struct dp_kernels *dp_kernels_scalar(void);

/* dp_cpu_features - enum dp_cpu_feature bits detected, minus disabled ones. */
unsigned dp_cpu_features(void);

/*
 * dp_cpu_detect - enum dp_cpu_feature bits of this CPU and OS (cpu_x86.c:
 * CPUID + XCR0), ignoring DP_DISABLE_CPU_FEATURES. 0 on other
 * architectures (DP_CPU_NEON on AArch64) and in -DDP_NO_SIMD builds.
 * Executes CPUID each call; everyone else uses dp_cpu_features(). Pure.
 */
unsigned dp_cpu_detect(void);

/*
 * dp_kernels_variant - the i-th variant table of dispatch.c's best-first
 * list (i = 0, 1, ... until NULL), and in *needs (may be NULL) the feature
 * bits it requires. A variant table has NULL in the entries it does not
 * implement; the last one is the scalar table. For tests and benchmarks:
 * call an entry only when (needs & ~dp_cpu_features()) == 0, else it may
 * SIGILL. Static, read-only.
 */
const struct dp_kernels *dp_kernels_variant(size_t i, unsigned *needs);

/* ------------------------------------------------------------------ */
/* PDQ on a shrunk image (pdq_shrunk.c)                                */

#define DP_PDQ_TAPS_MAX 64  /* shrunk pixels one output may span (long side ~ 4000) */

/*
 * struct dp_pdq_axis - how one axis of a shrunk image maps onto the full-
 * resolution source: shrunk pixel k is the mean of source span
 * [off + k*scale, off + (k+1)*scale) clipped to [0, src). An integer scale
 * is a block shrink (JPEG DCT scaling, box shrink); a fractional one an
 * area-averaging resize. scale 1, off 0, src = n describes an image that
 * was not shrunk. off is in (-scale, 0]: non-zero after a flip moved a
 * partial block to the start.
 */
struct dp_pdq_axis {
	int src;       /* source length in pixels */
	double scale;  /* source pixels per shrunk pixel, >= 1 */
	double off;    /* source coordinate where pixel 0's span starts */
};

/* struct dp_pdq_taps - per output row/column of the 64x64 grid, the weights
 * of the shrunk pixels first .. first + count - 1. */
struct dp_pdq_taps {
	int first[DP_PDQ_GRID];
	int count[DP_PDQ_GRID];
	float w[DP_PDQ_GRID][DP_PDQ_TAPS_MAX];
};

/*
 * dp_pdq_shrunk_taps - the weights that give, from n shrunk pixels along
 * axis *a, the values PDQ's two box passes and decimation would produce
 * from the full-resolution source (see the derivation in pdq_shrunk.c).
 * Source pixels past the last span (a size rounded down) count in the
 * last pixel. Returns 0, or -1 when the axis is inconsistent (scale < 1,
 * off outside (-scale, 0], more than one span short of src, src under
 * DP_PDQ_MIN_DIM) or an output would span more than
 * DP_PDQ_TAPS_MAX shrunk pixels. a and t are borrowed. Pure.
 */
int dp_pdq_shrunk_taps(const struct dp_pdq_axis *a, int n, struct dp_pdq_taps *t);

/*
 * dp_pdq_shrunk_decimate - out (64x64) = the separable product of the
 * w x h float image in with the column taps tx (over w) and row taps ty
 * (over h). tmp holds 64*h floats. All buffers borrowed; in is unchanged. Pure.
 */
void dp_pdq_shrunk_decimate(const float *in, int w, int h, const struct dp_pdq_taps *tx,
			    const struct dp_pdq_taps *ty, float *tmp,
			    float out[DP_PDQ_GRID * DP_PDQ_GRID]);

/* ------------------------------------------------------------------ */
/* Borders (border.c)                                                  */

/*
 * dp_border_find - the part of a w x h float luma image inside uniform
 * borders: box = {x0, y0, x1, y1} (x1, y1 exclusive). A side counts when at
 * least min_lines and fewer than 40% of its outermost lines are uniform and
 * of one colour (every pixel within 12 grey levels of the outermost line's
 * mean), and they end at an edge (border.c): uniform or smooth pictures
 * have no border. Two opposite sides must count (bars come in pairs); a
 * third or fourth may come with them. The box leaves out
 * DP_BORDER_RAMP_LINES more lines past each side with a border (where the
 * bar blends into the picture). Returns 1 when there is a border, else 0
 * with box = the whole image. Images under 16 pixels: 0. luma borrowed.
 * Pure.
 */
#define DP_BORDER_RAMP_LINES 2
int dp_border_find(const float *luma, int w, int h, int min_lines, int box[4]);

/* ------------------------------------------------------------------ */
/* Hash drivers (hash_luma.c)                                          */

/*
 * struct dp_hash_work - the fixed-size working memory of the hash drivers
 * (about 68 KiB). Callers allocate it (one per thread) and run
 * dp_hash_work_init() once; afterwards the drivers only read the matrices.
 */
struct dp_hash_work {
	float pdq_dct[DP_PDQ_COEFS * DP_PDQ_GRID];         /* dp_dct_pdq_matrix() */
	float phash_dct[DP_PHASH_COEFS * DP_PHASH_GRID];   /* dp_dct_phash_matrix() */
	float img64[DP_PDQ_GRID * DP_PDQ_GRID];             /* PDQ decimated image */
	float tmp64[DP_PDQ_COEFS * DP_PDQ_GRID];            /* PDQ DCT intermediate */
	float coef16[DP_PDQ_COEFS * DP_PDQ_COEFS];          /* PDQ DCT output */
	float img32[DP_PHASH_GRID * DP_PHASH_GRID];         /* pHash 32x32 resize */
	float tmp32[DP_PHASH_COEFS * DP_PHASH_GRID];        /* pHash DCT intermediate */
	float coef8[DP_PHASH_COEFS * DP_PHASH_COEFS];       /* pHash DCT output */
	float small[8 * 9];                                 /* dHash 9x8 / aHash 8x8 */
	struct dp_pdq_taps taps_x, taps_y;                  /* PDQ on a shrunk image */
};

/* dp_hash_work_init - fill the DCT matrices of *w (borrowed). Pure. */
void dp_hash_work_init(struct dp_hash_work *w);

/*
 * dp_pdq_luma_floats - floats of the `tmp` buffer dp_pdq_from_luma() needs
 * for a w x h image: w*h (0 when w*h overflows size_t or w, h < 1).
 */
size_t dp_pdq_luma_floats(int w, int h);

/*
 * dp_pdq_from_luma - PDQ hash and quality of a w x h float luma image (w, h
 * >= 1), as the reference computes them: images under 5 pixels in either
 * dimension give an all-zero hash and quality 0; a 64x64 image is used as
 * is; otherwise two Jarosz (box rows, box cols) passes with windows
 * dp_jarosz_window(w, 64) / dp_jarosz_window(h, 64), decimation to 64x64,
 * quality, DCT coefficients 1..16, median threshold. See docs/HASHES.md.
 * luma (w*h) is borrowed and DESTROYED (the filter runs in place); tmp holds
 * dp_pdq_luma_floats(w, h) floats; work was initialised with
 * dp_hash_work_init(). Stage kernels come from k (borrowed). Pure.
 */
void dp_pdq_from_luma(const struct dp_kernels *k, float *luma, int w, int h,
		      float *tmp, struct dp_hash_work *work,
		      uint8_t hash[DP_PDQ_BYTES], int *quality);

/*
 * dp_pdq_dihedral_from_luma - the 8 dihedral PDQ hashes (enum
 * dp_pdq_dihedral order) and the quality of a w x h float luma image: the
 * stages of dp_pdq_from_luma() once, then dp_pdq_dihedral_from_dct(). So
 * hashes[0] and *quality always equal dp_pdq_from_luma()'s, and the others
 * equal the reference's pdqDihedralHash256esFromFloatLuma() bit for bit,
 * except for an input of exactly 64x64, which that function (unlike the
 * reference's plain hash) filters with window-1 box passes; see
 * docs/HASHES.md. Images under 5 pixels give 8 all-zero hashes, quality 0.
 * Arguments, buffers and ownership as for dp_pdq_from_luma() (luma is
 * DESTROYED). Pure.
 */
void dp_pdq_dihedral_from_luma(const struct dp_kernels *k, float *luma, int w, int h,
			       float *tmp, struct dp_hash_work *work,
			       uint8_t hashes[DP_PDQ_DIHEDRAL][DP_PDQ_BYTES], int *quality);

/*
 * dp_phash_from_luma, dp_dhash_from_luma, dp_ahash_from_luma - 64-bit
 * hashes of a w x h float luma image (w, h >= 1, borrowed, left unchanged)
 * through k->resize_area to 32x32 / 9x8 / 8x8 (+ k->dct32to8 for pHash).
 * scratch holds dp_resize_area_floats(w, h, 32, 32) floats (enough for all
 * three); work was initialised with dp_hash_work_init(). Pure.
 */
/*
 * dp_pdq_from_shrunk, dp_pdq_dihedral_from_shrunk - as dp_pdq_from_luma()
 * and dp_pdq_dihedral_from_luma() for a w x h image that is a block-
 * averaged shrink of a larger source described by ax (columns) and ay
 * (rows): the filter and decimation are those PDQ applies to the source
 * (dp_pdq_shrunk_taps), so the hash approximates the full-resolution one.
 * Falls back to the plain drivers when both axes have scale 1, the image is
 * under 64 pixels wide, or the taps cannot be built. Same buffers (tmp
 * holds dp_pdq_luma_floats(w, h) floats; luma may be destroyed). Pure.
 */
void dp_pdq_from_shrunk(const struct dp_kernels *k, float *luma, int w, int h,
			const struct dp_pdq_axis *ax, const struct dp_pdq_axis *ay,
			float *tmp, struct dp_hash_work *work,
			uint8_t hash[DP_PDQ_BYTES], int *quality);
void dp_pdq_dihedral_from_shrunk(const struct dp_kernels *k, float *luma, int w, int h,
				 const struct dp_pdq_axis *ax, const struct dp_pdq_axis *ay,
				 float *tmp, struct dp_hash_work *work,
				 uint8_t hashes[DP_PDQ_DIHEDRAL][DP_PDQ_BYTES], int *quality);

uint64_t dp_phash_from_luma(const struct dp_kernels *k, const float *luma, int w, int h,
			    float *scratch, struct dp_hash_work *work);
uint64_t dp_dhash_from_luma(const struct dp_kernels *k, const float *luma, int w, int h,
			    float *scratch, struct dp_hash_work *work);
uint64_t dp_ahash_from_luma(const struct dp_kernels *k, const float *luma, int w, int h,
			    float *scratch, struct dp_hash_work *work);

#endif
