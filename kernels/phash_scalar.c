/* kernels/phash_scalar.c - pHash bits from the 8x8 low-frequency DCT block.
 *
 * imagehash's phash: 2-D DCT of a 32x32 greyscale image, keep the top-left
 * 8x8 coefficients (DC included), bit = coefficient > median of the 64.
 * numpy's median of 64 values is the mean of ranks 31 and 32; "> mean"
 * selects exactly the values above rank 31 (see median_scalar.c), so the
 * lower median is used, avoiding a rounded (a + b) / 2.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

uint64_t dp_phash_bits(const float coef[DP_PHASH_COEFS * DP_PHASH_COEFS])
{
	const int n = DP_PHASH_COEFS * DP_PHASH_COEFS;
	float scratch[DP_PHASH_COEFS * DP_PHASH_COEFS];
	float median = dp_lower_median(coef, n, scratch);
	uint64_t bits = 0;

	/* Row-major, first cell in bit 63. */
	for (int i = 0; i < n; i++)
		bits = (bits << 1) | (coef[i] > median);
	return bits;
}
