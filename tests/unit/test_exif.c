/* tests/unit/test_exif.c - EXIF parser: fields, byte orders, damage, mutation.
 *
 * Blobs are built by hand with a tiny in-test TIFF writer (both byte orders,
 * inline and offset values, an optional ExifIFD), then damaged on purpose:
 * patched offsets and counts, self-references, truncation at every length,
 * and a few thousand random mutations from a seed that is printed and can be
 * set with --seed N. Every parse runs on an exact-size heap copy so that
 * AddressSanitizer reports any read past the end.
 *
 * SPDX-License-Identifier: MIT
 */
#include "exif.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"

#define BLOB_MAX 4096
#define MUTATIONS 4000
#define DEFAULT_SEED 20120315u

/* One IFD entry to write. Strings: str with count bytes (0: strlen + 1),
 * NUL-padded when count is larger. Numbers: num, type SHORT or LONG. */
struct ent {
	uint16_t tag, type;
	uint32_t count;
	uint32_t num;
	const char *str;
};

struct blob {
	uint8_t b[BLOB_MAX];
	size_t len;
	int be;
	size_t ptr_pos;  /* value field of IFD0's ExifIFD pointer entry, or 0 */
	size_t exif;     /* offset of the ExifIFD, or 0 */
};

static void w16(struct blob *bl, size_t off, uint32_t v)
{
	if (bl->be) {
		bl->b[off] = (uint8_t)(v >> 8);
		bl->b[off + 1] = (uint8_t)v;
	} else {
		bl->b[off] = (uint8_t)v;
		bl->b[off + 1] = (uint8_t)(v >> 8);
	}
}

static void w32(struct blob *bl, size_t off, uint32_t v)
{
	if (bl->be) {
		w16(bl, off, v >> 16);
		w16(bl, off + 2, v & 0xffff);
	} else {
		w16(bl, off, v & 0xffff);
		w16(bl, off + 2, v >> 16);
	}
}

static uint32_t r32(const struct blob *bl, size_t off)
{
	const uint8_t *b = bl->b + off;

	if (bl->be)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

/* Write an IFD table at `at` with its out-of-line values after it; with
 * exif_ptr, append a 0x8769 LONG entry (value patched later). Returns the
 * end offset. */
static size_t write_ifd(struct blob *bl, size_t at, const struct ent *e, int n,
			int exif_ptr)
{
	size_t data = at + 2 + 12 * (size_t)(n + exif_ptr) + 4;
	size_t ent, vpos, size;
	int i;

	w16(bl, at, (uint32_t)(n + exif_ptr));
	for (i = 0; i < n; i++) {
		uint32_t count = e[i].count;

		ent = at + 2 + 12 * (size_t)i;
		if (e[i].str && count == 0)
			count = (uint32_t)strlen(e[i].str) + 1;
		if (!e[i].str && count == 0)
			count = 1;
		w16(bl, ent, e[i].tag);
		w16(bl, ent + 2, e[i].type);
		w32(bl, ent + 4, count);
		w32(bl, ent + 8, 0);
		size = e[i].str ? count : (e[i].type == 3 ? 2u : 4u) * count;
		vpos = ent + 8;
		if (size > 4) {
			vpos = data;
			w32(bl, ent + 8, (uint32_t)data);
			data += size + (size & 1);
		}
		if (e[i].str) {
			size_t sl = strlen(e[i].str) + 1;

			memset(bl->b + vpos, 0, size);
			memcpy(bl->b + vpos, e[i].str, sl < size ? sl : size);
		} else if (e[i].type == 3) {
			w16(bl, vpos, e[i].num);
		} else {
			w32(bl, vpos, e[i].num);
		}
	}
	if (exif_ptr) {
		ent = at + 2 + 12 * (size_t)n;
		w16(bl, ent, 0x8769);
		w16(bl, ent + 2, 4);
		w32(bl, ent + 4, 1);
		bl->ptr_pos = ent + 8;
	}
	w32(bl, at + 2 + 12 * (size_t)(n + exif_ptr), 0);  /* no next IFD */
	return data;
}

/* Build a bare TIFF: IFD0 at 8, then the ExifIFD when ne >= 0. */
static void build(struct blob *bl, int be, const struct ent *ifd0, int n0,
		  const struct ent *exif, int ne)
{
	size_t end;

	memset(bl, 0, sizeof(*bl));
	bl->be = be;
	memcpy(bl->b, be ? "MM\0*" : "II*\0", 4);
	w32(bl, 4, 8);
	end = write_ifd(bl, 8, ifd0, n0, ne >= 0);
	if (ne >= 0) {
		bl->exif = end;
		w32(bl, bl->ptr_pos, (uint32_t)end);
		end = write_ifd(bl, end, exif, ne, 0);
	}
	bl->len = end;
}

/* Prepend "Exif\0\0" as in a JPEG APP1 payload. */
static void add_prefix(struct blob *bl)
{
	memmove(bl->b + 6, bl->b, bl->len);
	memcpy(bl->b, "Exif\0\0", 6);
	bl->len += 6;
}

/* Parse an exact-size heap copy so ASan sees any overread. */
static int parse_copy(const uint8_t *p, size_t n, struct dp_exif *x)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	if (!copy) {
		tap_diag("out of memory");
		exit(1);
	}
	memcpy(copy, p, n);
	rc = dp_exif_parse(copy, n, x);
	free(copy);
	return rc;
}

