/* kernels/jarosz_avx2.c - the box filter passes of PDQ's Jarosz filter with AVX2.
 *
 * Bit-exact with jarosz_scalar.c: each output line (row or column) keeps
 * its own running float sum, updated with the reference's operations in
 * the reference's order (grow: add; full: add the entering sample, then
 * subtract the leaving one; shrink: subtract) and divided by the window
 * population with a true IEEE division (never a reciprocal). Only the
 * assignment of lines to vector lanes differs, and lines are independent.
 *
 * Columns: lanes are neighbouring columns. The pass goes row by row over a
 * strip of up to DP_STRIP columns whose running sums stay in L1, so each
 * step streams contiguously through the entering row, the leaving row and
 * the output row (walking down narrow column groups instead was up to
 * 1.4x slower on 512-wide images: strided rows alias in the caches).
 * Columns past the last multiple of 8 get one more register over the
 * strip's last 8 columns with its own sums; overlapping columns are
 * computed twice, identically.
 *
 * Rows: lanes are rows, so the samples must be transposed. A band of 8 or
 * 16 rows (one or two registers per column) is transposed once, 8 columns
 * at a time, into a ring of column registers on the stack, from which the
 * entering sample and, `window` columns later, the leaving one are read;
 * results are transposed back 8 columns at a time. Two registers per
 * column give two independent add/subtract chains, which hides their
 * latency (the whole row is one serial chain per register). Edges (window
 * growing or shrinking, the last < 8 columns) gather or scatter single
 * columns; rows below the last band are redone as the band of the final 8
 * rows (again identical values). Images under 8 rows, and windows too wide
 * for the ring, go to the scalar code: the ring holds the DP_RING columns
 * before the fill frontier, which runs at most 15 columns ahead of the
 * entering sample (a block of 8 started at column add + 7), and the
 * leaving sample is `window` columns behind it, so window <= DP_RING - 15
 * (PDQ images up to 30000 pixels wide).
 *
 * Measured on AMD Zen 5 (bench/bench_kernels.c): an AVX-512 version of
 * both passes was no faster (the column pass is bound by cache bandwidth,
 * the row pass by cross-lane shuffles, which cost more in ZMM registers),
 * so there is none.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"
#include "box_shape.h"

#if DP_KERNELS_X86

#include <assert.h>
#include <immintrin.h>

#define DP_AVX2 __attribute__((target("avx2")))
#define DP_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline

#define DP_STRIP 1024   /* columns per strip of the column pass (4 KiB of sums) */
#define DP_RING 256     /* columns held by the row pass's ring: window <= DP_RING - 15 */
#define DP_RING_MASK ((unsigned)DP_RING - 1)

/*
 * The column pass on columns [x0, x0 + nx) of the image, 8 <= nx <=
 * DP_STRIP, row by row: the running sums of the strip live in sum[] (L1),
 * so every row step streams contiguously through one input row to add,
 * one to subtract and one output row. Columns past the last multiple of 8
 * are covered by one more register whose lanes are the strip's last 8
 * columns, with its own running sums (the same operations on the same
 * samples, so overlapping columns are written twice with equal values).
 */
static DP_AVX2 void cols_strip(const float *in, float *out, int w, int h, int window,
			       int x0, int nx)
{
	float sum[DP_STRIP] __attribute__((aligned(32)));
	struct box_shape s = box_shape(h, window);
	size_t stride = (size_t)w;
	const float *add = in + x0, *sub = in + x0;
	float *o = out + x0;
	int nv = nx & ~7, t = nx - 8, has_tail = nx & 7, count = 0;
	__m256 tail = _mm256_setzero_ps();

	for (int x = 0; x < nv; x += 8)
		_mm256_store_ps(sum + x, _mm256_setzero_ps());
	for (int i = 0; i < s.lead; i++, add += stride, count++) {
		for (int x = 0; x < nv; x += 8)
			_mm256_store_ps(sum + x, _mm256_add_ps(_mm256_load_ps(sum + x), _mm256_loadu_ps(add + x)));
		if (has_tail)
			tail = _mm256_add_ps(tail, _mm256_loadu_ps(add + t));
	}
	for (int i = 0; i < s.grow; i++, add += stride, o += stride) {
		__m256 c = _mm256_set1_ps((float)++count);

		for (int x = 0; x < nv; x += 8) {
			__m256 v = _mm256_add_ps(_mm256_load_ps(sum + x), _mm256_loadu_ps(add + x));

			_mm256_store_ps(sum + x, v);
			_mm256_storeu_ps(o + x, _mm256_div_ps(v, c));
		}
		if (has_tail) {
			tail = _mm256_add_ps(tail, _mm256_loadu_ps(add + t));
			_mm256_storeu_ps(o + t, _mm256_div_ps(tail, c));
		}
	}
	for (int i = 0; i < s.full; i++, add += stride, sub += stride, o += stride) {
		__m256 c = _mm256_set1_ps((float)count);

		for (int x = 0; x < nv; x += 8) {
			__m256 v = _mm256_add_ps(_mm256_load_ps(sum + x), _mm256_loadu_ps(add + x));

			v = _mm256_sub_ps(v, _mm256_loadu_ps(sub + x));
			_mm256_store_ps(sum + x, v);
			_mm256_storeu_ps(o + x, _mm256_div_ps(v, c));
		}
		if (has_tail) {
			tail = _mm256_add_ps(tail, _mm256_loadu_ps(add + t));
			tail = _mm256_sub_ps(tail, _mm256_loadu_ps(sub + t));
			_mm256_storeu_ps(o + t, _mm256_div_ps(tail, c));
		}
	}
	for (int i = 0; i < s.shrink; i++, sub += stride, o += stride) {
		__m256 c = _mm256_set1_ps((float)--count);

		for (int x = 0; x < nv; x += 8) {
			__m256 v = _mm256_sub_ps(_mm256_load_ps(sum + x), _mm256_loadu_ps(sub + x));

			_mm256_store_ps(sum + x, v);
			_mm256_storeu_ps(o + x, _mm256_div_ps(v, c));
		}
		if (has_tail) {
			tail = _mm256_sub_ps(tail, _mm256_loadu_ps(sub + t));
			_mm256_storeu_ps(o + t, _mm256_div_ps(tail, c));
		}
	}
}

