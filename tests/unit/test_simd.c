/* tests/unit/test_simd.c - every SIMD kernel variant against the scalar reference, bit for bit.
 *
 * For each variant table of dispatch.c (dp_kernels_variant()) and each
 * kernel it implements: if this CPU (after DP_DISABLE_CPU_FEATURES) lacks
 * a feature the variant needs, one "ok N # SKIP" line per kernel, and the
 * code is never called (no SIGILL). Otherwise the variant's output must
 * equal the scalar reference's exactly (memcmp: the float kernels are
 * bit-exact by design, see kernels.h) on
 *   - random data, constant images, all-0 and all-255 images, and for luma
 *     every one of the 2^24 RGB triples;
 *   - lengths 0..N including non-multiples of every vector width, odd
 *     image sizes (1x1, 3x7, 63x65, 500x375, 2049x5...), box windows from
 *     1 to the line length, including both sides of internal limits (the
 *     row pass's ring, the column pass's strips);
 *   - inputs and outputs misaligned by 1..3 elements;
 *   - output (and scratch) buffers with guard regions on both sides that
 *     must come back untouched. Inputs are allocated to their exact end,
 *     so the ASan build (make sanitize-check) also catches over-reads.
 * The alignment fit's row kernel is checked on random levels, maps (partly
 * or wholly outside the frame), tones and cuts, then through
 * dp_align_thumbs() on random thumbnails and crops.
 * Then end to end: the PDQ / pHash / dHash / aHash drivers through each
 * usable variant and through the dispatched table equal the scalar table
 * on random images, and dp_hash_image() (dispatched) equals the drivers
 * run on the scalar table.
 *
 * tests/run.sh reruns this under DP_DISABLE_CPU_FEATURES=avx512 and
 * =avx512,avx2, so the dispatched table is exercised at every level.
 * Random data comes from a seed printed first (--seed N reproduces).
 *
 * SPDX-License-Identifier: MIT
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "../testrng.h"
#include "err.h"
#include "hash.h"
#include "image.h"
#include "kernels.h"

#define GUARD 64            /* guard elements on each side of an output buffer */
#define GUARD_BYTE 0xa5     /* their fill: as floats, a NaN-free odd pattern */

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* A skipped check: TAP "ok N # SKIP reason". */
__attribute__((format(printf, 1, 2)))
static void tap_skip(const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("ok %d # SKIP ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/*
 * An output buffer of n elements of size elt, at offset `mis` elements past
 * the end of a GUARD-element guard, with another guard after it. guarded()
 * checks both guards.
 */
struct gbuf {
	unsigned char *base;
	void *p;
	size_t bytes, front, total;
};

static struct gbuf gbuf_new(size_t n, size_t elt, int mis)
{
	struct gbuf g;

	g.front = (GUARD + (size_t)mis) * elt;
	g.bytes = n * elt;
	g.total = g.front + g.bytes + GUARD * elt;
	g.base = xmalloc(g.total);
	memset(g.base, GUARD_BYTE, g.total);
	g.p = g.base + g.front;
	return g;
}

static int guarded(const struct gbuf *g)
{
	for (size_t i = 0; i < g->front; i++)
		if (g->base[i] != GUARD_BYTE)
			return 0;
	for (size_t i = g->front + g->bytes; i < g->total; i++)
		if (g->base[i] != GUARD_BYTE)
			return 0;
	return 1;
}

/* Fill the output area (not the guards) with a different pattern, so stale equality cannot pass. */
static void gbuf_poison(struct gbuf *g, unsigned char c)
{
	memset(g->p, c, g->bytes);
}

static void gbuf_free(struct gbuf *g)
{
	free(g->base);
	g->base = NULL;
}

/* An input buffer of n elements misaligned by mis elements, ending exactly at the allocation's end. */
struct ibuf {
	unsigned char *base;
	void *p;
};

static struct ibuf ibuf_new(size_t n, size_t elt, int mis)
{
	struct ibuf b;

	b.base = xmalloc(((size_t)mis + n) * elt);
	b.p = b.base + (size_t)mis * elt;
	return b;
}

/* Image contents for the float kernels. */
enum fill { FILL_RANDOM, FILL_BYTES, FILL_CONST, FILL_ZERO, FILL_255, FILL_SIGNED, FILL_COUNT };

static const char *const fill_names[] = { "random", "bytes", "constant", "zeros", "255s", "signed" };

static void fill_floats(float *p, size_t n, enum fill f)
{
	float c = (float)(rng_next() >> 40) * (255.0f / 16777216.0f);

	for (size_t i = 0; i < n; i++) {
		switch (f) {
		case FILL_RANDOM:   /* 0..255 with 24 random bits */
			p[i] = (float)(rng_next() >> 40) * (255.0f / 16777216.0f);
			break;
		case FILL_BYTES:    /* what the first PDQ pass sees on grey input */
			p[i] = (float)(rng_next() >> 56);
			break;
		case FILL_CONST:
			p[i] = c;
			break;
		case FILL_ZERO:
			p[i] = 0.0f;
			break;
		case FILL_255:
			p[i] = 255.0f;
			break;
		default:            /* wide dynamic range, both signs */
			p[i] = (float)((double)(int64_t)rng_next() / 9.2e15);
			break;
		}
	}
}

/* The names of enum dp_cpu_feature bits, comma-separated, into buf. */
static const char *feature_names(unsigned bits, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ DP_CPU_SSE41, "sse4.1" }, { DP_CPU_POPCNT, "popcnt" }, { DP_CPU_AVX2, "avx2" },
		{ DP_CPU_AVX512, "avx512" }, { DP_CPU_AVX512VPOPCNTDQ, "avx512vpopcntdq" },
		{ DP_CPU_NEON, "neon" },
	};
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((bits & names[i].bit) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
						 names[i].name);
	return buf;
}

