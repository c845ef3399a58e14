/* kernels/hash_luma.c - float luma -> PDQ / pHash / dHash / aHash, composing the stage kernels.
 *
 * The drivers hold the order of the stages and nothing else: the hot
 * stages (box filter, resize, DCT) are called through a struct dp_kernels,
 * the small fixed-size finishers directly. Passing the table in, rather
 * than reading the global selection, keeps the drivers pure and lets tests
 * run the same driver over the scalar table and every SIMD table.
 *
 * PDQ follows the reference's pdqHash256FromFloatLuma(): the size rules
 * (under 5 pixels: zero hash; exactly 64x64: no filtering) are part of the
 * definition and are reproduced here. The dihedral driver shares those
 * stages and differs only in its last step (pdq_dihedral_scalar.c).
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <stdint.h>
#include <string.h>

void dp_hash_work_init(struct dp_hash_work *w)
{
	memset(w, 0, sizeof(*w));
	dp_dct_pdq_matrix(w->pdq_dct);
	dp_dct_phash_matrix(w->phash_dct);
}

size_t dp_pdq_luma_floats(int w, int h)
{
	if (w < 1 || h < 1 || (size_t)w > SIZE_MAX / sizeof(float) / (size_t)h)
		return 0;
	return (size_t)w * (size_t)h;
}

/*
 * The PDQ stages up to the DCT: filter, decimate (or take a 64x64 input as
 * is), quality. Leaves the 16x16 block in work->coef16 and returns the
 * quality. With ax and ay (a shrunk image, see pdq_shrunk.c) the filter
 * and decimation are the source's, through taps; without them, or when the
 * taps cannot be built, the reference's stages on the image itself. The
 * caller has handled images under DP_PDQ_MIN_DIM.
 */
static int pdq_coefs(const struct dp_kernels *k, float *luma, int w, int h,
		     const struct dp_pdq_axis *ax, const struct dp_pdq_axis *ay,
		     float *tmp, struct dp_hash_work *work)
{
	int quality;

	if (ax && ay && (ax->scale > 1.0 || ay->scale > 1.0) && w >= DP_PDQ_GRID &&
	    dp_pdq_shrunk_taps(ax, w, &work->taps_x) == 0 &&
	    dp_pdq_shrunk_taps(ay, h, &work->taps_y) == 0) {
		dp_pdq_shrunk_decimate(luma, w, h, &work->taps_x, &work->taps_y, tmp,
				       work->img64);
	} else if (w == DP_PDQ_GRID && h == DP_PDQ_GRID) {
		/* The reference takes a 64x64 input as already downsampled. */
		memcpy(work->img64, luma, sizeof(work->img64));
	} else {
		int win_rows = dp_jarosz_window(w, DP_PDQ_GRID);
		int win_cols = dp_jarosz_window(h, DP_PDQ_GRID);

		for (int pass = 0; pass < DP_PDQ_PASSES; pass++) {
			k->box_rows(luma, tmp, w, h, win_rows);
			k->box_cols(tmp, luma, w, h, win_cols);
		}
		dp_decimate(luma, w, h, work->img64, DP_PDQ_GRID, DP_PDQ_GRID);
	}
	quality = dp_pdq_quality(work->img64);
	k->dct64to16(work->img64, work->pdq_dct, work->tmp64, work->coef16);
	return quality;
}

void dp_pdq_from_shrunk(const struct dp_kernels *k, float *luma, int w, int h,
			const struct dp_pdq_axis *ax, const struct dp_pdq_axis *ay,
			float *tmp, struct dp_hash_work *work,
			uint8_t hash[DP_PDQ_BYTES], int *quality)
{
	if (w < DP_PDQ_MIN_DIM || h < DP_PDQ_MIN_DIM) {
		memset(hash, 0, DP_PDQ_BYTES);
		*quality = 0;
		return;
	}
	*quality = pdq_coefs(k, luma, w, h, ax, ay, tmp, work);
	dp_pdq_bits(work->coef16, hash);
}

void dp_pdq_from_luma(const struct dp_kernels *k, float *luma, int w, int h,
		      float *tmp, struct dp_hash_work *work,
		      uint8_t hash[DP_PDQ_BYTES], int *quality)
{
	dp_pdq_from_shrunk(k, luma, w, h, NULL, NULL, tmp, work, hash, quality);
}

void dp_pdq_dihedral_from_shrunk(const struct dp_kernels *k, float *luma, int w, int h,
				 const struct dp_pdq_axis *ax, const struct dp_pdq_axis *ay,
				 float *tmp, struct dp_hash_work *work,
				 uint8_t hashes[DP_PDQ_DIHEDRAL][DP_PDQ_BYTES], int *quality)
{
	if (w < DP_PDQ_MIN_DIM || h < DP_PDQ_MIN_DIM) {
		memset(hashes, 0, (size_t)DP_PDQ_DIHEDRAL * DP_PDQ_BYTES);
		*quality = 0;
		return;
	}
	/*
	 * The same stages as dp_pdq_from_luma(), 64x64 shortcut included, so
	 * that variant 0 is always the plain hash. The reference's dihedral
	 * function lacks the shortcut (docs/HASHES.md says what that changes).
	 */
	*quality = pdq_coefs(k, luma, w, h, ax, ay, tmp, work);
	dp_pdq_dihedral_from_dct(work->coef16, hashes);
}

void dp_pdq_dihedral_from_luma(const struct dp_kernels *k, float *luma, int w, int h,
			       float *tmp, struct dp_hash_work *work,
			       uint8_t hashes[DP_PDQ_DIHEDRAL][DP_PDQ_BYTES], int *quality)
{
	dp_pdq_dihedral_from_shrunk(k, luma, w, h, NULL, NULL, tmp, work, hashes, quality);
}

uint64_t dp_phash_from_luma(const struct dp_kernels *k, const float *luma, int w, int h,
			    float *scratch, struct dp_hash_work *work)
{
	k->resize_area(luma, w, h, work->img32, DP_PHASH_GRID, DP_PHASH_GRID, scratch);
	k->dct32to8(work->img32, work->phash_dct, work->tmp32, work->coef8);
	return dp_phash_bits(work->coef8);
}

uint64_t dp_dhash_from_luma(const struct dp_kernels *k, const float *luma, int w, int h,
			    float *scratch, struct dp_hash_work *work)
{
	k->resize_area(luma, w, h, work->small, 9, 8, scratch);
	return dp_dhash_bits(work->small);
}

uint64_t dp_ahash_from_luma(const struct dp_kernels *k, const float *luma, int w, int h,
			    float *scratch, struct dp_hash_work *work)
{
	k->resize_area(luma, w, h, work->small, 8, 8, scratch);
	return dp_ahash_bits(work->small);
}
