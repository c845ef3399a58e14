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
 * the same output column ox: the eight sums run side by side and every
 * weight is computed once for eight rows. The eight rows' values of a
 * column come from 8x8 transposes of the intermediate (a gather per column
 * was twice as slow). Rows past the last multiple of 8 (none for the
 * 32x32, 9x8 and 8x8 hash inputs) are summed one by one.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"
#include "resize_cells.h"

#if DP_KERNELS_X86

#include <immintrin.h>

#define DP_AVX2 __attribute__((target("avx2")))
#define DP_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline

#define DP_VERT_VECS 8   /* registers of column accumulators in the vertical pass */

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

/* In-register transpose: r[i] = row i of an 8x8 block becomes column i. */
static DP_AVX2_INLINE void transpose8(__m256 r[8])
{
	__m256 t[8], u[8];

	for (int i = 0; i < 8; i += 2) {
		t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
		t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
	}
	for (int i = 0; i < 8; i += 4) {
		u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
		u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
		u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
		u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
	}
	for (int i = 0; i < 4; i++) {
		r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
		r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
	}
}

/*
 * Columns of 8 intermediate rows, one register per column (lanes = rows),
 * produced 8 columns at a time by a transpose into a ring of 16. The
 * horizontal pass asks for columns in nondecreasing order (cell ox + 1
 * starts at or after the last column of cell ox: floor((ox+1) in_w /
 * out_w) >= floor(((ox+1) in_w - 1) / out_w)), and the frontier runs at
 * most 8 columns ahead of the latest request, so 16 entries suffice.
 */
struct col_ring {
	const float *rows;    /* first of the 8 rows, stride w */
	size_t w;
	int filled;           /* columns [0, filled) produced */
	__m256 col[16];
};

static DP_AVX2_INLINE __m256 ring_column(struct col_ring *r, int x)
{
	while (r->filled <= x) {
		int f = r->filled;

		if ((size_t)f + 8 <= r->w) {
			__m256 v[8];

			for (int i = 0; i < 8; i++)
				v[i] = _mm256_loadu_ps(r->rows + (size_t)i * r->w + (size_t)f);
			transpose8(v);
			for (int i = 0; i < 8; i++)
				r->col[(f + i) & 15] = v[i];
			r->filled += 8;
		} else {
			const float *p = r->rows + f;
			size_t w = r->w;

			r->col[f & 15] = _mm256_setr_ps(p[0], p[w], p[2 * w], p[3 * w], p[4 * w], p[5 * w],
							p[6 * w], p[7 * w]);
			r->filled++;
		}
	}
	return r->col[x & 15];
}

/* Output rows oy0..oy0+7, all columns, from intermediate rows oy0..oy0+7 at tmp. */
static DP_AVX2 void horizontal_8rows(const float *tmp, int in_w, int oy0, float *out, int out_w)
{
	const __m256 d = _mm256_set1_ps((float)in_w);
	struct col_ring ring;

	ring.rows = tmp + (size_t)oy0 * (size_t)in_w;
	ring.w = (size_t)in_w;
	ring.filled = 0;
	for (int ox = 0; ox < out_w; ox++) {
		__m256 s = _mm256_setzero_ps();
		float lane[8];
		int x0, x1;

		cell_span(ox, in_w, out_w, &x0, &x1);
		for (int x = x0; x <= x1; x++) {
			__m256 wgt = _mm256_set1_ps(cell_weight(ox, x, in_w, out_w));

			s = _mm256_add_ps(s, _mm256_mul_ps(wgt, ring_column(&ring, x)));
		}
		_mm256_storeu_ps(lane, _mm256_div_ps(s, d));
		for (int k = 0; k < 8; k++)
			out[(size_t)(oy0 + k) * (size_t)out_w + (size_t)ox] = lane[k];
	}
}

DP_AVX2 void dp_resize_area_avx2(const float *in, int in_w, int in_h,
				 float *out, int out_w, int out_h, float *scratch)
{
	size_t iw = (size_t)in_w;
	int oy = 0;

	for (int r = 0; r < out_h; r++)
		vertical_row(in, iw, in_h, out_h, r, scratch + (size_t)r * iw);

	for (; oy + 8 <= out_h; oy += 8)
		horizontal_8rows(scratch, in_w, oy, out, out_w);
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
