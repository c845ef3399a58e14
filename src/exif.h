/* src/exif.h - capture metadata (time, orientation, camera) from an EXIF blob.
 *
 * The parser reads only what scene grouping and orientation need: IFD0
 * Orientation, Make, Model, CameraSerialNumber and, through the ExifIFD
 * pointer, DateTimeOriginal, SubSecTimeOriginal, OffsetTimeOriginal and
 * BodySerialNumber. It is written for hostile input (evidence dumps contain
 * damaged and crafted files): every read is bounds-checked against the blob,
 * at most two IFDs are visited (IFD0 and the ExifIFD it points to; no chains
 * are followed, so self-referencing IFDs cannot loop), and nothing is
 * allocated. A damaged blob yields whatever fields could be read safely.
 *
 * Reference: CIPA DC-008 (EXIF 2.32), TIFF 6.0 section 2.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_EXIF_H
#define DP_SRC_EXIF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Sizes of the string fields of struct dp_exif, including the NUL. */
#define DP_EXIF_TIME_MAX 40
#define DP_EXIF_TEXT_MAX 64

/*
 * struct dp_exif - what dp_exif_parse() extracts. Callers allocate it.
 * Every string is NUL-terminated printable ASCII (0x20..0x7e), "" when the
 * field is absent or invalid.
 */
struct dp_exif {
	/* 1..8 from IFD0 Orientation (0x0112, SHORT; LONG tolerated);
	 * 0 when absent or out of range. */
	int orientation;
	/* ISO 8601 local time from DateTimeOriginal (0x9003,
	 * "YYYY:MM:DD HH:MM:SS"), plus ".<digits>" from SubSecTimeOriginal
	 * (0x9291; at most 9 digits kept) and "+HH:MM" from OffsetTimeOriginal
	 * (0x9011) when those are present and well-formed, e.g.
	 * "2012-03-15T08:07:29.25+03:00". "" when the date is absent, blank,
	 * all zero or not a real calendar date and time. */
	char capture_time[DP_EXIF_TIME_MAX];
	/* IFD0 Make (0x010f) and Model (0x0110). */
	char make[DP_EXIF_TEXT_MAX];
	char model[DP_EXIF_TEXT_MAX];
	/* ExifIFD BodySerialNumber (0xa431); when that is absent or blank,
	 * IFD0 CameraSerialNumber (0xc62f, the DNG tag). */
	char serial[DP_EXIF_TEXT_MAX];
};

/*
 * dp_exif_parse - parse an EXIF blob into *out.
 * data (borrowed, len bytes) is one of:
 *   - an APP1 payload: "Exif\0\0" followed by a TIFF structure;
 *   - a bare TIFF structure ("II*\0" little-endian or "MM\0*" big-endian),
 *     as in PNG eXIf and WebP EXIF chunks;
 *   - either of the above behind the 4-byte big-endian offset that HEIF
 *     "Exif" items start with.
 * Strings are read from ASCII (type 2) or UNDEFINED (type 7) entries, up to
 * the first NUL; trailing spaces and NULs are trimmed, other bytes outside
 * 0x20..0x7e become '?', and the result is truncated to fit. When a tag
 * occurs more than once, the first valid occurrence wins; tags are accepted
 * in either IFD.
 * Returns 0 (also for a damaged blob: *out then holds what could be read
 * safely), DP_E_FORMAT when data is not EXIF at all (*out is zeroed), or
 * DP_E_ARG when out is NULL. Never reads outside [data, data + len).
 * Thread-safe and reentrant.
 */
int dp_exif_parse(const uint8_t *data, size_t len, struct dp_exif *out) DP_WUR;

/*
 * dp_exif_find_in_jpeg - locate the EXIF APP1 segment in JPEG bytes.
 * Walks the marker segments from SOI up to SOS/EOI and points *exif at the
 * payload of the first APP1 whose payload starts with "Exif\0\0" (the
 * payload includes that prefix, so it can go straight to dp_exif_parse()).
 * *exif points into jpeg (borrowed, len bytes); *exif_len is the payload
 * length, clipped to the bytes actually present when the file is truncated.
 * Returns 0 with *exif set, 0 with *exif = NULL and *exif_len = 0 when there
 * is no EXIF segment before the image data (or the marker stream breaks
 * before one), DP_E_FORMAT when jpeg does not start with SOI (FF D8), or
 * DP_E_ARG when exif or exif_len is NULL. Thread-safe and reentrant.
 */
int dp_exif_find_in_jpeg(const uint8_t *jpeg, size_t len,
			 const uint8_t **exif, size_t *exif_len) DP_WUR;

#endif
