/* src/cli_merge.c - `doppel merge`: shard files of one scan -> the file a single scan writes.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli.h"
#include "merge.h"

const char dp_cli_usage_merge[] =
	"usage: doppel merge PART.h5... -o OUT.h5 [-f] [-q]\n"
	"\n"
	"Join the results of `doppel scan --shard K/N` (one per Slurm array task, in\n"
	"any order) into OUT.h5, whose datasets equal those of one scan of all the\n"
	"files. Refuses parts that are not exactly shards 1..N of one scan (other\n"
	"inputs, options or doppel version, a shard missing or given twice). The\n"
	"parts are only read; OUT.h5 appears only when complete.\n"
	"\n"
	"options:\n"
	"  -o, --output FILE        result file (required)\n"
	"  -f, --force              replace OUT if it exists\n"
	"  -q, --quiet              no summary\n"
	"\n"
	"exit status: 0 merged, 1 a part is unreadable or damaged or OUT cannot be\n"
	"written, 2 wrong arguments or parts that do not belong together.\n";

int dp_cli_merge(int argc, char **argv, const char *command)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	int force = 0, quiet = 0, ch;
	struct dp_err err;
	struct stat st;

	dp_err_clear(&err);
	while ((ch = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(dp_cli_usage_merge, stdout); return EXIT_OK;
		default: return dp_cli_usage_error("merge: see 'doppel help merge'");
		}
	}
	if (!out)
		return dp_cli_usage_error("merge: no output file: add -o OUT.h5");
	if (optind >= argc)
		return dp_cli_usage_error("merge: give the shard files (doppel scan --shard K/N)");
	if (stat(out, &st) == 0 && (S_ISDIR(st.st_mode) || !force))
		return dp_cli_usage_error("merge: output %s exists: %s", out,
					  S_ISDIR(st.st_mode) ? "give a file name" : "use --force to replace it");
	if (dp_merge((const char *const *)argv + optind, (size_t)(argc - optind), out, command, &err))
		return err.code == DP_E_ARG ? dp_cli_usage_error("%s", err.msg) : dp_cli_fail(&err);
	if (!quiet)
		fprintf(stderr, "doppel: %d shards merged -> %s\n", argc - optind, out);
	return EXIT_OK;
}