static int is_printable_field(const char *s, size_t size)
{
	const char *nul = memchr(s, 0, size);
	const char *c;

	if (!nul)
		return 0;
	for (c = s; c < nul; c++)
		if (*c < 0x20 || *c > 0x7e)
			return 0;
	return 1;
}

/* Output invariants that must hold for any input. */
static int sane(const struct dp_exif *x)
{
	const char *t = x->capture_time;
	size_t i, n;

	if (x->orientation < 0 || x->orientation > 8)
		return 0;
	if (!is_printable_field(x->capture_time, sizeof(x->capture_time)) ||
	    !is_printable_field(x->make, sizeof(x->make)) ||
	    !is_printable_field(x->model, sizeof(x->model)) ||
	    !is_printable_field(x->serial, sizeof(x->serial)))
		return 0;
	n = strlen(t);
	if (n == 0)
		return 1;
	if (n < 19)
		return 0;
	for (i = 0; i < 19; i++) {
		char want = "dddd-dd-ddTdd:dd:dd"[i];

		if (want == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != want)
			return 0;
	}
	for (; i < n; i++)
		if (!strchr("0123456789.+-:", t[i]))
			return 0;
	return 1;
}

static const struct ent std_ifd0[] = {
	{ 0x010f, 2, 0, 0, "Canon" },
	{ 0x0110, 2, 0, 0, "Canon EOS 5D Mark III" },
	{ 0x0112, 3, 1, 6, NULL },
	{ 0xc62f, 2, 0, 0, "DNG-SERIAL" },
};

static const struct ent std_exif[] = {
	{ 0x9003, 2, 0, 0, "2012:03:15 08:07:29" },
	{ 0x9011, 2, 0, 0, "+03:00" },
	{ 0x9291, 2, 0, 0, "25" },        /* 3 bytes: inline */
	{ 0xa431, 2, 0, 0, "012345678901" },
};

#define N_STD0 ((int)(sizeof(std_ifd0) / sizeof(std_ifd0[0])))
#define N_STDX ((int)(sizeof(std_exif) / sizeof(std_exif[0])))

static void build_std(struct blob *bl, int be)
{
	build(bl, be, std_ifd0, N_STD0, std_exif, N_STDX);
}

static int is_std(const struct dp_exif *x)
{
	return x->orientation == 6 &&
	       strcmp(x->capture_time, "2012-03-15T08:07:29.25+03:00") == 0 &&
	       strcmp(x->make, "Canon") == 0 &&
	       strcmp(x->model, "Canon EOS 5D Mark III") == 0 &&
	       strcmp(x->serial, "012345678901") == 0;
}

static void diag_exif(const struct dp_exif *x)
{
	tap_diag("orientation=%d time='%s' make='%s' model='%s' serial='%s'",
		 x->orientation, x->capture_time, x->make, x->model, x->serial);
}

static void test_standard(void)
{
	struct blob bl;
	struct dp_exif x;
	int be;

	for (be = 0; be <= 1; be++) {
		const char *order = be ? "big-endian" : "little-endian";

		build_std(&bl, be);
		TAP_IS_INT(parse_copy(bl.b, bl.len, &x), 0, "%s bare TIFF parses", order);
		if (!tap_ok(is_std(&x), "%s bare TIFF: all fields", order))
			diag_exif(&x);
		add_prefix(&bl);
		TAP_IS_INT(parse_copy(bl.b, bl.len, &x), 0, "%s Exif\\0\\0 payload parses", order);
		if (!tap_ok(is_std(&x), "%s Exif\\0\\0 payload: all fields", order))
			diag_exif(&x);
	}
}

static void test_heif_prefix(void)
{
	struct blob bl;
	struct dp_exif x;
	uint8_t buf[BLOB_MAX + 16];

	build_std(&bl, 1);
	memcpy(buf, "\0\0\0\0Exif\0\0", 10);
	memcpy(buf + 10, bl.b, bl.len);
	tap_ok(parse_copy(buf, bl.len + 10, &x) == 0 && is_std(&x),
	       "HEIF item: offset 0 then Exif\\0\\0");
	memcpy(buf, "\0\0\0\3xyz", 7);
	memcpy(buf + 7, bl.b, bl.len);
	tap_ok(parse_copy(buf, bl.len + 7, &x) == 0 && is_std(&x),
	       "HEIF item: offset 3 then bare TIFF");
	memcpy(buf, "\0\0\0\xff", 4);
	TAP_IS_INT(parse_copy(buf, 64, &x), DP_E_FORMAT, "HEIF offset past end");
}

