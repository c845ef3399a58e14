/* kernels/align_scalar.c - register two thumbnails: is one an axis-aligned crop or rescale of the other?
 *
 * Global hashes cannot tell a cropped copy of a photo from another shot of
 * the same scene: both are a few percent of framing away (docs/CLUSTER.md,
 * "Alignment check"). Pixels can. A copy made by cropping, resizing,
 * re-encoding or retoning maps onto its source by a scale and a shift per
 * axis, with no rotation; another shot of the scene was taken with the
 * camera turned a little, so the best map between the two has a rotation
 * (or shear) part, and it reaches outside the other frame.
 *
 * dp_align_thumbs() fits, by Gauss-Newton least squares, the affine map
 *   A(p0 u + p1 v + p2, p3 u + p4 v + p5) = g B(u, v) + h + k c(B(u, v))
 * from every pixel (u, v) of thumbnail B that lands inside thumbnail A,
 * with gain g, offset h and curve k for tone changes: c(b) = (b - 128)^2 /
 * 128 bends the tone line the way a gamma of 0.8-1.25 does. Without the
 * curve, a gamma change left residuals that follow the picture's gradients,
 * and the map took them up as a false skew: a copy that differs from its
 * photo by a gamma alone failed the copy test on one textured thumbnail in
 * five. A ridge of RIDGE per unit of weight on k keeps a picture whose few
 * grey levels cannot tell a curve from a line (a smooth picture, where
 * c(B) is nearly constant) from using it. It starts from the identity on
 * 32x32 images blurred with sigma 2 (a wide basin for shifts of several
 * pixels), refines on the 64x64 images blurred with sigma 1, and then on
 * the 64x64 images blurred with sigma 0.5 (the sharp level).
 *
 * The sharp level is for smooth pictures (a face, a wall, a sky: PDQ
 * quality below 10). Their structure at the thumbnail's scale is a faint
 * texture that a blur of sigma 1 erases; what is left (a few broad
 * gradients) does not pin the map down, and a re-encoded copy got a false
 * shear of 0.01-0.02 and failed the copy test. The texture does pin it:
 * refined at sigma 0.5 from the sigma-1 map, tone and weights (at most
 * SHARP_ITER iterations: 40% fewer than a cold start with the full
 * MAX_ITER, the same groups to 0.001 of F1), such copies come out square.
 * The map, its skew and their errors are the sharp level's; when that
 * level cannot be fitted (too little overlap, a singular normal matrix),
 * or the correlation is already under DP_ALIGN_MIN_CORR (no verdict can
 * follow), the sigma-1 level's. The correlation is always the sigma-1
 * level's: at sigma 0.5 noise and encoding artefacts lower it by an amount that
 * depends on the encoder, not on the pictures, and the limits on it were
 * measured at sigma 1.
 *
 * The squares are weighted (Huber, iteratively reweighted): the cut is
 * ROBUST_K times the residual's robust standard deviation, 1.4826 times
 * the median |r| of the pixels inside (at least one grey level), taken at
 * the start of each level and after each iteration; a pixel whose
 * residual r exceeds the cut counts with weight cut / |r|, and one beyond
 * DP_ALIGN_REJECT_K cuts not at all. A caption, timestamp or logo burnt into one
 * copy is a few percent of the pixels with residuals of a hundred grey
 * levels; unweighted, the fit bends the map towards them (a false skew)
 * and its correlation drops below the limit. Weighted, they do not move
 * it. The median, unlike the RMS the cut was first taken from, is the
 * picture's own: on a smooth picture, whose residuals are a grey level or
 * two, a caption's few pixels made the RMS ten times that, the cut let
 * them in, and the first, unweighted iteration had already bent the map
 * to them. Correlation and the moments below are of the weighted pixels.
 *
 * It then reports the fit (Pearson correlation of the aligned pixels), the
 * off-diagonal terms |p1| + |p3| (zero for a crop or rescale; 2 sin of the
 * angle for a turn, about 0.035 per degree), their standard error from the
 * residual and the normal matrix (large when the picture has too little
 * structure to pin the map down), how far B's frame reaches outside A's,
 * and how far A's reaches outside B's under the inverse map: a crop is
 * told by one frame inside the other, whichever direction's fit shows it.
 * A turn of two pictures of one size gives p1 = -z sin(a) H/W and p3 =
 * z sin(a) W/H in thumbnail units: opposite signs, and sqrt(-p1 p3) = z
 * sin(a) whatever the aspect. That is `turn`. Off-diagonal terms of one
 * sign are a shear, which neither a crop nor another shot produces: on
 * smooth pictures it is the fit's noise (the residuals of a blurred
 * picture are correlated, so the standard error understates it), and the
 * copy test bounds the turn tightly and the whole skew only loosely; the
 * near-copy test bounds only the skew (so the turn to half of it).
 *
 * Sampling is bilinear; gradients are central differences (one-sided at
 * the edges); blurs are separable Gaussians with mirrored edges and fixed
 * weights. The per-pixel work is the row kernel of k (dp_align_row_scalar
 * and its SIMD variants, which give the same bits): sums run in a fixed
 * order (float along a row, in DP_ALIGN_LANES partial sums; double across
 * rows), so the result depends neither on the caller's threads nor on the
 * machine. The caller owns the working memory (struct dp_align_work). Pure.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#define N1 DP_ALIGN_SIDE         /* fine level */
