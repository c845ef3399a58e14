/* src/report.c - the static HTML report (see report.h).
 *
 * Layout of DIR: index.html (+ index-2.html ...), g/<label>.html per group
 * of two or more files, errors.html (+ errors-2.html ...), style.css,
 * thumbs/<sha256>.jpg. Pages are written to a temporary name and renamed.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clusters_h5.h"
#include "readfile.h"
#include "stale.h"
#include "status.h"
#include "table.h"
#include "utf8.h"

#define MINI_THUMBS 8           /* thumbnails per group on the index */

struct rep {
	const struct dp_table *t;
	const struct dp_clusters_read *cr;
	const struct dp_report_opts *o;
	const char *dir;
	char **thumb;               /* per row: "thumbs/<hex>.jpg", or NULL */
	const char **why;           /* per row without a thumbnail: the reason */
	size_t *start, *rows;       /* rows of label g: rows[start[g] .. start[g+1]) */
	size_t *order, norder;      /* labels with >= 2 rows, largest first */
	uint8_t *how;               /* per row: 1 << enum dp_pair_match of its pairs inside its group */
	struct dp_thumb_job *jobs;  /* one per distinct SHA-256 shown (thumb, why point here) */
	char **outs;                /* their thumbnail paths */
	size_t njobs;
	struct dp_report_stats *st;
	struct dp_err *err;
};

void dp_report_opts_default(struct dp_report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->name = "shot";
	o->blur = 1;
	o->groups_per_page = 50;
	o->rows_per_page = 500;
}

/* ---- text ------------------------------------------------------------------ */

/* Data as HTML text: markup characters escaped, control characters and
 * bytes that are not UTF-8 shown as visible escapes. */
static void put_text(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = dp_utf8_len(p);

		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			if (*p == '\n')
				fputs("<span class=\"esc\">\\n</span>", f);
			else if (*p == '\t')
				fputs("<span class=\"esc\">\\t</span>", f);
			else
				fprintf(f, "<span class=\"esc\">\\x%02X</span>", *p);
			p++;
			continue;
		}
		switch (*p) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fwrite(p, 1, n, f); break;
		}
		p += n;
	}
}

static void put_count(FILE *f, uint64_t v)
{
	char d[32];
	int n = snprintf(d, sizeof(d), "%" PRIu64, v);

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			fputs(",", f);
		fputc(d[i], f);
	}
}

/* ---- files ------------------------------------------------------------------ */

struct page {
	FILE *f;
	char *path, *tmp;
};

