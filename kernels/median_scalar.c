/* kernels/median_scalar.c - lower median of a small float array by selection.
 *
 * PDQ's reference thresholds its 256 DCT coefficients with Torben's median,
 * which for an even count returns the lower of the two middle values (rank
 * 127 of 0..255); imagehash's pHash compares with numpy's median (the mean
 * of the two middle values), and "v > (a + b) / 2" selects exactly the
 * values greater than the lower middle a, because no element lies strictly
 * between a and b. So both hashes need only the element of rank (n-1)/2,
 * which Hoare's selection (Wirth's formulation) finds in O(n) on a copy.
 * The result is a value of the array, independent of the algorithm.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <assert.h>

float dp_lower_median(const float *v, int n, float *scratch)
{
	int rank = (n - 1) / 2;
	int lo = 0, hi = n - 1;

	assert(n >= 1);
	for (int i = 0; i < n; i++)
		scratch[i] = v[i];
	while (lo < hi) {
		float pivot = scratch[rank];
		int i = lo, j = hi;

		do {
			while (scratch[i] < pivot)
				i++;
			while (pivot < scratch[j])
				j--;
			if (i <= j) {
				float t = scratch[i];

				scratch[i] = scratch[j];
				scratch[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < rank)
			lo = i;
		if (rank < i)
			hi = j;
	}
	return scratch[rank];
}
