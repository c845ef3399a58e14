/* src/image.c - growable pixel buffer (see image.h).
 *
 * SPDX-License-Identifier: MIT
 */
#include "image.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

int dp_image_reserve(struct dp_image *im, int w, int h, int channels)
{
	size_t need;
	uint8_t *p;

	if (w <= 0 || h <= 0 || channels <= 0)
		return DP_E_ARG;
	if ((size_t)w > SIZE_MAX / (size_t)h ||
	    (size_t)w * (size_t)h > SIZE_MAX / (size_t)channels)
		return DP_E_NOMEM;
	need = (size_t)w * (size_t)h * (size_t)channels;
	if (need > im->cap) {
		p = realloc(im->pix, need);
		if (!p)
			return DP_E_NOMEM;
		im->pix = p;
		im->cap = need;
	}
	im->w = w;
	im->h = h;
	im->channels = channels;
	im->ax = (struct dp_pdq_axis){ w, 1.0, 0.0 };
	im->ay = (struct dp_pdq_axis){ h, 1.0, 0.0 };
	return 0;
}

void dp_image_release(struct dp_image *im)
{
	if (!im)
		return;
	free(im->pix);
	im->pix = NULL;
	im->cap = 0;
	im->w = im->h = im->channels = 0;
}

/* Source coordinates of output pixel (x, y) for each EXIF orientation, with
 * W, H the stored size: 2 mirror, 3 rotate 180, 4 flip, 5 transpose,
 * 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise. */
static void orient_src(int o, int W, int H, int x, int y, int *sx, int *sy)
{
	switch (o) {
	case 2: *sx = W - 1 - x; *sy = y; break;
	case 3: *sx = W - 1 - x; *sy = H - 1 - y; break;
	case 4: *sx = x; *sy = H - 1 - y; break;
	case 5: *sx = y; *sy = x; break;
	case 6: *sx = y; *sy = H - 1 - x; break;
	case 7: *sx = W - 1 - y; *sy = H - 1 - x; break;
	case 8: *sx = W - 1 - y; *sy = x; break;
	default: *sx = x; *sy = y; break;
	}
}

/* An axis read backwards: span k now starts where span n-1-k ended. */
static struct dp_pdq_axis flip_axis(struct dp_pdq_axis a, int n)
{
	a.off = a.src - a.off - a.scale * n;
	return a;
}

/* The source geometry of the oriented image, from orient_src()'s mapping:
 * orientations 5..8 take output columns from stored rows. */
static void orient_axes(int o, const struct dp_image *im, struct dp_image *out)
{
	int transpose = o >= 5, flip_x, flip_y;
	struct dp_pdq_axis cx = transpose ? im->ay : im->ax;
	struct dp_pdq_axis cy = transpose ? im->ax : im->ay;
	int nx = transpose ? im->h : im->w, ny = transpose ? im->w : im->h;

	flip_x = o == 2 || o == 3 || o == 6 || o == 7;
	flip_y = o == 3 || o == 4 || o == 7 || o == 8;
	out->ax = flip_x ? flip_axis(cx, nx) : cx;
	out->ay = flip_y ? flip_axis(cy, ny) : cy;
}

int dp_image_orient(struct dp_image *im, int o, struct dp_image *tmp)
{
	int W = im->w, H = im->h, c = im->channels;
	int ow = o >= 5 && o <= 8 ? H : W;
	int oh = o >= 5 && o <= 8 ? W : H;
	struct dp_image swap;
	int rc;

	if (o < 2 || o > 8)
		return 0;
	rc = dp_image_reserve(tmp, ow, oh, c);
	if (rc)
		return rc;
	for (int y = 0; y < oh; y++) {
		uint8_t *dst = tmp->pix + (size_t)y * ow * c;

		for (int x = 0; x < ow; x++) {
			int sx, sy;
			const uint8_t *src;

			orient_src(o, W, H, x, y, &sx, &sy);
			src = im->pix + ((size_t)sy * W + sx) * c;
			for (int k = 0; k < c; k++)
				dst[x * c + k] = src[k];
		}
	}
	orient_axes(o, im, tmp);
	swap = *im;
	*im = *tmp;
	*tmp = swap;
	return 0;
}

int dp_image_resample_nearest(struct dp_image *im, int ow, int oh, struct dp_image *tmp)
{
	size_t c = (size_t)im->channels;
	struct dp_image swap;
	int rc;

	rc = dp_image_reserve(tmp, ow, oh, im->channels);
	if (rc)
		return rc;
	for (int y = 0; y < oh; y++) {
		size_t sy = (size_t)y * (size_t)im->h / (size_t)oh;
		uint8_t *dst = tmp->pix + (size_t)y * (size_t)ow * c;

		for (int x = 0; x < ow; x++) {
			size_t sx = (size_t)x * (size_t)im->w / (size_t)ow;

			memcpy(dst + (size_t)x * c, im->pix + (sy * (size_t)im->w + sx) * c, c);
		}
	}
	swap = *im;
	*im = *tmp;
	*tmp = swap;
	return 0;
}
