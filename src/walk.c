/* src/walk.c - recursive directory walk into a sorted file list (see walk.h).
 *
 * Directories are read with fstatat() relative to the open directory, so a
 * path is resolved once per entry. Loop detection keeps the (device, inode)
 * of every directory on the current descent; entering one of them again
 * (possible only through followed symlinks or bind mounts) becomes a "loop"
 * entry instead of a descent.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "status.h"

struct dir_id {
	dev_t dev;
	ino_t ino;
};

struct walker {
	const struct dp_walk_opts *o;
	struct dp_filelist *out;
	struct dir_id *anc;     /* directories on the current descent */
	size_t nanc, capanc;
	struct dp_err *err;
};

__attribute__((format(printf, 5, 6)))
static int add_entry(struct walker *w, const char *path, uint64_t size,
		     int status, const char *fmt, ...)
{
	struct dp_filelist *fl = w->out;
	struct dp_walk_entry *e;
	char msg[DP_ERR_MSG_MAX];
	va_list ap;

	if (fl->n == fl->cap) {
		size_t ncap = fl->cap ? fl->cap * 2 : 1024;
		void *p = realloc(fl->v, ncap * sizeof(*fl->v));

		if (!p)
			return dp_err_set(w->err, DP_E_NOMEM, "walk: out of memory");
		fl->v = p;
		fl->cap = ncap;
	}
	e = &fl->v[fl->n];
	memset(e, 0, sizeof(*e));
	e->path = strdup(path);
	if (!e->path)
		return dp_err_set(w->err, DP_E_NOMEM, "walk: out of memory");
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		e->message = strdup(msg);
		if (!e->message) {
			free(e->path);
			return dp_err_set(w->err, DP_E_NOMEM, "walk: out of memory");
		}
	}
	e->size = size;
	e->status = status;
	if (status == DP_ST_OK)
		fl->total_bytes += size;
	fl->n++;
	return 0;
}

static int is_ancestor(const struct walker *w, const struct stat *st)
{
	for (size_t i = 0; i < w->nanc; i++)
		if (w->anc[i].dev == st->st_dev && w->anc[i].ino == st->st_ino)
			return 1;
	return 0;
}

static int push_ancestor(struct walker *w, const struct stat *st)
{
	if (w->nanc == w->capanc) {
		size_t ncap = w->capanc ? w->capanc * 2 : 32;
		void *p = realloc(w->anc, ncap * sizeof(*w->anc));

		if (!p)
			return dp_err_set(w->err, DP_E_NOMEM, "walk: out of memory");
		w->anc = p;
		w->capanc = ncap;
	}
	w->anc[w->nanc].dev = st->st_dev;
	w->anc[w->nanc].ino = st->st_ino;
	w->nanc++;
	return 0;
}

static char *join_path(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	int slash = a > 0 && dir[a - 1] != '/';
	char *p = malloc(a + slash + b + 1);

	if (!p)
		return NULL;
	memcpy(p, dir, a);
	if (slash)
		p[a] = '/';
	memcpy(p + a + slash, name, b + 1);
	return p;
}

static int visit(struct walker *w, int dirfd, const char *name, const char *path, int is_root);

static int walk_dir(struct walker *w, const char *path, const struct stat *st)
{
	DIR *d;
	struct dirent *de;
	int fd, rc = 0;

	if (is_ancestor(w, st))
		return add_entry(w, path, 0, DP_ST_LOOP,
				 "walk: directory loop: this directory is one of its own ancestors (not entered again)");
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return add_entry(w, path, 0, DP_ST_UNREADABLE,
				 "walk: cannot open directory: %s", strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return add_entry(w, path, 0, DP_ST_UNREADABLE,
				 "walk: cannot read directory: %s", strerror(errno));
	}
	rc = push_ancestor(w, st);
	while (rc == 0) {
		char *child;

		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				rc = add_entry(w, path, 0, DP_ST_UNREADABLE,
					       "walk: error while reading directory: %s",
					       strerror(errno));
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		child = join_path(path, de->d_name);
		if (!child) {
			rc = dp_err_set(w->err, DP_E_NOMEM, "walk: out of memory");
			break;
		}
		rc = visit(w, dirfd(d), de->d_name, child, 0);
		free(child);
	}
	w->nanc--;
	closedir(d);
	return rc;
}

