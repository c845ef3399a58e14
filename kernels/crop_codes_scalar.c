/* kernels/crop_codes_scalar.c - 64-bit hashes of a thumbnail's centre at four zooms, to find cropped copies.
 *
 * A copy cropped by a few percent per side (with a resize, re-encoding or a
 * caption on top) is often more than 90 bits of PDQ from its photo, beyond
 * the alignment check's candidates (docs/CLUSTER.md). Its picture is the
 * photo's centre enlarged by up to a sixth, shifted by a few percent. So
 * each thumbnail gets a code of its whole frame and of its centre cut to
 * DP_CROP_SCALE_STEP smaller sides, and the code of one picture's frame is
 * compared with those of the other's centres: one of them is nearly the
 * copy's frame. The codes keep only the lowest frequencies (an 8 x 8 DCT of
 * a 32 x 32 resample, DC left out), which a shift of a few percent and the
 * copy transforms barely move; each bit says whether its coefficient is
 * above the median of the 63, as pHash does.
 *
 * The centre at scale s is the square of side 64 s around the thumbnail's
 * centre, sampled bilinearly at 32 x 32 points (the centres of its cells),
 * clamped at the edges. Coefficient (u, v) = a(u) a(v) sum_y sum_x
 * cos(pi (2y + 1) u / 64) cos(pi (2x + 1) v / 64) X[y][x], with a(0) =
 * sqrt(1/32) and a(k) = sqrt(2/32) (the orthonormal DCT-II); bit 62 - k of
 * the code is coefficient k of (u, v) in row-major order without (0, 0), so
 * bit 63 is always 0.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <math.h>

enum { SIDE = DP_ALIGN_SIDE, GRID = 32, FREQ = 8, NCOEF = FREQ * FREQ - 1 };

#define CROP_PI 3.14159265358979323846   /* M_PI is not ISO C */

/* The 32 x 32 resample of the thumbnail's centre at scale s. */
static void resample_centre(const uint8_t *thumb, float s, float out[GRID * GRID])
{
	int i0[GRID];
	float f[GRID];

	for (int k = 0; k < GRID; k++) {
		float c = ((float)k + 0.5f) / GRID * (SIDE * s) + SIDE / 2 * (1.0f - s) - 0.5f;
		int i;

		if (c < 0)
			c = 0;
		if (c > SIDE - 1)
			c = SIDE - 1;
		i = (int)c;
		if (i > SIDE - 2)
			i = SIDE - 2;
		i0[k] = i;
		f[k] = c - (float)i;
	}
	for (int y = 0; y < GRID; y++) {
		const uint8_t *r0 = thumb + i0[y] * SIDE, *r1 = r0 + SIDE;

		for (int x = 0; x < GRID; x++) {
			int a = i0[x];
			float top = r0[a] + f[x] * (float)(r0[a + 1] - r0[a]);
			float bottom = r1[a] + f[x] * (float)(r1[a + 1] - r1[a]);

			out[y * GRID + x] = top + f[y] * (bottom - top);
		}
	}
}

int dp_crop_codes(const uint8_t thumb[DP_ALIGN_BYTES], uint64_t codes[DP_CROP_CODES])
{
	float basis[FREQ][GRID], px[GRID * GRID], rows[FREQ][GRID], coef[NCOEF], scratch[NCOEF];
	uint8_t lo = 255, hi = 0;

	for (int k = 0; k < DP_ALIGN_BYTES; k++) {
		lo = thumb[k] < lo ? thumb[k] : lo;
		hi = thumb[k] > hi ? thumb[k] : hi;
	}
	for (int c = 0; c < DP_CROP_CODES; c++)
		codes[c] = 0;
	if (hi - lo < DP_CROP_MIN_RANGE)
		return 0;   /* flat: the codes would be rounding noise */
	for (int u = 0; u < FREQ; u++)
		for (int y = 0; y < GRID; y++)
			basis[u][y] = (float)(sqrt((u ? 2.0 : 1.0) / GRID) *
					      cos(CROP_PI * (2 * y + 1) * u / (2.0 * GRID)));
	for (int c = 0; c < DP_CROP_CODES; c++) {
		int n = 0;
		float median;

		resample_centre(thumb, 1.0f - DP_CROP_SCALE_STEP * (float)c, px);
		for (int u = 0; u < FREQ; u++)   /* columns first: rows[u][x] */
			for (int x = 0; x < GRID; x++) {
				float sum = 0;

				for (int y = 0; y < GRID; y++)
					sum += basis[u][y] * px[y * GRID + x];
				rows[u][x] = sum;
			}
		for (int u = 0; u < FREQ; u++)
			for (int v = 0; v < FREQ; v++) {
				float sum = 0;

				if (!u && !v)
					continue;
				for (int x = 0; x < GRID; x++)
					sum += basis[v][x] * rows[u][x];
				coef[n++] = sum;
			}
		median = dp_lower_median(coef, NCOEF, scratch);
		for (int k = 0; k < NCOEF; k++)
			codes[c] |= (uint64_t)(coef[k] > median) << (NCOEF - 1 - k);
	}
	return 1;
}
