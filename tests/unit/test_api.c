/* tests/unit/test_api.c - the public API (include/doppel.h), used as a client would.
 *
 * Includes nothing but doppel.h: hashes a reference image file and checks
 * the reference tool's PDQ; hashes pixels from memory (grey and RGB, with a
 * row stride); the Hamming helpers against each other; hex round trips;
 * and the error paths (missing file, text file, bad arguments). First,
 * that doppel_init sets VIPSHOME (unset here), so that libvips' start on a
 * worker thread leaves the environment alone.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L   /* unsetenv */
#include "doppel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"

#define REF_JPEG "tests/data/pdq/bridge-mods/aaa-orig.jpg"
#define REF_PDQ "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22"

static void test_file(void)
{
	struct doppel_hasher *h = doppel_hasher_new(DOPPEL_PDQ | DOPPEL_PHASH,
						    DOPPEL_REFERENCE_PDQ | DOPPEL_NO_ORIENT);
	struct doppel_hashes out;
	char why[256], hex[65];
	int st;

	tap_ok(h != NULL, "hasher created");
	st = doppel_hash_file(h, REF_JPEG, &out, why, sizeof(why));
	doppel_pdq_to_hex(out.pdq, hex);
	tap_ok(st == 0 && !strcmp(hex, REF_PDQ) && out.pdq_quality == 100,
	       "file hash equals the PDQ reference tool (%s q%d)", hex, out.pdq_quality);
	tap_ok(out.width == 1600 && out.height == 1004, "stored size reported (%dx%d)",
	       out.width, out.height);
	tap_ok(out.phash != 0 && out.dhash == 0, "only the asked hashes are computed");
	st = doppel_hash_file(h, "tests/data/does-not-exist.jpg", &out, why, sizeof(why));
	tap_ok(st == 1 && strstr(why, "No such file"), "missing file: status 1 (%s)", why);
	st = doppel_hash_file(h, "tests/tap.h", &out, why, sizeof(why));
	tap_ok(st == 3, "text file: status 3 not_image (%s)", why);
	tap_ok(doppel_hash_file(h, NULL, &out, why, sizeof(why)) == -1, "NULL path: -1");
	doppel_hasher_free(h);
	tap_ok(doppel_hasher_new(0, 0) == NULL, "no hash kinds: no hasher");
}

static void test_pixels(void)
{
	enum { W = 97, H = 61, STRIDE = 3 * W + 5 };
	struct doppel_hasher *h = doppel_hasher_new(DOPPEL_PDQ | DOPPEL_PHASH | DOPPEL_DHASH |
						    DOPPEL_AHASH, 0);
	uint8_t *rgb = malloc((size_t)STRIDE * H), *grey = malloc((size_t)W * H);
	struct doppel_hashes a, b;
	char why[256];

	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++) {
			uint8_t v = (uint8_t)((x * 7 + y * y) % 251);

			grey[y * W + x] = v;
			rgb[y * STRIDE + 3 * x] = rgb[y * STRIDE + 3 * x + 1] =
				rgb[y * STRIDE + 3 * x + 2] = v;
		}
	tap_ok(doppel_hash_pixels(h, grey, W, H, 1, W, &a, why, sizeof(why)) == 0,
	       "grey pixels hashed");
	tap_ok(doppel_hash_pixels(h, rgb, W, H, 3, STRIDE, &b, why, sizeof(why)) == 0,
	       "RGB pixels with a row stride hashed");
	tap_ok(doppel_hamming256(a.pdq, b.pdq) <= 2 && doppel_hamming64(a.phash, b.phash) <= 2,
	       "grey and equal-channel RGB give (almost) the same hashes (%d, %d bits)",
	       doppel_hamming256(a.pdq, b.pdq), doppel_hamming64(a.phash, b.phash));
	tap_ok(doppel_hash_pixels(h, grey, W, H, 2, W, &a, why, sizeof(why)) == -1,
	       "2 channels refused: %s", why);
	tap_ok(doppel_hash_pixels(h, grey, W, H, 1, W - 1, &a, why, sizeof(why)) == -1,
	       "short stride refused");
	free(rgb);
	free(grey);
	doppel_hasher_free(h);
}