/* The scalar table with the entries of variant v laid over it. */
static struct dp_kernels compose(const struct dp_kernels *v)
{
	struct dp_kernels k = *dp_kernels_scalar();

	if (v->luma_rgb8)
		k.luma_rgb8 = v->luma_rgb8;
	if (v->box_rows)
		k.box_rows = v->box_rows;
	if (v->box_cols)
		k.box_cols = v->box_cols;
	if (v->resize_area)
		k.resize_area = v->resize_area;
	if (v->dct64to16)
		k.dct64to16 = v->dct64to16;
	if (v->dct32to8)
		k.dct32to8 = v->dct32to8;
	if (v->hamming256_many)
		k.hamming256_many = v->hamming256_many;
	if (v->hamming64_many)
		k.hamming64_many = v->hamming64_many;
	if (v->align_row)
		k.align_row = v->align_row;
	k.name = v->name;
	return k;
}

/* ------------------------------------------------------------------ */
/* Luma                                                                */

static void test_luma(const char *isa, dp_luma_rgb8_fn fn)
{
	static const size_t extra[] = { 127, 1000, 4097 };
	int ok = 1, guards = 1, n_cases = 0;

	/* Lengths 0..80 and a few long ones; every misalignment of input and output. */
	for (size_t c = 0; c < 81 + sizeof(extra) / sizeof(extra[0]); c++) {
		size_t n = c < 81 ? c : extra[c - 81];

		for (int mis = 0; mis < 4; mis++) {
			struct ibuf in = ibuf_new(3 * n, 1, mis);
			struct gbuf want = gbuf_new(n, sizeof(float), 0), got = gbuf_new(n, sizeof(float), mis);
			uint8_t *rgb = in.p;

			for (size_t i = 0; i < 3 * n; i++)
				rgb[i] = (uint8_t)(c % 3 == 0 && mis == 1 ? 255 : c % 3 == 0 && mis == 2 ? 0
										: rng_next() >> 56);
			gbuf_poison(&got, 0x7f);
			dp_luma_rgb8_scalar(rgb, n, want.p);
			fn(rgb, n, got.p);
			ok &= memcmp(want.p, got.p, n * sizeof(float)) == 0;
			guards &= guarded(&got);
			n_cases++;
			free(in.base);
			gbuf_free(&want);
			gbuf_free(&got);
		}
	}
	tap_ok(ok, "%s luma_rgb8: %d random/0/255 cases, lengths 0..80, 127, 1000, 4097, misaligned 0..3",
	       isa, n_cases);
	tap_ok(guards, "%s luma_rgb8: guard regions untouched", isa);

	/* Every RGB triple, 65536 pixels (one R value) at a time. */
	{
		uint8_t *rgb = xmalloc(3 * 65536);
		float *want = xmalloc(65536 * sizeof(float)), *got = xmalloc(65536 * sizeof(float));

		ok = 1;
		for (int r = 0; r < 256; r++) {
			for (int i = 0; i < 65536; i++) {
				rgb[3 * i] = (uint8_t)r;
				rgb[3 * i + 1] = (uint8_t)(i >> 8);
				rgb[3 * i + 2] = (uint8_t)i;
			}
			dp_luma_rgb8_scalar(rgb, 65536, want);
			fn(rgb, 65536, got);
			ok &= memcmp(want, got, 65536 * sizeof(float)) == 0;
		}
		tap_ok(ok, "%s luma_rgb8: all 2^24 RGB triples bit-identical", isa);
		free(rgb);
		free(want);
		free(got);
	}
}