static int page_open(struct rep *r, struct page *pg, const char *name, const char *title,
		     const char *up)
{
	pg->f = NULL;
	pg->tmp = NULL;
	if (asprintf(&pg->path, "%s/%s", r->dir, name) < 0) {
		pg->path = NULL;
		return dp_err_set(r->err, DP_E_NOMEM, "report: out of memory");
	}
	if (asprintf(&pg->tmp, "%s.tmp-%ld", pg->path, (long)getpid()) < 0) {
		pg->tmp = NULL;
		free(pg->path);
		return dp_err_set(r->err, DP_E_NOMEM, "report: out of memory");
	}
	pg->f = fopen(pg->tmp, "w");
	if (!pg->f) {
		int rc = dp_err_set(r->err, DP_E_IO, "report: %s: %s", pg->tmp, strerror(errno));

		free(pg->path);
		free(pg->tmp);
		return rc;
	}
	fprintf(pg->f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"img-src 'self' file:; style-src 'self' file:\">\n"
		"<meta name=\"referrer\" content=\"no-referrer\">\n"
		"<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
	put_text(pg->f, title);
	fprintf(pg->f, "</title>\n<link rel=\"stylesheet\" href=\"%sstyle.css\">\n</head>\n"
		"<body class=\"%s\">\n", up, r->o->blur ? "blur" : "clear");
	return 0;
}

static int page_close(struct rep *r, struct page *pg)
{
	int bad;

	fputs("</body></html>\n", pg->f);
	bad = ferror(pg->f);
	bad |= fclose(pg->f) != 0;
	if (!bad && rename(pg->tmp, pg->path) != 0)
		bad = 1;
	if (bad) {
		dp_err_set(r->err, DP_E_IO, "report: cannot write %s: %s", pg->path, strerror(errno));
		unlink(pg->tmp);
	}
	free(pg->path);
	free(pg->tmp);
	r->st->pages += !bad;
	return bad ? DP_E_IO : 0;
}

static const char style_css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}\n"
	"h1{font-size:1.4em}h2{font-size:1.1em;margin:.2em 0}\n"
	"nav{margin:1em 0}nav a{margin-right:1em}\n"
	"table.counts td{padding:.1em 1em .1em 0}\n"
	".group{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.6em;margin:.8em 0}\n"
	".shot{border-left:4px solid #8ab;padding-left:.6em;margin:.6em 0}\n"
	".strip,.grid{display:flex;flex-wrap:wrap;gap:.6em}\n"
	".card{margin:0;width:260px;background:#fff;border:1px solid #ccc;border-radius:4px;"
	"padding:4px;overflow-wrap:anywhere}\n"
	".card.keeper{border:3px solid #2a7}\n"
	".badge{background:#2a7;color:#fff;border-radius:3px;padding:0 .4em;font-size:.85em}\n"
	".thumb{display:block;position:relative;cursor:pointer;overflow:hidden;text-align:center}\n"
	".thumb input{position:absolute;opacity:0;left:0;top:0}\n"
	".thumb img{max-width:256px;max-height:256px;display:inline-block}\n"
	".strip .thumb img{max-width:96px;max-height:96px}\n"
	".blur .thumb input:not(:checked)+img{filter:blur(14px)}\n"
	".thumb input:focus-visible+img{outline:2px solid #36c}\n"
	".nothumb{width:256px;height:64px;background:#eee;color:#666;display:flex;"
	"align-items:center;justify-content:center;font-size:.9em}\n"
	".path{font-family:ui-monospace,monospace;font-size:.85em}\n"
	".sha{font-family:ui-monospace,monospace;font-size:.75em}\n"
	"dl{display:grid;grid-template-columns:auto 1fr;gap:0 .6em;margin:.3em 0}dt{color:#666}\n"
	"dd{margin:0}.esc{color:#b00;background:#fee}\n"
	"table.errors{border-collapse:collapse}table.errors td{border-top:1px solid #ddd;"
	"padding:.2em .6em;vertical-align:top}\n"
	".note{color:#555}\n";

static int write_style(struct rep *r)
{
	char *path;
	FILE *f;
	int rc = 0;

	if (asprintf(&path, "%s/style.css", r->dir) < 0)
		return dp_err_set(r->err, DP_E_NOMEM, "report: out of memory");
	f = fopen(path, "w");
	if (!f || fputs(style_css, f) < 0 || fclose(f) != 0) {
		rc = dp_err_set(r->err, DP_E_IO, "report: cannot write %s: %s", path, strerror(errno));
		if (f)
			fclose(f);
	}
	free(path);
	return rc;
}

/* ---- pieces of pages ---------------------------------------------------------- */

static void put_thumb(struct rep *r, FILE *f, size_t row, const char *up)
{
	if (r->thumb[row]) {
		fprintf(f, "<label class=\"thumb\" title=\"click to reveal or hide\">"
			"<input type=\"checkbox\" aria-label=\"reveal row %zu\">"
			"<img src=\"%s%s\" alt=\"row %zu\" loading=\"lazy\"></label>\n",
			row, up, r->thumb[row], row);
		return;
	}
	fputs("<div class=\"nothumb\">no preview: ", f);
	put_text(f, r->why[row] ? r->why[row] : dp_file_status_name(r->t->status[row]));
	fputs("</div>\n", f);
}