static void test_not_exif(void)
{
	static const uint8_t bigtiff[16] = "II+\0\x08\0\0\0\0\0\0\0\0\0\0\0";
	static const uint8_t notiff[] = "Exif\0\0hello world";
	struct dp_exif x;

	memset(&x, 0xaa, sizeof(x));
	TAP_IS_INT(dp_exif_parse(NULL, 0, &x), DP_E_FORMAT, "NULL data");
	tap_ok(x.orientation == 0 && x.make[0] == 0 && x.capture_time[0] == 0,
	       "output zeroed on DP_E_FORMAT");
	TAP_IS_INT(dp_exif_parse((const uint8_t *)"x", 0, &x), DP_E_FORMAT, "empty blob");
	TAP_IS_INT(parse_copy((const uint8_t *)"hello world", 11, &x), DP_E_FORMAT, "text");
	TAP_IS_INT(parse_copy(notiff, sizeof(notiff) - 1, &x), DP_E_FORMAT,
		   "Exif prefix without TIFF header");
	TAP_IS_INT(parse_copy(bigtiff, sizeof(bigtiff), &x), DP_E_FORMAT, "BigTIFF header");
	TAP_IS_INT(parse_copy((const uint8_t *)"II*\0\x08\0\0", 7, &x), DP_E_FORMAT,
		   "7-byte TIFF header");
	TAP_IS_INT(dp_exif_parse(notiff, sizeof(notiff), NULL), DP_E_ARG, "NULL out");
}

static void test_optional_time_parts(void)
{
	struct ent ex[N_STDX];
	struct blob bl;
	struct dp_exif x;

	memcpy(ex, std_exif, sizeof(ex));
	ex[1].tag = 0x1234;  /* drop OffsetTimeOriginal */
	build(&bl, 0, std_ifd0, N_STD0, ex, N_STDX);
	TAP_IS_INT(parse_copy(bl.b, bl.len, &x), 0, "no offset: parses");
	tap_ok(strcmp(x.capture_time, "2012-03-15T08:07:29.25") == 0,
	       "no offset: '%s'", x.capture_time);
	ex[2].tag = 0x1235;  /* and SubSecTimeOriginal */
	build(&bl, 1, std_ifd0, N_STD0, ex, N_STDX);
	(void)parse_copy(bl.b, bl.len, &x);
	tap_ok(strcmp(x.capture_time, "2012-03-15T08:07:29") == 0,
	       "no subsec, no offset: '%s'", x.capture_time);
	memcpy(ex, std_exif, sizeof(ex));
	ex[2].tag = 0x1235;
	build(&bl, 1, std_ifd0, N_STD0, ex, N_STDX);
	(void)parse_copy(bl.b, bl.len, &x);
	tap_ok(strcmp(x.capture_time, "2012-03-15T08:07:29+03:00") == 0,
	       "offset without subsec: '%s'", x.capture_time);
}

/* Parse a blob whose ExifIFD holds just the three time tags. */
static void time_of(const char *date, const char *subsec, const char *offset,
		    char *out)
{
	struct ent ex[3] = {
		{ 0x9003, 2, 0, 0, date },
		{ 0x9291, 2, 0, 0, subsec },
		{ 0x9011, 2, 0, 0, offset },
	};
	struct blob bl;
	struct dp_exif x;
	int n = 1;

	if (subsec)
		n = 2;
	if (offset) {
		if (!subsec)
			ex[1] = ex[2];
		n = subsec ? 3 : 2;
	}
	build(&bl, 0, std_ifd0, 1, ex, n);
	if (parse_copy(bl.b, bl.len, &x) != 0 || !sane(&x))
		strcpy(out, "<error>");
	else
		strcpy(out, x.capture_time);
}

