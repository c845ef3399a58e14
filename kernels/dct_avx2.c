/* kernels/dct_avx2.c - low-frequency 2-D DCT blocks (PDQ 64->16, pHash 32->8) with AVX2.
 *
 * Same two products as dct_scalar.c, out = M * in * M^T with M k x n:
 *   tmp[i][x] = sum_y M[i][y] * in[y][x]
 *   out[i][j] = sum_x tmp[i][x] * M[j][x]
 * every sum in ascending index order starting from 0.0f, each product and
 * sum rounded separately (multiply, then add; no FMA). Vector lanes hold
 * independent outputs, so the results are bit-identical to the scalar
 * reference (PDQ is bit-exact with Meta's reference through this).
 *
 * Layout: both products want M by columns, so M is first transposed into
 * Mt (n x k, on the stack). The first product then runs with lanes = i
 * (a row of Mt times a broadcast input sample) and leaves tmp transposed,
 * tmpT[x][i]; the second with lanes = j (a row of Mt times a broadcast
 * tmpT[x][i]) writes out row by row. tmp therefore holds tmpT, not the
 * scalar layout: it is scratch.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#if DP_KERNELS_X86

#include <immintrin.h>

#define DP_AVX2 __attribute__((target("avx2")))
#define DP_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline

#define DP_DCT_XS 4   /* input columns per pass of the first product */
#define DP_DCT_IS 2   /* output rows per pass of the second product */

/*
 * The block for n x n input and k x n matrix, k a multiple of 8 (at most
 * 16), n a multiple of DP_DCT_XS. Inlined with constant n and k.
 */
static DP_AVX2_INLINE void lowfreq(const float *in, int n, const float *m, int k,
				   float *tmpt, float *out)
{
	float mt[DP_PDQ_GRID * DP_PDQ_COEFS] __attribute__((aligned(32)));
	const int kv = k / 8;   /* registers per row of Mt */

	for (int i = 0; i < k; i++)
		for (int y = 0; y < n; y++)
			mt[y * k + i] = m[i * n + y];

	/* tmpT[x][i] = sum_y Mt[y][i] * in[y][x]: DP_DCT_XS columns x at a time. */
	for (int x = 0; x < n; x += DP_DCT_XS) {
		__m256 acc[DP_DCT_XS][2];

		for (int c = 0; c < DP_DCT_XS; c++)
			for (int v = 0; v < kv; v++)
				acc[c][v] = _mm256_setzero_ps();
		for (int y = 0; y < n; y++) {
			for (int c = 0; c < DP_DCT_XS; c++) {
				__m256 s = _mm256_broadcast_ss(in + y * n + x + c);

				for (int v = 0; v < kv; v++)
					acc[c][v] = _mm256_add_ps(acc[c][v],
								  _mm256_mul_ps(_mm256_load_ps(mt + y * k + 8 * v), s));
			}
		}
		for (int c = 0; c < DP_DCT_XS; c++)
			for (int v = 0; v < kv; v++)
				_mm256_storeu_ps(tmpt + (x + c) * k + 8 * v, acc[c][v]);
	}

	/* out[i][j] = sum_x tmpT[x][i] * Mt[x][j]: DP_DCT_IS rows i at a time. */
	for (int i = 0; i < k; i += DP_DCT_IS) {
		__m256 acc[DP_DCT_IS][2];

		for (int r = 0; r < DP_DCT_IS; r++)
			for (int v = 0; v < kv; v++)
				acc[r][v] = _mm256_setzero_ps();
		for (int x = 0; x < n; x++) {
			for (int r = 0; r < DP_DCT_IS; r++) {
				__m256 s = _mm256_broadcast_ss(tmpt + x * k + i + r);

				for (int v = 0; v < kv; v++)
					acc[r][v] = _mm256_add_ps(acc[r][v],
								  _mm256_mul_ps(s, _mm256_load_ps(mt + x * k + 8 * v)));
			}
		}
		for (int r = 0; r < DP_DCT_IS; r++)
			for (int v = 0; v < kv; v++)
				_mm256_storeu_ps(out + (i + r) * k + 8 * v, acc[r][v]);
	}
}

DP_AVX2 void dp_dct64to16_avx2(const float *in, const float *m, float *tmp, float *out)
{
	lowfreq(in, DP_PDQ_GRID, m, DP_PDQ_COEFS, tmp, out);
}

DP_AVX2 void dp_dct32to8_avx2(const float *in, const float *m, float *tmp, float *out)
{
	lowfreq(in, DP_PHASH_GRID, m, DP_PHASH_COEFS, tmp, out);
}

#endif
