/* tests/jpegref.h - full-size JPEG decoding with plain libjpeg, for the reference tests.
 *
 * Decodes exactly as the PDQ reference tool's JPEG path does (libjpeg
 * defaults: ISLOW IDCT, fancy upsampling, RGB out; greyscale stays grey;
 * Adobe CMYK converted naively), independently of doppel's own decoder, so
 * tests can check the hash kernels alone. Header-only: static functions for
 * the test programs that include it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_TESTS_JPEGREF_H
#define DP_TESTS_JPEGREF_H

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

#include "image.h"

struct jpeg_fail {
	struct jpeg_error_mgr mgr;
	jmp_buf jump;
	char msg[JMSG_LENGTH_MAX];
};

static void on_jpeg_error(j_common_ptr cinfo)
{
	struct jpeg_fail *f = (struct jpeg_fail *)cinfo->err;

	f->mgr.format_message(cinfo, f->msg);
	longjmp(f->jump, 1);
}

/*
 * Adobe-style (inverted) CMYK from libjpeg -> RGB, R = C*K/255 rounded,
 * the usual naive conversion (no colour management). In place: 4 -> 3 channels.
 */
__attribute__((unused)) static void cmyk_to_rgb(struct dp_image *im)
{
	size_t n = (size_t)im->w * (size_t)im->h;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *s = im->pix + 4 * i;
		unsigned k = s[3];
		uint8_t rgb[3];

		for (int c = 0; c < 3; c++)
			rgb[c] = (uint8_t)((s[c] * k + 127) / 255);
		memcpy(im->pix + 3 * i, rgb, 3);
	}
	im->channels = 3;
}

/* Decode path into im at full size (RGB, or grey for 1-component files). 0 or -1. */
__attribute__((unused)) static int load_jpeg(const char *path, struct dp_image *im, char *why, size_t why_len)
{
	struct jpeg_decompress_struct cinfo;
	struct jpeg_fail fail;
	FILE *fp = fopen(path, "rb");
	int rc = -1;

	if (!fp) {
		snprintf(why, why_len, "cannot open");
		return -1;
	}
	cinfo.err = jpeg_std_error(&fail.mgr);
	fail.mgr.error_exit = on_jpeg_error;
	if (setjmp(fail.jump)) {
		snprintf(why, why_len, "libjpeg: %s", fail.msg);
		goto out_destroy;
	}
	jpeg_create_decompress(&cinfo);
	jpeg_stdio_src(&cinfo, fp);
	jpeg_read_header(&cinfo, TRUE);
	if (cinfo.num_components == 1) {
		cinfo.out_color_space = JCS_GRAYSCALE;
	} else if (cinfo.jpeg_color_space == JCS_YCbCr || cinfo.jpeg_color_space == JCS_RGB) {
		cinfo.out_color_space = JCS_RGB;
	} else if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
		cinfo.out_color_space = JCS_CMYK;
	} else {
		snprintf(why, why_len, "colour space %d not handled here", (int)cinfo.jpeg_color_space);
		goto out_destroy;
	}
	jpeg_start_decompress(&cinfo);
	/* 4 channels while decoding CMYK; converted to RGB in place below. */
	if (dp_image_reserve(im, (int)cinfo.output_width, (int)cinfo.output_height,
			     cinfo.output_components) != 0) {
		snprintf(why, why_len, "out of memory");
		goto out_destroy;
	}
	while (cinfo.output_scanline < cinfo.output_height) {
		JSAMPROW row = im->pix + (size_t)cinfo.output_scanline * (size_t)im->w *
					 (size_t)im->channels;

		jpeg_read_scanlines(&cinfo, &row, 1);
	}
	if (cinfo.out_color_space == JCS_CMYK)
		cmyk_to_rgb(im);
	jpeg_finish_decompress(&cinfo);
	rc = 0;
out_destroy:
	jpeg_destroy_decompress(&cinfo);
	fclose(fp);
	return rc;
}

/*
 * The reference's pdq-photo-hasher (io/pdqio.cpp) shrinks any image wider
 * or taller than 512 to exactly 512x512 with CImg's default resize,
 * nearest neighbour (interpolation 1): destination x takes source column
 * floor(x * w / 512), likewise rows; the aspect ratio is not kept. That is
 * a front-end step of the reference tool, not of the PDQ algorithm, so it
 * is reproduced here, before dp_hash_image(). Returns 0 or -1 (no memory).
 */
#endif
