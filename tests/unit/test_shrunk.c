/* tests/unit/test_shrunk.c - PDQ on a shrunk image (kernels/pdq_shrunk.c) against full-resolution PDQ.
 *
 * Groups of checks:
 *   - the derivation: at scale 1 the taps are PDQ's two box passes plus
 *     decimation, so they must reproduce the Jarosz kernels' 64x64 image
 *     to float rounding, for even and odd sizes and every window;
 *   - the weights of every output sum to 1 (a mean), for integer and
 *     fractional scales, flipped offsets and sizes rounded down;
 *   - inconsistent axes are refused (the driver then falls back);
 *   - a structured full-size image shrunk by block means (d = 2, 4, 8, odd
 *     sizes so the last block is partial) and turned by each EXIF
 *     orientation through dp_image_orient(): the emulated 64x64 image stays
 *     close to the full-resolution one, closer than with the flip offsets
 *     ignored, and the PDQ hashes stay within a few bits (the fast-mode
 *     target is mean <= 2, p99 <= 8 bits on real photos).
 *
 * Usage: test_shrunk [--seed N]
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
#include "image.h"
#include "kernels.h"

#define G DP_PDQ_GRID

/* The reference path: two box passes, then point sampling (scalar kernels). */
static void jarosz64(const float *img, int w, int h, float out[G * G])
{
	size_t n = (size_t)w * (size_t)h;
	float *a = xmalloc(n * sizeof(float)), *t = xmalloc(n * sizeof(float));
	int wr = dp_jarosz_window(w, G), wc = dp_jarosz_window(h, G);

	memcpy(a, img, n * sizeof(float));
	for (int pass = 0; pass < DP_PDQ_PASSES; pass++) {
		dp_box_rows_scalar(a, t, w, h, wr);
		dp_box_cols_scalar(t, a, w, h, wc);
	}
	dp_decimate(a, w, h, out, G, G);
	free(a);
	free(t);
}

/* The emulated path; returns -1 when the taps cannot be built. */
static int shrunk64(const float *img, int w, int h, const struct dp_pdq_axis *ax,
		    const struct dp_pdq_axis *ay, float out[G * G])
{
	static struct dp_pdq_taps tx, ty;
	float *tmp;

	if (dp_pdq_shrunk_taps(ax, w, &tx) || dp_pdq_shrunk_taps(ay, h, &ty))
		return -1;
	tmp = xmalloc((size_t)G * (size_t)h * sizeof(float));
	dp_pdq_shrunk_decimate(img, w, h, &tx, &ty, tmp, out);
	free(tmp);
	return 0;
}

static double mean_abs_diff(const float *a, const float *b)
{
	double s = 0;

	for (int i = 0; i < G * G; i++)
		s += fabs((double)a[i] - (double)b[i]);
	return s / (G * G);
}

static void test_scale1_is_jarosz(void)
{
	static const int sizes[][2] = { { 5, 5 }, { 64, 65 }, { 127, 129 }, { 255, 256 },
					{ 300, 200 }, { 511, 383 }, { 1000, 37 }, { 1280, 960 } };

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int w = sizes[s][0], h = sizes[s][1];
		size_t n = (size_t)w * (size_t)h;
		float *img = xmalloc(n * sizeof(float));
		float want[G * G], got[G * G], worst = 0;
		struct dp_pdq_axis ax = { w, 1.0, 0.0 }, ay = { h, 1.0, 0.0 };

		for (size_t i = 0; i < n; i++)
			img[i] = (float)(rng_next() % 256);
		jarosz64(img, w, h, want);
		if (!tap_ok(shrunk64(img, w, h, &ax, &ay, got) == 0, "%dx%d: taps at scale 1", w, h)) {
			free(img);
			continue;
		}
		for (int i = 0; i < G * G; i++)
			worst = fmaxf(worst, fabsf(want[i] - got[i]));
		tap_ok(worst < 0.01f, "%dx%d: scale-1 taps equal the box passes (max diff %.2g)",
		       w, h, worst);
		free(img);
	}
}