static void put_card(struct rep *r, FILE *f, size_t row, int64_t keeper)
{
	const struct dp_table *t = r->t;
	char hex[65];
	int16_t kd = r->cr->c.keeper_distance[row];
	/* Tied only by aligned thumbnails or its capture instant (no hash pair
	 * inside the group): say how. */
	const char *how = r->how[row] & (1u << DP_MATCH_HASH) ? NULL :
			  r->how[row] & (1u << DP_MATCH_INSTANT) ? "instant" :
			  r->how[row] & (1u << DP_MATCH_COPY) ? "copy" :
			  r->how[row] & (1u << DP_MATCH_SCENE) ? "scene" : NULL;

	dp_sha256_hex(t->sha256[row], hex);
	fprintf(f, "<figure class=\"card%s\" data-row=\"%zu\"%s%s%s>\n", (int64_t)row == keeper ?
		" keeper" : "", row, how ? " data-match=\"" : "", how ? how : "", how ? "\"" : "");
	put_thumb(r, f, row, "../");
	fputs("<figcaption><div class=\"path\">", f);
	put_text(f, t->path[row]);
	fputs("</div><dl>", f);
	if ((int64_t)row == keeper)
		fputs("<dt>keeper</dt><dd><span class=\"badge\">best copy</span></dd>", f);
	else if (kd >= 0)
		fprintf(f, "<dt>distance</dt><dd>%d from the keeper</dd>", kd);
	if (how)
		fprintf(f, "<dt>matched</dt><dd>%s</dd>",
			how[0] == 'i' ? "same camera and capture instant: one exposure" :
			how[0] == 'c' ? "thumbnails align: a crop or rescale" :
					"thumbnails align: the same scene, camera moved");
	fputs("<dt>size</dt><dd>", f);
	put_count(f, t->size[row]);
	fprintf(f, " bytes</dd><dt>pixels</dt><dd>%" PRIu32 " &times; %" PRIu32 "</dd>"
		"<dt>format</dt><dd>", t->width[row], t->height[row]);
	put_text(f, t->format[row]);
	fputs("</dd>", f);
	if (t->capture_time[row][0]) {
		fputs("<dt>captured</dt><dd>", f);
		put_text(f, t->capture_time[row]);
		fputs("</dd>", f);
	}
	fprintf(f, "<dt>SHA-256</dt><dd class=\"sha\">%s</dd></dl></figcaption></figure>\n", hex);
}

/* The name of page p (0-based) of a paged list: base.html, base-2.html ... */
static void page_name(char *out, size_t n, const char *base, size_t p)
{
	if (p == 0)
		snprintf(out, n, "%s.html", base);
	else
		snprintf(out, n, "%s-%zu.html", base, p + 1);
}

/* Links to the pages base.html, base-2.html ... (none when there is one). */
static void put_pager(FILE *f, const char *up, const char *base, size_t npages, size_t page)
{
	for (size_t p = 0; npages > 1 && p < npages; p++) {
		char name[64];

		page_name(name, sizeof(name), base, p);
		if (p == page)
			fprintf(f, "<strong>%zu</strong> ", p + 1);
		else
			fprintf(f, "<a href=\"%s%s\">%zu</a> ", up, name, p + 1);
	}
}

static void put_nav(FILE *f, const char *up, size_t npages, size_t page)
{
	fprintf(f, "<nav><a href=\"%sindex.html\">groups</a><a href=\"%serrors.html\">errors</a>",
		up, up);
	put_pager(f, up, "index", npages, page);
	fputs("</nav>\n", f);
}

static size_t group_rows(const struct rep *r, size_t g, const size_t **rows)
{
	*rows = r->rows + r->start[g];
	return r->start[g + 1] - r->start[g];
}

/* ---- the index ------------------------------------------------------------------ */

