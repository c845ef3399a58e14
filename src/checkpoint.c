/* src/checkpoint.c - the durable record of a scan's finished rows (see checkpoint.h).
 *
 * Layout (all integers little-endian):
 *   "DPCKPT01", u32 header length, u32 CRC-32 of the header,
 *   header: u32 length + identity bytes, u32 length + command bytes;
 *   then per row: u32 length, u32 CRC-32 of the payload, payload (encode_row).
 * Rows are buffered and written with write(2), then fdatasync'd when the
 * interval has passed; reading stops at the first short, oversized or
 * CRC-failing record, and dp_checkpoint_keep() truncates the file there.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "h5util.h"

#define MAGIC "DPCKPT01"
#define MAGIC_LEN 8
#define RECORD_MAX (1u << 20)       /* no row comes near this; longer = damage */
#define WRITE_CHUNK (1u << 20)      /* write(2) the buffer once it holds this much */

struct buf {
	uint8_t *p;
	size_t n, cap;
};

struct dp_checkpoint {
	int fd;
	char *path;
	char *command;
	struct buf out;         /* encoded rows not yet written */
	uint8_t *rec;           /* reading: the current record */
	size_t rec_cap;
	char *row_path;         /* reading: the current row's path */
	off_t body;             /* offset of the first row record */
	off_t read_at;          /* reading: offset after the last intact record */
	off_t *ends;            /* reading: end offset of each record read */
	size_t nread, capends;
	size_t rows;            /* rows kept + appended */
	double interval_s;
	struct timespec last_sync;
	int dirty;              /* rows written since the last fdatasync */
};

