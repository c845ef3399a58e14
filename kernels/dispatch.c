/* kernels/dispatch.c - CPU feature detection and once-only selection of the kernel variants.
 *
 * Variants are listed best first, each with the CPU features it needs; the
 * scalar reference (needs nothing, implements everything) is last. For
 * every kernel the selected table takes the first usable variant that
 * implements it (a variant table may leave entries NULL), the libdeflate
 * way: one decision at start-up, then plain indirect calls with no feature
 * tests in hot code.
 *
 * DP_DISABLE_CPU_FEATURES (comma-separated: sse4.1, popcnt, avx2, avx512,
 * neon, or all) masks features before selection, so tests can force every
 * path on one machine. Selection runs once under call_once; the table is
 * read-only afterwards, so threads may read it freely.
 *
 * Only the scalar variant exists so far; SIMD tables are added to
 * `variants` as kernels/<kernel>_<isa>.c files appear.
 *
 * SPDX-License-Identifier: MIT
 */
#include "kernels.h"

#include <stdlib.h>
#include <string.h>

#ifdef __STDC_NO_THREADS__
#include <pthread.h>
typedef pthread_once_t dp_once_t;
#define DP_ONCE_INIT PTHREAD_ONCE_INIT
#define dp_call_once(flag, fn) pthread_once((flag), (fn))
#else
#include <threads.h>
typedef once_flag dp_once_t;
#define DP_ONCE_INIT ONCE_FLAG_INIT
#define dp_call_once(flag, fn) call_once((flag), (fn))
#endif

static const struct dp_kernels scalar_table = {
	.name = "scalar",
	.luma_rgb8 = dp_luma_rgb8_scalar,
	.box_rows = dp_box_rows_scalar,
	.box_cols = dp_box_cols_scalar,
	.resize_area = dp_resize_area_scalar,
	.dct64to16 = dp_dct64to16_scalar,
	.dct32to8 = dp_dct32to8_scalar,
	.hamming256_many = dp_hamming256_many_scalar,
	.hamming64_many = dp_hamming64_many_scalar,
};

struct dp_variant {
	unsigned needs;                 /* enum dp_cpu_feature bits */
	const struct dp_kernels *table;
};

/* Best first; the scalar reference must stay last. */
static const struct dp_variant variants[] = {
	{ 0, &scalar_table },
};

static const struct {
	const char *name;
	unsigned bit;
} feature_names[] = {
	{ "sse4.1", DP_CPU_SSE41 },
	{ "popcnt", DP_CPU_POPCNT },
	{ "avx2", DP_CPU_AVX2 },
	{ "avx512", DP_CPU_AVX512 },
	{ "neon", DP_CPU_NEON },
	{ "all", ~0u },
};

/* The only mutable globals of kernels/: written once inside select_once(). */
static struct dp_kernels selected;
static unsigned features;
static dp_once_t once = DP_ONCE_INIT;

static unsigned detect_features(void)
{
	unsigned f = 0;

#if defined(__x86_64__) || defined(__i386__)
	/* libgcc / compiler-rt also check that the OS saves the YMM/ZMM state. */
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.1"))
		f |= DP_CPU_SSE41;
	if (__builtin_cpu_supports("popcnt"))
		f |= DP_CPU_POPCNT;
	if (__builtin_cpu_supports("avx2"))
		f |= DP_CPU_AVX2;
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl"))
		f |= DP_CPU_AVX512;
#elif defined(__aarch64__)
	f |= DP_CPU_NEON;   /* Advanced SIMD is mandatory in AArch64 */
#endif
	return f;
}

/* Case-insensitive equality of the n bytes at s with the NUL-terminated name. */
static int token_is(const char *s, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n && name[i]; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != name[i])
			return 0;
	}
	return i == n && name[i] == '\0';
}

/* Feature bits named in a comma-separated list; unknown names are ignored. */
static unsigned parse_disabled(const char *list)
{
	unsigned mask = 0;

	while (list && *list) {
		size_t n;

		while (*list == ',' || *list == ' ')
			list++;
		n = strcspn(list, ", ");
		for (size_t i = 0; n && i < sizeof(feature_names) / sizeof(feature_names[0]); i++)
			if (token_is(list, n, feature_names[i].name))
				mask |= feature_names[i].bit;
		list += n;
	}
	return mask;
}

/* Copy the entries src implements over dst. */
static void overlay(struct dp_kernels *dst, const struct dp_kernels *src)
{
	dst->name = src->name;
	if (src->luma_rgb8)
		dst->luma_rgb8 = src->luma_rgb8;
	if (src->box_rows)
		dst->box_rows = src->box_rows;
	if (src->box_cols)
		dst->box_cols = src->box_cols;
	if (src->resize_area)
		dst->resize_area = src->resize_area;
	if (src->dct64to16)
		dst->dct64to16 = src->dct64to16;
	if (src->dct32to8)
		dst->dct32to8 = src->dct32to8;
	if (src->hamming256_many)
		dst->hamming256_many = src->hamming256_many;
	if (src->hamming64_many)
		dst->hamming64_many = src->hamming64_many;
}

static void select_once(void)
{
	size_t n = sizeof(variants) / sizeof(variants[0]);

	features = detect_features() & ~parse_disabled(getenv("DP_DISABLE_CPU_FEATURES"));
	/* Worst to best, so the best usable variant of each entry wins. */
	selected = scalar_table;
	for (size_t i = n; i-- > 0;)
		if ((variants[i].needs & ~features) == 0)
			overlay(&selected, variants[i].table);
}

void dp_kernels_init(void)
{
	dp_call_once(&once, select_once);
}

const struct dp_kernels *dp_kernels_get(void)
{
	dp_kernels_init();
	return &selected;
}

const struct dp_kernels *dp_kernels_scalar(void)
{
	return &scalar_table;
}

unsigned dp_cpu_features(void)
{
	dp_kernels_init();
	return features;
}
