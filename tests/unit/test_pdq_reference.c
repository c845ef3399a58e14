/* tests/unit/test_pdq_reference.c - PDQ of real JPEGs must equal Meta's reference output exactly.
 *
 * Reads tests/data/pdq/expected.csv ("hash,quality,path", path relative to
 * that folder; rows measured with the reference pdq-photo-hasher, see
 * tests/data/pdq/README.md), decodes each JPEG with plain libjpeg (default
 * settings: ISLOW IDCT, fancy upsampling, RGB out; greyscale JPEGs as
 * grey), hashes it through dp_hash_image() and requires the identical
 * 64-digit hash and quality. Other formats are skipped (they need libvips).
 *
 * Usage: test_pdq_reference [DIR]   (default tests/data/pdq, run from the
 * repository root; DIR must hold expected.csv and the images it names).
 *
 * SPDX-License-Identifier: MIT
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "../jpegref.h"
#include "../tap.h"
#include "err.h"
#include "hash.h"
#include "decode.h"
#include "image.h"
#include "kernels.h"

static int reference_shrink(struct dp_image *im, struct dp_image *dst)
{
	if (im->w <= DP_REFERENCE_SIDE && im->h <= DP_REFERENCE_SIDE)
		return 1;
	return dp_image_resample_nearest(im, DP_REFERENCE_SIDE, DP_REFERENCE_SIDE, dst) ? -1 : 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data/pdq";
	char path[4096], line[4096];
	struct dp_image im = { 0 }, small = { 0 };
	struct dp_hash_scratch *s = dp_hash_scratch_new();
	FILE *csv;
	int checked = 0;

	snprintf(path, sizeof(path), "%s/expected.csv", dir);
	csv = fopen(path, "r");
	if (!csv || !s) {
		printf("1..0 # SKIP cannot open %s\n", path);
		return 77;
	}
	while (fgets(line, sizeof(line), csv)) {
		char want[65], got[65], rel[3000], why[JMSG_LENGTH_MAX + 64];
		int want_q;
		struct dp_hashes h;
		struct dp_err err = { 0 };
		int rc;

		if (sscanf(line, "%64[0-9a-f],%d,%2999[^\r\n]", want, &want_q, rel) != 3)
			continue;   /* header, blank lines */
		if (!ends_with(rel, ".jpg") && !ends_with(rel, ".jpeg")) {
			tap_diag("skip %s (not a JPEG: needs libvips)", rel);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, rel);
		if (load_jpeg(path, &im, why, sizeof(why)) != 0) {
			tap_ok(0, "%s: decode: %s", rel, why);
			continue;
		}
		rc = reference_shrink(&im, &small);
		if (rc < 0) {
			tap_ok(0, "%s: out of memory", rel);
			continue;
		}
		if (dp_hash_image(&im, DP_HASH_PDQ, s, &h, &err) != 0) {
			tap_ok(0, "%s: %s", rel, err.msg);
			continue;
		}
		dp_hash_pdq_to_hex(h.pdq, got);
		if (!tap_ok(strcmp(got, want) == 0 && h.pdq_quality == want_q,
			    "%s (%dx%d) pdq %s q%d", rel, im.w, im.h, got, h.pdq_quality)) {
			uint8_t wb[32];

			if (dp_hash_pdq_from_hex(want, wb, &err) == 0)
				tap_diag("want %s q%d (distance %u)", want, want_q,
					 dp_hamming256(wb, h.pdq));
		}
		if (rc == 0) {
			/* For information: what skipping the tool's shrink would give. */
			struct dp_hashes full;

			if (dp_hash_image(&im, DP_HASH_PDQ, s, &full, &err) == 0)
				tap_diag("  hashed at full size instead: distance %u",
					 dp_hamming256(full.pdq, h.pdq));
		}
		checked++;
	}
	fclose(csv);
	tap_ok(checked > 0, "checked %d reference JPEGs", checked);
	dp_image_release(&im);
	dp_image_release(&small);
	dp_hash_scratch_free(s);
	return tap_done();
}
