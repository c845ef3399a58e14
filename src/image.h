/* src/image.h - the decoded pixel buffer handed from decode to hash.
 *
 * A dp_image is 8-bit, interleaved, row-major, tightly packed (stride =
 * w * channels bytes), already in display orientation unless the caller asked
 * for stored orientation. channels is 1 (grey/luma) or 3 (RGB). Decoders
 * reuse the buffer across files (cap grows, never shrinks) so a worker thread
 * allocates only when it meets a larger image than before.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_IMAGE_H
#define DP_SRC_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

struct dp_image {
	int w, h;          /* pixels */
	int channels;      /* 1 = grey/luma, 3 = RGB */
	uint8_t *pix;      /* owned by the image; w*h*channels bytes used */
	size_t cap;        /* bytes allocated at pix */
	/* How columns (ax) and rows (ay) map onto the full-resolution source
	 * when the decoder shrank by averaging (DCT scaling, box shrink, area
	 * resize); scale 1 otherwise. Kept true through dp_image_orient(). */
	struct dp_pdq_axis ax, ay;
};

/* dp_image_reserve - make room for w*h*channels bytes (reallocating if needed)
 * and set the dimensions; the source geometry becomes the image itself
 * (scale 1). Returns 0 or DP_E_NOMEM (overflow or malloc). */
int dp_image_reserve(struct dp_image *im, int w, int h, int channels)
	__attribute__((warn_unused_result));

/*
 * dp_image_orient - apply EXIF orientation `o` (1..8; anything else is a
 * no-op) to *im, using *tmp (reused, grows) as the destination and swapping
 * the buffers. Orientations 5..8 swap width and height; the source
 * geometry (ax, ay) is transposed and flipped with the pixels. Returns 0 or
 * DP_E_NOMEM.
 */
int dp_image_orient(struct dp_image *im, int o, struct dp_image *tmp)
	__attribute__((warn_unused_result));

/*
 * dp_image_resample_nearest - resize *im to ow x oh by nearest neighbour:
 * output (x, y) takes source pixel (floor(x * w / ow), floor(y * h / oh)),
 * which is CImg's default resize and so what the PDQ reference tool does
 * before hashing. Uses *tmp as the destination and swaps the buffers.
 * Returns 0, DP_E_ARG (ow or oh < 1) or DP_E_NOMEM.
 */
int dp_image_resample_nearest(struct dp_image *im, int ow, int oh, struct dp_image *tmp)
	__attribute__((warn_unused_result));

/* dp_image_release - free the pixels; the struct may be reused. NULL is a no-op. */
void dp_image_release(struct dp_image *im);

#endif
