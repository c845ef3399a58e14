/* bench/bench_kernels.c - per-kernel and whole-hash timings of every kernel variant against the scalar reference.
 *
 * For each hot kernel of struct dp_kernels and each implementation of it
 * that is compiled in and usable on this CPU (scalar, avx2, avx512...), on
 * the image sizes doppel meets: fast mode hashes a 500x375 grey image
 * (the decoder's shrink-on-load size of a 4000x3000 JPEG, PDQ through the
 * full-resolution filter of pdq_shrunk.c), exact mode a 512x512 RGB one. Then
 * whole hashes per image at each dispatch level (scalar, avx2, everything
 * the CPU has), and Hamming one-to-many throughput over a million codes.
 *
 * Method: single thread; each implementation is first run once and its
 * output compared with the scalar reference's (memcmp: the variants are
 * bit-exact by design), so broken fast code cannot "win" (check=FAIL and
 * exit status 1 instead); then warmed up for >= 20 ms, then timed REPS
 * times (a batch of calls per sample for the sub-microsecond kernels);
 * the median and minimum per call are printed.
 *
 * usage: bench_kernels [-r REPS] [-k NAME]     (NAME: run only benches whose name contains it)
 * output: a context line, then one line per measurement, e.g.
 *   bench=box_rows impl=avx2 selected=no w=500 h=375 window=4 reps=201 median_ns=... min_ns=... mpix_s=... speedup=3.1 check=ok
 *   bench=hamming256_many impl=avx512 selected=yes n=1000000 reps=201 median_ns=... comparisons_per_s=... check=ok
 * Honours DP_DISABLE_CPU_FEATURES like doppel itself.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"

#include "err.h"
#include "hash.h"
#include "image.h"
#include "kernels.h"
#include "version.h"

#ifndef DP_BUILD_FLAGS
#define DP_BUILD_FLAGS "unknown"
#endif

#define WARMUP_NS 20000000.0   /* 20 ms of calls before timing */
#define MIN_SAMPLE_NS 20000.0  /* batch calls so one sample lasts at least this */

static int reps = 201;
static const char *only;   /* -k filter */
static int failures;
static double hash_default_ns;   /* bench_hash fast/default, for bench_align's ratio */

/* ------------------------------------------------------------------ */
/* Timing                                                              */

/* One kernel call with its arguments; run() performs it through table k. */
enum job_kind {
	JOB_LUMA, JOB_BOX_ROWS, JOB_BOX_COLS, JOB_RESIZE, JOB_DCT64, JOB_DCT32,
	JOB_HAM256, JOB_HAM64, JOB_HASH, JOB_HASH_IMAGE,
};

struct job {
	enum job_kind kind;
	const struct dp_kernels *k;
	const void *in;
	void *out, *scratch;
	int w, h, ow, oh, window;
	size_t n;
	/* whole hashes */
	const struct dp_image *im;
	unsigned kinds;
	struct dp_hash_work *work;
	struct dp_hash_scratch *hs;
	float *luma, *tmp, *rs;
	struct dp_hashes hashes;
};

/* The work dp_hash_image() does, through table j->k (so any level can be timed). */
static void hash_with_table(struct job *j)
{
	const struct dp_kernels *k = j->k;
	const struct dp_image *im = j->im;
	size_t npix = (size_t)im->w * (size_t)im->h;
	int q;

	memset(&j->hashes, 0, sizeof(j->hashes));
	if (im->channels == 3)
		k->luma_rgb8(im->pix, npix, j->luma);
	else
		dp_luma_grey8_scalar(im->pix, npix, j->luma);
	if (j->kinds & DP_HASH_PHASH)
		j->hashes.phash = dp_phash_from_luma(k, j->luma, im->w, im->h, j->rs, j->work);
	if (j->kinds & DP_HASH_DHASH)
		j->hashes.dhash = dp_dhash_from_luma(k, j->luma, im->w, im->h, j->rs, j->work);
	if (j->kinds & DP_HASH_AHASH)
		j->hashes.ahash = dp_ahash_from_luma(k, j->luma, im->w, im->h, j->rs, j->work);
	if (j->kinds & DP_HASH_THUMB) {
		/* The test images have no border: the thumbnail of the whole luma. */
		float small[DP_ALIGN_BYTES], tone[2];

		k->resize_area(j->luma, im->w, im->h, small, DP_ALIGN_SIDE, DP_ALIGN_SIDE, j->rs);
		dp_align_to_bytes(small, j->hashes.thumb, tone);
		j->hashes.thumb_gain = tone[0];
		j->hashes.thumb_offset = tone[1];
	}
	if (j->kinds & DP_HASH_PDQ) {
		dp_pdq_from_shrunk(k, j->luma, im->w, im->h, &im->ax, &im->ay, j->tmp, j->work,
				   j->hashes.pdq, &q);
		j->hashes.pdq_quality = (uint8_t)q;
	}
}

