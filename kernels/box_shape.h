/* kernels/box_shape.h - the phases of one line of PDQ's box filter, shared by its variants.
 *
 * Included by jarosz_scalar.c and its SIMD variants so every variant walks a
 * line in exactly the same phases (which the bit-exactness with the PDQ
 * reference depends on). Private to kernels/.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_KERNELS_BOX_SHAPE_H
#define DP_KERNELS_BOX_SHAPE_H

/*
 * The shape of one line: samples summed before the first output (lead),
 * outputs while the window grows (grow), with a full window (full), and
 * while it shrinks (shrink). With half = (window + 2) / 2 the first output
 * averages in[0 .. half-1], so output i averages
 * in[i - (window - half) .. i + half - 1] clipped to the line
 * (window 7: i-3..i+3; window 8: i-3..i+4). grow + full + shrink = len.
 */
struct box_shape {
	int lead, grow, full, shrink;
};

static inline struct box_shape box_shape(int len, int window)
{
	int half = (window + 2) / 2;
	struct box_shape s = { half - 1, window - half + 1, len - window, half - 1 };

	return s;
}

#endif