/* ---- CRC-32 (IEEE 802.3, the one zlib and PNG use) ---------------------- */

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	uint32_t c = 0xffffffffu;

	if (!table[1]) {    /* main thread only (see the header) */
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;

			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[i] = v;
		}
	}
	for (size_t i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* ---- encoding ------------------------------------------------------------ */

static int buf_reserve(struct buf *b, size_t more)
{
	size_t need = b->n + more;

	if (need < b->n)
		return -1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < need)
		cap *= 2;
	void *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Callers reserve first; these never fail. */
static void put(struct buf *b, const void *src, size_t n)
{
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { v, v >> 8, v >> 16, v >> 24 };

	put(b, x, 4);
}

static void put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

/* A float by its bits, little-endian. */
static void put_f32(struct buf *b, float v)
{
	uint32_t u;

	memcpy(&u, &v, 4);
	put_u32(b, u);
}

static void put_str(struct buf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	put_u32(b, (uint32_t)n);
	put(b, s, n);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* A cursor over one record's payload; any overrun sets bad. */
struct cur {
	const uint8_t *p;
	size_t n;
	int bad;
};

static const uint8_t *take(struct cur *c, size_t n)
{
	const uint8_t *p = c->p;

	if (c->bad || n > c->n) {
		c->bad = 1;
		return NULL;
	}
	c->p += n;
	c->n -= n;
	return p;
}

static void get(struct cur *c, void *dst, size_t n)
{
	const uint8_t *p = take(c, n);

	if (p)
		memcpy(dst, p, n);
}

static uint32_t get32(struct cur *c)
{
	const uint8_t *p = take(c, 4);

	return p ? get_u32(p) : 0;
}

static uint64_t get64(struct cur *c)
{
	uint64_t lo = get32(c);

	return lo | (uint64_t)get32(c) << 32;
}

static float get_f32(struct cur *c)
{
	uint32_t u = get32(c);
	float v;

	memcpy(&v, &u, 4);
	return v;
}

/* A length-prefixed string into dst[max] (NUL-terminated); too long = bad. */
static void get_str(struct cur *c, char *dst, size_t max)
{
	uint32_t n = get32(c);

	if (n >= max) {
		c->bad = 1;
		return;
	}
	get(c, dst, n);
	dst[c->bad ? 0 : n] = '\0';
}

#define ROW_FIXED (2048 + 1 + DP_THUMB_BYTES)   /* upper bound of everything but the path */

static int encode_row(struct buf *b, uint64_t index, const struct dp_row *r)
{
	const struct dp_exif *e = &r->exif;
	const struct dp_hashes *h = &r->hashes;
	size_t start = b->n, plen = strlen(r->path);
	uint32_t len;

	if (plen > RECORD_MAX / 2 || buf_reserve(b, 8 + ROW_FIXED + plen))
		return -1;
	b->n += 8;      /* length and CRC, filled below */
	put_u64(b, index);
	put_str(b, r->path, plen);
	put_u32(b, (uint32_t)r->status);
	put_str(b, r->message, sizeof(r->message));
	put_u64(b, r->size);
	put_u64(b, (uint64_t)r->mtime_ns);
	put(b, r->sha256, 32);
	put_u32(b, r->width);
	put_u32(b, r->height);
	put(b, &r->orientation, 1);
	put_str(b, r->format, sizeof(r->format));
	put_u32(b, (uint32_t)e->orientation);
	put_str(b, e->capture_time, sizeof(e->capture_time));
	put_str(b, e->make, sizeof(e->make));
	put_str(b, e->model, sizeof(e->model));
	put_str(b, e->serial, sizeof(e->serial));
	put(b, h->pdq, 32);
	put(b, &h->pdq_quality, 1);
	put(b, h->pdq_trim, 32);
	put(b, &h->pdq_trim_quality, 1);
	put(b, h->pdq_dihedral, sizeof(h->pdq_dihedral));
	put_u64(b, h->phash);
	put_u64(b, h->dhash);
	put_u64(b, h->ahash);
	{
		/* The thumbnail only when there is one: most rows of a scan
		 * without DP_HASH_THUMB, and unread files, would add 4 KB of zeros. */
		static const uint8_t none[DP_THUMB_BYTES];
		uint8_t has = memcmp(h->thumb, none, DP_THUMB_BYTES) != 0;

		put(b, &has, 1);
		if (has) {
			put(b, h->thumb, DP_THUMB_BYTES);
			put_f32(b, h->thumb_gain);
			put_f32(b, h->thumb_offset);
		}
	}
	len = (uint32_t)(b->n - start - 8);
	{
		struct buf hdr = { b->p + start, 0, 8 };

		put_u32(&hdr, len);
		put_u32(&hdr, crc32_ieee(b->p + start + 8, len));
	}
	return 0;
}

/* Decode one record payload into *r (path into cp->row_path); 0 or -1. */
static int decode_row(struct dp_checkpoint *cp, const uint8_t *p, size_t n,
		      uint64_t *index, struct dp_row *r)
{
	struct cur c = { p, n, 0 };
	struct dp_exif *e = &r->exif;
	struct dp_hashes *h = &r->hashes;
	uint32_t plen;
	char *path;

	memset(r, 0, sizeof(*r));
	*index = get64(&c);
	plen = get32(&c);
	if (c.bad || plen > c.n)
		return -1;
	path = realloc(cp->row_path, (size_t)plen + 1);
	if (!path)
		return -1;
	cp->row_path = path;
	get(&c, path, plen);
	path[plen] = '\0';
	if (strlen(path) != plen)
		return -1;
	r->path = path;
	r->status = (int)get32(&c);
	get_str(&c, r->message, sizeof(r->message));
	r->size = get64(&c);
	r->mtime_ns = (int64_t)get64(&c);
	get(&c, r->sha256, 32);
	r->width = get32(&c);
	r->height = get32(&c);
	get(&c, &r->orientation, 1);
	get_str(&c, r->format, sizeof(r->format));
	e->orientation = (int)get32(&c);
	get_str(&c, e->capture_time, sizeof(e->capture_time));
	get_str(&c, e->make, sizeof(e->make));
	get_str(&c, e->model, sizeof(e->model));
	get_str(&c, e->serial, sizeof(e->serial));
	get(&c, h->pdq, 32);
	get(&c, &h->pdq_quality, 1);
	get(&c, h->pdq_trim, 32);
	get(&c, &h->pdq_trim_quality, 1);
	get(&c, h->pdq_dihedral, sizeof(h->pdq_dihedral));
	h->phash = get64(&c);
	h->dhash = get64(&c);
	h->ahash = get64(&c);
	{
		uint8_t has = 0;

		get(&c, &has, 1);
		if (has == 1) {
			get(&c, h->thumb, DP_THUMB_BYTES);
			h->thumb_gain = get_f32(&c);
			h->thumb_offset = get_f32(&c);
		} else if (has != 0)
			c.bad = 1;
	}
	return c.bad || c.n ? -1 : 0;
}

/* ---- file I/O ------------------------------------------------------------ */

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Read exactly n bytes at off: 1 done, 0 short (end of file), -1 error. */
static int read_at(int fd, void *dst, size_t n, off_t off)
{
	uint8_t *p = dst;

	while (n) {
		ssize_t k = pread(fd, p, n, off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			return 0;
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return 1;
}

/* Read the record at off into cp->rec: its payload length, or -1 when the
 * record is missing, torn, oversized or fails its CRC. */
static long read_record(struct dp_checkpoint *cp, off_t off)
{
	uint8_t hdr[8];
	uint32_t len;

	if (read_at(cp->fd, hdr, 8, off) != 1)
		return -1;
	len = get_u32(hdr);
	if (len == 0 || len > RECORD_MAX)
		return -1;
	if (len > cp->rec_cap) {
		void *p = realloc(cp->rec, len);

		if (!p)
			return -1;
		cp->rec = p;
		cp->rec_cap = len;
	}
	if (read_at(cp->fd, cp->rec, len, off + 8) != 1 ||
	    crc32_ieee(cp->rec, len) != get_u32(hdr + 4))
		return -1;
	return (long)len;
}

static int write_header(struct dp_checkpoint *cp, const char *identity, struct dp_err *err)
{
	struct buf b = { 0 };
	size_t il = strlen(identity), cl = strlen(cp->command);
	int rc = 0;

	if (buf_reserve(&b, 16 + 8 + il + cl)) {
		free(b.p);
		return dp_err_set(err, DP_E_NOMEM, "checkpoint: out of memory");
	}
	put(&b, MAGIC, MAGIC_LEN);
	b.n += 8;
	put_u32(&b, (uint32_t)il);
	put(&b, identity, il);
	put_u32(&b, (uint32_t)cl);
	put(&b, cp->command, cl);
	{
		struct buf hdr = { b.p + MAGIC_LEN, 0, 8 };
		uint32_t len = (uint32_t)(b.n - MAGIC_LEN - 8);

		put_u32(&hdr, len);
		put_u32(&hdr, crc32_ieee(b.p + MAGIC_LEN + 8, len));
	}
	if (ftruncate(cp->fd, 0) || lseek(cp->fd, 0, SEEK_SET) != 0 ||
	    write_all(cp->fd, b.p, b.n) || fdatasync(cp->fd))
		rc = dp_err_set(err, DP_E_IO, "checkpoint: %s: cannot write: %s", cp->path,
				strerror(errno));
	else
		dp_fsync_parent(cp->path);   /* best effort: the name itself */
	cp->body = cp->read_at = (off_t)b.n;
	free(b.p);
	return rc;
}

/* Read the header at the start of fd: 1 a checkpoint (identity and command
 * malloc'd, *body set), 0 empty file, DP_E_FORMAT not a checkpoint. */
static int read_header(int fd, char **identity, char **command, off_t *body)
{
	uint8_t head[MAGIC_LEN + 8], *p;
	uint32_t len;
	struct cur c;
	int r = read_at(fd, head, sizeof(head), 0);

	*identity = *command = NULL;
	if (r < 0)
		return DP_E_IO;
	if (r == 0) {
		struct stat st;

		return fstat(fd, &st) == 0 && st.st_size == 0 ? 0 : DP_E_FORMAT;
	}
	len = get_u32(head + MAGIC_LEN);
	if (memcmp(head, MAGIC, MAGIC_LEN) || len < 8 || len > RECORD_MAX)
		return DP_E_FORMAT;
	p = malloc(len);
	if (!p)
		return DP_E_NOMEM;
	if (read_at(fd, p, len, sizeof(head)) != 1 ||
	    crc32_ieee(p, len) != get_u32(head + MAGIC_LEN + 4)) {
		free(p);
		return DP_E_FORMAT;
	}
	c = (struct cur){ p, len, 0 };
	for (int k = 0; k < 2; k++) {
		uint32_t n = get32(&c);
		const uint8_t *s = take(&c, n);
		char *t = s ? strndup((const char *)s, n) : NULL;

		if (!t)
			break;
		*(k ? command : identity) = t;
	}
	free(p);
	if (!*identity || !*command) {
		free(*identity);
		free(*command);
		*identity = *command = NULL;
		return DP_E_FORMAT;
	}
	*body = (off_t)(sizeof(head) + len);
	return 1;
}

/* ---- the public functions -------------------------------------------------- */

static void cp_free(struct dp_checkpoint *cp)
{
	if (!cp)
		return;
	if (cp->fd >= 0)
		close(cp->fd);
	free(cp->path);
	free(cp->command);
	free(cp->out.p);
	free(cp->rec);
	free(cp->row_path);
	free(cp->ends);
	free(cp);
}

/* An existing record: check it may be continued (mode) and is this scan's. */
static int adopt(struct dp_checkpoint *cp, const char *identity, enum dp_checkpoint_mode mode,
		 struct dp_err *err)
{
	char *id, *cmd;
	off_t body;
	int r = read_header(cp->fd, &id, &cmd, &body);

	if (r == 0 || mode == DP_CKPT_REPLACE)
		return write_header(cp, identity, err);
	if (r == DP_E_IO || r == DP_E_NOMEM)
		return dp_err_set(err, r, "checkpoint: %s: cannot read: %s", cp->path,
				  r == DP_E_IO ? strerror(errno) : "out of memory");
	if (r < 0)
		return dp_err_set(err, DP_E_FORMAT,
				  "checkpoint: %s: not a doppel checkpoint (damaged, or another "
				  "program's file); move it away, or use --force to start over",
				  cp->path);
	if (mode == DP_CKPT_NEW)
		r = dp_err_set(err, DP_E_ARG,
			       "checkpoint: %s holds the finished rows of an interrupted scan: "
			       "add --resume to continue it, or --force to start over", cp->path);
	else if (strcmp(id, identity))
		r = dp_err_set(err, DP_E_ARG,
			       "checkpoint: %s was made by a different scan (other inputs, "
			       "options or doppel version: it was '%s'); rerun that command with "
			       "--resume, or use --force without --resume to start over",
			       cp->path, cmd);
	else {
		free(cp->command);
		cp->command = cmd;
		cmd = NULL;
		cp->body = cp->read_at = body;
		r = 0;
	}
	free(id);
	free(cmd);
	return r;
}

struct dp_checkpoint *dp_checkpoint_open(const char *out, const char *identity,
					 const char *command, enum dp_checkpoint_mode mode,
					 struct dp_err *err)
{
	struct dp_checkpoint *cp = calloc(1, sizeof(*cp));

	if (!cp) {
		dp_err_set(err, DP_E_NOMEM, "checkpoint: out of memory");
		return NULL;
	}
	cp->fd = -1;
	if (asprintf(&cp->path, "%s.checkpoint", out) < 0) {
		cp->path = NULL;    /* undefined after a failure */
		goto nomem;
	}
	cp->command = strdup(command);
	if (!cp->command)
		goto nomem;
	cp->interval_s = 10;
	cp->fd = open(cp->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (cp->fd < 0) {
		dp_err_set(err, DP_E_IO, "checkpoint: %s: cannot create: %s", cp->path,
			   strerror(errno));
		goto fail;
	}
	if (flock(cp->fd, LOCK_EX | LOCK_NB)) {
		dp_err_set(err, DP_E_IO, "checkpoint: %s: %s", cp->path,
			   errno == EWOULDBLOCK ? "another doppel scan is writing this output"
						: strerror(errno));
		goto fail;
	}
	if (adopt(cp, identity, mode, err))
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &cp->last_sync);
	return cp;
nomem:
	dp_err_set(err, DP_E_NOMEM, "checkpoint: out of memory");
fail:
	cp_free(cp);
	return NULL;
}

const char *dp_checkpoint_command(const struct dp_checkpoint *cp)
{
	return cp->command;
}

const char *dp_checkpoint_path(const struct dp_checkpoint *cp)
{
	return cp->path;
}

int dp_checkpoint_next(struct dp_checkpoint *cp, struct dp_row *row)
{
	uint64_t index;
	long len = read_record(cp, cp->read_at);

	if (len < 0 || decode_row(cp, cp->rec, (size_t)len, &index, row) ||
	    index != cp->nread)
		return 0;
	if (cp->nread == cp->capends) {
		size_t n = cp->capends ? cp->capends * 2 : 1024;
		void *p = realloc(cp->ends, n * sizeof(*cp->ends));

		if (!p)
			return 0;
		cp->ends = p;
		cp->capends = n;
	}
	cp->read_at += 8 + len;
	cp->ends[cp->nread++] = cp->read_at;
	return 1;
}

int dp_checkpoint_keep(struct dp_checkpoint *cp, size_t n, struct dp_err *err)
{
	off_t end = n ? cp->ends[n - 1] : cp->body;

	if (n > cp->nread)
		return dp_err_set(err, DP_E_ARG, "checkpoint: keep %zu of %zu rows", n, cp->nread);
	if (ftruncate(cp->fd, end) || lseek(cp->fd, end, SEEK_SET) != end || fdatasync(cp->fd))
		return dp_err_set(err, DP_E_IO, "checkpoint: %s: cannot truncate: %s", cp->path,
				  strerror(errno));
	cp->rows = n;
	free(cp->ends);
	cp->ends = NULL;
	cp->nread = cp->capends = 0;
	return 0;
}

void dp_checkpoint_set_interval(struct dp_checkpoint *cp, double seconds)
{
	cp->interval_s = seconds;
}

static int write_out(struct dp_checkpoint *cp, struct dp_err *err)
{
	if (cp->out.n && write_all(cp->fd, cp->out.p, cp->out.n))
		return dp_err_set(err, DP_E_IO, "checkpoint: %s: cannot write: %s", cp->path,
				  strerror(errno));
	cp->dirty |= cp->out.n != 0;
	cp->out.n = 0;
	return 0;
}

int dp_checkpoint_sync(struct dp_checkpoint *cp, struct dp_err *err)
{
	if (write_out(cp, err))
		return err ? err->code : DP_E_IO;
	if (cp->dirty && fdatasync(cp->fd))
		return dp_err_set(err, DP_E_IO, "checkpoint: %s: fsync failed: %s", cp->path,
				  strerror(errno));
	cp->dirty = 0;
	clock_gettime(CLOCK_MONOTONIC, &cp->last_sync);
	return 0;
}

int dp_checkpoint_append(struct dp_checkpoint *cp, const struct dp_row *row,
			 struct dp_err *err)
{
	struct timespec now;
	double since;

	if (encode_row(&cp->out, cp->rows, row))
		return dp_err_set(err, DP_E_NOMEM, "checkpoint: out of memory");
	cp->rows++;
	clock_gettime(CLOCK_MONOTONIC, &now);
	since = (double)(now.tv_sec - cp->last_sync.tv_sec) +
		(double)(now.tv_nsec - cp->last_sync.tv_nsec) / 1e9;
	if (since >= cp->interval_s)
		return dp_checkpoint_sync(cp, err);
	if (cp->out.n >= WRITE_CHUNK)
		return write_out(cp, err);
	return 0;
}

size_t dp_checkpoint_rows(const struct dp_checkpoint *cp)
{
	return cp->rows;
}

void dp_checkpoint_close(struct dp_checkpoint *cp)
{
	if (!cp)
		return;
	if (dp_checkpoint_sync(cp, NULL)) {
		/* a full disk: the rows synced before stay, a torn tail is cut on resume */
	}
	cp_free(cp);
}

void dp_checkpoint_remove(struct dp_checkpoint *cp)
{
	if (!cp)
		return;
	unlink(cp->path);
	cp_free(cp);
}

int dp_checkpoint_describe(const char *path, size_t *rows, char **command,
			   struct dp_err *err)
{
	struct dp_checkpoint cp = { .fd = -1 };
	struct dp_row row;
	char *id;
	int r;

	*rows = 0;
	*command = NULL;
	cp.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (cp.fd < 0)
		return dp_err_set(err, DP_E_IO, "info: %s: %s", path, strerror(errno));
	r = read_header(cp.fd, &id, command, &cp.body);
	if (r == 1) {
		free(id);
		cp.read_at = cp.body;
		while (dp_checkpoint_next(&cp, &row))
			;
		*rows = cp.nread;
	} else if (r == DP_E_IO || r == DP_E_NOMEM) {
		r = dp_err_set(err, r, "info: %s: cannot read", path);
	} else {
		r = 0;
	}
	close(cp.fd);
	free(cp.rec);
	free(cp.row_path);
	free(cp.ends);
	return r;
}