static void run(struct job *j)
{
	const struct dp_kernels *k = j->k;

	switch (j->kind) {
	case JOB_LUMA:
		k->luma_rgb8(j->in, j->n, j->out);
		break;
	case JOB_BOX_ROWS:
		k->box_rows(j->in, j->out, j->w, j->h, j->window);
		break;
	case JOB_BOX_COLS:
		k->box_cols(j->in, j->out, j->w, j->h, j->window);
		break;
	case JOB_RESIZE:
		k->resize_area(j->in, j->w, j->h, j->out, j->ow, j->oh, j->scratch);
		break;
	case JOB_DCT64:
		k->dct64to16(j->in, j->work->pdq_dct, j->scratch, j->out);
		break;
	case JOB_DCT32:
		k->dct32to8(j->in, j->work->phash_dct, j->scratch, j->out);
		break;
	case JOB_HAM256:
		k->hamming256_many(j->scratch, j->in, j->n, j->out);
		break;
	case JOB_HAM64:
		k->hamming64_many(*(const uint64_t *)j->scratch, j->in, j->n, j->out);
		break;
	case JOB_HASH:
		hash_with_table(j);
		break;
	case JOB_HASH_IMAGE:
		if (dp_hash_image(j->im, j->kinds, j->hs, &j->hashes, NULL) != 0)
			failures++;
		break;
	}
}

struct timing {
	double median_ns, min_ns;
};

static struct timing measure(struct job *j)
{
	double *s = malloc((size_t)reps * sizeof(double)), t0, one;
	struct timing t = { 0, 0 };
	int batch, calls = 0;

	if (!s)
		return t;
	t0 = bench_now_ns();
	do {
		run(j);
		calls++;
	} while (bench_now_ns() - t0 < WARMUP_NS || calls < 3);
	one = (bench_now_ns() - t0) / calls;
	batch = one >= MIN_SAMPLE_NS ? 1 : (int)(MIN_SAMPLE_NS / (one > 1 ? one : 1)) + 1;
	for (int r = 0; r < reps; r++) {
		double a = bench_now_ns();

		for (int b = 0; b < batch; b++)
			run(j);
		s[r] = (bench_now_ns() - a) / batch;
	}
	qsort(s, (size_t)reps, sizeof(double), bench_cmp_double);
	t.median_ns = s[reps / 2];
	t.min_ns = s[0];
	free(s);
	return t;
}

/* ------------------------------------------------------------------ */
/* Implementations                                                     */

/* The scalar table with every usable variant whose needs fit in mask laid over it. */
static struct dp_kernels compose(unsigned mask)
{
	struct dp_kernels k = *dp_kernels_scalar();
	const struct dp_kernels *v;
	unsigned needs;
	size_t n = 0;

	while (dp_kernels_variant(n, NULL))
		n++;
	mask &= dp_cpu_features();
	for (size_t i = n; i-- > 0;) {   /* worst to best, as dispatch.c does */
		v = dp_kernels_variant(i, &needs);
		if ((needs & ~mask) != 0)
			continue;
#define DP_TAKE(f) if (v->f) k.f = v->f
		DP_TAKE(luma_rgb8);
		DP_TAKE(box_rows);
		DP_TAKE(box_cols);
		DP_TAKE(resize_area);
		DP_TAKE(dct64to16);
		DP_TAKE(dct32to8);
		DP_TAKE(hamming256_many);
		DP_TAKE(hamming64_many);
#undef DP_TAKE
	}
	return k;
}

