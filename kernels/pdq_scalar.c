/* kernels/pdq_scalar.c - PDQ's small fixed-size steps: decimation, quality, median threshold, bit packing.
 *
 * These follow Meta's reference (facebook/ThreatExchange pdq/cpp,
 * hashing/pdqhashing.cpp and downscaling/downscaling.cpp) operation for
 * operation; docs/HASHES.md states each rule. They run on 64x64 or 16x16
 * buffers, so they have no SIMD variants and are called directly.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <string.h>

void dp_decimate(const float *in, int in_w, int in_h, float *out, int out_w, int out_h)
{
	/*
	 * The reference computes (int)(((o + 0.5) * n_in) / n_out) in double.
	 * (2o + 1) * n_in / (2 n_out) is a fraction with denominator 2 n_out,
	 * so it is never within double rounding of the next integer: the
	 * integer floor below is the same index.
	 */
	for (int oy = 0; oy < out_h; oy++) {
		long long iy = ((2LL * oy + 1) * in_h) / (2LL * out_h);
		const float *row = in + (size_t)iy * (size_t)in_w;

		for (int ox = 0; ox < out_w; ox++) {
			long long ix = ((2LL * ox + 1) * in_w) / (2LL * out_w);

			out[(size_t)oy * (size_t)out_w + (size_t)ox] = row[ix];
		}
	}
}

/* One neighbour difference, quantised as the reference does (truncation toward 0). */
static int grad_step(float u, float v)
{
	int d = (int)(((u - v) * 100.0f) / 255.0f);

	return d < 0 ? -d : d;
}

int dp_pdq_quality(const float img[DP_PDQ_GRID * DP_PDQ_GRID])
{
	const int n = DP_PDQ_GRID;
	int sum = 0;   /* at most 2*63*64*100 = 806400: no overflow */
	int quality;

	for (int i = 0; i < n - 1; i++)
		for (int j = 0; j < n; j++)
			sum += grad_step(img[i * n + j], img[(i + 1) * n + j]);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n - 1; j++)
			sum += grad_step(img[i * n + j], img[i * n + j + 1]);
	quality = sum / 90;
	return quality > 100 ? 100 : quality;
}

void dp_pdq_bits(const float coef[DP_PDQ_COEFS * DP_PDQ_COEFS], uint8_t out[DP_PDQ_BYTES])
{
	const int n = DP_PDQ_COEFS;
	float scratch[DP_PDQ_COEFS * DP_PDQ_COEFS];
	float median = dp_lower_median(coef, n * n, scratch);

	/*
	 * The reference keeps bit i*16+j in 16-bit word i (bit j) and prints
	 * the words from 15 down to 0, four hex digits each: word i becomes
	 * bytes 2*(15-i) (columns 15..8) and 2*(15-i)+1 (columns 7..0).
	 */
	memset(out, 0, DP_PDQ_BYTES);
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n; j++) {
			if (coef[i * n + j] > median)
				out[2 * (n - 1 - i) + (j < 8)] |= (uint8_t)(1u << (j & 7));
		}
	}
}
