/* src/cli_cluster.c - the commands that read a result file: cluster, query, export, verify.
 *
 * Each loads the result file read-only (src/table_h5.c); cluster then adds
 * /clusters/NAME atomically (src/clusters_h5.c). Output formats are
 * documented in docs/FORMAT.md and docs/CLUSTER.md.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "utf8.h"
#include "mpiwrap.h"
#include "cluster.h"
#include "clusters_h5.h"
#include "doppel.h"
#include "hash.h"
#include "kernels.h"
#include "pipeline.h"
#include "scanfile.h"
#include "status.h"
#include "table.h"
#include "verify.h"

const char dp_cli_usage_cluster[] =
	"usage: doppel cluster FILE.h5 [OPTIONS]\n"
	"\n"
	"Group the files of a scan result: exact duplicates (same SHA-256), copies of\n"
	"one photograph (--level shot) or photos of one scene (--level scene), and\n"
	"write the groups into FILE.h5 under /clusters/NAME (labels per file, group\n"
	"sizes and keepers, the near pairs). The file is replaced atomically: an\n"
	"interrupted run leaves it as it was; other clusterings in it are kept.\n"
	"\n"
	"options:\n"
	"      --level shot|scene   shot: copies of one photo (default); scene: shot\n"
	"                           groups of one camera taken within --scene-gap,\n"
	"                           and shots whose thumbnails align (docs/CLUSTER.md)\n"
	"      --hash NAME          pdq (default), phash, dhash or ahash\n"
	"      --max-distance T     near pairs: Hamming distance <= T (default 31 for\n"
	"                           pdq, 8 for the 64-bit hashes)\n"
	"      --split-distance D   every shot group lies within D of its medoid\n"
	"                           (default: T)\n"
	"      --quality-min Q      PDQ quality below Q: low information, matched only\n"
	"                           when the second hash agrees (default 50)\n"
	"      --verify-distance V  that agreement: dhash (else phash) distance <= V\n"
	"                           (default 3; -1: never match low-information files)\n"
	"      --scene-gap S        largest capture-time gap inside a scene, seconds\n"
	"                           (default 60)\n"
	"      --scene-link-gap S   up to S seconds when the two shots' thumbnails\n"
	"                           align (default 120; needs the alignment check)\n"
	"      --rotations          also match rotated/mirrored copies (PDQ; the scan\n"
	"                           must have stored the variants: --hashes ...,pdqdih)\n"
	"      --align-distance A   PDQ: pairs within A that the hashes do not match are\n"
	"                           checked on the stored thumbnails: a copy when one is\n"
	"                           a crop or rescale of the other without rotation;\n"
	"                           at scene level also the same scene when they align\n"
	"                           turned or shifted (default 90 when the scan stored\n"
	"                           thumbnails; 0: off). Two files naming one camera\n"
	"                           and one capture time to a fraction of a second are\n"
	"                           one exposure: a copy within A, and beyond A when\n"
	"                           their thumbnails align\n"
	"      --align-nearest K    check only the pairs among the K nearest candidates\n"
	"                           (by hash distance) of one of their files, so the\n"
	"                           check grows with the files, not with their square\n"
	"                           (default 8; 0: all candidates)\n"
	"      --crop-distance Z    also check pairs where a 64-bit code of one file's\n"
	"                           thumbnail is within Z of a code of the other's\n"
	"                           centre at zoom 1, 1.06, 1.14 or 1.22: cropped copies\n"
	"                           beyond A (default 8; 0: off; 0..63)\n"
	"      --crop-far-distance F  also pairs whose codes are from Z to F apart where\n"
	"                           one file has a capture time and a camera: the 2\n"
	"                           nearest of one of their files by code distance,\n"
	"                           kept only when their thumbnails align as a copy\n"
	"                           or near copy\n"
	"                           (default 14; Z or less: off; 0..63)\n"
	"      --confirm-distance C with the alignment check, near pairs beyond C are\n"
	"                           copies only when their thumbnails align as a copy\n"
	"                           or near copy: other shots of one scene can come\n"
	"                           that close (default 15; T: off)\n"
	"      --name NAME          group name under /clusters (default: the level)\n"
	"  -j, --threads N          threads for the pair search and the alignment check\n"
	"                           (default: all cores)\n"
	"  -q, --quiet              no summary\n"
	"\n"
	"exit status: 0 ok, 1 missing, foreign or damaged file or cannot write it,\n"
	"2 wrong arguments (unknown hash, hash not in the file).\n";

const char dp_cli_usage_query[] =
	"usage: doppel query FILE.h5 IMAGE|HEX... [OPTIONS]\n"
	"\n"
	"Hash each IMAGE as the scan did (or take a 64-digit PDQ / 16-digit 64-bit\n"
	"hash in hex) and print every stored file within the distance, best first:\n"
	"distance, row, path. Stored files are compared on their whole-image hash\n"
	"and on their hash inside uniform borders. For an IMAGE (PDQ), as in\n"
	"cluster (docs/CLUSTER.md): a file whose hash is low-information is\n"
	"listed only when its dhash agrees within 3 too; and, when the scan\n"
	"stored thumbnails, files within the alignment distance whose thumbnail\n"
	"aligns with IMAGE's as a crop or rescale are listed, marked\n"
	"\"(aligned copy)\". A hex hash is matched on the hash alone, and\n"
	"low-information files are not listed for it.\n"
	"\n"
	"options:\n"
	"      --max-distance D     default 31 (pdq), 8 (64-bit hashes)\n"
	"      --align-distance A   pdq, an IMAGE: check stored files within A\n"
	"                           (default 90 when the scan stored thumbnails;\n"
	"                           0: off)\n"
	"      --crop-distance Z    ... and stored files whose centre-crop codes are\n"
	"                           within Z of the IMAGE's (cropped copies beyond A,\n"
	"                           as cluster finds them; reads every stored\n"
	"                           thumbnail; default 0: off)\n"
	"      --hash NAME          pdq (default), phash, dhash or ahash\n"
	"      --rotations          pdq: also match the 8 rotations/mirrors of IMAGE\n"
	"                           (no alignment check)\n"
	"      --quality-min Q      default 50\n"
	"      --json               one JSON object per match and line (\"match\":\n"
	"                           \"hash\" or \"copy\")\n"
	"\n"
	"exit status: 0 ok (matches or not), 1 missing or damaged file or an IMAGE\n"
	"that cannot be hashed, 2 wrong arguments.\n";

const char dp_cli_usage_export[] =
	"usage: doppel export FILE.h5 (--csv DIR | --jsonl OUT|-) [--name NAME]\n"
	"\n"
	"Write the rows (path, size, SHA-256, status, format, size, capture data,\n"
	"hashes in hex) and every clustering (or only NAME): labels, groups with\n"
	"their keepers, near pairs. --csv writes DIR/files.csv, DIR/groups.csv and\n"
	"DIR/pairs.csv; --jsonl one JSON object per line (\"type\": \"file\", \"group\"\n"
	"or \"pair\"). Paths that are not UTF-8 keep their bytes in CSV; in JSON each\n"
	"such byte is \\\\udcXX (Python's surrogateescape: os.fsencode() restores it).\n"
	"\n"
	"exit status: 0 ok, 1 missing or damaged file or cannot write, 2 wrong arguments.\n";

enum {
	O_LEVEL = 256, O_HASH, O_MAXD, O_SPLIT, O_QMIN, O_GAP, O_NAME, O_JSON, O_ROT, O_CSV,
	O_JSONL, O_VERIFY, O_ALIGN, O_NEAREST, O_CROP, O_CROPFAR, O_CONFIRM, O_LINKGAP,
};

/* Seconds 0..1e9 from s; -1 when it is not that. */
static int parse_seconds(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end || !(*out >= 0) || *out > 1e9 ? -1 : 0;
}