/* ------------------------------------------------------------------ */
/* Box filter                                                          */

static const int img_sizes[][2] = {
	{ 1, 1 }, { 3, 7 }, { 7, 3 }, { 8, 8 }, { 9, 17 }, { 15, 16 }, { 16, 15 }, { 17, 33 },
	{ 31, 2 }, { 2, 31 }, { 63, 65 }, { 65, 63 }, { 64, 64 }, { 100, 37 }, { 257, 9 },
	{ 1, 40 }, { 40, 1 }, { 129, 130 }, { 500, 375 }, { 375, 500 },
	{ 1030, 9 }, { 1031, 16 }, { 2049, 5 },   /* past the 1024-column strips of the AVX2 column pass */
};
#define N_SIZES (sizeof(img_sizes) / sizeof(img_sizes[0]))

/* Windows worth testing for a line of length len (deduplicated, all in 1..len). */
static int box_windows(int len, int win[8])
{
	int cand[8] = { 1, 2, 3, 7, 8, dp_jarosz_window(len, 64), len - 1, len };
	int n = 0;

	for (int i = 0; i < 8; i++) {
		int dup = cand[i] < 1 || cand[i] > len;

		for (int j = 0; j < n && !dup; j++)
			dup = win[j] == cand[i];
		if (!dup)
			win[n++] = cand[i];
	}
	return n;
}

static void test_box(const char *isa, const char *what, dp_box_fn fn, dp_box_fn ref, int rows)
{
	int ok = 1, guards = 1, n_cases = 0;
	char first_bad[96] = "";

	for (size_t c = 0; c < N_SIZES; c++) {
		int w = img_sizes[c][0], h = img_sizes[c][1], win[8];
		int nw = box_windows(rows ? w : h, win);
		size_t n = (size_t)w * (size_t)h;

		for (int k = 0; k < nw; k++) {
			for (int f = 0; f < FILL_COUNT; f++) {
				int mis = (int)((c + (size_t)k + (size_t)f) % 4);
				struct ibuf in = ibuf_new(n, sizeof(float), mis);
				struct gbuf want = gbuf_new(n, sizeof(float), 0);
				struct gbuf got = gbuf_new(n, sizeof(float), (mis + 1) % 4);
				int same;

				fill_floats(in.p, n, (enum fill)f);
				gbuf_poison(&got, 0x7f);
				ref(in.p, want.p, w, h, win[k]);
				fn(in.p, got.p, w, h, win[k]);
				same = memcmp(want.p, got.p, n * sizeof(float)) == 0;
				if (!same && !first_bad[0])
					snprintf(first_bad, sizeof(first_bad), " (first mismatch: %dx%d window %d, %s)",
						 w, h, win[k], fill_names[f]);
				ok &= same;
				guards &= guarded(&got);
				n_cases++;
				free(in.base);
				gbuf_free(&want);
				gbuf_free(&got);
			}
		}
	}
	tap_ok(ok, "%s %s: %d cases (sizes 1x1..2049x5, windows 1..len, 6 fills, misaligned)%s", isa,
	       what, n_cases, first_bad);
	tap_ok(guards, "%s %s: guard regions untouched", isa, what);

	/* Wide windows: around the 256-column ring of the AVX2 row pass, and its scalar fallback. */
	ok = 1;
	n_cases = 0;
	first_bad[0] = '\0';
	for (int win = 224; win <= 264; win++) {
		int len = 300, w = rows ? len : 17, h = rows ? 17 : len;
		size_t n = (size_t)w * (size_t)h;
		struct ibuf in = ibuf_new(n, sizeof(float), win % 4);
		struct gbuf want = gbuf_new(n, sizeof(float), 0), got = gbuf_new(n, sizeof(float), 1);
		int same;

		fill_floats(in.p, n, FILL_RANDOM);
		gbuf_poison(&got, 0x7f);
		ref(in.p, want.p, w, h, win);
		fn(in.p, got.p, w, h, win);
		same = memcmp(want.p, got.p, n * sizeof(float)) == 0 && guarded(&got);
		if (!same && !first_bad[0])
			snprintf(first_bad, sizeof(first_bad), " (first mismatch: window %d)", win);
		ok &= same;
		n_cases++;
		free(in.base);
		gbuf_free(&want);
		gbuf_free(&got);
	}
	tap_ok(ok, "%s %s: %d wide windows 224..264 on lines of 300%s", isa, what, n_cases, first_bad);
}

