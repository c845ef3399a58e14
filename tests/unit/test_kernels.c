/* tests/unit/test_kernels.c - scalar kernels, hash drivers and dp_hash_image() against independent values.
 *
 * Three kinds of expected values:
 *   - hand-checkable ones (box filter on 0..15, quality of ramps, bit
 *     packing patterns, dHash of ramps), derived in the comments;
 *   - golden values computed once with a separate NumPy script (not kept),
 *     on pseudo-random images from the LCG below (x = x * 1103515245 +
 *     12345 mod 2^32, byte = (x >> 16) & 255, row-major):
 *       PDQ: a float32 re-implementation in the reference's operation order
 *         (np.float32 scalar/elementwise ops, which round each step:
 *         running box sums, decimation indices (2o+1)*n//128, quality,
 *         D = f32(f32(sqrt(2/64)) * cos((pi/2/64)*(i+1)*(2j+1))),
 *         T = D A and B = T D^T accumulated over k in order, sorted(B)[127]);
 *       pHash/dHash/aHash: float64 (area weights as overlap fractions,
 *         out = Wy @ img @ Wx.T; DCT-II by matrix; np.median; imagehash's
 *         bit rules), on cases whose values are at least 8e-5 (relative,
 *         pHash) or 0.04 (absolute, dHash/aHash) away from the threshold,
 *         so float32 rounding here cannot flip a bit;
 *   - cross-checks against naive implementations written here (double
 *     box means, direct DCT sums, qsort ranks, bit-by-bit popcount), on
 *     random data from a seed printed at the start (--seed N reproduces).
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../testrng.h"
#include "err.h"
#include "hash.h"
#include "image.h"
#include "kernels.h"

#define PI 3.14159265358979323846   /* M_PI is not ISO C */

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* The golden-value generator: bytes of an LCG, as in the file comment. */
static void lcg_fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t s = seed;

	for (size_t i = 0; i < n; i++) {
		s = s * 1103515245u + 12345u;
		p[i] = (uint8_t)((s >> 16) & 0xff);
	}
}

/* w x h float image of LCG bytes; caller frees. */
static float *lcg_image(int w, int h, uint32_t seed)
{
	size_t n = (size_t)w * (size_t)h;
	uint8_t *b = malloc(n);
	float *f = malloc(n * sizeof(float));

	if (!b || !f) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	lcg_fill(b, n, seed);
	for (size_t i = 0; i < n; i++)
		f[i] = (float)b[i];
	free(b);
	return f;
}

static float rng_float255(void)
{
	return (float)(rng_next() >> 40) * (255.0f / 16777216.0f);
}

static struct dp_hash_work *new_work(void)
{
	struct dp_hash_work *w = xmalloc(sizeof(*w));

	dp_hash_work_init(w);
	return w;
}

/* PDQ of a copy of img through the scalar table; hex + quality. */
static int pdq_of(const float *img, int w, int h, char hex[65])
{
	size_t n = (size_t)w * (size_t)h;
	float *luma = xmalloc(n * sizeof(float)), *tmp = xmalloc(n * sizeof(float));
	struct dp_hash_work *work = new_work();
	uint8_t hash[DP_PDQ_BYTES];
	int q;

	memcpy(luma, img, n * sizeof(float));
	dp_pdq_from_luma(dp_kernels_scalar(), luma, w, h, tmp, work, hash, &q);
	dp_hash_pdq_to_hex(hash, hex);
	free(luma);
	free(tmp);
	free(work);
	return q;
}

/* ------------------------------------------------------------------ */
/* Luma                                                                */

static void test_luma(void)
{
	/* NumPy: f32(0.299)*R + f32(0.587)*G, rounded, + f32(0.114)*B, rounded. */
	static const uint8_t rgb[] = { 255, 255, 255, 10, 20, 30, 1, 0, 0, 0, 0, 1, 200, 100, 50 };
	static const float want[] = { 0x1.fep+7f, 0x1.226666p+4f, 0x1.322d0ep-2f, 0x1.d2f1aap-4f,
				      0x1.f0ccccp+6f };
	uint8_t grey[3] = { 0, 128, 255 };
	float out[5];

	dp_luma_rgb8_scalar(rgb, 5, out);
	for (int i = 0; i < 5; i++)
		tap_ok(out[i] == want[i], "luma rgb(%d,%d,%d) = %a", rgb[3 * i], rgb[3 * i + 1],
		       rgb[3 * i + 2], (double)out[i]);
	dp_luma_grey8_scalar(grey, 3, out);
	tap_ok(out[0] == 0.0f && out[1] == 128.0f && out[2] == 255.0f, "luma grey = value");
	dp_kernels_get()->luma_rgb8(rgb, 0, out);   /* n = 0 touches nothing */
	tap_ok(1, "luma n = 0");
}

/* ------------------------------------------------------------------ */
/* Jarosz box filter                                                   */