/* Classify one path: recurse into directories, record everything else. */
static int visit(struct walker *w, int dirfd, const char *name, const char *path, int is_root)
{
	struct stat st;
	int follow = is_root || w->o->follow_symlinks;
	int r;

	r = fstatat(dirfd, name, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW);
	if (r != 0) {
		int e = errno;
		struct stat lst;

		if (is_root && (e == ENOENT || e == ENOTDIR) &&
		    fstatat(dirfd, name, &lst, AT_SYMLINK_NOFOLLOW) != 0)
			return dp_err_set(w->err, DP_E_ARG,
					  "scan: %s: no such file or directory", path);
		if (e == ELOOP)
			return add_entry(w, path, 0, DP_ST_LOOP,
					 "walk: symbolic link loop (too many levels of links)");
		if (e == ENOENT)
			return add_entry(w, path, 0, DP_ST_UNREADABLE,
					 "walk: dangling symbolic link (its target does not exist)");
		return add_entry(w, path, 0, DP_ST_UNREADABLE, "walk: cannot stat: %s",
				 strerror(e));
	}
	if (S_ISLNK(st.st_mode)) {
		char target[512];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);

		target[n > 0 ? n : 0] = '\0';
		return add_entry(w, path, 0, DP_ST_SYMLINK,
				 "walk: symbolic link to '%s' not followed (use --follow-symlinks)",
				 target);
	}
	if (S_ISDIR(st.st_mode))
		return walk_dir(w, path, &st);
	if (S_ISREG(st.st_mode))
		return add_entry(w, path, (uint64_t)st.st_size, DP_ST_OK, NULL);
	return add_entry(w, path, 0, DP_ST_NOT_REGULAR,
			 "walk: not a regular file (%s): never opened",
			 S_ISFIFO(st.st_mode) ? "FIFO" : S_ISSOCK(st.st_mode) ? "socket" :
			 S_ISCHR(st.st_mode) ? "character device" :
			 S_ISBLK(st.st_mode) ? "block device" : "special file");
}

static int cmp_entry(const void *a, const void *b)
{
	const struct dp_walk_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Strip trailing slashes ("dir//" -> "dir") but keep "/" itself. */
static char *normalise_root(const char *root)
{
	char *p = strdup(root);
	size_t n;

	if (!p)
		return NULL;
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

static void sort_and_dedupe(struct dp_filelist *fl)
{
	size_t k = 0;

	if (fl->n == 0)
		return;
	qsort(fl->v, fl->n, sizeof(*fl->v), cmp_entry);
	for (size_t i = 1; i < fl->n; i++) {
		if (!strcmp(fl->v[i].path, fl->v[k].path)) {
			if (fl->v[i].status == DP_ST_OK)
				fl->total_bytes -= fl->v[i].size;
			free(fl->v[i].path);
			free(fl->v[i].message);
			continue;
		}
		fl->v[++k] = fl->v[i];
	}
	fl->n = k + 1;
}

int dp_walk(const char *const *roots, size_t nroots, const struct dp_walk_opts *o,
	    struct dp_filelist *out, struct dp_err *err)
{
	struct walker w = { .o = o, .out = out, .err = err };
	int rc = 0;

	for (size_t i = 0; i < nroots && rc == 0; i++) {
		char *root = normalise_root(roots[i]);

		if (!root)
			return dp_err_set(err, DP_E_NOMEM, "walk: out of memory");
		if (!*root)
			rc = dp_err_set(err, DP_E_ARG, "scan: empty path given");
		else
			rc = visit(&w, AT_FDCWD, root, root, 1);
		free(root);
	}
	free(w.anc);
	if (rc == 0)
		sort_and_dedupe(out);
	return rc;
}

void dp_filelist_free(struct dp_filelist *fl)
{
	if (!fl)
		return;
	for (size_t i = 0; i < fl->n; i++) {
		free(fl->v[i].path);
		free(fl->v[i].message);
	}
	free(fl->v);
	memset(fl, 0, sizeof(*fl));
}