DP_AVX2 void dp_box_cols_avx2(const float *in, float *out, int w, int h, int window)
{
	assert(window >= 1 && window <= h);
	if (w < 8) {
		dp_box_cols_scalar(in, out, w, h, window);
		return;
	}
	/* Strips of DP_STRIP columns; a last strip narrower than 8 is merged into the one before. */
	for (int x = 0; x < w;) {
		int nx = w - x <= DP_STRIP ? w - x : w - x < DP_STRIP + 8 ? w - x - 8 : DP_STRIP;

		cols_strip(in, out, w, h, window, x, nx);
		x += nx;
	}
}

/* In-register transpose: r[i] = row i of an 8x8 block becomes column i. */
static DP_AVX2_INLINE void transpose8(__m256 r[8])
{
	__m256 t[8], u[8];

	for (int i = 0; i < 8; i += 2) {
		t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);       /* r0[0] r1[0] r0[1] r1[1] | [4].. */
		t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);   /* r0[2] r1[2] r0[3] r1[3] | [6].. */
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
 * The row pass on a band of 8 * nc rows, nc = 1 or 2 (inlined with a
 * constant nc): see the file comment.
 */
struct row_band {
	const float *in;
	float *out;
	size_t stride;
	int w, nc, filled;           /* columns [0, filled) have entered the ring */
	__m256 ring[DP_RING * 2];    /* column x, register c: ring[(x & DP_RING_MASK) * nc + c] */
	__m256 res[8 * 2];           /* pending results of column o % 8, register c: res[(o % 8) * nc + c] */
};

static DP_AVX2_INLINE __m256 *ring_at(struct row_band *b, int x, int c)
{
	return &b->ring[((unsigned)x & DP_RING_MASK) * (unsigned)b->nc + (unsigned)c];
}

/* Make column x available in the ring: blocks of 8 while they fit, then single columns. */
static DP_AVX2_INLINE void ensure(struct row_band *b, int x)
{
	while (b->filled <= x) {
		int f = b->filled, block = f + 8 <= b->w;

		for (int c = 0; c < b->nc; c++) {
			const float *p = b->in + (size_t)(8 * c) * b->stride + (size_t)f;
			size_t w = b->stride;

			if (block) {
				__m256 r[8];

				for (int i = 0; i < 8; i++)
					r[i] = _mm256_loadu_ps(p + (size_t)i * w);
				transpose8(r);
				for (int i = 0; i < 8; i++)
					*ring_at(b, f + i, c) = r[i];
			} else {
				*ring_at(b, f, c) = _mm256_setr_ps(p[0], p[w], p[2 * w], p[3 * w], p[4 * w],
								   p[5 * w], p[6 * w], p[7 * w]);
			}
		}
		b->filled += block ? 8 : 1;
	}
}