static void test_jarosz_window(void)
{
	/* ceil(n / 128) */
	static const int n[] = { 1, 64, 128, 129, 256, 500, 1004, 1600, 4032 };
	static const int want[] = { 1, 1, 1, 2, 2, 4, 8, 13, 32 };

	for (size_t i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		TAP_IS_INT(dp_jarosz_window(n[i], 64), want[i], "jarosz window %d -> 64", n[i]);
}

/*
 * Input 0, 1, ..., 15. Window 7 averages i-3..i+3 clipped: out[0] =
 * (0+1+2+3)/4 = 1.5, out[1] = 10/5, out[2] = 15/6, then (i-3..i+3)/7 = i for
 * i = 3..12, then 75/6, 65/5, 54/4. Window 8 averages i-3..i+4: out[0] =
 * 10/5, 15/6, 21/7, then 28/8 + k = i + 0.5 for i = 3..11, then 84/7, 75/6,
 * 65/5, 54/4. All exact in float.
 */
static void test_box_hand(void)
{
	static const float want7[16] = { 1.5f, 2, 2.5f, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12.5f, 13, 13.5f };
	static const float want8[16] = { 2, 2.5f, 3, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f, 8.5f, 9.5f, 10.5f,
					 11.5f, 12, 12.5f, 13, 13.5f };
	float in[16], out[16], col_out[16];
	int ok7 = 1, ok8 = 1, okc = 1;

	for (int i = 0; i < 16; i++)
		in[i] = (float)i;
	dp_box_rows_scalar(in, out, 16, 1, 7);
	dp_box_cols_scalar(in, col_out, 1, 16, 7);
	for (int i = 0; i < 16; i++) {
		ok7 &= out[i] == want7[i];
		okc &= col_out[i] == want7[i];
	}
	dp_box_rows_scalar(in, out, 16, 1, 8);
	dp_box_cols_scalar(in, col_out, 1, 16, 8);
	for (int i = 0; i < 16; i++) {
		ok8 &= out[i] == want8[i];
		okc &= col_out[i] == want8[i];
	}
	tap_ok(ok7, "box rows, window 7 on 0..15");
	tap_ok(ok8, "box rows, window 8 on 0..15 (3 left, 4 right)");
	tap_ok(okc, "box cols, windows 7 and 8 on a 1x16 column");

	dp_box_rows_scalar(in, out, 16, 1, 1);
	tap_ok(memcmp(in, out, sizeof(in)) == 0, "box window 1 is the identity");
	dp_box_rows_scalar(in, out, 16, 1, 16);
	/* window 16: i-7..i+8; out[0] = mean(0..8) = 4, out[15] = mean(8..15) = 11.5 */
	tap_ok(out[0] == 4.0f && out[15] == 11.5f, "box window = length");
}

/* Clipped window mean in double, the definition without running sums. */
static double naive_box(const float *v, int n, int stride, int i, int window)
{
	int half = (window + 2) / 2, lo = i - (window - half), hi = i + half - 1;
	double s = 0;

	if (lo < 0)
		lo = 0;
	if (hi > n - 1)
		hi = n - 1;
	for (int k = lo; k <= hi; k++)
		s += v[k * stride];
	return s / (hi - lo + 1);
}

static void test_box_random(void)
{
	static const int sizes[][2] = { { 37, 29 }, { 5, 300 }, { 300, 5 }, { 1, 1 }, { 257, 9 }, { 520, 3 } };

	for (size_t c = 0; c < sizeof(sizes) / sizeof(sizes[0]); c++) {
		int w = sizes[c][0], h = sizes[c][1];
		size_t n = (size_t)w * (size_t)h;
		float *in = xmalloc(n * 4), *out = xmalloc(n * 4), *tin = xmalloc(n * 4),
		      *tout = xmalloc(n * 4);
		int wins[] = { 1, 2, 3, 7, 8, w < h ? w : h };
		double maxerr = 0;
		int same = 1;

		for (size_t i = 0; i < n; i++)
			in[i] = rng_float255();
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				tin[(size_t)x * (size_t)h + (size_t)y] = in[(size_t)y * (size_t)w + (size_t)x];
		for (size_t k = 0; k < sizeof(wins) / sizeof(wins[0]); k++) {
			int win = wins[k];

			if (win > w || win > h)
				continue;
			dp_box_rows_scalar(in, out, w, h, win);
			dp_box_cols_scalar(tin, tout, h, w, win);
			for (int y = 0; y < h; y++) {
				for (int x = 0; x < w; x++) {
					float v = out[(size_t)y * (size_t)w + (size_t)x];
					double e = fabs(v - naive_box(in + (size_t)y * (size_t)w, w, 1, x, win));

					maxerr = e > maxerr ? e : maxerr;
					same &= v == tout[(size_t)x * (size_t)h + (size_t)y];
				}
			}
		}
		tap_ok(maxerr < 1e-3, "box %dx%d: running means within 1e-3 of exact (max %.2g)", w, h,
		       maxerr);
		tap_ok(same, "box %dx%d: column pass of the transpose is bit-identical", w, h);
		free(in);
		free(out);
		free(tin);
		free(tout);
	}
}

/* ------------------------------------------------------------------ */
/* Area resize                                                         */

static void resize(const float *in, int w, int h, float *out, int ow, int oh)
{
	float *scratch = xmalloc(dp_resize_area_floats(w, h, ow, oh) * sizeof(float));

	dp_resize_area_scalar(in, w, h, out, ow, oh, scratch);
	free(scratch);
}

static int close_all(const float *got, const double *want, int n, double tol)
{
	for (int i = 0; i < n; i++)
		if (fabs(got[i] - want[i]) > tol)
			return 0;
	return 1;
}

static void test_resize(void)
{
	float in[64], out[72];
	int ok = 1;

	for (int i = 0; i < 35; i++)
		in[i] = 77.0f;
	resize(in, 7, 5, out, 3, 2);
	for (int i = 0; i < 6; i++)
		ok &= out[i] == 77.0f;
	resize(in, 7, 5, out, 9, 8);
	for (int i = 0; i < 72; i++)
		ok &= out[i] == 77.0f;
	tap_ok(ok, "resize of a constant image is that constant (down and up)");

	{
		/* 4x4 -> 2x2: means of 2x2 blocks. */
		static const float b[16] = { 1, 3, 10, 20, 5, 7, 30, 40, 0, 0, 100, 100, 0, 8, 100, 100 };
		resize(b, 4, 4, out, 2, 2);
		tap_ok(out[0] == 4.0f && out[1] == 25.0f && out[2] == 2.0f && out[3] == 100.0f,
		       "resize 4x4 -> 2x2 block means");
	}
	{
		/* 3 -> 2: cells [0, 1.5) and [1.5, 3): (2 p0 + p1)/3 and (p1 + 2 p2)/3. */
		static const float r[3] = { 30, 60, 90 };
		static const double want[2] = { 40, 80 };
		resize(r, 3, 1, out, 2, 1);
		tap_ok(close_all(out, want, 2, 1e-4), "resize 3 -> 2 fractional coverage");
	}
	{
		/* 2 -> 5 upscale: cells of 0.4 pixel; the middle one straddles. */
		static const float r[2] = { 10, 20 };
		static const double want[5] = { 10, 10, 15, 20, 20 };
		resize(r, 2, 1, out, 5, 1);
		tap_ok(close_all(out, want, 5, 1e-4), "resize 2 -> 5 upscale");
	}
	{
		/* NumPy goldens (float64 area matrices). */
		static const double want32[6] = { 161.228571, 143.628571, 132.114286,
						  116.428571, 118.485714, 118.914286 };
		static const double want84[32] = {
			191.0, 136.2, 54.0, 200.4, 222.8, 166.0, 214.6, 247.0,
			187.666667, 171.533333, 147.333333, 199.333333, 185.066667, 76.0, 178.2, 246.333333,
			152.333333, 166.066667, 186.666667, 203.733333, 171.4, 25.0, 131.4, 202.333333,
			85.0, 119.8, 172.0, 213.6, 181.8, 13.0, 74.2, 115.0 };
		float *a = lcg_image(7, 5, 9), *b = lcg_image(5, 3, 10);

		resize(a, 7, 5, out, 3, 2);
		tap_ok(close_all(out, want32, 6, 1e-4), "resize 7x5 -> 3x2 matches NumPy");
		resize(b, 5, 3, out, 8, 4);
		tap_ok(close_all(out, want84, 32, 1e-4), "resize 5x3 -> 8x4 matches NumPy");
		free(a);
		free(b);
	}
	{
		/* Same size: every cell is one pixel. */
		float *a = lcg_image(6, 4, 11);
		double want[24];

		for (int i = 0; i < 24; i++)
			want[i] = a[i];
		resize(a, 6, 4, out, 6, 4);
		tap_ok(close_all(out, want, 24, 1e-4), "resize to the same size keeps the pixels");
		free(a);
	}
	TAP_IS_INT(dp_resize_area_floats(500, 375, 32, 32), 32 * 500, "resize scratch = out_h * in_w");
}

/* ------------------------------------------------------------------ */
/* DCT                                                                 */

static void test_dct(void)
{
	struct dp_hash_work *w = new_work();
	double maxdev = 0, maxerr = 0, scale = 0;
	float *img = lcg_image(64, 64, 12), tmp[16 * 64], out[16 * 16];

	/* PDQ rows are orthonormal DCT-II rows (scale sqrt(2/64)). */
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++) {
			double s = 0;

			for (int k = 0; k < 64; k++)
				s += (double)w->pdq_dct[i * 64 + k] * w->pdq_dct[j * 64 + k];
			s -= i == j;
			maxdev = fabs(s) > maxdev ? fabs(s) : maxdev;
		}
	tap_ok(maxdev < 1e-6, "PDQ DCT rows orthonormal (max deviation %.2g)", maxdev);
	tap_ok(w->pdq_dct[0] == (float)(sqrt(2.0 / 64) * cos(PI / 128)),
	       "PDQ DCT m[0][0] = sqrt(2/64) cos(pi/128)");
	tap_ok(w->phash_dct[0] == 1.0f && w->phash_dct[31] == 1.0f &&
	       w->phash_dct[32] == (float)cos(PI / 64), "pHash DCT row 0 = 1, m[1][0] = cos(pi/64)");

	/* 64 -> 16 block against the direct double sum. */
	dp_dct64to16_scalar(img, w->pdq_dct, tmp, out);
	for (int u = 0; u < 16; u++)
		for (int v = 0; v < 16; v++) {
			double s = 0;

			for (int y = 0; y < 64; y++)
				for (int x = 0; x < 64; x++)
					s += cos(PI * (u + 1) * (2 * y + 1) / 128) *
					     cos(PI * (v + 1) * (2 * x + 1) / 128) * img[y * 64 + x];
			s *= 2.0 / 64;
			maxerr = fabs(s - out[u * 16 + v]) > maxerr ? fabs(s - out[u * 16 + v]) : maxerr;
			scale = fabs(s) > scale ? fabs(s) : scale;
		}
	tap_ok(maxerr < 1e-5 * scale + 1e-3, "dct64to16 = direct sum (max err %.2g, max |c| %.0f)",
	       maxerr, scale);

	/* 32 -> 8 block, unscaled. */
	maxerr = 0;
	scale = 0;
	dp_dct32to8_scalar(img, w->phash_dct, tmp, out);
	for (int u = 0; u < 8; u++)
		for (int v = 0; v < 8; v++) {
			double s = 0;

			for (int y = 0; y < 32; y++)
				for (int x = 0; x < 32; x++)
					s += cos(PI * u * (2 * y + 1) / 64) * cos(PI * v * (2 * x + 1) / 64) *
					     img[y * 32 + x];
			maxerr = fabs(s - out[u * 8 + v]) > maxerr ? fabs(s - out[u * 8 + v]) : maxerr;
			scale = fabs(s) > scale ? fabs(s) : scale;
		}
	tap_ok(maxerr < 1e-5 * scale, "dct32to8 = direct sum (max err %.2g, max |c| %.0f)", maxerr,
	       scale);
	free(img);
	free(w);
}

