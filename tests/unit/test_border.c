/* tests/unit/test_border.c - dp_border_find: letterbox bars, frames, and images without borders.
 *
 * Synthetic float luma images with known borders: bars of several
 * thicknesses and colours on chosen sides, ringing noise inside the
 * tolerance, a photo-like interior (random texture, whose lines are never
 * uniform). Checks the exact box found (DP_BORDER_RAMP_LINES past each
 * bar), the thickness threshold, that uniform lines over 40% of a side or
 * without an edge (smooth pictures) are no border, that one side alone or
 * two at a corner are none (bars come in opposite pairs), and that
 * border-free or too-small images report none.
 *
 * Usage: test_border [--seed N]
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../testrng.h"
#include "kernels.h"

#define R DP_BORDER_RAMP_LINES   /* cut past each bar */

/* A w x h image: textured interior, bars of value `bar` with the given
 * thicknesses (left, top, right, bottom), noise up to `ring` on the bars. */
static float *make(int w, int h, const int t[4], float bar, float ring)
{
	float *im = xmalloc((size_t)w * (size_t)h * sizeof(float));

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			int in = x >= t[0] && y >= t[1] && x < w - t[2] && y < h - t[3];
			float noise = ring * ((float)(rng_next() % 2001) / 1000.0f - 1.0f);

			im[(size_t)y * w + x] = in ? (float)(40 + rng_next() % 180) : bar + noise;
		}
	return im;
}

static void check(int w, int h, const int t[4], float bar, float ring, int min_lines,
		  int want_found, const int want[4], const char *what)
{
	float *im = make(w, h, t, bar, ring);
	int box[4], found = dp_border_find(im, w, h, min_lines, box);

	tap_ok(found == want_found && !memcmp(box, want, sizeof(box)),
	       "%s: found %d box %d,%d,%d,%d (want %d: %d,%d,%d,%d)", what, found, box[0], box[1],
	       box[2], box[3], want_found, want[0], want[1], want[2], want[3]);
	free(im);
}

int main(int argc, char **argv)
{
	unsigned long long seed;

	if (tap_seed(argc, argv, 77, &seed))
		return 2;
	rng_state = seed ? seed : 1;
	check(400, 300, (const int[]){ 0, 0, 0, 0 }, 0, 0, 2, 0, (const int[]){ 0, 0, 400, 300 },
	      "no border");
	check(400, 300, (const int[]){ 0, 40, 0, 40 }, 0, 0, 2, 1, (const int[]){ 0, 40 + R, 400, 260 - R },
	      "black letterbox bars");
	check(400, 300, (const int[]){ 30, 0, 30, 0 }, 255, 0, 2, 1, (const int[]){ 30 + R, 0, 370 - R, 300 },
	      "white pillarbox bars");
	check(401, 301, (const int[]){ 7, 9, 11, 13 }, 128, 10, 2, 1,
	      (const int[]){ 7 + R, 9 + R, 390 - R, 288 - R }, "grey frame, uneven, with ringing within 10");
	check(400, 300, (const int[]){ 0, 1, 0, 0 }, 0, 0, 3, 0, (const int[]){ 0, 0, 400, 300 },
	      "a one-line bar under min_lines");
	check(400, 300, (const int[]){ 0, 0, 0, 200 }, 0, 0, 2, 0, (const int[]){ 0, 0, 400, 300 },
	      "uniform lines over 40% of the side: not a bar");
	check(400, 300, (const int[]){ 30, 0, 30, 200 }, 0, 0, 2, 1, (const int[]){ 30 + R, 0, 370 - R, 300 },
	      "bars beside a region too wide to be one: the bars alone");
	check(400, 300, (const int[]){ 0, 60, 0, 0 }, 250, 0, 2, 0, (const int[]){ 0, 0, 400, 300 },
	      "one side alone (a flat sky above the picture): no border");
	check(400, 300, (const int[]){ 30, 40, 0, 0 }, 0, 0, 2, 0, (const int[]){ 0, 0, 400, 300 },
	      "two sides at a corner: no border");
	check(400, 300, (const int[]){ 20, 20, 20, 0 }, 128, 5, 2, 1, (const int[]){ 20 + R, 20 + R, 380 - R, 300 },
	      "a frame without its fourth side: the three sides");
	check(12, 12, (const int[]){ 0, 3, 0, 3 }, 0, 0, 2, 0, (const int[]){ 0, 0, 12, 12 },
	      "images under 16 pixels: none");
	{
		/* Smooth pictures have no border: uniform, a gradient that fades
		 * past the tolerance, and the same with noise. */
		float *im = xmalloc(100 * 80 * sizeof(float));
		int box[4], found;

		for (int i = 0; i < 100 * 80; i++)
			im[i] = 77.0f;
		found = dp_border_find(im, 100, 80, 2, box);
		tap_ok(found == 0 && box[2] == 100 && box[3] == 80, "uniform image: no border");
		for (int y = 0; y < 80; y++)
			for (int x = 0; x < 100; x++)
				im[y * 100 + x] = 60.0f + 0.6f * (float)y;
		found = dp_border_find(im, 100, 80, 2, box);
		tap_ok(found == 0, "vertical gradient (48 levels): no border");
		for (int i = 0; i < 100 * 80; i++)
			im[i] = 60.0f + 0.5f * (float)(i % 100) + (float)(rng_next() % 9) - 4.0f;
		found = dp_border_find(im, 100, 80, 2, box);
		tap_ok(found == 0, "noisy horizontal gradient: no border");
		/* A smooth picture in a real frame: 6 lines of black, then a
		 * picture 18 grey levels above it, reached over a 2-line ramp. */
		for (int y = 0; y < 80; y++)
			for (int x = 0; x < 100; x++) {
				int d = x < y ? x : y;
				int e = 99 - x < 79 - y ? 99 - x : 79 - y;

				d = d < e ? d : e;
				im[y * 100 + x] = d < 6 ? 0.0f : d < 8 ? 6.0f * (float)(d - 5) : 18.0f;
			}
		found = dp_border_find(im, 100, 80, 2, box);
		tap_ok(found == 1 && box[0] == 8 + R && box[1] == 8 + R && box[2] == 92 - R &&
		       box[3] == 72 - R,
		       "flat picture in a black frame with a blurred edge: %d,%d,%d,%d",
		       box[0], box[1], box[2], box[3]);
		free(im);
	}
	return tap_done();
}
