/* kernels/dispatch.c - CPU feature detection and once-only selection of the kernel variants.
 *
 * Variants are listed best first, each with every CPU feature its code
 * uses (the AVX-512 ones also list AVX2, so disabling avx2 disables them
 * too); the scalar reference (needs nothing, implements everything) is
 * last. For every kernel the selected table takes the first usable variant
 * that implements it (a variant table leaves the others NULL), the
 * libdeflate way: one decision at start-up, then plain indirect calls with
 * no feature tests in hot code. Features come from dp_cpu_detect()
 * (cpu_x86.c: CPUID + the OS's XCR0 state).
 *
 * DP_DISABLE_CPU_FEATURES (comma-separated: sse4.1, popcnt, avx2, avx512,
 * avx512vpopcntdq, neon, or all) masks features before selection, so tests
 * can force every path on one machine; masking a feature masks its
 * extensions too (avx2 -> avx512 -> avx512vpopcntdq). Selection runs once
 * under call_once; the table is read-only afterwards, so threads may read
 * it freely. Its name lists the variants that supplied at least one entry,
 * best first ("avx512+avx2").
 *
 * What each variant implements is decided by measurement
 * (bench/bench_kernels.c), not by ISA: AVX-512 box filters were written,
 * measured no faster than AVX2 on Zen 5, and removed, so the avx512 table
 * holds only the Hamming kernels (VPOPCNTQ: 4x AVX2 when cache-resident).
 *
 * The x86 variants exist only when DP_KERNELS_X86 (kernels.h); a build
 * with -DDP_NO_SIMD, or for another architecture, has the scalar table
 * alone.
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
	.align_row = dp_align_row_scalar,
};

struct dp_variant {
	unsigned needs;                 /* enum dp_cpu_feature bits */
	const struct dp_kernels *table;
};

#if DP_KERNELS_X86
static const struct dp_kernels avx512_table = {
	.name = "avx512",
	.hamming256_many = dp_hamming256_many_avx512,
	.hamming64_many = dp_hamming64_many_avx512,
};

static const struct dp_kernels avx2_table = {
	.name = "avx2",
	.luma_rgb8 = dp_luma_rgb8_avx2,
	.box_rows = dp_box_rows_avx2,
	.box_cols = dp_box_cols_avx2,
	.resize_area = dp_resize_area_avx2,
	.dct64to16 = dp_dct64to16_avx2,
	.dct32to8 = dp_dct32to8_avx2,
	.hamming256_many = dp_hamming256_many_avx2,
	.hamming64_many = dp_hamming64_many_avx2,
	.align_row = dp_align_row_avx2,
};
#endif

/* Best first; the scalar reference must stay last. */
static const struct dp_variant variants[] = {
#if DP_KERNELS_X86
	{ DP_CPU_AVX512VPOPCNTDQ | DP_CPU_AVX512 | DP_CPU_AVX2, &avx512_table },
	{ DP_CPU_AVX2, &avx2_table },
#endif
	{ 0, &scalar_table },
};

#define DP_NVARIANTS (sizeof(variants) / sizeof(variants[0]))

static const struct {
	const char *name;
	unsigned bit;
} feature_names[] = {
	{ "sse4.1", DP_CPU_SSE41 },
	{ "popcnt", DP_CPU_POPCNT },
	{ "avx2", DP_CPU_AVX2 },
	{ "avx512", DP_CPU_AVX512 },
	{ "avx512vpopcntdq", DP_CPU_AVX512VPOPCNTDQ },
	{ "neon", DP_CPU_NEON },
	{ "all", ~0u },
};

/*
 * Features that extend others: one whose base is missing or masked is
 * dropped too, so "avx2" also masks AVX-512 (in this order, transitively).
 */
static const struct {
	unsigned feature, base;
} extensions[] = {
	{ DP_CPU_AVX512, DP_CPU_AVX2 },
	{ DP_CPU_AVX512VPOPCNTDQ, DP_CPU_AVX512 },
};

/* The only mutable globals of kernels/: written once inside select_once(). */
static struct dp_kernels selected;
static unsigned features;
static char selected_name[64];
static dp_once_t once = DP_ONCE_INIT;

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
	if (src->align_row)
		dst->align_row = src->align_row;
}

/* Whether t supplied at least one entry of sel. */
static int supplies(const struct dp_kernels *sel, const struct dp_kernels *t)
{
	return (t->luma_rgb8 && t->luma_rgb8 == sel->luma_rgb8) ||
	       (t->box_rows && t->box_rows == sel->box_rows) ||
	       (t->box_cols && t->box_cols == sel->box_cols) ||
	       (t->resize_area && t->resize_area == sel->resize_area) ||
	       (t->dct64to16 && t->dct64to16 == sel->dct64to16) ||
	       (t->dct32to8 && t->dct32to8 == sel->dct32to8) ||
	       (t->hamming256_many && t->hamming256_many == sel->hamming256_many) ||
	       (t->hamming64_many && t->hamming64_many == sel->hamming64_many) ||
	       (t->align_row && t->align_row == sel->align_row);
}

/* selected_name = names of the variants in use, best first, '+'-joined, no repeats. */
static void name_selection(void)
{
	const char *prev = NULL;
	size_t len = 0;

	selected_name[0] = '\0';
	for (size_t i = 0; i < DP_NVARIANTS; i++) {
		const char *name = variants[i].table->name;
		size_t n = strlen(name);

		if (!supplies(&selected, variants[i].table))
			continue;
		if (prev && strcmp(prev, name) == 0)
			continue;   /* same-named tables are adjacent in the list */
		if (len + n + 2 > sizeof(selected_name))
			break;
		if (len)
			selected_name[len++] = '+';
		memcpy(selected_name + len, name, n + 1);
		len += n;
		prev = name;
	}
	selected.name = selected_name;
}

static void select_once(void)
{
	features = dp_cpu_detect() & ~parse_disabled(getenv("DP_DISABLE_CPU_FEATURES"));
	for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++)
		if (!(features & extensions[i].base))
			features &= ~extensions[i].feature;
	/* Worst to best, so the best usable variant of each entry wins. */
	selected = scalar_table;
	for (size_t i = DP_NVARIANTS; i-- > 0;)
		if ((variants[i].needs & ~features) == 0)
			overlay(&selected, variants[i].table);
	name_selection();
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

const struct dp_kernels *dp_kernels_variant(size_t i, unsigned *needs)
{
	if (i >= DP_NVARIANTS)
		return NULL;
	if (needs)
		*needs = variants[i].needs;
	return variants[i].table;
}

unsigned dp_cpu_features(void)
{
	dp_kernels_init();
	return features;
}