/* ------------------------------------------------------------------ */
/* Median                                                              */

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return (x > y) - (x < y);
}

static void test_median(void)
{
	float scratch[256], v[256], sorted[256];
	static const float a3[] = { 3, 1, 2 }, a4[] = { 4, 1, 3, 2 }, a5[] = { 5, 5, 5, 5 },
			   a1[] = { -7 }, a6[] = { 1, 9, 9, 9, 2, 2 };
	int ok = 1;

	tap_ok(dp_lower_median(a3, 3, scratch) == 2, "median {3,1,2} = 2");
	tap_ok(dp_lower_median(a4, 4, scratch) == 2, "median {4,1,3,2} = 2 (lower)");
	tap_ok(dp_lower_median(a5, 4, scratch) == 5, "median of equal values");
	tap_ok(dp_lower_median(a1, 1, scratch) == -7, "median of one value");
	tap_ok(dp_lower_median(a6, 6, scratch) == 2, "median {1,9,9,9,2,2} = 2");
	for (int rep = 0; rep < 200; rep++) {
		int n = rep % 2 ? 256 : 64;

		for (int i = 0; i < n; i++)   /* few distinct values: many ties */
			v[i] = rep % 3 ? rng_float255() : (float)(rng_next() % 7);
		memcpy(sorted, v, sizeof(float) * (size_t)n);
		qsort(sorted, (size_t)n, sizeof(float), cmp_float);
		ok &= dp_lower_median(v, n, scratch) == sorted[(n - 1) / 2];
	}
	tap_ok(ok, "median = sorted[(n-1)/2] on 200 random arrays (64/256, with ties)");
}

