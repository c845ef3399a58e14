/* tests/unit/test_align.c - dp_align_thumbs and dp_align_verdict: crops are copies, turned or shifted views the same scene, other pictures neither.
 *
 * A "scene" is a 768 x 768 random texture (a sum of soft blobs of random
 * size, contrast and place). Views of it are rendered at full resolution
 * by bilinear sampling (a window of the scene, optionally turned about its
 * centre), then area-averaged to a 64 x 64 byte thumbnail, stretched to
 * the full range, the way scan makes them. Checked:
 *   - the stretch (dp_align_to_bytes): its gain, its bound, the tone that
 *     undoes it, the few pixels at each end it clips (a caption);
 *   - the tone test of smooth pictures (dp_align_same_tone): a copy's
 *     luma keeps its mean and spread, a brighter or deeper one does not
 *     (the spread only where it is a grey level or more);
 *   - the same view, crops of 1-8% per side, crops with a tone change, and
 *     crops of crops are accepted, and the fitted map is the crop's;
 *   - so are crops of an unevenly lit picture whose grey levels went
 *     through a gamma of 0.8 or 1.25 (a tone curve, not a line: fitted
 *     with a linear tone only, the map took it up as a false skew);
 *   - so are re-encoded crops of smooth, faint pictures (a dark wall or
 *     face: luma standard deviation about 4, texture under 1 grey
 *     level), which the fit at sigma 1 alone gave a false shear, and
 *     such crops with a small timestamp (whose residuals made the RMS the
 *     weights were first cut at ten times the picture's); views of them
 *     turned 1.5 degrees stay the same scene;
 *   - so are crops that carry a caption (a timestamp-like strip of white
 *     and dark blocks in a corner, 3-5% of the picture): the fit weighs
 *     such pixels down instead of bending the map to them;
 *   - views turned by 1.5-4 degrees (skew about 0.035 per degree) (another shot of the scene), shifted
 *     views whose frame reaches outside the other, other scenes, and flat
 *     pictures are rejected;
 *   - the verdict: off-diagonal terms of one sign (a shear: fitting noise)
 *     do not stop a copy, terms of opposite signs (a turn) over 0.09
 *     degrees make it a near copy (up to 0.29 degrees), and any bend past
 *     DP_ALIGN_MAX_SKEW a sheared copy while its turn is within 3
 *     standard errors (at most 0.57 degrees), else the same scene, as
 *     when the frames are not nested; a sheared fit with a correlation of
 *     0.90-0.95 or a standard error of 0.003-0.004 is a loose sheared copy
 *     (not the same scene), beyond that neither; a standard error
 *     between DP_ALIGN_MAX_SKEW_ERROR and DP_ALIGN_NEAR_MAX_SKEW_ERROR
 *     makes a near copy; a fit that
 *     scales an axis by under 0.5 or over 2 is no camera move (not the
 *     same scene) and no crop (not a copy, turned or not);
 *   - the result is the same whatever the order of the calls (no state).
 *
 * Usage: test_align [--seed N]
 *
 * SPDX-License-Identifier: MIT
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../testrng.h"
#include "kernels.h"

#define S 768      /* scene side */
#define V 512      /* rendered view side */

static double unit(void)
{
	return (double)(rng_next() >> 11) / 9007199254740992.0;
}

/* Add n soft blobs of radius rmin..rmax and contrast -amp/2..amp/2 at random places to an S x S image. */
static void blobs(float *im, int n, double rmin, double rmax, double amp)
{
	for (int b = 0; b < n; b++) {
		double cx = unit() * S, cy = unit() * S, r = rmin + unit() * (rmax - rmin), a = (unit() - 0.5) * amp;

		for (int y = (int)fmax(0, cy - 3 * r); y < (int)fmin(S, cy + 3 * r); y++)
			for (int x = (int)fmax(0, cx - 3 * r); x < (int)fmin(S, cx + 3 * r); x++) {
				double d2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (r * r);

				im[y * S + x] += (float)(a * exp(-d2));
			}
	}
}

/* An S x S image of one grey. */
static float *canvas(float grey)
{
	float *im = xmalloc((size_t)S * S * sizeof(float));

	for (int i = 0; i < S * S; i++)
		im[i] = grey;
	return im;
}

