/* kernels/jarosz_avx512.c - the box filter passes of PDQ's Jarosz filter with AVX-512.
 *
 * The AVX2 version (jarosz_avx2.c) with sixteen lanes: same per-line
 * operations in the same order (add, then subtract, then an IEEE division
 * by the window population), so bit-identical to the scalar reference. The
 * filter is bound by division throughput, and on CPUs with full-width
 * AVX-512 units a 16-lane VDIVPS costs about what an 8-lane one does.
 *
 * Columns: sixteen neighbouring columns per register, up to four registers
 * of sums per walk down the image; the last partial group is recomputed as
 * the final sixteen columns; images narrower than 16 go to the AVX2 code.
 *
 * Rows: bands of sixteen rows. Blocks of 8 columns x 16 rows are
 * transposed as two 8x8 halves in YMM registers and joined into ZMM
 * registers (one column of the band each); results go back the same way.
 * Rows below the last full band (h % 16) go to the AVX2 code.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#if DP_KERNELS_X86

#include <assert.h>
#include <immintrin.h>

#define DP_AVX512 __attribute__((target("avx2,avx512f,avx512bw,avx512vl")))
#define DP_AVX512_INLINE __attribute__((target("avx2,avx512f,avx512bw,avx512vl"), always_inline)) inline

#define DP_COL_VECS 4   /* registers of column sums per walk down the image */

/* The shape of one line, as in jarosz_scalar.c (grow + full + shrink = len). */
struct box_shape {
	int lead, grow, full, shrink;
};

static struct box_shape box_shape(int len, int window)
{
	int half = (window + 2) / 2;
	struct box_shape s = { half - 1, window - half + 1, len - window, half - 1 };

	return s;
}

/* Columns [x0, x0 + 16 * nv) of the column pass; inlined with a constant nv. */
static DP_AVX512_INLINE void cols_group(const float *in, float *out, int w, int h, int window,
					int x0, int nv)
{
	__m512 sum[DP_COL_VECS];
	struct box_shape s = box_shape(h, window);
	size_t stride = (size_t)w;
	const float *add = in + x0, *sub = in + x0;
	float *o = out + x0;
	int count = 0;

	for (int v = 0; v < nv; v++)
		sum[v] = _mm512_setzero_ps();
	for (int i = 0; i < s.lead; i++, add += stride) {
		for (int v = 0; v < nv; v++)
			sum[v] = _mm512_add_ps(sum[v], _mm512_loadu_ps(add + 16 * v));
		count++;
	}
	for (int i = 0; i < s.grow; i++, add += stride, o += stride) {
		__m512 c = _mm512_set1_ps((float)++count);

		for (int v = 0; v < nv; v++) {
			sum[v] = _mm512_add_ps(sum[v], _mm512_loadu_ps(add + 16 * v));
			_mm512_storeu_ps(o + 16 * v, _mm512_div_ps(sum[v], c));
		}
	}
	for (int i = 0; i < s.full; i++, add += stride, sub += stride, o += stride) {
		__m512 c = _mm512_set1_ps((float)count);

		for (int v = 0; v < nv; v++) {
			sum[v] = _mm512_add_ps(sum[v], _mm512_loadu_ps(add + 16 * v));
			sum[v] = _mm512_sub_ps(sum[v], _mm512_loadu_ps(sub + 16 * v));
			_mm512_storeu_ps(o + 16 * v, _mm512_div_ps(sum[v], c));
		}
	}
	for (int i = 0; i < s.shrink; i++, sub += stride, o += stride) {
		__m512 c = _mm512_set1_ps((float)--count);

		for (int v = 0; v < nv; v++) {
			sum[v] = _mm512_sub_ps(sum[v], _mm512_loadu_ps(sub + 16 * v));
			_mm512_storeu_ps(o + 16 * v, _mm512_div_ps(sum[v], c));
		}
	}
}

DP_AVX512 void dp_box_cols_avx512(const float *in, float *out, int w, int h, int window)
{
	int x = 0;

	assert(window >= 1 && window <= h);
	if (w < 16) {
		dp_box_cols_avx2(in, out, w, h, window);
		return;
	}
	for (; x + 16 * DP_COL_VECS <= w; x += 16 * DP_COL_VECS)
		cols_group(in, out, w, h, window, x, DP_COL_VECS);
	for (; x + 16 <= w; x += 16)
		cols_group(in, out, w, h, window, x, 1);
	if (x < w)
		cols_group(in, out, w, h, window, w - 16, 1);
}

