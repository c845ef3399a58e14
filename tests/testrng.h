/* tests/testrng.h - the seeded random numbers and checked allocation of the unit tests.
 *
 * xorshift64* (Vigna): fast, deterministic for a seed, plenty for test data.
 * Tests seed it from tap_seed() so a failing run can be replayed with
 * --seed N. Header-only: static functions for the test programs.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_TESTS_TESTRNG_H
#define DP_TESTS_TESTRNG_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t rng_state = 1;

/* rng_next - the next 64 random bits. */
__attribute__((unused))
static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* xmalloc - malloc that ends the test program when memory runs out. */
__attribute__((unused))
static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	return p;
}

#endif
