/* src/cli_report.c - `doppel report`: the HTML contact-sheet report of a clustering.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "clusters_h5.h"
#include "pipeline.h"
#include "report.h"

const char dp_cli_usage_report[] =
	"usage: doppel report FILE.h5 -o DIR [--name NAME] [--no-blur] [--page-size N]\n"
	"       [-j N] [-q]\n"
	"\n"
	"Write a static HTML report of a clustering into DIR: index pages with the\n"
	"counts and the largest groups first (paged), one page per group of two or\n"
	"more files with a thumbnail and the path, size, pixels, format, capture\n"
	"time, SHA-256 and distance to the keeper of every file (scene groups show\n"
	"their shot groups), and the files that could not be read or decoded.\n"
	"Open DIR/index.html in a browser: no server, no network, no script.\n"
	"Thumbnails (at most 256 px, made with libvips from the files, which are\n"
	"only read, and only when their SHA-256 still matches the scan) are kept in\n"
	"DIR/thumbs and reused by later reports. They are blurred until clicked.\n"
	"\n"
	"options:\n"
	"  -o, --output DIR         report folder (created; earlier pages replaced)\n"
	"      --name NAME          the clustering to show (default: shot)\n"
	"      --no-blur            show the pictures unblurred\n"
	"      --page-size N        groups per index page (default 50; error pages\n"
	"                           list 10 x N files)\n"
	"  -j, --threads N          thumbnail threads (default: all cores)\n"
	"  -q, --quiet              no summary\n"
	"\n"
	"exit status: 0 written, 1 FILE.h5 or the clustering is missing or damaged,\n"
	"or DIR cannot be written, 2 wrong arguments.\n";

int dp_cli_report(int argc, char **argv)
{
	enum { O_NAME = 256, O_NO_BLUR, O_PAGE };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, O_NAME },
		{ "no-blur", no_argument, NULL, O_NO_BLUR },
		{ "page-size", required_argument, NULL, O_PAGE },
		{ "threads", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dp_report_opts o;
	struct dp_report_stats st;
	struct dp_err err;
	struct timespec t0, t1;
	const char *dir = NULL;
	int quiet = 0, ch;

	dp_report_opts_default(&o);
	dp_err_clear(&err);
	while ((ch = getopt_long(argc, argv, "o:j:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': dir = optarg; break;
		case O_NAME:
			if (!dp_cluster_name_ok(optarg))
				return dp_cli_usage_error("report: --name wants a clustering name, not '%s'", optarg);
			o.name = optarg;
			break;
		case O_NO_BLUR: o.blur = 0; break;
		case O_PAGE: {
			int n;

			if (dp_cli_parse_int(optarg, 1, 100000, &n))
				return dp_cli_usage_error("report: --page-size wants 1..100000, not '%s'", optarg);
			o.groups_per_page = (size_t)n;
			o.rows_per_page = 10 * (size_t)n;
			break;
		}
		case 'j':
			if (dp_cli_parse_int(optarg, 1, 4096, &o.threads))
				return dp_cli_usage_error("report: -j wants 1..4096, not '%s'", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(dp_cli_usage_report, stdout); return EXIT_OK;
		default: return dp_cli_usage_error("report: see 'doppel help report'");
		}
	}
	if (!dir)
		return dp_cli_usage_error("report: no output folder: add -o DIR");
	if (optind != argc - 1)
		return dp_cli_usage_error("report: give exactly one result file (doppel report FILE.h5 -o DIR)");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (dp_report_write(argv[optind], dir, &o, dp_pipeline_thumbs, &st, &err))
		return dp_cli_fail(&err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!quiet) {
		fprintf(stderr, "doppel: report of %zu files: %zu groups of two or more (%zu files), "
			"%zu errors, %zu pages, thumbnails %zu new + %zu kept", st.files, st.groups,
			st.group_files, st.errors, st.pages, st.thumbs_made, st.thumbs_kept);
		if (st.thumbs_changed || st.thumbs_failed)
			fprintf(stderr, ", %zu changed since the scan, %zu failed", st.thumbs_changed,
				st.thumbs_failed);
		fprintf(stderr, " in %.1f s -> %s/index.html\n",
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9, dir);
	}
	return EXIT_OK;
}