static void put_counts(struct rep *r, FILE *f)
{
	const struct dp_clusters *c = &r->cr->c;
	size_t multi_files = 0, shots_multi = 0, exact_groups = 0, exact_files = 0;
	size_t *cnt = calloc(c->n + 1, sizeof(*cnt));

	for (size_t k = 0; k < r->norder; k++)
		multi_files += (size_t)c->group_size[r->order[k]];
	/* shot groups with two or more files (shot labels are row numbers or less) */
	for (size_t i = 0; cnt && i < c->n; i++)
		if (c->shot[i] >= 0 && (size_t)c->shot[i] < c->n)
			cnt[c->shot[i]]++;
	for (size_t i = 0; cnt && i < c->n; i++)
		shots_multi += cnt[i] >= 2;
	/* exact-duplicate groups (labels are row numbers or less) and their files */
	for (size_t i = 0; cnt && i < c->n; i++)
		cnt[i] = 0;
	for (size_t i = 0; cnt && i < c->n; i++)
		if (c->exact[i] >= 0 && (size_t)c->exact[i] < c->n)
			cnt[c->exact[i]]++;
	for (size_t i = 0; cnt && i < c->n; i++) {
		exact_groups += cnt[i] >= 2;
		exact_files += cnt[i] >= 2 ? cnt[i] : 0;
	}
	free(cnt);
	fputs("<table class=\"counts\">\n<tr><td>files</td><td>", f);
	put_count(f, r->t->n);
	fputs("</td></tr>\n<tr><td>exact duplicates (same SHA-256)</td><td>", f);
	put_count(f, exact_files);
	fputs(" files in ", f);
	put_count(f, exact_groups);
	fputs(" groups</td></tr>\n<tr><td>shot groups (copies of one photo)</td><td>", f);
	put_count(f, shots_multi);
	fputs(" with two or more files</td></tr>\n", f);
	fprintf(f, "<tr><td>%s groups in this report</td><td>", r->cr->level);
	put_count(f, r->norder);
	fputs(" with two or more files (", f);
	put_count(f, multi_files);
	fputs(" files)</td></tr>\n<tr><td>errors (not read or not decoded)</td><td>"
	      "<a href=\"errors.html\">", f);
	put_count(f, r->st->errors);
	fputs("</a></td></tr>\n</table>\n", f);
}

static int write_index(struct rep *r)
{
	size_t per = r->o->groups_per_page, npages = (r->norder + per - 1) / per;

	if (npages == 0)
		npages = 1;
	for (size_t p = 0; p < npages; p++) {
		struct page pg;
		char name[64];

		page_name(name, sizeof(name), "index", p);
		if (page_open(r, &pg, name, "doppel report", ""))
			return r->err->code;
		fputs("<h1>doppel report: ", pg.f);
		put_text(pg.f, r->cr->name);
		fputs("</h1>\n", pg.f);
		put_counts(r, pg.f);
		if (r->o->blur)
			fputs("<p class=\"note\">Pictures are blurred: click one to reveal it, again to "
			      "hide it.</p>\n", pg.f);
		put_nav(pg.f, "", npages, p);
		if (r->norder == 0)
			fputs("<p>No group holds two or more files.</p>\n", pg.f);
		for (size_t k = p * per; k < r->norder && k < (p + 1) * per; k++) {
			size_t g = r->order[k];
			const size_t *rows;
			size_t n = group_rows(r, g, &rows);

			fprintf(pg.f, "<section class=\"group\" data-group=\"%zu\"><h2><a href=\"g/%zu.html\">"
				"group %zu</a> &middot; %zu files</h2>\n<div class=\"strip\">\n", g, g, g, n);
			for (size_t m = 0; m < n && m < MINI_THUMBS; m++)
				put_thumb(r, pg.f, rows[m], "");
			fputs("</div></section>\n", pg.f);
		}
		put_nav(pg.f, "", npages, p);
		if (page_close(r, &pg))
			return r->err->code;
	}
	return 0;
}

/* ---- group pages --------------------------------------------------------------- */

/* Within a group page: by shot group, the keeper first, then by row. */
struct shot_order {
	const int64_t *shot;
	size_t keeper;
};