static void test_weights_sum_to_one(void)
{
	static const struct { struct dp_pdq_axis a; int n; } cases[] = {
		{ { 2000, 8.0, 0.0 }, 250 },   { { 2001, 8.0, 0.0 }, 251 },
		{ { 2001, 8.0, -7.0 }, 251 },  { { 999, 2.0, -1.0 }, 500 },
		{ { 1003, 4.0, 0.0 }, 250 },   /* rounded down: 3 pixels past the end */
		{ { 1600, 1600.0 / 533, 0.0 }, 533 }, { { 77, 1.0, 0.0 }, 77 },
		{ { 40000, 8.0, 0.0 }, 5000 }, /* windows too wide: refused below */
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		static struct dp_pdq_taps t;
		const struct dp_pdq_axis *a = &cases[c].a;
		int n = cases[c].n, bad = 0, ok = dp_pdq_shrunk_taps(a, n, &t) == 0;

		if (c == sizeof(cases) / sizeof(cases[0]) - 1) {
			tap_ok(!ok, "src %d scale %g: an output spanning over %d pixels is refused",
			       a->src, a->scale, DP_PDQ_TAPS_MAX);
			continue;
		}
		tap_ok(ok, "src %d scale %g off %g n %d: taps built", a->src, a->scale, a->off, n);
		for (int j = 0; ok && j < G; j++) {
			double s = 0;

			for (int q = 0; q < t.count[j]; q++)
				s += t.w[j][q];
			if (fabs(s - 1.0) > 1e-5 || t.first[j] < 0 || t.first[j] + t.count[j] > n)
				bad++;
		}
		tap_ok(ok && bad == 0, "src %d scale %g: every output is a mean inside the image",
		       a->src, a->scale);
	}
}

static void test_refused(void)
{
	static struct dp_pdq_taps t;
	struct dp_pdq_axis a;

	a = (struct dp_pdq_axis){ 2000, 8.0, 0.0 };
	tap_ok(dp_pdq_shrunk_taps(&a, 240, &t) != 0, "more than one span short of the source");
	a = (struct dp_pdq_axis){ 2000, 8.0, 1.0 };
	tap_ok(dp_pdq_shrunk_taps(&a, 250, &t) != 0, "positive offset");
	a = (struct dp_pdq_axis){ 2000, 8.0, -8.0 };
	tap_ok(dp_pdq_shrunk_taps(&a, 251, &t) != 0, "offset of a whole span");
	a = (struct dp_pdq_axis){ 2000, 0.5, 0.0 };
	tap_ok(dp_pdq_shrunk_taps(&a, 4000, &t) != 0, "scale under 1");
	a = (struct dp_pdq_axis){ 4, 1.0, 0.0 };
	tap_ok(dp_pdq_shrunk_taps(&a, 4, &t) != 0, "source under 5 pixels");
}

/* A deterministic photo-like image: soft blobs, hard-edged boxes, grain. */
static void make_scene(uint8_t *pix, int w, int h)
{
	float *acc = xmalloc((size_t)w * (size_t)h * sizeof(float));

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			acc[(size_t)y * w + x] = 60.0f + 40.0f * (float)x / (float)w;
	for (int b = 0; b < 40; b++) {
		float cx = (float)(rng_next() % (uint64_t)w), cy = (float)(rng_next() % (uint64_t)h);
		float r = 10.0f + (float)(rng_next() % 120), amp = (float)(rng_next() % 160) - 80.0f;

		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				float d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (r * r);

				if (d2 < 9.0f)
					acc[(size_t)y * w + x] += amp * expf(-d2);
			}
	}
	for (int b = 0; b < 25; b++) {
		int x0 = (int)(rng_next() % (uint64_t)w), y0 = (int)(rng_next() % (uint64_t)h);
		int x1 = x0 + 5 + (int)(rng_next() % 150), y1 = y0 + 5 + (int)(rng_next() % 150);
		float amp = (float)(rng_next() % 120) - 60.0f;

		for (int y = y0; y < y1 && y < h; y++)
			for (int x = x0; x < x1 && x < w; x++)
				acc[(size_t)y * w + x] += amp;
	}
	for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
		float v = acc[i] + (float)(rng_next() % 21) - 10.0f;

		pix[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrintf(v));
	}
	free(acc);
}

/* Block means of the real pixels, rounded to 8 bits as a decoder gives them. */
static int shrink_blocks(const struct dp_image *full, int d, struct dp_image *out)
{
	int w = (full->w + d - 1) / d, h = (full->h + d - 1) / d;

	if (dp_image_reserve(out, w, h, 1))
		return -1;
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double s = 0;
			int c = 0;

			for (int yy = y * d; yy < (y + 1) * d && yy < full->h; yy++)
				for (int xx = x * d; xx < (x + 1) * d && xx < full->w; xx++, c++)
					s += full->pix[(size_t)yy * full->w + xx];
			out->pix[(size_t)y * w + x] = (uint8_t)lrint(s / c);
		}
	out->ax = (struct dp_pdq_axis){ full->w, d, 0.0 };
	out->ay = (struct dp_pdq_axis){ full->h, d, 0.0 };
	return 0;
}