static void test_dates(void)
{
	static const struct {
		const char *date, *subsec, *offset, *want;
	} cases[] = {
		{ "2012:03:15 08:07:29", NULL, NULL, "2012-03-15T08:07:29" },
		{ "2012:03:15 08:07:29 ", NULL, NULL, "2012-03-15T08:07:29" },
		{ "2012-03-15T08:07:29", NULL, NULL, "2012-03-15T08:07:29" },
		{ "2012:02:29 23:59:60", NULL, NULL, "2012-02-29T23:59:60" },
		{ "2000:02:29 00:00:00", NULL, NULL, "2000-02-29T00:00:00" },
		{ "0000:00:00 00:00:00", NULL, NULL, "" },
		{ "    :  :     :  :  ", NULL, NULL, "" },
		{ "", NULL, NULL, "" },
		{ "2012:03:15", NULL, NULL, "" },
		{ "2012:13:01 00:00:00", NULL, NULL, "" },
		{ "2012:00:10 00:00:00", NULL, NULL, "" },
		{ "2011:02:29 12:00:00", NULL, NULL, "" },
		{ "1900:02:29 12:00:00", NULL, NULL, "" },
		{ "2012:04:31 12:00:00", NULL, NULL, "" },
		{ "2012:03:15 24:00:00", NULL, NULL, "" },
		{ "2012:03:15 08:60:00", NULL, NULL, "" },
		{ "2012:03-15 08:07:29", NULL, NULL, "" },
		{ "2012:03:15 08:07:2x", NULL, NULL, "" },
		{ "0000:03:15 08:07:29", NULL, NULL, "" },
		{ "2012:03:15 08:07:29", "25", "+03:00", "2012-03-15T08:07:29.25+03:00" },
		{ "2012:03:15 08:07:29", "  7 ", "-05:30", "2012-03-15T08:07:29.7-05:30" },
		{ "2012:03:15 08:07:29", "1234567890123", NULL, "2012-03-15T08:07:29.123456789" },
		{ "2012:03:15 08:07:29", "2a", "+03:00", "2012-03-15T08:07:29+03:00" },
		{ "2012:03:15 08:07:29", "-1", NULL, "2012-03-15T08:07:29" },
		{ "2012:03:15 08:07:29", "", NULL, "2012-03-15T08:07:29" },
		{ "2012:03:15 08:07:29", NULL, "+3:00", "2012-03-15T08:07:29" },
		{ "2012:03:15 08:07:29", NULL, "+15:00", "2012-03-15T08:07:29" },
		{ "2012:03:15 08:07:29", NULL, "+03:60", "2012-03-15T08:07:29" },
		{ "2012:03:15 08:07:29", NULL, "   :  ", "2012-03-15T08:07:29" },
		{ "2012:03:15 08:07:29", NULL, "Z", "2012-03-15T08:07:29" },
		{ "2012:03:15 08:07:29", NULL, "+03:00:00", "2012-03-15T08:07:29" },
		{ "2012:03:15 08:07:29", "99", "+14:00", "2012-03-15T08:07:29.99+14:00" },
		{ "0000:00:00 00:00:00", "25", "+03:00", "" },
	};
	char got[64];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_of(cases[i].date, cases[i].subsec, cases[i].offset, got);
		if (!tap_ok(strcmp(got, cases[i].want) == 0, "date '%s' subsec '%s' offset '%s'",
			    cases[i].date, cases[i].subsec ? cases[i].subsec : "-",
			    cases[i].offset ? cases[i].offset : "-"))
			tap_diag("got '%s', want '%s'", got, cases[i].want);
	}
}

static void test_missing_exif_ifd(void)
{
	struct blob bl;
	struct dp_exif x;

	build(&bl, 1, std_ifd0, N_STD0, NULL, -1);
	TAP_IS_INT(parse_copy(bl.b, bl.len, &x), 0, "no ExifIFD: parses");
	tap_ok(x.capture_time[0] == 0 && x.orientation == 6 &&
	       strcmp(x.make, "Canon") == 0, "no ExifIFD: IFD0 fields only");
	tap_ok(strcmp(x.serial, "DNG-SERIAL") == 0,
	       "no BodySerialNumber: CameraSerialNumber is used ('%s')", x.serial);
}

static void test_serial_choice(void)
{
	static const struct ent blank_body[] = {
		{ 0xa431, 2, 0, 0, "    " },
	};
	static const struct ent ifd0_no_serial[] = {
		{ 0x010f, 2, 0, 0, "Canon" },
	};
	struct blob bl;
	struct dp_exif x;

	build_std(&bl, 0);
	(void)parse_copy(bl.b, bl.len, &x);
	tap_ok(strcmp(x.serial, "012345678901") == 0, "BodySerialNumber wins over CameraSerialNumber");
	build(&bl, 0, std_ifd0, N_STD0, blank_body, 1);
	(void)parse_copy(bl.b, bl.len, &x);
	tap_ok(strcmp(x.serial, "DNG-SERIAL") == 0, "blank BodySerialNumber falls back ('%s')", x.serial);
	build(&bl, 0, ifd0_no_serial, 1, NULL, -1);
	(void)parse_copy(bl.b, bl.len, &x);
	tap_ok(x.serial[0] == 0, "no serial at all: empty");
}

static void test_orientation(void)
{
	static const struct {
		uint16_t type;
		uint32_t count, num;
		int want;
		const char *what;
	} cases[] = {
		{ 3, 1, 1, 1, "SHORT 1" },
		{ 3, 1, 8, 8, "SHORT 8" },
		{ 3, 2, 3, 3, "SHORT count 2 (first value)" },
		{ 4, 1, 5, 5, "LONG 5 tolerated" },
		{ 3, 1, 0, 0, "SHORT 0 is invalid" },
		{ 3, 1, 9, 0, "SHORT 9 is invalid" },
		{ 4, 1, 0x10006, 0, "LONG 0x10006 is invalid" },
		{ 9, 1, 6, 0, "SLONG is not accepted" },
		{ 3, 0, 6, 0, "count 0" },
		{ 99, 1, 6, 0, "unknown type" },
	};
	struct ent e[1] = { { 0x0112, 3, 1, 6, NULL } };
	struct blob bl;
	struct dp_exif x;
	size_t i;
	int be;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (be = 0; be <= 1; be++) {
			e[0].type = cases[i].type == 99 ? 3 : cases[i].type;
			e[0].count = cases[i].count;
			e[0].num = cases[i].num;
			build(&bl, be, e, 1, NULL, -1);
			if (cases[i].count == 0)
				w32(&bl, 8 + 2 + 4, 0);
			if (cases[i].type == 99)
				w16(&bl, 8 + 2 + 2, 99);
			(void)parse_copy(bl.b, bl.len, &x);
			TAP_IS_INT(x.orientation, cases[i].want, "orientation %s (%s)",
				   cases[i].what, be ? "MM" : "II");
		}
	}
}

