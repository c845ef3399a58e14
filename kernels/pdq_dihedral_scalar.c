/* kernels/pdq_dihedral_scalar.c - the 8 dihedral PDQ hashes (rotations, mirrors) from one 16x16 DCT block.
 *
 * A mirror or a transposition of the 64x64 decimated image acts on its
 * DCT-II coefficients without any arithmetic: the basis function of
 * frequency f satisfies cos(pi f (2(63-k)+1) / 128) = (-1)^f cos(pi f (2k+1)
 * / 128), so mirroring an axis negates the odd frequencies along it (with
 * PDQ's indexing, index i holds frequency i+1: the even indices), and
 * transposing the image transposes the block. Every element of the
 * dihedral group of the square is a transposition or not followed by a
 * mirror of neither, either or both axes, so each variant is a permutation
 * of the 256 coefficients with some of them negated. Meta's reference
 * (facebook/ThreatExchange pdq/cpp, pdqDihedralHash256esFromFloatLuma())
 * computes the 8 hashes this way, each thresholded at the lower median of
 * its own transformed block, and so does this file: negation and copying
 * are exact, so the bits equal the reference's for the same block.
 *
 * The variants, in the reference's order (docs/HASHES.md, "Dihedral
 * variants", has the geometry and its check against the reference's test
 * images):
 *
 *   variant      transpose  negate even rows  negate even columns
 *   original     no         no                no
 *   rotate90     yes        yes               no      (90 deg anticlockwise)
 *   rotate180    no         yes               yes
 *   rotate270    yes        no                yes     (90 deg clockwise)
 *   flipX        no         yes               no      (top <-> bottom)
 *   flipY        no         no                yes     (left <-> right)
 *   flipPlus1    yes        no                no      (main diagonal)
 *   flipMinus1   yes        yes               yes     (anti-diagonal)
 *
 * "Rows" are the vertical frequencies (first index) of the output block,
 * "columns" the horizontal ones; transposition is applied first.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <assert.h>

/* How each variant is obtained from the original block (table above). */
static const struct {
	unsigned char transpose;     /* out[r][c] reads in[c][r] */
	unsigned char negate_rows;   /* negate where r is even (odd vertical frequency) */
	unsigned char negate_cols;   /* negate where c is even (odd horizontal frequency) */
} dihedral_rule[DP_PDQ_DIHEDRAL] = {
	[DP_PDQ_DIH_ORIGINAL] = { 0, 0, 0 },
	[DP_PDQ_DIH_ROTATE90] = { 1, 1, 0 },
	[DP_PDQ_DIH_ROTATE180] = { 0, 1, 1 },
	[DP_PDQ_DIH_ROTATE270] = { 1, 0, 1 },
	[DP_PDQ_DIH_FLIPX] = { 0, 1, 0 },
	[DP_PDQ_DIH_FLIPY] = { 0, 0, 1 },
	[DP_PDQ_DIH_FLIP_PLUS1] = { 1, 0, 0 },
	[DP_PDQ_DIH_FLIP_MINUS1] = { 1, 1, 1 },
};

void dp_pdq_dct_dihedral(const float in[DP_PDQ_COEFS * DP_PDQ_COEFS], int variant,
			 float out[DP_PDQ_COEFS * DP_PDQ_COEFS])
{
	const int n = DP_PDQ_COEFS;

	assert(variant >= 0 && variant < DP_PDQ_DIHEDRAL);
	for (int r = 0; r < n; r++) {
		for (int c = 0; c < n; c++) {
			float v = dihedral_rule[variant].transpose ? in[c * n + r] : in[r * n + c];
			/* Even index = odd frequency: the ones a mirror negates. */
			int neg = (dihedral_rule[variant].negate_rows && !(r & 1)) !=
				  (dihedral_rule[variant].negate_cols && !(c & 1));

			out[r * n + c] = neg ? -v : v;
		}
	}
}

void dp_pdq_dihedral_from_dct(const float coef[DP_PDQ_COEFS * DP_PDQ_COEFS],
			      uint8_t out[DP_PDQ_DIHEDRAL][DP_PDQ_BYTES])
{
	float block[DP_PDQ_COEFS * DP_PDQ_COEFS];

	/* Each variant has its own median: negation changes the multiset. */
	for (int v = 0; v < DP_PDQ_DIHEDRAL; v++) {
		dp_pdq_dct_dihedral(coef, v, block);
		dp_pdq_bits(block, out[v]);
	}
}
