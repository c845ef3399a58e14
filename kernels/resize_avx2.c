/* kernels/resize_avx2.c - area-average (box) resize of a float image with AVX2.
 *
 * The same two passes and the same float operations as resize_scalar.c, so
 * the results are bit-identical:
 *   tmp[oy][x]  = (0 + wy(oy,y0)*in[y0][x] + ... + wy(oy,y1)*in[y1][x]) / in_h
 *   out[oy][ox] = (0 + wx(ox,x0)*tmp[oy][x0] + ... + wx(ox,x1)*tmp[oy][x1]) / in_w
 * each product and sum rounded on its own (no FMA), terms in ascending
 * order. The integer overlap geometry (cell_span, cell_weight) is a copy
 * of resize_scalar.c's; tests/unit/test_simd.c checks equality.
 *
 * Vertical pass: lanes are neighbouring columns x; each output row keeps
 * up to 64 accumulators in registers while it walks its input rows, so
 * the intermediate row is written once. Columns past the last multiple of
 * 8 are done one by one with the same operations.
 *
 * Horizontal pass: a row of the intermediate has only out_w outputs, each
 * a short serial sum, so the lanes are instead eight output ROWS (oy) of
 * the same output column ox: the eight sums run side by side, every weight
 * is computed once for eight rows, and each term's eight intermediate
 * values (one column of eight rows) come from one gather. Rows past the
 * last multiple of 8 are summed one by one.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#if DP_KERNELS_X86

#include <immintrin.h>
#include <limits.h>

#define DP_AVX2 __attribute__((target("avx2")))

#define DP_VERT_VECS 8   /* registers of column accumulators in the vertical pass */

/* Input samples first..last touched by output cell o (as resize_scalar.c). */
static void cell_span(int o, int n_in, int n_out, int *first, int *last)
{
	long long a = (long long)o * n_in, b = a + n_in;

	*first = (int)(a / n_out);
	*last = (int)((b - 1) / n_out);
}

/* Overlap of output cell o with input sample i, in units of 1/n_out sample (as resize_scalar.c). */
static float cell_weight(int o, int i, int n_in, int n_out)
{
	long long a = (long long)o * n_in, b = a + n_in;
	long long s = (long long)i * n_out, e = s + n_out;
	long long lo = a > s ? a : s, hi = b < e ? b : e;

	return (float)(hi - lo);
}

/* One intermediate row: acc[x] for x < iw from input rows y0..y1 of output row oy. */
static DP_AVX2 void vertical_row(const float *in, size_t iw, int in_h, int out_h, int oy,
				 float *acc)
{
	const __m256 d = _mm256_set1_ps((float)in_h);
	size_t x = 0;
	int y0, y1;

	cell_span(oy, in_h, out_h, &y0, &y1);
	for (; x + 8 * DP_VERT_VECS <= iw; x += 8 * DP_VERT_VECS) {
		__m256 s[DP_VERT_VECS];

		for (int v = 0; v < DP_VERT_VECS; v++)
			s[v] = _mm256_setzero_ps();
		for (int y = y0; y <= y1; y++) {
			const float *row = in + (size_t)y * iw + x;
			__m256 wgt = _mm256_set1_ps(cell_weight(oy, y, in_h, out_h));

			for (int v = 0; v < DP_VERT_VECS; v++)
				s[v] = _mm256_add_ps(s[v], _mm256_mul_ps(wgt, _mm256_loadu_ps(row + 8 * v)));
		}
		for (int v = 0; v < DP_VERT_VECS; v++)
			_mm256_storeu_ps(acc + x + 8 * v, _mm256_div_ps(s[v], d));
	}
	for (; x + 8 <= iw; x += 8) {
		__m256 s = _mm256_setzero_ps();

		for (int y = y0; y <= y1; y++) {
			__m256 wgt = _mm256_set1_ps(cell_weight(oy, y, in_h, out_h));

			s = _mm256_add_ps(s, _mm256_mul_ps(wgt, _mm256_loadu_ps(in + (size_t)y * iw + x)));
		}
		_mm256_storeu_ps(acc + x, _mm256_div_ps(s, d));
	}
	for (; x < iw; x++) {
		float s = 0.0f;

		for (int y = y0; y <= y1; y++)
			s += cell_weight(oy, y, in_h, out_h) * in[(size_t)y * iw + x];
		acc[x] = s / (float)in_h;
	}
}

/* Output rows oy0..oy0+7 of output column ox from the intermediate rows at tmp. */
static DP_AVX2 void horizontal_8rows(const float *tmp, int in_w, int oy0, int ox,
				     float *out, int out_w)
{
	const __m256i rows = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
						_mm256_set1_epi32(in_w));
	const float *base = tmp + (size_t)oy0 * (size_t)in_w;
	__m256 s = _mm256_setzero_ps();
	float lane[8];
	int x0, x1;

	cell_span(ox, in_w, out_w, &x0, &x1);
	for (int x = x0; x <= x1; x++) {
		__m256 wgt = _mm256_set1_ps(cell_weight(ox, x, in_w, out_w));

		s = _mm256_add_ps(s, _mm256_mul_ps(wgt, _mm256_i32gather_ps(base + x, rows, 4)));
	}
	_mm256_storeu_ps(lane, _mm256_div_ps(s, _mm256_set1_ps((float)in_w)));
	for (int k = 0; k < 8; k++)
		out[(size_t)(oy0 + k) * (size_t)out_w + (size_t)ox] = lane[k];
}

DP_AVX2 void dp_resize_area_avx2(const float *in, int in_w, int in_h,
				 float *out, int out_w, int out_h, float *scratch)
{
	size_t iw = (size_t)in_w;
	int oy = 0;

	if (in_w > INT_MAX / 8) {   /* gather offsets are 32-bit: 7 rows of in_w */
		dp_resize_area_scalar(in, in_w, in_h, out, out_w, out_h, scratch);
		return;
	}
	for (int r = 0; r < out_h; r++)
		vertical_row(in, iw, in_h, out_h, r, scratch + (size_t)r * iw);

	for (; oy + 8 <= out_h; oy += 8)
		for (int ox = 0; ox < out_w; ox++)
			horizontal_8rows(scratch, in_w, oy, ox, out, out_w);
	for (; oy < out_h; oy++) {
		const float *acc = scratch + (size_t)oy * iw;

		for (int ox = 0; ox < out_w; ox++) {
			float sum = 0.0f;
			int x0, x1;

			cell_span(ox, in_w, out_w, &x0, &x1);
			for (int x = x0; x <= x1; x++)
				sum += cell_weight(ox, x, in_w, out_w) * acc[x];
			out[(size_t)oy * (size_t)out_w + (size_t)ox] = sum / (float)in_w;
		}
	}
}

#endif
