/* src/sniff.c - format recognition from magic bytes (see sniff.h).
 *
 * Order of checks: fixed signatures at offset 0 (exact, cheapest, and the
 * only ones that decide the image formats), then structured containers
 * (RIFF, ISO-BMFF ftyp brands, ICO/BMP headers whose short magic needs
 * corroborating fields), then "%PDF-" anywhere in the first 1024 bytes (as
 * PDF readers accept), and last the text heuristic, with SVG as XML text
 * that has an <svg element. Every read is guarded by the head length, so a
 * short head simply fails to match.
 *
 * References: the signatures libvips' is_a functions test (8.14), ISO/IEC
 * 14496-12 (ftyp), ISO/IEC 15444-1 annex I (JP2), ISO/IEC 18181-2 (JXL).
 *
 * SPDX-License-Identifier: MIT
 */
#include "sniff.h"

#include <stdio.h>
#include <string.h>

/* Text check window: enough to see a file's character, small enough that
 * a text header in front of binary data (a PGM comment) is not misread. */
#define TEXT_WINDOW 512
/* A text file may carry a few stray bytes (Latin-1 letters, a form feed);
 * more than 1 in 20 means binary. */
#define TEXT_MAX_BAD_PER_20 1
/* PDF readers accept junk before the header within the first 1024 bytes. */
#define PDF_WINDOW 1024

static const char *const format_names[DP_FMT_COUNT] = {
	[DP_FMT_UNKNOWN] = "unknown",
	[DP_FMT_JPEG] = "jpeg",
	[DP_FMT_PNG] = "png",
	[DP_FMT_GIF] = "gif",
	[DP_FMT_WEBP] = "webp",
	[DP_FMT_TIFF] = "tiff",
	[DP_FMT_BMP] = "bmp",
	[DP_FMT_PNM] = "pnm",
	[DP_FMT_HEIF] = "heif",
	[DP_FMT_AVIF] = "avif",
	[DP_FMT_JXL] = "jxl",
	[DP_FMT_JP2] = "jp2",
	[DP_FMT_J2K] = "j2k",
	[DP_FMT_ICO] = "ico",
	[DP_FMT_PSD] = "psd",
	[DP_FMT_RAW] = "raw",
	[DP_FMT_SVG] = "svg",
	[DP_FMT_PDF] = "pdf",
	[DP_FMT_ZIP] = "zip",
	[DP_FMT_GZIP] = "gzip",
	[DP_FMT_RAR] = "rar",
	[DP_FMT_7Z] = "7z",
	[DP_FMT_MP4] = "mp4",
	[DP_FMT_MOV] = "mov",
	[DP_FMT_AVI] = "avi",
	[DP_FMT_MKV] = "mkv",
	[DP_FMT_TEXT] = "text",
};

/* Signatures that decide a format on their own, at offset 0. */
static const struct {
	const char *magic;
	size_t len;
	enum dp_format format;
} signatures[] = {
	{ "\xff\xd8\xff", 3, DP_FMT_JPEG },
	{ "\x89PNG\r\n\x1a\n", 8, DP_FMT_PNG },
	{ "GIF87a", 6, DP_FMT_GIF },
	{ "GIF89a", 6, DP_FMT_GIF },
	{ "MM\0*", 4, DP_FMT_TIFF },
	{ "II+\0\x08\0\0\0", 8, DP_FMT_TIFF },   /* BigTIFF: 8-byte offsets */
	{ "MM\0+\0\x08\0\0", 8, DP_FMT_TIFF },
	{ "IIRO", 4, DP_FMT_RAW },               /* Olympus ORF */
	{ "IIRS", 4, DP_FMT_RAW },
	{ "MMOR", 4, DP_FMT_RAW },
	{ "IIU\0", 4, DP_FMT_RAW },              /* Panasonic RW2 */
	{ "FUJIFILMCCD-RAW ", 16, DP_FMT_RAW },  /* Fujifilm RAF */
	{ "\0\0\0\x0cjP  \r\n\x87\n", 12, DP_FMT_JP2 },
	{ "\xff\x4f\xff\x51", 4, DP_FMT_J2K },
	{ "\0\0\0\x0cJXL \r\n\x87\n", 12, DP_FMT_JXL },
	{ "\xff\x0a", 2, DP_FMT_JXL },
	{ "8BPS\0\x01", 6, DP_FMT_PSD },
	{ "8BPS\0\x02", 6, DP_FMT_PSD },         /* PSB, "large document" */
	{ "PK\x03\x04", 4, DP_FMT_ZIP },
	{ "PK\x05\x06", 4, DP_FMT_ZIP },         /* empty archive */
	{ "PK\x07\x08", 4, DP_FMT_ZIP },         /* spanned archive */
	{ "\x1f\x8b\x08", 3, DP_FMT_GZIP },
	{ "Rar!\x1a\x07", 6, DP_FMT_RAR },
	{ "7z\xbc\xaf\x27\x1c", 6, DP_FMT_7Z },
	{ "\x1a\x45\xdf\xa3", 4, DP_FMT_MKV },
};