static void test_strings(void)
{
	char longa[101], spaced[74];
	struct ent e[3] = {
		{ 0x010f, 2, 0, 0, NULL },
		{ 0x0110, 2, 0, 0, NULL },
		{ 0xa431, 2, 0, 0, NULL },
	};
	struct blob bl;
	struct dp_exif x;
	int be;

	memset(longa, 'A', 100);
	longa[100] = 0;
	memset(spaced, 'A', 62);
	spaced[62] = ' ';
	memset(spaced + 63, 'B', 10);
	spaced[73] = 0;
	for (be = 0; be <= 1; be++) {
		const char *order = be ? "MM" : "II";

		e[0].str = "LG";  /* 3 bytes: inline */
		e[1].str = "NIKON D3  ";
		e[1].count = 20;  /* NUL-padded after trailing spaces */
		e[2].str = "ab\x01\xff" "cd";
		build(&bl, be, e, 3, NULL, -1);
		(void)parse_copy(bl.b, bl.len, &x);
		tap_ok(strcmp(x.make, "LG") == 0, "inline 3-byte string (%s): '%s'", order, x.make);
		tap_ok(strcmp(x.model, "NIKON D3") == 0, "trailing spaces/NULs trimmed (%s): '%s'",
		       order, x.model);
		tap_ok(strcmp(x.serial, "ab??cd") == 0, "non-printable -> '?' (%s): '%s'",
		       order, x.serial);

		e[0].str = "Sony";  /* exactly 4 bytes without NUL: inline */
		e[0].count = 4;
		e[1].str = longa;
		e[1].count = 0;
		e[2].str = spaced;
		build(&bl, be, e, 3, NULL, -1);
		(void)parse_copy(bl.b, bl.len, &x);
		tap_ok(strcmp(x.make, "Sony") == 0, "4-byte string, no NUL (%s)", order);
		tap_ok(strlen(x.model) == 63 && strspn(x.model, "A") == 63,
		       "100-char string truncated to 63 (%s)", order);
		tap_ok(strlen(x.serial) == 62, "space left by truncation trimmed (%s)", order);

		e[0].str = "Apple";
		e[0].count = 0;
		e[0].type = 7;
		e[1].str = "iPhone";
		e[1].count = 12;
		e[1].type = 2;
		e[2].str = "X";
		e[2].type = 3;  /* SHORT: not a string */
		build(&bl, be, e, 3, NULL, -1);
		memcpy(bl.b + r32(&bl, 8 + 2 + 12 + 8) + 7, "junk", 4);  /* "iPhone\0junk\0" */
		(void)parse_copy(bl.b, bl.len, &x);
		tap_ok(strcmp(x.make, "Apple") == 0, "UNDEFINED (7) string tolerated (%s)", order);
		tap_ok(strcmp(x.model, "iPhone") == 0, "string ends at first NUL (%s)", order);
		tap_ok(x.serial[0] == 0, "SHORT entry is not read as a string (%s)", order);
		e[0].type = 2;
		e[2].type = 2;
	}
}

static void test_duplicates_and_placement(void)
{
	static const struct ent ifd0[] = {
		{ 0x010f, 2, 0, 0, "" },        /* empty: does not block the next */
		{ 0x010f, 2, 0, 0, "First" },
		{ 0x010f, 2, 0, 0, "Second" },
		{ 0x0112, 3, 1, 11, NULL },    /* invalid: does not block the next */
		{ 0x0112, 3, 1, 3, NULL },
		{ 0x0112, 3, 1, 4, NULL },
		{ 0x9003, 2, 0, 0, "2001:01:01 01:01:01" },  /* date in IFD0 */
	};
	struct blob bl;
	struct dp_exif x;

	build(&bl, 0, ifd0, 7, NULL, -1);
	(void)parse_copy(bl.b, bl.len, &x);
	tap_ok(strcmp(x.make, "First") == 0, "first non-empty duplicate wins ('%s')", x.make);
	TAP_IS_INT(x.orientation, 3, "first valid orientation wins");
	tap_ok(strcmp(x.capture_time, "2001-01-01T01:01:01") == 0,
	       "DateTimeOriginal found in IFD0 is tolerated");
}

/* Position of entry i of the IFD at ifd. */
static size_t ent_at(size_t ifd, int i)
{
	return ifd + 2 + 12 * (size_t)i;
}