static float *to_float(const struct dp_image *im)
{
	size_t n = (size_t)im->w * (size_t)im->h;
	float *f = xmalloc(n * sizeof(float));

	dp_luma_grey8_scalar(im->pix, n, f);
	return f;
}

static void pdq_of(const struct dp_image *im, int use_axes, uint8_t hash[DP_PDQ_BYTES])
{
	static struct dp_hash_work work;
	size_t n = (size_t)im->w * (size_t)im->h;
	float *luma = to_float(im), *tmp = xmalloc(n * sizeof(float));
	int q;

	dp_hash_work_init(&work);
	if (use_axes)
		dp_pdq_from_shrunk(dp_kernels_scalar(), luma, im->w, im->h, &im->ax, &im->ay,
				   tmp, &work, hash, &q);
	else
		dp_pdq_from_luma(dp_kernels_scalar(), luma, im->w, im->h, tmp, &work, hash, &q);
	free(luma);
	free(tmp);
}

static void test_block_shrink_orientations(void)
{
	struct dp_image full = { 0 }, fo = { 0 }, small = { 0 }, tmp = { 0 };
	static const int blocks[] = { 2, 4, 8 };
	int W = 1003, H = 757;

	if (!tap_ok(dp_image_reserve(&full, W, H, 1) == 0, "reserve %dx%d", W, H))
		return;
	make_scene(full.pix, W, H);
	for (size_t b = 0; b < sizeof(blocks) / sizeof(blocks[0]); b++) {
		int d = blocks[b];

		for (int o = 1; o <= 8; o++) {
			uint8_t want[DP_PDQ_BYTES], got[DP_PDQ_BYTES], plain[DP_PDQ_BYTES];
			float ref64[G * G], emu64[G * G], naive64[G * G];
			struct dp_pdq_axis nx, ny;
			float *ff, *fs;
			double e, en;

			if (dp_image_reserve(&fo, W, H, 1) || shrink_blocks(&full, d, &small) ||
			    dp_image_orient(&small, o, &tmp)) {
				tap_ok(0, "d=%d o=%d: buffers", d, o);
				continue;
			}
			memcpy(fo.pix, full.pix, (size_t)W * H);
			if (dp_image_orient(&fo, o, &tmp)) {
				tap_ok(0, "d=%d o=%d: orient", d, o);
				continue;
			}
			tap_ok(small.ax.src == fo.w && small.ay.src == fo.h,
			       "d=%d o=%d: source size follows the orientation (%dx%d)",
			       d, o, small.ax.src, small.ay.src);
			ff = to_float(&fo);
			fs = to_float(&small);
			jarosz64(ff, fo.w, fo.h, ref64);
			nx = small.ax;
			ny = small.ay;
			nx.off = ny.off = 0.0;
			if (shrunk64(fs, small.w, small.h, &small.ax, &small.ay, emu64) ||
			    shrunk64(fs, small.w, small.h, &nx, &ny, naive64)) {
				tap_ok(0, "d=%d o=%d: taps", d, o);
				free(ff);
				free(fs);
				continue;
			}
			e = mean_abs_diff(ref64, emu64);
			en = mean_abs_diff(ref64, naive64);
			/* Measured 0.11, 0.27, 0.69 for d = 2, 4, 8 (hard edges at block scale). */
			tap_ok(e < 0.15 * d, "d=%d o=%d: 64x64 image %.3f grey levels from full size",
			       d, o, e);
			if (small.ax.off != 0.0 || small.ay.off != 0.0)
				tap_ok(e < en, "d=%d o=%d: the flip offsets (%g, %g) matter: %.3f < %.3f",
				       d, o, small.ax.off, small.ay.off, e, en);
			pdq_of(&fo, 0, want);
			pdq_of(&small, 1, got);
			pdq_of(&small, 0, plain);
			tap_ok(dp_hamming256(got, want) <= 8,
			       "d=%d o=%d: PDQ %u bits from full size (Jarosz on the small image: %u)",
			       d, o, dp_hamming256(got, want), dp_hamming256(plain, want));
			free(ff);
			free(fs);
		}
	}
	dp_image_release(&full);
	dp_image_release(&fo);
	dp_image_release(&small);
	dp_image_release(&tmp);
}

int main(int argc, char **argv)
{
	unsigned long long seed;

	if (tap_seed(argc, argv, 20261202, &seed))
		return 2;
	rng_state = seed ? seed : 1;
	test_scale1_is_jarosz();
	test_weights_sum_to_one();
	test_refused();
	test_block_shrink_orientations();
	return tap_done();
}