#define N0 (DP_ALIGN_SIDE / 2)   /* coarse level */
#define NP 9                     /* p0..p5, gain, offset, curve */
#define RIDGE 1.0                /* damping of the curve term, per unit of pixel weight */
#define MAX_ITER 30
#define SHARP_ITER 10            /* the sharp level starts at the fine level's solution */
#define MIN_INSIDE 0.3           /* share of B's pixels that must land inside A */
#define STEP_DONE 0.01           /* a step moving no pixel more than this ends the iteration */
#define COARSE_MIN_CORR 0.9      /* below this after the coarse level: no match, stop */
#define GIVE_UP_AFTER 8          /* coarse iterations after which ... */
#define GIVE_UP_CORR 0.7         /* ... a correlation still below this ends the fit */
#define ROBUST_K 1.0f            /* Huber weights beyond this many robust SDs (at least 1 grey level) */

/*
 * Gaussian kernels, sigma 0.5 (radius 2), 1 (radius 4) and 2 (radius 8): exp(-i^2 /
 * 2 sigma^2) normalised to sum 1, written out so that no libm's expf can
 * change a weight (and with it a borderline verdict) from one machine to
 * another.
 */
static const float gauss05[5] = {
	0.000263865083f, 0.106450772f, 0.786570726f, 0.106450772f, 0.000263865083f,
};
static const float gauss1[9] = {
	0.000133830617f, 0.00443186145f, 0.0539911278f, 0.241971448f, 0.398943454f,
	0.241971448f, 0.0539911278f, 0.00443186145f, 0.000133830617f,
};
static const float gauss2[17] = {
	6.6916291e-05f, 0.000436349044f, 0.00221596309f, 0.00876430422f, 0.0269959588f,
	0.0647599325f, 0.12098749f, 0.176035762f, 0.199474648f, 0.176035762f, 0.12098749f,
	0.0647599325f, 0.0269959588f, 0.00876430422f, 0.00221596309f, 0.000436349044f,
	6.6916291e-05f,
};

/* Separable blur of an n x n image with kernel k (2r + 1 taps), mirrored edges (d c b | a b c d). */
static void blur(const float *in, float *out, float *tmp, int n, const float *k, int r)
{
	float line[DP_ALIGN_SIDE + 2 * 8];

	for (int pass = 0; pass < 2; pass++) {
		const float *src = pass ? tmp : in;
		float *dst = pass ? out : tmp;
		ptrdiff_t along = pass ? n : 1, across = pass ? 1 : n;

		for (int l = 0; l < n; l++) {
			for (int i = -r; i < n + r; i++) {
				int c = i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i;

				line[i + r] = src[l * across + c * along];
			}
			for (int i = 0; i < n; i++) {
				float acc = 0.0f;

				for (int t = 0; t <= 2 * r; t++)
					acc += k[t] * line[i + t];
				dst[l * across + i * along] = acc;
			}
		}
	}
}

/* Central-difference gradients of an n x n image (one-sided at the edges). */
static void gradients(const float *im, float *gx, float *gy, int n)
{
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			int x0 = x > 0 ? x - 1 : x, x1 = x < n - 1 ? x + 1 : x;
			int y0 = y > 0 ? y - 1 : y, y1 = y < n - 1 ? y + 1 : y;

			gx[y * n + x] = (im[y * n + x1] - im[y * n + x0]) / (float)(x1 - x0);
			gy[y * n + x] = (im[y1 * n + x] - im[y0 * n + x]) / (float)(y1 - y0);
		}
}