static void test_hostile_offsets(void)
{
	static const struct ent self[] = {
		{ 0x8769, 4, 1, 0, NULL },  /* patched to point at its own IFD */
		{ 0x010f, 2, 0, 0, "Loop" },
	};
	struct blob bl;
	struct dp_exif x;
	int be;

	for (be = 0; be <= 1; be++) {
		const char *order = be ? "MM" : "II";

		build_std(&bl, be);
		w32(&bl, bl.ptr_pos, 8);
		TAP_IS_INT(parse_copy(bl.b, bl.len, &x), 0, "ExifIFD -> IFD0 terminates (%s)", order);
		tap_ok(x.orientation == 6 && strcmp(x.make, "Canon") == 0 && x.capture_time[0] == 0,
		       "ExifIFD -> IFD0: IFD0 fields kept (%s)", order);

		build_std(&bl, be);
		w32(&bl, ent_at(8, N_STD0 + 1), 8);          /* IFD0 next -> itself */
		w32(&bl, ent_at(bl.exif, N_STDX), (uint32_t)bl.exif);  /* ExifIFD next -> itself */
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && is_std(&x),
		       "next-IFD self links ignored (%s)", order);

		build(&bl, be, std_ifd0, N_STD0, self, 2);
		w32(&bl, ent_at(bl.exif, 0) + 8, (uint32_t)bl.exif);
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && strcmp(x.make, "Canon") == 0,
		       "ExifIFD pointing to itself terminates (%s)", order);

		build_std(&bl, be);
		w32(&bl, bl.ptr_pos, 0xffffffffu);
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.capture_time[0] == 0 &&
		       strcmp(x.make, "Canon") == 0, "ExifIFD offset 0xffffffff (%s)", order);

		build_std(&bl, be);
		w32(&bl, bl.ptr_pos, (uint32_t)bl.len - 1);
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.capture_time[0] == 0,
		       "ExifIFD offset at last byte (%s)", order);

		build_std(&bl, be);
		w32(&bl, ent_at(8, 1) + 8, 0xfffffff0u);  /* Model value offset */
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.model[0] == 0 &&
		       strcmp(x.make, "Canon") == 0 && x.orientation == 6,
		       "string offset 0xfffffff0: only that field lost (%s)", order);

		build_std(&bl, be);
		w32(&bl, ent_at(8, 1) + 4, 0xffffffffu);  /* Model count */
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.model[0] == 0 &&
		       strcmp(x.serial, "012345678901") == 0,
		       "string count 0xffffffff (%s)", order);

		build_std(&bl, be);
		w16(&bl, ent_at(8, 1) + 2, 5);            /* Model as RATIONAL */
		w32(&bl, ent_at(8, 1) + 4, 0xffffffffu);  /* 2^35 bytes */
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.model[0] == 0 && is_std(&x) == 0 &&
		       strcmp(x.make, "Canon") == 0, "RATIONAL count 0xffffffff (%s)", order);

		build_std(&bl, be);
		w32(&bl, ent_at(8, 0) + 8, (uint32_t)bl.len - 3);  /* Make: 6 bytes from len-3 */
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.make[0] == 0,
		       "string straddling the end is rejected (%s)", order);

		build_std(&bl, be);
		w16(&bl, 8, 0xffff);
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && sane(&x) &&
		       strcmp(x.make, "Canon") == 0 && x.orientation == 6,
		       "IFD0 count 0xffff clamped (%s)", order);

		build_std(&bl, be);
		w16(&bl, bl.exif, 0xffff);
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && sane(&x) &&
		       strcmp(x.serial, "012345678901") == 0,
		       "ExifIFD count 0xffff clamped (%s)", order);

		build_std(&bl, be);
		w32(&bl, 4, 0xffffffffu);
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.make[0] == 0 && x.orientation == 0,
		       "IFD0 offset 0xffffffff: empty result (%s)", order);

		build_std(&bl, be);
		w32(&bl, 4, 0);
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.make[0] == 0,
		       "IFD0 offset 0: empty result (%s)", order);

		build_std(&bl, be);
		w32(&bl, 4, 4);
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.make[0] == 0,
		       "IFD0 overlapping the header: empty result (%s)", order);

		build_std(&bl, be);
		w32(&bl, 4, (uint32_t)bl.len - 2);
		w16(&bl, bl.len - 2, 5);
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.make[0] == 0,
		       "IFD0 count at the last 2 bytes (%s)", order);

		build_std(&bl, be);
		w16(&bl, ent_at(8, 3) + 2, 0);            /* CameraSerial type 0 */
		w16(&bl, ent_at(bl.exif, 3) + 2, 0xffff); /* BodySerial type 0xffff */
		tap_ok(parse_copy(bl.b, bl.len, &x) == 0 && x.serial[0] == 0 &&
		       strcmp(x.make, "Canon") == 0, "unknown types skipped (%s)", order);
	}
}