/* A scene: 60 soft blobs on grey. */
static float *scene(void)
{
	float *im = canvas(128.0f);

	blobs(im, 60, 15, 75, 160);
	return im;
}

/*
 * A smooth, faint scene (a face or a wall in poor light): dark grey, a few
 * broad blobs and a faint texture of blobs about a thumbnail pixel wide
 * (luma standard deviation about 4 grey levels, PDQ quality under 10).
 */
static float *smooth_scene(void)
{
	float *im = canvas(90.0f);

	blobs(im, 8, 120, 260, 20);
	blobs(im, 4000, 3, 6, 12);
	return im;
}

/* Re-encoding noise on a thumbnail's luma: one pixel in six a grey level up, one in six down. */
static void reencode(float t[DP_ALIGN_BYTES])
{
	for (int i = 0; i < DP_ALIGN_BYTES; i++) {
		unsigned r = (unsigned)(rng_next() % 6);

		t[i] += (float)((r == 0) - (r == 1));
	}
}

/*
 * The 64 x 64 luma of the scene window x0..x1, y0..y1 (scene pixels),
 * turned by deg about the window's centre, with gain and offset applied.
 */
static void view_luma(const float *sc, double x0, double y0, double x1, double y1, double deg,
		      float gain, float offset, float small[DP_ALIGN_BYTES])
{
	float *im = xmalloc((size_t)V * V * sizeof(float));
	float *scratch = xmalloc(dp_resize_area_floats(V, V, 64, 64) * sizeof(float));
	double c = cos(deg * 3.14159265358979 / 180), s = sin(deg * 3.14159265358979 / 180);
	double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;

	for (int y = 0; y < V; y++)
		for (int x = 0; x < V; x++) {
			double u = x0 + (x + 0.5) * (x1 - x0) / V - cx, v = y0 + (y + 0.5) * (y1 - y0) / V - cy;
			double sx = cx + c * u - s * v - 0.5, sy = cy + s * u + c * v - 0.5;
			int ix = (int)floor(sx), iy = (int)floor(sy);
			double fx = sx - ix, fy = sy - iy;

			ix = ix < 0 ? 0 : ix > S - 2 ? S - 2 : ix;
			iy = iy < 0 ? 0 : iy > S - 2 ? S - 2 : iy;
			im[y * V + x] = (float)((1 - fy) * ((1 - fx) * sc[iy * S + ix] + fx * sc[iy * S + ix + 1]) +
						fy * ((1 - fx) * sc[(iy + 1) * S + ix] + fx * sc[(iy + 1) * S + ix + 1]));
		}
	dp_resize_area_scalar(im, V, V, small, 64, 64, scratch);
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		small[i] = small[i] * gain + offset;
	free(im);
	free(scratch);
}

/* That luma as scan stores it (stretched, rounded to bytes). */
static void view(const float *sc, double x0, double y0, double x1, double y1, double deg,
		 float gain, float offset, uint8_t out[DP_ALIGN_BYTES])
{
	float small[DP_ALIGN_BYTES];

	view_luma(sc, x0, y0, x1, y1, deg, gain, offset, small);
	dp_align_to_bytes(small, out, NULL);
}

/* Burn a caption into a thumbnail's luma: a strip of light and dark blocks, h rows high, at the corner. */
static void caption(float t[DP_ALIGN_BYTES], int corner, int h, int len)
{
	int y0 = corner & 2 ? DP_ALIGN_SIDE - 1 - h : 1, x0 = corner & 1 ? DP_ALIGN_SIDE - 1 - len : 1;

	for (int y = y0; y < y0 + h; y++)
		for (int x = x0; x < x0 + len; x++)
			t[y * DP_ALIGN_SIDE + x] = (x / 2 + y) % 3 ? 245.0f : 15.0f;
}

static struct dp_align_work work;

/* The least and greatest of a thumbnail's bytes. */
static void byte_range(const uint8_t t[DP_ALIGN_BYTES], int *lo, int *hi)
{
	*lo = 255;
	*hi = 0;
	for (int i = 0; i < DP_ALIGN_BYTES; i++) {
		*lo = t[i] < *lo ? t[i] : *lo;
		*hi = t[i] > *hi ? t[i] : *hi;
	}
}