/* ------------------------------------------------------------------ */
/* Resize                                                              */

static void test_resize(const char *isa, dp_resize_fn fn)
{
	static const int outs[][2] = { { 32, 32 }, { 9, 8 }, { 8, 8 }, { 3, 2 }, { 1, 1 }, { 33, 17 },
				       { 17, 40 }, { 64, 64 }, { 16, 9 } };
	int ok = 1, guards = 1, n_cases = 0;
	char first_bad[96] = "";

	for (size_t c = 0; c < N_SIZES; c++) {
		int w = img_sizes[c][0], h = img_sizes[c][1];
		size_t n = (size_t)w * (size_t)h;

		for (size_t o = 0; o < sizeof(outs) / sizeof(outs[0]); o++) {
			int ow = outs[o][0], oh = outs[o][1];
			size_t on = (size_t)ow * (size_t)oh, sn = dp_resize_area_floats(w, h, ow, oh);
			enum fill f = (enum fill)((c + o) % FILL_COUNT);
			int mis = (int)((c + o) % 4);
			struct ibuf in = ibuf_new(n, sizeof(float), mis);
			struct gbuf want = gbuf_new(on, sizeof(float), 0), got = gbuf_new(on, sizeof(float), 3 - mis);
			struct gbuf s1 = gbuf_new(sn, sizeof(float), 0), s2 = gbuf_new(sn, sizeof(float), mis);
			int same;

			fill_floats(in.p, n, f);
			gbuf_poison(&got, 0x7f);
			dp_resize_area_scalar(in.p, w, h, want.p, ow, oh, s1.p);
			fn(in.p, w, h, got.p, ow, oh, s2.p);
			same = memcmp(want.p, got.p, on * sizeof(float)) == 0;
			if (!same && !first_bad[0])
				snprintf(first_bad, sizeof(first_bad), " (first mismatch: %dx%d -> %dx%d, %s)", w,
					 h, ow, oh, fill_names[f]);
			ok &= same;
			guards &= guarded(&got) && guarded(&s2);
			n_cases++;
			free(in.base);
			gbuf_free(&want);
			gbuf_free(&got);
			gbuf_free(&s1);
			gbuf_free(&s2);
		}
	}
	tap_ok(ok, "%s resize_area: %d cases (1x1..2049x5 -> 1x1..64x64, up and down)%s", isa, n_cases,
	       first_bad);
	tap_ok(guards, "%s resize_area: output and scratch guards untouched", isa);
}

/* ------------------------------------------------------------------ */
/* DCT                                                                 */

static void test_dct(const char *isa, const char *what, dp_dct_fn fn, dp_dct_fn ref,
		     const float *m, int n, int k)
{
	int ok = 1, guards = 1, n_cases = 0;

	for (int f = 0; f < FILL_COUNT; f++) {
		for (int rep = 0; rep < 4; rep++) {
			int mis = rep;
			struct ibuf in = ibuf_new((size_t)n * (size_t)n, sizeof(float), mis);
			struct gbuf t1 = gbuf_new((size_t)k * (size_t)n, sizeof(float), 0);
			struct gbuf t2 = gbuf_new((size_t)k * (size_t)n, sizeof(float), (mis + 1) % 4);
			struct gbuf want = gbuf_new((size_t)k * (size_t)k, sizeof(float), 0);
			struct gbuf got = gbuf_new((size_t)k * (size_t)k, sizeof(float), (mis + 2) % 4);

			fill_floats(in.p, (size_t)n * (size_t)n, (enum fill)f);
			gbuf_poison(&got, 0x7f);
			ref(in.p, m, t1.p, want.p);
			fn(in.p, m, t2.p, got.p);
			ok &= memcmp(want.p, got.p, (size_t)k * (size_t)k * sizeof(float)) == 0;
			guards &= guarded(&got) && guarded(&t2);
			n_cases++;
			free(in.base);
			gbuf_free(&t1);
			gbuf_free(&t2);
			gbuf_free(&want);
			gbuf_free(&got);
		}
	}
	tap_ok(ok, "%s %s: %d cases (6 fills, misaligned) bit-identical", isa, what, n_cases);
	tap_ok(guards, "%s %s: output and tmp guards untouched", isa, what);
}

/* ------------------------------------------------------------------ */
/* Hamming                                                             */

