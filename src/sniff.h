/* src/sniff.h - recognise file formats by their first bytes, and name them.
 *
 * Used to route a file to a decoder and to write useful per-file errors
 * ("named .jpg but content is pdf"). Recognition reads only the head of the
 * file, never the name; dp_format_from_extension() gives the name's claim
 * separately so the caller can compare the two. The image formats are those
 * libvips 8.14 as packaged in Debian 12 decodes (some only through loaders
 * libvips marks "untrusted": jxl, jp2k and the ImageMagick ones); the other
 * formats are common non-image content of evidence dumps, recognised only so
 * that messages can name them.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef DP_SRC_SNIFF_H
#define DP_SRC_SNIFF_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the head that dp_sniff() looks at at most; pass at least this
 * many when the file has them, for ftyp brands, PDF and SVG headers. */
#define DP_SNIFF_HEAD 4096

enum dp_format {
	DP_FMT_UNKNOWN = 0,
	/* raster images (dp_format_is_image() is true) */
	DP_FMT_JPEG,   /* FF D8 FF */
	DP_FMT_PNG,    /* 89 "PNG" 0D 0A 1A 0A */
	DP_FMT_GIF,    /* "GIF87a" / "GIF89a" */
	DP_FMT_WEBP,   /* "RIFF" <size> "WEBP" */
	DP_FMT_TIFF,   /* "II*\0", "MM\0*", BigTIFF "II+\0" / "MM\0+" (also DNG, NEF, ARW) */
	DP_FMT_BMP,    /* "BM" with a known DIB header size */
	DP_FMT_PNM,    /* "P1".."P7", "PF", "Pf" then whitespace (netpbm, PFM) */
	DP_FMT_HEIF,   /* ISO-BMFF ftyp with heic/heix/hevc/mif1/msf1... brands */
	DP_FMT_AVIF,   /* ISO-BMFF ftyp with avif/avis brand */
	DP_FMT_JXL,    /* JPEG XL codestream FF 0A or container "JXL " box */
	DP_FMT_JP2,    /* JPEG 2000 signature box "jP  " (jp2/jpx/jpm) */
	DP_FMT_J2K,    /* raw JPEG 2000 codestream FF 4F FF 51 */
	DP_FMT_ICO,    /* Windows icon/cursor, header and first entry checked */
	DP_FMT_PSD,    /* Photoshop "8BPS" version 1 or 2 */
	/* recognised, not decoded as photos */
	DP_FMT_RAW,    /* camera raw that is not a plain TIFF: CR2, CR3, ORF, RW2, RAF */
	DP_FMT_SVG,    /* XML text with an <svg> root */
	DP_FMT_PDF,    /* "%PDF-" in the first 1024 bytes */
	DP_FMT_ZIP,    /* "PK" 03 04 / 05 06 / 07 08 (also docx, xlsx, odt, apk) */
	DP_FMT_GZIP,   /* 1F 8B 08 (also svgz, tar.gz) */
	DP_FMT_RAR,    /* "Rar!" 1A 07 */
	DP_FMT_7Z,     /* "7z" BC AF 27 1C */
	DP_FMT_MP4,    /* ISO-BMFF ftyp with a video/audio brand (mp4, m4v, 3gp) */
	DP_FMT_MOV,    /* QuickTime: ftyp "qt  ", or a leading moov/mdat/wide atom */
	DP_FMT_AVI,    /* "RIFF" <size> "AVI " */
	DP_FMT_MKV,    /* EBML 1A 45 DF A3 (Matroska, WebM) */
	DP_FMT_TEXT,   /* mostly printable ASCII / UTF-8, or a UTF-16 BOM */
	DP_FMT_COUNT   /* number of values above; not a format */
};

/*
 * dp_sniff - the format of a file from its first len bytes (head, borrowed;
 * may be NULL when len is 0). Looks at most at DP_SNIFF_HEAD bytes, so
 * passing a larger head (the pipeline passes up to 64 KiB) is fine. Short
 * heads never match a signature longer than themselves. Returns
 * DP_FMT_UNKNOWN for empty or unrecognised content. Thread-safe, reentrant.
 */
enum dp_format dp_sniff(const uint8_t *head, size_t len);

/*
 * dp_format_name - short lowercase name: "jpeg", "png", ..., "text";
 * "unknown" for DP_FMT_UNKNOWN and for values outside the enum. The string
 * is static. Thread-safe.
 */
const char *dp_format_name(enum dp_format f);

/*
 * dp_format_is_image - 1 when f is a raster image format that the decode
 * stage is expected to hash (DP_FMT_JPEG .. DP_FMT_PSD), else 0 (also for
 * RAW, SVG and PDF, which libvips can sometimes render but which are not
 * photos as stored). Thread-safe.
 */
int dp_format_is_image(enum dp_format f);

/*
 * dp_format_from_extension - the format that a file name's extension claims,
 * compared case-insensitively ("IMG_0001.JPG" -> DP_FMT_JPEG). path
 * (borrowed, NUL-terminated; may be NULL) may include directories; only the
 * text after the last '.' of the last component counts, and a leading dot
 * (".jpg" alone) is a hidden-file name, not an extension. Camera raw
 * extensions (cr2, nef, dng, arw...) give DP_FMT_RAW even though several of
 * them are TIFF inside. Returns DP_FMT_UNKNOWN when there is no known
 * extension. Thread-safe.
 */
enum dp_format dp_format_from_extension(const char *path);

/*
 * dp_sniff_describe - a short phrase for an error message about content
 * whose format did not fit: "empty", the format name when dp_sniff()
 * recognises it ("pdf", "text"), "zero bytes" when the head is all 0x00
 * (unwritten or wiped space), else "binary data (starts 0x1f8b0800...)"
 * with up to the first 8 bytes in hex. Content bytes other than that hex
 * never appear, so the message cannot leak text from the evidence. Writes a
 * NUL-terminated string to out (outlen bytes, truncated to fit; nothing
 * when out is NULL or outlen is 0). head is borrowed. Thread-safe.
 */
void dp_sniff_describe(const uint8_t *head, size_t len, char *out, size_t outlen);

#endif
