/* kernels/align_row_avx2.c - one row of the alignment fit's sums with AVX2, eight pixels per step.
 *
 * The contract and the order of every operation are those of the scalar
 * reference (align_row_scalar.c): pixel u goes to lane u % 8, each lane
 * sums its pixels in float, the lanes are joined by dp_align_lanes(), and
 * each lane evaluates the reference's expressions in its order, every step
 * rounded on its own (no FMA), so the sums are bit-identical. The map is
 * evaluated in double, four lanes at a time, as the reference does. The
 * bilinear taps are gathered; a pixel outside A samples A at its clamped
 * position and gets weight 0, so it adds nothing (0 times a finite value)
 * and is neither counted nor put in the histogram.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#if DP_KERNELS_X86

#include <immintrin.h>

#define DP_AVX2 __attribute__((target("avx2")))

/* The map's coordinate c0 u + c1 v + c2 for u = u0 .. u0 + 7, in double, rounded to float. */
DP_AVX2 static __m256 map_coord(const double *c, int u0, int v)
{
	__m256d lo = _mm256_setr_pd(u0, u0 + 1, u0 + 2, u0 + 3), hi = _mm256_add_pd(lo, _mm256_set1_pd(4.0));
	__m256d c0 = _mm256_set1_pd(c[0]), cv = _mm256_set1_pd(c[1] * v), c2 = _mm256_set1_pd(c[2]);

	lo = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(c0, lo), cv), c2);
	hi = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(c0, hi), cv), c2);
	return _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo));
}

/* Bilinear sample of im at the taps: ((w00 a + w01 b) + w10 c) + w11 d. */
DP_AVX2 static __m256 sample(const float *im, __m256i at, int n, __m256 w00, __m256 w01,
			     __m256 w10, __m256 w11)
{
	__m256i one = _mm256_set1_epi32(1), down = _mm256_set1_epi32(n);
	__m256 s = _mm256_mul_ps(w00, _mm256_i32gather_ps(im, at, 4));

	s = _mm256_add_ps(s, _mm256_mul_ps(w01, _mm256_i32gather_ps(im, _mm256_add_epi32(at, one), 4)));
	at = _mm256_add_epi32(at, down);
	s = _mm256_add_ps(s, _mm256_mul_ps(w10, _mm256_i32gather_ps(im, at, 4)));
	return _mm256_add_ps(s, _mm256_mul_ps(w11, _mm256_i32gather_ps(im, _mm256_add_epi32(at, one), 4)));
}

#define ADD(q, x) acc[q] = _mm256_add_ps(acc[q], (x))
#define MUL _mm256_mul_ps