/*
 * The range of the stretch: lo, hi of in such that at most
 * DP_ALIGN_STRETCH_CLIP of the pixels lie below lo and as many above hi,
 * to 1/16 of a grey level (in 0..256, 4096 bins), within min..max.
 */
static void stretch_range(const float in[DP_ALIGN_BYTES], float *lo_out, float *hi_out)
{
	enum { BINS = 4096, PER_LEVEL = BINS / 256 };
	uint16_t hist[BINS] = { 0 };
	int cut = (int)(DP_ALIGN_STRETCH_CLIP * DP_ALIGN_BYTES), below = 0, above = 0, lo, hi;
	float mn = in[0], mx = in[0];

	for (int i = 0; i < DP_ALIGN_BYTES; i++) {
		int b = (int)(in[i] * PER_LEVEL);

		hist[b < 0 ? 0 : b >= BINS ? BINS - 1 : b]++;
		mn = in[i] < mn ? in[i] : mn;
		mx = in[i] > mx ? in[i] : mx;
	}
	for (lo = 0; lo < BINS - 1 && below + hist[lo] <= cut; lo++)
		below += hist[lo];
	for (hi = BINS - 1; hi > 0 && above + hist[hi] <= cut; hi--)
		above += hist[hi];
	*lo_out = (float)lo / PER_LEVEL > mn ? (float)lo / PER_LEVEL : mn;
	*hi_out = (float)(hi + 1) / PER_LEVEL < mx ? (float)(hi + 1) / PER_LEVEL : mx;
	if (*hi_out < *lo_out)
		*hi_out = *lo_out;
}

void dp_align_to_bytes(const float in[DP_ALIGN_BYTES], uint8_t out[DP_ALIGN_BYTES], float tone[2])
{
	float lo, hi, g = 1.0f, o;

	stretch_range(in, &lo, &hi);
	if (hi - lo > 0.0f)
		g = 255.0f / (hi - lo);
	g = g < 1.0f ? 1.0f : g > DP_ALIGN_MAX_GAIN ? DP_ALIGN_MAX_GAIN : g;
	o = 127.5f - g * (0.5f * (lo + hi));
	for (int i = 0; i < DP_ALIGN_BYTES; i++) {
		float v = g * in[i] + o + 0.5f;

		out[i] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : (uint8_t)v;
	}
	if (tone) {
		tone[0] = g;
		tone[1] = o;
	}
}

/* Mean and standard deviation of the luma of thumbnail t of tone (gain, offset). */
static void luma_moments(const uint8_t t[DP_ALIGN_BYTES], const float tone[2], double out[2])
{
	double s = 0.0, s2 = 0.0, var;

	for (int i = 0; i < DP_ALIGN_BYTES; i++) {
		s += t[i];
		s2 += (double)t[i] * t[i];
	}
	s /= DP_ALIGN_BYTES;
	var = s2 / DP_ALIGN_BYTES - s * s;
	out[0] = (s - tone[1]) / tone[0];
	out[1] = sqrt(var > 0.0 ? var : 0.0) / tone[0];
}

int dp_align_same_tone(const uint8_t a[DP_ALIGN_BYTES], const float tone_a[2],
		       const uint8_t b[DP_ALIGN_BYTES], const float tone_b[2])
{
	double ma[2], mb[2];

	if (!(tone_a[0] > 0.0f) || !(tone_b[0] > 0.0f))
		return 0;
	luma_moments(a, tone_a, ma);
	luma_moments(b, tone_b, mb);
	ma[1] = ma[1] > 1e-3 ? ma[1] : 1e-3;
	mb[1] = mb[1] > 1e-3 ? mb[1] : 1e-3;
	return fabs(ma[0] - mb[0]) <= DP_ALIGN_TONE_MEAN &&
	       ((ma[1] < DP_ALIGN_TONE_FLAT && mb[1] < DP_ALIGN_TONE_FLAT) ||
		fabs(log(ma[1] / mb[1])) <= DP_ALIGN_TONE_SPREAD);
}

/* One level's images (A, its gradients, B; all n x n) and the row kernel that sums them. */
struct level {
	struct dp_align_level im;
	dp_align_row_fn row;
};

