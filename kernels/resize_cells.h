/* kernels/resize_cells.h - which input samples an area-resize output cell covers, and how much.
 *
 * Shared by resize_scalar.c and its SIMD variants so that all use the same
 * integer cell geometry (output cell o spans input [o*n_in, (o+1)*n_in) in
 * units of 1/n_out sample). Private to kernels/.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_KERNELS_RESIZE_CELLS_H
#define DP_KERNELS_RESIZE_CELLS_H

/* Input samples first..last touched by output cell o. */
static inline void cell_span(int o, int n_in, int n_out, int *first, int *last)
{
	long long a = (long long)o * n_in, b = a + n_in;

	*first = (int)(a / n_out);
	*last = (int)((b - 1) / n_out);
}

/* Overlap of output cell o with input sample i, in units of 1/n_out sample. */
static inline float cell_weight(int o, int i, int n_in, int n_out)
{
	long long a = (long long)o * n_in, b = a + n_in;
	long long s = (long long)i * n_out, e = s + n_out;
	long long lo = a > s ? a : s, hi = b < e ? b : e;

	return (float)(hi - lo);
}

#endif
