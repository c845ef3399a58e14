/* tests/mkfixtures.c - deterministic test, demo and benchmark image corpus generator.
 *
 * Usage: mkfixtures tests|demo DIR [--force] [--seed S]
 *        mkfixtures bench DIR --count N [--min-mp 2] [--max-mp 5] [--seed S]
 *                   [-j THREADS] [--force]
 *
 * The project's tests make their own fixtures: nothing here reads the network
 * or any file. Every image is synthesised from a seed, so the same mode and
 * seed give byte-identical files on every run, whatever the thread count
 * (file and directory modification times are set to fixed values too;
 * symlinks, the FIFO and the chmod 000 file are recreated the same way).
 * Byte identity holds for the same build and library versions (libvips,
 * libjpeg-turbo, libpng, libwebp, libtiff, cgif/libimagequant): tests must
 * compare results with the manifest, never with stored file hashes.
 *
 * Synthesis (synth_photo): libvips makes low-resolution Perlin and Worley
 * fields (vips_perlin, vips_worley, each with its own seed); plain C mixes
 * them into a landscape-like picture (sky gradient with clouds, wavy
 * horizon, textured ground, vignette) plus a per-pixel "texture amplitude"
 * band; vips_resize scales that up 4x; vips_draw_* adds hard-edged objects
 * (shaded balls, blocks with windows, wires, a "person" per shot); a final C
 * pass (add_grain) adds value-noise texture and correlated sensor-like
 * grain whose strength follows the amplitude band. Low frequencies (what
 * perceptual hashes see) come from the fields and objects; high frequencies
 * (what JPEG entropy coding pays for: ~2.3-2.5 bits/pixel at q 88-92) from
 * texture and grain, so decode cost resembles that of real photos. The C
 * passes use a counter-based generator (splitmix64) keyed by seed and row.
 *
 * JPEG originals (q 92, 4:2:0) carry hand-built EXIF (exif_build:
 * little-endian TIFF with IFD0 Make/Model/Orientation/ExifIFD pointer and an
 * ExifIFD with ExifVersion, DateTimeOriginal, OffsetTimeOriginal,
 * SubSecTimeOriginal and BodySerialNumber) spliced in as an APP1 segment
 * right after SOI, replacing the JFIF APP0 segment libjpeg writes (camera
 * files have no JFIF). Every libvips saver runs with strip=TRUE so that only
 * our metadata is present. Copies are made from the decoded original JPEG
 * (so re-encodes carry generation loss, as real ones do).
 *
 * The tests corpus (mode_tests has the tables):
 *   originals/photo_0..6.jpg  seven photos 320x240..640x480, each its own
 *                   palette and layout; photo_6 is a second shot of photo_0's
 *                   scene (same camera, 2 s later, turned and zoomed: as far
 *                   from photo_0 in hash space as an unrelated photo)
 *   copies/         q 55 re-encode, 50% resize, 3% crop, 15% letterbox bars,
 *                   orientation 6 and 3
 *                   (stored pixels turned, EXIF says how to show them), .dat
 *                   name, greyscale, PNG, WebP q 80, TIFF (LZW), GIF (256
 *                   colours), PPM, 16-bit PNG, RGBA PNG, CMYK (Adobe) JPEG,
 *                   progressive JPEG, PNG named .jpg
 *   dup/            a byte-for-byte duplicate
 *   names/          a space; a newline and bytes FF FE; "<script>" and '\'
 *   bad/            empty, truncated at 50%, corrupt scan data, text as .jpg,
 *                   PNG header claiming 100000x100000, random bytes as .png
 *   special/        link.jpg -> ../originals/photo_5.jpg, loop -> ., FIFO
 *                   pipe.jpg, locked.jpg (valid JPEG, mode 000)
 *   manifest.tsv
 *
 * Manifest DIR/manifest.tsv: a header line, then one tab-separated line per
 * entry with the columns
 *   path kind shot transform expect width height format capture_time make
 *   model serial scene
 * path is relative to DIR and C-escaped: '\n' -> \n, '\t' -> \t,
 * '\\' -> \\, any other byte < 0x20 or >= 0x80 -> \xHH (two lowercase hex
 * digits); everything else is the raw byte. kind is original | copy | exact
 * (byte-identical to an original) | bad | special (symlinks, FIFO,
 * unreadable file: all under special/); shot is the id of the photo the
 * entry shows (-1 for none); transform is a short label (none, jpeg_q55,
 * resize50, crop3, grey, png, webp, tiff, gif, pnm, png16, rgba, cmyk,
 * orient6, orient3, progressive, dat_ext, png_as_jpg, truncated50, ...);
 * expect is ok | error | special; width/height are the pixel size as stored
 * in the file (before any EXIF orientation; for bad files what the header
 * claims, 0 when there is none); format is the content format (jpeg, png,
 * webp, tiff, gif, pnm; empty when unknown); capture_time is the ISO 8601
 * time the written EXIF implies (DateTimeOriginal + "." SubSecTimeOriginal
 * + OffsetTimeOriginal, e.g. 2012-03-15T08:07:29.25+03:00), empty when the
 * file has no EXIF, as are make, model and serial; scene groups different
 * shots of one scene (same place, camera and minute; -1 for none).
 * manifest.tsv itself is listed (kind bad, transform manifest) because a
 * scan of DIR reads it too.
 *
 * Exit status: 0 success, 1 failure (message on stderr), 2 usage error.
 *
 * SPDX-License-Identifier: MIT
 */
#define _POSIX_C_SOURCE 200809L

#include <vips/vips.h>

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#define MF_PATH_MAX 4096
#define MF_ENTRY_PATH_MAX 256
#define MF_DEFAULT_SEED 20140120u
/* Fixed modification time of generated files: 2014-05-13T16:53:20Z plus
 * one minute per manifest entry, so that scans of the corpus are
 * reproducible to the byte too. */
#define MF_MTIME_BASE 1400000000
/* Low-resolution fields are computed at 1/MF_LOWRES of the canvas size. */
#define MF_LOWRES 4
#define MF_NFIELDS 5

/* One error message; filled by the function that detects the failure. */
struct mf_err {
	char msg[1024];
};

/* A growable byte buffer (malloc-owned). */
struct blob {
	unsigned char *p;
	size_t len;
	size_t cap;
};

/* Counter-based pseudo-random generator (splitmix64). */
struct rng {
	uint64_t s;
};

/* EXIF capture metadata written into a JPEG (and into the manifest). */
struct exif_info {
	char make[32];
	char model[40];
	char serial[24];
	int orientation;        /* 1..8 */
	char datetime[20];      /* "YYYY:MM:DD HH:MM:SS" */
	char subsec[10];        /* digits, "" = tag absent */
	char offset[7];         /* "+HH:MM", "" = tag absent */
};

/* One manifest line. */
struct entry {
	char path[MF_ENTRY_PATH_MAX];   /* raw bytes, relative to DIR */
	const char *kind;
	const char *expect;
	const char *format;
	char transform[32];
	int shot;
	int scene;
	int width;
	int height;
	int has_exif;
	struct exif_info exif;
};

struct manifest {
	struct entry *v;
	size_t n;
	size_t cap;
};

/* Colour scheme of a synthetic scene (sRGB grey levels). */
struct palette {
	const char *name;
	double sky_top[3];
	double sky_bottom[3];
	double ground[3];
	double tint[3][3];      /* added per unit of field 0, 1, 2 */
	double horizon_lo;
	double horizon_hi;
	double cloudiness;
};

/* What synth_photo draws. The scene (palette, fields, objects) depends on
 * scene_seed only; grain, the "person" and the framing on shot_seed. */
struct shot_spec {
	uint64_t scene_seed;
	uint64_t shot_seed;
	int palette;            /* index into palettes[], -1 = from scene_seed */
	int width;
	int height;
	int margin_pct;         /* canvas margin around the view, % of size */
	int view_dx_pct;        /* view offset inside the margin, % of size */
	int view_dy_pct;
	double zoom;            /* view magnification (1 = none) */
};

/* Kinds of copies that make_copy() derives from an original. */
enum copy_kind {
	C_EXACT, C_JPEG, C_RESIZE, C_CROP, C_GREY, C_PNG, C_WEBP, C_TIFF,
	C_GIF, C_PNM, C_PNG16, C_RGBA, C_CMYK, C_ORIENT6, C_ORIENT3,
	C_PROGRESSIVE, C_DAT, C_PNG_AS_JPG, C_LETTERBOX
};

/* A copy in a corpus description: which shot, where, how. */
struct copy_spec {
	int shot;
	const char *path;
	enum copy_kind kind;
	int param;              /* JPEG quality, resize or crop percent */
	int keep_exif;          /* splice the original's EXIF (JPEG outputs) */
};

/* An original of a corpus description. */
struct orig_spec {
	const char *path;
	struct shot_spec spec;
	int scene;
	int camera;             /* index into cameras[] */
	const char *serial;
	const char *datetime;
	const char *subsec;
	const char *offset;
};

/* An original in memory while its copies are made. */
struct photo {
	struct blob jpeg;       /* file bytes as written */
	VipsImage *pixels;      /* decoded from jpeg, metadata-free */
	struct exif_info exif;
	int scene;
	size_t entry;           /* index of its manifest entry */
};

/* Options after parsing argv. */
struct options {
	const char *mode;
	const char *dir;
	int force;
	uint64_t seed;
	long count;
	double min_mp;
	double max_mp;
	int threads;
};

static const struct palette palettes[] = {
	{ "meadow", { 60, 110, 200 }, { 185, 210, 240 }, { 75, 125, 45 },
	  { { 40, 45, -10 }, { -25, 35, 10 }, { 35, 30, 25 } }, 0.35, 0.55, 1.0 },
	{ "beach", { 25, 85, 185 }, { 160, 200, 235 }, { 205, 175, 125 },
	  { { 45, 35, 15 }, { 30, 10, -25 }, { 30, 30, 30 } }, 0.45, 0.62, 0.5 },
	{ "sunset sea", { 55, 35, 110 }, { 250, 150, 70 }, { 25, 55, 95 },
	  { { 20, 35, 60 }, { 60, 40, 10 }, { 25, 25, 25 } }, 0.50, 0.65, 0.8 },
	{ "room", { 205, 192, 170 }, { 165, 150, 128 }, { 115, 72, 40 },
	  { { 40, 25, 10 }, { 25, 20, 15 }, { 35, 22, 12 } }, 0.62, 0.78, 0.0 },
	{ "forest", { 125, 155, 115 }, { 205, 215, 175 }, { 40, 72, 30 },
	  { { 25, 65, 10 }, { 45, 30, 10 }, { 30, 40, 20 } }, 0.22, 0.38, 0.6 },
	{ "night street", { 10, 15, 42 }, { 65, 52, 95 }, { 70, 70, 76 },
	  { { 30, 30, 30 }, { 45, 32, 10 }, { 22, 22, 32 } }, 0.40, 0.55, 0.3 },
};
#define MF_NPALETTES ((int)(sizeof(palettes) / sizeof(palettes[0])))

static const struct {
	const char *make;
	const char *model;
} cameras[] = {
	{ "Canon", "Canon EOS 5D Mark II" },
	{ "NIKON CORPORATION", "NIKON D7000" },
	{ "SONY", "ILCE-7M3" },
	{ "Apple", "iPhone 6" },
	{ "samsung", "SM-G930F" },
	{ "FUJIFILM", "X-T2" },
};
#define MF_NCAMERAS ((int)(sizeof(cameras) / sizeof(cameras[0])))

/* ------------------------------------------------------------------ */
/* Errors                                                               */

