/* src/exif.c - bounds-checked EXIF parser for capture metadata (see exif.h).
 *
 * All offsets inside the TIFF structure are relative to its header, so the
 * parser works on a view {p, len} that starts there. Every read goes through
 * tiff_has(), which checks "off + n <= len" as "off <= len && n <= len - off"
 * in 64-bit arithmetic, so no sum can wrap. An IFD's entry count is clamped
 * to the entries that fit in the blob and to DP_EXIF_MAX_ENTRIES. Only IFD0
 * and the ExifIFD named by IFD0 are read and no next-IFD link is followed,
 * so the work is bounded by 2 * DP_EXIF_MAX_ENTRIES entries whatever the
 * offsets say: an IFD that points to itself, or an ExifIFD pointer back to
 * IFD0, simply re-reads a bounded table once.
 *
 * SPDX-License-Identifier: MIT
 */
#include "exif.h"

#include <string.h>

/* Real files have a few dozen entries per IFD; the cap only bounds work on
 * crafted blobs whose count field says 65535. */
#define DP_EXIF_MAX_ENTRIES 1024

#define TAG_MAKE 0x010f
#define TAG_MODEL 0x0110
#define TAG_ORIENTATION 0x0112
#define TAG_EXIF_IFD 0x8769
#define TAG_DATETIME_ORIGINAL 0x9003
#define TAG_OFFSET_TIME_ORIGINAL 0x9011
#define TAG_SUBSEC_TIME_ORIGINAL 0x9291
#define TAG_BODY_SERIAL 0xa431
#define TAG_CAMERA_SERIAL 0xc62f

#define TYPE_ASCII 2
#define TYPE_SHORT 3
#define TYPE_LONG 4
#define TYPE_UNDEFINED 7
#define TYPE_IFD 13

/* SubSecTimeOriginal digits kept: nanoseconds are more than any camera has. */
#define SUBSEC_MAX 9

struct tiff {
	const uint8_t *p;  /* first byte of the TIFF header */
	size_t len;        /* bytes from p to the end of the blob */
	int big_endian;    /* "MM" */
};

/* One IFD entry with its value located and bounds-checked. */
struct entry {
	uint16_t tag;
	uint16_t type;
	uint32_t count;
	size_t off;        /* offset of the value bytes (inline or not) */
	size_t size;       /* count * size of type, known to fit in the blob */
};

/* Raw pieces of the capture time, assembled once both IFDs are read. */
struct time_parts {
	const uint8_t *date, *subsec, *offset;
	size_t date_len, subsec_len, offset_len;
};

static int tiff_has(const struct tiff *t, uint64_t off, uint64_t n)
{
	return off <= t->len && n <= (uint64_t)t->len - off;
}

/* Callers check tiff_has(t, off, 2) first. */
static uint16_t tiff_u16(const struct tiff *t, size_t off)
{
	const uint8_t *b = t->p + off;

	if (t->big_endian)
		return (uint16_t)(b[0] << 8 | b[1]);
	return (uint16_t)(b[1] << 8 | b[0]);
}

/* Callers check tiff_has(t, off, 4) first. */
static uint32_t tiff_u32(const struct tiff *t, size_t off)
{
	const uint8_t *b = t->p + off;

	if (t->big_endian)
		return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		       (uint32_t)b[2] << 8 | b[3];
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[1] << 8 | b[0];
}

/* Bytes per value of a TIFF field type; 0 for types we do not know. */
static unsigned type_size(uint16_t type)
{
	switch (type) {
	case 1: case 2: case 6: case 7:
		return 1;
	case 3: case 8:
		return 2;
	case 4: case 9: case 11: case 13:
		return 4;
	case 5: case 10: case 12:
		return 8;
	}
	return 0;
}

/*
 * Decode the 12-byte entry at ent (the caller has checked that it is in the
 * blob). Values of at most 4 bytes are stored in the entry itself, larger
 * ones at a 32-bit offset. Returns 0, or -1 for an unknown type or a value
 * that does not lie entirely inside the blob.
 */