/*
 * Solve the symmetric positive definite system m x = v (NP x NP, upper
 * triangle filled) by Cholesky; inv, when not NULL, receives the diagonal
 * of m's inverse. Returns -1 when m is not positive definite.
 */
static int solve(double m[NP][NP], const double v[NP], double x[NP], double inv_diag[NP])
{
	double l[NP][NP] = { { 0 } }, y[NP];

	for (int i = 0; i < NP; i++)
		for (int j = 0; j <= i; j++) {
			double s = m[j][i];

			for (int k = 0; k < j; k++)
				s -= l[i][k] * l[j][k];
			if (i == j) {
				if (!(s > 1e-12 * (m[i][i] > 1.0 ? m[i][i] : 1.0)))
					return -1;
				l[i][i] = sqrt(s);
			} else {
				l[i][j] = s / l[j][j];
			}
		}
	for (int i = 0; i < NP; i++) {
		double s = v[i];

		for (int k = 0; k < i; k++)
			s -= l[i][k] * y[k];
		y[i] = s / l[i][i];
	}
	for (int i = NP - 1; i >= 0; i--) {
		double s = y[i];

		for (int k = i + 1; k < NP; k++)
			s -= l[k][i] * x[k];
		x[i] = s / l[i][i];
	}
	/* diag(m^-1)_i = sum_k (L^-1)_{k,i}^2: solve L z = e_i. */
	for (int i = 0; inv_diag && i < NP; i++) {
		double z[NP] = { 0 }, s2 = 0.0;

		for (int r = i; r < NP; r++) {
			double s = r == i ? 1.0 : 0.0;

			for (int k = i; k < r; k++)
				s -= l[r][k] * z[k];
			z[r] = s / l[r][r];
			s2 += z[r] * z[r];
		}
		inv_diag[i] = s2;
	}
	return 0;
}

/* Running sums over the pixels of B that land inside A under q. */
struct sums {
	double m[NP][NP], v[NP];   /* normal matrix (upper triangle) and J^T r */
	double sa, sb, saa, sbb, sab, srr, wsum;
	long cnt;
	unsigned hist[DP_ALIGN_HIST_BINS];   /* |r| of the pixels inside, unweighted */
};

/*
 * Add one row's sums w (enum dp_align_q; v: the row) to the normal matrix
 * and J^T r of s. J = (gx u, gx v, gx, gy u, gy v, gy, -b, -1, -c) and v
 * is fixed along a row, so the row's sums of gx^2, gx gy, gy^2 times 1, u,
 * u^2 (and of gx b, gy b, gx, gy, gx r, gy r, gx c, gy c times 1, u) are
 * enough.
 */
static void add_row(struct sums *s, const float w[DP_AQ_N], double v)
{
	double (*m)[NP] = s->m, *jr = s->v;

	m[0][0] += w[DP_AQ_XX2]; m[0][1] += w[DP_AQ_XX1] * v; m[0][2] += w[DP_AQ_XX1];
	m[1][1] += w[DP_AQ_XX0] * v * v; m[1][2] += w[DP_AQ_XX0] * v; m[2][2] += w[DP_AQ_XX0];
	m[0][3] += w[DP_AQ_XY2]; m[0][4] += w[DP_AQ_XY1] * v; m[0][5] += w[DP_AQ_XY1];
	m[1][3] += w[DP_AQ_XY1] * v; m[1][4] += w[DP_AQ_XY0] * v * v; m[1][5] += w[DP_AQ_XY0] * v;
	m[2][3] += w[DP_AQ_XY1]; m[2][4] += w[DP_AQ_XY0] * v; m[2][5] += w[DP_AQ_XY0];
	m[3][3] += w[DP_AQ_YY2]; m[3][4] += w[DP_AQ_YY1] * v; m[3][5] += w[DP_AQ_YY1];
	m[4][4] += w[DP_AQ_YY0] * v * v; m[4][5] += w[DP_AQ_YY0] * v; m[5][5] += w[DP_AQ_YY0];
	m[0][6] -= w[DP_AQ_XB1]; m[1][6] -= w[DP_AQ_XB0] * v; m[2][6] -= w[DP_AQ_XB0];
	m[3][6] -= w[DP_AQ_YB1]; m[4][6] -= w[DP_AQ_YB0] * v; m[5][6] -= w[DP_AQ_YB0];
	m[0][7] -= w[DP_AQ_X1]; m[1][7] -= w[DP_AQ_X0] * v; m[2][7] -= w[DP_AQ_X0];
	m[3][7] -= w[DP_AQ_Y1]; m[4][7] -= w[DP_AQ_Y0] * v; m[5][7] -= w[DP_AQ_Y0];
	jr[0] += w[DP_AQ_XR1]; jr[1] += w[DP_AQ_XR0] * v; jr[2] += w[DP_AQ_XR0];
	jr[3] += w[DP_AQ_YR1]; jr[4] += w[DP_AQ_YR0] * v; jr[5] += w[DP_AQ_YR0];
	jr[6] -= w[DP_AQ_BR];
	jr[7] -= w[DP_AQ_R];
	m[0][8] -= w[DP_AQ_XC1]; m[1][8] -= w[DP_AQ_XC0] * v; m[2][8] -= w[DP_AQ_XC0];
	m[3][8] -= w[DP_AQ_YC1]; m[4][8] -= w[DP_AQ_YC0] * v; m[5][8] -= w[DP_AQ_YC0];
	m[6][8] += w[DP_AQ_BC]; m[7][8] += w[DP_AQ_C]; m[8][8] += w[DP_AQ_CC];
	jr[8] -= w[DP_AQ_CR];
	m[6][6] += w[DP_AQ_SBB];
	m[6][7] += w[DP_AQ_SB];
	m[7][7] += w[DP_AQ_WS];
}

