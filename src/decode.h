/* src/decode.h - file bytes -> 8-bit grey or RGB pixels, plus what the header says.
 *
 * JPEG goes straight to libjpeg-turbo with DCT-domain scaling (1/8, 1/4, 1/2)
 * chosen so the shorter side keeps at least min_side pixels; in the default
 * (fast) mode YCbCr JPEGs are decoded to luma only, which skips chroma
 * upsampling and colour conversion. Everything else goes through libvips
 * (sequential access, loaders flagged untrusted blocked) and is box-shrunk
 * the same way. --exact decodes at full size to RGB; --reference-pdq adds
 * the PDQ reference tool's 512x512 nearest-neighbour resample. EXIF orientation is applied to the pixels unless disabled.
 * The pixel cap is checked on the header, before any pixel is allocated.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_DECODE_H
#define DP_SRC_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "exif.h"
#include "image.h"

#define DP_DECODE_MIN_SIDE 256                  /* fast mode: shorter side kept */
#define DP_DECODE_TIME_LIMIT 120.0              /* seconds per file */
#define DP_DECODE_MAX_PIXELS 250000000ULL       /* default decompression-bomb cap */
/* Reference mode reproduces Meta's pdq-photo-hasher, which resamples any
 * image wider or taller than this to exactly this square (nearest neighbour). */
#define DP_REFERENCE_SIDE 512

struct dp_decode_opts {
	int orient;            /* 1: apply EXIF orientation to the pixels */
	int exact;             /* 1: full-resolution RGB, no shrinking */
	int reference;         /* 1 (with exact): then nearest-neighbour to 512x512 when
				  larger, as Meta's pdq-photo-hasher does */
	uint64_t max_pixels;   /* refuse images with more stored pixels */
	int min_side;          /* fast mode: shorter side kept when shrinking */
	double time_limit_s;   /* stop decoding one file after this long (status
				  timeout); 0 = no limit */
};

struct dp_decode_info {
	int format;            /* enum dp_format, from the content */
	int width, height;     /* stored pixels (before orientation); 0 if unknown */
	int orientation;       /* EXIF orientation 1..8; 0 when absent */
	struct dp_exif exif;   /* capture metadata; empty strings when absent */
	int status;            /* enum dp_file_status: DP_ST_OK or why decoding failed */
	char warning[256];     /* non-fatal decoder warning, "" if none */
};

struct dp_decoder;

/* dp_decode_shutdown - at exit, main thread: shut libvips down if a file
 * needed it (libvips starts on first use, configured to one thread per call,
 * no operation cache, unsafe loaders blocked). */
void dp_decode_shutdown(void);

/* dp_decode_prepare - main thread, before any worker starts: make libvips'
 * later start leave the process environment alone. Its start sets VIPSHOME
 * when unset, and a setenv while another thread reads the environment (as
 * libjpeg does in jpeg_CreateDecompress) can crash that thread. */
void dp_decode_prepare(void);

/* dp_decode_thread_done - release libvips' per-thread buffers; call on each
 * worker thread when it has finished decoding. */
void dp_decode_thread_done(void);

/* dp_decode_library_versions - "libvips 8.14.1, libjpeg-turbo 2.1.5" into out. */
void dp_decode_library_versions(char *out, size_t n);

/* dp_decoder_new - per-thread scratch; NULL on allocation failure. */
struct dp_decoder *dp_decoder_new(void);
/* dp_decoder_free - NULL is a no-op. */
void dp_decoder_free(struct dp_decoder *d);

/*
 * dp_decode - decode `len` bytes at `buf` (borrowed) into *out (reused; grows).
 * Always fills *info as far as the header could be read. Returns 0, or a
 * negative dp_status with info->status saying which row status applies and
 * err holding "decode: <cause>". Thread-safe for distinct decoders.
 */
int dp_decode(struct dp_decoder *d, const uint8_t *buf, size_t len,
	      const struct dp_decode_opts *o, struct dp_image *out,
	      struct dp_decode_info *info, struct dp_err *err) DP_WUR;

/*
 * dp_decode_thumbnail - a JPEG (quality 80, metadata stripped) of the
 * image in buf (borrowed, len bytes), EXIF orientation applied, scaled down
 * so that neither side exceeds max_side (never up), written to out_path
 * (borrowed; replaced). For `doppel report`. Returns 0 or DP_E_DECODE with
 * "thumbnail: <cause>". Thread-safe.
 */
int dp_decode_thumbnail(const uint8_t *buf, size_t len, int max_side, const char *out_path,
			struct dp_err *err) DP_WUR;

/* dp_decode_scale_denom - the JPEG DCT scale 1/d (d in 1,2,4,8) used in fast
 * mode for a w x h image, so that min(w, h) / d stays >= min_side. */
int dp_decode_scale_denom(int w, int h, int min_side);

#endif