/* In-register transpose: r[i] = row i of an 8x8 block becomes column i. */
static DP_AVX512_INLINE void transpose8(__m256 r[8])
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

static DP_AVX512_INLINE __m512 join(__m256 lo, __m256 hi)
{
	return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)),
						   _mm256_castps_pd(hi), 1));
}

/* Columns x..x+7 of the 16 rows at in (stride w), one column per register. */
static DP_AVX512_INLINE void load_block(const float *in, size_t w, int x, __m512 r[8])
{
	__m256 lo[8], hi[8];

	for (int i = 0; i < 8; i++) {
		lo[i] = _mm256_loadu_ps(in + (size_t)i * w + (size_t)x);
		hi[i] = _mm256_loadu_ps(in + (size_t)(i + 8) * w + (size_t)x);
	}
	transpose8(lo);
	transpose8(hi);
	for (int i = 0; i < 8; i++)
		r[i] = join(lo[i], hi[i]);
}

/* The inverse of load_block: column registers r[0..7] to columns x..x+7 of 16 rows. */
static DP_AVX512_INLINE void store_block(float *out, size_t w, int x, const __m512 r[8])
{
	__m256 lo[8], hi[8];

	for (int i = 0; i < 8; i++) {
		lo[i] = _mm512_castps512_ps256(r[i]);
		hi[i] = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(r[i]), 1));
	}
	transpose8(lo);
	transpose8(hi);
	for (int i = 0; i < 8; i++) {
		_mm256_storeu_ps(out + (size_t)i * w + (size_t)x, lo[i]);
		_mm256_storeu_ps(out + (size_t)(i + 8) * w + (size_t)x, hi[i]);
	}
}

/* Column x of the 16 rows at in (stride w). */
static DP_AVX512_INLINE __m512 load_column(const float *in, size_t w, int x)
{
	float lane[16];

	for (int i = 0; i < 16; i++)
		lane[i] = in[(size_t)i * w + (size_t)x];
	return _mm512_loadu_ps(lane);
}

static DP_AVX512_INLINE void store_column(float *out, size_t w, int x, __m512 v)
{
	float lane[16];

	_mm512_storeu_ps(lane, v);
	for (int i = 0; i < 16; i++)
		out[(size_t)i * w + (size_t)x] = lane[i];
}

/* The row pass on 16 rows at in/out (stride w). */
static DP_AVX512 void rows_band(const float *in, float *out, int w, int window)
{
	struct box_shape s = box_shape(w, window);
	size_t stride = (size_t)w;
	__m512 sum = _mm512_setzero_ps(), c;
	int add = 0, sub = 0, o = 0, count = 0, i;

	for (i = 0; i < s.lead; i++, count++)
		sum = _mm512_add_ps(sum, load_column(in, stride, add++));
	for (i = 0; i < s.grow; i++) {
		sum = _mm512_add_ps(sum, load_column(in, stride, add++));
		store_column(out, stride, o++, _mm512_div_ps(sum, _mm512_set1_ps((float)++count)));
	}
	c = _mm512_set1_ps((float)count);
	for (i = 0; i + 8 <= s.full; i += 8, add += 8, sub += 8, o += 8) {
		__m512 a[8], b[8];

		load_block(in, stride, add, a);
		load_block(in, stride, sub, b);
		for (int k = 0; k < 8; k++) {
			sum = _mm512_add_ps(sum, a[k]);
			sum = _mm512_sub_ps(sum, b[k]);
			a[k] = _mm512_div_ps(sum, c);
		}
		store_block(out, stride, o, a);
	}
	for (; i < s.full; i++) {
		sum = _mm512_add_ps(sum, load_column(in, stride, add++));
		sum = _mm512_sub_ps(sum, load_column(in, stride, sub++));
		store_column(out, stride, o++, _mm512_div_ps(sum, c));
	}
	for (i = 0; i < s.shrink; i++) {
		sum = _mm512_sub_ps(sum, load_column(in, stride, sub++));
		store_column(out, stride, o++, _mm512_div_ps(sum, _mm512_set1_ps((float)--count)));
	}
}

DP_AVX512 void dp_box_rows_avx512(const float *in, float *out, int w, int h, int window)
{
	int y = 0;

	assert(window >= 1 && window <= w);
	for (; y + 16 <= h; y += 16) {
		size_t off = (size_t)y * (size_t)w;

		rows_band(in + off, out + off, w, window);
	}
	if (y < h) {
		size_t off = (size_t)y * (size_t)w;

		dp_box_rows_avx2(in + off, out + off, w, h - y, window);
	}
}

#endif