/*
 * Accumulate the sums for map q, gain g, offset h, curve k, each pixel
 * weighted 1, or cut / |r| where its residual r exceeds cut > 0, or 0 where
 * it exceeds DP_ALIGN_REJECT_K cuts. With `normal` zero only the moments
 * (sa.. sab, srr, cnt, wsum, hist) are gathered. A row's sums are float
 * (lv->row, in its fixed order), added to the double sums at its end.
 */
static void accumulate(const struct level *lv, const double q[6], double g, double h, double k,
		       int normal, float cut, struct sums *s)
{
	struct dp_align_map m = { { q[0], q[1], q[2], q[3], q[4], q[5] },
				  (float)g, (float)h, (float)k, cut };
	float w[DP_AQ_N];

	memset(s, 0, sizeof(*s));
	for (int v = 0; v < lv->im.n; v++) {
		s->cnt += lv->row(&lv->im, v, &m, normal, w, s->hist);
		s->sa += w[DP_AQ_SA];
		s->sb += w[DP_AQ_SB];
		s->saa += w[DP_AQ_SAA];
		s->sbb += w[DP_AQ_SBB];
		s->sab += w[DP_AQ_SAB];
		s->srr += w[DP_AQ_SRR];
		s->wsum += w[DP_AQ_WS];
		if (normal)
			add_row(s, w, v);
	}
}

/* Damp the curve term (after accumulating the normal matrix). */
static void ridge(struct sums *s)
{
	s->m[8][8] += RIDGE * s->wsum;
}

static double correlation(const struct sums *s)
{
	double c = s->wsum;
	double va = s->saa - s->sa * s->sa / c, vb = s->sbb - s->sb * s->sb / c;

	if (s->cnt < 2 || va <= 1e-9 || vb <= 1e-9)
		return 0.0;
	return (s->sab - s->sa * s->sb / c) / sqrt(va * vb);
}

/* Too few of B's pixels landed inside A for a fit (MIN_INSIDE). */
static int too_few(const struct level *lv, const struct sums *s)
{
	return (double)s->cnt < MIN_INSIDE * lv->im.n * lv->im.n;
}

/* The weights' cut for the residuals summed in s: ROBUST_K robust standard deviations. */
static float robust_cut(const struct sums *s)
{
	long half = (s->cnt + 1) / 2, below = 0;
	int b = 0;
	float sd;

	for (; b < DP_ALIGN_HIST_BINS - 1; b++) {
		below += s->hist[b];
		if (below >= half)
			break;
	}
	sd = 1.4826f * ((float)b + 0.5f) / DP_ALIGN_HIST_STEP;   /* the median at its bin's middle */
	return ROBUST_K * (sd > 1.0f ? sd : 1.0f);
}