/* The entry of kernel `kind` in table t, as a comparable pointer (NULL if absent). */
static void (*entry(const struct dp_kernels *t, enum job_kind kind))(void)
{
	switch (kind) {
	case JOB_LUMA:
		return (void (*)(void))t->luma_rgb8;
	case JOB_BOX_ROWS:
		return (void (*)(void))t->box_rows;
	case JOB_BOX_COLS:
		return (void (*)(void))t->box_cols;
	case JOB_RESIZE:
		return (void (*)(void))t->resize_area;
	case JOB_DCT64:
		return (void (*)(void))t->dct64to16;
	case JOB_DCT32:
		return (void (*)(void))t->dct32to8;
	case JOB_HAM256:
		return (void (*)(void))t->hamming256_many;
	case JOB_HAM64:
		return (void (*)(void))t->hamming64_many;
	default:
		return NULL;
	}
}

/* Name of the variant that supplies entry `kind` of the selected table. */
static const char *selected_impl(enum job_kind kind)
{
	void (*f)(void) = entry(dp_kernels_get(), kind);
	const struct dp_kernels *v;

	for (size_t i = 0; (v = dp_kernels_variant(i, NULL)) != NULL; i++)
		if (entry(v, kind) == f)
			return v->name;
	return "?";
}

/*
 * Time kernel `kind` for the scalar reference and every usable variant
 * implementing it. out_bytes of j->out are compared with the scalar
 * output. params: the "w=.. h=.." part of the line.
 */
static void bench_kernel(const char *bench, struct job *j, size_t out_bytes, const char *params,
			 double pixels, double comparisons)
{
	const struct dp_kernels *v;
	unsigned needs;
	unsigned char *want = malloc(out_bytes ? out_bytes : 1);
	double scalar_ns = 0;

	if (only && !strstr(bench, only)) {
		free(want);
		return;
	}
	if (!want)
		return;
	j->k = dp_kernels_scalar();
	run(j);
	memcpy(want, j->out, out_bytes);
	/* Scalar first (it is last in the list), then the variants best first. */
	for (size_t pass = 0; pass < 2; pass++) {
		for (size_t i = 0; (v = dp_kernels_variant(i, &needs)) != NULL; i++) {
			struct dp_kernels one = *dp_kernels_scalar();   /* just this entry replaced */
			struct timing t;
			int is_scalar = v == dp_kernels_scalar(), ok;
			void (*f)(void) = entry(v, j->kind);

			if ((pass == 0) != is_scalar || !f || (needs & ~dp_cpu_features()))
				continue;
			switch (j->kind) {
			case JOB_LUMA: one.luma_rgb8 = v->luma_rgb8; break;
			case JOB_BOX_ROWS: one.box_rows = v->box_rows; break;
			case JOB_BOX_COLS: one.box_cols = v->box_cols; break;
			case JOB_RESIZE: one.resize_area = v->resize_area; break;
			case JOB_DCT64: one.dct64to16 = v->dct64to16; break;
			case JOB_DCT32: one.dct32to8 = v->dct32to8; break;
			case JOB_HAM256: one.hamming256_many = v->hamming256_many; break;
			case JOB_HAM64: one.hamming64_many = v->hamming64_many; break;
			default: break;
			}
			j->k = &one;
			memset(j->out, 0x5a, out_bytes);
			run(j);
			ok = memcmp(want, j->out, out_bytes) == 0;
			failures += !ok;
			t = measure(j);
			if (is_scalar)
				scalar_ns = t.median_ns;
			printf("bench=%s impl=%s selected=%s %s reps=%d median_ns=%.0f min_ns=%.0f", bench,
			       v->name, f == entry(dp_kernels_get(), j->kind) ? "yes" : "no", params, reps,
			       t.median_ns, t.min_ns);
			if (pixels > 0)
				printf(" mpix_s=%.1f", pixels / t.median_ns * 1e3);
			if (comparisons > 0)
				printf(" comparisons_per_s=%.3g", comparisons / t.median_ns * 1e9);
			printf(" speedup=%.2f check=%s\n", scalar_ns / t.median_ns, ok ? "ok" : "FAIL");
			fflush(stdout);
		}
	}
	j->k = NULL;
	free(want);
}

/* ------------------------------------------------------------------ */
/* Data                                                                */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "bench_kernels: out of memory\n");
		exit(1);
	}
	return p;
}