static void test_hamming256(const char *isa, dp_hamming256_many_fn fn)
{
	static const size_t extra[] = { 255, 1000, 4099 };
	int ok = 1, guards = 1, extremes = 1, n_cases = 0;

	for (size_t c = 0; c < 101 + sizeof(extra) / sizeof(extra[0]); c++) {
		size_t n = c < 101 ? c : extra[c - 101];
		int mis = (int)(c % 4);
		struct ibuf codes = ibuf_new(n * DP_PDQ_BYTES, 1, mis);
		struct gbuf want = gbuf_new(n, sizeof(uint16_t), 0), got = gbuf_new(n, sizeof(uint16_t), (int)(c / 4 % 4));
		uint8_t q[DP_PDQ_BYTES], *cp = codes.p;

		for (int i = 0; i < DP_PDQ_BYTES; i++)
			q[i] = (uint8_t)(rng_next() >> 56);
		for (size_t i = 0; i < n * DP_PDQ_BYTES; i++) {
			/* Mix random codes with ones equal to q, its complement, and sparse flips. */
			size_t code = i / DP_PDQ_BYTES;
			uint8_t qb = q[i % DP_PDQ_BYTES];

			cp[i] = code % 5 == 1 ? qb : code % 5 == 2 ? (uint8_t)~qb :
				code % 5 == 3 ? (uint8_t)(qb ^ (rng_next() >> 63)) : (uint8_t)(rng_next() >> 56);
		}
		gbuf_poison(&got, 0x7f);
		dp_hamming256_many_scalar(q, cp, n, want.p);
		fn(q, cp, n, got.p);
		ok &= memcmp(want.p, got.p, n * sizeof(uint16_t)) == 0;
		guards &= guarded(&got);
		for (size_t i = 1; i < n; i += 5)   /* code % 5 == 1: distance 0; == 2: 256 */
			extremes &= ((uint16_t *)got.p)[i] == 0 && (i + 1 >= n || ((uint16_t *)got.p)[i + 1] == 256);
		n_cases++;
		free(codes.base);
		gbuf_free(&want);
		gbuf_free(&got);
	}
	tap_ok(ok, "%s hamming256_many: n = 0..100, 255, 1000, 4099, misaligned codes and dist", isa);
	tap_ok(extremes, "%s hamming256_many: distances 0 and 256 exact", isa);
	tap_ok(guards, "%s hamming256_many: guard regions untouched (%d cases)", isa, n_cases);
}

static void test_hamming64(const char *isa, dp_hamming64_many_fn fn)
{
	static const size_t extra[] = { 255, 1000, 4099 };
	int ok = 1, guards = 1, n_cases = 0;

	for (size_t c = 0; c < 101 + sizeof(extra) / sizeof(extra[0]); c++) {
		size_t n = c < 101 ? c : extra[c - 101];
		int mis = (int)(c % 4);
		/* uint64_t codes are 8-byte aligned in valid callers: misaligned by whole words,
		 * i.e. relative to the 32- and 64-byte vector width. */
		struct ibuf codes = ibuf_new(n, sizeof(uint64_t), mis);
		struct gbuf want = gbuf_new(n, sizeof(uint16_t), 0), got = gbuf_new(n, sizeof(uint16_t), (int)(c / 4 % 4));
		uint64_t q = rng_next(), *cp = codes.p;

		for (size_t i = 0; i < n; i++)
			cp[i] = i % 4 == 1 ? q : i % 4 == 2 ? ~q : rng_next();
		gbuf_poison(&got, 0x7f);
		dp_hamming64_many_scalar(q, cp, n, want.p);
		fn(q, cp, n, got.p);
		ok &= memcmp(want.p, got.p, n * sizeof(uint16_t)) == 0;
		guards &= guarded(&got);
		n_cases++;
		free(codes.base);
		gbuf_free(&want);
		gbuf_free(&got);
	}
	tap_ok(ok, "%s hamming64_many: n = 0..100, 255, 1000, 4099 (incl. 0 and 64)", isa);
	tap_ok(guards, "%s hamming64_many: guard regions untouched (%d cases)", isa, n_cases);
}

/* ------------------------------------------------------------------ */
/* Alignment rows                                                      */

/* A random float in [lo, hi). */
static float frand(float lo, float hi)
{
	return lo + (hi - lo) * (float)(rng_next() >> 40) / (float)(1 << 24);
}

/*
 * align_row against the reference: levels of 32 and 64 (A, gradients, B
 * random, each allocated to its exact end), maps from the identity to
 * scaled, sheared and shifted ones that put part or all of a row outside
 * A, gains, offsets and curves, cuts of 0 (unweighted) and from a fraction
 * to tens of grey levels, moments only and the full sums, every row. Then
 * dp_align_thumbs through the variant equals it through the scalar table
 * on random thumbnails and their crops.
 */