/* A fit in progress: the map, the tone (gain, offset, curve) and the weights' cut. */
struct fit_state {
	double q[6], g, h, k;
	float cut;
};

/*
 * A cold start on one level at map f->q: gain and offset from the moments,
 * no curve, and the cut from their residuals. Returns -1 when too few
 * pixels overlap.
 */
static int start(const struct level *lv, struct fit_state *f, struct sums *s)
{
	double c, va, vb;

	accumulate(lv, f->q, 0.0, 0.0, 0.0, 0, 0.0f, s);
	if (too_few(lv, s))
		return -1;
	c = (double)s->cnt;
	va = s->saa / c - (s->sa / c) * (s->sa / c);
	vb = s->sbb / c - (s->sb / c) * (s->sb / c);
	f->g = vb > 1e-9 ? sqrt(va > 0 ? va : 0) / sqrt(vb) : 1.0;
	f->h = s->sa / c - f->g * s->sb / c;
	f->k = 0.0;
	accumulate(lv, f->q, f->g, f->h, 0.0, 0, 0.0f, s);
	f->cut = robust_cut(s);
	return 0;
}

/*
 * Gauss-Newton on one level from *f (updated in place), at most max_iter
 * iterations, reweighted after each (f->cut: the weights' cut for the
 * final sums). Returns -1 when too
 * few pixels overlap, the normal matrix is singular (no structure to align
 * on), or the correlation is still below give_up after GIVE_UP_AFTER
 * iterations (two different pictures: a fit that wanders without
 * converging would otherwise run MAX_ITER).
 */
static int refine(const struct level *lv, struct fit_state *f, double give_up, int max_iter, struct sums *s)
{
	for (int it = 0; it < max_iter; it++) {
		double d[NP], step = 0.0;

		accumulate(lv, f->q, f->g, f->h, f->k, 1, f->cut, s);
		ridge(s);
		if (too_few(lv, s) || (it >= GIVE_UP_AFTER && correlation(s) < give_up))
			return -1;
		f->cut = robust_cut(s);
		for (int i = 0; i < NP; i++)
			s->v[i] = -s->v[i];
		if (solve(s->m, s->v, d, NULL))
			return -1;
		for (int i = 0; i < 6; i++) {
			/* the step's largest move of a pixel: linear terms act over the side */
			double move = fabs(d[i]) * (i % 3 == 2 ? 1.0 : lv->im.n);

			f->q[i] += d[i];
			if (move > step)
				step = move;
		}
		f->g += d[6];
		f->h += d[7];
		f->k += d[8];
		if (step < STEP_DONE)
			break;
	}
	return 0;
}

/* Blur a uint8 thumbnail into a float image at the three levels. */
static void prepare(const uint8_t *t, float *sharp, float *fine, float *coarse, float *tmp, float *tmp2)
{
	for (int i = 0; i < N1 * N1; i++)
		tmp2[i] = (float)t[i];
	blur(tmp2, sharp, tmp, N1, gauss05, 2);
	blur(tmp2, fine, tmp, N1, gauss1, 4);
	blur(tmp2, tmp2, tmp, N1, gauss2, 8);   /* in place is safe: the row pass reads in, writes tmp */
	for (int y = 0; y < N0; y++)
		for (int x = 0; x < N0; x++)
			coarse[y * N0 + x] = tmp2[(2 * y) * N1 + 2 * x];
}

/*
 * How far a 64 x 64 frame (-0.5 .. lim on each axis) mapped by the affine m
 * (x = m0 u + m1 v + m2, y = m3 u + m4 v + m5) reaches outside the other
 * frame, in pixels; 0 when it lies inside.
 */
static double reach(const double m[6], double lim)
{
	double ex = 0.0;

	for (int c = 0; c < 4; c++) {
		double u = c & 1 ? lim : -0.5, v = c & 2 ? lim : -0.5;
		double x = m[0] * u + m[1] * v + m[2], y = m[3] * u + m[4] * v + m[5];
		double o[4] = { -0.5 - x, x - lim, -0.5 - y, y - lim };

		for (int k = 0; k < 4; k++)
			if (o[k] > ex)
				ex = o[k];
	}
	return ex;
}

