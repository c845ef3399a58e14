/* tests/fuzz/fuzz_decode.c - fuzz target: bytes -> decode -> hashes, or an error.
 *
 * The entry point every scanned file goes through: dp_decode() (format
 * sniffing, libjpeg-turbo, libvips loaders, EXIF parsing) then
 * dp_hash_image() with every hash, in fast and in exact mode (the first
 * byte picks). It must return a status for any input and never crash, hang
 * or leak. Built two ways:
 *   - with tests/fuzz/replay.c into build/tests/test_fuzz_decode, which runs
 *     the seed corpus tests/fuzz/corpus/decode/ (and its regressions) under
 *     make check and the sanitizer build;
 *   - with clang -fsanitize=fuzzer by make fuzz, which explores from it.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "decode.h"
#include "err.h"
#include "hash.h"
#include "image.h"
#include "kernels.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp_decoder *dec;
	static struct dp_hash_scratch *hs;
	static struct dp_image im;
	struct dp_decode_opts o = { .orient = 1, .exact = 0, .reference = 0,
				    .max_pixels = 20u << 20, .min_side = 256 };
	struct dp_decode_info info;
	struct dp_hashes h;
	struct dp_err err;

	if (!dec) {
		dp_kernels_init();
		dec = dp_decoder_new();
		hs = dp_hash_scratch_new();
		if (!dec || !hs)
			abort();
	}
	if (size > 0 && (data[0] & 1))
		o.exact = 1;
	dp_err_clear(&err);
	if (dp_decode(dec, data, size, &o, &im, &info, &err) == 0 &&
	    dp_hash_image(&im, DP_HASH_ALL | DP_HASH_PDQDIH, hs, &h, &err) != 0)
		abort();   /* a decoded image must hash */
	return 0;
}