DP_AVX2 int dp_align_row_avx2(const struct dp_align_level *lv, int v, const struct dp_align_map *m,
			      int normal, float out[DP_AQ_N], unsigned hist[DP_ALIGN_HIST_BINS])
{
	__m256 acc[DP_AQ_N];
	const int n = lv->n;
	const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f);
	const __m256 lim = _mm256_set1_ps((float)(n - 1)), c128 = _mm256_set1_ps(128.0f);
	const __m256 g = _mm256_set1_ps(m->g), h = _mm256_set1_ps(m->h), k = _mm256_set1_ps(m->k);
	const __m256 cut = _mm256_set1_ps(m->cut), reject = _mm256_set1_ps(DP_ALIGN_REJECT_K * m->cut);
	const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
	const __m256 step = _mm256_set1_ps((float)DP_ALIGN_HIST_STEP);
	const __m256 lastbin = _mm256_set1_ps((float)(DP_ALIGN_HIST_BINS - 1));
	const __m256i edge = _mm256_set1_epi32(n - 2), width = _mm256_set1_epi32(n);
	int inside_n = 0;

	for (int q = 0; q < DP_AQ_N; q++)
		acc[q] = zero;
	for (int u0 = 0; u0 < n; u0 += 8) {
		__m256 xa = map_coord(m->q, u0, v), ya = map_coord(m->q + 3, u0, v);
		__m256 in = _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(xa, zero, _CMP_GE_OQ),
							_mm256_cmp_ps(xa, lim, _CMP_LE_OQ)),
					  _mm256_and_ps(_mm256_cmp_ps(ya, zero, _CMP_GE_OQ),
							_mm256_cmp_ps(ya, lim, _CMP_LE_OQ)));
		int mask = _mm256_movemask_ps(in);
		__m256 xc, yc, fx, fy, w00, w01, w10, w11, a, b, c, r, ar, wt, fu;
		__m256i x0, y0, at, bin;
		int bins[8];

		if (!mask)
			continue;
		/* Clamped into the frame (max/min take 0 for a NaN), so every gather is in bounds. */
		xc = _mm256_min_ps(_mm256_max_ps(xa, zero), lim);
		yc = _mm256_min_ps(_mm256_max_ps(ya, zero), lim);
		x0 = _mm256_min_epi32(_mm256_cvttps_epi32(xc), edge);
		y0 = _mm256_min_epi32(_mm256_cvttps_epi32(yc), edge);
		fx = _mm256_sub_ps(xc, _mm256_cvtepi32_ps(x0));
		fy = _mm256_sub_ps(yc, _mm256_cvtepi32_ps(y0));
		w00 = MUL(_mm256_sub_ps(one, fy), _mm256_sub_ps(one, fx));
		w01 = MUL(_mm256_sub_ps(one, fy), fx);
		w10 = MUL(fy, _mm256_sub_ps(one, fx));
		w11 = MUL(fy, fx);
		at = _mm256_add_epi32(_mm256_mullo_epi32(y0, width), x0);
		a = sample(lv->a, at, n, w00, w01, w10, w11);
		b = _mm256_loadu_ps(lv->b + (size_t)v * n + u0);
		c = _mm256_div_ps(MUL(_mm256_sub_ps(b, c128), _mm256_sub_ps(b, c128)), c128);
		r = _mm256_sub_ps(_mm256_sub_ps(_mm256_sub_ps(a, MUL(g, b)), h), MUL(k, c));
		ar = _mm256_and_ps(r, absmask);
		if (m->cut <= 0.0f) {
			wt = one;
		} else {
			__m256 mid = _mm256_div_ps(cut, ar);   /* inf where |r| is 0: not selected */

			wt = _mm256_blendv_ps(mid, zero, _mm256_cmp_ps(ar, reject, _CMP_GT_OQ));
			wt = _mm256_blendv_ps(wt, one, _mm256_cmp_ps(ar, cut, _CMP_LE_OQ));
		}
		wt = _mm256_and_ps(wt, in);
		inside_n += __builtin_popcount((unsigned)mask);
		ar = MUL(ar, step);
		bin = _mm256_cvttps_epi32(_mm256_min_ps(ar, lastbin));
		_mm256_storeu_si256((__m256i *)bins, bin);
		for (int l = 0; l < 8; l++)
			if (mask >> l & 1)
				hist[bins[l]]++;
		ADD(DP_AQ_WS, wt);
		ADD(DP_AQ_SA, MUL(wt, a));
		ADD(DP_AQ_SB, MUL(wt, b));
		ADD(DP_AQ_SAA, MUL(MUL(wt, a), a));
		ADD(DP_AQ_SBB, MUL(MUL(wt, b), b));
		ADD(DP_AQ_SAB, MUL(MUL(wt, a), b));
		ADD(DP_AQ_SRR, MUL(MUL(wt, r), r));
		if (!normal)
			continue;
		fu = _mm256_setr_ps((float)u0, (float)(u0 + 1), (float)(u0 + 2), (float)(u0 + 3),
				    (float)(u0 + 4), (float)(u0 + 5), (float)(u0 + 6), (float)(u0 + 7));
		{
			__m256 gx = sample(lv->gx, at, n, w00, w01, w10, w11);
			__m256 gy = sample(lv->gy, at, n, w00, w01, w10, w11);
			__m256 gxw = MUL(gx, wt), gyw = MUL(gy, wt), t1;

			t1 = MUL(gx, gxw);
			ADD(DP_AQ_XX0, t1); ADD(DP_AQ_XX1, MUL(t1, fu)); ADD(DP_AQ_XX2, MUL(MUL(t1, fu), fu));
			t1 = MUL(gx, gyw);
			ADD(DP_AQ_XY0, t1); ADD(DP_AQ_XY1, MUL(t1, fu)); ADD(DP_AQ_XY2, MUL(MUL(t1, fu), fu));
			t1 = MUL(gy, gyw);
			ADD(DP_AQ_YY0, t1); ADD(DP_AQ_YY1, MUL(t1, fu)); ADD(DP_AQ_YY2, MUL(MUL(t1, fu), fu));
			ADD(DP_AQ_XB0, MUL(gxw, b)); ADD(DP_AQ_XB1, MUL(MUL(gxw, b), fu));
			ADD(DP_AQ_YB0, MUL(gyw, b)); ADD(DP_AQ_YB1, MUL(MUL(gyw, b), fu));
			ADD(DP_AQ_X0, gxw); ADD(DP_AQ_X1, MUL(gxw, fu));
			ADD(DP_AQ_Y0, gyw); ADD(DP_AQ_Y1, MUL(gyw, fu));
			ADD(DP_AQ_XR0, MUL(gxw, r)); ADD(DP_AQ_XR1, MUL(MUL(gxw, r), fu));
			ADD(DP_AQ_YR0, MUL(gyw, r)); ADD(DP_AQ_YR1, MUL(MUL(gyw, r), fu));
			ADD(DP_AQ_BR, MUL(MUL(b, r), wt));
			ADD(DP_AQ_R, MUL(r, wt));
			ADD(DP_AQ_XC0, MUL(gxw, c)); ADD(DP_AQ_XC1, MUL(MUL(gxw, c), fu));
			ADD(DP_AQ_YC0, MUL(gyw, c)); ADD(DP_AQ_YC1, MUL(MUL(gyw, c), fu));
			ADD(DP_AQ_C, MUL(c, wt));
			ADD(DP_AQ_BC, MUL(MUL(b, c), wt));
			ADD(DP_AQ_CC, MUL(MUL(c, c), wt));
			ADD(DP_AQ_CR, MUL(MUL(c, r), wt));
		}
	}
	for (int q = 0; q < DP_AQ_N; q++) {
		float l[DP_ALIGN_LANES];

		_mm256_storeu_ps(l, acc[q]);
		out[q] = dp_align_lanes(l);
	}
	return inside_n;
}

#endif