/* reach() of the inverse of q: how far A's frame reaches outside B's. */
static double reach_back(const double q[6], double lim)
{
	double det = q[0] * q[4] - q[1] * q[3], m[6];

	if (fabs(det) < 1e-9)
		return 1e9;
	m[0] = q[4] / det;
	m[1] = -q[1] / det;
	m[3] = -q[3] / det;
	m[4] = q[0] / det;
	m[2] = -(m[0] * q[2] + m[1] * q[5]);
	m[5] = -(m[3] * q[2] + m[4] * q[5]);
	return reach(m, lim);
}

/*
 * The final sums of a refined fit (the normal matrix's inverse diagonal
 * into inv); -1 when too few pixels overlap or the matrix is singular.
 */
static int conclude(const struct level *lv, const struct fit_state *f, struct sums *s, double inv[NP])
{
	double d[NP];

	accumulate(lv, f->q, f->g, f->h, f->k, 1, f->cut, s);
	ridge(s);
	if (too_few(lv, s))
		return -1;
	return solve(s->m, s->v, d, inv);
}

/* Fit b onto a, coarse to sharp (images prepared by dp_align_thumbs) into *res. */
static void fit(const struct level *lv0, const struct level *lv1, const struct level *lv2,
		struct dp_align_result *res)
{
	struct fit_state f = { { 1, 0, 0, 0, 1, 0 }, 0, 0, 0, 0 }, sharp;
	double inv[NP], inv2[NP], *iv = inv, lim = N1 - 0.5, corr;
	struct sums sums, sums2, *s = &sums;   /* sums and inverse diagonal of the level reported */

	memset(res, 0, sizeof(*res));
	if (start(lv0, &f, s) || refine(lv0, &f, GIVE_UP_CORR, MAX_ITER, s))
		return;
	accumulate(lv0, f.q, f.g, f.h, f.k, 0, f.cut, s);
	if (correlation(s) < COARSE_MIN_CORR)
		return;
	f.q[2] *= 2.0;   /* coarse pixel i is fine pixel 2i */
	f.q[5] *= 2.0;
	if (start(lv1, &f, s) || refine(lv1, &f, 0.0, MAX_ITER, s) || conclude(lv1, &f, s, inv))
		return;
	corr = correlation(s);
	sharp = f;
	/* Under the limit no verdict can follow, whatever the sharp level finds. */
	if (corr >= DP_ALIGN_MIN_CORR && refine(lv2, &sharp, 0.0, SHARP_ITER, &sums2) == 0 &&
	    conclude(lv2, &sharp, &sums2, inv2) == 0) {
		f = sharp;
		iv = inv2;
		s = &sums2;
	}
	res->ok = 1;
	for (int i = 0; i < 6; i++)
		res->p[i] = (float)f.q[i];
	res->corr = (float)corr;
	res->skew = (float)(fabs(f.q[1]) + fabs(f.q[3]));
	res->turn = f.q[1] * f.q[3] < 0.0 ? (float)sqrt(-f.q[1] * f.q[3]) : 0.0f;
	res->skew_error = (float)sqrt((iv[1] + iv[3]) * s->srr / (double)s->cnt);
	res->inside = (float)((double)s->cnt / (N1 * N1));
	res->excess = (float)(reach(f.q, lim) / N1);
	res->excess_back = (float)(reach_back(f.q, lim) / N1);
}

/* One direction: the fit is close (corr) and pinned down by the picture's structure. */
static int fitted(const struct dp_align_result *r, float min_corr, float max_skew_error)
{
	return r->ok && r->corr >= min_corr && r->skew_error <= max_skew_error;
}

/*
 * Each axis scaled by a plausible factor: a fit that squeezes one picture
 * into a strip of the other along its only gradient is no crop and no
 * camera move.
 */
static int plausible_scale(const struct dp_align_result *r)
{
	return r->p[0] >= DP_ALIGN_SCENE_MIN_SCALE && r->p[0] <= 1.0f / DP_ALIGN_SCENE_MIN_SCALE &&
	       r->p[4] >= DP_ALIGN_SCENE_MIN_SCALE && r->p[4] <= 1.0f / DP_ALIGN_SCENE_MIN_SCALE;
}

/* One direction: a camera moved, turned or zoomed a little. */
static int same_scene(const struct dp_align_result *r)
{
	return fitted(r, DP_ALIGN_MIN_CORR, DP_ALIGN_SCENE_MAX_SKEW_ERROR) && plausible_scale(r);
}