/* ------------------------------------------------------------------ */
/* PDQ finishers                                                       */

static void test_pdq_bits(void)
{
	float c[256] = { 0 };
	uint8_t h[32];
	char hex[65];

	/* c = 0..255: lower median 127, bits 128..255 = rows 8..15 = words 15..8. */
	for (int i = 0; i < 256; i++)
		c[i] = (float)i;
	dp_pdq_bits(c, h);
	dp_hash_pdq_to_hex(h, hex);
	tap_ok(strcmp(hex, "ffffffffffffffffffffffffffffffff00000000000000000000000000000000") == 0,
	       "pdq bits of 0..255: %s", hex);

	/* One coefficient above a zero median sets exactly its bit. */
	memset(c, 0, sizeof(c));
	c[0] = 1;   /* (0,0): word 0 bit 0 -> last hex digit */
	dp_pdq_bits(c, h);
	dp_hash_pdq_to_hex(h, hex);
	tap_ok(strcmp(hex, "0000000000000000000000000000000000000000000000000000000000000001") == 0,
	       "pdq bit (0,0) is the last hex digit");
	memset(c, 0, sizeof(c));
	c[255] = 1;   /* (15,15): word 15 bit 15 -> first hex digit 8 */
	dp_pdq_bits(c, h);
	dp_hash_pdq_to_hex(h, hex);
	tap_ok(strcmp(hex, "8000000000000000000000000000000000000000000000000000000000000000") == 0,
	       "pdq bit (15,15) is the first hex digit's top bit");
	memset(c, 0, sizeof(c));
	c[8] = 1;   /* (0,8): word 0 bit 8 -> "0100" */
	c[16 + 7] = 1;   /* (1,7): word 1 bit 7 -> "0080" */
	dp_pdq_bits(c, h);
	dp_hash_pdq_to_hex(h, hex);
	tap_ok(strcmp(hex, "0000000000000000000000000000000000000000000000000000000000800100") == 0,
	       "pdq bits (0,8) and (1,7): %s", hex);
	memset(c, 0, sizeof(c));
	dp_pdq_bits(c, h);
	dp_hash_pdq_to_hex(h, hex);
	tap_ok(strcmp(hex, "0000000000000000000000000000000000000000000000000000000000000000") == 0,
	       "pdq bits of all-equal coefficients are zero");
}

