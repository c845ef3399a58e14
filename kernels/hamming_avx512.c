/* kernels/hamming_avx512.c - one-to-many Hamming distances with AVX-512 VPOPCNTQ.
 *
 * VPOPCNTQ counts the bits of eight 64-bit lanes at once. A ZMM register
 * holds two 256-bit codes, so four registers give the 32 lane counts of
 * eight codes; adding neighbouring lanes (unpack lo/hi), then the two
 * 128-bit halves of each code (shuffle_i64x2), leaves the eight distances
 * in a shuffled lane order, which one permute fixes before VPMOVQW narrows
 * them to 16 bits. 64-bit codes: eight per register, no folding. Leftover
 * codes (n % 8) take the same path with masked loads and a masked store.
 * Integer arithmetic: results equal the scalar reference exactly.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#if DP_KERNELS_X86

#include <immintrin.h>

#define DP_AVX512_POPCNT __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vpopcntdq")))

/*
 * Distances of eight codes from the popcounts of their 64-bit lanes, four
 * ZMM registers of two codes each. 128-bit lane L of x01 holds (lane L of
 * p0 summed, lane L of p1 summed); a code spans 128-bit lanes 0-1 or 2-3,
 * so lane pairs are added, which leaves the codes in the order
 * 0 2 1 3 4 6 5 7 that one permute undoes.
 */
static inline DP_AVX512_POPCNT __m128i fold8(__m512i p0, __m512i p1, __m512i p2, __m512i p3)
{
	const __m512i order = _mm512_setr_epi64(0, 2, 1, 3, 4, 6, 5, 7);
	__m512i x01 = _mm512_add_epi64(_mm512_unpacklo_epi64(p0, p1), _mm512_unpackhi_epi64(p0, p1));
	__m512i x23 = _mm512_add_epi64(_mm512_unpacklo_epi64(p2, p3), _mm512_unpackhi_epi64(p2, p3));
	__m512i y = _mm512_add_epi64(_mm512_shuffle_i64x2(x01, x23, _MM_SHUFFLE(2, 0, 2, 0)),
				     _mm512_shuffle_i64x2(x01, x23, _MM_SHUFFLE(3, 1, 3, 1)));

	return _mm512_cvtepi64_epi16(_mm512_permutexvar_epi64(order, y));
}

/* Popcounts of the 64-bit lanes of (the first `words` words at c) ^ q. */
static inline DP_AVX512_POPCNT __m512i count8(const uint8_t *c, size_t words, __m512i qv)
{
	__mmask8 m = (__mmask8)(words >= 8 ? 0xff : (1u << words) - 1);

	return _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_maskz_loadu_epi64(m, c), qv));
}

DP_AVX512_POPCNT void dp_hamming256_many_avx512(const uint8_t q[DP_PDQ_BYTES], const uint8_t *codes,
						size_t n, uint16_t *dist)
{
	const __m512i qv = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(const void *)q));
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		const uint8_t *c = codes + i * DP_PDQ_BYTES;

		_mm_storeu_si128((__m128i *)(void *)(dist + i),
				 fold8(count8(c, 8, qv), count8(c + 64, 8, qv), count8(c + 128, 8, qv),
				       count8(c + 192, 8, qv)));
	}
	/* The last 1-7 codes (index buckets hold a few codes each, so this is
	 * most calls): masked loads read only their words, the masked store
	 * writes only their distances. */
	if (i < n) {
		const uint8_t *c = codes + i * DP_PDQ_BYTES;
		size_t w = 4 * (n - i);

		_mm_mask_storeu_epi16(dist + i, (__mmask8)((1u << (n - i)) - 1),
				      fold8(count8(c, w, qv), count8(c + 64, w > 8 ? w - 8 : 0, qv),
					    count8(c + 128, w > 16 ? w - 16 : 0, qv),
					    count8(c + 192, w > 24 ? w - 24 : 0, qv)));
	}
}

DP_AVX512_POPCNT void dp_hamming64_many_avx512(uint64_t q, const uint64_t *codes, size_t n,
					       uint16_t *dist)
{
	const __m512i qv = _mm512_set1_epi64((long long)q);

	for (size_t i = 0; i < n; i += 8) {
		size_t w = n - i < 8 ? n - i : 8;

		_mm_mask_storeu_epi16(dist + i, (__mmask8)((1u << w) - 1),
				      _mm512_cvtepi64_epi16(count8((const uint8_t *)(codes + i), w, qv)));
	}
}

#endif
