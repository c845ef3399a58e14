/* kernels/jarosz_scalar.c - box filter passes of PDQ's Jarosz (tent) filter (scalar reference).
 *
 * A Jarosz filter is a box filter applied repeatedly; PDQ runs two
 * (rows, columns) passes, which makes a tent filter, before point-sampling
 * 64x64 values. To be bit-exact with the reference every output is a
 * running float sum divided by the current window population, the sum
 * updated in the reference's order: while the window grows at the start of
 * a line only additions; in the middle add the entering sample, then
 * subtract the leaving one; at the end only subtractions. The window is
 * asymmetric for even lengths (8: 3 left, 4 right) because the reference's
 * half window is (window + 2) / 2.
 *
 * The order of the float operations on each line is fixed; the order in
 * which lines are visited is free. Both passes therefore work on several
 * lines side by side ("lanes"), one running sum per lane:
 *   - columns: the lanes are the columns of a strip, so every step reads
 *     and writes contiguous memory and the compiler vectorises it;
 *   - rows: the lanes are a group of rows, whose independent sums hide the
 *     add/subtract latency chain of a single row; the sums are stored
 *     first and divided afterwards in a contiguous (vectorisable) loop,
 *     which gives the same quotients as dividing at once.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"
#include "box_shape.h"

#include <assert.h>

#define DP_BOX_STRIP 256   /* columns per strip in the column pass (1 KiB of sums) */
#define DP_BOX_GROUP 8     /* rows side by side in the row pass */

int dp_jarosz_window(int old_dim, int new_dim)
{
	/* ceil(old / (2 new)); computed in long long so huge sizes cannot overflow. */
	long long twice = 2LL * new_dim;

	return (int)(((long long)old_dim + twice - 1) / twice);
}

/*
 * The four steps of the column pass on columns [lo, hi) of a strip. Each is
 * called twice per row: on the largest multiple of 4 columns, which GCC
 * vectorises even at -O2 (its "very cheap" model refuses loops that need a
 * scalar remainder), then on the 0..3 columns left.
 */
static inline void col_add(float *restrict sum, const float *restrict add, int lo, int hi)
{
	for (int x = lo; x < hi; x++)
		sum[x] += add[x];
}

static inline void col_grow(float *restrict sum, const float *restrict add,
			    float *restrict o, float c, int lo, int hi)
{
	for (int x = lo; x < hi; x++) {
		sum[x] += add[x];
		o[x] = sum[x] / c;
	}
}

static inline void col_full(float *restrict sum, const float *restrict add,
			    const float *restrict sub, float *restrict o, float c, int lo, int hi)
{
	for (int x = lo; x < hi; x++) {
		sum[x] += add[x];
		sum[x] -= sub[x];
		o[x] = sum[x] / c;
	}
}

static inline void col_shrink(float *restrict sum, const float *restrict sub,
			      float *restrict o, float c, int lo, int hi)
{
	for (int x = lo; x < hi; x++) {
		sum[x] -= sub[x];
		o[x] = sum[x] / c;
	}
}

/* Columns [x0, x0 + nx) of the column pass, nx <= DP_BOX_STRIP. */
static void box_cols_strip(const float *in, float *out, int w, int h, int window,
			   int x0, int nx)
{
	float sum[DP_BOX_STRIP] = { 0 };
	struct box_shape s = box_shape(h, window);
	size_t stride = (size_t)w;
	const float *add = in + x0, *sub = in + x0;
	float *o = out + x0;
	int nv = nx & ~3;
	int count = 0;

	for (int i = 0; i < s.lead; i++, add += stride) {
		col_add(sum, add, 0, nv);
		col_add(sum, add, nv, nx);
		count++;
	}
	for (int i = 0; i < s.grow; i++, add += stride, o += stride) {
		float c = (float)++count;

		col_grow(sum, add, o, c, 0, nv);
		col_grow(sum, add, o, c, nv, nx);
	}
	for (int i = 0; i < s.full; i++, add += stride, sub += stride, o += stride) {
		float c = (float)count;

		col_full(sum, add, sub, o, c, 0, nv);
		col_full(sum, add, sub, o, c, nv, nx);
	}
	for (int i = 0; i < s.shrink; i++, sub += stride, o += stride) {
		float c = (float)--count;

		col_shrink(sum, sub, o, c, 0, nv);
		col_shrink(sum, sub, o, c, nv, nx);
	}
}

void dp_box_cols_scalar(const float *in, float *out, int w, int h, int window)
{
	assert(window >= 1 && window <= h);
	for (int x0 = 0; x0 < w; x0 += DP_BOX_STRIP) {
		int nx = w - x0 < DP_BOX_STRIP ? w - x0 : DP_BOX_STRIP;

		box_cols_strip(in, out, w, h, window, x0, nx);
	}
}

/* Running sums (not yet divided) of rows [0, nr) of in into out, nr <= DP_BOX_GROUP. */
static void box_rows_sums(const float *restrict in, float *restrict out, int w, int nr,
			  int window)
{
	float sum[DP_BOX_GROUP];
	struct box_shape s = box_shape(w, window);
	size_t stride = (size_t)w;
	int add = 0, sub = 0, o = 0;

	for (int r = 0; r < nr; r++)
		sum[r] = 0.0f;
	for (int i = 0; i < s.lead; i++, add++)
		for (int r = 0; r < nr; r++)
			sum[r] += in[r * stride + add];
	for (int i = 0; i < s.grow; i++, add++, o++)
		for (int r = 0; r < nr; r++) {
			sum[r] += in[r * stride + add];
			out[r * stride + o] = sum[r];
		}
	for (int i = 0; i < s.full; i++, add++, sub++, o++)
		for (int r = 0; r < nr; r++) {
			sum[r] += in[r * stride + add];
			sum[r] -= in[r * stride + sub];
			out[r * stride + o] = sum[r];
		}
	for (int i = 0; i < s.shrink; i++, sub++, o++)
		for (int r = 0; r < nr; r++) {
			sum[r] -= in[r * stride + sub];
			out[r * stride + o] = sum[r];
		}
}

/*
 * o[0 .. n-1] /= c, in a multiple-of-4 part and a remainder, so GCC
 * vectorises it at -O2. Kept out of line: once inlined into the row loop
 * GCC loses track of the multiple of 4 and keeps it scalar (GCC 12).
 */
static __attribute__((noinline)) void divide_span(float *restrict o, float c, size_t n)
{
	size_t nv = n & ~(size_t)3, x;

	for (x = 0; x < nv; x++)
		o[x] /= c;
	for (; x < n; x++)
		o[x] /= c;
}

/* Divide the running sums of one row by the window population at each position. */
static void box_row_divide(float *o, int w, int window)
{
	struct box_shape s = box_shape(w, window);
	int x = 0, count = s.lead;

	for (int i = 0; i < s.grow; i++, x++)
		o[x] /= (float)++count;
	divide_span(o + x, (float)count, (size_t)s.full);
	x += s.full;
	for (int i = 0; i < s.shrink; i++, x++)
		o[x] /= (float)--count;
}

void dp_box_rows_scalar(const float *in, float *out, int w, int h, int window)
{
	assert(window >= 1 && window <= w);
	for (int y0 = 0; y0 < h; y0 += DP_BOX_GROUP) {
		int nr = h - y0 < DP_BOX_GROUP ? h - y0 : DP_BOX_GROUP;
		size_t off = (size_t)y0 * (size_t)w;

		box_rows_sums(in + off, out + off, w, nr, window);
		for (int r = 0; r < nr; r++)
			box_row_divide(out + off + (size_t)r * (size_t)w, w, window);
	}
}