/* A photo-like 8-bit image: smooth gradients plus a little noise (no denormals, no constant runs). */
static void fill_image(struct dp_image *im, int w, int h, int channels)
{
	if (dp_image_reserve(im, w, h, channels) != 0) {
		fprintf(stderr, "bench_kernels: out of memory\n");
		exit(1);
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++)
			for (int c = 0; c < channels; c++) {
				int v = (x * 200 / w + y * 120 / h) / 2 + 40 * c + (int)(rng_next() >> 59);

				im->pix[((size_t)y * (size_t)w + (size_t)x) * (size_t)channels + (size_t)c] =
					(uint8_t)(v > 255 ? 255 : v);
			}
}

/* ------------------------------------------------------------------ */
/* The benches                                                         */

static void bench_image_kernels(const char *mode, const struct dp_image *im)
{
	int w = im->w, h = im->h;
	size_t n = (size_t)w * (size_t)h;
	float *luma = xmalloc(n * sizeof(float)), *out = xmalloc(n * sizeof(float));
	float *scratch = xmalloc(dp_resize_area_floats(w, h, 32, 32) * sizeof(float));
	float small[32 * 32];
	char params[128];
	struct job j;

	if (im->channels == 3)
		dp_luma_rgb8_scalar(im->pix, n, luma);
	else
		dp_luma_grey8_scalar(im->pix, n, luma);

	if (im->channels == 3) {
		memset(&j, 0, sizeof(j));
		j.kind = JOB_LUMA;
		j.in = im->pix;
		j.out = out;
		j.n = n;
		snprintf(params, sizeof(params), "mode=%s w=%d h=%d", mode, w, h);
		bench_kernel("luma_rgb8", &j, n * sizeof(float), params, (double)n, 0);
	}

	memset(&j, 0, sizeof(j));
	j.kind = JOB_BOX_ROWS;
	j.in = luma;
	j.out = out;
	j.w = w;
	j.h = h;
	j.window = dp_jarosz_window(w, DP_PDQ_GRID);
	snprintf(params, sizeof(params), "mode=%s w=%d h=%d window=%d", mode, w, h, j.window);
	bench_kernel("box_rows", &j, n * sizeof(float), params, (double)n, 0);
	j.kind = JOB_BOX_COLS;
	j.window = dp_jarosz_window(h, DP_PDQ_GRID);
	snprintf(params, sizeof(params), "mode=%s w=%d h=%d window=%d", mode, w, h, j.window);
	bench_kernel("box_cols", &j, n * sizeof(float), params, (double)n, 0);

	for (int o = 0; o < 2; o++) {
		memset(&j, 0, sizeof(j));
		j.kind = JOB_RESIZE;
		j.in = luma;
		j.out = small;
		j.scratch = scratch;
		j.w = w;
		j.h = h;
		j.ow = o ? 9 : 32;
		j.oh = o ? 8 : 32;
		snprintf(params, sizeof(params), "mode=%s w=%d h=%d ow=%d oh=%d", mode, w, h, j.ow, j.oh);
		bench_kernel("resize_area", &j, (size_t)j.ow * (size_t)j.oh * sizeof(float), params,
			     (double)n, 0);
	}
	free(luma);
	free(out);
	free(scratch);
}

static void bench_dct(struct dp_hash_work *work)
{
	float in[64 * 64], tmp[16 * 64], out[16 * 16];
	struct job j;

	for (int i = 0; i < 64 * 64; i++)
		in[i] = (float)(rng_next() >> 56);
	memset(&j, 0, sizeof(j));
	j.kind = JOB_DCT64;
	j.in = in;
	j.scratch = tmp;
	j.out = out;
	j.work = work;
	bench_kernel("dct64to16", &j, sizeof(float) * 16 * 16, "n=64 k=16", 0, 0);
	j.kind = JOB_DCT32;
	bench_kernel("dct32to8", &j, sizeof(float) * 8 * 8, "n=32 k=8", 0, 0);
}

