/* kernels/ahash_scalar.c - aHash bits from an 8x8 image.
 *
 * imagehash's average_hash: bit = pixel > mean of the 64 pixels. The mean
 * is a float sum in row-major order divided by 64 (exact: a power of two),
 * so the only rounding is in the sum, which is fixed by the order.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

uint64_t dp_ahash_bits(const float px[8 * 8])
{
	float sum = 0.0f, mean;
	uint64_t bits = 0;

	for (int i = 0; i < 64; i++)
		sum += px[i];
	mean = sum / 64.0f;
	for (int i = 0; i < 64; i++)
		bits = (bits << 1) | (px[i] > mean);
	return bits;
}