/* Store results res (column i, register c at res[i * nc + c]) of columns o0 .. o0+n-1, n <= 8. */
static DP_AVX2_INLINE void flush(struct row_band *b, const __m256 *res, int o0, int n)
{
	for (int c = 0; c < b->nc; c++) {
		float *base = b->out + (size_t)(8 * c) * b->stride + (size_t)o0;

		if (n == 8) {
			__m256 r[8];

			for (int i = 0; i < 8; i++)
				r[i] = res[i * b->nc + c];
			transpose8(r);
			for (int i = 0; i < 8; i++)
				_mm256_storeu_ps(base + (size_t)i * b->stride, r[i]);
		} else {
			for (int i = 0; i < n; i++) {
				float lane[8];

				_mm256_storeu_ps(lane, res[i * b->nc + c]);
				for (int k = 0; k < 8; k++)
					base[(size_t)k * b->stride + (size_t)i] = lane[k];
			}
		}
	}
}

/*
 * Output column o, one at a time: add column `add` (if do_add), then
 * subtract column `sub` (if do_sub), divide by d into the pending results,
 * store them when column o completes a block of 8.
 */
static DP_AVX2_INLINE void row_step(struct row_band *b, __m256 sum[2], int add, int sub, int o,
				    int do_add, int do_sub, __m256 d)
{
	if (do_add)
		ensure(b, add);
	for (int c = 0; c < b->nc; c++) {
		if (do_add)
			sum[c] = _mm256_add_ps(sum[c], *ring_at(b, add, c));
		if (do_sub)
			sum[c] = _mm256_sub_ps(sum[c], *ring_at(b, sub, c));
		b->res[(o % 8) * b->nc + c] = _mm256_div_ps(sum[c], d);
	}
	if (o % 8 == 7)
		flush(b, b->res, o - 7, 8);
}

static DP_AVX2_INLINE void rows_band(const float *in, float *out, int w, int window, int nc)
{
	struct row_band b;
	struct box_shape s = box_shape(w, window);
	__m256 sum[2] = { _mm256_setzero_ps(), _mm256_setzero_ps() }, d;
	int add = 0, sub = 0, o = 0, count = 0, i;

	b.in = in;
	b.out = out;
	b.stride = (size_t)w;
	b.w = w;
	b.nc = nc;
	b.filled = 0;

	for (i = 0; i < s.lead; i++, add++, count++) {
		ensure(&b, add);
		for (int c = 0; c < nc; c++)
			sum[c] = _mm256_add_ps(sum[c], *ring_at(&b, add, c));
	}
	for (i = 0; i < s.grow; i++, add++, o++)
		row_step(&b, sum, add, sub, o, 1, 0, _mm256_set1_ps((float)++count));
	d = _mm256_set1_ps((float)count);
	for (i = 0; i < s.full && o % 8 != 0; i++, add++, sub++, o++)
		row_step(&b, sum, add, sub, o, 1, 1, d);
	/* Output-aligned blocks of 8 columns: results stay in registers until stored. */
	for (; i + 8 <= s.full; i += 8, add += 8, sub += 8, o += 8) {
		__m256 r[8 * 2];

		ensure(&b, add + 7);
		for (int j = 0; j < 8; j++) {
			for (int c = 0; c < nc; c++) {
				sum[c] = _mm256_add_ps(sum[c], *ring_at(&b, add + j, c));
				sum[c] = _mm256_sub_ps(sum[c], *ring_at(&b, sub + j, c));
				r[j * nc + c] = _mm256_div_ps(sum[c], d);
			}
		}
		flush(&b, r, o, 8);
	}
	for (; i < s.full; i++, add++, sub++, o++)
		row_step(&b, sum, add, sub, o, 1, 1, d);
	for (i = 0; i < s.shrink; i++, sub++, o++)
		row_step(&b, sum, add, sub, o, 0, 1, _mm256_set1_ps((float)--count));
	if (o % 8)
		flush(&b, b.res, o - o % 8, o % 8);
}

static DP_AVX2 void rows_band8(const float *in, float *out, int w, int window)
{
	rows_band(in, out, w, window, 1);
}

static DP_AVX2 void rows_band16(const float *in, float *out, int w, int window)
{
	rows_band(in, out, w, window, 2);
}

DP_AVX2 void dp_box_rows_avx2(const float *in, float *out, int w, int h, int window)
{
	size_t stride = (size_t)w;
	int y = 0;

	assert(window >= 1 && window <= w);
	if (h < 8 || window > DP_RING - 15) {
		dp_box_rows_scalar(in, out, w, h, window);
		return;
	}
	for (; y + 16 <= h; y += 16)
		rows_band16(in + (size_t)y * stride, out + (size_t)y * stride, w, window);
	if (y + 8 <= h) {
		rows_band8(in + (size_t)y * stride, out + (size_t)y * stride, w, window);
		y += 8;
	}
	/* The last h % 8 rows: the band of the final 8 rows, recomputing some (same values). */
	if (y < h)
		rows_band8(in + (size_t)(h - 8) * stride, out + (size_t)(h - 8) * stride, w, window);
}

#endif
