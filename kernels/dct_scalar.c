/* kernels/dct_scalar.c - low-frequency block of a 2-D DCT-II as two matrix products (scalar reference).
 *
 * PDQ needs coefficients 1..16 x 1..16 of the 64x64 DCT of its decimated
 * image, pHash coefficients 0..7 x 0..7 of the 32x32 DCT: both are
 * out = M * in * M^T with a k x n matrix M holding only the wanted rows.
 * Computing just those rows is cheaper than a fast full transform at these
 * sizes (the PDQ reference reached the same conclusion).
 *
 * The PDQ matrix and the summation order follow Meta's reference exactly
 * (single precision, ascending k, sum starting at 0), so the coefficients
 * are bit-identical; a vectorised variant may split the work across output
 * columns (each sum keeps its order) but must not reassociate a sum or use
 * FMA. PDQ's matrix has the orthonormal DCT-II scale sqrt(2/64) on every
 * row; the pHash matrix is left unscaled (see kernels.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <math.h>

/*
 * Exactness needs each multiply and add rounded separately. GCC does not
 * fuse them under -std=c11 (-ffp-contract=off is its ISO default); clang
 * fuses within an expression on FMA targets unless told not to.
 */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* M_PI is not part of ISO C; this is the same double value. */
#define DP_PI 3.14159265358979323846

void dp_dct_pdq_matrix(float m[DP_PDQ_COEFS * DP_PDQ_GRID])
{
	/* The reference stores the scale as float, multiplies in double, stores float. */
	const float scale = (float)sqrt(2.0 / DP_PDQ_GRID);
	const double step = DP_PI / 2.0 / DP_PDQ_GRID;

	for (int i = 0; i < DP_PDQ_COEFS; i++) {
		for (int j = 0; j < DP_PDQ_GRID; j++) {
			double arg = step * (double)(i + 1) * (double)(2 * j + 1);

			m[i * DP_PDQ_GRID + j] = (float)((double)scale * cos(arg));
		}
	}
}

void dp_dct_phash_matrix(float m[DP_PHASH_COEFS * DP_PHASH_GRID])
{
	for (int u = 0; u < DP_PHASH_COEFS; u++) {
		for (int x = 0; x < DP_PHASH_GRID; x++) {
			double arg = DP_PI * (double)(u * (2 * x + 1)) / (2.0 * DP_PHASH_GRID);

			m[u * DP_PHASH_GRID + x] = (float)cos(arg);
		}
	}
}

void dp_dct_lowfreq_scalar(const float *in, int n, const float *m, int k,
			   float *tmp, float *out)
{
	/* tmp = M * in: row i of M against column x of in. */
	for (int i = 0; i < k; i++) {
		const float *mi = m + (size_t)i * (size_t)n;

		for (int x = 0; x < n; x++) {
			float sum = 0.0f;

			for (int y = 0; y < n; y++)
				sum += mi[y] * in[(size_t)y * (size_t)n + (size_t)x];
			tmp[(size_t)i * (size_t)n + (size_t)x] = sum;
		}
	}
	/* out = tmp * M^T: row i of tmp against row j of M. */
	for (int i = 0; i < k; i++) {
		const float *ti = tmp + (size_t)i * (size_t)n;

		for (int j = 0; j < k; j++) {
			const float *mj = m + (size_t)j * (size_t)n;
			float sum = 0.0f;

			for (int x = 0; x < n; x++)
				sum += ti[x] * mj[x];
			out[i * k + j] = sum;
		}
	}
}

void dp_dct64to16_scalar(const float *in, const float *m, float *tmp, float *out)
{
	dp_dct_lowfreq_scalar(in, DP_PDQ_GRID, m, DP_PDQ_COEFS, tmp, out);
}

void dp_dct32to8_scalar(const float *in, const float *m, float *tmp, float *out)
{
	dp_dct_lowfreq_scalar(in, DP_PHASH_GRID, m, DP_PHASH_COEFS, tmp, out);
}
