/* kernels/luma_scalar.c - 8-bit RGB / grey pixels -> float luma (scalar reference).
 *
 * The weights are the ones PDQ's reference uses (ITU-R BT.601 luma, 0.299 /
 * 0.587 / 0.114, as float constants), and the expression is evaluated in the
 * same order, R term + G term first, so PDQ stays bit-exact. No clamping is
 * needed: every step rounds monotonically and white (255, 255, 255) gives
 * exactly 255.0f, so results lie in [0, 255].
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

/*
 * Exactness needs each multiply and add rounded separately. GCC does not
 * fuse them under -std=c11 (-ffp-contract=off is its ISO default); clang
 * fuses within an expression on FMA targets unless told not to.
 */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define DP_LUMA_R 0.299f
#define DP_LUMA_G 0.587f
#define DP_LUMA_B 0.114f

void dp_luma_rgb8_scalar(const uint8_t *rgb, size_t npix, float *luma)
{
	for (size_t i = 0; i < npix; i++) {
		const uint8_t *p = rgb + 3 * i;

		luma[i] = DP_LUMA_R * (float)p[0] + DP_LUMA_G * (float)p[1] +
			  DP_LUMA_B * (float)p[2];
	}
}

void dp_luma_grey8_scalar(const uint8_t *grey, size_t npix, float *luma)
{
	for (size_t i = 0; i < npix; i++)
		luma[i] = (float)grey[i];
}
