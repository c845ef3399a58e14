/* src/hash.c - decoded image -> perceptual hashes, through the kernels (see hash.h).
 *
 * The image is turned into float luma once; the 64-bit hashes are computed
 * from area-resized copies of it, then PDQ runs its Jarosz filter in place
 * on the luma (which it destroys, hence the order). Before that, when the
 * image has uniform borders (letterbox bars, frames), PDQ also hashes what
 * lies inside them (pdq_trim), with the source geometry of that part so
 * that fast mode still filters as at full resolution. All working memory
 * lives in the per-thread scratch and only grows (realloc here, never in
 * the kernels), so a thread allocates only when it meets a larger image
 * than before. The kernel table is looked up once per scratch.
 *
 * SPDX-License-Identifier: MIT
 */
#include "hash.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

struct dp_hash_scratch {
	const struct dp_kernels *k;   /* selected table, read-only */
	float *luma;                  /* w*h luma; destroyed by PDQ */
	float *tmp;                   /* w*h, PDQ box-filter ping-pong */
	float *resize;                /* dp_resize_area_floats(w, h, 32, 32) */
	float *trim;                  /* the luma inside uniform borders */
	float *thumb;                 /* 64 x 64 thumbnail + its resize scratch */
	size_t luma_cap, tmp_cap, resize_cap, trim_cap, thumb_cap;   /* floats allocated */
	struct dp_hash_work work;     /* fixed-size buffers + DCT matrices */
};

static const struct {
	const char *name;
	unsigned kind;
} kind_names[] = {
	{ "pdq", DP_HASH_PDQ },
	{ "phash", DP_HASH_PHASH },
	{ "dhash", DP_HASH_DHASH },
	{ "ahash", DP_HASH_AHASH },
	{ "pdqdih", DP_HASH_PDQDIH },
	{ "thumb", DP_HASH_THUMB },
};

#define DP_NKINDS (sizeof(kind_names) / sizeof(kind_names[0]))

struct dp_hash_scratch *dp_hash_scratch_new(void)
{
	struct dp_hash_scratch *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->k = dp_kernels_get();
	dp_hash_work_init(&s->work);
	return s;
}

void dp_hash_scratch_free(struct dp_hash_scratch *s)
{
	if (!s)
		return;
	free(s->luma);
	free(s->tmp);
	free(s->resize);
	free(s->trim);
	free(s->thumb);
	free(s);
}

