/* kernels/pdq_shrunk.c - PDQ's filter + decimation evaluated on a block-averaged (shrunk) image.
 *
 * Fast mode decodes JPEGs with DCT scaling (1/2, 1/4, 1/8) and other
 * formats with an integer box shrink, so each decoded pixel is (close to)
 * the mean of a d x d block of the full-resolution image. Running PDQ's
 * Jarosz filter on that small image with windows recomputed for its size
 * changes the filter (an extra d-box, windows rounded to whole small
 * pixels) and the sample positions (whole small pixels), which moves a
 * few percent of the hash bits.
 *
 * Instead, the filter PDQ would apply at full resolution is carried over
 * exactly. Along one axis of source length L, PDQ applies the box filter B
 * (window dp_jarosz_window(L, 64), the reference's asymmetric clipped
 * window, see box_shape.h) twice and samples position p_j =
 * floor((2j + 1) L / 128). Output j is therefore the linear form
 *   sum_x (B B)[p_j][x] * f(x),
 *   (B B)[p][x] = sum_{i in win(p)} 1/|win(p)| * 1/|win(i)| * [x in win(i)].
 * If the shrunk pixel k holds the mean of source block k, replacing f by
 * its block means turns this into sum_k v_j(k) * S[k], where v_j(k) sums
 * (B B)[p_j][x] over the block. The weights v_j ("taps") are computed once
 * per axis; the 64x64 image is then two small separable products. The
 * error left is only the within-block detail that the wide tent filter
 * does not flatten, which is what keeps fast-mode PDQ within a few bits of
 * full-resolution PDQ (bench/fast_vs_exact.py measures it).
 *
 * Weights are summed in double and stored as float; the order of every
 * sum is fixed, so results are deterministic. Not bit-exact with the
 * reference by construction (the reference never sees the shrunk image).
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <math.h>
#include <string.h>

/* The last point of pixel x is x + DP_LAST_POINT (pixels are [x, x + 1)). */
#define DP_LAST_POINT (1.0 - 1.0 / 4096)

/* Box window of output i clipped to [0, len): [*lo, *hi], inclusive. */
static void box_window(int i, int len, int window, int *lo, int *hi)
{
	int half = (window + 2) / 2;

	*lo = i - (window - half);
	*hi = i + half - 1;
	if (*lo < 0)
		*lo = 0;
	if (*hi > len - 1)
		*hi = len - 1;
}

/* Shrunk pixel whose block holds source coordinate x, clamped to [0, n). */
static int block_of(const struct dp_pdq_axis *a, int n, double x)
{
	double k = floor((x - a->off) / a->scale);

	return k < 0 ? 0 : k >= n ? n - 1 : (int)k;
}

/*
 * Length of source span [lo, hi + 1) that falls in block k. The first and
 * last blocks also take whatever lies beyond them (a shrink that rounded
 * its size down leaves a few source pixels past the last block).
 */
static double overlap(const struct dp_pdq_axis *a, int n, int k, int lo, int hi)
{
	double b0 = k == 0 ? -INFINITY : a->off + a->scale * k;
	double b1 = k == n - 1 ? INFINITY : a->off + a->scale * (k + 1);
	double s0 = b0 > lo ? b0 : lo, s1 = b1 < hi + 1 ? b1 : hi + 1;

	return s1 > s0 ? s1 - s0 : 0.0;
}

int dp_pdq_shrunk_taps(const struct dp_pdq_axis *a, int n, struct dp_pdq_taps *t)
{
	int window;

	if (n < 1 || !(a->scale >= 1.0) || a->src < DP_PDQ_MIN_DIM || a->off > 0 ||
	    a->off <= -a->scale || a->off + a->scale * (n + 1) < a->src)
		return -1;
	window = dp_jarosz_window(a->src, DP_PDQ_GRID);
	for (int j = 0; j < DP_PDQ_GRID; j++) {
		double acc[DP_PDQ_TAPS_MAX];
		long long p = ((2LL * j + 1) * a->src) / (2LL * DP_PDQ_GRID);
		int plo, phi, xlo, xhi, k0, k1;

		box_window((int)p, a->src, window, &plo, &phi);
		box_window(plo, a->src, window, &xlo, &xhi);
		k0 = block_of(a, n, xlo);
		box_window(phi, a->src, window, &xlo, &xhi);
		k1 = block_of(a, n, xhi + DP_LAST_POINT);
		if (k1 - k0 + 1 > DP_PDQ_TAPS_MAX)
			return -1;
		memset(acc, 0, sizeof(acc));
		for (int i = plo; i <= phi; i++) {
			int lo, hi;
			double wi;

			box_window(i, a->src, window, &lo, &hi);
			wi = 1.0 / ((double)(phi - plo + 1) * (double)(hi - lo + 1));
			/* Spread wi over the blocks that [lo, hi] overlaps. */
			for (int k = block_of(a, n, lo); k <= block_of(a, n, hi + DP_LAST_POINT); k++)
				acc[k - k0] += wi * overlap(a, n, k, lo, hi);
		}
		t->first[j] = k0;
		t->count[j] = k1 - k0 + 1;
		for (int q = 0; q < t->count[j]; q++)
			t->w[j][q] = (float)acc[q];
	}
	return 0;
}

void dp_pdq_shrunk_decimate(const float *in, int w, int h, const struct dp_pdq_taps *tx,
			    const struct dp_pdq_taps *ty, float *tmp,
			    float out[DP_PDQ_GRID * DP_PDQ_GRID])
{
	/* Rows first: tmp[y][j] = sum_q tx.w[j][q] * in[y][tx.first[j] + q]. */
	for (int y = 0; y < h; y++) {
		const float *row = in + (size_t)y * (size_t)w;
		float *o = tmp + (size_t)y * DP_PDQ_GRID;

		for (int j = 0; j < DP_PDQ_GRID; j++) {
			const float *src = row + tx->first[j];
			float s = 0.0f;

			for (int q = 0; q < tx->count[j]; q++)
				s += tx->w[j][q] * src[q];
			o[j] = s;
		}
	}
	/* Then columns: out[i][j] = sum_q ty.w[i][q] * tmp[ty.first[i] + q][j]. */
	for (int i = 0; i < DP_PDQ_GRID; i++) {
		float *o = out + (size_t)i * DP_PDQ_GRID;

		for (int j = 0; j < DP_PDQ_GRID; j++)
			o[j] = 0.0f;
		for (int q = 0; q < ty->count[i]; q++) {
			const float *src = tmp + (size_t)(ty->first[i] + q) * DP_PDQ_GRID;
			float wq = ty->w[i][q];

			for (int j = 0; j < DP_PDQ_GRID; j++)
				o[j] += wq * src[j];
		}
	}
}