/* Fill e with a formatted message; returns -1 for "return fail(...)". */
__attribute__((format(printf, 2, 3)))
static int fail(struct mf_err *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Fill e with "what: <libvips error buffer>" and clear that buffer. The
 * buffer is global across threads, so its text is only a hint. */
static int fail_vips(struct mf_err *e, const char *what)
{
	const char *cause = vips_error_buffer();
	size_t n = strlen(cause);

	while (n > 0 && (cause[n - 1] == '\n' || cause[n - 1] == ' '))
		n--;
	fail(e, "%s: libvips: %.*s", what, (int)n, n ? cause : "unknown error");
	vips_error_clear();
	return -1;
}

/* Fill e with "what: path: strerror(errno)". */
static int fail_errno(struct mf_err *e, const char *what, const char *path)
{
	return fail(e, "%s: %s: %s", what, path, strerror(errno));
}

/* ------------------------------------------------------------------ */
/* Byte buffers                                                         */

/* Make room for n more bytes. */
static int blob_reserve(struct blob *b, size_t n, struct mf_err *e)
{
	size_t cap;
	unsigned char *p;

	if (n <= b->cap - b->len)
		return 0;
	if (n > SIZE_MAX / 2 - b->len)
		return fail(e, "out of memory");
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return fail(e, "out of memory (%zu bytes)", cap);
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Append n bytes from data (borrowed). */
static int blob_put(struct blob *b, const void *data, size_t n,
		    struct mf_err *e)
{
	if (blob_reserve(b, n, e))
		return -1;
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

/* Append a little-endian 16- or 32-bit value. */
static int blob_le(struct blob *b, uint32_t v, int bytes, struct mf_err *e)
{
	unsigned char t[4] = { (unsigned char)v, (unsigned char)(v >> 8),
			       (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };

	return blob_put(b, t, (size_t)bytes, e);
}

/* Append a big-endian 16- or 32-bit value. */
static int blob_be(struct blob *b, uint32_t v, int bytes, struct mf_err *e)
{
	unsigned char t[4] = { (unsigned char)(v >> 24),
			       (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	return blob_put(b, t + 4 - bytes, (size_t)bytes, e);
}

/* Append printf-formatted text. */
__attribute__((format(printf, 3, 4)))
static int blob_printf(struct blob *b, struct mf_err *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(e, "formatting failed");
	if (blob_reserve(b, (size_t)n + 1, e))
		return -1;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* Replace b's contents with a buffer that libvips returned (g_free'd here
 * whatever happens: takes ownership of data). */
static int blob_take_vips(struct blob *b, void *data, size_t len,
			  struct mf_err *e)
{
	int rc;

	b->len = 0;
	rc = blob_put(b, data, len, e);
	g_free(data);
	return rc;
}

/* Release b's memory and empty it; safe on an empty blob. */
static void blob_free(struct blob *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* Random numbers                                                       */

/* splitmix64 finaliser: a bijective 64-bit mix. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* A generator for the stream named by (seed, a, b). */
static struct rng rng_for(uint64_t seed, uint64_t a, uint64_t b)
{
	struct rng r;

	r.s = mix64(seed ^ mix64(a * 0x9e3779b97f4a7c15ull + 1) ^
		    mix64(b + 0x632be59bd9b4e019ull));
	return r;
}

/* Next 64 random bits of r's stream. */
static uint64_t rng_next(struct rng *r)
{
	r->s += 0x9e3779b97f4a7c15ull;
	return mix64(r->s);
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [lo, hi]. */
static int rng_range(struct rng *r, int lo, int hi)
{
	return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* A non-negative seed for libvips' gint seed parameters. */
static int vips_seed(struct rng *r)
{
	return (int)(rng_next(r) & 0x7fffffff);
}

/* ------------------------------------------------------------------ */
/* Files                                                                */

/* root + "/" + rel into out (MF_PATH_MAX bytes). */
static int join_path(char *out, const char *root, const char *rel,
		     struct mf_err *e)
{
	int n = snprintf(out, MF_PATH_MAX, "%s/%s", root, rel);

	if (n < 0 || n >= MF_PATH_MAX)
		return fail(e, "path too long: %s/%s", root, rel);
	return 0;
}

/* Remove whatever is at path (not a directory) so it can be recreated. */
static int remove_old(const char *path, struct mf_err *e)
{
	if (unlink(path) && errno != ENOENT)
		return fail_errno(e, "cannot replace", path);
	return 0;
}

/* Set path's access and modification time to t (not following links). */
static int set_mtime(const char *path, time_t t, struct mf_err *e)
{
	struct timespec ts[2];

	ts[0].tv_sec = t;
	ts[0].tv_nsec = 0;
	ts[1] = ts[0];
	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW))
		return fail_errno(e, "cannot set time of", path);
	return 0;
}

/* Write n bytes (borrowed) to root/rel, replacing any old file; the file's
 * mtime is set to t. */
static int write_file(const char *root, const char *rel, const void *data,
		      size_t n, time_t t, struct mf_err *e)
{
	char path[MF_PATH_MAX];
	const unsigned char *p = data;
	int fd = -1;
	int rc = -1;

	if (join_path(path, root, rel, e) || remove_old(path, e))
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail_errno(e, "cannot create", path);
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			fail_errno(e, "cannot write", path);
			goto out_close;
		}
		p += w;
		n -= (size_t)w;
	}
	rc = 0;
out_close:
	if (close(fd) && rc == 0)
		rc = fail_errno(e, "cannot close", path);
	if (rc == 0)
		rc = set_mtime(path, t, e);
	return rc;
}

/* mkdir -p path. */
static int make_dirs(const char *path, struct mf_err *e)
{
	char tmp[MF_PATH_MAX];
	size_t n = strlen(path);
	struct stat st;

	if (n == 0 || n >= sizeof(tmp))
		return fail(e, "bad directory name: \"%s\"", path);
	memcpy(tmp, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return fail_errno(e, "cannot create directory", tmp);
		if (stat(tmp, &st))
			return fail_errno(e, "cannot stat", tmp);
		if (!S_ISDIR(st.st_mode))
			return fail(e, "%s: not a directory", tmp);
		tmp[i] = path[i];
	}
	return 0;
}

/* Create root/rel as a directory (parents included). */
static int make_subdir(const char *root, const char *rel, struct mf_err *e)
{
	char path[MF_PATH_MAX];

	if (join_path(path, root, rel, e))
		return -1;
	return make_dirs(path, e);
}

/* Create DIR, or check that it is empty unless force is set. */
static int prepare_root(const char *dir, int force, struct mf_err *e)
{
	DIR *d;
	struct dirent *de;
	int used = 0;

	if (make_dirs(dir, e))
		return -1;
	d = opendir(dir);
	if (!d)
		return fail_errno(e, "cannot open directory", dir);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			used = 1;
			break;
		}
	}
	if (!de && errno) {
		int err = errno;

		closedir(d);
		errno = err;
		return fail_errno(e, "cannot read directory", dir);
	}
	if (closedir(d))
		return fail_errno(e, "cannot close directory", dir);
	if (used && !force)
		return fail(e, "%s: directory is not empty (use --force to "
			    "write into it anyway)", dir);
	return 0;
}

/* Set the mtime of root's subdirectories rel[0..n) and of root itself to
 * MF_MTIME_BASE, once everything is written (writing changes them). */
static int stamp_dirs(const char *root, const char *const *rel, size_t n,
		      struct mf_err *e)
{
	char path[MF_PATH_MAX];

	for (size_t i = 0; i < n; i++)
		if (join_path(path, root, rel[i], e) ||
		    set_mtime(path, MF_MTIME_BASE, e))
			return -1;
	return set_mtime(root, MF_MTIME_BASE, e);
}

/* ------------------------------------------------------------------ */
/* EXIF                                                                 */

/* One IFD entry to serialise. */
struct tiff_tag {
	uint16_t tag;
	uint16_t type;          /* 2 ASCII, 3 SHORT, 4 LONG, 7 UNDEFINED */
	uint32_t count;
	const void *data;       /* count * size(type) bytes; NULL for LONG */
	uint32_t value;         /* SHORT/LONG value when data is NULL */
};

/* Bytes an IFD with n entries occupies, its out-of-line data included
 * (each value longer than 4 bytes is stored after the IFD, padded to an
 * even length as TIFF requires word alignment). */
static uint32_t ifd_size(const struct tiff_tag *t, int n)
{
	uint32_t size = 2 + 12 * (uint32_t)n + 4;

	for (int i = 0; i < n; i++)
		if (t[i].data && t[i].count > 4)
			size += (t[i].count + 1) & ~1u;
	return size;
}

/* Append an IFD that starts at TIFF offset "at" (entries must be sorted by
 * tag); next is the offset of the following IFD, 0 for none. */
static int put_ifd(struct blob *b, uint32_t at, const struct tiff_tag *t,
		   int n, uint32_t next, struct mf_err *e)
{
	uint32_t data_at = at + 2 + 12 * (uint32_t)n + 4;

	if (blob_le(b, (uint32_t)n, 2, e))
		return -1;
	for (int i = 0; i < n; i++) {
		unsigned char inl[4] = { 0, 0, 0, 0 };

		if (blob_le(b, t[i].tag, 2, e) || blob_le(b, t[i].type, 2, e) ||
		    blob_le(b, t[i].count, 4, e))
			return -1;
		if (t[i].data && t[i].count > 4) {
			if (blob_le(b, data_at, 4, e))
				return -1;
			data_at += (t[i].count + 1) & ~1u;
		} else if (t[i].data) {
			memcpy(inl, t[i].data, t[i].count);
			if (blob_put(b, inl, 4, e))
				return -1;
		} else if (blob_le(b, t[i].value, 4, e)) {
			/* SHORT sits in the first two bytes (little-endian),
			 * so writing it as a LONG gives the same bytes. */
			return -1;
		}
	}
	if (blob_le(b, next, 4, e))
		return -1;
	for (int i = 0; i < n; i++) {
		static const unsigned char zero = 0;

		if (!t[i].data || t[i].count <= 4)
			continue;
		if (blob_put(b, t[i].data, t[i].count, e))
			return -1;
		if ((t[i].count & 1) && blob_put(b, &zero, 1, e))
			return -1;
	}
	return 0;
}

/* Build a complete APP1 segment (FF E1, length, "Exif\0\0", TIFF) for x
 * into out (cleared first). ASCII counts include the terminating NUL. */
static int exif_build(const struct exif_info *x, struct blob *out,
		      struct mf_err *e)
{
	struct tiff_tag ifd0[4], exif[5];
	int n0 = 0, n1 = 0;
	uint32_t exif_at, total;
	struct blob tiff = { 0 };
	int rc = -1;

	ifd0[n0++] = (struct tiff_tag){ 0x010f, 2, (uint32_t)strlen(x->make) + 1,
					x->make, 0 };
	ifd0[n0++] = (struct tiff_tag){ 0x0110, 2, (uint32_t)strlen(x->model) + 1,
					x->model, 0 };
	ifd0[n0++] = (struct tiff_tag){ 0x0112, 3, 1, NULL,
					(uint32_t)x->orientation };
	ifd0[n0++] = (struct tiff_tag){ 0x8769, 4, 1, NULL, 0 };
	exif[n1++] = (struct tiff_tag){ 0x9000, 7, 4, "0231", 0 };
	exif[n1++] = (struct tiff_tag){ 0x9003, 2, 20, x->datetime, 0 };
	if (x->offset[0])
		exif[n1++] = (struct tiff_tag){ 0x9011, 2, 7, x->offset, 0 };
	if (x->subsec[0])
		exif[n1++] = (struct tiff_tag){ 0x9291, 2,
						(uint32_t)strlen(x->subsec) + 1,
						x->subsec, 0 };
	exif[n1++] = (struct tiff_tag){ 0xa431, 2, (uint32_t)strlen(x->serial) + 1,
					x->serial, 0 };
	exif_at = 8 + ifd_size(ifd0, n0);
	ifd0[3].value = exif_at;
	total = exif_at + ifd_size(exif, n1);
	if (total + 8 > 65535) {
		fail(e, "EXIF segment too large");
		goto out_free;
	}
	if (blob_put(&tiff, "II*\0", 4, e) || blob_le(&tiff, 8, 4, e) ||
	    put_ifd(&tiff, 8, ifd0, n0, 0, e) ||
	    put_ifd(&tiff, exif_at, exif, n1, 0, e))
		goto out_free;
	assert(tiff.len == total);
	out->len = 0;
	if (blob_put(out, "\xff\xe1", 2, e) ||
	    blob_be(out, (uint32_t)(2 + 6 + tiff.len), 2, e) ||
	    blob_put(out, "Exif\0\0", 6, e) ||
	    blob_put(out, tiff.p, tiff.len, e))
		goto out_free;
	rc = 0;
out_free:
	blob_free(&tiff);
	return rc;
}

/* The ISO 8601 capture time x implies, into out (40 bytes). */
static void exif_iso_time(const struct exif_info *x, char *out, size_t n)
{
	const char *d = x->datetime;

	snprintf(out, n, "%.4s-%.2s-%.2sT%.8s%s%s%s", d, d + 5, d + 8, d + 11,
		 x->subsec[0] ? "." : "", x->subsec, x->offset);
}

/* Fill x from the listed values (all borrowed, copied). */
static int exif_set(struct exif_info *x, int camera, const char *serial,
		    int orientation, const char *datetime, const char *subsec,
		    const char *offset, struct mf_err *e)
{
	memset(x, 0, sizeof(*x));
	if (camera < 0 || camera >= MF_NCAMERAS || strlen(datetime) != 19 ||
	    strlen(subsec) >= sizeof(x->subsec) ||
	    (offset[0] && strlen(offset) != 6) ||
	    strlen(serial) >= sizeof(x->serial))
		return fail(e, "bad EXIF values (%s)", datetime);
	snprintf(x->make, sizeof(x->make), "%s", cameras[camera].make);
	snprintf(x->model, sizeof(x->model), "%s", cameras[camera].model);
	snprintf(x->serial, sizeof(x->serial), "%s", serial);
	snprintf(x->datetime, sizeof(x->datetime), "%s", datetime);
	snprintf(x->subsec, sizeof(x->subsec), "%s", subsec);
	snprintf(x->offset, sizeof(x->offset), "%s", offset);
	x->orientation = orientation;
	return 0;
}

/* Length of the JPEG marker segment at p (FF xx LL LL ...), 0 if none. */
static size_t segment_len(const unsigned char *p, size_t avail)
{
	if (avail < 4 || p[0] != 0xff)
		return 0;
	return 2 + ((size_t)p[2] << 8 | p[3]);
}

/* out = jpeg with the APP1 segment app1 right after SOI; a JFIF APP0
 * segment directly after SOI is dropped (camera files have none). */
static int jpeg_splice(const struct blob *jpeg, const struct blob *app1,
		       struct blob *out, struct mf_err *e)
{
	size_t skip = 2;

	if (jpeg->len < 4 || jpeg->p[0] != 0xff || jpeg->p[1] != 0xd8)
		return fail(e, "libjpeg output does not start with SOI");
	if (jpeg->p[3] == 0xe0) {
		size_t n = segment_len(jpeg->p + 2, jpeg->len - 2);

		if (n == 0 || n > jpeg->len - 2)
			return fail(e, "bad APP0 segment in libjpeg output");
		skip += n;
	}
	out->len = 0;
	if (blob_put(out, jpeg->p, 2, e) || blob_put(out, app1->p, app1->len, e) ||
	    blob_put(out, jpeg->p + skip, jpeg->len - skip, e))
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Synthesis                                                            */

/* Helpers instead of libm, so the tool links without -lm. */
static double max_d(double a, double b)
{
	return a > b ? a : b;
}

/* Absolute value of a. */
static double abs_d(double a)
{
	return a < 0 ? -a : a;
}

/* Square root of v > 0 by Newton's method (plenty for image sizes). */
static double sqrt_pos(double v)
{
	double x = v > 1 ? v : 1;

	for (int i = 0; i < 64; i++)
		x = 0.5 * (x + v / x);
	return x;
}

/* v limited to [lo, hi]. */
static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* 0 below a, 1 above b, a smooth cubic ramp between. */
static double smoothstep(double a, double b, double v)
{
	double t = clampd((v - a) / (b - a), 0, 1);

	return t * t * (3 - 2 * t);
}

/* v rounded and clamped to a byte. */
static unsigned char to_u8(double v)
{
	return (unsigned char)clampd(v + 0.5, 0, 255);
}

/* The scene-level parameters derived from scene_seed. */
struct scene {
	const struct palette *pal;
	double horizon;
	double tilt;
	double shift[3];        /* per-channel colour perturbation */
};

/* Palette, horizon and colour shift of s's scene (from scene_seed). */
static void scene_init(const struct shot_spec *s, struct scene *sc)
{
	struct rng r = rng_for(s->scene_seed, 1, 0);
	int p = s->palette >= 0 ? s->palette
				: rng_range(&r, 0, MF_NPALETTES - 1);

	sc->pal = &palettes[p % MF_NPALETTES];
	sc->horizon = sc->pal->horizon_lo +
		      rng_unit(&r) * (sc->pal->horizon_hi - sc->pal->horizon_lo);
	sc->tilt = (rng_unit(&r) - 0.5) * 0.25;
	for (int c = 0; c < 3; c++)
		sc->shift[c] = (rng_unit(&r) - 0.5) * 30;
}

/*
 * Mix the low-resolution fields f (lw x lh, MF_NFIELDS floats per pixel:
 * Perlin large/medium/small/fine, Worley) into o (lw x lh, 4 bytes per
 * pixel: R, G, B, grain amplitude). wcell is the Worley cell size, used to
 * normalise its distances to about 0..0.7.
 */
static void compose_lowres(const struct scene *sc, const float *f, int lw,
			   int lh, double wcell, unsigned char *o)
{
	const struct palette *pl = sc->pal;

	for (int y = 0; y < lh; y++) {
		double v = (y + 0.5) / lh;

		for (int x = 0; x < lw; x++) {
			const float *q = f + ((size_t)y * lw + x) * MF_NFIELDS;
			unsigned char *px = o + ((size_t)y * lw + x) * 4;
			double u = (x + 0.5) / lw;
			double p1 = q[0], p2 = q[1], p3 = q[2], p4 = q[3];
			double wv = q[4] / wcell;
			double hz = sc->horizon + sc->tilt * (u - 0.5) + 0.10 * p1;
			double t = smoothstep(hz - 0.025, hz + 0.025, v);
			double sv = clampd(v / hz, 0, 1);
			double depth = clampd((v - hz) / (1.0001 - hz), 0, 1);
			double cloud = max_d(0, p2 + 0.6 * p3 - 0.05) *
				       pl->cloudiness;
			double r2 = (u - 0.5) * (u - 0.5) + (v - 0.5) * (v - 0.5);
			double vig = 1 - 0.6 * r2;
			double amp;

			for (int c = 0; c < 3; c++) {
				double sky = pl->sky_top[c] +
					     (pl->sky_bottom[c] - pl->sky_top[c]) * sv +
					     cloud * 150 + 12 * p4;
				double gnd = pl->ground[c] * (0.65 + 0.7 * depth) +
					     pl->tint[0][c] * p1 * 2.2 +
					     pl->tint[1][c] * p2 * 2.2 +
					     pl->tint[2][c] * p3 * 2.5 +
					     pl->tint[2][c] * p4 * 1.5;

				gnd *= 0.7 + 0.8 * wv;
				px[c] = to_u8(((1 - t) * sky + t * gnd +
					       sc->shift[c]) * vig);
			}
			amp = (1 - t) * (6 + 10 * abs_d(p4)) +
			      t * (22 + 40 * abs_d(p3) + 30 * abs_d(p4));
			px[3] = to_u8(amp);
		}
	}
}

/* A random saturated-ish colour plus a grain amplitude, as vips ink. */
static void random_ink(struct rng *r, double ink[4], double amp)
{
	double base = 40 + 150 * rng_unit(r);

	for (int c = 0; c < 3; c++)
		ink[c] = clampd(base + (rng_unit(r) - 0.5) * 220, 0, 255);
	ink[3] = amp;
}

/* A ball: concentric discs, lighter towards a highlight, so it looks
 * shaded. */
static int draw_ball(VipsImage *im, struct rng *r, int cx, int cy, int rad,
		     struct mf_err *e)
{
	double ink[4], k[4];
	int dx = rng_range(r, -1, 1), dy = -1;

	random_ink(r, ink, 10);
	for (int i = 0; i < 5; i++) {
		int ri = rad - i * rad / 6;

		for (int c = 0; c < 3; c++)
			k[c] = clampd(ink[c] * (0.75 + 0.14 * i) + 6 * i, 0, 255);
		k[3] = ink[3];
		if (ri < 1)
			break;
		if (vips_draw_circle(im, k, 4, cx + dx * i * rad / 10,
				     cy + dy * i * rad / 10, ri, "fill", TRUE,
				     NULL))
			return fail_vips(e, "draw_circle");
	}
	return 0;
}

/* A block ("building", "cupboard") standing on line y0, with a grid of
 * windows. */
static int draw_block(VipsImage *im, struct rng *r, int x0, int y0, int bw,
		      int bh, struct mf_err *e)
{
	double ink[4], win[4];
	int cols = rng_range(r, 2, 5), rows = rng_range(r, 2, 6);
	int gx = bw / (cols * 2 + 1), gy = bh / (rows * 2 + 1);

	random_ink(r, ink, 18);
	random_ink(r, win, 8);
	if (vips_draw_rect(im, ink, 4, x0, y0 - bh, bw, bh, "fill", TRUE, NULL))
		return fail_vips(e, "draw_rect");
	if (gx < 2 || gy < 2)
		return 0;
	for (int j = 0; j < rows; j++)
		for (int i = 0; i < cols; i++)
			if (vips_draw_rect(im, win, 4, x0 + gx * (2 * i + 1),
					   y0 - bh + gy * (2 * j + 1), gx, gy,
					   "fill", TRUE, NULL))
				return fail_vips(e, "draw_rect");
	return 0;
}

/* A wire or pole: a few parallel lines. */
static int draw_wire(VipsImage *im, struct rng *r, int cw, int ch,
		     struct mf_err *e)
{
	double ink[4];
	int x1 = rng_range(r, 0, cw - 1), y1 = rng_range(r, 0, ch - 1);
	int x2 = rng_range(r, 0, cw - 1), y2 = rng_range(r, 0, ch - 1);
	int thick = 1 + (cw + ch) / 500;

	random_ink(r, ink, 4);
	for (int c = 0; c < 3; c++)
		ink[c] *= 0.4;
	for (int i = 0; i < thick; i++)
		if (vips_draw_line(im, ink, 4, x1 + i, y1, x2 + i, y2, NULL))
			return fail_vips(e, "draw_line");
	return 0;
}

/* The scene's objects (from scene_seed), then the shot's "person" (from
 * shot_seed), in canvas coordinates. */
static int draw_objects(VipsImage *im, const struct shot_spec *s,
			const struct scene *sc, struct mf_err *e)
{
	int cw = im->Xsize, ch = im->Ysize, m = cw < ch ? cw : ch;
	struct rng r = rng_for(s->scene_seed, 2, 0);
	struct rng rp = rng_for(s->shot_seed, 3, 0);
	int nblocks = rng_range(&r, 1, 3), nballs = rng_range(&r, 2, 4);
	int nwires = rng_range(&r, 1, 4);
	int ground = (int)(sc->horizon * ch);
	double ink[4];
	int px, py, ph;

	for (int i = 0; i < nblocks; i++) {
		int bw = rng_range(&r, m / 8, m / 3);
		int bh = rng_range(&r, m / 6, m / 2);
		int x0 = rng_range(&r, -bw / 4, cw - bw * 3 / 4);
		int y0 = ground + rng_range(&r, 0, ch / 8);

		if (draw_block(im, &r, x0, y0, bw, bh, e))
			return -1;
	}
	for (int i = 0; i < nballs; i++) {
		int rad = rng_range(&r, m / 30, m / 7);

		if (draw_ball(im, &r, rng_range(&r, 0, cw - 1),
			      rng_range(&r, ground, ch - 1), rad, e))
			return -1;
	}
	for (int i = 0; i < nwires; i++)
		if (draw_wire(im, &r, cw, ch, e))
			return -1;
	/* The person: body and head, where this shot puts them. */
	ph = rng_range(&rp, m / 5, m / 3);
	px = rng_range(&rp, cw / 6, cw * 5 / 6);
	py = rng_range(&rp, ground + ph / 2, ch - ch / 12);
	random_ink(&rp, ink, 12);
	if (vips_draw_rect(im, ink, 4, px - ph / 8, py - ph * 3 / 4, ph / 4,
			   ph * 3 / 4, "fill", TRUE, NULL))
		return fail_vips(e, "draw_rect");
	random_ink(&rp, ink, 6);
	if (vips_draw_circle(im, ink, 4, px, py - ph * 3 / 4 - ph / 10,
			     ph / 9, "fill", TRUE, NULL))
		return fail_vips(e, "draw_circle");
	return 0;
}

/* Grid row j of the texture layer: gw values in -128..127 from stream
 * (seed, 8, j). */
static void texture_row(int *g, int gw, uint64_t seed, int j)
{
	struct rng r = rng_for(seed, 8, (uint64_t)j);

	for (int i = 0; i < gw; i++)
		g[i] = (int)(rng_next(&r) & 0xff) - 128;
}

/*
 * Crop the w x h view at (vx, vy) out of canvas (4 bands, uchar, memory)
 * into out (w x h x 3) and add, scaled by the canvas' amplitude band:
 *  - texture: value noise on a grid of s x s pixels (s = 3 + w / 1000),
 *    bilinearly interpolated, for detail between the 4x-upscaled fields
 *    and single pixels (grass, gravel, plaster);
 *  - grain: spatially correlated luma noise (each value averages fresh
 *    noise with its left and upper neighbours: ~2 pixel grains) plus
 *    weaker per-channel chroma noise, like a sensor's.
 * Row y's noise comes from stream (seed, 4, y) and grid row j's from
 * (seed, 8, j), so the result depends on nothing else.
 */
static int add_grain(VipsImage *canvas, int vx, int vy, int w, int h,
		     uint64_t seed, unsigned char *out, struct mf_err *e)
{
	int s = 3 + w / 1000, gw = w / s + 2, gj = -1;
	int *up = calloc((size_t)w, sizeof(*up));
	int *g0 = calloc((size_t)gw, sizeof(*g0));
	int *g1 = calloc((size_t)gw, sizeof(*g1));
	int rc = -1;

	if (!up || !g0 || !g1) {
		fail(e, "out of memory (grain rows)");
		goto out_free;
	}
	for (int y = 0; y < h; y++) {
		const VipsPel *in = VIPS_IMAGE_ADDR(canvas, vx, vy + y);
		unsigned char *o = out + (size_t)y * w * 3;
		struct rng r = rng_for(seed, 4, (uint64_t)y);
		int left = 0, fy = y % s;

		if (y / s != gj) {
			gj = y / s;
			texture_row(g0, gw, seed, gj);
			texture_row(g1, gw, seed, gj + 1);
		}
		for (int x = 0; x < w; x++, in += 4, o += 3) {
			uint64_t b = rng_next(&r);
			int white = (int)(b & 0xff) + (int)(b >> 8 & 0xff) - 255;
			int n = (2 * white + left + up[x]) / 4;
			int i = x / s, fx = x % s;
			int top = g0[i] * (s - fx) + g0[i + 1] * fx;
			int bot = g1[i] * (s - fx) + g1[i + 1] * fx;
			int tex = (top * (s - fy) + bot * fy) / (s * s);
			int amp = in[3];
			int luma = (n * amp) / 160 + (tex * amp) / 128;

			left = n;
			up[x] = n;
			for (int c = 0; c < 3; c++) {
				int chroma = (int)(b >> (16 + 8 * c) & 0xff) - 128;
				int v = in[c] + luma + (chroma * amp) / 1024;

				o[c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
			}
		}
	}
	rc = 0;
out_free:
	free(up);
	free(g0);
	free(g1);
	return rc;
}

/*
 * Synthesise the photo s describes: *out becomes a new w x h 3-band uchar
 * sRGB memory image (caller unrefs). Thread-safe (no shared state besides
 * libvips').
 */
static int synth_photo(const struct shot_spec *s, VipsImage **out,
		       struct mf_err *e)
{
	VipsImage *ctx = vips_image_new();
	VipsImage **t = (VipsImage **)vips_object_local_array(VIPS_OBJECT(ctx), 13);
	struct scene sc;
	struct rng r = rng_for(s->scene_seed, 0, 0);
	int w = s->width, h = s->height;
	int mx = w * s->margin_pct / 100, my = h * s->margin_pct / 100;
	int cw = w + 2 * mx, ch = h + 2 * my;
	int lw = cw / MF_LOWRES + 3, lh = ch / MF_LOWRES + 3;
	int vw = (int)(w / s->zoom), vh = (int)(h / s->zoom);
	int vx, vy;
	double wcell = max_d(4, lw / 9.0);
	float *fields = NULL;
	unsigned char *low = NULL, *pix = NULL;
	size_t fsize = 0;
	VipsImage *canvas = NULL;
	int rc = -1;

	scene_init(s, &sc);
	vx = mx + w * s->view_dx_pct / 100 + (w - vw) / 2;
	vy = my + h * s->view_dy_pct / 100 + (h - vh) / 2;
	if (vx < 0 || vy < 0 || vx + vw > cw || vy + vh > ch) {
		fail(e, "view outside the canvas");
		goto out_free;
	}
	/* Fields: Perlin at four scales and Worley cells, at 1/4 size. */
	if (vips_perlin(&t[0], lw, lh, "cell_size", lw / 2 + 1,
			"seed", vips_seed(&r), NULL) ||
	    vips_perlin(&t[1], lw, lh, "cell_size", lw / 6 + 1,
			"seed", vips_seed(&r), NULL) ||
	    vips_perlin(&t[2], lw, lh, "cell_size", lw / 16 + 2,
			"seed", vips_seed(&r), NULL) ||
	    vips_perlin(&t[3], lw, lh, "cell_size", 3,
			"seed", vips_seed(&r), NULL) ||
	    vips_worley(&t[4], lw, lh, "cell_size", (int)wcell,
			"seed", vips_seed(&r), NULL) ||
	    vips_bandjoin(t, &t[5], MF_NFIELDS, NULL) ||
	    vips_cast(t[5], &t[6], VIPS_FORMAT_FLOAT, NULL)) {
		fail_vips(e, "synthesise fields");
		goto out_free;
	}
	fields = vips_image_write_to_memory(t[6], &fsize);
	if (!fields || fsize != (size_t)lw * lh * MF_NFIELDS * sizeof(float)) {
		fail_vips(e, "synthesise fields");
		goto out_free;
	}
	low = malloc((size_t)lw * lh * 4);
	pix = malloc((size_t)w * h * 3);
	if (!low || !pix) {
		fail(e, "out of memory (%dx%d image)", w, h);
		goto out_free;
	}
	compose_lowres(&sc, fields, lw, lh, wcell, low);
	/* Scale up 4x (bicubic-like, smooth) and cut the canvas out. */
	t[7] = vips_image_new_from_memory_copy(low, (size_t)lw * lh * 4, lw, lh,
					       4, VIPS_FORMAT_UCHAR);
	if (!t[7] || vips_resize(t[7], &t[8], MF_LOWRES, NULL) ||
	    vips_extract_area(t[8], &t[9], 0, 0, cw, ch, NULL)) {
		fail_vips(e, "upscale fields");
		goto out_free;
	}
	canvas = vips_image_copy_memory(t[9]);
	if (!canvas) {
		fail_vips(e, "upscale fields");
		goto out_free;
	}
	if (draw_objects(canvas, s, &sc, e))
		goto out_free;
	if (s->zoom != 1.0) {
		/* Zoomed views: crop the smaller window, scale it to w x h. */
		if (vips_extract_area(canvas, &t[10], vx, vy, vw, vh, NULL) ||
		    vips_resize(t[10], &t[11], (w + 0.6) / vw, "vscale",
				(h + 0.6) / vh, NULL)) {
			fail_vips(e, "zoom view");
			goto out_free;
		}
		g_object_unref(canvas);
		canvas = vips_image_copy_memory(t[11]);
		if (!canvas || canvas->Xsize < w || canvas->Ysize < h) {
			fail_vips(e, "zoom view");
			goto out_free;
		}
		vx = vy = 0;
	}
	if (add_grain(canvas, vx, vy, w, h, s->shot_seed, pix, e))
		goto out_free;
	t[12] = vips_image_new_from_memory_copy(pix, (size_t)w * h * 3, w, h, 3,
						VIPS_FORMAT_UCHAR);
	if (!t[12] || vips_copy(t[12], out, "interpretation",
				VIPS_INTERPRETATION_sRGB, NULL)) {
		fail_vips(e, "wrap pixels");
		goto out_free;
	}
	rc = 0;
out_free:
	if (canvas)
		g_object_unref(canvas);
	g_free(fields);
	free(low);
	free(pix);
	g_object_unref(ctx);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Encoders                                                             */

/* Baseline JPEG, 4:2:0, quality q (progressive when asked), no metadata. */
static int save_jpeg(VipsImage *im, int q, int progressive, struct blob *out,
		     struct mf_err *e)
{
	void *data = NULL;
	size_t len = 0;

	if (vips_jpegsave_buffer(im, &data, &len, "Q", q, "strip", TRUE,
				 "interlace", progressive, "subsample_mode",
				 VIPS_FOREIGN_SUBSAMPLE_ON, NULL))
		return fail_vips(e, "jpegsave");
	return blob_take_vips(out, data, len, e);
}

/* PNG, zlib level 6, 8 or 16 bits per sample, no metadata. */
static int save_png(VipsImage *im, int bitdepth, struct blob *out,
		    struct mf_err *e)
{
	void *data = NULL;
	size_t len = 0;

	if (vips_pngsave_buffer(im, &data, &len, "compression", 6, "strip", TRUE,
				"bitdepth", bitdepth, NULL))
		return fail_vips(e, "pngsave");
	return blob_take_vips(out, data, len, e);
}

/* Lossy WebP, quality 80, no metadata. */
static int save_webp(VipsImage *im, struct blob *out, struct mf_err *e)
{
	void *data = NULL;
	size_t len = 0;

	if (vips_webpsave_buffer(im, &data, &len, "Q", 80, "strip", TRUE, NULL))
		return fail_vips(e, "webpsave");
	return blob_take_vips(out, data, len, e);
}

/* LZW-compressed TIFF, no metadata. */
static int save_tiff(VipsImage *im, struct blob *out, struct mf_err *e)
{
	void *data = NULL;
	size_t len = 0;

	if (vips_tiffsave_buffer(im, &data, &len, "compression",
				 VIPS_FOREIGN_TIFF_COMPRESSION_LZW, "strip", TRUE,
				 NULL))
		return fail_vips(e, "tiffsave");
	return blob_take_vips(out, data, len, e);
}

/* GIF through cgif: libimagequant palette (256 colours), dithered. */
static int save_gif(VipsImage *im, struct blob *out, struct mf_err *e)
{
	void *data = NULL;
	size_t len = 0;

	if (vips_gifsave_buffer(im, &data, &len, "strip", TRUE, NULL))
		return fail_vips(e, "gifsave");
	return blob_take_vips(out, data, len, e);
}

/* Binary PPM (P6) through a memory target (8.14 has no ppmsave_buffer). */
static int save_pnm(VipsImage *im, struct blob *out, struct mf_err *e)
{
	VipsTarget *target = vips_target_new_to_memory();
	VipsBlob *vb = NULL;
	const void *data;
	size_t len = 0;
	int rc = -1;

	if (!target)
		return fail_vips(e, "ppmsave");
	if (vips_ppmsave_target(im, target, "strip", TRUE, NULL)) {
		fail_vips(e, "ppmsave");
		goto out_unref;
	}
	g_object_get(target, "blob", &vb, NULL);
	if (!vb) {
		fail(e, "ppmsave: no output");
		goto out_unref;
	}
	data = vips_blob_get(vb, &len);
	out->len = 0;
	rc = blob_put(out, data, len, e);
	vips_area_unref(VIPS_AREA(vb));
out_unref:
	g_object_unref(target);
	return rc;
}

/* Decode JPEG bytes (borrowed; must outlive nothing: the result is a
 * memory copy) to a metadata-free image; with strict, any libjpeg warning
 * fails. */
static int load_jpeg(const struct blob *b, int strict, VipsImage **out,
		     struct mf_err *e)
{
	VipsImage *im = NULL, *mem;

	if (vips_jpegload_buffer(b->p, b->len, &im, "fail_on",
				 strict ? VIPS_FAIL_ON_WARNING : VIPS_FAIL_ON_NONE,
				 NULL))
		return fail_vips(e, "jpegload");
	mem = vips_image_copy_memory(im);
	g_object_unref(im);
	if (!mem)
		return fail_vips(e, "jpegload");
	*out = mem;
	return 0;
}

/* 1 when b decodes without a single libjpeg warning, else 0; then msg
 * (n bytes) gets libvips' complaint. */
static int jpeg_is_clean(const struct blob *b, char *msg, size_t n)
{
	struct mf_err err;
	VipsImage *im = NULL;

	if (load_jpeg(b, 1, &im, &err)) {
		snprintf(msg, n, "%s", err.msg);
		return 0;
	}
	g_object_unref(im);
	snprintf(msg, n, "no warning");
	return 1;
}

/* ------------------------------------------------------------------ */
/* Manifest                                                             */

/* Append a zeroed entry with path rel; *out points at it (valid until
 * the next append). */
static int manifest_add(struct manifest *m, const char *rel,
			struct entry **out, struct mf_err *e)
{
	struct entry *x;

	if (strlen(rel) >= MF_ENTRY_PATH_MAX)
		return fail(e, "entry path too long: %s", rel);
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct entry *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return fail(e, "out of memory (manifest)");
		m->v = v;
		m->cap = cap;
	}
	x = &m->v[m->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->path, sizeof(x->path), "%s", rel);
	x->kind = "original";
	x->expect = "ok";
	x->format = "";
	x->shot = -1;
	x->scene = -1;
	snprintf(x->transform, sizeof(x->transform), "none");
	*out = x;
	return 0;
}

/* Append s C-escaped (see the file comment). */
static int put_escaped(struct blob *b, const char *s, struct mf_err *e)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		int rc;

		if (*p == '\n')
			rc = blob_put(b, "\\n", 2, e);
		else if (*p == '\t')
			rc = blob_put(b, "\\t", 2, e);
		else if (*p == '\\')
			rc = blob_put(b, "\\\\", 2, e);
		else if (*p < 0x20 || *p >= 0x80)
			rc = blob_printf(b, e, "\\x%02x", *p);
		else
			rc = blob_put(b, p, 1, e);
		if (rc)
			return -1;
	}
	return 0;
}

/* Write DIR/manifest.tsv (listing itself last). */
static int manifest_write(struct manifest *m, const char *dir,
			  struct mf_err *e)
{
	struct blob b = { 0 };
	struct entry *self;
	int rc = -1;

	if (manifest_add(m, "manifest.tsv", &self, e))
		return -1;
	self->kind = "bad";
	self->expect = "error";
	snprintf(self->transform, sizeof(self->transform), "manifest");
	if (blob_printf(&b, e, "path\tkind\tshot\ttransform\texpect\twidth\t"
			"height\tformat\tcapture_time\tmake\tmodel\tserial\t"
			"scene\n"))
		goto out_free;
	for (size_t i = 0; i < m->n; i++) {
		const struct entry *x = &m->v[i];
		char iso[40] = "";

		if (x->has_exif)
			exif_iso_time(&x->exif, iso, sizeof(iso));
		if (put_escaped(&b, x->path, e) ||
		    blob_printf(&b, e, "\t%s\t%d\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t"
				"%s\t%d\n", x->kind, x->shot, x->transform,
				x->expect, x->width, x->height, x->format, iso,
				x->has_exif ? x->exif.make : "",
				x->has_exif ? x->exif.model : "",
				x->has_exif ? x->exif.serial : "", x->scene))
			goto out_free;
	}
	rc = write_file(dir, "manifest.tsv", b.p, b.len,
			MF_MTIME_BASE + 60 * (time_t)(m->n - 1), e);
out_free:
	blob_free(&b);
	return rc;
}

/* mtime of the next entry to be added. */
static time_t next_mtime(const struct manifest *m)
{
	return MF_MTIME_BASE + 60 * (time_t)m->n;
}

/* ------------------------------------------------------------------ */
/* Originals and copies                                                 */

/* Synthesise, encode (q 92, 4:2:0, EXIF) and write one original; p gets
 * its bytes and decoded pixels. */
static int make_original(const char *dir, const struct orig_spec *o,
			 int shot, uint64_t seed, struct manifest *m,
			 struct photo *p, struct mf_err *e)
{
	struct shot_spec s = o->spec;
	VipsImage *im = NULL;
	struct blob raw = { 0 }, app1 = { 0 };
	struct entry *x;
	int rc = -1;

	s.scene_seed ^= mix64(seed);
	s.shot_seed ^= mix64(seed + 1);
	if (exif_set(&p->exif, o->camera, o->serial, 1, o->datetime, o->subsec,
		     o->offset, e) ||
	    synth_photo(&s, &im, e) || save_jpeg(im, 92, 0, &raw, e) ||
	    exif_build(&p->exif, &app1, e) ||
	    jpeg_splice(&raw, &app1, &p->jpeg, e) ||
	    load_jpeg(&p->jpeg, 1, &p->pixels, e) ||
	    write_file(dir, o->path, p->jpeg.p, p->jpeg.len, next_mtime(m), e) ||
	    manifest_add(m, o->path, &x, e))
		goto out_free;
	p->scene = o->scene;
	p->entry = m->n - 1;
	x->shot = shot;
	x->scene = o->scene;
	x->format = "jpeg";
	x->width = s.width;
	x->height = s.height;
	x->has_exif = 1;
	x->exif = p->exif;
	rc = 0;
out_free:
	if (im)
		g_object_unref(im);
	blob_free(&raw);
	blob_free(&app1);
	return rc;
}

/* JPEG-encode im at quality q and, when exif is non-NULL, splice it in. */
static int jpeg_with_exif(VipsImage *im, int q, int progressive,
			  const struct exif_info *exif, struct blob *out,
			  struct mf_err *e)
{
	struct blob raw = { 0 }, app1 = { 0 };
	int rc = -1;

	if (save_jpeg(im, q, progressive, exif ? &raw : out, e))
		goto out_free;
	if (exif && (exif_build(exif, &app1, e) ||
		     jpeg_splice(&raw, &app1, out, e)))
		goto out_free;
	rc = 0;
out_free:
	blob_free(&raw);
	blob_free(&app1);
	return rc;
}

/* The image with an alpha band that is opaque except for a small
 * feathered, partly transparent disc (alpha 159..231) in the bottom-right
 * corner, well under 1% of the area: hashes of the image flattened on
 * black or white stay close to the original's. */
static int add_alpha(VipsImage *in, VipsImage **out, struct mf_err *e)
{
	VipsImage *ctx = vips_image_new();
	VipsImage **t = (VipsImage **)vips_object_local_array(VIPS_OBJECT(ctx), 3);
	VipsImage *alpha = NULL;
	int w = in->Xsize, h = in->Ysize, r = (w < h ? w : h) / 14;
	int rc = -1;

	if (vips_black(&t[0], w, h, NULL) ||
	    vips_linear1(t[0], &t[1], 1, 255, NULL) ||
	    vips_cast(t[1], &t[2], VIPS_FORMAT_UCHAR, NULL) ||
	    !(alpha = vips_image_copy_memory(t[2]))) {
		fail_vips(e, "make alpha");
		goto out_free;
	}
	for (int i = 0; i < 4; i++) {
		double ink = 255 - 24 * (i + 1);

		if (vips_draw_circle(alpha, &ink, 1, w, h, r - i * r / 8, "fill",
				     TRUE, NULL)) {
			fail_vips(e, "make alpha");
			goto out_free;
		}
	}
	if (vips_bandjoin2(in, alpha, out, NULL)) {
		fail_vips(e, "make alpha");
		goto out_free;
	}
	rc = 0;
out_free:
	if (alpha)
		g_object_unref(alpha);
	g_object_unref(ctx);
	return rc;
}

/*
 * Convert 3-band uchar sRGB to CMYK ink amounts without a profile, with
 * full grey-component replacement: K = 255 - max(R, G, B) and
 * C = (max - R) * 255 / max (M, Y alike). This is the exact inverse of the
 * profile-less CMYK -> RGB formula libjpeg-based readers use
 * (R = (255 - C) * (255 - K) / 255), so such readers see the original
 * colours. vips_icc_transform(..., "cmyk") would be more realistic, but its
 * profile (gamut and ink limits) shifts tones: a libjpeg reader then sees
 * a different picture (PDQ distance ~28 here), which is not what a test
 * of CMYK decoding should hinge on.
 */
static int naive_cmyk(VipsImage *in, VipsImage **out, struct mf_err *e)
{
	VipsImage *wrapped = NULL;
	unsigned char *rgb, *cmyk = NULL;
	size_t size = 0, npix = (size_t)in->Xsize * in->Ysize;
	int rc = -1;

	if (in->Bands != 3 || in->BandFmt != VIPS_FORMAT_UCHAR)
		return fail(e, "cmyk: expected 3-band uchar input");
	rgb = vips_image_write_to_memory(in, &size);
	if (!rgb || size != npix * 3) {
		fail_vips(e, "cmyk");
		goto out_free;
	}
	cmyk = malloc(npix * 4);
	if (!cmyk) {
		fail(e, "out of memory (cmyk)");
		goto out_free;
	}
	for (size_t i = 0; i < npix; i++) {
		const unsigned char *p = rgb + 3 * i;
		unsigned char *q = cmyk + 4 * i;
		int mx = p[0] > p[1] ? p[0] : p[1];

		mx = mx > p[2] ? mx : p[2];
		for (int c = 0; c < 3; c++)
			q[c] = (unsigned char)(mx ? ((mx - p[c]) * 255 + mx / 2) / mx
					       : 0);
		q[3] = (unsigned char)(255 - mx);
	}
	wrapped = vips_image_new_from_memory_copy(cmyk, npix * 4, in->Xsize,
						  in->Ysize, 4,
						  VIPS_FORMAT_UCHAR);
	if (!wrapped || vips_copy(wrapped, out, "interpretation",
				  VIPS_INTERPRETATION_CMYK, NULL)) {
		fail_vips(e, "cmyk");
		goto out_free;
	}
	rc = 0;
out_free:
	if (wrapped)
		g_object_unref(wrapped);
	g_free(rgb);
	free(cmyk);
	return rc;
}

/* Check that a CMYK JPEG really has four components (the Adobe kind). */
static int check_cmyk(const struct blob *b, struct mf_err *e)
{
	VipsImage *im = NULL;
	int ok;

	if (load_jpeg(b, 1, &im, e))
		return -1;
	ok = im->Bands == 4 && vips_image_guess_interpretation(im) ==
			       VIPS_INTERPRETATION_CMYK;
	g_object_unref(im);
	if (!ok)
		return fail(e, "cmyk: libvips did not write a 4-component JPEG");
	return 0;
}

/*
 * Make one copy of photo p as c describes and write it to c->path; adds
 * its manifest entry (shot, transform, stored size, format, EXIF).
 */
static int make_copy(const char *dir, const struct copy_spec *c,
		     const struct photo *p, struct manifest *m,
		     struct mf_err *e)
{
	VipsImage *ctx = vips_image_new();
	VipsImage **t = (VipsImage **)vips_object_local_array(VIPS_OBJECT(ctx), 4);
	VipsImage *src = p->pixels, *res = src;
	struct blob out = { 0 };
	struct exif_info ex = p->exif;
	const struct exif_info *use_exif = c->keep_exif ? &ex : NULL;
	const char *kind = "copy", *format = "jpeg";
	char label[32];
	struct entry *x;
	int w = src->Xsize, h = src->Ysize, rc = -1, vrc = 0;

	snprintf(label, sizeof(label), "%s", "none");
	switch (c->kind) {
	case C_EXACT:
	case C_DAT:
		kind = "exact";
		snprintf(label, sizeof(label), "%s",
			 c->kind == C_DAT ? "dat_ext" : "exact");
		use_exif = &ex;
		vrc = blob_put(&out, p->jpeg.p, p->jpeg.len, e);
		break;
	case C_JPEG:
		snprintf(label, sizeof(label), "jpeg_q%d", c->param);
		vrc = jpeg_with_exif(src, c->param, 0, use_exif, &out, e);
		break;
	case C_PROGRESSIVE:
		snprintf(label, sizeof(label), "progressive");
		vrc = jpeg_with_exif(src, c->param, 1, use_exif, &out, e);
		break;
	case C_RESIZE:
		snprintf(label, sizeof(label), "resize%d", c->param);
		if (vips_resize(src, &t[0], c->param / 100.0, NULL))
			goto out_vips;
		res = t[0];
		vrc = jpeg_with_exif(res, 85, 0, use_exif, &out, e);
		break;
	case C_CROP:
		snprintf(label, sizeof(label), "crop%d", c->param);
		if (vips_extract_area(src, &t[0], w * c->param / 100,
				      h * c->param / 100,
				      w - 2 * (w * c->param / 100),
				      h - 2 * (h * c->param / 100), NULL))
			goto out_vips;
		res = t[0];
		vrc = jpeg_with_exif(res, 90, 0, use_exif, &out, e);
		break;
	case C_LETTERBOX:
		/* Black bars above and below, param percent of the height each. */
		snprintf(label, sizeof(label), "letterbox%d", c->param);
		if (vips_embed(src, &t[0], 0, h * c->param / 100, w, h + 2 * (h * c->param / 100),
			       "extend", VIPS_EXTEND_BLACK, NULL))
			goto out_vips;
		res = t[0];
		vrc = jpeg_with_exif(res, 90, 0, use_exif, &out, e);
		break;
	case C_GREY:
		snprintf(label, sizeof(label), "grey");
		if (vips_colourspace(src, &t[0], VIPS_INTERPRETATION_B_W, NULL))
			goto out_vips;
		res = t[0];
		vrc = jpeg_with_exif(res, 90, 0, use_exif, &out, e);
		break;
	case C_ORIENT6:
	case C_ORIENT3:
		/* Orientation 6 displays after a 90 degree clockwise turn, so
		 * the stored pixels are the original turned 270 clockwise;
		 * orientation 3 is upside down. */
		ex.orientation = c->kind == C_ORIENT6 ? 6 : 3;
		use_exif = &ex;
		snprintf(label, sizeof(label), "orient%d", ex.orientation);
		if (vips_rot(src, &t[0], c->kind == C_ORIENT6 ? VIPS_ANGLE_D270
							      : VIPS_ANGLE_D180,
			     NULL))
			goto out_vips;
		res = t[0];
		vrc = jpeg_with_exif(res, 92, 0, use_exif, &out, e);
		break;
	case C_CMYK:
		snprintf(label, sizeof(label), "cmyk");
		if (naive_cmyk(src, &t[0], e))
			goto out_free;
		res = t[0];
		vrc = jpeg_with_exif(res, 90, 0, use_exif, &out, e) ||
		      check_cmyk(&out, e);
		break;
	case C_PNG:
	case C_PNG_AS_JPG:
		snprintf(label, sizeof(label), "%s",
			 c->kind == C_PNG ? "png" : "png_as_jpg");
		use_exif = NULL;
		format = "png";
		vrc = save_png(src, 8, &out, e);
		break;
	case C_PNG16:
		snprintf(label, sizeof(label), "png16");
		use_exif = NULL;
		format = "png";
		if (vips_cast(src, &t[0], VIPS_FORMAT_USHORT, NULL) ||
		    vips_linear1(t[0], &t[1], 257, 0, NULL) ||
		    vips_cast(t[1], &t[2], VIPS_FORMAT_USHORT, NULL) ||
		    vips_copy(t[2], &t[3], "interpretation",
			      VIPS_INTERPRETATION_RGB16, NULL))
			goto out_vips;
		vrc = save_png(t[3], 16, &out, e);
		break;
	case C_RGBA:
		snprintf(label, sizeof(label), "rgba");
		use_exif = NULL;
		format = "png";
		if (add_alpha(src, &t[0], e))
			goto out_free;
		vrc = save_png(t[0], 8, &out, e);
		break;
	case C_WEBP:
		snprintf(label, sizeof(label), "webp");
		use_exif = NULL;
		format = "webp";
		vrc = save_webp(src, &out, e);
		break;
	case C_TIFF:
		snprintf(label, sizeof(label), "tiff");
		use_exif = NULL;
		format = "tiff";
		vrc = save_tiff(src, &out, e);
		break;
	case C_GIF:
		snprintf(label, sizeof(label), "gif");
		use_exif = NULL;
		format = "gif";
		vrc = save_gif(src, &out, e);
		break;
	case C_PNM:
		snprintf(label, sizeof(label), "pnm");
		use_exif = NULL;
		format = "pnm";
		vrc = save_pnm(src, &out, e);
		break;
	}
	if (vrc)
		goto out_free;
	if (write_file(dir, c->path, out.p, out.len, next_mtime(m), e) ||
	    manifest_add(m, c->path, &x, e))
		goto out_free;
	x->kind = kind;
	x->shot = c->shot;
	x->scene = p->scene;
	x->format = format;
	x->width = res->Xsize;
	x->height = res->Ysize;
	snprintf(x->transform, sizeof(x->transform), "%s", label);
	if (use_exif) {
		x->has_exif = 1;
		x->exif = *use_exif;
	}
	rc = 0;
	goto out_free;
out_vips:
	fail_vips(e, c->path);
out_free:
	blob_free(&out);
	g_object_unref(ctx);
	return rc;
}

/* Write all originals, then all copies. photos must hold n_orig slots. */
static int make_photos(const char *dir, const struct orig_spec *orig,
		       int n_orig, const struct copy_spec *copies, int n_copies,
		       uint64_t seed, struct photo *photos, struct manifest *m,
		       struct mf_err *e)
{
	for (int i = 0; i < n_orig; i++)
		if (make_original(dir, &orig[i], i, seed, m, &photos[i], e))
			return -1;
	for (int i = 0; i < n_copies; i++) {
		if (copies[i].shot < 0 || copies[i].shot >= n_orig)
			return fail(e, "copy %s of unknown shot", copies[i].path);
		if (make_copy(dir, &copies[i], &photos[copies[i].shot], m, e))
			return -1;
	}
	return 0;
}

/* Release the bytes and pixels of photos[0..n). */
static void free_photos(struct photo *photos, int n)
{
	for (int i = 0; i < n; i++) {
		blob_free(&photos[i].jpeg);
		if (photos[i].pixels)
			g_object_unref(photos[i].pixels);
		photos[i].pixels = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* Bad inputs                                                           */

/* Standard CRC-32 (ISO-HDLC, as PNG uses), computed bitwise: the files
 * here are tiny, so no table is needed. */
static uint32_t crc32_png(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return c ^ 0xffffffffu;
}

/* Append a PNG chunk: length, type, data, CRC over type + data. */
static int png_chunk(struct blob *b, const char *type, const void *data,
		     uint32_t n, struct mf_err *e)
{
	size_t start;

	if (blob_be(b, n, 4, e))
		return -1;
	start = b->len;
	if (blob_put(b, type, 4, e) || blob_put(b, data, n, e))
		return -1;
	return blob_be(b, crc32_png(b->p + start, b->len - start), 4, e);
}

/* A valid PNG header claiming 100000 x 100000 RGB, 8 bit, then a tiny
 * IDAT (a zlib stream holding one empty stored block) and IEND. */
static int png_bomb(struct blob *b, struct mf_err *e)
{
	static const unsigned char ihdr[13] = {
		0x00, 0x01, 0x86, 0xa0, 0x00, 0x01, 0x86, 0xa0, /* 100000 */
		8, 2, 0, 0, 0   /* depth 8, RGB, deflate, adaptive, no interlace */
	};
	static const unsigned char idat[11] = {
		0x78, 0x01,                     /* zlib header, fastest */
		0x01, 0x00, 0x00, 0xff, 0xff,   /* final stored block, 0 bytes */
		0x00, 0x00, 0x00, 0x01          /* Adler-32 of nothing */
	};

	return blob_put(b, "\x89PNG\r\n\x1a\n", 8, e) ||
	       png_chunk(b, "IHDR", ihdr, sizeof(ihdr), e) ||
	       png_chunk(b, "IDAT", idat, sizeof(idat), e) ||
	       png_chunk(b, "IEND", "", 0, e) ? -1 : 0;
}

/* Offsets of the entropy-coded data of a baseline JPEG: after the first
 * SOS segment, up to the final EOI. */
static int scan_bounds(const struct blob *b, size_t *start, size_t *end,
		       struct mf_err *e)
{
	size_t i = 2;

	while (i + 4 <= b->len && b->p[i] == 0xff) {
		size_t n = segment_len(b->p + i, b->len - i);

		if (n == 0 || i + n > b->len)
			break;
		if (b->p[i + 1] == 0xda) {
			*start = i + n;
			*end = b->len - 2;
			if (*end <= *start + 64 || b->p[*end] != 0xff ||
			    b->p[*end + 1] != 0xd9)
				break;
			return 0;
		}
		i += n;
	}
	return fail(e, "cannot find the scan data of a generated JPEG");
}

/* A copy of JPEG j with 64 pseudo-random bytes written over its scan data
 * at one third. The first pattern that makes libjpeg report corrupt data
 * (not just an early end) is used. Note: random bytes without 0xFF mostly
 * decode silently (any bit string is some Huffman code; libjpeg-turbo
 * 2.1.5 gave no warning for 64 of 64 such patterns), so what libjpeg
 * notices is usually a fake marker (0xFF xx) in the garbage. */
static int corrupt_jpeg(const struct blob *j, uint64_t seed, struct blob *out,
			struct mf_err *e)
{
	size_t start = 0, end = 0, at;
	char msg[sizeof(e->msg)];

	if (scan_bounds(j, &start, &end, e))
		return -1;
	at = start + (end - start) / 3;
	for (uint64_t k = 0; k < 64; k++) {
		struct rng r = rng_for(seed, 5, k);

		out->len = 0;
		if (blob_put(out, j->p, j->len, e))
			return -1;
		for (int i = 0; i < 64; i++)
			out->p[at + (size_t)i] = (unsigned char)rng_next(&r);
		if (!jpeg_is_clean(out, msg, sizeof(msg)) &&
		    strstr(msg, "Corrupt JPEG data"))
			return 0;
	}
	return fail(e, "could not make a JPEG that libjpeg calls corrupt (%s)",
		    msg);
}

/* Write a bad file and its manifest entry. */
static int put_bad(const char *dir, const char *rel, const void *data,
		   size_t n, const char *label, const char *format, int w,
		   int h, struct manifest *m, struct mf_err *e)
{
	struct entry *x;

	if (write_file(dir, rel, data, n, next_mtime(m), e) ||
	    manifest_add(m, rel, &x, e))
		return -1;
	x->kind = "bad";
	x->expect = "error";
	x->format = format;
	x->width = w;
	x->height = h;
	snprintf(x->transform, sizeof(x->transform), "%s", label);
	return 0;
}

/* The bad-input set of the tests corpus, under bad/. trunc and corr are
 * originals to damage. */
static int make_bad_files(const char *dir, const struct photo *trunc,
			  const struct photo *corr, uint64_t seed,
			  struct manifest *m, struct mf_err *e)
{
	static const char text[] =
		"Case notes, not a picture.\n"
		"This text file is named .jpg to check that doppel trusts\n"
		"content, not names.\n";
	const struct entry *te = &m->v[trunc->entry], *ce = &m->v[corr->entry];
	struct blob b = { 0 };
	struct rng r = rng_for(seed, 6, 0);
	char msg[sizeof(e->msg)];
	int rc = -1;

	if (put_bad(dir, "bad/empty.jpg", "", 0, "empty", "", 0, 0, m, e) ||
	    put_bad(dir, "bad/truncated.jpg", trunc->jpeg.p, trunc->jpeg.len / 2,
		    "truncated50", "jpeg", te->width, te->height, m, e))
		goto out_free;
	if (jpeg_is_clean(&(struct blob){ trunc->jpeg.p, trunc->jpeg.len / 2, 0 },
			  msg, sizeof(msg))) {
		fail(e, "truncated JPEG decodes without a warning");
		goto out_free;
	}
	if (corrupt_jpeg(&corr->jpeg, seed, &b, e) ||
	    put_bad(dir, "bad/corrupt.jpg", b.p, b.len, "corrupt_scan", "jpeg",
		    ce->width, ce->height, m, e) ||
	    put_bad(dir, "bad/text.jpg", text, sizeof(text) - 1, "text", "", 0, 0,
		    m, e))
		goto out_free;
	b.len = 0;
	if (png_bomb(&b, e) ||
	    put_bad(dir, "bad/bomb.png", b.p, b.len, "bomb", "png", 100000,
		    100000, m, e))
		goto out_free;
	b.len = 0;
	for (int i = 0; i < 4096; i++) {
		unsigned char c = (unsigned char)rng_next(&r);

		/* No byte 0 that could start a known signature. */
		if (i == 0)
			c = (unsigned char)(0x10 | (c & 0x0f));
		if (blob_put(&b, &c, 1, e))
			goto out_free;
	}
	if (put_bad(dir, "bad/random.png", b.p, b.len, "random", "", 0, 0, m, e))
		goto out_free;
	rc = 0;
out_free:
	blob_free(&b);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Special entries                                                      */

/* special/: a symlink to photo p, a symlink loop, a FIFO and a chmod 000
 * copy of photo p. */
static int make_specials(const char *dir, const struct photo *p,
			 const char *target_rel, struct manifest *m,
			 struct mf_err *e)
{
	char path[MF_PATH_MAX], target[MF_PATH_MAX];
	const struct entry *pe = &m->v[p->entry];
	int shot = pe->shot, w = pe->width, h = pe->height;
	struct entry *x;
	int n;

	if (make_subdir(dir, "special", e))
		return -1;
	/* link.jpg -> ../<target_rel> */
	n = snprintf(target, sizeof(target), "../%s", target_rel);
	if (n < 0 || n >= (int)sizeof(target))
		return fail(e, "path too long: %s", target_rel);
	if (join_path(path, dir, "special/link.jpg", e) || remove_old(path, e))
		return -1;
	if (symlink(target, path))
		return fail_errno(e, "cannot create symlink", path);
	if (set_mtime(path, next_mtime(m), e) ||
	    manifest_add(m, "special/link.jpg", &x, e))
		return -1;
	*x = (struct entry){ .kind = "special", .expect = "special",
			     .format = "jpeg", .shot = shot, .scene = p->scene,
			     .width = w, .height = h, .has_exif = 1,
			     .exif = p->exif };
	snprintf(x->path, sizeof(x->path), "special/link.jpg");
	snprintf(x->transform, sizeof(x->transform), "symlink");
	/* loop -> . */
	if (join_path(path, dir, "special/loop", e) || remove_old(path, e))
		return -1;
	if (symlink(".", path))
		return fail_errno(e, "cannot create symlink", path);
	if (set_mtime(path, next_mtime(m), e) ||
	    manifest_add(m, "special/loop", &x, e))
		return -1;
	x->kind = "special";
	x->expect = "special";
	snprintf(x->transform, sizeof(x->transform), "symlink_loop");
	/* pipe.jpg: a FIFO; a reader that opens it would block. */
	if (join_path(path, dir, "special/pipe.jpg", e) || remove_old(path, e))
		return -1;
	if (mkfifo(path, 0644))
		return fail_errno(e, "cannot create FIFO", path);
	if (set_mtime(path, next_mtime(m), e) ||
	    manifest_add(m, "special/pipe.jpg", &x, e))
		return -1;
	x->kind = "special";
	x->expect = "special";
	snprintf(x->transform, sizeof(x->transform), "fifo");
	/* locked.jpg: a valid JPEG nobody but root can read. */
	if (write_file(dir, "special/locked.jpg", p->jpeg.p, p->jpeg.len,
		       next_mtime(m), e) ||
	    join_path(path, dir, "special/locked.jpg", e))
		return -1;
	if (chmod(path, 0))
		return fail_errno(e, "cannot chmod", path);
	if (manifest_add(m, "special/locked.jpg", &x, e))
		return -1;
	*x = (struct entry){ .kind = "special", .expect = "special",
			     .format = "jpeg", .shot = shot, .scene = p->scene,
			     .width = w, .height = h, .has_exif = 1,
			     .exif = p->exif };
	snprintf(x->path, sizeof(x->path), "special/locked.jpg");
	snprintf(x->transform, sizeof(x->transform), "chmod000");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Modes                                                                */

#define SHOT(sc, sh, pal, w, h) \
	{ (sc), (sh), (pal), (w), (h), 8, 0, 0, 1.0 }

/* The integration-test corpus (see the file comment and the tables). */
static int mode_tests(const char *dir, uint64_t seed, struct mf_err *e)
{
	/* Shot 6 is a second shot of shot 0's scene: same camera, two
	 * seconds later, the camera turned and zoomed, the person moved. */
	static const struct orig_spec orig[] = {
		{ "originals/photo_0.jpg", SHOT(100, 200, 0, 480, 360), 0, 0,
		  "1420912345", "2012:03:15 08:07:29", "25", "+03:00" },
		{ "originals/photo_1.jpg", SHOT(101, 201, 1, 400, 300), 1, 1,
		  "6004821", "2013:07:02 14:22:05", "", "-05:00" },
		{ "originals/photo_2.jpg", SHOT(102, 202, 2, 640, 480), 2, 2,
		  "3302115", "2014:01:20 23:59:59", "999", "" },
		{ "originals/photo_3.jpg", SHOT(103, 203, 3, 360, 480), 3, 3,
		  "DNXK41AB", "2011:11:11 11:11:11", "5", "+00:00" },
		{ "originals/photo_4.jpg", SHOT(104, 204, 4, 512, 384), 4, 4,
		  "R58H40ZQ1", "2015:06:30 23:59:58", "07", "+05:30" },
		{ "originals/photo_5.jpg", SHOT(105, 205, 5, 320, 240), 5, 5,
		  "71021134", "2010:02:28 04:30:00", "", "" },
		{ "originals/photo_6.jpg",
		  { 100, 206, 0, 480, 360, 8, 7, -3, 1.35 }, 0, 0,
		  "1420912345", "2012:03:15 08:07:31", "80", "+03:00" },
	};
	static const struct copy_spec copies[] = {
		{ 0, "copies/photo_0_q55.jpg", C_JPEG, 55, 1 },
		{ 0, "copies/photo_0_half.jpg", C_RESIZE, 50, 0 },
		{ 0, "copies/photo_0_crop3.jpg", C_CROP, 3, 1 },
		{ 0, "copies/photo_0_letterbox.jpg", C_LETTERBOX, 15, 0 },
		{ 0, "copies/photo_0_orient6.jpg", C_ORIENT6, 0, 1 },
		{ 0, "copies/photo_0.dat", C_DAT, 0, 1 },
		{ 0, "dup/photo_0.jpg", C_EXACT, 0, 1 },
		{ 1, "copies/photo_1_grey.jpg", C_GREY, 0, 0 },
		{ 1, "copies/photo_1.png", C_PNG, 0, 0 },
		{ 1, "copies/photo_1.webp", C_WEBP, 0, 0 },
		{ 1, "copies/photo_1_orient3.jpg", C_ORIENT3, 0, 1 },
		{ 1, "copies/photo_1_crop8.jpg", C_CROP, 8, 0 },
		{ 2, "copies/photo_2_crop7.jpg", C_CROP, 7, 0 },
		{ 2, "copies/photo_2.tif", C_TIFF, 0, 0 },
		{ 2, "copies/photo_2.gif", C_GIF, 0, 0 },
		{ 2, "copies/photo_2.ppm", C_PNM, 0, 0 },
		{ 2, "copies/photo_2_16bit.png", C_PNG16, 0, 0 },
		{ 3, "copies/photo_3_rgba.png", C_RGBA, 0, 0 },
		{ 3, "copies/photo_3_cmyk.jpg", C_CMYK, 0, 1 },
		{ 3, "copies/photo_3_progressive.jpg", C_PROGRESSIVE, 80, 0 },
		{ 3, "copies/photo_3_png.jpg", C_PNG_AS_JPG, 0, 0 },
		{ 4, "names/with space.jpg", C_EXACT, 0, 1 },
		{ 4, "names/new\nline\xff\xfe.jpg", C_EXACT, 0, 1 },
		{ 4, "names/<script>alert(1)<\\script>.jpg", C_JPEG, 75, 1 },
	};
	enum { N_ORIG = (int)(sizeof(orig) / sizeof(orig[0])) };
	static const char *const dirs[] = { "originals", "copies", "dup",
					    "names", "bad", "special" };
	enum { N_DIRS = (int)(sizeof(dirs) / sizeof(dirs[0])) };
	struct photo photos[N_ORIG];
	struct manifest m = { 0 };
	int rc = -1;

	memset(photos, 0, sizeof(photos));
	for (int i = 0; i < N_DIRS; i++)
		if (make_subdir(dir, dirs[i], e))
			goto out_free;
	if (make_photos(dir, orig, N_ORIG, copies,
			(int)(sizeof(copies) / sizeof(copies[0])), seed, photos,
			&m, e) ||
	    make_bad_files(dir, &photos[1], &photos[2], seed, &m, e) ||
	    make_specials(dir, &photos[5], orig[5].path, &m, e) ||
	    manifest_write(&m, dir, e) || stamp_dirs(dir, dirs, N_DIRS, e))
		goto out_free;
	rc = 0;
out_free:
	free_photos(photos, N_ORIG);
	free(m.v);
	return rc;
}

/* The demo corpus: a camera folder, a backup with exact duplicates, a
 * messenger folder of re-encoded copies, web resizes, edits and two broken
 * files. */
static int mode_demo(const char *dir, uint64_t seed, struct mf_err *e)
{
	static const struct orig_spec orig[] = {
		{ "camera/IMG_2001.JPG", SHOT(300, 400, 0, 800, 600), 0, 0,
		  "1420912345", "2016:04:12 09:15:02", "41", "+02:00" },
		{ "camera/IMG_2002.JPG", SHOT(301, 401, 2, 800, 600), 1, 0,
		  "1420912345", "2016:04:12 19:48:40", "07", "+02:00" },
		{ "camera/IMG_2003.JPG", SHOT(302, 402, 3, 600, 800), 2, 3,
		  "DNXK41AB", "2016:04:13 12:01:55", "", "+02:00" },
		{ "camera/IMG_2004.JPG", SHOT(303, 403, 4, 800, 600), 3, 3,
		  "DNXK41AB", "2016:04:14 16:30:12", "", "+02:00" },
		{ "camera/IMG_2005.JPG", SHOT(304, 404, 5, 800, 600), 4, 1,
		  "6004821", "2016:04:14 22:10:03", "5", "" },
		{ "camera/IMG_2006.JPG",
		  { 304, 405, 5, 800, 600, 8, -6, 4, 1.3 }, 4, 1,
		  "6004821", "2016:04:14 22:10:06", "8", "" },
	};
	static const struct copy_spec copies[] = {
		{ 0, "backup/IMG_2001.JPG", C_EXACT, 0, 1 },
		{ 2, "backup/IMG_2003.JPG", C_EXACT, 0, 1 },
		{ 0, "messenger/IMG-20160415-WA0001.jpg", C_JPEG, 60, 0 },
		{ 1, "messenger/IMG-20160415-WA0002.jpg", C_JPEG, 60, 0 },
		{ 2, "messenger/IMG-20160415-WA0003.jpg", C_JPEG, 55, 0 },
		{ 3, "messenger/IMG-20160415-WA0004.jpg", C_JPEG, 65, 0 },
		{ 4, "messenger/IMG-20160415-WA0005.jpg", C_JPEG, 60, 0 },
		{ 0, "web/photo1_small.jpg", C_RESIZE, 50, 0 },
		{ 1, "web/photo2_small.jpg", C_RESIZE, 40, 0 },
		{ 3, "web/photo4_small.jpg", C_RESIZE, 60, 0 },
		{ 4, "web/photo5.webp", C_WEBP, 0, 0 },
		{ 0, "edits/IMG_2001_crop.jpg", C_CROP, 5, 1 },
		{ 2, "edits/IMG_2003_crop.jpg", C_CROP, 3, 1 },
		{ 1, "edits/IMG_2002.png", C_PNG, 0, 0 },
		{ 3, "edits/IMG_2004_bw.jpg", C_GREY, 0, 0 },
		{ 4, "edits/IMG_2005_rotated.jpg", C_ORIENT6, 0, 1 },
	};
	enum { N_ORIG = (int)(sizeof(orig) / sizeof(orig[0])) };
	static const char *const dirs[] = { "camera", "backup", "messenger",
					    "web", "edits", "broken" };
	enum { N_DIRS = (int)(sizeof(dirs) / sizeof(dirs[0])) };
	static const char text[] = "Not a photo: shopping list.\n";
	struct photo photos[N_ORIG];
	struct manifest m = { 0 };
	const struct entry *te;
	int rc = -1;

	memset(photos, 0, sizeof(photos));
	for (int i = 0; i < N_DIRS; i++)
		if (make_subdir(dir, dirs[i], e))
			goto out_free;
	if (make_photos(dir, orig, N_ORIG, copies,
			(int)(sizeof(copies) / sizeof(copies[0])), seed, photos,
			&m, e))
		goto out_free;
	te = &m.v[photos[3].entry];
	if (put_bad(dir, "broken/IMG_2004_partial.jpg", photos[3].jpeg.p,
		    photos[3].jpeg.len / 2, "truncated50", "jpeg", te->width,
		    te->height, &m, e) ||
	    put_bad(dir, "broken/list.jpg", text, sizeof(text) - 1, "text", "",
		    0, 0, &m, e) ||
	    manifest_write(&m, dir, e) || stamp_dirs(dir, dirs, N_DIRS, e))
		goto out_free;
	rc = 0;
out_free:
	free_photos(photos, N_ORIG);
	free(m.v);
	return rc;
}

/* Shared state of the bench workers. */
struct bench {
	const char *dir;
	uint64_t seed;
	long count;
	double min_mp;
	double max_mp;
	struct entry *entries;  /* count slots, filled by index */
	atomic_long next;
	atomic_int failed;
	pthread_mutex_t lock;   /* guards err */
	struct mf_err err;
};

/* Generate bench image i into its entry slot. Thread-safe. */
static int bench_one(struct bench *b, long i, struct mf_err *e)
{
	static const double aspects[] = { 4.0 / 3, 3.0 / 2, 16.0 / 9, 1.0 };
	struct rng r = rng_for(b->seed, 7, (uint64_t)i);
	struct entry *x = &b->entries[i];
	double mp = b->min_mp + rng_unit(&r) * (b->max_mp - b->min_mp);
	double ar = aspects[rng_range(&r, 0, 3)];
	int portrait = rng_range(&r, 0, 3) == 0;
	int q = rng_range(&r, 88, 92), cam = rng_range(&r, 0, MF_NCAMERAS - 1);
	int w = 2 * (int)(sqrt_pos(mp * 1e6 * ar) / 2 + 0.5);
	int h = 2 * (int)(w / ar / 2 + 0.5);
	long t = 1262304000L + i * 97 + rng_range(&r, 0, 90); /* from 2010 */
	struct shot_spec s = { mix64(b->seed ^ ((uint64_t)i * 2 + 11)),
			       mix64(b->seed ^ ((uint64_t)i * 2 + 12)),
			       -1, portrait ? h : w, portrait ? w : h, 0, 0,
			       0, 1.0 };
	time_t tt = (time_t)t;
	struct tm tm;
	char dt[80], serial[16], rel[32];
	VipsImage *im = NULL;
	struct blob jpg = { 0 };
	int rc = -1;

	if (!gmtime_r(&tt, &tm)) {
		fail(e, "gmtime failed");
		goto out_free;
	}
	snprintf(dt, sizeof(dt), "%04d:%02d:%02d %02d:%02d:%02d",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec);
	snprintf(serial, sizeof(serial), "%08u", (unsigned)(mix64(b->seed) % 5 +
							    (uint64_t)cam * 1000003u));
	snprintf(rel, sizeof(rel), "img_%06ld.jpg", i);
	memset(x, 0, sizeof(*x));
	if (exif_set(&x->exif, cam, serial, 1, dt, "", "+00:00", e) ||
	    synth_photo(&s, &im, e) ||
	    jpeg_with_exif(im, q, 0, &x->exif, &jpg, e) ||
	    write_file(b->dir, rel, jpg.p, jpg.len,
		       MF_MTIME_BASE + 60 * (time_t)i, e))
		goto out_free;
	snprintf(x->path, sizeof(x->path), "%s", rel);
	snprintf(x->transform, sizeof(x->transform), "jpeg_q%d", q);
	x->kind = "original";
	x->expect = "ok";
	x->format = "jpeg";
	x->shot = (int)i;
	x->scene = -1;
	x->width = s.width;
	x->height = s.height;
	x->has_exif = 1;
	rc = 0;
out_free:
	if (im)
		g_object_unref(im);
	blob_free(&jpg);
	return rc;
}

/* Worker: take indices until done or someone failed. */
static void *bench_worker(void *arg)
{
	struct bench *b = arg;
	struct mf_err e;
	long i;

	while (!atomic_load(&b->failed) &&
	       (i = atomic_fetch_add(&b->next, 1)) < b->count) {
		if (bench_one(b, i, &e)) {
			if (!atomic_exchange(&b->failed, 1)) {
				pthread_mutex_lock(&b->lock);
				b->err = e;
				pthread_mutex_unlock(&b->lock);
			}
			break;
		}
	}
	vips_thread_shutdown();
	return NULL;
}

/* The benchmark corpus: count distinct JPEG photos in DIR, made by
 * "threads" workers; the bytes depend on (seed, index) only. */
static int mode_bench(const struct options *o, struct mf_err *e)
{
	struct bench b = { 0 };
	struct manifest m = { 0 };
	pthread_t *tid = NULL;
	int started = 0, rc = -1;

	b.dir = o->dir;
	b.seed = o->seed;
	b.count = o->count;
	b.min_mp = o->min_mp;
	b.max_mp = o->max_mp;
	atomic_init(&b.next, 0);
	atomic_init(&b.failed, 0);
	if (pthread_mutex_init(&b.lock, NULL))
		return fail(e, "cannot create a mutex");
	b.entries = calloc((size_t)o->count, sizeof(*b.entries));
	tid = calloc((size_t)o->threads, sizeof(*tid));
	if (!b.entries || !tid) {
		fail(e, "out of memory (%ld entries)", o->count);
		goto out_free;
	}
	/* Parallel over images; one libvips worker per image pipeline. */
	vips_concurrency_set(1);
	for (; started < o->threads; started++) {
		int err = pthread_create(&tid[started], NULL, bench_worker, &b);

		if (err) {
			errno = err;
			fail_errno(e, "cannot start worker thread", o->dir);
			atomic_store(&b.failed, 1);
			break;
		}
	}
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (atomic_load(&b.failed)) {
		if (started == o->threads)
			*e = b.err;
		goto out_free;
	}
	m.v = b.entries;
	m.n = m.cap = (size_t)o->count;
	b.entries = NULL;
	if (manifest_write(&m, o->dir, e) || stamp_dirs(o->dir, NULL, 0, e))
		goto out_free;
	rc = 0;
out_free:
	free(m.v);
	free(b.entries);
	free(tid);
	pthread_mutex_destroy(&b.lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Command line                                                         */

/* The --help text. */
static void usage(FILE *f)
{
	fprintf(f,
		"usage: mkfixtures tests DIR [--force] [--seed S]\n"
		"       mkfixtures demo DIR [--force] [--seed S]\n"
		"       mkfixtures bench DIR --count N [--min-mp 2] [--max-mp 5]\n"
		"                  [--seed S] [-j THREADS] [--force]\n"
		"\n"
		"Writes a deterministic image corpus and DIR/manifest.tsv.\n"
		"  tests  integration-test corpus: photos, copies in many formats,\n"
		"         bad files, odd names, special/ (symlinks, FIFO, chmod 000)\n"
		"  demo   ~24 images of 800x600 for make demo\n"
		"  bench  N distinct 2-5 MP JPEG photos for throughput benchmarks\n"
		"Options:\n"
		"  --force      write into a non-empty DIR (same names are replaced)\n"
		"  --seed S     vary the content (default %u); same seed, same bytes\n"
		"  --count N    number of bench images\n"
		"  --min-mp X, --max-mp X  bench image size range in megapixels\n"
		"  -j N         bench worker threads (default: online CPUs)\n"
		"  --help       this text\n"
		"Exit status: 0 success, 1 failure, 2 usage error.\n",
		MF_DEFAULT_SEED);
}

/* Parse a whole decimal integer in [lo, hi]. */
static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Parse a whole decimal number in [lo, hi]. */
static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* Fill o from argv; returns 0, 1 for --help, -1 on a usage error (message
 * printed). */
static int parse_args(int argc, char **argv, struct options *o)
{
	long v;
	int count_set = 0, mp_set = 0;

	*o = (struct options){ .seed = MF_DEFAULT_SEED, .min_mp = 2,
			       .max_mp = 5 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return 1;
		if (!strcmp(a, "--force")) {
			o->force = 1;
			continue;
		}
		if (!strcmp(a, "--seed") || !strcmp(a, "--count") ||
		    !strcmp(a, "--min-mp") || !strcmp(a, "--max-mp") ||
		    !strcmp(a, "-j")) {
			if (!val) {
				fprintf(stderr, "mkfixtures: %s needs a value\n", a);
				return -1;
			}
			i++;
			if (!strcmp(a, "--seed")) {
				bad = parse_long(val, 0, LONG_MAX, &v);
				o->seed = (uint64_t)v;
			} else if (!strcmp(a, "--count")) {
				bad = parse_long(val, 1, 1000000, &o->count);
				count_set = 1;
			} else if (!strcmp(a, "-j")) {
				bad = parse_long(val, 1, 256, &v);
				o->threads = (int)v;
			} else {
				bad = parse_double(val, 0.01, 100,
						   a[2] == 'm' && a[3] == 'i' ?
						   &o->min_mp : &o->max_mp);
				mp_set = 1;
			}
			if (bad) {
				fprintf(stderr, "mkfixtures: bad value for %s: %s\n",
					a, val);
				return -1;
			}
			continue;
		}
		if (a[0] == '-' && a[1]) {
			fprintf(stderr, "mkfixtures: unknown option %s\n", a);
			return -1;
		}
		if (!o->mode) {
			o->mode = a;
		} else if (!o->dir) {
			o->dir = a;
		} else {
			fprintf(stderr, "mkfixtures: unexpected argument %s\n", a);
			return -1;
		}
	}
	if (!o->mode || !o->dir) {
		fprintf(stderr, "mkfixtures: need a mode and a directory\n");
		return -1;
	}
	if (strcmp(o->mode, "tests") && strcmp(o->mode, "demo") &&
	    strcmp(o->mode, "bench")) {
		fprintf(stderr, "mkfixtures: unknown mode %s\n", o->mode);
		return -1;
	}
	if (!strcmp(o->mode, "bench")) {
		if (!count_set) {
			fprintf(stderr, "mkfixtures: bench needs --count N\n");
			return -1;
		}
		if (o->min_mp > o->max_mp) {
			fprintf(stderr, "mkfixtures: --min-mp exceeds --max-mp\n");
			return -1;
		}
	} else if (count_set || mp_set || o->threads) {
		fprintf(stderr, "mkfixtures: --count, --min-mp, --max-mp and -j "
			"apply to bench only\n");
		return -1;
	}
	if (!o->threads) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		o->threads = n < 1 ? 1 : n > 64 ? 64 : (int)n;
	}
	return 0;
}

/* GLib log handler for libvips: drops the "error in tile" warnings that
 * the deliberate decodes of damaged JPEGs (jpeg_is_clean) cause; passes
 * everything else on. */
static void log_filter(const gchar *domain, GLogLevelFlags level,
		     const gchar *message, gpointer data)
{
	if (message && !strncmp(message, "error in tile", 13))
		return;
	g_log_default_handler(domain, level, message, data);
}

int main(int argc, char **argv)
{
	struct options o;
	struct mf_err e = { "" };
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc > 0) {
		usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "Try 'mkfixtures --help'.\n");
		return 2;
	}
	if (VIPS_INIT(argv[0])) {
		fprintf(stderr, "mkfixtures: cannot start libvips: %s\n",
			vips_error_buffer());
		return 1;
	}
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, log_filter, NULL);
	/* Cached operations would only cost memory here. */
	vips_cache_set_max(0);
	umask(022);
	rc = prepare_root(o.dir, o.force, &e);
	if (!rc) {
		if (!strcmp(o.mode, "tests"))
			rc = mode_tests(o.dir, o.seed, &e);
		else if (!strcmp(o.mode, "demo"))
			rc = mode_demo(o.dir, o.seed, &e);
		else
			rc = mode_bench(&o, &e);
	}
	vips_shutdown();
	if (rc) {
		fprintf(stderr, "mkfixtures: %s\n", e.msg);
		return 1;
	}
	return 0;
}