static void test_quality(void)
{
	float img[64 * 64];

	for (int i = 0; i < 64 * 64; i++)
		img[i] = 100.0f;
	TAP_IS_INT(dp_pdq_quality(img), 0, "quality of a flat image");
	/* Ramp of 3 per column: |(int)(-300/255)| = 1 on 63*64 pairs -> 4032/90 = 44. */
	for (int i = 0; i < 64; i++)
		for (int j = 0; j < 64; j++)
			img[i * 64 + j] = (float)(3 * j);
	TAP_IS_INT(dp_pdq_quality(img), 44, "quality of a 3-per-column ramp");
	/* Ramp of 6 per row: (int)(600/255) = 2 -> 8064/90 = 89. */
	for (int i = 0; i < 64; i++)
		for (int j = 0; j < 64; j++)
			img[i * 64 + j] = (float)(6 * i);
	TAP_IS_INT(dp_pdq_quality(img), 89, "quality of a 6-per-row ramp");
	/* Ramp of 2.5: (int)(250/255) = 0: small steps do not count. */
	for (int i = 0; i < 64; i++)
		for (int j = 0; j < 64; j++)
			img[i * 64 + j] = 2.5f * (float)j;
	TAP_IS_INT(dp_pdq_quality(img), 0, "quality ignores steps under 2.55");
	/* Checkerboard 0/255: 100 per pair, capped. */
	for (int i = 0; i < 64; i++)
		for (int j = 0; j < 64; j++)
			img[i * 64 + j] = (i + j) % 2 ? 255.0f : 0.0f;
	TAP_IS_INT(dp_pdq_quality(img), 100, "quality capped at 100");
}

static void test_decimate(void)
{
	float in[10 * 3], out[4 * 2];

	for (int i = 0; i < 30; i++)
		in[i] = (float)i;
	/* x = floor((2o+1)*10/8) = 1, 3, 6, 8; y = floor((2o+1)*3/4) = 0, 2. */
	dp_decimate(in, 10, 3, out, 4, 2);
	tap_ok(out[0] == 1 && out[1] == 3 && out[2] == 6 && out[3] == 8 && out[4] == 21 &&
	       out[7] == 28, "decimate samples cell centres");
}

/* ------------------------------------------------------------------ */
/* Hash drivers against golden values                                  */

static void test_pdq_golden(void)
{
	static const struct {
		int w, h;
		uint32_t seed;   /* 0: constant 128 */
		const char *hex;
		int quality;
	} cases[] = {
		{ 70, 50, 1, "03724a3b1a0e7ccc718f292fc4d3f53416645e970c5efcc37b134bac242ac797", 100 },
		{ 64, 64, 2, "b6a4e35ea9270c4820103de45315bdc68f8febf165e129f95457365c817cae69", 100 },
		{ 40, 30, 0, "000000002c4b11342c4b2c4b0000554b00002c4b113411342c4b585e2c4b017e", 0 },
		{ 5, 7, 3, "c4f1c3f09b269e27390ecb72348d348d97a4cb72685acb72cb72348dc6f1c1f0", 100 },
		{ 130, 9, 4, "083b34f42d1e8b75e2c49d9d724842638db762623b3bf48ad6e3cb0bf744c1cc", 100 },
	};
	char hex[65];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int w = cases[i].w, h = cases[i].h, q;
		float *img = lcg_image(w, h, cases[i].seed);

		if (!cases[i].seed)
			for (int k = 0; k < w * h; k++)
				img[k] = 128.0f;
		q = pdq_of(img, w, h, hex);
		if (!tap_ok(strcmp(hex, cases[i].hex) == 0 && q == cases[i].quality,
			    "pdq %dx%d seed %u = NumPy float32 model", w, h, cases[i].seed))
			tap_diag("got %s q%d, want %s q%d", hex, q, cases[i].hex, cases[i].quality);
		free(img);
	}

	{
		/* Black: every stage is exactly 0, no coefficient exceeds the median. */
		float *img = calloc(100 * 80, sizeof(float));
		int q = pdq_of(img, 100, 80, hex);

		tap_ok(strspn(hex, "0") == 64 && q == 0, "pdq of a black image: zero hash, quality 0");
		free(img);
	}
	{
		/* Under 5 pixels in a dimension: the reference returns zero, quality 0. */
		float *img = lcg_image(4, 100, 13);
		int q = pdq_of(img, 4, 100, hex);

		tap_ok(strspn(hex, "0") == 64 && q == 0, "pdq of a 4x100 image: zero hash, quality 0");
		free(img);
	}
}