static int cmp_shot(const void *a, const void *b, void *ctx)
{
	const struct shot_order *so = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (so->shot[x] != so->shot[y])
		return so->shot[x] < so->shot[y] ? -1 : 1;
	if ((x == so->keeper) != (y == so->keeper))
		return x == so->keeper ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int write_group(struct rep *r, size_t g)
{
	const struct dp_clusters *c = &r->cr->c;
	const size_t *rows0;
	size_t n = group_rows(r, g, &rows0);
	size_t *rows = malloc(n * sizeof(*rows));
	int64_t keeper = c->group_keeper[g];
	int scene = !strcmp(r->cr->level, "scene");
	struct page pg;
	char name[64], title[96];

	if (!rows)
		return dp_err_set(r->err, DP_E_NOMEM, "report: out of memory");
	struct shot_order so = { c->shot, (size_t)keeper };

	memcpy(rows, rows0, n * sizeof(*rows));
	qsort_r(rows, n, sizeof(*rows), cmp_shot, &so);
	snprintf(name, sizeof(name), "g/%zu.html", g);
	snprintf(title, sizeof(title), "doppel: %.15s group %zu", r->cr->level, g);
	if (page_open(r, &pg, name, title, "../")) {
		free(rows);
		return r->err->code;
	}
	put_nav(pg.f, "../", 1, 0);
	fprintf(pg.f, "<section class=\"group\" data-group=\"%zu\"><h1>%s group %zu &middot; %zu files</h1>\n",
		g, r->cr->level, g, n);
	if (r->o->blur)
		fputs("<p class=\"note\">Pictures are blurred: click one to reveal it.</p>\n", pg.f);
	for (size_t k = 0; k < n;) {
		size_t e = k + 1;

		while (e < n && c->shot[rows[e]] == c->shot[rows[k]])
			e++;
		if (scene)
			fprintf(pg.f, "<section class=\"shot\" data-shot=\"%" PRId64 "\"><h2>shot %" PRId64
				" &middot; %zu files</h2>\n", c->shot[rows[k]], c->shot[rows[k]], e - k);
		fputs("<div class=\"grid\">\n", pg.f);
		for (size_t m = k; m < e; m++)
			put_card(r, pg.f, rows[m], keeper);
		fputs("</div>\n", pg.f);
		if (scene)
			fputs("</section>\n", pg.f);
		k = e;
	}
	fputs("</section>\n", pg.f);
	free(rows);
	return page_close(r, &pg);
}

/* ---- error pages ------------------------------------------------------------------ */

static int write_errors(struct rep *r)
{
	const struct dp_table *t = r->t;
	size_t per = r->o->rows_per_page, npages = (r->st->errors + per - 1) / per, i = 0;

	if (npages == 0)
		npages = 1;
	for (size_t p = 0; p < npages; p++) {
		struct page pg;
		char name[64];
		size_t shown = 0;

		page_name(name, sizeof(name), "errors", p);
		if (page_open(r, &pg, name, "doppel: files not read or not decoded", ""))
			return r->err->code;
		fputs("<nav><a href=\"index.html\">groups</a>", pg.f);
		put_pager(pg.f, "", "errors", npages, p);
		fputs("</nav>\n<h1>Files not read or not decoded</h1>\n", pg.f);
		if (r->st->errors == 0)
			fputs("<p>None: every file was read and hashed.</p>\n", pg.f);
		else
			fputs("<table class=\"errors\"><tr><th>path</th><th>status</th><th>cause</th></tr>\n",
			      pg.f);
		for (; i < t->n && shown < per; i++) {
			if (t->status[i] == DP_ST_OK)
				continue;
			fprintf(pg.f, "<tr class=\"error\" data-row=\"%zu\"><td class=\"path\">", i);
			put_text(pg.f, t->path[i]);
			fprintf(pg.f, "</td><td>%s</td><td>", dp_file_status_name(t->status[i]));
			put_text(pg.f, t->message[i]);
			fputs("</td></tr>\n", pg.f);
			shown++;
		}
		if (r->st->errors)
			fputs("</table>\n", pg.f);
		if (page_close(r, &pg))
			return r->err->code;
	}
	return 0;
}

/* ---- groups and thumbnails ------------------------------------------------------- */

static int cmp_group(const void *a, const void *b, void *ctx)
{
	const int64_t *size = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (size[x] != size[y])
		return size[x] > size[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int index_groups(struct rep *r)
{
	const struct dp_clusters *c = &r->cr->c;
	size_t ng = c->ngroups, *fill;

	r->start = calloc(ng + 2, sizeof(*r->start));
	r->rows = malloc((c->n ? c->n : 1) * sizeof(*r->rows));
	r->order = malloc((ng ? ng : 1) * sizeof(*r->order));
	fill = calloc(ng + 1, sizeof(*fill));
	if (!r->start || !r->rows || !r->order || !fill) {
		free(fill);
		return dp_err_set(r->err, DP_E_NOMEM, "report: out of memory");
	}
	for (size_t i = 0; i < c->n; i++)
		if (c->label[i] >= 0 && (size_t)c->label[i] < ng)
			r->start[c->label[i] + 1]++;
	for (size_t g = 0; g < ng; g++)
		r->start[g + 1] += r->start[g];
	for (size_t i = 0; i < c->n; i++)
		if (c->label[i] >= 0 && (size_t)c->label[i] < ng)
			r->rows[r->start[c->label[i]] + fill[c->label[i]]++] = i;
	free(fill);
	for (size_t g = 0; g < ng; g++)
		if (r->start[g + 1] - r->start[g] >= 2)
			r->order[r->norder++] = g;
	qsort_r(r->order, r->norder, sizeof(*r->order), cmp_group, (void *)c->group_size);
	/* How each row is tied to its group: the kinds of its pairs inside it. */
	r->how = calloc(c->n ? c->n : 1, 1);
	if (!r->how)
		return dp_err_set(r->err, DP_E_NOMEM, "report: out of memory");
	for (size_t k = 0; k < c->pairs.n; k++) {
		uint32_t i = c->pairs.v[k].i, j = c->pairs.v[k].j;
		int m = c->pair_match ? c->pair_match[k] : DP_MATCH_HASH;

		if (i < c->n && j < c->n && c->label[i] == c->label[j] && m >= 0 && m <= DP_MATCH_INSTANT) {
			r->how[i] |= (uint8_t)(1u << m);
			r->how[j] |= (uint8_t)(1u << m);
		}
	}
	return 0;
}

static int write_pages(struct rep *r)
{
	if (write_style(r) || write_index(r))
		return r->err->code;
	for (size_t k = 0; k < r->norder; k++)
		if (write_group(r, r->order[k]))
			return r->err->code;
	return write_errors(r);
}

static int cmp_sha(const void *a, const void *b, void *ctx)
{
	const uint8_t (*sha)[32] = ctx;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int d = memcmp(sha[x], sha[y], 32);

	return d ? d : (x < y ? -1 : x > y);
}

/* One job per distinct SHA-256 among the rows shown; results to every row. */
static int make_thumbs(struct rep *r, dp_thumbs_fn thumbs)
{
	const struct dp_table *t = r->t;
	size_t n = 0, nj = 0, *rows = malloc((t->n ? t->n : 1) * sizeof(*rows));
	struct dp_thumb_job *jobs;
	char **outs;
	int rc = 0;

	if (!rows)
		return dp_err_set(r->err, DP_E_NOMEM, "report: out of memory");
	for (size_t k = 0; k < r->norder; k++) {
		const size_t *gr;
		size_t m = group_rows(r, r->order[k], &gr);

		for (size_t j = 0; j < m; j++)
			if (t->status[gr[j]] == DP_ST_OK)
				rows[n++] = gr[j];
	}
	qsort_r(rows, n, sizeof(*rows), cmp_sha, (void *)t->sha256);
	jobs = r->jobs = calloc(n ? n : 1, sizeof(*jobs));
	outs = r->outs = calloc(n ? n : 1, sizeof(*outs));
	if (!jobs || !outs) {
		rc = dp_err_set(r->err, DP_E_NOMEM, "report: out of memory");
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		char hex[65];

		if (k && !memcmp(t->sha256[rows[k]], t->sha256[rows[k - 1]], 32))
			continue;
		dp_sha256_hex(t->sha256[rows[k]], hex);
		if (asprintf(&outs[nj], "%s/thumbs/%s.jpg", r->dir, hex) < 0) {
			outs[nj] = NULL;
			rc = dp_err_set(r->err, DP_E_NOMEM, "report: out of memory");
			goto out;
		}
		jobs[nj] = (struct dp_thumb_job){ .path = t->path[rows[k]], .sha256 = t->sha256[rows[k]],
						  .out = outs[nj] };
		r->njobs = ++nj;
	}
	rc = thumbs(jobs, nj, r->o->threads, r->err);
	for (size_t k = 0, j = 0; rc == 0 && k < n; k++) {
		struct dp_thumb_job *jb;

		if (k && memcmp(t->sha256[rows[k]], t->sha256[rows[k - 1]], 32))
			j++;
		jb = &jobs[j];
		if (jb->result == DP_THUMB_MADE || jb->result == DP_THUMB_KEPT)
			r->thumb[rows[k]] = outs[j] + strlen(r->dir) + 1;
		else
			r->why[rows[k]] = jb->message;
	}
	for (size_t j = 0; rc == 0 && j < nj; j++) {
		r->st->thumbs_made += jobs[j].result == DP_THUMB_MADE;
		r->st->thumbs_kept += jobs[j].result == DP_THUMB_KEPT;
		r->st->thumbs_changed += jobs[j].result == DP_THUMB_CHANGED;
		r->st->thumbs_failed += jobs[j].result == DP_THUMB_FAILED;
	}
out:
	free(rows);
	return rc;
}

/* mkdir -p for one level; an existing folder is fine. */
static int make_dir(const char *dir, const char *sub, struct dp_err *err)
{
	char *p;
	int rc = 0;

	if (asprintf(&p, "%s%s%s", dir, sub[0] ? "/" : "", sub) < 0)
		return dp_err_set(err, DP_E_NOMEM, "report: out of memory");
	if (mkdir(p, 0755) != 0 && errno != EEXIST)
		rc = dp_err_set(err, DP_E_IO, "report: cannot create %s: %s", p, strerror(errno));
	free(p);
	return rc;
}

int dp_report_write(const char *h5path, const char *dir, const struct dp_report_opts *o,
		    dp_thumbs_fn thumbs, struct dp_report_stats *st, struct dp_err *err)
{
	struct dp_table t;
	struct dp_clusters_read cr;
	struct rep r = { .o = o, .dir = dir, .st = st, .err = err };
	int rc;

	memset(st, 0, sizeof(*st));
	memset(&cr, 0, sizeof(cr));
	rc = dp_table_load(h5path, "report", &t, err);
	if (rc)
		return rc;
	rc = dp_clusters_load(h5path, o->name, t.n, &cr, err);
	if (rc)
		goto out_table;
	r.t = &t;
	r.cr = &cr;
	st->files = t.n;
	for (size_t i = 0; i < t.n; i++)
		st->errors += t.status[i] != DP_ST_OK;
	r.thumb = calloc(t.n ? t.n : 1, sizeof(*r.thumb));
	r.why = calloc(t.n ? t.n : 1, sizeof(*r.why));
	if (!r.thumb || !r.why) {
		rc = dp_err_set(err, DP_E_NOMEM, "report: out of memory");
		goto out;
	}
	rc = index_groups(&r);
	if (rc == 0)
		rc = make_dir(dir, "", err);
	if (rc == 0)
		rc = make_dir(dir, "thumbs", err);
	if (rc == 0)
		rc = make_dir(dir, "g", err);
	if (rc == 0) {
		/* pages and thumbnails half-written by a report that was killed */
		const char *sub[] = { "", "/g", "/thumbs" };

		for (size_t k = 0; k < 3; k++) {
			char *p = NULL;

			if (asprintf(&p, "%s%s", dir, sub[k]) >= 0)
				dp_remove_stale_tmp(p, NULL);
			free(p);
		}
	}
	if (rc == 0) {
		st->groups = r.norder;
		for (size_t k = 0; k < r.norder; k++)
			st->group_files += r.start[r.order[k] + 1] - r.start[r.order[k]];
		rc = make_thumbs(&r, thumbs);
	}
	if (rc == 0)
		rc = write_pages(&r);
out:
	for (size_t j = 0; j < r.njobs; j++)
		free(r.outs[j]);
	free(r.outs);
	free(r.jobs);
	free(r.thumb);
	free(r.why);
	free(r.start);
	free(r.rows);
	free(r.order);
	free(r.how);
	dp_clusters_free(&cr.c);
out_table:
	dp_table_free(&t);
	return rc;
}
