/* kernels/align_row_scalar.c - one row of the alignment fit's sums: the scalar reference.
 *
 * The inner loop of dp_align_thumbs() (align_scalar.c has the method):
 * for each pixel (u, v) of B that the map q carries inside A, the bilinear
 * sample of A and of its gradients there, the residual against the tone
 * (g B + h + k c(B), c(b) = (b - 128)^2 / 128), its Huber weight, and the
 * weighted terms of the moments and of the normal equations. Each term is
 * summed in float in DP_ALIGN_LANES partial sums (pixel u into lane u %
 * DP_ALIGN_LANES) joined by dp_align_lanes(): the order a SIMD variant
 * keeps, so that every variant gives the same bits and the fit does not
 * depend on the machine. Every product is rounded on its own (the build
 * has -ffp-contract=off). Pure.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <math.h>
#include <string.h>

#define CURVE(b) (((b) - 128.0f) * ((b) - 128.0f) / 128.0f)

int dp_align_row_scalar(const struct dp_align_level *lv, int v, const struct dp_align_map *m,
			int normal, float out[DP_AQ_N], unsigned hist[DP_ALIGN_HIST_BINS])
{
	float acc[DP_AQ_N][DP_ALIGN_LANES];
	int n = lv->n, inside = 0;
	float lim = (float)(n - 1), reject = DP_ALIGN_REJECT_K * m->cut;
	const double *q = m->q;

	memset(acc, 0, sizeof(acc));
	for (int u = 0; u < n; u++) {
		float xa = (float)(q[0] * u + q[1] * v + q[2]), ya = (float)(q[3] * u + q[4] * v + q[5]);
		float fx, fy, w00, w01, w10, w11, a, b, c, r, ar, wt, gx, gy, gxw, gyw, t1, fu = (float)u;
		int x0, y0, at, ln = u % DP_ALIGN_LANES;

		if (!(xa >= 0 && xa <= lim && ya >= 0 && ya <= lim))
			continue;
		x0 = (int)xa;
		y0 = (int)ya;
		x0 = x0 < n - 2 ? x0 : n - 2;
		y0 = y0 < n - 2 ? y0 : n - 2;
		fx = xa - (float)x0;
		fy = ya - (float)y0;
		w00 = (1.0f - fy) * (1.0f - fx);
		w01 = (1.0f - fy) * fx;
		w10 = fy * (1.0f - fx);
		w11 = fy * fx;
		at = y0 * n + x0;
		a = w00 * lv->a[at] + w01 * lv->a[at + 1] + w10 * lv->a[at + n] + w11 * lv->a[at + n + 1];
		b = lv->b[v * n + u];
		c = CURVE(b);
		r = a - m->g * b - m->h - m->k * c;
		ar = fabsf(r);
		wt = m->cut <= 0.0f || ar <= m->cut ? 1.0f : ar > reject ? 0.0f : m->cut / ar;
		inside++;
		ar *= DP_ALIGN_HIST_STEP;
		hist[ar < DP_ALIGN_HIST_BINS - 1 ? (int)ar : DP_ALIGN_HIST_BINS - 1]++;
		acc[DP_AQ_WS][ln] += wt;
		acc[DP_AQ_SA][ln] += wt * a;
		acc[DP_AQ_SB][ln] += wt * b;
		acc[DP_AQ_SAA][ln] += wt * a * a;
		acc[DP_AQ_SBB][ln] += wt * b * b;
		acc[DP_AQ_SAB][ln] += wt * a * b;
		acc[DP_AQ_SRR][ln] += wt * r * r;
		if (!normal)
			continue;
		gx = w00 * lv->gx[at] + w01 * lv->gx[at + 1] + w10 * lv->gx[at + n] + w11 * lv->gx[at + n + 1];
		gy = w00 * lv->gy[at] + w01 * lv->gy[at + 1] + w10 * lv->gy[at + n] + w11 * lv->gy[at + n + 1];
		gxw = gx * wt;   /* J^T W J and J^T W r: one factor of each term weighted */
		gyw = gy * wt;
		t1 = gx * gxw;
		acc[DP_AQ_XX0][ln] += t1; acc[DP_AQ_XX1][ln] += t1 * fu; acc[DP_AQ_XX2][ln] += t1 * fu * fu;
		t1 = gx * gyw;
		acc[DP_AQ_XY0][ln] += t1; acc[DP_AQ_XY1][ln] += t1 * fu; acc[DP_AQ_XY2][ln] += t1 * fu * fu;
		t1 = gy * gyw;
		acc[DP_AQ_YY0][ln] += t1; acc[DP_AQ_YY1][ln] += t1 * fu; acc[DP_AQ_YY2][ln] += t1 * fu * fu;
		acc[DP_AQ_XB0][ln] += gxw * b; acc[DP_AQ_XB1][ln] += gxw * b * fu;
		acc[DP_AQ_YB0][ln] += gyw * b; acc[DP_AQ_YB1][ln] += gyw * b * fu;
		acc[DP_AQ_X0][ln] += gxw; acc[DP_AQ_X1][ln] += gxw * fu;
		acc[DP_AQ_Y0][ln] += gyw; acc[DP_AQ_Y1][ln] += gyw * fu;
		acc[DP_AQ_XR0][ln] += gxw * r; acc[DP_AQ_XR1][ln] += gxw * r * fu;
		acc[DP_AQ_YR0][ln] += gyw * r; acc[DP_AQ_YR1][ln] += gyw * r * fu;
		acc[DP_AQ_BR][ln] += b * r * wt;
		acc[DP_AQ_R][ln] += r * wt;
		acc[DP_AQ_XC0][ln] += gxw * c; acc[DP_AQ_XC1][ln] += gxw * c * fu;
		acc[DP_AQ_YC0][ln] += gyw * c; acc[DP_AQ_YC1][ln] += gyw * c * fu;
		acc[DP_AQ_C][ln] += c * wt;
		acc[DP_AQ_BC][ln] += b * c * wt;
		acc[DP_AQ_CC][ln] += c * c * wt;
		acc[DP_AQ_CR][ln] += c * r * wt;
	}
	for (int k = 0; k < DP_AQ_N; k++)
		out[k] = dp_align_lanes(acc[k]);
	return inside;
}
