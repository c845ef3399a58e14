/* bench/decode_only.c - the decode limit: libjpeg-turbo scaled decode alone.
 *
 * Reads each JPEG (from the page cache, like the scan) and decodes it with
 * the TurboJPEG API at the DCT scale doppel's fast mode picks
 * (dp_decode_scale_denom), to 8-bit grey, on the same number of OpenMP
 * threads. Nothing else: no digest, no hashing, no output. This is the
 * yardstick bench/bench_scan.py compares `doppel scan` with, in the same run
 * on the same files.
 *
 * usage: decode_only [-j N] [-r REPS] [--rgb] FILE...   (or a list on stdin with -)
 * prints one line per repetition and a median line:
 *   bench=decode_only impl=turbojpeg-gray threads=2 files=1000 bytes=... rep=1 seconds=... images_s=... mb_s=...
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchutil.h"
#include <turbojpeg.h>

#include "decode.h"

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* Decode one file; returns bytes read, 0 on failure. */
static size_t decode_one(tjhandle tj, const char *path, int rgb, unsigned char **pix, size_t *cap)
{
	size_t len = 0, need;
	unsigned char *buf = slurp(path, &len);
	int w, h, sub, cs, d, sw, sh;
	tjscalingfactor sf;

	if (!buf)
		return 0;
	if (tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &sub, &cs) != 0) {
		free(buf);
		return 0;
	}
	d = dp_decode_scale_denom(w, h, DP_DECODE_MIN_SIDE);
	sf.num = 1;
	sf.denom = d;
	sw = TJSCALED(w, sf);
	sh = TJSCALED(h, sf);
	need = (size_t)sw * sh * (rgb ? 3 : 1);
	if (need > *cap) {
		free(*pix);
		*pix = malloc(need);
		*cap = *pix ? need : 0;
	}
	if (!*pix || tjDecompress2(tj, buf, (unsigned long)len, *pix, sw, 0, sh,
				   rgb ? TJPF_RGB : TJPF_GRAY, 0) != 0)
		len = 0;
	free(buf);
	return len;
}

static int read_list(FILE *in, char ***files, int *n)
{
	char line[4096];
	int cap = 0;

	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 1024;
			*files = realloc(*files, (size_t)cap * sizeof(**files));
			if (!*files)
				return -1;
		}
		(*files)[(*n)++] = strdup(line);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int threads = omp_get_max_threads(), reps = 3, rgb = 0, n = 0, failed = 0;
	char **files = NULL;
	double *secs;
	uint64_t bytes = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-j") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--rgb"))
			rgb = 1;
		else if (!strcmp(argv[i], "-")) {
			if (read_list(stdin, &files, &n))
				return 1;
		} else {
			files = realloc(files, (size_t)(n + 1) * sizeof(*files));
			files[n++] = argv[i];
		}
	}
	if (n == 0 || threads < 1 || reps < 1) {
		fprintf(stderr, "usage: decode_only [-j N] [-r REPS] [--rgb] FILE... | -\n");
		return 2;
	}
	secs = calloc((size_t)reps, sizeof(*secs));
	for (int r = 0; r < reps; r++) {
		double t0 = bench_now_s();
		uint64_t b = 0;
		int bad = 0;

		#pragma omp parallel num_threads(threads) reduction(+:b, bad)
		{
			tjhandle tj = tjInitDecompress();
			unsigned char *pix = NULL;
			size_t cap = 0;

			#pragma omp for schedule(dynamic, 1)
			for (int i = 0; i < n; i++) {
				size_t got = decode_one(tj, files[i], rgb, &pix, &cap);

				b += got;
				bad += got == 0;
			}
			free(pix);
			tjDestroy(tj);
		}
		secs[r] = bench_now_s() - t0;
		bytes = b;
		failed = bad;
		printf("bench=decode_only impl=turbojpeg-%s threads=%d files=%d failed=%d bytes=%llu "
		       "rep=%d seconds=%.3f images_s=%.1f mb_s=%.1f\n", rgb ? "rgb" : "gray", threads,
		       n, failed, (unsigned long long)bytes, r + 1, secs[r], n / secs[r],
		       (double)bytes / 1e6 / secs[r]);
	}
	qsort(secs, (size_t)reps, sizeof(*secs), bench_cmp_double);
	printf("bench=decode_only impl=turbojpeg-%s threads=%d files=%d failed=%d bytes=%llu "
	       "reps=%d median_seconds=%.3f images_s=%.1f mb_s=%.1f\n", rgb ? "rgb" : "gray",
	       threads, n, failed, (unsigned long long)bytes, reps, secs[reps / 2],
	       n / secs[reps / 2], (double)bytes / 1e6 / secs[reps / 2]);
	free(secs);
	return failed ? 1 : 0;
}