static void bench_hamming(size_t n)
{
	uint8_t *codes = xmalloc(n * DP_PDQ_BYTES), q[DP_PDQ_BYTES];
	uint64_t *codes64 = xmalloc(n * sizeof(uint64_t)), q64 = rng_next();
	uint16_t *dist = xmalloc(n * sizeof(uint16_t));
	char params[64];
	struct job j;

	for (size_t i = 0; i < n * DP_PDQ_BYTES; i += 8) {
		uint64_t r = rng_next();

		memcpy(codes + i, &r, 8);
	}
	for (size_t i = 0; i < n; i++)
		codes64[i] = rng_next();
	for (int i = 0; i < DP_PDQ_BYTES; i++)
		q[i] = (uint8_t)rng_next();
	snprintf(params, sizeof(params), "n=%zu bytes=%zu", n, n * DP_PDQ_BYTES);
	memset(&j, 0, sizeof(j));
	j.kind = JOB_HAM256;
	j.in = codes;
	j.scratch = q;
	j.out = dist;
	j.n = n;
	bench_kernel("hamming256_many", &j, n * sizeof(uint16_t), params, 0, (double)n);
	snprintf(params, sizeof(params), "n=%zu bytes=%zu", n, n * sizeof(uint64_t));
	j.kind = JOB_HAM64;
	j.in = codes64;
	j.scratch = &q64;
	bench_kernel("hamming64_many", &j, n * sizeof(uint16_t), params, 0, (double)n);
	free(codes);
	free(codes64);
	free(dist);
}

/* Whole hashes per image: each dispatch level through the drivers, then dp_hash_image itself. */
static void bench_hash(const char *mode, const struct dp_image *im, unsigned kinds,
		       struct dp_hash_work *work)
{
	static const struct {
		const char *name;
		unsigned mask;
	} levels[] = {
		{ "scalar", 0 },
		{ "avx2", DP_CPU_AVX2 | DP_CPU_POPCNT | DP_CPU_SSE41 },
		{ "all", ~0u },
	};
	const char *bench = kinds == DP_HASH_ALL ? "hash_all" : "hash_default";
	size_t n = (size_t)im->w * (size_t)im->h;
	struct dp_hashes want;
	double scalar_ns = 0;
	struct job j;

	if (only && !strstr(bench, only) && !strstr("hash_image", only))
		return;
	memset(&j, 0, sizeof(j));
	j.im = im;
	j.kinds = kinds;
	j.work = work;
	j.luma = xmalloc(n * sizeof(float));
	j.tmp = xmalloc(n * sizeof(float));
	j.rs = xmalloc(dp_resize_area_floats(im->w, im->h, DP_ALIGN_SIDE, DP_ALIGN_SIDE) * sizeof(float));
	j.hs = dp_hash_scratch_new();
	if (!j.hs)
		exit(1);
	for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		struct dp_kernels k = compose(levels[l].mask);
		struct timing t;
		int ok;

		/* Skip a level that adds nothing to the previous one (e.g. avx2 on a CPU without it). */
		if (l > 0) {
			struct dp_kernels prev = compose(levels[l - 1].mask);

			if (memcmp(&prev.luma_rgb8, &k.luma_rgb8,
				   sizeof(k) - offsetof(struct dp_kernels, luma_rgb8)) == 0)
				continue;
		}
		j.kind = JOB_HASH;
		j.k = &k;
		run(&j);
		if (l == 0)
			want = j.hashes;
		ok = memcmp(&want, &j.hashes, sizeof(want)) == 0;
		failures += !ok;
		t = measure(&j);
		if (l == 0)
			scalar_ns = t.median_ns;
		printf("bench=%s impl=%s mode=%s w=%d h=%d channels=%d reps=%d median_ns=%.0f min_ns=%.0f "
		       "images_s=%.0f speedup=%.2f check=%s\n", bench,
		       levels[l].mask == ~0u ? dp_kernels_get()->name : levels[l].name, mode, im->w,
		       im->h, im->channels, reps, t.median_ns, t.min_ns, 1e9 / t.median_ns,
		       scalar_ns / t.median_ns, ok ? "ok" : "FAIL");
		fflush(stdout);
	}
	/* dp_hash_image: the real entry point (dispatched table, its own scratch). */
	{
		struct timing t;
		int ok;

		j.kind = JOB_HASH_IMAGE;
		run(&j);
		ok = memcmp(&want, &j.hashes, sizeof(want)) == 0;
		failures += !ok;
		t = measure(&j);
		printf("bench=hash_image kinds=%s impl=%s mode=%s w=%d h=%d channels=%d reps=%d median_ns=%.0f "
		       "min_ns=%.0f images_s=%.0f speedup=%.2f check=%s\n",
		       kinds == DP_HASH_ALL ? "pdq,phash,dhash,ahash" : "pdq,phash,dhash,thumb",
		       dp_kernels_get()->name, mode, im->w,
		       im->h, im->channels, reps, t.median_ns, t.min_ns, 1e9 / t.median_ns,
		       scalar_ns / t.median_ns, ok ? "ok" : "FAIL");
		fflush(stdout);
		if (kinds == DP_HASH_DEFAULT && !strcmp(mode, "fast"))
			hash_default_ns = t.median_ns;
	}
	free(j.luma);
	free(j.tmp);
	free(j.rs);
	dp_hash_scratch_free(j.hs);
}

