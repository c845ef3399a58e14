/* kernels/dhash_scalar.c - dHash bits from a 9 wide x 8 high image.
 *
 * imagehash's dhash: resize to (9, 8), diff = pixels[:, 1:] > pixels[:, :-1],
 * i.e. bit (r, c) says whether the right neighbour is brighter. Equal
 * neighbours (flat areas) give 0.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

uint64_t dp_dhash_bits(const float px[8 * 9])
{
	uint64_t bits = 0;

	/* Row-major over the 8x8 comparisons, first in bit 63. */
	for (int r = 0; r < 8; r++)
		for (int c = 0; c < 8; c++)
			bits = (bits << 1) | (px[r * 9 + c + 1] > px[r * 9 + c]);
	return bits;
}