static int parse_hash(const char *s, unsigned *kind)
{
	struct dp_err err;
	unsigned k = 0;

	if (dp_hash_parse_list(s, &k, &err) || (k & (k - 1)) || !k)
		return -1;
	*kind = k;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- cluster ---------------------------------------------------------------- */

static void print_cluster_summary(const struct dp_clusters *c, const struct dp_cluster_opts *o,
				  const char *file, const char *name, double secs)
{
	size_t multi = 0, in_multi = 0, largest = 0;
	char confirm[96] = "";

	if (c->confirm_distance < o->max_distance)
		snprintf(confirm, sizeof(confirm), "; %zu pairs <= %d left to the alignment check",
			 c->n_confirm, o->max_distance);
	for (size_t g = 0; g < c->ngroups; g++)
		if (c->group_size[g] > 1) {
			multi++;
			in_multi += (size_t)c->group_size[g];
			if ((size_t)c->group_size[g] > largest)
				largest = (size_t)c->group_size[g];
		}
	fprintf(stderr,
		"doppel: %zu rows: %zu matched on %s, %zu low-information (%zu of them matched "
		"through %s), %zu exact-duplicate groups (%zu files), %zu near pairs <= %d "
		"(%zu rejected by verification)%s\n",
		c->n, c->n_matched, dp_hash_kind_name(o->hash), c->n_low_info, c->n_low_info_matched,
		c->verify_hash ? dp_hash_kind_name(c->verify_hash) : "no second hash",
		c->n_exact_groups, c->n_exact_files, c->pairs.n - c->n_aligned - c->n_scene_links - c->n_instant,
		c->confirm_distance, c->n_pairs_rejected, confirm);
	if (c->align_distance)
		fprintf(stderr, "doppel: alignment check: %zu of %zu pairs <= %d or with crop codes "
			"<= %d (of %zu, %zu by the crop codes alone, %zu of them far ones <= %d of a "
			"dated file; the nearest %d of each file) are copies on their thumbnails, %zu "
			"one exposure by camera and capture instant; %zu copy pairs left apart: two "
			"exposures (capture times)\n", c->n_aligned, c->n_aligned_checked, c->align_distance,
			c->crop_distance, c->n_candidates, c->n_crop_candidates, c->n_crop_far,
			c->crop_far_distance, o->align_nearest, c->n_instant, c->n_copies_refused);
	if (c->n_split_exposures)
		fprintf(stderr, "doppel: %zu files kept out of a near group: another exposure "
			"(capture time) is in it\n", c->n_split_exposures);
	if (o->level == DP_LEVEL_SCENE && c->align_distance)
		fprintf(stderr, "doppel: %zu scene links: thumbnails of two shots that align "
			"(camera turned or moved)\n", c->n_scene_links);
	fprintf(stderr, "doppel: %zu %s groups (%zu shot groups); %zu with more than one file "
		"(%zu files, largest %zu) -> %s:/clusters/%s in %.2f s\n", c->ngroups,
		dp_cluster_level_name(o->level), c->nshots, multi, in_multi, largest, file, name,
		secs);
}

int dp_cli_cluster(int argc, char **argv, const char *command)
{
	static const struct option longopts[] = {
		{ "level", required_argument, NULL, O_LEVEL },
		{ "hash", required_argument, NULL, O_HASH },
		{ "max-distance", required_argument, NULL, O_MAXD },
		{ "split-distance", required_argument, NULL, O_SPLIT },
		{ "quality-min", required_argument, NULL, O_QMIN },
		{ "scene-gap", required_argument, NULL, O_GAP },
		{ "scene-link-gap", required_argument, NULL, O_LINKGAP },
		{ "verify-distance", required_argument, NULL, O_VERIFY },
		{ "rotations", no_argument, NULL, O_ROT },
		{ "align-distance", required_argument, NULL, O_ALIGN },
		{ "align-nearest", required_argument, NULL, O_NEAREST },
		{ "crop-distance", required_argument, NULL, O_CROP },
		{ "crop-far-distance", required_argument, NULL, O_CROPFAR },
		{ "confirm-distance", required_argument, NULL, O_CONFIRM },
		{ "name", required_argument, NULL, O_NAME },
		{ "threads", required_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dp_cluster_opts o;
	struct dp_clusters c;
	struct dp_table t;
	struct dp_err err;
	const char *name = NULL;
	int maxd = -1, split = -1, quiet = 0, ch, rc;
	double t0 = now_s();

	dp_cluster_opts_default(&o);
	dp_err_clear(&err);
	while ((ch = getopt_long(argc, argv, "j:qh", longopts, NULL)) != -1) {
		switch (ch) {
		case O_LEVEL:
			if (!strcmp(optarg, "shot"))
				o.level = DP_LEVEL_SHOT;
			else if (!strcmp(optarg, "scene"))
				o.level = DP_LEVEL_SCENE;
			else
				return dp_cli_usage_error("cluster: --level is shot or scene, not '%s'", optarg);
			break;
		case O_HASH:
			if (parse_hash(optarg, &o.hash))
				return dp_cli_usage_error("cluster: --hash is one of pdq, phash, dhash, ahash, not '%s'", optarg);
			break;
		case O_MAXD:
			if (dp_cli_parse_int(optarg, 0, 256, &maxd))
				return dp_cli_usage_error("cluster: --max-distance wants 0..256, not '%s'", optarg);
			break;
		case O_SPLIT:
			if (dp_cli_parse_int(optarg, 0, 256, &split))
				return dp_cli_usage_error("cluster: --split-distance wants 0..256, not '%s'", optarg);
			break;
		case O_QMIN:
			if (dp_cli_parse_int(optarg, 0, 101, &o.quality_min))
				return dp_cli_usage_error("cluster: --quality-min wants 0..101, not '%s'", optarg);
			break;
		case O_ROT: o.rotations = 1; break;
		case O_ALIGN:
			if (dp_cli_parse_int(optarg, 0, 256, &o.align_distance))
				return dp_cli_usage_error("cluster: --align-distance wants 0..256, not '%s'", optarg);
			break;
		case O_NEAREST:
			if (dp_cli_parse_int(optarg, 0, 1000000, &o.align_nearest))
				return dp_cli_usage_error("cluster: --align-nearest wants 0..1000000, not '%s'", optarg);
			break;
		case O_CROP:
			if (dp_cli_parse_int(optarg, 0, 63, &o.crop_distance))
				return dp_cli_usage_error("cluster: --crop-distance wants 0..63, not '%s'", optarg);
			break;
		case O_CROPFAR:
			if (dp_cli_parse_int(optarg, 0, 63, &o.crop_far_distance))
				return dp_cli_usage_error("cluster: --crop-far-distance wants 0..63, not '%s'",
							  optarg);
			break;
		case O_CONFIRM:
			if (dp_cli_parse_int(optarg, 0, 256, &o.confirm_distance))
				return dp_cli_usage_error("cluster: --confirm-distance wants 0..256, not '%s'", optarg);
			break;
		case O_VERIFY:
			if (dp_cli_parse_int(optarg, -1, 64, &o.verify_distance))
				return dp_cli_usage_error("cluster: --verify-distance wants -1..64, not '%s'", optarg);
			break;
		case O_GAP:
			if (parse_seconds(optarg, &o.scene_gap_s))
				return dp_cli_usage_error("cluster: --scene-gap wants seconds, not '%s'", optarg);
			break;
		case O_LINKGAP:
			if (parse_seconds(optarg, &o.scene_link_gap_s))
				return dp_cli_usage_error("cluster: --scene-link-gap wants seconds, not '%s'", optarg);
			break;
		case O_NAME:
			if (!dp_cluster_name_ok(optarg))
				return dp_cli_usage_error("cluster: --name wants 1-%d of A-Z a-z 0-9 _ . -, not '%s'", DP_CLUSTER_NAME_MAX, optarg);
			name = optarg;
			break;
		case 'j':
			if (dp_cli_parse_int(optarg, 1, 4096, &o.threads))
				return dp_cli_usage_error("cluster: -j wants 1..4096, not '%s'", optarg);
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(dp_cli_usage_cluster, stdout); return EXIT_OK;
		default: return dp_cli_usage_error("cluster: see 'doppel help cluster'");
		}
	}
	if (optind != argc - 1)
		return dp_cli_usage_error("cluster: give exactly one result file (doppel cluster FILE.h5)");
	o.max_distance = maxd >= 0 ? maxd : o.hash == DP_HASH_PDQ ? 31 : 8;
	o.split_distance = split >= 0 ? split : o.max_distance;
	if (o.hash != DP_HASH_PDQ && (o.max_distance > 64 || o.split_distance > 64))
		return dp_cli_usage_error("cluster: 64-bit hashes: distances are 0..64");
	if (!name)
		name = dp_cluster_level_name(o.level);
	rc = dp_table_load(argv[optind], "cluster", &t, &err);
	if (rc)
		return dp_cli_fail(&err);
	/* Under MPI every rank searches a share of the index and gets all pairs
	 * (dp_pipeline_pairs), so every rank groups alike; rank 0 alone writes. */
	rc = dp_cluster_run(&t, &o, dp_pipeline_pairs, dp_pipeline_align, dp_pipeline_crop_codes, &c,
			    &err);
	if (rc == 0) {
		struct dp_clusters_meta m = { name, dp_cli_tool_version(), command, &o };

		if (dp_mpi_rank() == 0)
			rc = dp_clusters_store(argv[optind], &c, &m, &err);
		if (rc == 0 && !quiet && dp_mpi_rank() == 0)
			print_cluster_summary(&c, &o, argv[optind], name, now_s() - t0);
		dp_clusters_free(&c);
	}
	dp_table_free(&t);
	if (dp_mpi_size() > 1 && dp_mpi_bcast(rc) != 0 && rc == 0)
		return EXIT_FAIL;       /* rank 0 could not write: it says why */
	return rc ? dp_cli_fail(&err) : EXIT_OK;
}

/* ---- JSON / CSV text -------------------------------------------------------- */

/* A JSON string: escapes, and invalid UTF-8 bytes as \udcXX (surrogateescape). */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n = dp_utf8_len(p);

		if (n == 0) {
			fprintf(f, "\\udc%02x", *p++);
		} else if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
	fputc('"', f);
}

/* How pair p was matched: "hash", "copy", "scene" or "instant" (enum dp_pair_match). */
static const char *pair_match(const struct dp_clusters *c, size_t p)
{
	int m = c->pair_match ? c->pair_match[p] : DP_MATCH_HASH;

	return m == DP_MATCH_COPY ? "copy" : m == DP_MATCH_SCENE ? "scene" :
	       m == DP_MATCH_INSTANT ? "instant" : "hash";
}

/* A CSV field: quoted when it holds a comma, quote, CR or LF; bytes kept. */
static void csv_str(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void hex_bytes(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = '\0';
}

/* ---- query ------------------------------------------------------------------ */

struct match {
	uint32_t row;
	unsigned d;
	int variant;
	int aligned;   /* kept by the alignment check */
	int check;     /* to be checked: beyond the distance, or low information unverified */
};

static int cmp_match_row(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	return (x->row > y->row) - (x->row < y->row);
}

static int cmp_match(const void *a, const void *b)
{
	const struct match *x = a, *y = b;

	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return (x->row > y->row) - (x->row < y->row);
}

static int parse_hex64(const char *s, uint64_t *v)
{
	char *end;

	if (strlen(s) != 16 || strspn(s, "0123456789abcdefABCDEF") != 16)
		return -1;
	*v = strtoull(s, &end, 16);
	return 0;
}

/* An image query with the alignment check: hashed as the scan hashes (opts, w) into row. */
struct query_image {
	struct dp_worker *w;
	struct dp_scan_opts opts;
	struct dp_row row;
};

/*
 * The query codes of one argument: 1 code, or 8 with rotations (PDQ image).
 * With qi (PDQ, no rotations) an image is hashed through it and *image
 * set: its thumbnail and second hash are then in qi->row.hashes.
 */
static int query_codes(const char *arg, unsigned kind, int rotations, struct doppel_hasher *h,
		       struct query_image *qi, uint64_t codes[8][4], int *ncodes, int *quality,
		       int *image, char *why, size_t whyn)
{
	struct doppel_hashes out;
	struct dp_err err;

	*quality = -1;
	*ncodes = 1;
	*image = 0;
	memset(codes, 0, 8 * 4 * sizeof(uint64_t));
	if (kind == DP_HASH_PDQ && strlen(arg) == 64 &&
	    dp_hash_pdq_from_hex(arg, (uint8_t *)codes[0], &err) == 0)
		return 0;
	if (kind != DP_HASH_PDQ && parse_hex64(arg, &codes[0][0]) == 0)
		return 0;
	if (qi) {
		struct dp_walk_entry e = { .path = (char *)arg, .status = DP_ST_OK };

		dp_scan_one(qi->w, &e, &qi->opts, &qi->row);
		if (qi->row.status != DP_ST_OK) {
			snprintf(why, whyn, "%s", qi->row.message[0] ? qi->row.message :
				 dp_file_status_name(qi->row.status));
			return -1;
		}
		memcpy(codes[0], qi->row.hashes.pdq, 32);
		*quality = qi->row.hashes.pdq_quality;
		*image = 1;
		return 0;
	}
	if (kind == DP_HASH_PDQ && rotations) {
		uint8_t v[DOPPEL_DIHEDRAL][DOPPEL_PDQ_BYTES];

		if (doppel_pdq_dihedral_file(h, arg, v, quality, why, whyn) != 0)
			return -1;
		for (int k = 0; k < DOPPEL_DIHEDRAL; k++)
			memcpy(codes[k], v[k], 32);
		*ncodes = DOPPEL_DIHEDRAL;
		return 0;
	}
	if (doppel_hash_file(h, arg, &out, why, whyn) != 0)
		return -1;
	if (kind == DP_HASH_PDQ) {
		memcpy(codes[0], out.pdq, 32);
		*quality = out.pdq_quality;
	} else {
		codes[0][0] = kind == DP_HASH_PHASH ? out.phash : kind == DP_HASH_DHASH ? out.dhash :
			      out.ahash;
	}
	return 0;
}

static void print_match(const struct dp_table *t, const char *arg, const struct match *m,
			int json)
{
	char sha[65];

	if (!json) {
		printf("%u\t%u\t", m->d, m->row);
		fputs(t->path[m->row], stdout);
		if (m->variant > 0)
			printf("\t(%s)", doppel_dihedral_name(m->variant));
		if (m->aligned)
			fputs("\t(aligned copy)", stdout);
		putchar('\n');
		return;
	}
	hex_bytes(sha, t->sha256[m->row], 32);
	fputs("{\"query\":", stdout);
	json_str(stdout, arg);
	printf(",\"distance\":%u,\"row\":%u,\"path\":", m->d, m->row);
	json_str(stdout, t->path[m->row]);
	printf(",\"sha256\":\"%s\",\"variant\":\"%s\",\"match\":\"%s\"}\n", sha,
	       doppel_dihedral_name(m->variant), m->aligned ? "copy" : "hash");
}

/*
 * The alignment check of an image query: of best[0..*nb) (each row once),
 * those marked check stay only when the stored thumbnail and the query's
 * (qthumb) align as copies (marked aligned; *naligned counts them); with
 * no qthumb they go. *thumbs is a buffer kept between calls. Returns 0 or
 * an error (file changed since it was loaded, no memory) in err.
 */
static int align_matches(const struct dp_table *t, const uint8_t *qthumb, struct dp_align_work *work,
			 struct match *best, size_t *nb, size_t *naligned,
			 uint8_t (**thumbs)[DP_THUMB_BYTES], struct dp_err *err)
{
	size_t nc = 0, kept = 0;
	uint32_t *rows;
	int rc;

	*naligned = 0;
	/* Candidates first, in row order, for dp_table_read_thumbs. */
	for (size_t m = 0; m < *nb; m++)
		if (best[m].check) {
			struct match tmp = best[nc];

			best[nc++] = best[m];
			best[m] = tmp;
		}
	if (!nc)
		return 0;
	if (!qthumb) {
		memmove(best, best + nc, (*nb - nc) * sizeof(*best));
		*nb -= nc;
		return 0;
	}
	qsort(best, nc, sizeof(*best), cmp_match_row);
	rows = malloc(nc * sizeof(*rows));
	free(*thumbs);
	*thumbs = malloc(nc * sizeof(**thumbs));
	if (!rows || !*thumbs) {
		free(rows);
		return dp_err_set(err, DP_E_NOMEM, "query: out of memory for %zu thumbnails", nc);
	}
	for (size_t k = 0; k < nc; k++)
		rows[k] = best[k].row;
	rc = dp_table_read_thumbs(t, rows, nc, *thumbs, err);
	free(rows);
	if (rc)
		return rc;
	for (size_t k = 0; k < nc; k++) {
		struct dp_align_result res[2];

		dp_align_thumbs(dp_kernels_get(), (*thumbs)[k], qthumb, work, res);
		if (dp_align_verdict(res) == DP_ALIGN_COPY) {
			best[kept] = best[k];
			best[kept++].aligned = 1;
		}
	}
	*naligned = kept;
	for (size_t m = nc; m < *nb; m++)
		best[kept++] = best[m];
	*nb = kept;
	return 0;
}

/* The centre-crop codes of every stored row (zero where it has none). */
static int stored_crop_codes(const struct dp_table *t, uint64_t **codes, uint8_t **info,
			     struct dp_err *err)
{
	uint32_t *rows = malloc((t->n ? t->n : 1) * sizeof(uint32_t));
	int rc;

	*codes = malloc((t->n ? t->n : 1) * DP_CROP_CODES * sizeof(uint64_t));
	*info = malloc(t->n ? t->n : 1);
	if (!rows || !*codes || !*info) {
		free(rows);
		return dp_err_set(err, DP_E_NOMEM, "query: out of memory for %zu crop codes", t->n);
	}
	for (size_t r = 0; r < t->n; r++)
		rows[r] = (uint32_t)r;
	rc = dp_pipeline_crop_codes(t, rows, t->n, 0, *codes, *info, err);
	free(rows);
	return rc;
}

/* Least distance of a's frame code to any of b's codes. */
static unsigned frame_to_codes(const uint64_t *a, const uint64_t *b)
{
	unsigned best = 64;

	for (int c = 0; c < DP_CROP_CODES; c++)
		if (dp_hamming64(a[0], b[c]) < best)
			best = dp_hamming64(a[0], b[c]);
	return best;
}

/*
 * The stored rows (status ok) not yet in best[0..nb) (slot[row] == 0) whose
 * centre-crop codes are within crop of those of the query's thumbnail, as
 * cluster pairs them (one frame against the other's codes), added to best
 * to be checked, with their PDQ distance to the query's hash pdq (the
 * least over the row's whole and trimmed hashes). Returns the new nb.
 */
static size_t add_crop_matches(const struct dp_table *t, const uint8_t *qthumb, const uint64_t pdq[4],
			       const uint64_t *codes, const uint8_t *info, int crop,
			       struct match *best, size_t nb, uint32_t *slot)
{
	uint64_t q[DP_CROP_CODES];
	unsigned d;

	if (!dp_crop_codes(qthumb, q))
		return nb;
	for (uint32_t r = 0; r < t->n; r++) {
		const uint64_t *c = codes + (size_t)r * DP_CROP_CODES;

		if (slot[r] || !info[r] || t->status[r] != DP_ST_OK ||
		    (frame_to_codes(q, c) > (unsigned)crop && frame_to_codes(c, q) > (unsigned)crop))
			continue;
		d = dp_hamming256((const uint8_t *)pdq, t->pdq[r]);
		if (t->pdq_trim && t->pdq_trim_quality[r] > 0 &&
		    dp_hamming256((const uint8_t *)pdq, t->pdq_trim[r]) < d)
			d = dp_hamming256((const uint8_t *)pdq, t->pdq_trim[r]);
		slot[r] = (uint32_t)nb + 1;
		best[nb++] = (struct match){ r, d, 0, 0, 1 };
	}
	return nb;
}

int dp_cli_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "max-distance", required_argument, NULL, O_MAXD },
		{ "hash", required_argument, NULL, O_HASH },
		{ "rotations", no_argument, NULL, O_ROT },
		{ "quality-min", required_argument, NULL, O_QMIN },
		{ "align-distance", required_argument, NULL, O_ALIGN },
		{ "crop-distance", required_argument, NULL, O_CROP },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned kind = DP_HASH_PDQ;
	int maxd = -1, qmin = 50, json = 0, rotations = 0, align = -1, crop = 0, ch, rc = EXIT_OK, nwords;
	uint64_t *crops = NULL;
	uint8_t *crop_info = NULL;
	int image_queries;   /* PDQ without rotations: images hashed through qi */
	struct doppel_hasher *h = NULL;
	struct query_image *qi = NULL;
	struct dp_align_work *work = NULL;
	uint8_t (*thumbs)[DP_THUMB_BYTES] = NULL;
	struct match *best = NULL;
	uint32_t *ids = NULL, *erow = NULL, *slot = NULL;
	uint64_t *codes = NULL, *ecodes = NULL;
	const uint64_t *verify = NULL;   /* the second hash of low-information rows */
	uint8_t *elow = NULL;
	static const uint8_t zero32[32];
	struct dp_cluster_opts co;   /* cluster's defaults: its verify distance */
	size_t nids = 0;
	struct dp_table t;
	struct dp_err err;

	dp_err_clear(&err);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_MAXD:
			if (dp_cli_parse_int(optarg, 0, 256, &maxd))
				return dp_cli_usage_error("query: --max-distance wants 0..256, not '%s'", optarg);
			break;
		case O_HASH:
			if (parse_hash(optarg, &kind))
				return dp_cli_usage_error("query: --hash is one of pdq, phash, dhash, ahash, not '%s'", optarg);
			break;
		case O_QMIN:
			if (dp_cli_parse_int(optarg, 0, 101, &qmin))
				return dp_cli_usage_error("query: --quality-min wants 0..101, not '%s'", optarg);
			break;
		case O_ALIGN:
			if (dp_cli_parse_int(optarg, 0, 256, &align))
				return dp_cli_usage_error("query: --align-distance wants 0..256, not '%s'", optarg);
			break;
		case O_CROP:
			if (dp_cli_parse_int(optarg, 0, 63, &crop))
				return dp_cli_usage_error("query: --crop-distance wants 0..63, not '%s'", optarg);
			break;
		case O_ROT: rotations = 1; break;
		case O_JSON: json = 1; break;
		case 'h': fputs(dp_cli_usage_query, stdout); return EXIT_OK;
		default: return dp_cli_usage_error("query: see 'doppel help query'");
		}
	}
	if (argc - optind < 2)
		return dp_cli_usage_error("query: give a result file and one or more images or hashes");
	if (rotations && kind != DP_HASH_PDQ)
		return dp_cli_usage_error("query: --rotations needs --hash pdq");
	if (align > 0 && (kind != DP_HASH_PDQ || rotations))
		return dp_cli_usage_error("query: --align-distance needs --hash pdq, without --rotations");
	if (maxd < 0)
		maxd = kind == DP_HASH_PDQ ? 31 : 8;
	if (kind != DP_HASH_PDQ && maxd > 64)
		return dp_cli_usage_error("query: 64-bit hashes: distances are 0..64");
	if (dp_table_load(argv[optind], "query", &t, &err))
		return dp_cli_fail(&err);
	if (!(t.hashes & kind)) {
		dp_err_set(&err, DP_E_ARG, "query: %s has no %s hashes", argv[optind],
			   dp_hash_kind_name(kind));
		dp_table_free(&t);
		return dp_cli_fail(&err);
	}
	if (align > 0 && !(t.hashes & DP_HASH_THUMB)) {
		dp_err_set(&err, DP_E_ARG, "query: %s has no thumbnails for --align-distance: scan "
			   "with --hashes ...,thumb (the default)", argv[optind]);
		dp_table_free(&t);
		return dp_cli_fail(&err);
	}
	if (align < 0)
		align = kind == DP_HASH_PDQ && !rotations && (t.hashes & DP_HASH_THUMB) ?
			DP_ALIGN_DISTANCE_DEFAULT : 0;
	if (align <= maxd)
		align = 0;   /* nothing beyond the hash match to check */
	if (crop && !align) {
		dp_table_free(&t);
		return dp_cli_usage_error("query: --crop-distance needs the alignment check (--hash "
					  "pdq, no --rotations, thumbnails, --align-distance over "
					  "--max-distance)");
	}
	/* Low-information rows match, as in cluster, when the second hash agrees too. */
	dp_cluster_opts_default(&co);
	verify = kind == DP_HASH_PDQ ? (t.dhash ? t.dhash : t.phash) : NULL;
	image_queries = kind == DP_HASH_PDQ && !rotations;
	if (image_queries) {
		qi = calloc(1, sizeof(*qi));
		if (qi) {
			dp_scan_opts_default(&qi->opts);
			qi->opts.hashes = DP_HASH_PDQ | (align ? DP_HASH_THUMB : 0) |
					  (t.dhash ? DP_HASH_DHASH : t.phash ? DP_HASH_PHASH : 0);
			qi->opts.decode.orient = t.orient;
			qi->opts.decode.exact = t.exact || t.reference;
			qi->opts.decode.reference = t.reference;
			qi->w = dp_worker_new();
		}
	}
	if (align)
		work = malloc(sizeof(*work));
	codes = dp_table_codes(&t, kind, &nwords);
	ids = malloc((2 * t.n + 1) * sizeof(uint32_t));
	erow = malloc((2 * t.n + 1) * sizeof(uint32_t));
	elow = malloc(2 * t.n + 1);
	ecodes = malloc((2 * t.n + 1) * (size_t)nwords * sizeof(uint64_t));
	best = malloc((t.n ? t.n : 1) * sizeof(*best));
	slot = calloc(t.n ? t.n : 1, sizeof(*slot));
	if (!image_queries)   /* otherwise images go through qi */
		h = doppel_hasher_new(kind, (t.orient ? 0 : DOPPEL_NO_ORIENT) |
					    (t.exact ? DOPPEL_EXACT : 0) |
					    (t.reference ? DOPPEL_REFERENCE_PDQ : 0));
	if (!codes || !ids || !erow || !elow || !ecodes || !best || !slot ||
	    (image_queries ? !qi || !qi->w : !h) || (align && !work)) {
		fprintf(stderr, "doppel: out of memory\n");
		rc = EXIT_FAIL;
		goto out;
	}
	if (crop && (rc = stored_crop_codes(&t, &crops, &crop_info, &err)) != 0) {
		rc = dp_cli_fail(&err);
		goto out;
	}
	/* The stored hashes that take part in matching, as in cluster: each
	 * row's hash and, for PDQ, its hash inside uniform borders; those of low
	 * information (elow) only for image queries, which check them. */
	for (uint32_t i = 0; i < t.n; i++) {
		const uint64_t *c = codes + (size_t)i * nwords;
		int take, low;

		if (t.status[i] != DP_ST_OK)
			continue;
		low = kind == DP_HASH_PDQ && t.pdq_quality[i] < qmin;
		take = kind != DP_HASH_PDQ ? c[0] != 0 && c[0] != UINT64_MAX :
		       !low || (qi && verify && (c[0] | c[1] | c[2] | c[3]));
		if (take) {
			erow[nids] = i;
			elow[nids] = (uint8_t)low;
			memcpy(ecodes + nids * (size_t)nwords, c, (size_t)nwords * 8);
			nids++;
		}
		if (kind != DP_HASH_PDQ || !t.pdq_trim)
			continue;
		low = t.pdq_trim_quality[i] < qmin;   /* all zero: no border */
		if (!low || (qi && verify && memcmp(t.pdq_trim[i], zero32, 32))) {
			erow[nids] = i;
			elow[nids] = (uint8_t)low;
			memcpy(ecodes + nids * 4, t.pdq_trim[i], 32);
			nids++;
		}
	}
	for (size_t e = 0; e < nids; e++)
		ids[e] = (uint32_t)e;
	for (int a = optind + 1; a < argc; a++) {
		uint64_t q[8][4], vq = 0;
		int nq, quality, image;
		char why[512];
		struct dp_pairs hits = { 0 };
		size_t nb = 0, naligned = 0;

		if (query_codes(argv[a], kind, rotations, h, qi, q, &nq, &quality, &image, why,
				sizeof(why))) {
			fprintf(stderr, "doppel: query: %s: %s\n", argv[a], why);
			rc = EXIT_FAIL;
			continue;
		}
		if (quality >= 0 && quality < qmin)
			fprintf(stderr, "doppel: query: %s: PDQ quality %d is under %d: matches are "
				"not meaningful\n", argv[a], quality, qmin);
		if (image && verify)
			vq = t.dhash ? qi->row.hashes.dhash : qi->row.hashes.phash;
		for (int v = 0; v < nq; v++)
			if (dp_brute_query(ecodes, nwords, ids, nids, q[v], (uint32_t)v,
					   image && align ? align : maxd, &hits)) {
				fprintf(stderr, "doppel: out of memory\n");
				rc = EXIT_FAIL;
				break;
			}
		/*
		 * Best hash and variant per row (slot[row]: its place in best, + 1):
		 * a match before one to check, then the least distance. Entries of
		 * low information match within maxd when the second hash agrees
		 * within cluster's default verify distance, else are checked; only
		 * image queries have them.
		 */
		for (size_t k = 0; k < hits.n; k++) {
			uint32_t e = hits.v[k].j, row = erow[e];
			struct match x = { row, hits.v[k].d, (int)hits.v[k].i, 0, hits.v[k].d > (unsigned)maxd };
			size_t m = slot[row] ? slot[row] - 1 : nb;

			if (elow[e] && !image)
				continue;
			if (elow[e] && !x.check)
				x.check = (int)dp_hamming64(vq, verify[row]) > co.verify_distance;
			if (m == nb) {
				slot[row] = (uint32_t)nb + 1;
				best[nb++] = x;
			} else if (x.check < best[m].check || (x.check == best[m].check && x.d < best[m].d)) {
				best[m] = x;
			}
		}
		if (image && crop)
			nb = add_crop_matches(&t, qi->row.hashes.thumb, q[0], crops, crop_info, crop, best,
					      nb, slot);
		for (size_t m = 0; m < nb; m++)
			slot[best[m].row] = 0;
		if (image && align_matches(&t, align ? qi->row.hashes.thumb : NULL, work, best, &nb,
					   &naligned, &thumbs, &err) != 0) {
			dp_pairs_free(&hits);
			rc = dp_cli_fail(&err);
			break;
		}
		qsort(best, nb, sizeof(*best), cmp_match);
		if (!json && image && align)
			printf("# %s: %zu within %d, %zu more aligned as copies within %d%s\n", argv[a],
			       nb - naligned, maxd, naligned, align, crop ? " or by their crop codes" : "");
		else if (!json)
			printf("# %s: %zu within %d\n", argv[a], nb, maxd);
		for (size_t m = 0; m < nb; m++)
			print_match(&t, argv[a], &best[m], json);
		dp_pairs_free(&hits);
	}
