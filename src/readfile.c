/* src/readfile.c - read-once file input with streaming SHA-256 (see readfile.h).
 *
 * The buffer grows to the largest file kept so far and is given back when it
 * passed DP_READ_SHRINK bytes, so a thread's footprint follows the files it
 * is reading, not the history of the scan.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "status.h"

#define DP_READ_CHUNK (4u << 20)       /* bytes per read() call */
#define DP_READ_SHRINK (64u << 20)     /* free buffers above this after use */
#define DP_READ_SNIFF (64u << 10)      /* kept of a file over the limit: names its format */

struct dp_reader {
	EVP_MD_CTX *md;
	EVP_MD *sha256;
	uint8_t *buf;
	size_t cap;
	uint8_t *spill;                /* DP_READ_CHUNK bytes for data not kept */
};

struct dp_reader *dp_reader_new(void)
{
	struct dp_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->md = EVP_MD_CTX_new();
	r->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!r->md || !r->sha256) {
		dp_reader_free(r);
		return NULL;
	}
	return r;
}

void dp_reader_free(struct dp_reader *r)
{
	if (!r)
		return;
	EVP_MD_CTX_free(r->md);
	EVP_MD_free(r->sha256);
	free(r->buf);
	free(r->spill);
	free(r);
}

static int reserve(struct dp_reader *r, size_t need)
{
	uint8_t *p;

	if (need <= r->cap)
		return 0;
	p = realloc(r->buf, need);
	if (!p)
		return DP_E_NOMEM;
	r->buf = p;
	r->cap = need;
	return 0;
}

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static int open_readonly(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOATIME | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	/* O_NOATIME is refused (EPERM) on files we do not own unless privileged. */
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	return fd;
}

/* Stream the file through the digest; keep the first max_keep bytes. */
static int read_all(struct dp_reader *r, int fd, uint64_t max_keep, struct dp_file_data *out,
		    struct dp_err *err)
{
	uint64_t total = 0;

	for (;;) {
		uint8_t *dst;
		size_t want;
		ssize_t n;

		if (total < max_keep) {
			if (total == r->cap) {
				uint64_t grow = r->cap ? r->cap * 2 : DP_READ_CHUNK;

				if (grow > max_keep)
					grow = max_keep;
				if (grow <= r->cap || reserve(r, grow) != 0)
					return dp_err_set(err, DP_E_NOMEM,
							  "read: out of memory for %llu bytes",
							  (unsigned long long)grow);
			}
			dst = r->buf + total;
			want = r->cap - total;
			if (want > DP_READ_CHUNK)
				want = DP_READ_CHUNK;
		} else {
			if (!r->spill && !(r->spill = malloc(DP_READ_CHUNK)))
				return dp_err_set(err, DP_E_NOMEM, "read: out of memory");
			dst = r->spill;
			want = DP_READ_CHUNK;
		}
		n = read(fd, dst, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return dp_err_set(err, DP_E_IO, "read: %s", strerror(errno));
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(r->md, dst, (size_t)n) != 1)
			return dp_err_set(err, DP_E_IO, "read: SHA-256 update failed");
		total += (uint64_t)n;
	}
	out->size = total;
	out->len = total < max_keep ? (size_t)total : (size_t)max_keep;
	out->complete = total <= max_keep;
	out->data = r->buf;
	return 0;
}

int dp_reader_read(struct dp_reader *r, const char *path, uint64_t max_keep,
		   struct dp_file_data *out, int *file_status, struct dp_err *err)
{
	struct stat st0, st1;
	unsigned int mdlen = 0;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	*file_status = DP_ST_UNREADABLE;
	if (r->cap > DP_READ_SHRINK) {
		free(r->buf);
		r->buf = NULL;
		r->cap = 0;
	}
	fd = open_readonly(path);
	if (fd < 0)
		return dp_err_set(err, DP_E_IO, "read: cannot open: %s", strerror(errno));
	if (fstat(fd, &st0) != 0) {
		rc = dp_err_set(err, DP_E_IO, "read: cannot stat: %s", strerror(errno));
		goto out_close;
	}
	if (!S_ISREG(st0.st_mode)) {
		*file_status = DP_ST_NOT_REGULAR;
		rc = dp_err_set(err, DP_E_IO, "read: not a regular file any more");
		goto out_close;
	}
	/* Size the buffer for the whole file plus one byte, to see EOF in one go. */
	if (st0.st_size >= 0 && (uint64_t)st0.st_size < max_keep &&
	    reserve(r, (size_t)st0.st_size + 1) != 0) {
		rc = dp_err_set(err, DP_E_NOMEM, "read: out of memory for %lld bytes",
				(long long)st0.st_size);
		goto out_close;
	}
	if (EVP_DigestInit_ex(r->md, r->sha256, NULL) != 1) {
		rc = dp_err_set(err, DP_E_IO, "read: SHA-256 init failed");
		goto out_close;
	}
	/* Too large to decode: digest it all, keep only what names its format. */
	if (st0.st_size >= 0 && (uint64_t)st0.st_size > max_keep && max_keep > DP_READ_SNIFF)
		max_keep = DP_READ_SNIFF;
	rc = read_all(r, fd, max_keep, out, err);
	if (rc != 0)
		goto out_close;
	if (EVP_DigestFinal_ex(r->md, out->sha256, &mdlen) != 1 || mdlen != 32) {
		rc = dp_err_set(err, DP_E_IO, "read: SHA-256 final failed");
		goto out_close;
	}
	out->mtime_ns = mtime_ns(&st0);
	if (fstat(fd, &st1) != 0 || out->size != (uint64_t)st0.st_size ||
	    mtime_ns(&st1) != mtime_ns(&st0) || st1.st_size != st0.st_size) {
		*file_status = DP_ST_CHANGED;
		rc = dp_err_set(err, DP_E_IO,
				"read: file changed while being read (%lld bytes at open, %llu read)",
				(long long)st0.st_size, (unsigned long long)out->size);
		goto out_close;
	}
	*file_status = DP_ST_OK;
out_close:
	close(fd);
	return rc;
}

void dp_sha256_hex(const uint8_t sha[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[sha[i] >> 4];
		out[2 * i + 1] = hex[sha[i] & 15];
	}
	out[64] = '\0';
}