/* Fields of a parse of damaged input must be empty or equal to the intact ones. */
static int subset_of(const struct dp_exif *x, const struct dp_exif *full)
{
	return (x->orientation == 0 || x->orientation == full->orientation) &&
	       (!x->make[0] || !strcmp(x->make, full->make)) &&
	       (!x->model[0] || !strcmp(x->model, full->model)) &&
	       (!x->serial[0] || !strcmp(x->serial, full->serial) ||
		!strcmp(x->serial, "DNG-SERIAL"));
}

static void test_truncation(void)
{
	struct dp_exif full, x;
	struct blob bl;
	size_t n, bad;
	int be, rc;

	for (be = 0; be <= 1; be++) {
		build_std(&bl, be);
		add_prefix(&bl);
		(void)parse_copy(bl.b, bl.len, &full);
		bad = 0;
		for (n = 0; n <= bl.len; n++) {
			rc = parse_copy(bl.b, n, &x);
			if (!(n < 14 ? rc == DP_E_FORMAT : rc == 0) || !sane(&x) ||
			    !subset_of(&x, &full) || (n == bl.len && !is_std(&x))) {
				if (bad++ == 0)
					tap_diag("first failure at length %zu (rc %d)", n, rc);
			}
		}
		tap_ok(bad == 0, "truncated at every length 0..%zu (%s): %zu bad",
		       bl.len, be ? "MM" : "II", bad);
	}
}

/* A JPEG head: SOI, APP0, XMP APP1, fill bytes, TEM, Exif APP1, DQT, SOS. */
static size_t make_jpeg(uint8_t *j, const struct blob *exif, size_t *exif_at)
{
	static const uint8_t app0[] = { 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0,
					1, 1, 0, 0, 1, 0, 1, 0, 0 };
	static const char xmp[] = "http://ns.adobe.com/xap/1.0/\0<x/>";
	size_t n = 0, seg;

	j[n++] = 0xff;
	j[n++] = 0xd8;
	memcpy(j + n, app0, sizeof(app0));
	n += sizeof(app0);
	seg = sizeof(xmp) - 1 + 2;
	j[n++] = 0xff;
	j[n++] = 0xe1;
	j[n++] = (uint8_t)(seg >> 8);
	j[n++] = (uint8_t)seg;
	memcpy(j + n, xmp, sizeof(xmp) - 1);
	n += sizeof(xmp) - 1;
	j[n++] = 0xff;  /* fill byte */
	j[n++] = 0xff;
	j[n++] = 0x01;  /* TEM: no length */
	seg = exif->len + 2;
	j[n++] = 0xff;
	j[n++] = 0xe1;
	j[n++] = (uint8_t)(seg >> 8);
	j[n++] = (uint8_t)seg;
	*exif_at = n;
	memcpy(j + n, exif->b, exif->len);
	n += exif->len;
	memcpy(j + n, "\xff\xdb\x00\x04\x00\x00\xff\xda\x00\x02\x12\x34", 12);
	return n + 12;
}

static int find_copy(const uint8_t *j, size_t n, size_t *off, size_t *len)
{
	uint8_t *copy = malloc(n ? n : 1);
	const uint8_t *p = NULL;
	int rc;

	if (!copy)
		exit(1);
	memcpy(copy, j, n);
	rc = dp_exif_find_in_jpeg(copy, n, &p, len);
	*off = p ? (size_t)(p - copy) : 0;
	if (p && (p < copy || *len > n || *off > n - *len))
		rc = -100;  /* pointer outside the buffer */
	free(copy);
	return rc;
}

static void test_find_in_jpeg(void)
{
	uint8_t j[BLOB_MAX + 256];
	struct blob bl;
	struct dp_exif x;
	const uint8_t *p;
	size_t n, at, off, len, bad;
	int rc;

	build_std(&bl, 1);
	add_prefix(&bl);
	n = make_jpeg(j, &bl, &at);
	rc = find_copy(j, n, &off, &len);
	tap_ok(rc == 0 && off == at && len == bl.len, "Exif APP1 found after APP0, XMP, fill, TEM");
	rc = dp_exif_find_in_jpeg(j, n, &p, &len);
	tap_ok(rc == 0 && p && dp_exif_parse(p, len, &x) == 0 && is_std(&x),
	       "found payload parses to all fields");

	j[at] = 'X';  /* not "Exif\0\0" any more */
	rc = find_copy(j, n, &off, &len);
	tap_ok(rc == 0 && len == 0, "APP1 without Exif prefix is skipped");
	j[at] = 'E';

	/* Segment length claims more than the file has: clipped payload. */
	j[at - 2] = 0xff;
	j[at - 1] = 0xff;
	rc = find_copy(j, at + 40, &off, &len);
	tap_ok(rc == 0 && off == at && len == 40, "overlong APP1 clipped to the file (%zu)", len);
	n = make_jpeg(j, &bl, &at);

	bad = 0;
	for (size_t k = 0; k <= n; k++) {
		rc = find_copy(j, k, &off, &len);
		if (k < 2 ? rc != DP_E_FORMAT : rc != 0)
			bad++;
		if (k >= at + 6 && (off != at || len != (k - at < bl.len ? k - at : bl.len)))
			bad++;
		if (k < at + 6 && len != 0)
			bad++;
	}
	tap_ok(bad == 0, "truncated JPEG at every length 0..%zu: %zu bad", n, bad);

	/* Exif after SOS is image data, not a header. */
	memcpy(j, "\xff\xd8\xff\xda\x00\x02\xff\xe1\x00\x08" "Exif\0\0", 16);
	rc = find_copy(j, 16, &off, &len);
	tap_ok(rc == 0 && len == 0, "APP1 after SOS is not searched");
	memcpy(j, "\xff\xd8\xff\xe0\x00\x01", 6);
	rc = find_copy(j, 6, &off, &len);
	tap_ok(rc == 0 && len == 0, "segment length < 2 stops the walk");
	memcpy(j, "\xff\xd8\x12\x34\xff\xe1", 6);
	rc = find_copy(j, 6, &off, &len);
	tap_ok(rc == 0 && len == 0, "garbage between segments stops the walk");
	TAP_IS_INT(find_copy((const uint8_t *)"GIF89a", 6, &off, &len), DP_E_FORMAT, "not a JPEG");
	TAP_IS_INT(dp_exif_find_in_jpeg(j, 6, NULL, &len), DP_E_ARG, "NULL exif pointer");
}

