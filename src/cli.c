/* src/cli.c - the doppel command: argument parsing, progress, messages, exit codes.
 *
 * The only file that prints to the terminal or exits. Commands:
 *   scan PATH... -o OUT.h5   walk, read, decode, hash, write HDF5
 *   info FILE.h5             summarise a result file
 * Exit codes: 0 success (unreadable or undecodable inputs are rows, not
 * failures), 1 runtime failure (output cannot be written, damaged result
 * file), 2 usage error, 130 interrupted (SIGINT/SIGTERM; nothing is left
 * under the output name).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>
#include <openssl/crypto.h>
#include <vips/vips.h>

#include "decode.h"
#include "hash.h"
#include "kernels.h"
#include "pipeline.h"
#include "progress.h"
#include "status.h"
#include "store_h5.h"
#include "walk.h"

#ifndef DP_VERSION
#define DP_VERSION "0.0.0"
#endif
#ifndef DP_GIT_REV
#define DP_GIT_REV "unknown"
#endif

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static const char usage_main[] =
	"usage: doppel COMMAND [OPTIONS] ...\n"
	"\n"
	"Find duplicate and near-duplicate photos in large image collections.\n"
	"\n"
	"commands:\n"
	"  scan PATH... -o OUT.h5   hash every file under PATH into an HDF5 table\n"
	"  info FILE.h5             summarise a result file\n"
	"  help [COMMAND]           show help\n"
	"  version                  show version and library versions\n"
	"\n"
	"Run 'doppel help scan' for the options of a command.\n";

static const char usage_scan[] =
	"usage: doppel scan PATH... -o OUT.h5 [OPTIONS]\n"
	"\n"
	"Walk files and folders (recursively, sorted by path bytes), read each file\n"
	"once (SHA-256, size, mtime), decode images (JPEG with libjpeg-turbo DCT\n"
	"scaling, other formats with libvips) and compute perceptual hashes. Every\n"
	"file becomes one row; files that cannot be read or decoded get a status and\n"
	"a message. Inputs are opened read-only and never modified. OUT.h5 appears\n"
	"only when complete (written as OUT.h5.tmp-PID, then renamed).\n"
	"\n"
	"options:\n"
	"  -o, --output FILE      result file (required)\n"
	"  -j, --threads N        worker threads (default: all cores)\n"
	"      --hashes LIST      comma list of pdq,phash,dhash,ahash or 'all'\n"
	"                         (default: pdq,phash)\n"
	"      --no-orient        hash stored pixels; ignore EXIF orientation\n"
	"      --exact            decode at full resolution in RGB (as the PDQ\n"
	"                         reference does); slower\n"
	"      --min-side N       fast mode: keep at least N pixels on the shorter\n"
	"                         side when shrinking on load (default 256)\n"
	"      --follow-symlinks  follow symbolic links inside folders (loops are\n"
	"                         detected); by default they are listed, not followed\n"
	"      --max-pixels N     refuse images with more pixels (default 250000000)\n"
	"      --max-file-size N  decode files up to N bytes (K, M, G suffixes;\n"
	"                         default 512M); larger files get a digest only\n"
	"  -f, --force            replace OUT if it exists\n"
	"  -q, --quiet            no progress line and no summary\n"
	"  -h, --help             this help\n"
	"\n"
	"exit status: 0 done (bad input files are rows with a status), 1 the output\n"
	"could not be written, 2 wrong arguments, 130 interrupted.\n";

static const char usage_info[] =
	"usage: doppel info FILE.h5\n"
	"\n"
	"Check that FILE.h5 is a complete doppel result and summarise it: provenance\n"
	"(tool, command, host, times, roots), rows per status and format, exact\n"
	"duplicates (same SHA-256) and capture metadata. Never modifies the file.\n"
	"exit status: 0 ok, 1 missing, foreign or damaged file, 2 wrong arguments.\n";

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "doppel: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return EXIT_USAGE;
}

static int fail(const struct dp_err *err)
{
	fprintf(stderr, "doppel: %s\n", err->msg);
	return err->code == DP_E_ARG ? EXIT_USAGE :
	       err->code == DP_E_INTERRUPTED ? EXIT_INTERRUPTED : EXIT_FAIL;
}

/* Parse "123", "64K", "512M", "2G" (powers of 1024). */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return -1;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* The command line, shell-quoted, for the provenance attribute. */
static char *join_command(int argc, char **argv)
{
	size_t n = 1;
	char *s, *p;

	for (int i = 0; i < argc; i++)
		n += 4 * strlen(argv[i]) + 3;
	s = p = malloc(n);
	if (!s)
		return NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int plain = *a != '\0';

		for (const char *c = a; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789_-./=:,+@%", *c))
				plain = 0;
		if (i)
			*p++ = ' ';
		if (plain) {
			p = stpcpy(p, a);
			continue;
		}
		*p++ = '\'';
		for (const char *c = a; *c; c++) {
			if (*c == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *c;
		}
		*p++ = '\'';
	}
	*p = '\0';
	return s;
}

/* ---- scan ----------------------------------------------------------------- */

struct scan_sink {
	struct dp_store *store;
	size_t status_count[DP_ST_COUNT];
};

static int sink_row(const struct dp_row *row, void *ctx, struct dp_err *err)
{
	struct scan_sink *s = ctx;

	if (row->status >= 0 && row->status < DP_ST_COUNT)
		s->status_count[row->status]++;
	return dp_store_append(s->store, row, err);
}

static void print_summary(const struct scan_sink *s, const struct dp_scan_progress *p,
			  const char *out)
{
	double t = p->elapsed_s > 0 ? p->elapsed_s : 1e-9;
	int first = 1;

	fprintf(stderr,
		"doppel: %zu files (%zu hashed, %zu not) in %.1f s: %.1f files/s, %.1f MB/s, "
		"%d threads -> %s\n",
		p->done, s->status_count[DP_ST_OK], p->done - s->status_count[DP_ST_OK], t,
		(double)p->done / t, (double)p->bytes_done / 1e6 / t, p->threads, out);
	for (int i = 1; i < DP_ST_COUNT; i++) {
		if (!s->status_count[i])
			continue;
		fprintf(stderr, "%s%zu %s", first ? "doppel: not hashed: " : ", ",
			s->status_count[i], dp_file_status_name(i));
		first = 0;
	}
	if (!first)
		fprintf(stderr, " (see /images/status and /images/message)\n");
}

struct scan_args {
	const char *output;
	int force, quiet, follow;
	struct dp_scan_opts opts;
};

static int parse_scan(int argc, char **argv, struct scan_args *a)
{
	enum { O_HASHES = 256, O_NO_ORIENT, O_EXACT, O_FOLLOW, O_MAX_PIXELS,
	       O_MAX_FILE, O_MIN_SIDE };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, 'j' },
		{ "hashes", required_argument, NULL, O_HASHES },
		{ "no-orient", no_argument, NULL, O_NO_ORIENT },
		{ "exact", no_argument, NULL, O_EXACT },
		{ "follow-symlinks", no_argument, NULL, O_FOLLOW },
		{ "max-pixels", required_argument, NULL, O_MAX_PIXELS },
		{ "max-file-size", required_argument, NULL, O_MAX_FILE },
		{ "min-side", required_argument, NULL, O_MIN_SIDE },
		{ "force", no_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dp_err err;
	int c;

	dp_scan_opts_default(&a->opts);
	while ((c = getopt_long(argc, argv, "o:j:fqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': a->output = optarg; break;
		case 'j':
			if (parse_int(optarg, 1, 4096, &a->opts.threads))
				return usage_error("scan: -j wants a number of threads from 1 to 4096, not '%s'", optarg);
			break;
		case O_HASHES:
			if (dp_hash_parse_list(optarg, &a->opts.hashes, &err))
				return usage_error("%s", err.msg);
			break;
		case O_NO_ORIENT: a->opts.decode.orient = 0; break;
		case O_EXACT: a->opts.decode.exact = 1; break;
		case O_FOLLOW: a->follow = 1; break;
		case O_MAX_PIXELS:
			if (parse_size(optarg, &a->opts.decode.max_pixels) || !a->opts.decode.max_pixels)
				return usage_error("scan: --max-pixels wants a positive number, not '%s'", optarg);
			break;
		case O_MAX_FILE:
			if (parse_size(optarg, &a->opts.max_file_size) || !a->opts.max_file_size)
				return usage_error("scan: --max-file-size wants a size like 512M, not '%s'", optarg);
			break;
		case O_MIN_SIDE:
			if (parse_int(optarg, 8, 65535, &a->opts.decode.min_side))
				return usage_error("scan: --min-side wants a number from 8 to 65535, not '%s'", optarg);
			break;
		case 'f': a->force = 1; break;
		case 'q': a->quiet = 1; break;
		case 'h': fputs(usage_scan, stdout); return -1;
		default: return usage_error("scan: see 'doppel help scan'");
		}
	}
	if (!a->output)
		return usage_error("scan: no output file: add -o OUT.h5");
	if (optind >= argc)
		return usage_error("scan: no input: give one or more files or folders to scan");
	return 0;
}

static int output_ok(const char *out, int force)
{
	struct stat st;

	if (stat(out, &st) != 0)
		return 0;
	if (S_ISDIR(st.st_mode))
		return usage_error("scan: output %s is a directory: give a file name", out);
	if (!force)
		return usage_error("scan: output %s exists: use --force to replace it", out);
	return 0;
}

static int cmd_scan(int argc, char **argv, char *command)
{
	struct scan_args a = { 0 };
	struct dp_walk_opts wo = { 0 };
	struct dp_filelist fl = { 0 };
	struct dp_store_meta meta = { 0 };
	struct scan_sink sink = { 0 };
	struct dp_scan_progress fin = { 0 };
	struct dp_progress_line pl;
	struct dp_err err;
	char libs[256], h5v[64], tool[96];
	int rc;

	dp_err_clear(&err);
	rc = parse_scan(argc, argv, &a);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	rc = output_ok(a.output, a.force);
	if (rc)
		return rc;
	wo.follow_symlinks = a.follow;
	if (dp_walk((const char *const *)argv + optind, (size_t)(argc - optind), &wo, &fl, &err)) {
		dp_filelist_free(&fl);
		return fail(&err);
	}
	dp_decode_library_versions(libs, sizeof(libs));
	dp_store_library_version(h5v, sizeof(h5v));
	snprintf(libs + strlen(libs), sizeof(libs) - strlen(libs), ", %s, %s, kernels %s",
		 h5v, OpenSSL_version(OPENSSL_VERSION), dp_kernels_get()->name);
	snprintf(tool, sizeof(tool), "doppel %s (git %s)", DP_VERSION, DP_GIT_REV);
	a.opts.stop = &stop_flag;
	meta.tool_version = tool;
	meta.command = command;
	meta.roots = (const char *const *)argv + optind;
	meta.nroots = (size_t)(argc - optind);
	meta.libraries = libs;
	meta.hashes = a.opts.hashes;
	meta.orient = a.opts.decode.orient;
	meta.exact = a.opts.decode.exact;
	meta.follow_symlinks = a.follow;
	meta.min_side = a.opts.decode.min_side;
	meta.threads = a.opts.threads > 0 ? a.opts.threads : omp_get_max_threads();
	meta.max_pixels = a.opts.decode.max_pixels;
	meta.max_file_size = a.opts.max_file_size;
	sink.store = dp_store_create(a.output, fl.n, &meta, &err);
	if (!sink.store) {
		dp_filelist_free(&fl);
		return fail(&err);
	}
	dp_progress_line_init(&pl, !a.quiet && isatty(STDERR_FILENO));
	rc = dp_pipeline_scan(&fl, &a.opts, sink_row, &sink, dp_progress_line_update, &pl,
			      &fin, &err);
	dp_progress_line_end(&pl);
	if (rc) {
		const char *tmp = dp_store_tmp_path(sink.store);

		fprintf(stderr, "doppel: %s; removing %s\n", err.msg, tmp);
		dp_store_abort(sink.store);
		dp_filelist_free(&fl);
		return rc == DP_E_INTERRUPTED ? EXIT_INTERRUPTED : EXIT_FAIL;
	}
	rc = dp_store_commit(sink.store, &err);
	if (rc == 0 && !a.quiet)
		print_summary(&sink, &fin, a.output);
	dp_filelist_free(&fl);
	return rc ? fail(&err) : EXIT_OK;
}

/* ---- info ----------------------------------------------------------------- */

static void print_counts_status(const struct dp_store_summary *s)
{
	int first = 1;

	printf("status:     ");
	for (int i = 0; i < DP_ST_COUNT; i++) {
		if (!s->status_count[i])
			continue;
		printf("%s%zu %s", first ? "" : ", ", s->status_count[i], dp_file_status_name(i));
		first = 0;
	}
	if (s->status_other)
		printf("%s%zu unknown", first ? "" : ", ", s->status_other);
	printf("%s\n", first && !s->status_other ? "(no rows)" : "");
}

static int cmd_info(int argc, char **argv)
{
	struct dp_store_summary s;
	struct dp_err err;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage_info, stdout);
		return EXIT_OK;
	}
	if (argc != 2)
		return usage_error("info: give exactly one result file (doppel info FILE.h5)");
	dp_err_clear(&err);
	if (dp_store_summarise(argv[1], &s, &err))
		return fail(&err);
	printf("file:       %s\n", argv[1]);
	printf("format:     doppel format %d, %s\n", s.format_version,
	       s.finished ? "complete" : "INCOMPLETE (no finish time)");
	printf("tool:       %s\n", s.tool_version ? s.tool_version : "?");
	printf("created:    %s\n", s.created ? s.created : "?");
	printf("finished:   %s\n", s.finished ? s.finished : "?");
	printf("host:       %s\n", s.host ? s.host : "?");
	printf("command:    %s\n", s.command ? s.command : "?");
	for (size_t i = 0; i < s.nroots; i++)
		printf("%s%s\n", i ? "            " : "roots:      ", s.roots[i]);
	printf("libraries:  %s\n", s.libraries ? s.libraries : "?");
	printf("hashes:     %s\n", s.hashes && *s.hashes ? s.hashes : "(none)");
	printf("rows:       %zu files, %.1f MB\n", s.nrows, (double)s.total_bytes / 1e6);
	print_counts_status(&s);
	printf("formats:    ");
	for (size_t i = 0; i < s.nformats; i++)
		printf("%s%zu %s", i ? ", " : "", s.formats[i].count, s.formats[i].name);
	printf("%s\n", s.nformats ? "" : "(no rows)");
	printf("exact dups: %zu files in %zu groups of identical bytes (SHA-256)\n",
	       s.dup_files, s.dup_groups);
	printf("capture:    %zu with capture time, %zu with camera make/model or serial\n",
	       s.with_capture_time, s.with_camera);
	dp_store_summary_free(&s);
	return EXIT_OK;
}