static int entry_read(const struct tiff *t, size_t ent, struct entry *e)
{
	uint64_t size;
	uint64_t off;
	unsigned ts;

	e->tag = tiff_u16(t, ent);
	e->type = tiff_u16(t, ent + 2);
	e->count = tiff_u32(t, ent + 4);
	ts = type_size(e->type);
	if (ts == 0)
		return -1;
	size = (uint64_t)e->count * ts;  /* < 2^35: cannot wrap */
	off = size <= 4 ? ent + 8 : tiff_u32(t, ent + 8);
	if (!tiff_has(t, off, size))
		return -1;
	e->off = (size_t)off;
	e->size = (size_t)size;
	return 0;
}

/* Entry count of the IFD at off, clamped to what fits; 0 when off is bad. */
static size_t ifd_entries(const struct tiff *t, uint32_t off)
{
	size_t n, fit;

	/* Offsets below 8 would overlap the header: no valid IFD starts there. */
	if (off < 8 || !tiff_has(t, off, 2))
		return 0;
	n = tiff_u16(t, off);
	fit = (t->len - off - 2) / 12;
	if (n > fit)
		n = fit;
	if (n > DP_EXIF_MAX_ENTRIES)
		n = DP_EXIF_MAX_ENTRIES;
	return n;
}

static int is_string_type(uint16_t type)
{
	return type == TYPE_ASCII || type == TYPE_UNDEFINED;
}