/*
 * dp_align_to_bytes: a full-range picture is only rounded; a narrower one
 * is stretched to the full range, at most DP_ALIGN_MAX_GAIN times, with
 * the tone that undoes it, leaving out (clipping) DP_ALIGN_STRETCH_CLIP of
 * its pixels at each end; a caption on a faint texture does not set the
 * range; a flat picture is mid-grey.
 */
static void to_bytes(void)
{
	static float in[DP_ALIGN_BYTES];
	uint8_t out[DP_ALIGN_BYTES];
	float tone[2];
	double worst = 0;
	int lo, hi, clipped, levels = 0, seen[256] = { 0 };

	/* A ramp over 8..247 and a tenth of the pixels at each of 0 and 255. */
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		in[i] = i < DP_ALIGN_BYTES / 10 ? 0.0f : i >= DP_ALIGN_BYTES * 9 / 10 ? 255.0f :
			8.0f + 239.0f * (float)i / (DP_ALIGN_BYTES - 1);
	dp_align_to_bytes(in, out, tone);
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		worst = fmax(worst, fabs(out[i] - in[i]));
	tap_ok(tone[0] == 1.0f && fabsf(tone[1]) < 1e-4f && worst <= 0.5 + 1e-4,
	       "a picture spanning 0..255 is only rounded (gain %g, offset %g, error %.3f)", tone[0], tone[1], worst);

	/* 100..140, evenly: 3% at each end clip, the rest is undone by the tone. */
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		in[i] = 100.0f + 40.0f * (float)((i * 37) % DP_ALIGN_BYTES) / (DP_ALIGN_BYTES - 1);
	dp_align_to_bytes(in, out, tone);
	worst = 0;
	clipped = 0;
	for (int i = 0; i < DP_ALIGN_BYTES; i++) {
		if (out[i] == 0 || out[i] == 255) {
			clipped++;
			continue;
		}
		worst = fmax(worst, fabs((out[i] - tone[1]) / tone[0] - in[i]));
	}
	byte_range(out, &lo, &hi);
	tap_ok(fabs(tone[0] - 255.0 / (40.0 * (1.0 - 2.0 * DP_ALIGN_STRETCH_CLIP))) < 0.05 && lo == 0 &&
	       hi == 255 && clipped <= (int)(2.0f * DP_ALIGN_STRETCH_CLIP * DP_ALIGN_BYTES) + 16 &&
	       worst <= 0.5 / tone[0] + 1e-4,
	       "a picture spanning 100..140 is stretched to 0..255 (gain %g, %d bytes clipped), "
	       "(out - offset) / gain within half a level of the rest (%.4f)", tone[0], clipped, worst);

	/* A faint texture, 1.5 levels deep, with a caption on 2%: the caption clips. */
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		in[i] = i % 64 < 16 && i / 64 < 5 ? 250.0f :
			60.0f + 0.75f * sinf((float)(i % 64) * 0.4f) * cosf((float)(i / 64) * 0.3f);
	dp_align_to_bytes(in, out, tone);
	tap_ok(tone[0] == DP_ALIGN_MAX_GAIN && out[0] == 255,
	       "a caption on 2%% of a faint texture does not set the range (gain %g)", tone[0]);

	/* A faint texture, 1.5 grey levels deep: 2-3 levels rounded, many stretched. */
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		in[i] = 60.0f + 0.75f * sinf((float)(i % 64) * 0.4f) * cosf((float)(i / 64) * 0.3f);
	dp_align_to_bytes(in, out, tone);
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		levels += !seen[out[i]]++;
	tap_ok(tone[0] == DP_ALIGN_MAX_GAIN && levels >= 20,
	       "a texture 1.5 grey levels deep: gain capped at %g, %d distinct bytes", tone[0], levels);

	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		in[i] = 77.3f;
	dp_align_to_bytes(in, out, tone);
	byte_range(out, &lo, &hi);
	tap_ok(tone[0] == 1.0f && lo == 128 && hi == 128 && fabsf(tone[1] - (127.5f - 77.3f)) < 1e-4f,
	       "a flat picture: gain 1, every byte 128 (offset %g)", tone[1]);
}