static void test_hash64_golden(void)
{
	static const struct {
		int w, h;
		uint32_t seed;
		uint64_t phash, dhash, ahash;
	} cases[] = {
		{ 37, 23, 5, 0xc61a44fbca02daf5ull, 0xa9aeaa894a5896e5ull, 0x75631e29e2ace372ull },
		{ 20, 20, 6, 0xffee3551ac714088ull, 0x5655d655f3d55a32ull, 0xaaa170951d448e0bull },
		{ 70, 50, 1, 0, 0x3a7596a6aa5a554bull, 0xc89cc8fad21cf933ull },
		{ 7, 5, 7, 0, 0x7276f63929c6ef69ull, 0x10103a9dbd723f1full },
	};
	const struct dp_kernels *k = dp_kernels_scalar();
	struct dp_hash_work *work = new_work();

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int w = cases[i].w, h = cases[i].h;
		float *img = lcg_image(w, h, cases[i].seed);
		float *scratch = xmalloc(dp_resize_area_floats(w, h, 32, 32) * sizeof(float));
		uint64_t ph = dp_phash_from_luma(k, img, w, h, scratch, work);
		uint64_t dh = dp_dhash_from_luma(k, img, w, h, scratch, work);
		uint64_t ah = dp_ahash_from_luma(k, img, w, h, scratch, work);

		/* pHash margins of the 70x50 and 7x5 cases are too thin (5e-6) to pin. */
		if (cases[i].phash)
			tap_ok(ph == cases[i].phash, "phash %dx%d seed %u = %016llx", w, h,
			       cases[i].seed, (unsigned long long)ph);
		tap_ok(dh == cases[i].dhash, "dhash %dx%d seed %u = %016llx", w, h, cases[i].seed,
		       (unsigned long long)dh);
		tap_ok(ah == cases[i].ahash, "ahash %dx%d seed %u = %016llx", w, h, cases[i].seed,
		       (unsigned long long)ah);
		free(img);
		free(scratch);
	}
	free(work);
}

static void test_hash64_hand(void)
{
	const struct dp_kernels *k = dp_kernels_scalar();
	struct dp_hash_work *work = new_work();
	float img[40 * 24], scratch[32 * 40];

	for (int y = 0; y < 24; y++)
		for (int x = 0; x < 40; x++)
			img[y * 40 + x] = (float)(5 * x);
	tap_ok(dp_dhash_from_luma(k, img, 40, 24, scratch, work) == ~0ull,
	       "dhash of a left-to-right ramp: all ones");
	tap_ok(dp_ahash_from_luma(k, img, 40, 24, scratch, work) == 0x0f0f0f0f0f0f0f0full,
	       "ahash of a left-to-right ramp: right half set");
	for (int y = 0; y < 24; y++)
		for (int x = 0; x < 40; x++)
			img[y * 40 + x] = (float)(200 - 5 * x);
	tap_ok(dp_dhash_from_luma(k, img, 40, 24, scratch, work) == 0,
	       "dhash of a right-to-left ramp: zero");
	for (int i = 0; i < 40 * 24; i++)
		img[i] = 50.0f;
	tap_ok(dp_dhash_from_luma(k, img, 40, 24, scratch, work) == 0 &&
	       dp_ahash_from_luma(k, img, 40, 24, scratch, work) == 0,
	       "dhash and ahash of a flat image: zero");
	for (int y = 0; y < 24; y++)
		for (int x = 0; x < 40; x++)
			img[y * 40 + x] = y < 12 ? 10.0f : 240.0f;
	tap_ok(dp_ahash_from_luma(k, img, 40, 24, scratch, work) == 0x00000000ffffffffull,
	       "ahash of dark top / bright bottom");
	/* pHash: only the vertical frequencies are non-zero; the DC term alone is > median. */
	tap_ok(dp_phash_from_luma(k, img, 40, 24, scratch, work) >> 63 == 1,
	       "phash of a split image sets the DC bit");
	free(work);
}

/* ------------------------------------------------------------------ */
/* Hamming                                                             */

static unsigned naive_bits(const uint8_t *a, const uint8_t *b, int n)
{
	unsigned d = 0;

	for (int i = 0; i < n; i++)
		for (int k = 0; k < 8; k++)
			d += ((a[i] ^ b[i]) >> k) & 1;
	return d;
}

