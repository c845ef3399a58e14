/* tests/unit/test_crop_codes.c - dp_crop_codes: a crop's frame code is near a centre code of its photo, other pictures are not.
 *
 * Thumbnails are views of a smooth random picture (a sum of Gaussian
 * blobs, evaluated exactly), each 64 x 64 pixel the mean of 2 x 2 samples
 * of its cell, rounded to bytes as scan stores them. Checked:
 *   - the codes equal those of a reference computed here in double
 *     precision straight from the definition (bilinear resample of the
 *     centre, orthonormal 8 x 8 DCT, median by sorting), up to a bit where
 *     a coefficient lies within rounding of the median;
 *   - each code has bit 63 clear and 31 of its 63 bits set;
 *   - of CROPS crops of 1-8% per side, at least three in four have their
 *     frame code within DP_CROP_DISTANCE_DEFAULT of one of the photo's codes
 *     (nine in ten on most seeds), and the codes of the centres bring them
 *     nearer than the photo's frame code alone, on average;
 *   - views of other pictures are beyond DP_CROP_DISTANCE_DEFAULT of every
 *     code (about 20 bits at least);
 *   - a thumbnail whose grey levels span less than DP_CROP_MIN_RANGE (max -
 *     min) has no codes (0 returned, all zero), one spanning that much has.
 *
 * Usage: test_crop_codes [--seed N]
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../testrng.h"
#include "cluster.h"
#include "kernels.h"

#define BLOBS 24
#define CROPS 40
#define PI 3.14159265358979323846

struct picture {
	double x[BLOBS], y[BLOBS], r[BLOBS], amp[BLOBS];
};

static double unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

static void picture(struct picture *p)
{
	for (int b = 0; b < BLOBS; b++) {
		p->x[b] = unit();
		p->y[b] = unit();
		p->r[b] = 0.03 + 0.12 * unit();
		p->amp[b] = (unit() - 0.5) * 120;
	}
}

static double value(const struct picture *p, double x, double y)
{
	double v = 128;

	for (int b = 0; b < BLOBS; b++) {
		double dx = x - p->x[b], dy = y - p->y[b];

		v += p->amp[b] * exp(-(dx * dx + dy * dy) / (p->r[b] * p->r[b]));
	}
	return v;
}

/* The thumbnail of the window x0..x1, y0..y1 (picture units). */
static void view(const struct picture *p, double x0, double y0, double x1, double y1,
		 uint8_t out[DP_ALIGN_BYTES])
{
	for (int py = 0; py < DP_ALIGN_SIDE; py++)
		for (int px = 0; px < DP_ALIGN_SIDE; px++) {
			double sum = 0;

			for (int s = 0; s < 4; s++) {
				double u = (px + (s % 2 + 0.5) / 2) / DP_ALIGN_SIDE;
				double v = (py + (s / 2 + 0.5) / 2) / DP_ALIGN_SIDE;

				sum += value(p, x0 + u * (x1 - x0), y0 + v * (y1 - y0));
			}
			sum /= 4;
			out[py * DP_ALIGN_SIDE + px] = (uint8_t)(sum < 0 ? 0 : sum > 255 ? 255 : sum + 0.5);
		}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The codes by the definition, in double precision; *margin: the least
 * |coefficient - median| over the coefficients that are not the median. */
static void reference(const uint8_t *t, uint64_t codes[DP_CROP_CODES], double *margin)
{
	*margin = 1e30;
	for (int c = 0; c < DP_CROP_CODES; c++) {
		double s = 1.0 - 0.06 * c, px[32][32], coef[63], sorted[63], median;
		int n = 0;

		for (int y = 0; y < 32; y++)
			for (int x = 0; x < 32; x++) {
				double cy = (y + 0.5) / 32 * 64 * s + 32 * (1 - s) - 0.5;
				double cx = (x + 0.5) / 32 * 64 * s + 32 * (1 - s) - 0.5;
				int iy = (int)fmin(floor(cy), 62), ix = (int)fmin(floor(cx), 62);
				double fy = cy - iy, fx = cx - ix;

				px[y][x] = (1 - fy) * ((1 - fx) * t[iy * 64 + ix] + fx * t[iy * 64 + ix + 1]) +
					   fy * ((1 - fx) * t[(iy + 1) * 64 + ix] + fx * t[(iy + 1) * 64 + ix + 1]);
			}
		for (int u = 0; u < 8; u++)
			for (int v = 0; v < 8; v++) {
				double sum = 0;

				if (!u && !v)
					continue;
				for (int y = 0; y < 32; y++)
					for (int x = 0; x < 32; x++)
						sum += cos(PI * (2 * y + 1) * u / 64) *
						       cos(PI * (2 * x + 1) * v / 64) * px[y][x];
				coef[n++] = sum * sqrt((u ? 2.0 : 1.0) / 32) * sqrt((v ? 2.0 : 1.0) / 32);
			}
		memcpy(sorted, coef, sizeof(coef));
		qsort(sorted, 63, sizeof(double), cmp_double);
		median = sorted[31];
		codes[c] = 0;
		for (int k = 0; k < 63; k++) {
			codes[c] |= (uint64_t)(coef[k] > median) << (62 - k);
			if (coef[k] != median && fabs(coef[k] - median) < *margin)
				*margin = fabs(coef[k] - median);
		}
	}
}

/* Least distance of a's frame code to any code of b. */
static int frame_to_codes(const uint64_t a[DP_CROP_CODES], const uint64_t b[DP_CROP_CODES])
{
	int best = 64;

	for (int c = 0; c < DP_CROP_CODES; c++) {
		int d = (int)dp_hamming64(a[0], b[c]);

		best = d < best ? d : best;
	}
	return best;
}

int main(int argc, char **argv)
{
	static uint8_t base[DP_ALIGN_BYTES], crop[DP_ALIGN_BYTES], flat[DP_ALIGN_BYTES];
	uint64_t cb[DP_CROP_CODES], cc[DP_CROP_CODES], ref[DP_CROP_CODES];
	unsigned long long seed;
	struct picture p, q;
	int bad = 0, shape = 0, near = 0, sum_centre = 0, sum_frame = 0, other = 64, rc;
	double margin;

	if (tap_seed(argc, argv, 4321, &seed))
		return 2;
	rng_state = seed ? seed : 1;
	for (int k = 0; k < 12; k++) {
		picture(&p);
		view(&p, 0.1, 0.1, 0.9, 0.9, base);
		rc = dp_crop_codes(base, cb);
		reference(base, ref, &margin);
		for (int c = 0; c < DP_CROP_CODES; c++) {
			bad += rc != 1 || (cb[c] != ref[c] && (dp_hamming64(cb[c], ref[c]) > 1 ||
							       margin > 1e-3));
			shape += (cb[c] >> 63) || dp_hamming64(cb[c], 0) != 31;
		}
	}
	tap_ok(!bad, "codes equal the double-precision definition (%d differ beyond rounding)", bad);
	tap_ok(!shape, "each code has bit 63 clear and 31 bits set (%d do not)", shape);

	for (int k = 0; k < CROPS; k++) {
		double f[4];
		int d;

		picture(&p);
		view(&p, 0.1, 0.1, 0.9, 0.9, base);
		for (int i = 0; i < 4; i++)
			f[i] = (0.01 + 0.07 * unit()) * 0.8;
		view(&p, 0.1 + f[0], 0.1 + f[1], 0.9 - f[2], 0.9 - f[3], crop);
		if (dp_crop_codes(base, cb) != 1 || dp_crop_codes(crop, cc) != 1) {
			near = -CROPS;
			break;
		}
		d = frame_to_codes(cc, cb);
		near += d <= DP_CROP_DISTANCE_DEFAULT;
		sum_centre += d;
		sum_frame += (int)dp_hamming64(cc[0], cb[0]);
		if (k % 4)
			continue;
		picture(&q);
		view(&q, 0.1, 0.1, 0.9, 0.9, crop);
		if (dp_crop_codes(crop, cc) == 1) {
			d = frame_to_codes(cc, cb) < frame_to_codes(cb, cc) ? frame_to_codes(cc, cb)
									    : frame_to_codes(cb, cc);
			other = d < other ? d : other;
		}
	}
	tap_ok(near * 4 >= CROPS * 3 && sum_centre < sum_frame,
	       "crops of 1-8%% per side: frame within %d of a code of the photo in %d of %d; "
	       "mean distance %.1f, to the photo's frame alone %.1f", DP_CROP_DISTANCE_DEFAULT,
	       near, CROPS, (double)sum_centre / CROPS, (double)sum_frame / CROPS);
	tap_ok(other > DP_CROP_DISTANCE_DEFAULT, "other pictures: least distance %d", other);

	memset(flat, 100, sizeof(flat));
	for (int i = 0; i < DP_ALIGN_BYTES; i += 7)
		flat[i] = 100 + DP_CROP_MIN_RANGE - 1;
	cb[0] = cb[3] = 1;
	rc = dp_crop_codes(flat, cb);
	tap_ok(rc == 0 && !cb[0] && !cb[1] && !cb[2] && !cb[3],
	       "a thumbnail whose grey levels span %d: no codes", DP_CROP_MIN_RANGE - 1);
	flat[3] = 100 + DP_CROP_MIN_RANGE;
	tap_ok(dp_crop_codes(flat, cb) == 1, "... spanning %d: codes", DP_CROP_MIN_RANGE);
	return tap_done();
}
