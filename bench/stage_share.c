/* bench/stage_share.c - where one scan worker's time goes: read + SHA-256, decode, hash.
 *
 * Runs the scan's own per-file stages (dp_reader_read, dp_decode,
 * dp_hash_image, with the scan's default options) on one thread over the
 * given files, times each stage per file, and prints the share of the
 * total spent in hashing, the figure the kernels must keep small (target
 * <= 5% on 2-5 MP JPEGs). Each repetition runs over all files; the first
 * pass only warms the page cache and the buffers. Medians over repetitions.
 *
 * usage: stage_share [-r REPS] [--hashes LIST] [--exact] FILE...  (or "-" to read paths from stdin)
 * output:
 *   bench=stage_share_context files=... bytes=... hashes=pdq,phash,dhash mode=fast
 *   bench=stage_share rep=1 read_sha_ms=... decode_ms=... hash_ms=... total_ms=... hash_share=0.021
 *   bench=stage_share_summary reps=5 median_read_sha_ms=... median_decode_ms=...
 *         median_hash_ms=... median_hash_share=0.021 hash_us_per_image=... target=0.05 pass=yes
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"

#include "decode.h"
#include "err.h"
#include "hash.h"
#include "image.h"
#include "kernels.h"
#include "readfile.h"
#include "scanfile.h"

struct totals {
	double read_ns, decode_ns, hash_ns;
	long ok, failed;
	unsigned long long bytes;
};

/* Paths from argv, or one per line from stdin for "-". */
static char **read_paths(int argc, char **argv, int first, int *n)
{
	char **out = NULL, *line = NULL;
	size_t cap = 0, lcap = 0;
	ssize_t len;

	*n = 0;
	if (first < argc && strcmp(argv[first], "-") != 0) {
		*n = argc - first;
		return argv + first;
	}
	while ((len = getline(&line, &lcap, stdin)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((size_t)*n == cap) {
			char **p = realloc(out, (cap = cap ? 2 * cap : 1024) * sizeof(*out));

			if (!p)
				break;
			out = p;
		}
		out[(*n)++] = strdup(line);
	}
	free(line);
	return out;
}

static void one_pass(char **paths, int n, const struct dp_scan_opts *o, struct dp_reader *rd,
		     struct dp_decoder *dec, struct dp_image *im, struct dp_hash_scratch *hs,
		     struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < n; i++) {
		struct dp_file_data fd;
		struct dp_decode_info info;
		struct dp_hashes h;
		struct dp_err err;
		int st;
		double t0 = bench_now_ns(), t1, t2;

		dp_err_clear(&err);
		if (dp_reader_read(rd, paths[i], o->max_file_size, &fd, &st, &err) != 0) {
			t->failed++;
			continue;
		}
		t1 = bench_now_ns();
		t->read_ns += t1 - t0;
		t->bytes += fd.size;
		if (dp_decode(dec, fd.data, fd.len, &o->decode, im, &info, &err) != 0) {
			t->decode_ns += bench_now_ns() - t1;
			t->failed++;
			continue;
		}
		t2 = bench_now_ns();
		t->decode_ns += t2 - t1;
		if (dp_hash_image(im, o->hashes, hs, &h, &err) != 0) {
			t->failed++;
			continue;
		}
		t->hash_ns += bench_now_ns() - t2;
		t->ok++;
	}
}

int main(int argc, char **argv)
{
	struct dp_scan_opts o;
	struct dp_image im = { 0 };
	struct dp_reader *rd = dp_reader_new();
	struct dp_decoder *dec = dp_decoder_new();
	struct dp_hash_scratch *hs = dp_hash_scratch_new();
	const char *hashes = "pdq,phash,dhash";
	double *rs, *ds, *hsh, *share;
	struct totals t;
	struct dp_err err;
	char **paths;
	int reps = 5, first = 1, n;

	dp_scan_opts_default(&o);
	while (first < argc && argv[first][0] == '-' && argv[first][1]) {
		if (strcmp(argv[first], "-r") == 0 && first + 1 < argc)
			reps = atoi(argv[++first]);
		else if (strcmp(argv[first], "--hashes") == 0 && first + 1 < argc)
			hashes = argv[++first];
		else if (strcmp(argv[first], "--exact") == 0)
			o.decode.exact = 1;
		else
			break;
		first++;
	}
	dp_err_clear(&err);
	if (reps < 1 || first >= argc || dp_hash_parse_list(hashes, &o.hashes, &err)) {
		fprintf(stderr, "usage: stage_share [-r REPS] [--hashes LIST] [--exact] FILE... | -\n%s\n",
			err.msg);
		return 2;
	}
	if (!rd || !dec || !hs) {
		fprintf(stderr, "stage_share: out of memory\n");
		return 1;
	}
	dp_kernels_init();
	paths = read_paths(argc, argv, first, &n);
	if (n == 0) {
		fprintf(stderr, "stage_share: no files\n");
		return 2;
	}
	rs = calloc((size_t)reps * 4, sizeof(double));
	if (!rs)
		return 1;
	ds = rs + reps;
	hsh = ds + reps;
	share = hsh + reps;
	one_pass(paths, n, &o, rd, dec, &im, hs, &t);   /* warm-up */
	printf("bench=stage_share_context files=%d hashed=%ld failed=%ld bytes=%llu hashes=%s mode=%s "
	       "kernels=%s threads=1\n", n, t.ok, t.failed, t.bytes, hashes,
	       o.decode.exact ? "exact" : "fast", dp_kernels_get()->name);
	for (int r = 0; r < reps; r++) {
		double total;

		one_pass(paths, n, &o, rd, dec, &im, hs, &t);
		total = t.read_ns + t.decode_ns + t.hash_ns;
		rs[r] = t.read_ns / 1e6;
		ds[r] = t.decode_ns / 1e6;
		hsh[r] = t.hash_ns / 1e6;
		share[r] = total > 0 ? t.hash_ns / total : 0;
		printf("bench=stage_share rep=%d read_sha_ms=%.1f decode_ms=%.1f hash_ms=%.1f "
		       "total_ms=%.1f hash_share=%.4f\n", r + 1, rs[r], ds[r], hsh[r], total / 1e6,
		       share[r]);
		fflush(stdout);
	}
	{
		double mh = bench_median(hsh, reps), msh = bench_median(share, reps);

		printf("bench=stage_share_summary reps=%d median_read_sha_ms=%.1f median_decode_ms=%.1f "
		       "median_hash_ms=%.1f median_hash_share=%.4f hash_us_per_image=%.1f target=0.05 "
		       "pass=%s\n", reps, bench_median(rs, reps), bench_median(ds, reps), mh, msh,
		       t.ok ? mh * 1e3 / (double)t.ok : 0.0, msh <= 0.05 ? "yes" : "no");
	}
	free(rs);
	dp_image_release(&im);
	dp_hash_scratch_free(hs);
	dp_decoder_free(dec);
	dp_reader_free(rd);
	dp_decode_shutdown();
	return 0;
}