/* xorshift64*: small, seedable, identical everywhere. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)((rng_next(s) >> 32) % n);
}

static uint32_t interesting(uint64_t *s, size_t len)
{
	static const uint32_t fixed[] = { 0, 1, 2, 4, 7, 8, 12, 0x7fff, 0x8000, 0xffff,
					  0x10000, 0x7fffffff, 0x80000000u, 0xfffffff4u,
					  0xffffffffu };
	uint32_t k = rng_below(s, 20);

	if (k < 15)
		return fixed[k];
	if (k < 18)
		return (uint32_t)len - rng_below(s, 16);
	return (uint32_t)rng_next(s);
}

static void mutate(uint8_t *b, size_t *len, uint64_t *s)
{
	uint32_t i, n = 1 + rng_below(s, 8);
	size_t pos;

	for (i = 0; i < n && *len >= 4; i++) {
		pos = rng_below(s, (uint32_t)*len - 3);
		switch (rng_below(s, 5)) {
		case 0:
			b[pos] = (uint8_t)rng_next(s);
			break;
		case 1:
			b[pos] ^= (uint8_t)(1u << rng_below(s, 8));
			break;
		case 2: {
			uint32_t v = interesting(s, *len);

			b[pos] = (uint8_t)v;
			b[pos + 1] = (uint8_t)(v >> 8);
			break;
		}
		case 3: {
			uint32_t v = interesting(s, *len);

			b[pos] = (uint8_t)(v >> 24);
			b[pos + 1] = (uint8_t)(v >> 16);
			b[pos + 2] = (uint8_t)(v >> 8);
			b[pos + 3] = (uint8_t)v;
			break;
		}
		default:
			*len = pos + rng_below(s, (uint32_t)(*len - pos));
			break;
		}
	}
}

static void test_mutations(uint64_t seed)
{
	struct blob base[4];
	uint64_t s = seed ? seed : 1;
	uint8_t work[BLOB_MAX];
	size_t len, bad = 0, with_fields = 0;
	struct dp_exif x;
	int i, rc;

	build_std(&base[0], 0);
	build_std(&base[1], 1);
	add_prefix(&base[1]);
	build(&base[2], 1, std_ifd0, N_STD0, NULL, -1);
	build_std(&base[3], 0);
	w32(&base[3], base[3].ptr_pos, 8);
	for (i = 0; i < MUTATIONS; i++) {
		const struct blob *b = &base[rng_below(&s, 4)];

		memcpy(work, b->b, b->len);
		len = b->len;
		mutate(work, &len, &s);
		rc = parse_copy(work, len, &x);
		if ((rc != 0 && rc != DP_E_FORMAT) || !sane(&x)) {
			if (bad++ == 0)
				tap_diag("first failure at iteration %d (rc %d)", i, rc);
		}
		if (x.make[0] || x.capture_time[0])
			with_fields++;
	}
	tap_diag("%d mutated blobs, %zu still yielded fields", MUTATIONS, with_fields);
	tap_ok(bad == 0 && with_fields > 0, "random mutations (seed %llu): %zu bad",
	       (unsigned long long)seed, bad);
}

int main(int argc, char **argv)
{
	unsigned long long seed;

	if (tap_seed(argc, argv, DEFAULT_SEED, &seed))
		return 2;
	test_standard();
	test_heif_prefix();
	test_not_exif();
	test_optional_time_parts();
	test_dates();
	test_missing_exif_ifd();
	test_serial_choice();
	test_orientation();
	test_strings();
	test_duplicates_and_placement();
	test_hostile_offsets();
	test_truncation();
	test_find_in_jpeg();
	test_mutations(seed);
	return tap_done();
}