out:
	doppel_hasher_free(h);
	if (qi)
		dp_worker_free(qi->w);
	free(qi);
	free(work);
	free(thumbs);
	free(best);
	free(slot);
	free(ids);
	free(erow);
	free(elow);
	free(ecodes);
	free(codes);
	free(crops);
	free(crop_info);
	dp_table_free(&t);
	return rc;
}

/* ---- export ------------------------------------------------------------------ */

struct export {
	const struct dp_table *t;
	struct dp_clusters_read *cl;
	size_t ncl;
};

static void file_hashes(const struct dp_table *t, size_t i, char pdq[65], char ph[17],
			char dh[17], char ah[17])
{
	pdq[0] = ph[0] = dh[0] = ah[0] = '\0';
	if (t->status[i] != DP_ST_OK)
		return;
	if (t->pdq)
		hex_bytes(pdq, t->pdq[i], 32);
	if (t->phash)
		sprintf(ph, "%016llx", (unsigned long long)t->phash[i]);
	if (t->dhash)
		sprintf(dh, "%016llx", (unsigned long long)t->dhash[i]);
	if (t->ahash)
		sprintf(ah, "%016llx", (unsigned long long)t->ahash[i]);
}

static int export_csv(const struct export *e, const char *dir)
{
	const struct dp_table *t = e->t;
	char *p1 = NULL, *p2 = NULL, *p3 = NULL;
	FILE *f = NULL, *g = NULL, *pf = NULL;
	int ok = 0;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "doppel: export: cannot create %s: %s\n", dir, strerror(errno));
		return EXIT_FAIL;
	}
	if (asprintf(&p1, "%s/files.csv", dir) < 0 || asprintf(&p2, "%s/groups.csv", dir) < 0 ||
	    asprintf(&p3, "%s/pairs.csv", dir) < 0)
		goto out;
	f = fopen(p1, "w");
	g = fopen(p2, "w");
	pf = fopen(p3, "w");
	if (!f || !g || !pf) {
		fprintf(stderr, "doppel: export: cannot write in %s: %s\n", dir, strerror(errno));
		goto out;
	}
	fputs("row,path,size,sha256,status,format,width,height,capture_time,camera_make,"
	      "camera_model,camera_serial,pdq,pdq_quality,phash,dhash,ahash", f);
	for (size_t k = 0; k < e->ncl; k++)
		fprintf(f, ",%s.label,%s.shot,%s.exact,%s.keeper,%s.keeper_distance",
			e->cl[k].name, e->cl[k].name, e->cl[k].name, e->cl[k].name, e->cl[k].name);
	fputc('\n', f);
	for (size_t i = 0; i < t->n; i++) {
		char sha[65], pdq[65], ph[17], dh[17], ah[17];

		hex_bytes(sha, t->sha256[i], 32);
		file_hashes(t, i, pdq, ph, dh, ah);
		fprintf(f, "%zu,", i);
		csv_str(f, t->path[i]);
		fprintf(f, ",%llu,%s,%s,", (unsigned long long)t->size[i], sha,
			dp_file_status_name(t->status[i]));
		csv_str(f, t->format[i]);
		fprintf(f, ",%u,%u,", t->width[i], t->height[i]);
		csv_str(f, t->capture_time[i]);
		fputc(',', f);
		csv_str(f, t->camera_make[i]);
		fputc(',', f);
		csv_str(f, t->camera_model[i]);
		fputc(',', f);
		csv_str(f, t->camera_serial[i]);
		fprintf(f, ",%s,", pdq);
		if (pdq[0])
			fprintf(f, "%u", t->pdq_quality[i]);
		fprintf(f, ",%s,%s,%s", ph, dh, ah);
		for (size_t k = 0; k < e->ncl; k++) {
			const struct dp_clusters *c = &e->cl[k].c;

			fprintf(f, ",%lld,%lld,%lld,%d,%d", (long long)c->label[i], (long long)c->shot[i],
				(long long)c->exact[i], (c->flags[i] & DP_CF_KEEPER) ? 1 : 0,
				c->keeper_distance[i]);
		}
		fputc('\n', f);
	}
	fputs("clustering,level,label,size,keeper_row,keeper_path\n", g);
	fputs("clustering,i,j,distance,match,path_i,path_j\n", pf);
	for (size_t k = 0; k < e->ncl; k++) {
		const struct dp_clusters *c = &e->cl[k].c;

		for (size_t l = 0; l < c->ngroups; l++) {
			fprintf(g, "%s,%s,%zu,%lld,%lld,", e->cl[k].name, e->cl[k].level, l,
				(long long)c->group_size[l], (long long)c->group_keeper[l]);
			csv_str(g, t->path[c->group_keeper[l]]);
			fputc('\n', g);
		}
		for (size_t p = 0; p < c->pairs.n; p++) {
			fprintf(pf, "%s,%u,%u,%u,%s,", e->cl[k].name, c->pairs.v[p].i, c->pairs.v[p].j,
				c->pairs.v[p].d, pair_match(c, p));
			csv_str(pf, t->path[c->pairs.v[p].i]);
			fputc(',', pf);
			csv_str(pf, t->path[c->pairs.v[p].j]);
			fputc('\n', pf);
		}
	}
	ok = 1;