/*
 * dp_align_same_tone on a smooth picture's luma (90 grey levels, a gradient
 * of one level and a faint texture): a copy (faint noise) holds the
 * same tone; the luma half a level brighter does not; its texture 1.5
 * times as deep does, as both spread less than DP_ALIGN_TONE_FLAT; with a
 * texture of about 3 levels, 1.5 times as deep does not, a copy does; nor
 * does a thumbnail without a tone (gain 0).
 */
static void same_tone(void)
{
	static float luma[DP_ALIGN_BYTES], other[DP_ALIGN_BYTES];
	uint8_t a[DP_ALIGN_BYTES], b[DP_ALIGN_BYTES];
	float ta[2], tb[2];
	uint64_t keep = rng_state;   /* the draws of the later checks stay as they were */

	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		luma[i] = 90.0f + (float)(i % 64) / 64.0f +
			  0.4f * sinf((float)(i % 64) * 0.7f) * cosf((float)(i / 64) * 0.5f);
	dp_align_to_bytes(luma, a, ta);
	for (int i = 0; i < DP_ALIGN_BYTES; i++)   /* noise averaged over a thumbnail pixel */
		other[i] = luma[i] + 0.1f * (float)(unit() - 0.5);
	dp_align_to_bytes(other, b, tb);
	tap_ok(dp_align_same_tone(a, ta, b, tb) && dp_align_same_tone(b, tb, a, ta),
	       "same tone: a smooth picture and its re-encoded copy (gains %g, %g)", ta[0], tb[0]);
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		other[i] = luma[i] + 0.5f;
	dp_align_to_bytes(other, b, tb);
	tap_ok(!dp_align_same_tone(a, ta, b, tb), "not the same tone: half a grey level brighter");
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		other[i] = 90.5f + 1.5f * (luma[i] - 90.5f);
	dp_align_to_bytes(other, b, tb);
	tap_ok(dp_align_same_tone(a, ta, b, tb),
	       "same tone: texture 1.5 times as deep, both under DP_ALIGN_TONE_FLAT (rounding)");
	for (int i = 0; i < DP_ALIGN_BYTES; i++)   /* a texture of about 3 levels */
		luma[i] = 90.5f + 8.0f * (luma[i] - 90.5f);
	dp_align_to_bytes(luma, a, ta);
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		other[i] = 90.5f + 1.5f * (luma[i] - 90.5f);
	dp_align_to_bytes(other, b, tb);
	tap_ok(!dp_align_same_tone(a, ta, b, tb), "not the same tone: a texture of 3 levels 1.5 times as deep");
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		other[i] = luma[i] + 0.1f * (float)(unit() - 0.5);
	dp_align_to_bytes(other, b, tb);
	tap_ok(dp_align_same_tone(a, ta, b, tb), "same tone: that picture and its re-encoded copy");
	tb[0] = 0.0f;
	tap_ok(!dp_align_same_tone(a, ta, a, tb), "not the same tone: no tone stored (gain 0)");
	rng_state = keep;
}

/* Give a fit the off-diagonal terms p1, p3, with the skew and turn they make. */
static void set_offdiag(struct dp_align_result *r, float p1, float p3)
{
	r->p[1] = p1;
	r->p[3] = p3;
	r->skew = fabsf(p1) + fabsf(p3);
	r->turn = p1 * p3 < 0 ? sqrtf(-p1 * p3) : 0;
}

/* The verdict on a and b; res filled. */
static int verdict(const uint8_t *a, const uint8_t *b, struct dp_align_result res[2])
{
	dp_align_thumbs(dp_kernels_get(), a, b, &work, res);
	return dp_align_verdict(res);
}