/* ---- main ----------------------------------------------------------------- */

static int cmd_version(void)
{
	char libs[256], h5v[64];

	dp_decode_library_versions(libs, sizeof(libs));
	dp_store_library_version(h5v, sizeof(h5v));
	printf("doppel %s (git %s)\n%s, %s, %s\nkernels: %s\n", DP_VERSION, DP_GIT_REV, libs,
	       h5v, OpenSSL_version(OPENSSL_VERSION), dp_kernels_get()->name);
	return EXIT_OK;
}

static int cmd_help(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "scan"))
		fputs(usage_scan, stdout);
	else if (argc >= 2 && !strcmp(argv[1], "info"))
		fputs(usage_info, stdout);
	else if (argc >= 2)
		return usage_error("help: unknown command '%s'", argv[1]);
	else
		fputs(usage_main, stdout);
	return EXIT_OK;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int main(int argc, char **argv)
{
	const char *cmd;
	char *command;
	struct dp_err err;
	int rc;

	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help"))
		return cmd_help(argc - 1, argv + 1);
	dp_kernels_init();
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version"))
		return cmd_version();
	if (strcmp(cmd, "scan") && strcmp(cmd, "info"))
		return usage_error("unknown command '%s' (try 'doppel help')", cmd);
	if (VIPS_INIT(argv[0]))
		return usage_error("cannot start libvips: %s", vips_error_buffer());
	dp_err_clear(&err);
	if (dp_decode_global_init(&err)) {
		vips_shutdown();
		return fail(&err);
	}
	dp_store_init();
	install_signals();
	command = join_command(argc, argv);
	if (!command) {
		fprintf(stderr, "doppel: out of memory\n");
		return EXIT_FAIL;
	}
	optind = 1;
	if (!strcmp(cmd, "scan"))
		rc = cmd_scan(argc - 1, argv + 1, command);
	else
		rc = cmd_info(argc - 1, argv + 1);
	free(command);
	vips_shutdown();
	return rc;
}