/* Extensions, lowercase, for dp_format_from_extension(). */
static const struct {
	const char *ext;
	enum dp_format format;
} extensions[] = {
	{ "jpg", DP_FMT_JPEG }, { "jpeg", DP_FMT_JPEG }, { "jpe", DP_FMT_JPEG },
	{ "jfif", DP_FMT_JPEG }, { "jfi", DP_FMT_JPEG }, { "jif", DP_FMT_JPEG },
	{ "png", DP_FMT_PNG }, { "apng", DP_FMT_PNG },
	{ "gif", DP_FMT_GIF },
	{ "webp", DP_FMT_WEBP },
	{ "tif", DP_FMT_TIFF }, { "tiff", DP_FMT_TIFF },
	{ "bmp", DP_FMT_BMP }, { "dib", DP_FMT_BMP },
	{ "pbm", DP_FMT_PNM }, { "pgm", DP_FMT_PNM }, { "ppm", DP_FMT_PNM },
	{ "pnm", DP_FMT_PNM }, { "pam", DP_FMT_PNM }, { "pfm", DP_FMT_PNM },
	{ "heic", DP_FMT_HEIF }, { "heif", DP_FMT_HEIF }, { "hif", DP_FMT_HEIF },
	{ "avif", DP_FMT_AVIF },
	{ "jxl", DP_FMT_JXL },
	{ "jp2", DP_FMT_JP2 }, { "jpx", DP_FMT_JP2 }, { "jpf", DP_FMT_JP2 },
	{ "jpm", DP_FMT_JP2 },
	{ "j2k", DP_FMT_J2K }, { "j2c", DP_FMT_J2K }, { "jpc", DP_FMT_J2K },
	{ "ico", DP_FMT_ICO }, { "cur", DP_FMT_ICO },
	{ "psd", DP_FMT_PSD }, { "psb", DP_FMT_PSD },
	{ "cr2", DP_FMT_RAW }, { "cr3", DP_FMT_RAW }, { "crw", DP_FMT_RAW },
	{ "nef", DP_FMT_RAW }, { "nrw", DP_FMT_RAW }, { "arw", DP_FMT_RAW },
	{ "srf", DP_FMT_RAW }, { "sr2", DP_FMT_RAW }, { "dng", DP_FMT_RAW },
	{ "orf", DP_FMT_RAW }, { "rw2", DP_FMT_RAW }, { "raf", DP_FMT_RAW },
	{ "pef", DP_FMT_RAW }, { "srw", DP_FMT_RAW }, { "x3f", DP_FMT_RAW },
	{ "svg", DP_FMT_SVG },
	{ "pdf", DP_FMT_PDF },
	{ "zip", DP_FMT_ZIP }, { "docx", DP_FMT_ZIP }, { "xlsx", DP_FMT_ZIP },
	{ "pptx", DP_FMT_ZIP }, { "odt", DP_FMT_ZIP }, { "ods", DP_FMT_ZIP },
	{ "gz", DP_FMT_GZIP }, { "tgz", DP_FMT_GZIP }, { "svgz", DP_FMT_GZIP },
	{ "rar", DP_FMT_RAR },
	{ "7z", DP_FMT_7Z },
	{ "mp4", DP_FMT_MP4 }, { "m4v", DP_FMT_MP4 }, { "m4a", DP_FMT_MP4 },
	{ "3gp", DP_FMT_MP4 }, { "3g2", DP_FMT_MP4 },
	{ "mov", DP_FMT_MOV }, { "qt", DP_FMT_MOV },
	{ "avi", DP_FMT_AVI },
	{ "mkv", DP_FMT_MKV }, { "webm", DP_FMT_MKV }, { "mka", DP_FMT_MKV },
	{ "txt", DP_FMT_TEXT }, { "csv", DP_FMT_TEXT }, { "tsv", DP_FMT_TEXT },
	{ "md", DP_FMT_TEXT }, { "json", DP_FMT_TEXT }, { "xml", DP_FMT_TEXT },
	{ "html", DP_FMT_TEXT }, { "htm", DP_FMT_TEXT }, { "log", DP_FMT_TEXT },
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static int has_at(const uint8_t *h, size_t len, size_t off, const char *s, size_t n)
{
	return off <= len && n <= len - off && memcmp(h + off, s, n) == 0;
}

/* Callers check the length first. */
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[1] << 8 | p[0]);
}