static void test_hamming(void)
{
	uint8_t a[32] = { 0 }, b[32], buf[1 + 32 * 50];
	uint64_t codes[50];
	uint16_t dist[50];
	int ok = 1;

	memset(b, 0xff, sizeof(b));
	TAP_IS_INT(dp_hamming64(0, ~0ull), 64, "hamming64 all bits");
	TAP_IS_INT(dp_hamming64(0x8000000000000001ull, 1), 1, "hamming64 top bit");
	TAP_IS_INT(dp_hamming256(a, b), 256, "hamming256 all bits");
	b[0] = 0x7f;
	b[31] = 0xfe;
	TAP_IS_INT(dp_hamming256(a, b), 254, "hamming256 ends");
	TAP_IS_INT(dp_hamming256(a, a), 0, "hamming256 self");

	/* One-to-many, codes at an odd address, against the byte-wise count. */
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rng_next();
	for (int i = 0; i < 32; i++)
		a[i] = (uint8_t)rng_next();
	dp_hamming256_many_scalar(a, buf + 1, 50, dist);
	for (int i = 0; i < 50; i++)
		ok &= dist[i] == naive_bits(a, buf + 1 + 32 * i, 32) &&
		      dist[i] == dp_hamming256(a, buf + 1 + 32 * i);
	dp_kernels_get()->hamming256_many(a, buf + 1, 0, dist);   /* n = 0 */
	tap_ok(ok, "hamming256_many = per-code count (misaligned codes)");

	ok = 1;
	for (int i = 0; i < 50; i++)
		codes[i] = rng_next();
	dp_hamming64_many_scalar(codes[0], codes, 50, dist);
	for (int i = 0; i < 50; i++)
		ok &= dist[i] == naive_bits((const uint8_t *)&codes[0], (const uint8_t *)&codes[i], 8);
	tap_ok(ok && dist[0] == 0, "hamming64_many = per-code count");
}

/* ------------------------------------------------------------------ */
/* Dispatch                                                            */

static void test_dispatch(void)
{
	const struct dp_kernels *k, *s = dp_kernels_scalar();
	const char *env = getenv("DP_DISABLE_CPU_FEATURES");

	dp_kernels_init();
	dp_kernels_init();   /* second call is a no-op */
	k = dp_kernels_get();
	tap_ok(k && k->name && k->luma_rgb8 && k->box_rows && k->box_cols && k->resize_area &&
	       k->dct64to16 && k->dct32to8 && k->hamming256_many && k->hamming64_many,
	       "selected table '%s' is complete", k ? k->name : "(null)");
	tap_ok(strcmp(s->name, "scalar") == 0 && s->box_rows == dp_box_rows_scalar,
	       "scalar table holds the references");
	tap_diag("cpu features 0x%x, DP_DISABLE_CPU_FEATURES=%s", dp_cpu_features(),
		 env ? env : "(unset)");
	if (env && strstr(env, "all"))
		TAP_IS_INT(dp_cpu_features(), 0, "DP_DISABLE_CPU_FEATURES=all masks every feature");
}

/* ------------------------------------------------------------------ */
/* dp_hash_image                                                       */