/*
 * The thumbnail kernels of doppel cluster. The alignment check: one
 * candidate pair (a smooth textured thumbnail and a 5%-per-side crop of it,
 * both directions), set against hashing one image in fast mode with the
 * default hashes: the ratio says how many candidates per image cost as much
 * as the scan's hashing. The centre-crop codes of one thumbnail, with
 * whether the crop's frame code lands within the default reach of them.
 */
static void bench_align(void)
{
	enum { S = 320, C = 16 };
	float *img = xmalloc(S * S * sizeof(float)), *crop = xmalloc((S - 2 * C) * (S - 2 * C) * sizeof(float));
	float *scratch = xmalloc(dp_resize_area_floats(S, S, 64, 64) * sizeof(float)), small[DP_ALIGN_BYTES];
	uint8_t a[DP_ALIGN_BYTES], b[DP_ALIGN_BYTES];
	struct dp_align_work *w = xmalloc(sizeof(*w));
	struct dp_align_result res[2];
	double *ns = xmalloc((size_t)reps * sizeof(double)), med, scalar_ns = 0.0;
	int verdict = 0;

	if (only && !strstr("align_thumbs", only) && !strstr("crop_codes", only))
		goto out;
	for (int y = 0; y < S; y++)
		for (int x = 0; x < S; x++)
			img[y * S + x] = 128.0f + 50.0f * sinf(x * 0.05f + 0.7f * sinf(y * 0.031f)) +
					 30.0f * cosf(y * 0.043f - x * 0.017f) + (float)(rng_next() % 21) - 10.0f;
	for (int y = 0; y < S - 2 * C; y++)
		memcpy(crop + y * (S - 2 * C), img + (y + C) * S + C, (S - 2 * C) * sizeof(float));
	dp_resize_area_scalar(img, S, S, small, 64, 64, scratch);
	dp_align_to_bytes(small, a, NULL);
	dp_resize_area_scalar(crop, S - 2 * C, S - 2 * C, small, 64, 64, scratch);
	dp_align_to_bytes(small, b, NULL);
	/* The scalar table, then the selected one when its row kernel differs: the same results. */
	for (int t = 0; (!only || strstr("align_thumbs", only)) && t < 2; t++) {
		const struct dp_kernels *k = t ? dp_kernels_get() : dp_kernels_scalar();
		struct dp_align_result first[2];
		const struct dp_kernels *v;
		const char *impl = "?";

		if (t && k->align_row == dp_kernels_scalar()->align_row)
			break;
		for (size_t i = 0; (v = dp_kernels_variant(i, NULL)) != NULL; i++)
			if (v->align_row == k->align_row && !strcmp(impl, "?"))
				impl = v->name;
		if (t)
			memcpy(first, res, sizeof(first));
		for (int r = 0; r < reps; r++) {
			double t0 = bench_now_ns();

			dp_align_thumbs(k, a, b, w, res);
			ns[r] = bench_now_ns() - t0;
		}
		verdict = dp_align_verdict(res);
		med = bench_median(ns, reps);
		if (!t)
			scalar_ns = med;
		printf("bench=align_thumbs impl=%s reps=%d median_ns=%.0f pairs_s=%.0f speedup=%.2f "
		       "hash_default_fast_ns=%.0f pairs_per_hashed_image=%.2f verdict=%s%s\n", impl, reps,
		       med, 1e9 / med, med > 0 ? scalar_ns / med : 0.0, hash_default_ns,
		       med > 0 ? hash_default_ns / med : 0.0,
		       verdict == DP_ALIGN_COPY ? "copy" : verdict == DP_ALIGN_SCENE ? "scene" : "none",
		       t ? (memcmp(first, res, sizeof(first)) ? " check=DIFFERS" : " check=ok") : "");
		failures += verdict != DP_ALIGN_COPY || (t && memcmp(first, res, sizeof(first)));
	}
	if (!only || strstr("crop_codes", only)) {
		uint64_t ca[DP_CROP_CODES], cb[DP_CROP_CODES];
		unsigned d = 64;

		for (int r = 0; r < reps; r++) {
			double t0 = bench_now_ns();

			dp_crop_codes(a, ca);
			ns[r] = bench_now_ns() - t0;
		}
		dp_crop_codes(b, cb);
		for (int c = 0; c < DP_CROP_CODES; c++)
			d = dp_hamming64(cb[0], ca[c]) < d ? dp_hamming64(cb[0], ca[c]) : d;
		med = bench_median(ns, reps);
		printf("bench=crop_codes impl=scalar reps=%d median_ns=%.0f thumbs_s=%.0f "
		       "crop_frame_distance=%u\n", reps, med, 1e9 / med, d);
	}
	fflush(stdout);
out:
	free(img);
	free(crop);
	free(scratch);
	free(w);
	free(ns);
}