/* Length of a string value up to its first NUL, with trailing blanks cut. */
static size_t text_len(const uint8_t *s, size_t n)
{
	const uint8_t *nul = memchr(s, 0, n);

	if (nul)
		n = (size_t)(nul - s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
			 s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	return n;
}

/*
 * Copy a string value into out (outsize > 0) as printable ASCII: bytes
 * outside 0x20..0x7e become '?', the copy is truncated to outsize - 1 and
 * trailing spaces left by the truncation are removed. Returns the length.
 */
static size_t text_copy(char *out, size_t outsize, const uint8_t *s, size_t n)
{
	size_t i;

	n = text_len(s, n);
	if (n > outsize - 1)
		n = outsize - 1;
	for (i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
	return n;
}

/* Fill an empty string field from a string entry; later duplicates lose. */
static void take_text(const struct tiff *t, const struct entry *e,
		      char *field, size_t fieldsize)
{
	if (field[0] != '\0' || !is_string_type(e->type))
		return;
	text_copy(field, fieldsize, t->p + e->off, e->size);
}

/* First SHORT or LONG value of an entry, or -1 when it has another type. */
static long entry_uint(const struct tiff *t, const struct entry *e)
{
	if (e->count == 0)
		return -1;
	if (e->type == TYPE_SHORT)
		return tiff_u16(t, e->off);
	if (e->type == TYPE_LONG || e->type == TYPE_IFD)
		return (long)tiff_u32(t, e->off);
	return -1;
}

static void take_time_part(const struct tiff *t, const struct entry *e,
			   const uint8_t **part, size_t *part_len)
{
	if (*part || !is_string_type(e->type))
		return;
	*part = t->p + e->off;
	*part_len = e->size;
}

/*
 * Read the IFD at off into out/serial2/tp. Returns the ExifIFD offset found
 * in it (0 when none).
 */
static uint32_t read_ifd(const struct tiff *t, uint32_t off, struct dp_exif *out,
			 char *serial2, struct time_parts *tp)
{
	size_t n = ifd_entries(t, off);
	uint32_t exif_ifd = 0;
	struct entry e;
	size_t i;
	long v;

	for (i = 0; i < n; i++) {
		if (entry_read(t, (size_t)off + 2 + 12 * i, &e) < 0)
			continue;
		switch (e.tag) {
		case TAG_ORIENTATION:
			v = entry_uint(t, &e);
			if (out->orientation == 0 && v >= 1 && v <= 8)
				out->orientation = (int)v;
			break;
		case TAG_MAKE:
			take_text(t, &e, out->make, sizeof(out->make));
			break;
		case TAG_MODEL:
			take_text(t, &e, out->model, sizeof(out->model));
			break;
		case TAG_BODY_SERIAL:
			take_text(t, &e, out->serial, sizeof(out->serial));
			break;
		case TAG_CAMERA_SERIAL:
			take_text(t, &e, serial2, DP_EXIF_TEXT_MAX);
			break;
		case TAG_EXIF_IFD:
			v = entry_uint(t, &e);
			if (exif_ifd == 0 && v > 0)
				exif_ifd = (uint32_t)v;
			break;
		case TAG_DATETIME_ORIGINAL:
			take_time_part(t, &e, &tp->date, &tp->date_len);
			break;
		case TAG_SUBSEC_TIME_ORIGINAL:
			take_time_part(t, &e, &tp->subsec, &tp->subsec_len);
			break;
		case TAG_OFFSET_TIME_ORIGINAL:
			take_time_part(t, &e, &tp->offset, &tp->offset_len);
			break;
		}
	}
	return exif_ifd;
}

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Value of the two decimal digits at s, or -1. */
static int two_digits(const uint8_t *s)
{
	if (!is_digit(s[0]) || !is_digit(s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

static int days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

/*
 * Check "YYYY:MM:DD HH:MM:SS" (also "YYYY-MM-DD" and a 'T' separator, which
 * some software writes) and write "YYYY-MM-DDTHH:MM:SS" (19 chars + NUL) to
 * out. Characters after the 19th are ignored. Returns 0 or -1.
 */
static int format_date(const uint8_t *s, size_t n, char *out)
{
	int y1, y2, mo, d, h, mi, sec, year;

	n = text_len(s, n);
	if (n < 19)
		return -1;
	if ((s[4] != ':' && s[4] != '-') || s[7] != s[4] ||
	    (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':')
		return -1;
	y1 = two_digits(s);
	y2 = two_digits(s + 2);
	mo = two_digits(s + 5);
	d = two_digits(s + 8);
	h = two_digits(s + 11);
	mi = two_digits(s + 14);
	sec = two_digits(s + 17);
	if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -1;
	year = y1 * 100 + y2;
	if (year == 0 || d > days_in_month(year, mo))
		return -1;
	memcpy(out, s, 19);
	out[4] = '-';
	out[7] = '-';
	out[10] = 'T';
	out[19] = '\0';
	return 0;
}

/* Digits of SubSecTimeOriginal (surrounding blanks allowed), or 0 if bad. */
static size_t subsec_digits(const uint8_t *s, size_t n, const uint8_t **digits)
{
	size_t i;

	n = text_len(s, n);
	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	*digits = s;
	return n > SUBSEC_MAX ? SUBSEC_MAX : n;
}

/* Is OffsetTimeOriginal "+HH:MM" or "-HH:MM" with a real-world offset? */
static int offset_ok(const uint8_t *s, size_t n)
{
	int h, m;

	if (text_len(s, n) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
		return 0;
	h = two_digits(s + 1);
	m = two_digits(s + 4);
	/* UTC-12:00 .. UTC+14:00 covers every zone in use. */
	return h >= 0 && h <= 14 && m >= 0 && m <= 59;
}

static void format_capture_time(const struct time_parts *tp, char *out)
{
	const uint8_t *digits = NULL;
	size_t pos = 19;
	size_t nd = 0;

	if (!tp->date || format_date(tp->date, tp->date_len, out) < 0)
		return;
	if (tp->subsec)
		nd = subsec_digits(tp->subsec, tp->subsec_len, &digits);
	if (nd > 0) {
		out[pos++] = '.';
		memcpy(out + pos, digits, nd);
		pos += nd;
	}
	if (tp->offset && offset_ok(tp->offset, tp->offset_len)) {
		memcpy(out + pos, tp->offset, 6);
		pos += 6;
	}
	/* 19 + 1 + SUBSEC_MAX + 6 = 35 < DP_EXIF_TIME_MAX */
	out[pos] = '\0';
}

static int is_tiff_header(const uint8_t *p, size_t n)
{
	return n >= 8 && ((p[0] == 'I' && p[1] == 'I' && p[2] == 42 && p[3] == 0) ||
			  (p[0] == 'M' && p[1] == 'M' && p[2] == 0 && p[3] == 42));
}

static int is_exif_prefix(const uint8_t *p, size_t n)
{
	return n >= 6 && memcmp(p, "Exif\0\0", 6) == 0;
}

/*
 * Find the TIFF header in the accepted wrappings (see dp_exif_parse() in
 * exif.h) and store its offset in data at *start. Returns 1 if found, else 0.
 */
static int find_tiff(const uint8_t *data, size_t len, size_t *start)
{
	uint32_t skip;

	*start = 0;
	if (is_tiff_header(data, len))
		return 1;
	*start = 6;
	if (is_exif_prefix(data, len))
		return is_tiff_header(data + 6, len - 6);
	/* HEIF Exif item: 32-bit big-endian offset from byte 4 to the header. */
	if (len < 4)
		return 0;
	skip = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
	       (uint32_t)data[2] << 8 | data[3];
	if (skip > len - 4)
		return 0;
	*start = 4 + (size_t)skip;
	data += *start;
	len -= *start;
	if (is_tiff_header(data, len))
		return 1;
	*start += 6;
	return is_exif_prefix(data, len) && is_tiff_header(data + 6, len - 6);
}

int dp_exif_parse(const uint8_t *data, size_t len, struct dp_exif *out)
{
	struct time_parts tp = { 0 };
	char serial2[DP_EXIF_TEXT_MAX] = "";
	struct tiff t;
	uint32_t ifd0, exif_ifd;
	size_t start;

	if (!out)
		return DP_E_ARG;
	memset(out, 0, sizeof(*out));
	if (!data)
		return DP_E_FORMAT;
	if (!find_tiff(data, len, &start))
		return DP_E_FORMAT;
	t.p = data + start;
	t.len = len - start;
	t.big_endian = t.p[0] == 'M';
	ifd0 = tiff_u32(&t, 4);
	exif_ifd = read_ifd(&t, ifd0, out, serial2, &tp);
	if (exif_ifd != 0)
		read_ifd(&t, exif_ifd, out, serial2, &tp);
	if (out->serial[0] == '\0')
		memcpy(out->serial, serial2, sizeof(out->serial));
	format_capture_time(&tp, out->capture_time);
	return 0;
}

/* Markers that stand alone, without a length field: TEM, RSTn, SOI. */
static int marker_has_length(uint8_t m)
{
	return !(m == 0x01 || (m >= 0xd0 && m <= 0xd8));
}

int dp_exif_find_in_jpeg(const uint8_t *jpeg, size_t len,
			 const uint8_t **exif, size_t *exif_len)
{
	size_t pos = 2;
	size_t seg, avail;
	uint8_t m;

	if (!exif || !exif_len)
		return DP_E_ARG;
	*exif = NULL;
	*exif_len = 0;
	if (!jpeg || len < 2 || jpeg[0] != 0xff || jpeg[1] != 0xd8)
		return DP_E_FORMAT;
	while (pos < len && jpeg[pos] == 0xff) {
		while (pos < len && jpeg[pos] == 0xff)  /* fill bytes */
			pos++;
		if (pos >= len)
			break;
		m = jpeg[pos++];
		if (m == 0xda || m == 0xd9 || m == 0x00)  /* SOS, EOI, not a marker */
			break;
		if (!marker_has_length(m))
			continue;
		if (len - pos < 2)
			break;
		seg = (size_t)jpeg[pos] << 8 | jpeg[pos + 1];
		if (seg < 2)
			break;
		pos += 2;
		seg -= 2;
		avail = len - pos;
		if (m == 0xe1 && is_exif_prefix(jpeg + pos, seg < avail ? seg : avail)) {
			*exif = jpeg + pos;
			*exif_len = seg < avail ? seg : avail;
			return 0;
		}
		if (seg > avail)
			break;
		pos += seg;
	}
	return 0;
}