/* Make *buf hold at least n floats; keeps the old buffer on failure. */
static int grow(float **buf, size_t *cap, size_t n)
{
	float *p;

	if (n <= *cap)
		return 0;
	if (n > SIZE_MAX / sizeof(float))
		return DP_E_NOMEM;
	p = realloc(*buf, n * sizeof(float));
	if (!p)
		return DP_E_NOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

/* Reserve every buffer the selected hashes need for a w x h image. */
static int reserve(struct dp_hash_scratch *s, int w, int h, unsigned kinds,
		   struct dp_err *err)
{
	size_t n = dp_pdq_luma_floats(w, h);
	size_t nr = dp_resize_area_floats(w, h, DP_PHASH_GRID, DP_PHASH_GRID);
	int rc = 0;

	if (n == 0 || nr == 0)
		return dp_err_set(err, DP_E_NOMEM, "hash: %dx%d image: size overflow", w, h);
	rc = grow(&s->luma, &s->luma_cap, n);
	if (rc == 0 && (kinds & DP_HASH_PDQ))
		rc = grow(&s->tmp, &s->tmp_cap, n);
	if (rc == 0 && (kinds & (DP_HASH_PHASH | DP_HASH_DHASH | DP_HASH_AHASH)))
		rc = grow(&s->resize, &s->resize_cap, nr);
	if (rc != 0)
		return dp_err_set(err, rc, "hash: %dx%d image: out of memory for %zu-float buffers",
				  w, h, n);
	return 0;
}

/* DP_E_ARG with a message unless im is a non-empty grey or RGB image and s is set. */
static int check_image(const struct dp_image *im, const struct dp_hash_scratch *s,
		       struct dp_err *err)
{
	if (!im || !s || !im->pix || im->w < 1 || im->h < 1 ||
	    (im->channels != 1 && im->channels != 3))
		return dp_err_set(err, DP_E_ARG, "hash: invalid image (%dx%d, %d channels)",
				  im ? im->w : 0, im ? im->h : 0, im ? im->channels : 0);
	return 0;
}

/*
 * Reserve the buffers that `kinds` need for the (checked) image and fill
 * s->luma. Returns 0 or DP_E_NOMEM with a message.
 */
static int load_luma(const struct dp_image *im, unsigned kinds,
		     struct dp_hash_scratch *s, struct dp_err *err)
{
	size_t npix = (size_t)im->w * (size_t)im->h;
	int rc = reserve(s, im->w, im->h, kinds, err);

	if (rc)
		return rc;
	if (im->channels == 3)
		s->k->luma_rgb8(im->pix, npix, s->luma);
	else
		dp_luma_grey8_scalar(im->pix, npix, s->luma);
	return 0;
}

/* The source geometry of pixels [x0, x1) of an axis (see struct dp_pdq_axis). */
static struct dp_pdq_axis sub_axis(struct dp_pdq_axis a, int x0, int x1)
{
	double start = a.off + a.scale * x0, end = a.off + a.scale * x1;
	double s0 = start < 0 ? 0 : start, e0 = end > a.src ? a.src : end;
	struct dp_pdq_axis r = { (int)(e0 - s0 + 0.5), a.scale, start - s0 };

	return r;
}

/*
 * Copy the part of s->luma inside uniform borders to s->trim (box: x0, y0,
 * x1, y1). Borders count from 1% of the side (at least 2 lines). Returns 1
 * when there is a border, 0 when there is none, or DP_E_NOMEM.
 */
static int find_trim(const struct dp_image *im, struct dp_hash_scratch *s, int box[4],
		     struct dp_err *err)
{
	int min_lines = (im->w < im->h ? im->w : im->h) / 100, tw, th;

	if (min_lines < 2)
		min_lines = 2;
	if (!dp_border_find(s->luma, im->w, im->h, min_lines, box))
		return 0;
	tw = box[2] - box[0];
	th = box[3] - box[1];
	if (grow(&s->trim, &s->trim_cap, (size_t)tw * (size_t)th))
		return dp_err_set(err, DP_E_NOMEM, "hash: out of memory for a %dx%d border crop",
				  tw, th);
	for (int y = 0; y < th; y++)
		memcpy(s->trim + (size_t)y * tw, s->luma + (size_t)(y + box[1]) * im->w + box[0],
		       (size_t)tw * sizeof(float));
	return 1;
}

/* PDQ of s->trim (from find_trim, destroyed) into out->pdq_trim. */
static void hash_trimmed(const struct dp_image *im, struct dp_hash_scratch *s, const int box[4],
			 struct dp_hashes *out)
{
	struct dp_pdq_axis ax = sub_axis(im->ax, box[0], box[2]), ay = sub_axis(im->ay, box[1], box[3]);
	int q;

	dp_pdq_from_shrunk(s->k, s->trim, box[2] - box[0], box[3] - box[1], &ax, &ay, s->tmp,
			   &s->work, out->pdq_trim, &q);
	out->pdq_trim_quality = (uint8_t)q;
}

/* The w x h luma area-averaged to 64 x 64, stretched and rounded to bytes
 * into out->thumb (its tone into thumb_gain, thumb_offset). 0 or DP_E_NOMEM. */
static int make_thumb(struct dp_hash_scratch *s, const float *luma, int w, int h,
		      struct dp_hashes *out, struct dp_err *err)
{
	size_t need = dp_resize_area_floats(w, h, DP_ALIGN_SIDE, DP_ALIGN_SIDE);
	float tone[2];

	if (need == 0 || need > SIZE_MAX / sizeof(float) - DP_THUMB_BYTES ||
	    grow(&s->thumb, &s->thumb_cap, DP_THUMB_BYTES + need))
		return dp_err_set(err, DP_E_NOMEM, "hash: out of memory for a %dx%d thumbnail", w, h);
	s->k->resize_area(luma, w, h, s->thumb, DP_ALIGN_SIDE, DP_ALIGN_SIDE,
			  s->thumb + DP_THUMB_BYTES);
	dp_align_to_bytes(s->thumb, out->thumb, tone);
	out->thumb_gain = tone[0];
	out->thumb_offset = tone[1];
	return 0;
}

int dp_hash_image(const struct dp_image *im, unsigned kinds,
		  struct dp_hash_scratch *s, struct dp_hashes *out,
		  struct dp_err *err)
{
	const struct dp_kernels *k;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = check_image(im, s, err);
	if (rc)
		return rc;
	kinds &= DP_HASH_KNOWN;
	if (!kinds)
		return 0;
	rc = load_luma(im, kinds, s, err);
	if (rc)
		return rc;

	k = s->k;
	/* 64-bit hashes first: they read the luma, PDQ overwrites it. */
	if (kinds & DP_HASH_PHASH)
		out->phash = dp_phash_from_luma(k, s->luma, im->w, im->h, s->resize, &s->work);
	if (kinds & DP_HASH_DHASH)
		out->dhash = dp_dhash_from_luma(k, s->luma, im->w, im->h, s->resize, &s->work);
	if (kinds & DP_HASH_AHASH)
		out->ahash = dp_ahash_from_luma(k, s->luma, im->w, im->h, s->resize, &s->work);
	if (kinds & (DP_HASH_PDQ | DP_HASH_THUMB)) {
		int box[4], border = find_trim(im, s, box, err);

		if (border < 0)
			return border;
		if ((kinds & DP_HASH_THUMB) &&
		    (rc = border ? make_thumb(s, s->trim, box[2] - box[0], box[3] - box[1], out, err)
				 : make_thumb(s, s->luma, im->w, im->h, out, err)) != 0)
			return rc;
		if (border && (kinds & DP_HASH_PDQ))
			hash_trimmed(im, s, box, out);
	}
	if (kinds & DP_HASH_PDQ) {
		int quality;

		if (kinds & DP_HASH_PDQDIH) {
			/* The same stages; variant 0 is the plain hash. */
			dp_pdq_dihedral_from_shrunk(k, s->luma, im->w, im->h, &im->ax, &im->ay, s->tmp,
						    &s->work, out->pdq_dihedral, &quality);
			memcpy(out->pdq, out->pdq_dihedral[0], sizeof(out->pdq));
		} else {
			dp_pdq_from_shrunk(k, s->luma, im->w, im->h, &im->ax, &im->ay, s->tmp,
					   &s->work, out->pdq, &quality);
		}
		out->pdq_quality = (uint8_t)quality;
	}
	return 0;
}

/* The public order is the kernels' order (which is the reference's). */
_Static_assert(DP_DIHEDRAL_COUNT == DP_PDQ_DIHEDRAL, "dihedral count");
_Static_assert((int)DP_DIHEDRAL_ROTATE90 == (int)DP_PDQ_DIH_ROTATE90 &&
	       (int)DP_DIHEDRAL_ROTATE180 == (int)DP_PDQ_DIH_ROTATE180 &&
	       (int)DP_DIHEDRAL_ROTATE270 == (int)DP_PDQ_DIH_ROTATE270 &&
	       (int)DP_DIHEDRAL_FLIPX == (int)DP_PDQ_DIH_FLIPX &&
	       (int)DP_DIHEDRAL_FLIPY == (int)DP_PDQ_DIH_FLIPY &&
	       (int)DP_DIHEDRAL_FLIP_PLUS1 == (int)DP_PDQ_DIH_FLIP_PLUS1 &&
	       (int)DP_DIHEDRAL_FLIP_MINUS1 == (int)DP_PDQ_DIH_FLIP_MINUS1, "dihedral order");
_Static_assert(sizeof(((struct dp_hashes *)0)->pdq) == DP_PDQ_BYTES, "PDQ size");
_Static_assert(DP_THUMB_BYTES == DP_ALIGN_BYTES, "thumbnail size");

int dp_hash_pdq_dihedral(const struct dp_image *im, struct dp_hash_scratch *s,
			 uint8_t out[DP_DIHEDRAL_COUNT][32], uint8_t *quality,
			 struct dp_err *err)
{
	int q, rc;

	memset(out, 0, (size_t)DP_DIHEDRAL_COUNT * 32);
	*quality = 0;
	rc = check_image(im, s, err);
	if (rc == 0)
		rc = load_luma(im, DP_HASH_PDQ, s, err);
	if (rc)
		return rc;
	dp_pdq_dihedral_from_shrunk(s->k, s->luma, im->w, im->h, &im->ax, &im->ay, s->tmp,
				    &s->work, out, &q);
	*quality = (uint8_t)q;
	return 0;
}

const char *dp_dihedral_name(int variant)
{
	static const char *const names[DP_DIHEDRAL_COUNT] = {
		[DP_DIHEDRAL_ORIGINAL] = "original",
		[DP_DIHEDRAL_ROTATE90] = "rotate90",
		[DP_DIHEDRAL_ROTATE180] = "rotate180",
		[DP_DIHEDRAL_ROTATE270] = "rotate270",
		[DP_DIHEDRAL_FLIPX] = "flipx",
		[DP_DIHEDRAL_FLIPY] = "flipy",
		[DP_DIHEDRAL_FLIP_PLUS1] = "flipplus1",
		[DP_DIHEDRAL_FLIP_MINUS1] = "flipminus1",
	};

	return variant >= 0 && variant < DP_DIHEDRAL_COUNT ? names[variant] : "unknown";
}

/* The kind bit of the name at s (n bytes), or 0. */
static unsigned kind_of(const char *s, size_t n)
{
	if (n == 3 && memcmp(s, "all", 3) == 0)
		return DP_HASH_ALL | DP_HASH_THUMB;
	for (size_t i = 0; i < DP_NKINDS; i++)
		if (strlen(kind_names[i].name) == n && memcmp(s, kind_names[i].name, n) == 0)
			return kind_names[i].kind;
	return 0;
}

int dp_hash_parse_list(const char *list, unsigned *kinds, struct dp_err *err)
{
	const char *p = list;
	unsigned acc = 0;

	*kinds = 0;
	if (!list)
		return dp_err_set(err, DP_E_ARG, "hash: no hash list");
	while (*p) {
		size_t n;
		unsigned bit;

		while (*p == ',' || *p == ' ')
			p++;
		if (!*p)
			break;
		n = strcspn(p, ", ");
		bit = kind_of(p, n);
		if (!bit)
			return dp_err_set(err, DP_E_ARG,
					  "hash: unknown hash \"%.*s\" (known: pdq, phash, dhash, ahash, pdqdih, thumb, all)",
					  (int)n, p);
		acc |= bit;
		p += n;
	}
	if (!acc)
		return dp_err_set(err, DP_E_ARG, "hash: empty hash list \"%s\"", list);
	if (acc & DP_HASH_PDQDIH)
		acc |= DP_HASH_PDQ;   /* variant 0 is the plain hash */
	*kinds = acc;
	return 0;
}

const char *dp_hash_kind_name(unsigned kind)
{
	for (size_t i = 0; i < DP_NKINDS; i++)
		if (kind_names[i].kind == kind)
			return kind_names[i].name;
	return "unknown";
}

void dp_hash_pdq_to_hex(const uint8_t pdq[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[pdq[i] >> 4];
		hex[2 * i + 1] = digits[pdq[i] & 15];
	}
	hex[64] = '\0';
}

/* Value of one hex digit, or -1. */
static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dp_hash_pdq_from_hex(const char *hex, uint8_t pdq[32], struct dp_err *err)
{
	for (int i = 0; i < 32; i++) {
		int hi = hex[2 * i] ? hex_digit(hex[2 * i]) : -1;
		int lo = hi >= 0 && hex[2 * i + 1] ? hex_digit(hex[2 * i + 1]) : -1;

		if (hi < 0 || lo < 0)
			return dp_err_set(err, DP_E_FORMAT, "hash: \"%.64s\" is not 64 hex digits", hex);
		pdq[i] = (uint8_t)(hi << 4 | lo);
	}
	if (hex[64] != '\0')
		return dp_err_set(err, DP_E_FORMAT, "hash: \"%.70s\" is longer than 64 hex digits", hex);
	return 0;
}