static enum dp_format sniff_signature(const uint8_t *h, size_t len)
{
	size_t i;

	for (i = 0; i < COUNT_OF(signatures); i++)
		if (has_at(h, len, 0, signatures[i].magic, signatures[i].len))
			return signatures[i].format;
	return DP_FMT_UNKNOWN;
}

/* Classic little-endian TIFF, or Canon CR2 which is TIFF with "CR" 02 at 8. */
static enum dp_format sniff_tiff_le(const uint8_t *h, size_t len)
{
	if (!has_at(h, len, 0, "II*\0", 4))
		return DP_FMT_UNKNOWN;
	if (has_at(h, len, 8, "CR\x02", 3))
		return DP_FMT_RAW;
	return DP_FMT_TIFF;
}

static enum dp_format sniff_riff(const uint8_t *h, size_t len)
{
	if (!has_at(h, len, 0, "RIFF", 4))
		return DP_FMT_UNKNOWN;
	if (has_at(h, len, 8, "WEBP", 4))
		return DP_FMT_WEBP;
	if (has_at(h, len, 8, "AVI ", 4))
		return DP_FMT_AVI;
	return DP_FMT_UNKNOWN;
}

static int brand_in(const uint8_t *b, const char *const *list)
{
	for (; *list; list++)
		if (memcmp(b, *list, 4) == 0)
			return 1;
	return 0;
}

/*
 * ISO-BMFF: a leading ftyp box lists a major brand (at 8) and compatible
 * brands (from 16 to the end of the box). Image brands anywhere in the list
 * win, AVIF before HEIF, because AVIF files list mif1/miaf too and HEIC
 * files never list avif. Other ftyp files are video or audio.
 */
static enum dp_format sniff_ftyp(const uint8_t *h, size_t len)
{
	static const char *const avif[] = { "avif", "avis", NULL };
	static const char *const heif[] = { "heic", "heix", "heim", "heis", "hevc",
					    "hevx", "hevm", "hevs", "mif1", "msf1",
					    "miaf", NULL };
	size_t end, off;

	if (!has_at(h, len, 4, "ftyp", 4) || len < 12)
		return DP_FMT_UNKNOWN;
	end = be32(h);  /* box size; 0 and 1 (to EOF, 64-bit) fall back to len */
	if (end < 12 || end > len)
		end = len;
	for (off = 8; off + 4 <= end; off += off == 8 ? 8 : 4)
		if (brand_in(h + off, avif))
			return DP_FMT_AVIF;
	for (off = 8; off + 4 <= end; off += off == 8 ? 8 : 4)
		if (brand_in(h + off, heif))
			return DP_FMT_HEIF;
	if (memcmp(h + 8, "crx ", 4) == 0)
		return DP_FMT_RAW;  /* Canon CR3 */
	if (memcmp(h + 8, "qt  ", 4) == 0)
		return DP_FMT_MOV;
	return DP_FMT_MP4;
}

