/* kernels/resize_scalar.c - area-average (box) resize of a float image, any size up or down (scalar reference).
 *
 * Used for the 32x32 (pHash), 9x8 (dHash) and 8x8 (aHash) inputs. Each
 * output cell is the exact mean of the input over the rectangle it covers,
 * input pixels being constant squares; partial pixels count by their
 * covered fraction. Coordinates are kept in integers: along an axis with
 * n_in input and n_out output samples, measure in units of 1/n_out input
 * pixel, so input pixel i spans [i*n_out, (i+1)*n_out) and output cell o
 * spans [o*n_in, (o+1)*n_in). Overlaps are then integers (1..n_out), exact
 * as float weights, and each output is (sum of weight * value) / n_in,
 * whatever the ratio. The same code handles upscaling (a cell inside one or
 * two pixels).
 *
 * Vertical pass first: it streams whole input rows into out_h accumulator
 * rows (the contiguous, vectorisable direction over the large image), then
 * the horizontal pass works on the small out_h x in_w intermediate.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"
#include "resize_cells.h"

#include <stdint.h>
#include <string.h>

/*
 * Exactness needs each multiply and add rounded separately. GCC does not
 * fuse them under -std=c11 (-ffp-contract=off is its ISO default); clang
 * fuses within an expression on FMA targets unless told not to.
 */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

size_t dp_resize_area_floats(int in_w, int in_h, int out_w, int out_h)
{
	(void)in_h;
	(void)out_w;
	if (in_w < 1 || out_h < 1)
		return 0;
	if ((size_t)out_h > SIZE_MAX / (size_t)in_w)
		return 0;
	return (size_t)out_h * (size_t)in_w;
}

/*
 * acc[x] += wgt * row[x] and acc[x] /= d for x < n, each as a multiple-of-4
 * loop plus remainder, out of line: that is the shape GCC 12 vectorises
 * at -O2 (it keeps inlined or remainder-needing loops scalar).
 */
static __attribute__((noinline)) void row_add_scaled(float *restrict acc,
						      const float *restrict row,
						      float wgt, size_t n)
{
	size_t nv = n & ~(size_t)3, x;

	for (x = 0; x < nv; x++)
		acc[x] += wgt * row[x];
	for (; x < n; x++)
		acc[x] += wgt * row[x];
}

static __attribute__((noinline)) void row_divide(float *restrict acc, float d, size_t n)
{
	size_t nv = n & ~(size_t)3, x;

	for (x = 0; x < nv; x++)
		acc[x] /= d;
	for (; x < n; x++)
		acc[x] /= d;
}

void dp_resize_area_scalar(const float *in, int in_w, int in_h,
			   float *out, int out_w, int out_h, float *scratch)
{
	size_t iw = (size_t)in_w;

	/* Vertical: out_h rows of in_w accumulators, each the mean of its input rows. */
	for (int oy = 0; oy < out_h; oy++) {
		float *acc = scratch + (size_t)oy * iw;
		int y0, y1;

		cell_span(oy, in_h, out_h, &y0, &y1);
		memset(acc, 0, iw * sizeof(float));
		for (int y = y0; y <= y1; y++)
			row_add_scaled(acc, in + (size_t)y * iw, cell_weight(oy, y, in_h, out_h), iw);
		row_divide(acc, (float)in_h, iw);
	}

	/* Horizontal: each output cell from its span of accumulators. */
	for (int oy = 0; oy < out_h; oy++) {
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