int main(int argc, char **argv)
{
	static uint8_t base[DP_ALIGN_BYTES], other[DP_ALIGN_BYTES], flat[DP_ALIGN_BYTES];
	struct dp_align_result res[2], again[2];
	unsigned long long seed;
	float *sc, *sc2;
	int acc;
	/* The base view: the scene's central 600 x 600 (room to turn and shift). */
	const double B0 = 84, B1 = 684, W = B1 - B0;

	if (tap_seed(argc, argv, 1234, &seed))
		return 2;
	rng_state = seed ? seed : 1;
	to_bytes();
	same_tone();
	sc = scene();
	sc2 = scene();
	view(sc, B0, B0, B1, B1, 0, 1, 0, base);

	acc = verdict(base, base, res);
	tap_ok(acc == DP_ALIGN_COPY && res[0].corr > 0.999f && res[0].skew < 1e-3f,
	       "a thumbnail matches itself (corr %.4f, skew %.5f)", res[0].corr, res[0].skew);

	for (int k = 0; k < 8; k++) {
		double f[4], expect0, expect2;
		uint8_t crop[DP_ALIGN_BYTES];

		for (int i = 0; i < 4; i++)
			f[i] = 0.01 + 0.07 * unit();
		view(sc, B0 + f[0] * W, B0 + f[1] * W, B1 - f[2] * W, B1 - f[3] * W, 0,
		     k & 1 ? 0.8f : 1.0f, k & 1 ? 30.0f : 0.0f, crop);
		/* Crop pixel u (centre u + 0.5 of 64) is base pixel p0 u + p2. */
		expect0 = 1 - f[0] - f[2];
		expect2 = 64 * f[0] + 0.5 * expect0 - 0.5;
		acc = verdict(base, crop, res);
		tap_ok(acc == DP_ALIGN_COPY,
		       "crop %.3f %.3f %.3f %.3f%s accepted (corr %.4f skew %.5f+-%.5f excess %.3f)",
		       f[0], f[1], f[2], f[3], k & 1 ? " with a tone change" : "", res[0].corr,
		       res[0].skew, res[0].skew_error, res[0].excess);
		tap_ok(res[0].ok && fabsf(res[0].p[0] - (float)expect0) < 0.01f &&
		       fabsf(res[0].p[2] - (float)expect2) < 0.6f,
		       "crop %d: fitted x scale %.4f shift %.2f (want %.4f, %.2f)", k, res[0].p[0],
		       res[0].p[2], expect0, expect2);
		/* The other order: the photo carried onto its crop reaches outside
		 * it, and the same fit, inverted, puts the crop inside the photo. */
		acc = verdict(crop, base, again);
		tap_ok(acc == DP_ALIGN_COPY && again[0].ok && again[0].excess > 0.01f &&
		       again[0].excess_back < 0.01f,
		       "crop %d: the same found in the other order (excess %.3f, back %.3f)", k,
		       again[0].excess, again[0].excess_back);
	}
	{
		uint8_t c1[DP_ALIGN_BYTES], c2[DP_ALIGN_BYTES];

		view(sc, B0 + 0.05 * W, B0 + 0.02 * W, B1 - 0.01 * W, B1 - 0.06 * W, 0, 1, 0, c1);
		view(sc, B0 + 0.07 * W, B0 + 0.05 * W, B1 - 0.04 * W, B1 - 0.08 * W, 0, 1, 0, c2);
		acc = verdict(c1, c2, res);
		tap_ok(acc == DP_ALIGN_COPY, "a crop of a crop is accepted (excess %.3f %.3f)",
		       res[0].excess, res[1].excess);
	}
	{
		/* A picture lit unevenly (a ramp from a dark corner to a bright one
		 * under weaker texture): a gamma moves its mid-tones across the frame. */
		float *lit = xmalloc((size_t)S * S * sizeof(float)), luma[DP_ALIGN_BYTES];
		int bad = 0;

		for (int y = 0; y < S; y++)
			for (int x = 0; x < S; x++)
				lit[y * S + x] = 0.35f * (sc[y * S + x] - 128.0f) + 230.0f * (float)(x + 2 * y) / (3 * S) + 10.0f;
		view(lit, B0, B0, B1, B1, 0, 1, 0, other);
		for (int k = 0; k < 8; k++) {
			double f = 0.01 + 0.05 * unit(), gamma = k & 1 ? 1.25 : 0.8;
			uint8_t crop[DP_ALIGN_BYTES];

			view_luma(lit, B0 + f * W, B0 + f * W, B1 - f * W, B1 - f * W, 0, 1, 0, luma);
			for (int i = 0; i < DP_ALIGN_BYTES; i++)
				luma[i] = (float)(255.0 * pow(fmin(fmax(luma[i], 0.0f), 255.0f) / 255.0, gamma));
			dp_align_to_bytes(luma, crop, NULL);
			acc = verdict(other, crop, res);
			bad += acc != DP_ALIGN_COPY;
		}
		tap_ok(!bad, "crops of an unevenly lit picture with a gamma of 0.8 or 1.25 are copies "
		       "(%d of 8 not)", bad);
		free(lit);
	}
	{
		/*
		 * Smooth pictures: the sigma-1 level alone fitted a false shear to
		 * about one such copy in eleven (one or two in a thousand with the
		 * sharp level, where the turn's standard error is near the copy
		 * bound: 0-2 of 48 over 40 seeds; 0-1 since thumbnails are
		 * stretched to the full range).
		 * A timestamp of 2 x 16 thumbnail pixels on them: with the cut
		 * taken from the residual's RMS, 43-48 of 48 were not copies; from
		 * its median, 0-3 (over 40 seeds; 0-2 stretched). The noise and
		 * the timestamp go on the luma before the stretch, as in a copy.
		 */
		int bad = 0, captioned_bad = 0, turned_bad = 0;
		float luma[DP_ALIGN_BYTES];

		for (int p = 0; p < 12; p++) {
			float *sm = smooth_scene();

			view_luma(sm, B0, B0, B1, B1, 0, 1, 0, luma);
			reencode(luma);
			dp_align_to_bytes(luma, other, NULL);
			for (int k = 0; k < 4; k++) {
				double f[4];
				uint8_t copy[DP_ALIGN_BYTES];

				for (int i = 0; i < 4; i++)
					f[i] = 0.005 + 0.03 * unit();
				view_luma(sm, B0 + f[0] * W, B0 + f[1] * W, B1 - f[2] * W, B1 - f[3] * W, 0, 1, 0,
					  luma);
				reencode(luma);
				dp_align_to_bytes(luma, copy, NULL);
				bad += verdict(other, copy, res) != DP_ALIGN_COPY;
				caption(luma, k, 2, 16);
				dp_align_to_bytes(luma, copy, NULL);
				captioned_bad += verdict(other, copy, res) != DP_ALIGN_COPY;
				view_luma(sm, B0 + f[0] * W, B0 + f[1] * W, B1 - f[2] * W, B1 - f[3] * W,
					  k & 1 ? 1.5 : -1.5, 1, 0, luma);
				reencode(luma);
				dp_align_to_bytes(luma, copy, NULL);
				turned_bad += verdict(other, copy, res) != DP_ALIGN_SCENE;
			}
			free(sm);
		}
		tap_ok(bad <= 2, "re-encoded crops of smooth, faint pictures are copies (%d of 48 not)", bad);
		tap_ok(captioned_bad <= 4, "so are those crops with a small timestamp (%d of 48 not)", captioned_bad);
		tap_ok(!turned_bad, "views of them turned 1.5 degrees are the same scene (%d of 48 not)",
		       turned_bad);
	}
	for (int k = 0; k < 4; k++) {
		double f[4], expect0;
		uint8_t crop[DP_ALIGN_BYTES];
		float luma[DP_ALIGN_BYTES];

		for (int i = 0; i < 4; i++)
			f[i] = 0.01 + 0.07 * unit();
		view_luma(sc, B0 + f[0] * W, B0 + f[1] * W, B1 - f[2] * W, B1 - f[3] * W, 0, 1, 0, luma);
		caption(luma, k, 3 + k / 2, 30 + 6 * (k & 1));
		dp_align_to_bytes(luma, crop, NULL);
		expect0 = 1 - f[0] - f[2];
		acc = verdict(base, crop, res);
		tap_ok(acc == DP_ALIGN_COPY && fabsf(res[0].p[0] - (float)expect0) < 0.01f,
		       "crop %d with a caption in corner %d accepted, x scale %.4f (want %.4f; corr %.4f "
		       "skew %.5f+-%.5f turn %.5f)", k, k, res[0].p[0], expect0, res[0].corr, res[0].skew,
		       res[0].skew_error, res[0].turn);
	}
	for (int k = 0; k < 6; k++) {
		double deg = (1.5 + 2.5 * unit()) * (k & 1 ? -1 : 1), f = 0.03 + 0.04 * unit();
		uint8_t turned[DP_ALIGN_BYTES];
		float luma[DP_ALIGN_BYTES];

		view_luma(sc, B0 + f * W, B0 + f * W, B1 - f * W, B1 - f * W, deg, 1, 0, luma);
		dp_align_to_bytes(luma, turned, NULL);
		acc = verdict(base, turned, res);
		tap_ok(acc == DP_ALIGN_SCENE,
		       "a view turned %.2f degrees is another shot of the scene (corr %.4f, skew %.4f / %.4f)", deg,
		       res[0].corr, res[0].skew, res[1].skew);
		tap_ok(res[0].ok && res[0].skew > 0.025f * (float)fabs(deg),
		       "turned %.2f degrees: skew %.4f shows the turn", deg, res[0].skew);
		caption(luma, k, 5, 40);
		dp_align_to_bytes(luma, turned, NULL);
		acc = verdict(base, turned, res);
		tap_ok(acc == DP_ALIGN_SCENE, "turned %.2f degrees with a caption: still not a copy "
		       "(skew %.4f / %.4f)", deg, res[0].skew, res[1].skew);
	}
	for (int k = 0; k < 4; k++) {
		double dx = (0.05 + 0.05 * unit()) * (k & 1 ? -1 : 1) * W, dy = (k & 2 ? 0.06 : -0.04) * W;
		uint8_t shifted[DP_ALIGN_BYTES];

		view(sc, B0 + dx, B0 + dy, B1 + dx, B1 + dy, 0, 1, 0, shifted);
		acc = verdict(base, shifted, res);
		tap_ok(acc == DP_ALIGN_SCENE && res[0].ok && res[0].excess > 0.03f,
		       "a view shifted by %.0f, %.0f reaches outside the frame: same scene, not a copy (excess %.3f %.3f)", dx,
		       dy, res[0].excess, res[1].excess);
	}
	view(sc2, B0, B0, B1, B1, 0, 1, 0, other);
	acc = verdict(base, other, res);
	tap_ok(acc == DP_ALIGN_NONE, "another scene is rejected (ok %d corr %.3f)", res[0].ok,
	       res[0].corr);
	memset(flat, 90, sizeof(flat));
	acc = verdict(flat, flat, res);
	tap_ok(acc == DP_ALIGN_NONE && !res[0].ok && !res[1].ok,
	       "two flat thumbnails have nothing to align on");
	for (int i = 0; i < DP_ALIGN_BYTES; i++)
		flat[i] = (uint8_t)(60 + (i % 64) * 2);   /* a ramp: only one direction pinned */
	acc = verdict(flat, flat, res);
	tap_ok(acc == DP_ALIGN_NONE, "a plain ramp is not accepted (skew error %.4f)",
	       res[0].skew_error);
	{
		/* A fitted copy, then its off-diagonal terms changed. */
		struct dp_align_result r[2] = { { .ok = 1, .p = { 0.95f, 0, 2, 0, 0.93f, 1 }, .corr = 0.98f,
						  .skew_error = 0.001f, .inside = 0.9f, .excess = 0 } };
		struct { float p0, p1, p3; int want; const char *what; } cases[] = {
			{ 0.95f, 0.0f, 0.0f, DP_ALIGN_COPY, "no off-diagonal terms" },
			{ 0.95f, 0.005f, 0.004f, DP_ALIGN_COPY, "a shear of 0.009 (turn 0)" },
			{ 0.95f, -0.001f, 0.0015f, DP_ALIGN_COPY, "a turn of 0.0012 (0.07 degrees)" },
			{ 0.95f, -0.002f, 0.003f, DP_ALIGN_NEAR_COPY, "a turn of 0.0024 (0.14 degrees)" },
			{ 0.95f, -0.004f, 0.005f, DP_ALIGN_NEAR_COPY, "a turn of 0.0045 (0.26 degrees)" },
			{ 0.95f, -0.0055f, 0.0055f, DP_ALIGN_SCENE, "a turn of 0.0055 (0.32 degrees)" },
			{ 0.95f, 0.007f, 0.005f, DP_ALIGN_SHEARED_COPY, "a shear of 0.012, over DP_ALIGN_MAX_SKEW" },
			{ 0.95f, 0.08f, 0.05f, DP_ALIGN_SHEARED_COPY, "a shear of 0.13" },
			{ 0.95f, -0.0008f, 0.02f, DP_ALIGN_SHEARED_COPY, "a shear with a turn of 0.004, within 3 standard errors" },
			{ 0.95f, -0.0015f, 0.02f, DP_ALIGN_SCENE, "a shear with a turn of 0.0055, over 3 standard errors" },
			{ 0.6f, -0.05f, 0.07f, DP_ALIGN_SCENE, "a turn of 3.4 degrees, x scaled by 0.6" },
			{ 0.3f, -0.05f, 0.07f, DP_ALIGN_NONE, "a turn of 3.4 degrees, x scaled by 0.3 (a collapsed fit)" },
			{ 0.38f, 0.0f, 0.0f, DP_ALIGN_NONE, "no turn, x scaled by 0.38 (a collapsed fit, not a crop)" },
			{ 2.5f, -0.05f, 0.07f, DP_ALIGN_NONE, "a turn of 3.4 degrees, x scaled by 2.5" },
		};
		static const char *name[] = { "neither", "same scene", "copy", "near copy", "sheared copy",
					      "loose sheared copy" };

		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			r[0].p[0] = cases[k].p0;
			set_offdiag(&r[0], cases[k].p1, cases[k].p3);
			tap_ok(dp_align_verdict(r) == cases[k].want, "verdict with %s: %s", cases[k].what,
			       name[cases[k].want]);
		}
		set_offdiag(&r[0], 0, 0);
		r[0].p[0] = 0.95f;
		r[0].excess = 0.05f;
		r[0].excess_back = 0.0f;
		tap_ok(dp_align_verdict(r) == DP_ALIGN_COPY, "verdict with B's frame reaching 5%% outside "
		       "A's and A's inside B's: copy");
		r[0].excess_back = 0.03f;
		tap_ok(dp_align_verdict(r) == DP_ALIGN_SCENE, "verdict with the frames reaching 5%% and 3%% "
		       "outside each other: same scene");
		r[0].excess = r[0].excess_back = 0.0f;
		r[0].skew_error = 0.0025f;
		tap_ok(dp_align_verdict(r) == DP_ALIGN_NEAR_COPY, "verdict with a standard error of 0.0025: "
		       "near copy");
		r[0].skew_error = 0.0035f;
		tap_ok(dp_align_verdict(r) == DP_ALIGN_SHEARED_LOOSE,
		       "verdict with a standard error of 0.0035: a loose sheared copy (not the same scene)");
		r[0].skew_error = 0.0045f;
		tap_ok(dp_align_verdict(r) == DP_ALIGN_NONE, "verdict with a standard error of 0.0045: neither");
		r[0].skew_error = 0.001f;
		r[0].corr = 0.92f;
		tap_ok(dp_align_verdict(r) == DP_ALIGN_SHEARED_LOOSE,
		       "verdict with a correlation of 0.92: a loose sheared copy");
		set_offdiag(&r[0], -0.0015f, 0.02f);
		tap_ok(dp_align_verdict(r) == DP_ALIGN_NONE,
		       "verdict with a correlation of 0.92 and a turn over 3 standard errors: neither");
		set_offdiag(&r[0], 0, 0);
		r[0].corr = 0.89f;
		tap_ok(dp_align_verdict(r) == DP_ALIGN_NONE, "verdict with a correlation of 0.89: neither");
		r[0].corr = 0.98f;
		/* A loose fit: the error lets a sheared copy turn further, never past 0.57 degrees. */
		r[0].skew_error = 0.0025f;
		set_offdiag(&r[0], -0.003f, 0.02f);
		tap_ok(dp_align_verdict(r) == DP_ALIGN_SHEARED_COPY, "verdict with a shear, a turn of 0.0077 "
		       "and a standard error of 0.0025: sheared copy");
		r[0].skew_error = 0.003f;
		set_offdiag(&r[0], -0.005f, 0.0205f);
		tap_ok(dp_align_verdict(r) == DP_ALIGN_SCENE, "verdict with a shear, a turn of 0.0101 and a "
		       "standard error of 0.003: same scene");
		r[0].excess = r[0].excess_back = 0.03f;
		set_offdiag(&r[0], 0.02f, 0);
		tap_ok(dp_align_verdict(r) == DP_ALIGN_SCENE, "verdict with a shear and the frames reaching 3%% "
		       "outside each other: same scene");
	}
	free(sc);
	free(sc2);
	return tap_done();
}