/* QuickTime files from before ftyp start with one of these atoms. */
static enum dp_format sniff_qt_atom(const uint8_t *h, size_t len)
{
	if (has_at(h, len, 4, "moov", 4) || has_at(h, len, 4, "mdat", 4) ||
	    has_at(h, len, 4, "wide", 4) || has_at(h, len, 4, "pnot", 4))
		return DP_FMT_MOV;
	return DP_FMT_UNKNOWN;
}

/* "BM" is also how text can start ("BMW ..."): require a known DIB header
 * size (core, v2..v5, OS/2 v2 short and long). */
static enum dp_format sniff_bmp(const uint8_t *h, size_t len)
{
	uint32_t dib;

	if (!has_at(h, len, 0, "BM", 2) || len < 18)
		return DP_FMT_UNKNOWN;
	dib = le32(h + 14);
	if (dib == 12 || dib == 16 || dib == 40 || dib == 52 || dib == 56 ||
	    dib == 64 || dib == 108 || dib == 124)
		return DP_FMT_BMP;
	return DP_FMT_UNKNOWN;
}

/* 00 00 01 00 (icon) or 00 00 02 00 (cursor) is weak, so the first
 * directory entry must make sense too. */
static enum dp_format sniff_ico(const uint8_t *h, size_t len)
{
	unsigned count, planes, bpp;
	int icon;

	if (len < 22 || h[0] || h[1] || (h[2] != 1 && h[2] != 2) || h[3])
		return DP_FMT_UNKNOWN;
	icon = h[2] == 1;
	count = le16(h + 4);
	planes = le16(h + 10);
	bpp = le16(h + 12);
	if (count == 0 || h[9] != 0 || le32(h + 14) == 0 ||
	    le32(h + 18) < 6 + 16 * count)
		return DP_FMT_UNKNOWN;
	if (icon && (planes > 1 || (bpp != 0 && bpp != 1 && bpp != 4 && bpp != 8 &&
				    bpp != 16 && bpp != 24 && bpp != 32)))
		return DP_FMT_UNKNOWN;
	return DP_FMT_ICO;
}

static int is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Netpbm "P1".."P7" and PFM "PF"/"Pf", then whitespace, as ppmload wants. */
static enum dp_format sniff_pnm(const uint8_t *h, size_t len)
{
	if (len < 3 || h[0] != 'P' || !is_space(h[2]))
		return DP_FMT_UNKNOWN;
	if ((h[1] >= '1' && h[1] <= '7') || h[1] == 'F' || h[1] == 'f')
		return DP_FMT_PNM;
	return DP_FMT_UNKNOWN;
}

static int find_in(const uint8_t *h, size_t len, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (h[i] == (uint8_t)s[0] && memcmp(h + i, s, n) == 0)
			return 1;
	return 0;
}

/* Length of the UTF-8 sequence at p (n bytes available): 1..4 when valid,
 * 0 when invalid, -1 when cut off by the end of the window. */
static int utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	int need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3;
	else
		return 0;
	/* No overlong forms, no UTF-16 surrogates, nothing above U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i <= need; i++) {
		if ((size_t)i >= n)
			return -1;
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return need + 1;
}

/*
 * Text: no NUL in the window, and at most 1 byte in 20 that is neither
 * printable ASCII, common whitespace/control (\t \n \r \f \v \b ESC), nor
 * part of valid UTF-8. A UTF-16/32 byte order mark also means text.
 */
static int is_text(const uint8_t *h, size_t len)
{
	size_t i = 0, bad = 0;
	int n;

	if (has_at(h, len, 0, "\xff\xfe", 2) || has_at(h, len, 0, "\xfe\xff", 2))
		return 1;
	if (has_at(h, len, 0, "\xef\xbb\xbf", 3))
		i = 3;
	if (len > TEXT_WINDOW)
		len = TEXT_WINDOW;
	if (i >= len)
		return i > 0;
	while (i < len) {
		uint8_t c = h[i];

		if (c == 0)
			return 0;
		if (c < 0x20 && !is_space(c) && c != '\b' && c != 0x1b) {
			bad++;
			i++;
			continue;
		}
		n = utf8_seq(h + i, len - i);
		if (n < 0)
			break;  /* sequence cut by the window: not evidence either way */
		if (n == 0 || c == 0x7f) {
			bad++;
			n = 1;
		}
		i += (size_t)n;
	}
	return bad * 20 <= len * TEXT_MAX_BAD_PER_20;
}