static void test_align_row(const char *isa, const struct dp_kernels *full, dp_align_row_fn fn)
{
	static struct dp_align_work w;
	int ok = 1, cases = 0, e2e = 1;

	for (int n = 32; n <= 64; n += 32) {
		float *im[4];
		struct dp_align_level lv;

		for (int i = 0; i < 4; i++) {
			im[i] = xmalloc((size_t)n * n * sizeof(float));
			for (int p = 0; p < n * n; p++)
				im[i][p] = i == 1 || i == 2 ? frand(-60.0f, 60.0f) : frand(0.0f, 255.0f);
		}
		lv = (struct dp_align_level){ im[0], im[1], im[2], im[3], n };
		for (int c = 0; c < 40; c++) {
			struct dp_align_map m = { { 1, 0, 0, 0, 1, 0 }, 1.0f, 0.0f, 0.0f, 0.0f };

			if (c > 0) {
				double z = frand(0.6f, 1.5f), sh = c % 3 ? frand(-0.2f, 0.2f) : 0.0f;

				m.q[0] = z * frand(0.9f, 1.1f);
				m.q[1] = sh;
				m.q[2] = c == 39 ? 4.0 * n : frand(-0.4f, 0.4f) * (float)n;
				m.q[3] = -sh * frand(0.5f, 1.5f);
				m.q[4] = z * frand(0.9f, 1.1f);
				m.q[5] = frand(-0.4f, 0.4f) * (float)n;
				m.g = frand(0.7f, 1.4f);
				m.h = frand(-30.0f, 30.0f);
				m.k = frand(-0.2f, 0.2f);
				m.cut = c % 4 == 0 ? 0.0f : frand(0.3f, 40.0f);
			}
			for (int normal = 0; normal < 2; normal++)
				for (int v = 0; v < n; v++) {
					float want[DP_AQ_N], got[DP_AQ_N];
					unsigned hw[DP_ALIGN_HIST_BINS] = { 0 }, hg[DP_ALIGN_HIST_BINS] = { 0 };
					int nw = dp_align_row_scalar(&lv, v, &m, normal, want, hw);
					int ng = fn(&lv, v, &m, normal, got, hg);

					ok &= nw == ng && !memcmp(want, got, sizeof(want)) && !memcmp(hw, hg, sizeof(hw));
					cases++;
				}
		}
		for (int i = 0; i < 4; i++)
			free(im[i]);
	}
	tap_ok(ok, "%s align_row: bit-exact sums, counts and histograms (%d rows: n 32 and 64, "
	       "maps partly and wholly outside, cut 0 and > 0, moments and full)", isa, cases);
	for (int c = 0; c < 12; c++) {
		uint8_t a[DP_ALIGN_BYTES], b[DP_ALIGN_BYTES];
		struct dp_align_result want[2], got[2];
		int dx = c % 5, dy = c % 3, s = 56 + c % 8;

		for (int p = 0; p < DP_ALIGN_BYTES; p++) {
			int x = p % DP_ALIGN_SIDE, y = p / DP_ALIGN_SIDE;

			a[p] = (uint8_t)(128 + 60 * ((x / (4 + c % 3) + y / 5) % 2) + (int)(rng_next() % 9) - 4);
		}
		for (int p = 0; p < DP_ALIGN_BYTES; p++) {   /* a crop of a, nearest-neighbour scaled */
			int x = p % DP_ALIGN_SIDE, y = p / DP_ALIGN_SIDE;

			b[p] = c % 4 == 3 ? (uint8_t)(rng_next() & 255) :
			       a[(dy + y * s / DP_ALIGN_SIDE) * DP_ALIGN_SIDE + dx + x * s / DP_ALIGN_SIDE];
		}
		dp_align_thumbs(dp_kernels_scalar(), a, b, &w, want);
		dp_align_thumbs(full, a, b, &w, got);
		e2e &= !memcmp(want, got, sizeof(want));
	}
	tap_ok(e2e, "%s align_thumbs through align_row: the scalar table's results, bit for bit", isa);
}

/* ------------------------------------------------------------------ */
/* End to end                                                          */

struct all_hashes {
	uint8_t pdq[DP_PDQ_BYTES];
	int quality;
	uint64_t phash, dhash, ahash;
};

