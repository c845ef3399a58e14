/* kernels/hamming_avx2.c - one-to-many Hamming distances with AVX2 (nibble-lookup popcount).
 *
 * AVX2 has no vector popcount, so each byte's count is looked up per
 * nibble with VPSHUFB in a 16-entry table (Mula's method), and VPSADBW
 * against zero adds each 8-byte group of counts into a 64-bit lane. A
 * 256-bit code is one YMM register: its four lane sums (each <= 64) are
 * folded with those of three more codes into 16-bit lanes, so four
 * distances come out per iteration. 64-bit codes are four per register.
 * Integer arithmetic throughout: results equal the scalar reference
 * exactly. The n % 4 (n % 8) codes left over are counted the same way, one
 * code (up to four 64-bit codes, with a masked load) at a time.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#if DP_KERNELS_X86

#include <immintrin.h>

#define DP_AVX2 __attribute__((target("avx2")))

/* Per-byte popcount of v (each byte 0..8). */
static inline DP_AVX2 __m256i popcount_bytes(__m256i v)
{
	const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
					       0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
	const __m256i nibble = _mm256_set1_epi8(0x0f);
	__m256i lo = _mm256_and_si256(v, nibble);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble);

	return _mm256_add_epi8(_mm256_shuffle_epi8(table, lo), _mm256_shuffle_epi8(table, hi));
}

/* Popcount of each 64-bit lane of a ^ b (each 0..64). */
static inline DP_AVX2 __m256i popcount_xor64(__m256i a, __m256i b)
{
	return _mm256_sad_epu8(popcount_bytes(_mm256_xor_si256(a, b)), _mm256_setzero_si256());
}

DP_AVX2 void dp_hamming256_many_avx2(const uint8_t q[DP_PDQ_BYTES], const uint8_t *codes,
				     size_t n, uint16_t *dist)
{
	const __m256i qv = _mm256_loadu_si256((const __m256i *)(const void *)q);
	size_t i = 0;

	for (; i + 4 <= n; i += 4) {
		const __m256i *c = (const __m256i *)(const void *)(codes + i * DP_PDQ_BYTES);
		__m256i s0 = popcount_xor64(_mm256_loadu_si256(c + 0), qv);
		__m256i s1 = popcount_xor64(_mm256_loadu_si256(c + 1), qv);
		__m256i s2 = popcount_xor64(_mm256_loadu_si256(c + 2), qv);
		__m256i s3 = popcount_xor64(_mm256_loadu_si256(c + 3), qv);
		/* 32-bit lanes: s0 or s1 partial sums, in turn (each fits 16 bits)... */
		__m256i t01 = _mm256_or_si256(s0, _mm256_slli_epi64(s1, 32));
		__m256i t23 = _mm256_or_si256(s2, _mm256_slli_epi64(s3, 32));
		/* ...16-bit lanes: s0 s2 s1 s3 | s0 s2 s1 s3 ... (one per 64-bit lane of the code) */
		__m256i u = _mm256_or_si256(t01, _mm256_slli_epi32(t23, 16));
		/* Add the four 64-bit lanes of each code: halves, then pairs. */
		__m128i v = _mm_add_epi16(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));

		v = _mm_add_epi16(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
		v = _mm_shufflelo_epi16(v, _MM_SHUFFLE(3, 1, 2, 0));   /* s0 s2 s1 s3 -> s0 s1 s2 s3 */
		_mm_storel_epi64((__m128i *)(void *)(dist + i), v);
	}
	/* The last 1-3 codes one at a time (index buckets hold a few codes
	 * each, so this is most calls): add the code's four lane counts. */
	for (; i < n; i++) {
		__m256i s = popcount_xor64(_mm256_loadu_si256((const __m256i *)(const void *)
							      (codes + i * DP_PDQ_BYTES)), qv);
		__m128i h = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));

		dist[i] = (uint16_t)_mm_cvtsi128_si32(_mm_add_epi64(h, _mm_unpackhi_epi64(h, h)));
	}
}

DP_AVX2 void dp_hamming64_many_avx2(uint64_t q, const uint64_t *codes, size_t n, uint16_t *dist)
{
	const __m256i qv = _mm256_set1_epi64x((long long)q);
	const __m256i order = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		const __m256i *c = (const __m256i *)(const void *)(codes + i);
		__m256i s0 = popcount_xor64(_mm256_loadu_si256(c + 0), qv);   /* codes 0..3 */
		__m256i s1 = popcount_xor64(_mm256_loadu_si256(c + 1), qv);   /* codes 4..7 */
		/* 32-bit lanes c0 c4 c1 c5 c2 c6 c3 c7 -> c0..c7, then to 16 bits. */
		__m256i t = _mm256_permutevar8x32_epi32(_mm256_or_si256(s0, _mm256_slli_epi64(s1, 32)),
							order);
		__m128i v = _mm_packus_epi32(_mm256_castsi256_si128(t), _mm256_extracti128_si256(t, 1));

		_mm_storeu_si128((__m128i *)(void *)(dist + i), v);
	}
	/* The last 1-7 codes, four at a time with a masked load. */
	for (; i < n; i += 4) {
		size_t w = n - i < 4 ? n - i : 4;
		__m256i m = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)w),
					       _mm256_setr_epi64x(0, 1, 2, 3));
		uint64_t s[4];

		_mm256_storeu_si256((__m256i *)(void *)s,
				    popcount_xor64(_mm256_maskload_epi64((const long long *)(const void *)
									  (codes + i), m), qv));
		for (size_t k = 0; k < w; k++)
			dist[i + k] = (uint16_t)s[k];
	}
}

#endif
