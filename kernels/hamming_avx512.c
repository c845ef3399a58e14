/* kernels/hamming_avx512.c - one-to-many Hamming distances with AVX-512 VPOPCNTQ.
 *
 * VPOPCNTQ counts the bits of eight 64-bit lanes at once. A ZMM register
 * holds two 256-bit codes, so four registers give the 32 lane counts of
 * eight codes; adding neighbouring lanes (unpack lo/hi), then the two
 * 128-bit halves of each code (shuffle_i64x2), leaves the eight distances
 * in a shuffled lane order, which one permute fixes before VPMOVQW narrows
 * them to 16 bits. 64-bit codes: eight per register, no folding. Integer
 * arithmetic: results equal the scalar reference exactly. Leftover codes
 * (n % 8) go to the scalar code.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#if DP_KERNELS_X86

#include <immintrin.h>

#define DP_AVX512_POPCNT __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vpopcntdq")))

DP_AVX512_POPCNT void dp_hamming256_many_avx512(const uint8_t q[DP_PDQ_BYTES], const uint8_t *codes,
						size_t n, uint16_t *dist)
{
	const __m512i qv = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(const void *)q));
	/* After the folds below the 64-bit lanes hold codes 0 2 1 3 4 6 5 7. */
	const __m512i order = _mm512_setr_epi64(0, 2, 1, 3, 4, 6, 5, 7);
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		const uint8_t *c = codes + i * DP_PDQ_BYTES;
		__m512i p0 = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c), qv));
		__m512i p1 = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + 64), qv));
		__m512i p2 = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + 128), qv));
		__m512i p3 = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + 192), qv));
		/* 128-bit lane L of x01: (lane L of p0 summed, lane L of p1 summed). */
		__m512i x01 = _mm512_add_epi64(_mm512_unpacklo_epi64(p0, p1),
					       _mm512_unpackhi_epi64(p0, p1));
		__m512i x23 = _mm512_add_epi64(_mm512_unpacklo_epi64(p2, p3),
					       _mm512_unpackhi_epi64(p2, p3));
		/* A code spans 128-bit lanes 0-1 or 2-3: add lane pairs. */
		__m512i y = _mm512_add_epi64(_mm512_shuffle_i64x2(x01, x23, _MM_SHUFFLE(2, 0, 2, 0)),
					     _mm512_shuffle_i64x2(x01, x23, _MM_SHUFFLE(3, 1, 3, 1)));

		_mm_storeu_si128((__m128i *)(void *)(dist + i),
				 _mm512_cvtepi64_epi16(_mm512_permutexvar_epi64(order, y)));
	}
	dp_hamming256_many_scalar(q, codes + i * DP_PDQ_BYTES, n - i, dist + i);
}

DP_AVX512_POPCNT void dp_hamming64_many_avx512(uint64_t q, const uint64_t *codes, size_t n,
					       uint16_t *dist)
{
	const __m512i qv = _mm512_set1_epi64((long long)q);
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		__m512i p = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(codes + i), qv));

		_mm_storeu_si128((__m128i *)(void *)(dist + i), _mm512_cvtepi64_epi16(p));
	}
	dp_hamming64_many_scalar(q, codes + i, n - i, dist + i);
}

#endif
