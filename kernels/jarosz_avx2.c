/* kernels/jarosz_avx2.c - the box filter passes of PDQ's Jarosz filter with AVX2.
 *
 * Bit-exact with jarosz_scalar.c: each output line (row or column) keeps
 * its own running float sum, updated with the reference's operations in
 * the reference's order (grow: add; full: add the entering sample, then
 * subtract the leaving one; shrink: subtract) and divided by the window
 * population with a true IEEE division. Only the assignment of lines to
 * vector lanes differs, and lines are independent.
 *
 * Columns: the eight lanes of a register are eight neighbouring columns,
 * so every step is a contiguous load/store; up to eight registers of sums
 * (64 columns) stay in registers while the pass walks down the image. The
 * last partial group of columns is recomputed as the final eight columns
 * (overlapping columns get the same values again, since in and out do not
 * overlap); images narrower than 8 go to the scalar code.
 *
 * Rows: the lanes are eight rows (a band). Samples are brought into
 * "one column of the band per register" form by 8x8 transposes, for the
 * entering and for the leaving sample, blocks of eight outputs are
 * computed, transposed back and stored. The few outputs at the ends of a
 * row (window growing or shrinking, fewer than eight left) gather and
 * scatter single columns. Rows left over below the last full band (h % 8)
 * go to the scalar code.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#if DP_KERNELS_X86

#include <assert.h>
#include <immintrin.h>

#define DP_AVX2 __attribute__((target("avx2")))
#define DP_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline

#define DP_COL_VECS 8   /* registers of column sums per walk down the image */
#define DP_RING 256     /* columns held by the row pass's ring (window + 16 at most) */
#define DP_RING_MASK ((unsigned)DP_RING - 1)

/*
 * The shape of one line, as in jarosz_scalar.c: samples summed before the
 * first output (lead), outputs while the window grows (grow), with a full
 * window (full), and while it shrinks (shrink); grow + full + shrink = len.
 */
struct box_shape {
	int lead, grow, full, shrink;
};

static struct box_shape box_shape(int len, int window)
{
	int half = (window + 2) / 2;
	struct box_shape s = { half - 1, window - half + 1, len - window, half - 1 };

	return s;
}

/*
 * Columns [x0, x0 + 8 * nv) of the column pass, nv <= DP_COL_VECS. Inlined
 * with a constant nv so the sums live in registers.
 */
static DP_AVX2_INLINE void cols_group(const float *in, float *out, int w, int h, int window,
				      int x0, int nv)
{
	__m256 sum[DP_COL_VECS];
	struct box_shape s = box_shape(h, window);
	size_t stride = (size_t)w;
	const float *add = in + x0, *sub = in + x0;
	float *o = out + x0;
	int count = 0;

	for (int v = 0; v < nv; v++)
		sum[v] = _mm256_setzero_ps();
	for (int i = 0; i < s.lead; i++, add += stride) {
		for (int v = 0; v < nv; v++)
			sum[v] = _mm256_add_ps(sum[v], _mm256_loadu_ps(add + 8 * v));
		count++;
	}
	for (int i = 0; i < s.grow; i++, add += stride, o += stride) {
		__m256 c = _mm256_set1_ps((float)++count);

		for (int v = 0; v < nv; v++) {
			sum[v] = _mm256_add_ps(sum[v], _mm256_loadu_ps(add + 8 * v));
			_mm256_storeu_ps(o + 8 * v, _mm256_div_ps(sum[v], c));
		}
	}
	for (int i = 0; i < s.full; i++, add += stride, sub += stride, o += stride) {
		__m256 c = _mm256_set1_ps((float)count);

		for (int v = 0; v < nv; v++) {
			sum[v] = _mm256_add_ps(sum[v], _mm256_loadu_ps(add + 8 * v));
			sum[v] = _mm256_sub_ps(sum[v], _mm256_loadu_ps(sub + 8 * v));
			_mm256_storeu_ps(o + 8 * v, _mm256_div_ps(sum[v], c));
		}
	}
	for (int i = 0; i < s.shrink; i++, sub += stride, o += stride) {
		__m256 c = _mm256_set1_ps((float)--count);

		for (int v = 0; v < nv; v++) {
			sum[v] = _mm256_sub_ps(sum[v], _mm256_loadu_ps(sub + 8 * v));
			_mm256_storeu_ps(o + 8 * v, _mm256_div_ps(sum[v], c));
		}
	}
}