static void test_hamming(void)
{
	uint8_t q[32], codes[32 * 5], x[32];
	uint16_t dist[5];
	int ok = 1;

	for (int i = 0; i < 32; i++)
		q[i] = (uint8_t)(i * 37 + 11);
	for (int i = 0; i < 32 * 5; i++)
		codes[i] = (uint8_t)(i * 101 + 7);
	doppel_hamming256_many(q, codes, 5, dist);
	for (int i = 0; i < 5; i++)
		ok &= dist[i] == doppel_hamming256(q, codes + 32 * i);
	tap_ok(ok, "one-to-many distances equal one-to-one");
	memset(x, 0, sizeof(x));
	tap_ok(doppel_hamming256(x, x) == 0 && doppel_hamming64(0, ~0ULL) == 64,
	       "distance bounds 0 and 64");
	tap_ok(doppel_pdq_from_hex(REF_PDQ, x) == 0, "hex parsed");
	{
		char hex[65];

		doppel_pdq_to_hex(x, hex);
		tap_ok(!strcmp(hex, REF_PDQ), "hex round trip");
	}
	tap_ok(doppel_pdq_from_hex("abc", x) == -1 && doppel_pdq_from_hex(REF_PDQ "0", x) == -1,
	       "bad hex refused");
}

/* The variants of the reference's bridge photo against its 8 transformed files. */
static void test_dihedral(void)
{
	static const char *const files[DOPPEL_DIHEDRAL] = {
		"1-original", "2-rotate-90", "3-rotate-180", "4-rotate-270",
		"5-flipx", "6-flipy", "7-flip-plus-1", "8-flip-minus-1",
	};
	struct doppel_hasher *h = doppel_hasher_new(DOPPEL_PDQ, DOPPEL_REFERENCE_PDQ |
						    DOPPEL_NO_ORIENT);
	uint8_t v[DOPPEL_DIHEDRAL][DOPPEL_PDQ_BYTES];
	struct doppel_hashes plain;
	char why[256], path[128];
	int q = -1;

	tap_ok(doppel_pdq_dihedral_file(h, "tests/data/pdq/reg-test-input/dih/bridge-1-original.jpg",
					v, &q, why, sizeof(why)) == 0 && q == 100,
	       "dihedral variants of a file (%s)", why);
	for (int i = 0; i < DOPPEL_DIHEDRAL; i++) {
		int d;

		snprintf(path, sizeof(path), "tests/data/pdq/reg-test-input/dih/bridge-%s.jpg", files[i]);
		if (doppel_hash_file(h, path, &plain, why, sizeof(why))) {
			tap_ok(0, "%s: %s", path, why);
			continue;
		}
		d = doppel_hamming256(v[i], plain.pdq);
		tap_ok(i == 0 ? d == 0 : d <= 24, "variant %s of bridge-1 is %d bits from bridge-%s",
		       doppel_dihedral_name(i), d, files[i]);
	}
	doppel_hasher_free(h);
}

int main(void)
{
	unsetenv("VIPSHOME");   /* the case under test: libvips would set it when it starts */
	if (doppel_init() != 0) {
		printf("1..0 # SKIP libvips cannot start\n");
		return 0;
	}
	tap_ok(strstr(doppel_version(), "doppel") != NULL, "version: %s", doppel_version());
	/* libvips' start, on whichever thread first decodes a non-JPEG, must
	 * find VIPSHOME set and leave the environment alone. */
	tap_ok(getenv("VIPSHOME") != NULL, "doppel_init sets VIPSHOME: %s",
	       getenv("VIPSHOME") ? getenv("VIPSHOME") : "(unset)");
	test_file();
	test_pixels();
	test_hamming();
	test_dihedral();
	return tap_done();
}
