/* kernels/luma_avx2.c - packed RGB8 -> float luma with AVX2, eight pixels per step.
 *
 * 24 bytes (8 pixels) are read with one 16-byte and one 8-byte load, so
 * nothing past the last pixel is touched; PSHUFB gathers the R, G and B
 * bytes, which are widened to int32 and converted to float (exact for
 * 0..255). Each lane then evaluates the scalar reference's expression in
 * its order, every step rounded on its own (no FMA):
 *   (0.299f*R + 0.587f*G) + 0.114f*B
 * so the results are bit-identical. npix % 8 leftover pixels go to the
 * scalar code.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#if DP_KERNELS_X86

#include <immintrin.h>

#define DP_AVX2 __attribute__((target("avx2")))

DP_AVX2 void dp_luma_rgb8_avx2(const uint8_t *rgb, size_t npix, float *luma)
{
	/* Bytes 0-15 of the 8 pixels (a) and bytes 16-23 (b); -1 makes a zero byte. */
	const __m128i rg_a = _mm_setr_epi8(0, 3, 6, 9, 12, 15, -1, -1, 1, 4, 7, 10, 13, -1, -1, -1);
	const __m128i rg_b = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, 2, 5, -1, -1, -1, -1, -1, 0, 3, 6);
	const __m128i b_a = _mm_setr_epi8(2, 5, 8, 11, 14, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
	const __m128i b_b = _mm_setr_epi8(-1, -1, -1, -1, -1, 1, 4, 7, -1, -1, -1, -1, -1, -1, -1, -1);
	const __m256 wr = _mm256_set1_ps(0.299f), wg = _mm256_set1_ps(0.587f),
		     wb = _mm256_set1_ps(0.114f);
	size_t i = 0;

	for (; i + 8 <= npix; i += 8) {
		const uint8_t *p = rgb + 3 * i;
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i b = _mm_loadl_epi64((const __m128i *)(const void *)(p + 16));
		/* rg: R0..R7 in bytes 0-7, G0..G7 in bytes 8-15; bb: B0..B7 in bytes 0-7. */
		__m128i rg = _mm_or_si128(_mm_shuffle_epi8(a, rg_a), _mm_shuffle_epi8(b, rg_b));
		__m128i bb = _mm_or_si128(_mm_shuffle_epi8(a, b_a), _mm_shuffle_epi8(b, b_b));
		__m256 r = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(rg));
		__m256 g = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(rg, 8)));
		__m256 bl = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bb));
		__m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(wr, r), _mm256_mul_ps(wg, g)),
					 _mm256_mul_ps(wb, bl));

		_mm256_storeu_ps(luma + i, y);
	}
	dp_luma_rgb8_scalar(rgb + 3 * i, npix - i, luma + i);
}

#endif