out:
	if (f && fclose(f) != 0)
		ok = 0;
	if (g && fclose(g) != 0)
		ok = 0;
	if (pf && fclose(pf) != 0)
		ok = 0;
	free(p1);
	free(p2);
	free(p3);
	return ok ? EXIT_OK : EXIT_FAIL;
}

static int export_jsonl(const struct export *e, const char *out)
{
	const struct dp_table *t = e->t;
	FILE *f = strcmp(out, "-") ? fopen(out, "w") : stdout;

	if (!f) {
		fprintf(stderr, "doppel: export: cannot write %s: %s\n", out, strerror(errno));
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < t->n; i++) {
		char sha[65], pdq[65], ph[17], dh[17], ah[17];

		hex_bytes(sha, t->sha256[i], 32);
		file_hashes(t, i, pdq, ph, dh, ah);
		fprintf(f, "{\"type\":\"file\",\"row\":%zu,\"path\":", i);
		json_str(f, t->path[i]);
		fprintf(f, ",\"size\":%llu,\"sha256\":\"%s\",\"status\":\"%s\",\"format\":",
			(unsigned long long)t->size[i], sha, dp_file_status_name(t->status[i]));
		json_str(f, t->format[i]);
		fprintf(f, ",\"width\":%u,\"height\":%u,\"capture_time\":", t->width[i], t->height[i]);
		json_str(f, t->capture_time[i]);
		fputs(",\"camera_make\":", f);
		json_str(f, t->camera_make[i]);
		fputs(",\"camera_model\":", f);
		json_str(f, t->camera_model[i]);
		fputs(",\"camera_serial\":", f);
		json_str(f, t->camera_serial[i]);
		if (pdq[0])
			fprintf(f, ",\"pdq\":\"%s\",\"pdq_quality\":%u", pdq, t->pdq_quality[i]);
		if (ph[0])
			fprintf(f, ",\"phash\":\"%s\"", ph);
		if (dh[0])
			fprintf(f, ",\"dhash\":\"%s\"", dh);
		if (ah[0])
			fprintf(f, ",\"ahash\":\"%s\"", ah);
		fputs(",\"clusters\":{", f);
		for (size_t k = 0; k < e->ncl; k++) {
			const struct dp_clusters *c = &e->cl[k].c;

			fprintf(f, "%s\"%s\":{\"label\":%lld,\"shot\":%lld,\"exact\":%lld,\"keeper\":%s,"
				"\"keeper_distance\":%d}", k ? "," : "", e->cl[k].name,
				(long long)c->label[i], (long long)c->shot[i], (long long)c->exact[i],
				(c->flags[i] & DP_CF_KEEPER) ? "true" : "false", c->keeper_distance[i]);
		}
		fputs("}}\n", f);
	}
	for (size_t k = 0; k < e->ncl; k++) {
		const struct dp_clusters *c = &e->cl[k].c;

		for (size_t l = 0; l < c->ngroups; l++) {
			fprintf(f, "{\"type\":\"group\",\"clustering\":\"%s\",\"level\":\"%s\",\"label\":%zu,"
				"\"size\":%lld,\"keeper\":%lld,\"keeper_path\":", e->cl[k].name,
				e->cl[k].level, l, (long long)c->group_size[l],
				(long long)c->group_keeper[l]);
			json_str(f, t->path[c->group_keeper[l]]);
			fputs("}\n", f);
		}
		for (size_t p = 0; p < c->pairs.n; p++)
			fprintf(f, "{\"type\":\"pair\",\"clustering\":\"%s\",\"i\":%u,\"j\":%u,"
				"\"distance\":%u,\"match\":\"%s\"}\n", e->cl[k].name, c->pairs.v[p].i,
				c->pairs.v[p].j, c->pairs.v[p].d, pair_match(c, p));
	}
	if (f != stdout ? fclose(f) != 0 : fflush(f) != 0) {
		fprintf(stderr, "doppel: export: cannot write %s: %s\n", out, strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int dp_cli_export(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "csv", required_argument, NULL, O_CSV },
		{ "jsonl", required_argument, NULL, O_JSONL },
		{ "name", required_argument, NULL, O_NAME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *csv = NULL, *jsonl = NULL, *name = NULL;
	struct export e = { 0 };
	struct dp_table t;
	struct dp_err err;
	char **names = NULL;
	size_t nnames = 0;
	int ch, rc = EXIT_OK;

	dp_err_clear(&err);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_CSV: csv = optarg; break;
		case O_JSONL: jsonl = optarg; break;
		case O_NAME: name = optarg; break;
		case 'h': fputs(dp_cli_usage_export, stdout); return EXIT_OK;
		default: return dp_cli_usage_error("export: see 'doppel help export'");
		}
	}
	if (optind != argc - 1 || (!csv == !jsonl))
		return dp_cli_usage_error("export: give one result file and one of --csv DIR or --jsonl OUT");
	if (dp_table_load(argv[optind], "export", &t, &err))
		return dp_cli_fail(&err);
	if (name) {
		names = malloc(sizeof(char *));
		if (names && (names[0] = strdup(name)))
			nnames = 1;
	} else if (dp_clusters_names(argv[optind], &names, &nnames, &err)) {
		dp_table_free(&t);
		return dp_cli_fail(&err);
	}
	e.t = &t;
	e.cl = calloc(nnames ? nnames : 1, sizeof(*e.cl));
	for (size_t k = 0; e.cl && k < nnames && rc == EXIT_OK; k++, e.ncl++)
		if (dp_clusters_load(argv[optind], names[k], t.n, &e.cl[k], &err))
			rc = dp_cli_fail(&err);
	if (!e.cl)
		rc = EXIT_FAIL;
	if (rc == EXIT_OK)
		rc = csv ? export_csv(&e, csv) : export_jsonl(&e, jsonl);
	for (size_t k = 0; k < e.ncl; k++)
		dp_clusters_free(&e.cl[k].c);
	for (size_t k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	free(e.cl);
	dp_table_free(&t);
	return rc;
}

/* ---- verify ------------------------------------------------------------------ */

const char dp_cli_usage_verify[] =
	"usage: doppel verify FILE.h5 [--json] [-q]\n"
	"\n"
	"Read every file listed in FILE.h5 again (read-only) and compare its size and\n"
	"SHA-256 with what the scan recorded. Prints one line per file that changed,\n"
	"is missing now, or only has a new mtime (status, path, what differs), then a\n"
	"summary. Relative paths are relative to the folder the scan ran in.\n"
	"\n"
	"options:\n"
	"      --json               one JSON object per listed file and line\n"
	"  -q, --quiet              no summary\n"
	"\n"
	"exit status: 0 every file that was read by the scan is unchanged, 1 some file\n"
	"changed or is missing (or FILE.h5 is missing, foreign or damaged), 2 wrong\n"
	"arguments.\n";

int dp_cli_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	size_t count[DP_V_COUNT] = { 0 };
	struct dp_reader *rd;
	struct dp_table t;
	struct dp_err err;
	int json = 0, quiet = 0, ch;

	dp_err_clear(&err);
	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (ch) {
		case O_JSON: json = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(dp_cli_usage_verify, stdout); return EXIT_OK;
		default: return dp_cli_usage_error("verify: see 'doppel help verify'");
		}
	}
	if (optind != argc - 1)
		return dp_cli_usage_error("verify: give exactly one result file (doppel verify FILE.h5)");
	if (dp_table_load(argv[optind], "verify", &t, &err))
		return dp_cli_fail(&err);
	rd = dp_reader_new();
	if (!rd) {
		dp_table_free(&t);
		fprintf(stderr, "doppel: out of memory\n");
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < t.n; i++) {
		struct dp_verify_row v;

		dp_verify_row(rd, &t, i, &v);
		count[v.result]++;
		if (v.result == DP_V_SAME || v.result == DP_V_NOT_READ)
			continue;
		if (json) {
			printf("{\"result\":\"%s\",\"row\":%zu,\"path\":", dp_verify_result_name(v.result), i);
			json_str(stdout, t.path[i]);
			fputs(",\"message\":", stdout);
			json_str(stdout, v.message);
			puts("}");
		} else {
			printf("%s\t", dp_verify_result_name(v.result));
			fputs(t.path[i], stdout);
			printf("\t%s\n", v.message);
		}
	}
	if (!quiet)
		fprintf(stderr, "doppel: verify: %zu files: %zu unchanged, %zu changed, %zu missing, "
			"%zu with only a new mtime, %zu never read by the scan\n", t.n,
			count[DP_V_SAME], count[DP_V_CHANGED], count[DP_V_MISSING],
			count[DP_V_TOUCHED], count[DP_V_NOT_READ]);
	dp_reader_free(rd);
	dp_table_free(&t);
	return count[DP_V_CHANGED] || count[DP_V_MISSING] ? EXIT_FAIL : EXIT_OK;
}