/* Every hash of a w x h float luma image through table k. */
static struct all_hashes hash_all(const struct dp_kernels *k, const float *luma, int w, int h,
				  struct dp_hash_work *work)
{
	size_t n = (size_t)w * (size_t)h;
	float *copy = xmalloc(n * sizeof(float)), *tmp = xmalloc(n * sizeof(float));
	float *scratch = xmalloc(dp_resize_area_floats(w, h, 32, 32) * sizeof(float));
	struct all_hashes r;

	memset(&r, 0, sizeof(r));
	r.phash = dp_phash_from_luma(k, luma, w, h, scratch, work);
	r.dhash = dp_dhash_from_luma(k, luma, w, h, scratch, work);
	r.ahash = dp_ahash_from_luma(k, luma, w, h, scratch, work);
	memcpy(copy, luma, n * sizeof(float));
	dp_pdq_from_luma(k, copy, w, h, tmp, work, r.pdq, &r.quality);
	free(copy);
	free(tmp);
	free(scratch);
	return r;
}

static const int e2e_sizes[][2] = { { 1, 1 }, { 4, 4 }, { 5, 5 }, { 3, 7 }, { 64, 64 }, { 63, 65 },
				    { 127, 129 }, { 500, 375 }, { 333, 777 }, { 512, 512 } };
#define N_E2E (sizeof(e2e_sizes) / sizeof(e2e_sizes[0]))