DP_AVX2 void dp_box_cols_avx2(const float *in, float *out, int w, int h, int window)
{
	int x = 0;

	assert(window >= 1 && window <= h);
	if (w < 8) {
		dp_box_cols_scalar(in, out, w, h, window);
		return;
	}
	for (; x + 8 * DP_COL_VECS <= w; x += 8 * DP_COL_VECS)
		cols_group(in, out, w, h, window, x, DP_COL_VECS);
	for (; x + 8 <= w; x += 8)
		cols_group(in, out, w, h, window, x, 1);
	if (x < w)
		cols_group(in, out, w, h, window, w - 8, 1);
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
 * The row pass on a band of 8 * nc rows (nc = 1 or 2 registers per column,
 * inlined with a constant nc), lanes = rows. The samples are transposed
 * once, in blocks of 8 columns, into a ring of column registers, from
 * which both the entering sample (x = o + lead) and, window columns later,
 * the leaving one (x = o - grow) are read. Results collect in a block of 8
 * columns that is transposed back and stored when full; the last partial
 * block is scattered. With nc = 2 the two register chains are independent,
 * which hides the add/subtract latency that bounds a single chain.
 */
struct row_band {
	const float *in;
	float *out;
	size_t stride;
	int w, nc, filled;           /* columns [0, filled) have entered the ring */
	__m256 ring[DP_RING * 2];    /* column x, register c at ring[(x & DP_RING_MASK) * nc + c] */
	__m256 res[8 * 2];           /* pending results: column o % 8, register c */
};

/* Transposed column of the band, 8 rows per register, for a single column x (edges). */
static DP_AVX2_INLINE void fill_column(struct row_band *b, int x)
{
	for (int c = 0; c < b->nc; c++) {
		const float *p = b->in + (size_t)(8 * c) * b->stride + (size_t)x;
		size_t w = b->stride;

		b->ring[(x & DP_RING_MASK) * b->nc + c] =
			_mm256_setr_ps(p[0], p[w], p[2 * w], p[3 * w], p[4 * w], p[5 * w], p[6 * w], p[7 * w]);
	}
}

/* Make column x available in the ring: blocks of 8 while they fit, then single columns. */
static DP_AVX2_INLINE void ensure(struct row_band *b, int x)
{
	while (b->filled <= x) {
		int f = b->filled;

		if (f + 8 <= b->w) {
			for (int c = 0; c < b->nc; c++) {
				__m256 r[8];

				for (int i = 0; i < 8; i++)
					r[i] = _mm256_loadu_ps(b->in + (size_t)(8 * c + i) * b->stride + (size_t)f);
				transpose8(r);
				for (int i = 0; i < 8; i++)
					b->ring[((f + i) & DP_RING_MASK) * b->nc + c] = r[i];
			}
			b->filled += 8;
		} else {
			fill_column(b, f);
			b->filled++;
		}
	}
}

/* Store the pending results of columns o0 .. o0+n-1 (n <= 8; o0 % 8 == 0). */
static DP_AVX2_INLINE void flush(struct row_band *b, int o0, int n)
{
	for (int c = 0; c < b->nc; c++) {
		float *base = b->out + (size_t)(8 * c) * b->stride + (size_t)o0;

		if (n == 8) {
			__m256 r[8];

			for (int i = 0; i < 8; i++)
				r[i] = b->res[i * 2 + c];
			transpose8(r);
			for (int i = 0; i < 8; i++)
				_mm256_storeu_ps(base + (size_t)i * b->stride, r[i]);
		} else {
			for (int i = 0; i < n; i++) {
				float lane[8];

				_mm256_storeu_ps(lane, b->res[i * 2 + c]);
				for (int k = 0; k < 8; k++)
					base[(size_t)k * b->stride + (size_t)i] = lane[k];
			}
		}
	}
}

static DP_AVX2_INLINE void rows_band(const float *in, float *out, int w, int window, int nc)
{
	struct row_band b;
	struct box_shape s = box_shape(w, window);
	__m256 sum[2] = { _mm256_setzero_ps(), _mm256_setzero_ps() }, c;
	int add = 0, sub = 0, o = 0, count = 0, i;

	b.in = in;
	b.out = out;
	b.stride = (size_t)w;
	b.w = w;
	b.nc = nc;
	b.filled = 0;

#define DP_ROW_STEP(ADD, SUB, DIV)                                                         \
	do {                                                                               \
		if (ADD)                                                                   \
			ensure(&b, add);                                                   \
		for (int k = 0; k < nc; k++) {                                             \
			if (ADD)                                                           \
				sum[k] = _mm256_add_ps(sum[k], b.ring[(add & DP_RING_MASK) * nc + k]); \
			if (SUB)                                                           \
				sum[k] = _mm256_sub_ps(sum[k], b.ring[(sub & DP_RING_MASK) * nc + k]); \
			b.res[(o % 8) * 2 + k] = _mm256_div_ps(sum[k], DIV);               \
		}                                                                          \
		add += (ADD);                                                              \
		sub += (SUB);                                                              \
		if (++o % 8 == 0)                                                          \
			flush(&b, o - 8, 8);                                               \
	} while (0)

	for (i = 0; i < s.lead; i++, add++, count++) {
		ensure(&b, add);
		for (int k = 0; k < nc; k++)
			sum[k] = _mm256_add_ps(sum[k], b.ring[(add & DP_RING_MASK) * nc + k]);
	}
	for (i = 0; i < s.grow; i++) {
		c = _mm256_set1_ps((float)++count);
		DP_ROW_STEP(1, 0, c);
	}
	c = _mm256_set1_ps((float)count);
	for (i = 0; i < s.full && o % 8 != 0; i++)
		DP_ROW_STEP(1, 1, c);
	/* Output-aligned blocks of 8: results stay in registers, stored by one transpose. */
	for (; i + 8 <= s.full; i += 8, add += 8, sub += 8, o += 8) {
		__m256 r[2][8];

		ensure(&b, add + 7);
		for (int j = 0; j < 8; j++) {
			for (int k = 0; k < nc; k++) {
				sum[k] = _mm256_add_ps(sum[k], b.ring[((unsigned)(add + j) & DP_RING_MASK) * nc + k]);
				sum[k] = _mm256_sub_ps(sum[k], b.ring[((unsigned)(sub + j) & DP_RING_MASK) * nc + k]);
				r[k][j] = _mm256_div_ps(sum[k], c);
			}
		}
		for (int k = 0; k < nc; k++) {
			float *base = out + (size_t)(8 * k) * b.stride + (size_t)o;

			transpose8(r[k]);
			for (int j = 0; j < 8; j++)
				_mm256_storeu_ps(base + (size_t)j * b.stride, r[k][j]);
		}
	}
	for (; i < s.full; i++)
		DP_ROW_STEP(1, 1, c);
	for (i = 0; i < s.shrink; i++) {
		c = _mm256_set1_ps((float)--count);
		DP_ROW_STEP(0, 1, c);
	}
#undef DP_ROW_STEP
	if (o % 8)
		flush(&b, o - o % 8, o % 8);
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
	if (h < 8 || window + 8 > DP_RING) {
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
