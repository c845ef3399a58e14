/* tests/unit/test_sniff.c - format sniffing, names, extensions, descriptions.
 *
 * Each format gets a realistic head; every prefix of it is sniffed from an
 * exact-size heap copy (so AddressSanitizer reports any overread) and short
 * prefixes must not be mistaken for another format. Random heads from a
 * printed seed (--seed N) check that any input gives a valid answer.
 *
 * SPDX-License-Identifier: MIT
 */
#include "sniff.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"

#define RANDOM_HEADS 3000
#define DEFAULT_SEED 20140120u

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

struct sample {
	const char *what;
	const uint8_t *head;
	size_t len;
	enum dp_format want;
};

static const struct sample samples[] = {
	{ "jpeg JFIF", S("\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01"), DP_FMT_JPEG },
	{ "jpeg Exif", S("\xff\xd8\xff\xe1\x12\x34" "Exif\0\0MM\0*"), DP_FMT_JPEG },
	{ "png", S("\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), DP_FMT_PNG },
	{ "gif87a", S("GIF87a\x01\0\x01\0\x80\0\0"), DP_FMT_GIF },
	{ "gif89a", S("GIF89a\x01\0\x01\0\x80\0\0"), DP_FMT_GIF },
	{ "webp", S("RIFF\x24\0\0\0WEBPVP8 \x18\0\0\0"), DP_FMT_WEBP },
	{ "tiff II", S("II*\0\x08\0\0\0\x10\0\0\x01"), DP_FMT_TIFF },
	{ "tiff MM", S("MM\0*\0\0\0\x08\0\x10\x01\0"), DP_FMT_TIFF },
	{ "bigtiff II", S("II+\0\x08\0\0\0\x10\0\0\0\0\0\0\0"), DP_FMT_TIFF },
	{ "bigtiff MM", S("MM\0+\0\x08\0\0\0\0\0\0\0\0\0\x10"), DP_FMT_TIFF },
	{ "bmp v3", S("BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0\x02\0\0\0"), DP_FMT_BMP },
	{ "bmp core", S("BM\x1e\0\0\0\0\0\0\0\x1a\0\0\0\x0c\0\0\0\x01\0\x01\0"), DP_FMT_BMP },
	{ "bmp v5", S("BM\x46\0\0\0\0\0\0\0\x8a\0\0\0\x7c\0\0\0\x02\0\0\0"), DP_FMT_BMP },
	{ "pgm P5", S("P5\n640 480\n255\n\x01\x02"), DP_FMT_PNM },
	{ "ppm P6", S("P6 3 2 255 "), DP_FMT_PNM },
	{ "pbm P1", S("P1\r\n# c\n1 1\n0\n"), DP_FMT_PNM },
	{ "pam P7", S("P7\nWIDTH 4\nHEIGHT 4\n"), DP_FMT_PNM },
	{ "pfm Pf", S("Pf\n4 4\n-1.0\n"), DP_FMT_PNM },
	{ "pfm PF", S("PF\t4 4\n1.0\n"), DP_FMT_PNM },
	{ "heic", S("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic"), DP_FMT_HEIF },
	{ "heic heix", S("\0\0\0\x14" "ftypheix\0\0\0\0mif1"), DP_FMT_HEIF },
	{ "heif mif1", S("\0\0\0\x14" "ftypmif1\0\0\0\0mif1"), DP_FMT_HEIF },
	{ "heif msf1", S("\0\0\0\x14" "ftypmsf1\0\0\0\0msf1"), DP_FMT_HEIF },
	{ "avif", S("\0\0\0\x1c" "ftypavif\0\0\0\0avifmif1miaf"), DP_FMT_AVIF },
	{ "avif minor mif1", S("\0\0\0\x20" "ftypmif1\0\0\0\0mif1miafMA1Bavif"), DP_FMT_AVIF },
	{ "avif sequence", S("\0\0\0\x18" "ftypavis\0\0\0\0avismsf1"), DP_FMT_AVIF },
	{ "jxl codestream", S("\xff\x0a\xfa\x1f\x42\x10"), DP_FMT_JXL },
	{ "jxl container", S("\0\0\0\x0cJXL \r\n\x87\n\0\0\0\x14" "ftypjxl "), DP_FMT_JXL },
	{ "jp2", S("\0\0\0\x0cjP  \r\n\x87\n\0\0\0\x14" "ftypjp2 "), DP_FMT_JP2 },
	{ "j2k", S("\xff\x4f\xff\x51\0\x2f\0\0"), DP_FMT_J2K },
	{ "ico", S("\0\0\x01\0\x01\0\x10\x10\0\0\x01\0\x20\0\x68\x04\0\0\x16\0\0\0"), DP_FMT_ICO },
	{ "ico png", S("\0\0\x01\0\x02\0\0\0\0\0\0\0\0\0\x10\x20\0\0\x26\0\0\0"), DP_FMT_ICO },
	{ "cur", S("\0\0\x02\0\x01\0\x20\x20\0\0\x05\0\x07\0\x30\x01\0\0\x16\0\0\0"), DP_FMT_ICO },
	{ "psd", S("8BPS\0\x01\0\0\0\0\0\0\0\x03"), DP_FMT_PSD },
	{ "psb", S("8BPS\0\x02\0\0\0\0\0\0\0\x03"), DP_FMT_PSD },
	{ "cr2", S("II*\0\x10\0\0\0" "CR\x02\0"), DP_FMT_RAW },
	{ "cr3", S("\0\0\0\x18" "ftypcrx \0\0\0\x01" "crx isom"), DP_FMT_RAW },
	{ "orf", S("IIRO\x08\0\0\0"), DP_FMT_RAW },
	{ "rw2", S("IIU\0\x08\0\0\0"), DP_FMT_RAW },
	{ "raf", S("FUJIFILMCCD-RAW 0201FF383501"), DP_FMT_RAW },
	{ "svg", S("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\"/>"), DP_FMT_SVG },
	{ "svg xml", S("\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- x -->\n<svg>"), DP_FMT_SVG },
	{ "pdf", S("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), DP_FMT_PDF },
	{ "zip", S("PK\x03\x04\x14\0\0\0\x08\0"), DP_FMT_ZIP },
	{ "zip empty", S("PK\x05\x06\0\0\0\0\0\0"), DP_FMT_ZIP },
	{ "gzip", S("\x1f\x8b\x08\0\0\0\0\0\0\x03"), DP_FMT_GZIP },
	{ "rar4", S("Rar!\x1a\x07\0\xcf\x90"), DP_FMT_RAR },
	{ "rar5", S("Rar!\x1a\x07\x01\0\x33\x92"), DP_FMT_RAR },
	{ "7z", S("7z\xbc\xaf\x27\x1c\0\x04"), DP_FMT_7Z },
	{ "mp4", S("\0\0\0\x20" "ftypisom\0\0\x02\0isomiso2avc1mp41"), DP_FMT_MP4 },
	{ "mp4 mp42", S("\0\0\0\x18" "ftypmp42\0\0\0\0mp42isom"), DP_FMT_MP4 },
	{ "3gp", S("\0\0\0\x14" "ftyp3gp4\0\0\x02\0" "3gp4"), DP_FMT_MP4 },
	{ "mov ftyp", S("\0\0\0\x14" "ftypqt  \0\0\x02\0qt  "), DP_FMT_MOV },
	{ "mov wide", S("\0\0\0\x08wide\0\x10\0\0mdat"), DP_FMT_MOV },
	{ "mov moov", S("\0\0\x01\0moov\0\0\0\x6cmvhd"), DP_FMT_MOV },
	{ "avi", S("RIFF\x24\0\0\0" "AVI LIST"), DP_FMT_AVI },
	{ "mkv", S("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01"), DP_FMT_MKV },
	{ "text ascii", S("hello, world\nsecond line\n"), DP_FMT_TEXT },
	{ "text utf-8", S("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7"), DP_FMT_TEXT },
	{ "text utf-8 bom", S("\xef\xbb\xbfname,date\n"), DP_FMT_TEXT },
	{ "text utf-16le", S("\xff\xfeh\0i\0"), DP_FMT_TEXT },
	{ "text latin-1 letter", S("The caf\xe9 on the corner sells bread and coffee every morning."), DP_FMT_TEXT },
	{ "html", S("<!DOCTYPE html>\n<html><body>photo</body></html>\n"), DP_FMT_TEXT },
	{ "text starting BM", S("BMW 320i, registration ABC-123, seen at 08:07\n"), DP_FMT_TEXT },
	{ "text mentioning svg", S("see the <svg> element\n"), DP_FMT_TEXT },
	{ "text starting P8", S("P8 is not a netpbm magic\n"), DP_FMT_TEXT },
	{ "text log with ESC", S("\x1b[1mbold\x1b[0m and a tab\there\n"), DP_FMT_TEXT },
	{ "elf", S("\x7f" "ELF\x02\x01\x01\0\0\0\0\0"), DP_FMT_UNKNOWN },
	{ "wav", S("RIFF\x24\0\0\0WAVEfmt "), DP_FMT_UNKNOWN },
	{ "bmp bad dib size", S("BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x29\0\0\0\x02\0\0\0"), DP_FMT_UNKNOWN },
	{ "ico count 0", S("\0\0\x01\0\0\0\x10\x10\0\0\x01\0\x20\0\x68\x04\0\0\x16\0\0\0"), DP_FMT_UNKNOWN },
	{ "ico planes 7", S("\0\0\x01\0\x01\0\x10\x10\0\0\x07\0\x20\0\x68\x04\0\0\x16\0\0\0"), DP_FMT_UNKNOWN },
	{ "binary controls", S("\x01\x02\x03\x04\x05\x06\x07\x0e\x0f\x10\x11"), DP_FMT_UNKNOWN },
	{ "binary high bytes", S("\x80\x81\xfe\xff\xc0\xc1\xf5\xf8\x90\xa0\xb0\xc3\x28"), DP_FMT_UNKNOWN },
	{ "zeros", S("\0\0\0\0\0\0\0\0"), DP_FMT_UNKNOWN },
};

#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))

static uint8_t *heap_copy(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	if (!c) {
		tap_diag("out of memory");
		exit(1);
	}
	memcpy(c, p, n);
	return c;
}

static enum dp_format sniff_copy(const uint8_t *p, size_t n)
{
	uint8_t *c = heap_copy(p, n);
	enum dp_format f = dp_sniff(c, n);

	free(c);
	return f;
}

static void test_samples(void)
{
	enum dp_format got;
	size_t i;

	for (i = 0; i < N_SAMPLES; i++) {
		got = sniff_copy(samples[i].head, samples[i].len);
		if (!tap_ok(got == samples[i].want, "%s -> %s", samples[i].what,
			    dp_format_name(samples[i].want)))
			tap_diag("got %s", dp_format_name(got));
	}
}

/* Short prefixes: never another format (AVIF may read as HEIF and CR2 as
 * TIFF until the distinguishing brand/marker is in the head). */
static void test_prefixes(void)
{
	size_t i, n, bad_short = 0, bad_any = 0;
	enum dp_format f;

	for (i = 0; i < N_SAMPLES; i++) {
		const struct sample *s = &samples[i];

		for (n = 0; n < s->len; n++) {
			f = sniff_copy(s->head, n);
			if (n <= 3 && f != DP_FMT_UNKNOWN && f != DP_FMT_TEXT && f != s->want) {
				if (bad_short++ == 0)
					tap_diag("%s at %zu bytes -> %s", s->what, n, dp_format_name(f));
			}
			if (f != DP_FMT_UNKNOWN && f != DP_FMT_TEXT && f != s->want &&
			    !(s->want == DP_FMT_AVIF && f == DP_FMT_HEIF) &&
			    !(s->want == DP_FMT_RAW && f == DP_FMT_TIFF) &&
			    !(s->want == DP_FMT_SVG && f == DP_FMT_TEXT)) {
				if (bad_any++ == 0)
					tap_diag("%s at %zu bytes -> %s", s->what, n, dp_format_name(f));
			}
		}
	}
	tap_ok(bad_short == 0, "heads of 0..3 bytes never name another format");
	tap_ok(bad_any == 0, "no prefix of any sample names another format");
	TAP_IS_INT(dp_sniff(NULL, 0), DP_FMT_UNKNOWN, "NULL, 0 -> unknown");
	TAP_IS_INT(dp_sniff((const uint8_t *)"x", 0), DP_FMT_UNKNOWN, "length 0 -> unknown");
	TAP_IS_INT(sniff_copy(S("\xff\xd8\xff")), DP_FMT_JPEG, "3-byte JPEG head");
	TAP_IS_INT(sniff_copy(S("\xff\xd8")), DP_FMT_UNKNOWN, "2-byte JPEG head is not enough");
	TAP_IS_INT(sniff_copy(S("\x89PNG")), DP_FMT_UNKNOWN, "4-byte PNG head is not enough");
	TAP_IS_INT(sniff_copy(S("P6")), DP_FMT_TEXT, "\"P6\" without whitespace is text");
	TAP_IS_INT(sniff_copy(S("a")), DP_FMT_TEXT, "one printable byte is text");
	TAP_IS_INT(sniff_copy(S("\0")), DP_FMT_UNKNOWN, "one NUL byte is unknown");
}

static void test_structure(void)
{
	uint8_t buf[8192];
	size_t i;

	/* ftyp box ends before an "avif" that follows it. */
	TAP_IS_INT(sniff_copy(S("\0\0\0\x10" "ftypisom\0\0\0\0avif")), DP_FMT_MP4,
		   "brand after the ftyp box is not read");
	/* Box size 0 ("to end of file") scans the whole head. */
	TAP_IS_INT(sniff_copy(S("\0\0\0\0" "ftypmp42\0\0\0\0heic")), DP_FMT_HEIF,
		   "ftyp size 0 scans the head");
	TAP_IS_INT(sniff_copy(S("\0\0\0\x18" "ftypqt  \0\0\0\0qt  heic")), DP_FMT_HEIF,
		   "image brand wins over video major brand");

	/* PDF header after junk, within and beyond 1024 bytes. */
	memset(buf, 0x01, sizeof(buf));
	memcpy(buf + 500, "%PDF-1.4", 8);
	TAP_IS_INT(sniff_copy(buf, 1024), DP_FMT_PDF, "%%PDF- at offset 500");
	memset(buf, 0x01, sizeof(buf));
	memcpy(buf + 1020, "%PDF-1.4", 8);
	TAP_IS_INT(sniff_copy(buf, 2048), DP_FMT_UNKNOWN, "%%PDF- straddling 1024 is not found");

	/* Long text: a UTF-8 sequence cut by the 512-byte window. */
	memset(buf, 'a', sizeof(buf));
	buf[511] = 0xd0;
	buf[512] = 0x9f;
	TAP_IS_INT(sniff_copy(buf, 600), DP_FMT_TEXT, "UTF-8 sequence cut by the window");
	/* A NUL after the window does not matter; one inside does. */
	buf[700] = 0;
	TAP_IS_INT(sniff_copy(buf, 800), DP_FMT_TEXT, "NUL beyond the text window");
	buf[100] = 0;
	TAP_IS_INT(sniff_copy(buf, 800), DP_FMT_UNKNOWN, "NUL inside the text window");
	/* 1 stray byte in 20 is text, more is binary. */
	memset(buf, 'a', 400);
	for (i = 0; i < 400; i += 20)
		buf[i] = 0x01;
	TAP_IS_INT(sniff_copy(buf, 400), DP_FMT_TEXT, "1 control byte in 20 is text");
	for (i = 10; i < 400; i += 20)
		buf[i] = 0x01;
	TAP_IS_INT(sniff_copy(buf, 400), DP_FMT_UNKNOWN, "1 control byte in 10 is binary");
	/* Overlong and surrogate UTF-8 forms are not text characters. */
	TAP_IS_INT(sniff_copy(S("\xc0\xaf\xe0\x80\xaf\xed\xa0\x80\xf4\x90\x80\x80")),
		   DP_FMT_UNKNOWN, "overlong/surrogate/out-of-range UTF-8 is binary");
	/* A large head is fine; only DP_SNIFF_HEAD bytes are looked at. */
	memset(buf, ' ', sizeof(buf));
	memcpy(buf + 8000, "<svg", 4);
	buf[0] = '<';
	TAP_IS_INT(sniff_copy(buf, sizeof(buf)), DP_FMT_TEXT, "<svg beyond DP_SNIFF_HEAD not seen");
	memcpy(buf + 100, "<svg", 4);
	TAP_IS_INT(sniff_copy(buf, sizeof(buf)), DP_FMT_SVG, "<svg within the head");
}

static void test_names(void)
{
	int f, g, unique = 1, lower = 1, images = 0;
	const char *n;

	for (f = 0; f < DP_FMT_COUNT; f++) {
		n = dp_format_name((enum dp_format)f);
		if (!n || !*n || strlen(n) > 8)
			lower = 0;
		for (; n && *n; n++)
			if (!((*n >= 'a' && *n <= 'z') || (*n >= '0' && *n <= '9')))
				lower = 0;
		for (g = 0; g < f; g++)
			if (!strcmp(dp_format_name((enum dp_format)f), dp_format_name((enum dp_format)g)))
				unique = 0;
		images += dp_format_is_image((enum dp_format)f);
	}
	tap_ok(lower, "every name is short lowercase [a-z0-9]");
	tap_ok(unique, "names are unique");
	tap_ok(!strcmp(dp_format_name(DP_FMT_UNKNOWN), "unknown") &&
	       !strcmp(dp_format_name(DP_FMT_COUNT), "unknown") &&
	       !strcmp(dp_format_name((enum dp_format)-1), "unknown"),
	       "unknown and out-of-range values are \"unknown\"");
	tap_ok(!strcmp(dp_format_name(DP_FMT_JPEG), "jpeg") &&
	       !strcmp(dp_format_name(DP_FMT_TEXT), "text"), "jpeg, text");
	TAP_IS_INT(images, 14, "14 image formats");
	tap_ok(dp_format_is_image(DP_FMT_JPEG) && dp_format_is_image(DP_FMT_HEIF) &&
	       dp_format_is_image(DP_FMT_AVIF) && dp_format_is_image(DP_FMT_PSD) &&
	       !dp_format_is_image(DP_FMT_UNKNOWN) && !dp_format_is_image(DP_FMT_RAW) &&
	       !dp_format_is_image(DP_FMT_SVG) && !dp_format_is_image(DP_FMT_PDF) &&
	       !dp_format_is_image(DP_FMT_MP4) && !dp_format_is_image(DP_FMT_TEXT) &&
	       !dp_format_is_image(DP_FMT_COUNT), "is_image picks raster formats only");
}

static void test_extensions(void)
{
	static const struct {
		const char *path;
		enum dp_format want;
	} cases[] = {
		{ "IMG_0001.JPG", DP_FMT_JPEG },
		{ "a/b/c.JpEg", DP_FMT_JPEG },
		{ "scan.jfif", DP_FMT_JPEG },
		{ "x.png", DP_FMT_PNG },
		{ "x.tif", DP_FMT_TIFF },
		{ "x.TIFF", DP_FMT_TIFF },
		{ "IMG_1234.HEIC", DP_FMT_HEIF },
		{ "x.avif", DP_FMT_AVIF },
		{ "x.webp", DP_FMT_WEBP },
		{ "x.pgm", DP_FMT_PNM },
		{ "x.jxl", DP_FMT_JXL },
		{ "x.jp2", DP_FMT_JP2 },
		{ "x.j2k", DP_FMT_J2K },
		{ "favicon.ico", DP_FMT_ICO },
		{ "DSC_0001.NEF", DP_FMT_RAW },
		{ "x.dng", DP_FMT_RAW },
		{ "report.PDF", DP_FMT_PDF },
		{ "x.docx", DP_FMT_ZIP },
		{ "dump.tar.gz", DP_FMT_GZIP },
		{ "clip.MOV", DP_FMT_MOV },
		{ "clip.mp4", DP_FMT_MP4 },
		{ "clip.webm", DP_FMT_MKV },
		{ "notes.txt", DP_FMT_TEXT },
		{ "x.7z", DP_FMT_7Z },
		{ "dir.jpg/file", DP_FMT_UNKNOWN },
		{ ".jpg", DP_FMT_UNKNOWN },
		{ "a/.jpg", DP_FMT_UNKNOWN },
		{ "a/.hidden.jpg", DP_FMT_JPEG },
		{ "noext", DP_FMT_UNKNOWN },
		{ "file.", DP_FMT_UNKNOWN },
		{ "x.jpgx", DP_FMT_UNKNOWN },
		{ "x.jp", DP_FMT_UNKNOWN },
		{ "", DP_FMT_UNKNOWN },
		{ "x.j\xc3\xa9pg", DP_FMT_UNKNOWN },
	};
	enum dp_format got;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = dp_format_from_extension(cases[i].path);
		if (!tap_ok(got == cases[i].want, "extension of \"%s\" -> %s", cases[i].path,
			    dp_format_name(cases[i].want)))
			tap_diag("got %s", dp_format_name(got));
	}
	TAP_IS_INT(dp_format_from_extension(NULL), DP_FMT_UNKNOWN, "NULL path");
}

static void describe_is(const uint8_t *head, size_t len, size_t outlen, const char *want)
{
	char out[128];
	uint8_t *c = heap_copy(head, len);

	memset(out, 'X', sizeof(out));
	dp_sniff_describe(c, len, out, outlen);
	free(c);
	if (!tap_ok(memchr(out, 0, outlen) && !strcmp(out, want), "describe -> \"%s\"", want))
		tap_diag("got \"%.*s\"", (int)outlen, out);
}

static void test_describe(void)
{
	char out[8] = "XXXXXXX";

	describe_is(S(""), 64, "empty");
	describe_is(S("%PDF-1.7\n"), 64, "pdf");
	describe_is(S("hello\n"), 64, "text");
	describe_is(S("\0\0\0\0\0\0\0\0\0\0"), 64, "zero bytes");
	describe_is(S("\x7f" "ELF\x02\x01\x01\0\0\0\0\0"), 64,
		    "binary data (starts 0x7f454c4602010100...)");
	describe_is(S("\0\x01"), 64, "binary data (starts 0x0001)");
	describe_is(S("\x7f" "ELF\x02\x01\x01\0\0\0\0\0"), 5, "bina");
	describe_is(S("\x7f" "ELF\x02\x01\x01\0\0\0\0\0"), 30, "binary data (starts 0x7f454c4");
	describe_is(S("\x7f" "ELF\x02\x01\x01\0\0\0\0\0"), 1, "");
	dp_sniff_describe(NULL, 0, out, sizeof(out));
	tap_ok(!strcmp(out, "empty"), "describe NULL head -> \"empty\"");
	dp_sniff_describe((const uint8_t *)"x", 1, NULL, 10);
	dp_sniff_describe((const uint8_t *)"x", 1, out, 0);
	tap_ok(!strcmp(out, "empty"), "NULL out / outlen 0 write nothing");
}

/* xorshift64*: small, seedable, identical everywhere. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void test_random(uint64_t seed)
{
	uint64_t s = seed ? seed : 1;
	uint8_t buf[600];
	char out[48];
	size_t len, j, bad = 0;
	enum dp_format f;
	int i;

	for (i = 0; i < RANDOM_HEADS; i++) {
		const struct sample *base = &samples[rng_next(&s) % N_SAMPLES];

		len = rng_next(&s) % sizeof(buf);
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)rng_next(&s);
		if (i % 2 == 0) {  /* a real head with random bytes after it */
			memcpy(buf, base->head, base->len < len ? base->len : len);
			if (len > 0 && rng_next(&s) % 2)
				buf[rng_next(&s) % len] ^= 0xff;
		}
		f = sniff_copy(buf, len);
		{
			uint8_t *c = heap_copy(buf, len);

			dp_sniff_describe(c, len, out, sizeof(out));
			free(c);
		}
		if ((unsigned)f >= DP_FMT_COUNT || !memchr(out, 0, sizeof(out)) || !out[0]) {
			if (bad++ == 0)
				tap_diag("first failure at iteration %d", i);
		}
	}
	tap_ok(bad == 0, "%d random heads (seed %llu): %zu bad", RANDOM_HEADS,
	       (unsigned long long)seed, bad);
}

int main(int argc, char **argv)
{
	unsigned long long seed;

	if (tap_seed(argc, argv, DEFAULT_SEED, &seed))
		return 2;
	test_samples();
	test_prefixes();
	test_structure();
	test_names();
	test_extensions();
	test_describe();
	test_random(seed);
	return tap_done();
}
