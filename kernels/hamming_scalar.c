/* kernels/hamming_scalar.c - Hamming distances of 64-bit and 256-bit codes (scalar reference).
 *
 * 256-bit codes are 32 bytes in any order (the distance does not depend on
 * it); they are read as four 64-bit words with memcpy, so codes need no
 * alignment. The one-to-many form is what brute-force search and candidate
 * verification call; SIMD variants (AVX2 nibble lookup, AVX-512 VPOPCNTQ)
 * will replace it through struct dp_kernels and must match exactly.
 * __builtin_popcountll compiles to POPCNT where the target has it and to a
 * bit-twiddling sequence otherwise.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <string.h>

unsigned dp_hamming64(uint64_t a, uint64_t b)
{
	return (unsigned)__builtin_popcountll(a ^ b);
}

unsigned dp_hamming256(const uint8_t a[DP_PDQ_BYTES], const uint8_t b[DP_PDQ_BYTES])
{
	unsigned d = 0;

	for (int i = 0; i < DP_PDQ_BYTES; i += 8) {
		uint64_t x, y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d += (unsigned)__builtin_popcountll(x ^ y);
	}
	return d;
}

void dp_hamming256_many_scalar(const uint8_t q[DP_PDQ_BYTES], const uint8_t *codes,
			       size_t n, uint16_t *dist)
{
	uint64_t qw[4];

	memcpy(qw, q, sizeof(qw));
	for (size_t i = 0; i < n; i++) {
		const uint8_t *c = codes + i * DP_PDQ_BYTES;
		unsigned d = 0;

		for (int w = 0; w < 4; w++) {
			uint64_t x;

			memcpy(&x, c + 8 * w, 8);
			d += (unsigned)__builtin_popcountll(x ^ qw[w]);
		}
		dist[i] = (uint16_t)d;
	}
}

void dp_hamming64_many_scalar(uint64_t q, const uint64_t *codes, size_t n, uint16_t *dist)
{
	for (size_t i = 0; i < n; i++)
		dist[i] = (uint16_t)__builtin_popcountll(q ^ codes[i]);
}