/* Under one direction's fit, one frame lies inside the other (either way round). */
static int nested(const struct dp_align_result *r)
{
	return r->excess <= DP_ALIGN_MAX_EXCESS || r->excess_back <= DP_ALIGN_MAX_EXCESS;
}

/* One direction: one picture is a crop, rescale or retone of the other. */
static int copy_of(const struct dp_align_result *r)
{
	return fitted(r, DP_ALIGN_MIN_CORR, DP_ALIGN_MAX_SKEW_ERROR) &&
	       r->turn <= DP_ALIGN_MAX_TURN && r->skew <= DP_ALIGN_MAX_SKEW && nested(r) &&
	       plausible_scale(r);
}

/* One direction: that, or a view turned by less than the skew bound allows. */
static int near_copy_of(const struct dp_align_result *r)
{
	return fitted(r, DP_ALIGN_MIN_CORR, DP_ALIGN_NEAR_MAX_SKEW_ERROR) &&
	       r->skew <= DP_ALIGN_MAX_SKEW && nested(r) && plausible_scale(r);
}

/*
 * One direction: a close fit (looser than a copy's), one frame inside the
 * other, a shear of any size (on smooth or captioned pictures the fit's
 * error) and a turn no larger than the fit's standard error allows.
 */
static int sheared_copy_of(const struct dp_align_result *r)
{
	return fitted(r, DP_ALIGN_SHEAR_MIN_CORR, DP_ALIGN_SHEAR_MAX_SKEW_ERROR) &&
	       plausible_scale(r) && nested(r) && r->turn <= DP_ALIGN_SHEAR_MAX_TURN &&
	       r->turn <= DP_ALIGN_MAX_TURN + DP_ALIGN_SHEAR_TURN_SE * r->skew_error;
}

void dp_align_thumbs(const struct dp_kernels *k, const uint8_t a[DP_ALIGN_BYTES],
		     const uint8_t b[DP_ALIGN_BYTES], struct dp_align_work *w,
		     struct dp_align_result res[2])
{
	/* b onto a: level images of a, a's gradients, b's; a onto b the other way round. */
	struct level ab[3] = {
		{ { w->a0, w->gxa0, w->gya0, w->b0, N0 }, k->align_row },
		{ { w->a1, w->gxa1, w->gya1, w->b1, N1 }, k->align_row },
		{ { w->a2, w->gxa2, w->gya2, w->b2, N1 }, k->align_row },
	};
	struct level ba[3] = {
		{ { w->b0, w->gxb0, w->gyb0, w->a0, N0 }, k->align_row },
		{ { w->b1, w->gxb1, w->gyb1, w->a1, N1 }, k->align_row },
		{ { w->b2, w->gxb2, w->gyb2, w->a2, N1 }, k->align_row },
	};

	prepare(a, w->a2, w->a1, w->a0, w->tmp, w->tmp2);
	prepare(b, w->b2, w->b1, w->b0, w->tmp, w->tmp2);
	gradients(w->a0, w->gxa0, w->gya0, N0);
	gradients(w->a1, w->gxa1, w->gya1, N1);
	gradients(w->a2, w->gxa2, w->gya2, N1);
	gradients(w->b0, w->gxb0, w->gyb0, N0);
	gradients(w->b1, w->gxb1, w->gyb1, N1);
	gradients(w->b2, w->gxb2, w->gyb2, N1);
	fit(&ab[0], &ab[1], &ab[2], &res[0]);
	/* b is a copy of a: the other direction cannot change the verdict. */
	if (copy_of(&res[0])) {
		memset(&res[1], 0, sizeof(res[1]));
		return;
	}
	fit(&ba[0], &ba[1], &ba[2], &res[1]);
}

int dp_align_verdict(const struct dp_align_result res[2])
{
	if (copy_of(&res[0]) || copy_of(&res[1]))
		return DP_ALIGN_COPY;
	if (near_copy_of(&res[0]) || near_copy_of(&res[1]))
		return DP_ALIGN_NEAR_COPY;
	if (sheared_copy_of(&res[0]) || sheared_copy_of(&res[1]))
		return same_scene(&res[0]) || same_scene(&res[1]) ? DP_ALIGN_SHEARED_COPY
								    : DP_ALIGN_SHEARED_LOOSE;
	if (same_scene(&res[0]) || same_scene(&res[1]))
		return DP_ALIGN_SCENE;
	return DP_ALIGN_NONE;
}