/* SVG: text whose first non-blank character is '<' and that has "<svg". */
static int is_svg(const uint8_t *h, size_t len)
{
	size_t i = has_at(h, len, 0, "\xef\xbb\xbf", 3) ? 3 : 0;

	while (i < len && is_space(h[i]))
		i++;
	return i < len && h[i] == '<' && find_in(h + i, len - i, "<svg");
}

enum dp_format dp_sniff(const uint8_t *head, size_t len)
{
	enum dp_format f;

	if (!head || len == 0)
		return DP_FMT_UNKNOWN;
	if (len > DP_SNIFF_HEAD)
		len = DP_SNIFF_HEAD;
	f = sniff_signature(head, len);
	if (f == DP_FMT_UNKNOWN)
		f = sniff_tiff_le(head, len);
	if (f == DP_FMT_UNKNOWN)
		f = sniff_riff(head, len);
	if (f == DP_FMT_UNKNOWN)
		f = sniff_ftyp(head, len);
	if (f == DP_FMT_UNKNOWN)
		f = sniff_qt_atom(head, len);
	if (f == DP_FMT_UNKNOWN)
		f = sniff_bmp(head, len);
	if (f == DP_FMT_UNKNOWN)
		f = sniff_ico(head, len);
	if (f == DP_FMT_UNKNOWN)
		f = sniff_pnm(head, len);
	if (f != DP_FMT_UNKNOWN)
		return f;
	if (find_in(head, len < PDF_WINDOW ? len : PDF_WINDOW, "%PDF-"))
		return DP_FMT_PDF;
	if (!is_text(head, len))
		return DP_FMT_UNKNOWN;
	return is_svg(head, len) ? DP_FMT_SVG : DP_FMT_TEXT;
}

const char *dp_format_name(enum dp_format f)
{
	if ((unsigned)f >= DP_FMT_COUNT)
		return "unknown";
	return format_names[f];
}

int dp_format_is_image(enum dp_format f)
{
	return f >= DP_FMT_JPEG && f <= DP_FMT_PSD;
}

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int ext_equal(const char *a, const char *lower)
{
	for (; *a && *lower; a++, lower++)
		if (ascii_lower((unsigned char)*a) != *lower)
			return 0;
	return *a == '\0' && *lower == '\0';
}

enum dp_format dp_format_from_extension(const char *path)
{
	const char *base, *dot;
	size_t i;

	if (!path)
		return DP_FMT_UNKNOWN;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (!dot || dot == base)
		return DP_FMT_UNKNOWN;
	for (i = 0; i < COUNT_OF(extensions); i++)
		if (ext_equal(dot + 1, extensions[i].ext))
			return extensions[i].format;
	return DP_FMT_UNKNOWN;
}

void dp_sniff_describe(const uint8_t *head, size_t len, char *out, size_t outlen)
{
	enum dp_format f;
	size_t i, n, pos;

	if (!out || outlen == 0)
		return;
	if (!head || len == 0) {
		snprintf(out, outlen, "empty");
		return;
	}
	f = dp_sniff(head, len);
	if (f != DP_FMT_UNKNOWN) {
		snprintf(out, outlen, "%s", dp_format_name(f));
		return;
	}
	n = len < DP_SNIFF_HEAD ? len : DP_SNIFF_HEAD;
	for (i = 0; i < n && head[i] == 0; i++)
		;
	if (i == n) {
		snprintf(out, outlen, "zero bytes");
		return;
	}
	pos = (size_t)snprintf(out, outlen, "binary data (starts 0x");
	for (i = 0; i < len && i < 8 && pos < outlen; i++)
		pos += (size_t)snprintf(out + pos, outlen - pos, "%02x", head[i]);
	if (pos < outlen)
		snprintf(out + pos, outlen - pos, "%s)", len > 8 ? "..." : "");
}