static void test_hash_image(void)
{
	struct dp_hash_scratch *s = dp_hash_scratch_new(), *fresh = dp_hash_scratch_new();
	struct dp_image im = { 0 }, big = { 0 };
	struct dp_hashes h, h2;
	struct dp_err err = { 0 };
	char hex[65];
	unsigned kinds;
	uint8_t back[32];

	tap_ok(s && fresh, "scratch allocated");
	if (!s || !fresh)
		return;

	/* RGB golden: NumPy float32 luma, then the models above. */
	if (dp_image_reserve(&im, 33, 17, 3) != 0)
		exit(1);
	lcg_fill(im.pix, 33 * 17 * 3, 8);
	TAP_IS_INT(dp_hash_image(&im, DP_HASH_ALL, s, &h, &err), 0, "hash rgb 33x17");
	dp_hash_pdq_to_hex(h.pdq, hex);
	tap_ok(strcmp(hex, "9831d38e2c353fe598532f487deee74f32a706904a144b92ad9b0f18e3aab8cd") == 0 &&
	       h.pdq_quality == 100, "rgb 33x17 pdq %s q%d", hex, h.pdq_quality);
	tap_ok(h.phash == 0x845d2aeeeeac9684ull, "rgb 33x17 phash %016llx", (unsigned long long)h.phash);
	tap_ok(h.dhash == 0x775b9e54e4aec5e5ull, "rgb 33x17 dhash %016llx", (unsigned long long)h.dhash);
	tap_ok(h.ahash == 0x11a92e8e76f71545ull, "rgb 33x17 ahash %016llx", (unsigned long long)h.ahash);

	/* Selecting fewer hashes zeroes the others and leaves the selected ones alone. */
	TAP_IS_INT(dp_hash_image(&im, DP_HASH_DHASH, s, &h2, &err), 0, "hash dhash only");
	tap_ok(h2.dhash == h.dhash && h2.phash == 0 && h2.ahash == 0 && h2.pdq_quality == 0 &&
	       h2.pdq[0] == 0, "unselected hashes are zero");

	/* Growing the scratch, then shrinking back, changes nothing. */
	if (dp_image_reserve(&big, 700, 300, 1) != 0)
		exit(1);
	lcg_fill(big.pix, 700 * 300, 14);
	TAP_IS_INT(dp_hash_image(&big, DP_HASH_ALL, s, &h2, &err), 0, "hash grey 700x300");
	TAP_IS_INT(dp_hash_image(&im, DP_HASH_ALL, s, &h2, &err), 0, "hash rgb 33x17 again");
	tap_ok(memcmp(&h, &h2, sizeof(h)) == 0, "reused scratch gives the same hashes");
	TAP_IS_INT(dp_hash_image(&big, DP_HASH_ALL, fresh, &h, &err), 0, "hash 700x300, fresh scratch");
	TAP_IS_INT(dp_hash_image(&big, DP_HASH_ALL, s, &h2, &err), 0, "hash 700x300, used scratch");
	tap_ok(memcmp(&h, &h2, sizeof(h)) == 0, "fresh and used scratch agree");

	/* Grey input: luma is the grey value, so a grey image equals its float model. */
	{
		char want[65];
		float *f = xmalloc(700 * 300 * sizeof(float));
		int q;

		for (int i = 0; i < 700 * 300; i++)
			f[i] = big.pix[i];
		q = pdq_of(f, 700, 300, want);
		dp_hash_pdq_to_hex(h.pdq, hex);
		tap_ok(strcmp(hex, want) == 0 && q == h.pdq_quality, "grey image = float luma model");
		free(f);
	}

	/* Tiny images: every hash is defined (PDQ: zero below 5 pixels). */
	{
		struct dp_image tiny = { 0 };

		if (dp_image_reserve(&tiny, 1, 1, 1) != 0)
			exit(1);
		tiny.pix[0] = 200;
		TAP_IS_INT(dp_hash_image(&tiny, DP_HASH_ALL, s, &h2, &err), 0, "hash 1x1");
		tap_ok(h2.pdq_quality == 0 && h2.pdq[0] == 0 && h2.pdq[31] == 0 && h2.dhash == 0 &&
		       h2.ahash == 0, "1x1: zero PDQ, flat dHash/aHash");
		if (dp_image_reserve(&tiny, 2, 3, 3) != 0)
			exit(1);
		lcg_fill(tiny.pix, 2 * 3 * 3, 15);
		TAP_IS_INT(dp_hash_image(&tiny, DP_HASH_ALL, s, &h2, &err), 0, "hash rgb 2x3");
		dp_image_release(&tiny);
	}

	/* Errors. */
	im.channels = 2;
	TAP_IS_INT(dp_hash_image(&im, DP_HASH_ALL, s, &h, &err), DP_E_ARG, "2 channels rejected");
	tap_ok(strncmp(err.msg, "hash: ", 6) == 0, "error message: %s", err.msg);
	im.channels = 3;
	im.w = 0;
	TAP_IS_INT(dp_hash_image(&im, DP_HASH_ALL, s, &h, NULL), DP_E_ARG, "empty image rejected");
	im.w = 33;
	TAP_IS_INT(dp_hash_image(&im, 0, s, &h, &err), 0, "no kinds: nothing to do");

	/* Names and lists. */
	TAP_IS_INT(dp_hash_parse_list("pdq,phash", &kinds, &err), 0, "parse pdq,phash");
	TAP_IS_INT(kinds, DP_HASH_PDQ | DP_HASH_PHASH, "pdq,phash bits");
	TAP_IS_INT(dp_hash_parse_list("all", &kinds, &err), 0, "parse all");
	TAP_IS_INT(kinds, DP_HASH_ALL | DP_HASH_THUMB, "all bits");
	TAP_IS_INT(dp_hash_parse_list(" dhash, ahash ", &kinds, &err), 0, "parse with spaces");
	TAP_IS_INT(kinds, DP_HASH_DHASH | DP_HASH_AHASH, "dhash,ahash bits");
	TAP_IS_INT(dp_hash_parse_list("pdq,md5", &kinds, &err), DP_E_ARG, "unknown hash rejected");
	tap_ok(strstr(err.msg, "md5") != NULL, "message names it: %s", err.msg);
	TAP_IS_INT(dp_hash_parse_list(",", &kinds, &err), DP_E_ARG, "empty list rejected");
	tap_ok(strcmp(dp_hash_kind_name(DP_HASH_PHASH), "phash") == 0 &&
	       strcmp(dp_hash_kind_name(DP_HASH_PDQ | DP_HASH_PHASH), "unknown") == 0, "kind names");

	/* Hex round trip. */
	for (int i = 0; i < 32; i++)
		back[i] = (uint8_t)(i * 37);
	dp_hash_pdq_to_hex(back, hex);
	memset(back, 0, sizeof(back));
	TAP_IS_INT(dp_hash_pdq_from_hex(hex, back, &err), 0, "pdq hex parses");
	tap_ok(back[1] == 37 && back[31] == (uint8_t)(31 * 37), "pdq hex round trip");
	TAP_IS_INT(dp_hash_pdq_from_hex("12", back, &err), DP_E_FORMAT, "short hex rejected");

	dp_image_release(&im);
	dp_image_release(&big);
	dp_hash_scratch_free(s);
	dp_hash_scratch_free(fresh);
	dp_hash_scratch_free(NULL);
}

int main(int argc, char **argv)
{
	unsigned long long seed;

	if (tap_seed(argc, argv, 20240601, &seed))
		return 2;
	rng_state = seed ? seed : 1;
	dp_kernels_init();

	test_luma();
	test_jarosz_window();
	test_box_hand();
	test_box_random();
	test_resize();
	test_dct();
	test_median();
	test_pdq_bits();
	test_quality();
	test_decimate();
	test_pdq_golden();
	test_hash64_golden();
	test_hash64_hand();
	test_hamming();
	test_dispatch();
	test_hash_image();
	return tap_done();
}