/* ------------------------------------------------------------------ */
/* Context                                                             */

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon) {
			colon++;
			colon += strspn(colon, " \t");
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	fclose(f);
}

static void print_context(void)
{
	static const struct {
		const char *name;
		enum job_kind kind;
	} kernels[] = {
		{ "luma_rgb8", JOB_LUMA }, { "box_rows", JOB_BOX_ROWS }, { "box_cols", JOB_BOX_COLS },
		{ "resize_area", JOB_RESIZE }, { "dct64to16", JOB_DCT64 }, { "dct32to8", JOB_DCT32 },
		{ "hamming256_many", JOB_HAM256 }, { "hamming64_many", JOB_HAM64 },
	};
	const char *env = getenv("DP_DISABLE_CPU_FEATURES");
	char cpu[256];

	cpu_model(cpu, sizeof(cpu));
	printf("bench=context cpu=\"%s\" compiler=\"%s\" kernel_cflags=\"%s\" version=%s git=%s "
	       "features=0x%x detected=0x%x disable=\"%s\" threads=1 selected=%s kernels=", cpu,
#if defined(__clang__)
	       "clang " __clang_version__,
#elif defined(__GNUC__)
	       "gcc " __VERSION__,
#else
	       "unknown",
#endif
	       DP_BUILD_FLAGS, DP_VERSION, DP_GIT_REV, dp_cpu_features(), dp_cpu_detect(),
	       env ? env : "", dp_kernels_get()->name);
	for (size_t i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++)
		printf("%s%s:%s", i ? "," : "", kernels[i].name, selected_impl(kernels[i].kind));
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct dp_hash_work *work = xmalloc(sizeof(*work));
	struct dp_image fast = { 0 }, exact = { 0 };

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-k") && i + 1 < argc) {
			only = argv[++i];
		} else {
			fprintf(stderr, "usage: bench_kernels [-r REPS] [-k NAME]\n");
			return 2;
		}
	}
	if (reps < 1)
		reps = 1;
	dp_kernels_init();
	dp_hash_work_init(work);
	print_context();

	fill_image(&fast, 500, 375, 1);    /* fast mode: shrink-on-load size, grey */
	fast.ax = (struct dp_pdq_axis){ 4000, 8.0, 0.0 };  /* ... of a 12 MP JPEG at 1/8 */
	fast.ay = (struct dp_pdq_axis){ 3000, 8.0, 0.0 };
	fill_image(&exact, 512, 512, 3);   /* exact mode: RGB */
	bench_image_kernels("fast", &fast);
	bench_image_kernels("exact", &exact);
	bench_dct(work);
	bench_hamming(1000000);
	bench_hamming(16384);              /* cache-resident: compute bound */
	bench_hash("fast", &fast, DP_HASH_DEFAULT, work);
	bench_hash("fast", &fast, DP_HASH_ALL, work);
	bench_hash("exact", &exact, DP_HASH_DEFAULT, work);
	bench_hash("exact", &exact, DP_HASH_ALL, work);
	bench_align();

	dp_image_release(&fast);
	dp_image_release(&exact);
	free(work);
	if (failures)
		fprintf(stderr, "bench_kernels: %d implementation(s) disagree with the scalar reference\n",
			failures);
	return failures ? 1 : 0;
}
