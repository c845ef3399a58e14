/* kernels/border.c - find uniform borders (letterbox bars, frames, padding) around an image.
 *
 * Copies of a photo often gain a border: a letterbox to fit a screen, a
 * white frame, padding to a square. A global hash of the framed copy is far
 * from the photo's (the corpus tool measured a median PDQ distance of 91),
 * so scan also hashes the image with its border cut off (docs/CLUSTER.md).
 *
 * Each side is walked inwards while the line (row or column) is uniform and
 * of the colour of the outermost line: every pixel within DP_BORDER_TOL grey
 * levels of the outermost line's mean. Lines are scalar loops over the
 * float luma; this runs once per image on the shrunk decode (a few hundred
 * lines), so it has no SIMD variant.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <math.h>
#include <stddef.h>

#define DP_BORDER_TOL 12.0f      /* JPEG ringing next to a hard bar edge stays within this */
#define DP_BORDER_EDGE 24.0f     /* a line just past a bar differs from it by more */
#define DP_BORDER_EDGE_LINES 3   /* ... within this many lines */
#define DP_BORDER_MAX_SIDE 0.40  /* no side loses more than 40% of the image */

/* Mean and largest deviation from `ref` of n samples step apart. */
static float line_dev(const float *p, int n, ptrdiff_t step, float ref, float *mean)
{
	float dev = 0.0f;
	double sum = 0.0;

	for (int i = 0; i < n; i++) {
		float v = p[(ptrdiff_t)i * step];

		sum += v;
		if (fabsf(v - ref) > dev)
			dev = fabsf(v - ref);
	}
	*mean = (float)(sum / n);
	return dev;
}

/*
 * Lines of uniform border on one side: line k starts at first + k * lstep,
 * has n samples step apart; fewer than max lines. 0 when the outermost line
 * is not uniform, and 0 when the uniform lines do not end at an edge: when
 * they reach max, or the lines past them change only gradually. That is a
 * smooth or uniform picture (a wall, the sky, a gradient), not a bar:
 * cutting it would keep an arbitrary middle part, different in every copy.
 */
static int side(const float *first, ptrdiff_t lstep, int n, ptrdiff_t step, int max)
{
	float mean, ref, before;
	int k;

	line_dev(first, n, step, 0.0f, &ref);
	if (line_dev(first, n, step, ref, &mean) > DP_BORDER_TOL)
		return 0;
	for (k = 1; k < max; k++)
		if (line_dev(first + (ptrdiff_t)k * lstep, n, step, ref, &mean) > DP_BORDER_TOL)
			break;
	if (k == max)
		return 0;
	/* An edge: across a few lines on either side of the bar's end (resampling
	 * and sharpening blur it), a line's mean steps away from the bar's, or
	 * some pixel lies far from the bar's colour. A gradient changes too slowly
	 * for either. */
	line_dev(first + (ptrdiff_t)(k > DP_BORDER_EDGE_LINES ? k - DP_BORDER_EDGE_LINES : 0) * lstep,
		 n, step, ref, &before);
	for (int e = k; e < k + DP_BORDER_EDGE_LINES; e++)
		if (line_dev(first + (ptrdiff_t)e * lstep, n, step, ref, &mean) > DP_BORDER_EDGE ||
		    fabsf(mean - before) > DP_BORDER_TOL)
			return k;
	return 0;
}

int dp_border_find(const float *luma, int w, int h, int min_lines, int box[4])
{
	int mx = (int)(w * DP_BORDER_MAX_SIDE), my = (int)(h * DP_BORDER_MAX_SIDE);
	ptrdiff_t W = w;
	int top, bottom, left, right;

	box[0] = 0;
	box[1] = 0;
	box[2] = w;
	box[3] = h;
	if (w < 16 || h < 16)
		return 0;
	top = side(luma, W, w, 1, my);
	bottom = side(luma + (ptrdiff_t)(h - 1) * W, -W, w, 1, my);
	left = side(luma, 1, h, W, mx);
	right = side(luma + (w - 1), -1, h, W, mx);
	/* Count a side only when its border is at least min_lines thick. */
	top = top >= min_lines ? top : 0;
	bottom = bottom >= min_lines ? bottom : 0;
	left = left >= min_lines ? left : 0;
	right = right >= min_lines ? right : 0;
	/* Bars come in pairs: a letterbox or pillarbox has both, a frame all
	 * four. So the border needs two opposite sides; a third or fourth side
	 * may come with them (a frame one side of which runs into a part of the
	 * picture of its colour). One side alone, or two at a corner, is a flat
	 * part of the picture (a sky above a roof, a white wall) ending at an
	 * edge: cut, it would frame this copy differently from another whose
	 * noise or crop keeps that part. */
	if (!(top && bottom) && !(left && right))
		return 0;
	/* Resampling and JPEG blend the bar into the first lines of the
	 * picture. Kept, those lines are a dark or light edge along the frame,
	 * which the thumbnail's stretch makes the strongest feature of a smooth
	 * picture, so that it no longer aligns with its copies: cut them too. */
	top += top ? DP_BORDER_RAMP_LINES : 0;
	bottom += bottom ? DP_BORDER_RAMP_LINES : 0;
	left += left ? DP_BORDER_RAMP_LINES : 0;
	right += right ? DP_BORDER_RAMP_LINES : 0;
	box[0] = left;
	box[1] = top;
	box[2] = w - right;
	box[3] = h - bottom;
	return 1;
}