/* RGB bytes (3*n) of a random image: noise, or smooth gradients plus noise (photo-like). */
static void random_rgb(uint8_t *rgb, int w, int h, int smooth)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++) {
				size_t i = 3 * ((size_t)y * (size_t)w + (size_t)x) + (size_t)c;
				int v = smooth ? (x * 255 / w + y * 255 / h) / 2 + (int)(rng_next() >> 60) - 8 + c * 20
					       : (int)(rng_next() >> 56);

				rgb[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
}

static void test_end_to_end(const char *isa, const struct dp_kernels *k, struct dp_hash_work *work)
{
	int ok = 1, n_cases = 0;
	char first_bad[96] = "";

	for (size_t c = 0; c < N_E2E; c++) {
		for (int smooth = 0; smooth < 2; smooth++) {
			int w = e2e_sizes[c][0], h = e2e_sizes[c][1];
			size_t n = (size_t)w * (size_t)h;
			uint8_t *rgb = xmalloc(3 * n);
			float *l1 = xmalloc(n * sizeof(float)), *l2 = xmalloc(n * sizeof(float));
			struct all_hashes a, b;

			random_rgb(rgb, w, h, smooth);
			dp_kernels_scalar()->luma_rgb8(rgb, n, l1);
			k->luma_rgb8(rgb, n, l2);
			a = hash_all(dp_kernels_scalar(), l1, w, h, work);
			b = hash_all(k, l2, w, h, work);
			if ((memcmp(&a, &b, sizeof(a)) != 0 || memcmp(l1, l2, n * sizeof(float)) != 0) &&
			    !first_bad[0])
				snprintf(first_bad, sizeof(first_bad), " (first mismatch: %dx%d)", w, h);
			ok &= memcmp(&a, &b, sizeof(a)) == 0;
			n_cases++;
			free(rgb);
			free(l1);
			free(l2);
		}
	}
	tap_ok(ok, "%s: PDQ+quality, pHash, dHash, aHash of %d random RGB images = scalar%s", isa,
	       n_cases, first_bad);
}

/* dp_hash_image (the dispatched table) against the drivers on the scalar table. */
static void test_hash_image(struct dp_hash_work *work)
{
	struct dp_hash_scratch *s = dp_hash_scratch_new();
	int ok = 1, n_cases = 0;

	if (!s) {
		tap_ok(0, "scratch allocated");
		return;
	}
	for (size_t c = 0; c < N_E2E; c++) {
		for (int channels = 1; channels <= 3; channels += 2) {
			int w = e2e_sizes[c][0], h = e2e_sizes[c][1];
			size_t n = (size_t)w * (size_t)h;
			struct dp_image im = { 0 };
			struct dp_hashes got;
			struct dp_err err = { 0 };
			struct all_hashes want;
			float *l = xmalloc(n * sizeof(float));

			if (dp_image_reserve(&im, w, h, channels) != 0)
				exit(1);
			for (size_t i = 0; i < n * (size_t)channels; i++)
				im.pix[i] = (uint8_t)(rng_next() >> 56);
			if (channels == 3)
				dp_luma_rgb8_scalar(im.pix, n, l);
			else
				dp_luma_grey8_scalar(im.pix, n, l);
			want = hash_all(dp_kernels_scalar(), l, w, h, work);
			ok &= dp_hash_image(&im, DP_HASH_ALL, s, &got, &err) == 0 &&
			      memcmp(got.pdq, want.pdq, DP_PDQ_BYTES) == 0 && got.pdq_quality == want.quality &&
			      got.phash == want.phash && got.dhash == want.dhash && got.ahash == want.ahash;
			n_cases++;
			free(l);
			dp_image_release(&im);
		}
	}
	tap_ok(ok, "dp_hash_image (table '%s') = scalar drivers on %d grey and RGB images",
	       dp_kernels_get()->name, n_cases);
	dp_hash_scratch_free(s);
}

/* ------------------------------------------------------------------ */
/* Driver                                                              */

/* The kernels a variant table implements, tested or skipped one by one. */
static void test_variant(const struct dp_kernels *v, unsigned needs, struct dp_hash_work *work)
{
	unsigned missing = needs & ~dp_cpu_features();
	struct dp_kernels full;
	char isa[48], lacks[96];
	int kernels = 0;

	snprintf(isa, sizeof(isa), "%s", v->name);
	feature_names(missing, lacks, sizeof(lacks));
	if (missing) {
		const char *names[] = { v->luma_rgb8 ? "luma_rgb8" : NULL, v->box_rows ? "box_rows" : NULL,
					v->box_cols ? "box_cols" : NULL, v->resize_area ? "resize_area" : NULL,
					v->dct64to16 ? "dct64to16" : NULL, v->dct32to8 ? "dct32to8" : NULL,
					v->hamming256_many ? "hamming256_many" : NULL,
					v->hamming64_many ? "hamming64_many" : NULL,
					v->align_row ? "align_row" : NULL };

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (names[i])
				tap_skip("%s %s: no %s on this CPU (or DP_DISABLE_CPU_FEATURES)", isa,
					 names[i], lacks);
		tap_skip("%s end to end: no %s on this CPU", isa, lacks);
		return;
	}
	if (v->luma_rgb8)
		test_luma(isa, v->luma_rgb8), kernels++;
	if (v->box_rows)
		test_box(isa, "box_rows", v->box_rows, dp_box_rows_scalar, 1), kernels++;
	if (v->box_cols)
		test_box(isa, "box_cols", v->box_cols, dp_box_cols_scalar, 0), kernels++;
	if (v->resize_area)
		test_resize(isa, v->resize_area), kernels++;
	if (v->dct64to16)
		test_dct(isa, "dct64to16", v->dct64to16, dp_dct64to16_scalar, work->pdq_dct,
			 DP_PDQ_GRID, DP_PDQ_COEFS), kernels++;
	if (v->dct32to8)
		test_dct(isa, "dct32to8", v->dct32to8, dp_dct32to8_scalar, work->phash_dct,
			 DP_PHASH_GRID, DP_PHASH_COEFS), kernels++;
	if (v->hamming256_many)
		test_hamming256(isa, v->hamming256_many), kernels++;
	if (v->hamming64_many)
		test_hamming64(isa, v->hamming64_many), kernels++;
	full = compose(v);
	if (v->align_row)
		test_align_row(isa, &full, v->align_row), kernels++;
	test_end_to_end(isa, &full, work);
	tap_diag("%s: %d kernels tested", isa, kernels);
}

int main(int argc, char **argv)
{
	unsigned long long seed;
	struct dp_hash_work *work = xmalloc(sizeof(*work));
	const char *env = getenv("DP_DISABLE_CPU_FEATURES");
	const struct dp_kernels *v;
	unsigned needs;
	int simd = 0;

	if (tap_seed(argc, argv, 20240615, &seed))
		return 2;
	rng_state = seed ? seed : 1;
	dp_kernels_init();
	dp_hash_work_init(work);
	{
		char f[96], d[96];

		tap_diag("cpu features %s (detected %s), DP_DISABLE_CPU_FEATURES=%s, selected '%s'",
			 feature_names(dp_cpu_features(), f, sizeof(f)),
			 feature_names(dp_cpu_detect(), d, sizeof(d)), env ? env : "(unset)",
			 dp_kernels_get()->name);
	}

	for (size_t i = 0; (v = dp_kernels_variant(i, &needs)) != NULL; i++) {
		if (v == dp_kernels_scalar())
			continue;
		simd++;
		test_variant(v, needs, work);
	}
	if (!simd)
		tap_skip("no SIMD variants compiled in (DP_KERNELS_X86 = %d)", DP_KERNELS_X86);

	/* The table everyone uses, whatever it picked. */
	test_end_to_end("dispatched", dp_kernels_get(), work);
	test_hash_image(work);
	free(work);
	return tap_done();
}
