/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * be_ndbm.c - NDBM as Exim gets it on Linux: gdbm-compat's dbm_open(NAME),
 * which keeps the data in NAME.pag, an ordinary GDBM file opened with
 * GDBM_NOLOCK, and writes NAME.dir, 16 bytes: "GDBM" and the GDBM major,
 * minor and patch versions as big-endian u32s.  (GDBM before 1.10 made .dir
 * a hard link to .pag instead.)
 *
 * We do not call dbm_open.  libdb-5.3 exports only __db_ndbm_* names, so
 * there is no symbol clash, but gdbm-compat's dbm_open is not safe for a
 * read-only tool: even a read-only open creates a missing NAME.dir, it
 * unlinks a hard-linked one, and it follows symlinks.  So this backend checks
 * (and, when creating, writes) the .dir header itself and runs the GDBM
 * backend's ops on NAME.pag; be_gdbm.c adds GDBM_NOLOCK for handles of this
 * backend.  The files are byte-for-byte what gdbm-compat reads and writes.
 *
 * The backend's suffix is ".dir", the file hdb_detect reads; the data lives
 * in ".pag".  The path given to open is the base name; "NAME.dir" or
 * "NAME.pag" is accepted too when no "NAME.dir.dir" exists.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gdbm.h>

#include "db/hdb.h"
#include "xmalloc.h"

#define NDBM_DIR_LEN	16

static int	ndbm_probe(const uint8_t *, size_t);
static int	ndbm_open(struct hdb *, const char *, int, mode_t);
static void	ndbm_close(struct hdb *);
static int	ndbm_get(struct hdb *, struct hdb_datum, struct hdb_datum *);
static int	ndbm_put(struct hdb *, struct hdb_datum, struct hdb_datum);
static int	ndbm_del(struct hdb *, struct hdb_datum);
static int	ndbm_iterate(struct hdb *, struct hdb_datum, hdb_iter_fn,
		    void *);
static int	ndbm_verify(struct hdb *);
static int	ndbm_sync(struct hdb *);
static char	*ndbm_base(const char *);
static char	*cat(const char *, const char *);
static int	check_dir(struct hdb *, const char *, const char *);
static int	write_dir(struct hdb *, const char *, const char *);

const struct hdb_backend hdb_backend_ndbm = {
	.name = "ndbm",
	.caps = 0,
	.suffix = ".dir",
	.probe = ndbm_probe,
	.open = ndbm_open,
	.close = ndbm_close,
	.get = ndbm_get,
	.put = ndbm_put,
	.del = ndbm_del,
	.iterate_after = ndbm_iterate,
	.verify = ndbm_verify,
	.sync = ndbm_sync,
};

/* ndbm_probe - head is NAME.dir: exactly the 16-byte gdbm-compat header. */
static int
ndbm_probe(const uint8_t *head, size_t len)
{
	return len == NDBM_DIR_LEN && memcmp(head, "GDBM", 4) == 0;
}

static char *
cat(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = xmalloc(n);

	snprintf(s, n, "%s%s", a, b);
	return s;
}

/* ndbm_base - the DB name without .dir/.pag, which dbm_open wants. */
static char *
ndbm_base(const char *path)
{
	struct stat st;
	size_t n = strlen(path);
	char *dir, *base;

	if (n <= 4 || (strcmp(path + n - 4, ".dir") != 0 &&
	    strcmp(path + n - 4, ".pag") != 0))
		return xstrdup(path);
	dir = cat(path, ".dir");
	if (lstat(dir, &st) == 0)
		base = xstrdup(path);
	else {
		base = xstrdup(path);
		base[n - 4] = '\0';
	}
	free(dir);
	return base;
}

/*
 * check_dir - NAME.dir must be a regular file holding the header, or be
 * empty, or be the same file as NAME.pag (the GDBM < 1.10 layout).  Never
 * writes.  gdbm-compat also refuses a header from a newer GDBM; we read such
 * a file all the same, as the .pag format is what matters.
 */
static int
check_dir(struct hdb *h, const char *dir, const char *pag)
{
	uint8_t buf[NDBM_DIR_LEN + 1];
	struct stat st, pst;
	ssize_t n;
	int fd, rc = HDB_ERR;

	fd = open(dir, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		hdb_seterr(h, "cannot open '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		hdb_seterr(h, "cannot stat '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		hdb_seterr(h, "cannot open '%s': not a regular file", dir);
		goto out;
	}
	if (st.st_size == 0 || (lstat(pag, &pst) == 0 &&
	    pst.st_dev == st.st_dev && pst.st_ino == st.st_ino)) {
		rc = HDB_OK;
		goto out;
	}
	n = pread(fd, buf, sizeof(buf), 0);
	if (n == -1) {
		hdb_seterr(h, "cannot read '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (!ndbm_probe(buf, (size_t)n)) {
		hdb_seterr(h, "'%s' is not a gdbm-compat NDBM .dir file", dir);
		goto out;
	}
	rc = HDB_OK;
out:
	if (fd != -1)
		close(fd);
	return rc;
}

/* write_dir - create NAME.dir with this GDBM's version, as dbm_open does. */
static int
write_dir(struct hdb *h, const char *dir, const char *pag)
{
	uint8_t buf[NDBM_DIR_LEN];
	struct stat pst;
	uint32_t v;
	int fd = -1, i, rc = HDB_ERR;

	if (lstat(pag, &pst) == -1) {
		hdb_seterr(h, "cannot stat '%s': %s", pag, strerror(errno));
		goto out;
	}
	memcpy(buf, "GDBM", 4);
	for (i = 0; i < 3; i++) {
		v = (uint32_t)gdbm_version_number[i];
		buf[4 + 4 * i] = (uint8_t)(v >> 24);
		buf[5 + 4 * i] = (uint8_t)(v >> 16);
		buf[6 + 4 * i] = (uint8_t)(v >> 8);
		buf[7 + 4 * i] = (uint8_t)v;
	}
	fd = open(dir, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    pst.st_mode & 0777);
	if (fd == -1) {
		hdb_seterr(h, "cannot create '%s': %s", dir, strerror(errno));
		goto out;
	}
	if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
		hdb_seterr(h, "cannot write '%s': %s", dir, strerror(errno));
		unlink(dir);
		goto out;
	}
	rc = HDB_OK;
out:
	if (fd != -1 && close(fd) == -1 && rc == HDB_OK)
		rc = hdb_seterr(h, "cannot write '%s': %s", dir,
		    strerror(errno));
	return rc;
}

/*
 * ndbm_open - read-only and plain read-write opens need both files.  A
 * creating open makes NAME.pag first and then NAME.dir, like dbm_open, and
 * removes a .pag it made if the .dir cannot be written.
 */
static int
ndbm_open(struct hdb *h, const char *path, int flags, mode_t mode)
{
	struct stat st;
	char *base, *dir, *pag;
	int need_dir = 0, pag_existed, rc = HDB_ERR;

	base = ndbm_base(path);
	dir = cat(base, ".dir");
	pag = cat(base, ".pag");
	pag_existed = lstat(pag, &st) == 0;

	if (lstat(dir, &st) == -1 && errno == ENOENT &&
	    (flags & HDB_O_CREATE))
		need_dir = 1;
	else if (check_dir(h, dir, pag) != HDB_OK)
		goto out;

	if (hdb_backend_gdbm.open(h, pag, flags, mode) != HDB_OK)
		goto out;
	if (need_dir && write_dir(h, dir, pag) != HDB_OK) {
		hdb_backend_gdbm.close(h);
		if (!pag_existed)
			unlink(pag);
		goto out;
	}
	rc = HDB_OK;
out:
	free(base);
	free(dir);
	free(pag);
	return rc;
}

static void
ndbm_close(struct hdb *h)
{
	hdb_backend_gdbm.close(h);
}

static int
ndbm_get(struct hdb *h, struct hdb_datum key, struct hdb_datum *val)
{
	return hdb_backend_gdbm.get(h, key, val);
}

static int
ndbm_put(struct hdb *h, struct hdb_datum key, struct hdb_datum val)
{
	return hdb_backend_gdbm.put(h, key, val);
}

static int
ndbm_del(struct hdb *h, struct hdb_datum key)
{
	return hdb_backend_gdbm.del(h, key);
}

static int
ndbm_iterate(struct hdb *h, struct hdb_datum after, hdb_iter_fn fn, void *ctx)
{
	return hdb_backend_gdbm.iterate_after(h, after, fn, ctx);
}

/* ndbm_verify - the .dir header, then the GDBM walk over NAME.pag. */
static int
ndbm_verify(struct hdb *h)
{
	char *base, *dir, *pag;
	int rc;

	base = ndbm_base(h->path);
	dir = cat(base, ".dir");
	pag = cat(base, ".pag");
	rc = check_dir(h, dir, pag);
	if (rc == HDB_OK)
		rc = hdb_backend_gdbm.verify(h);
	free(base);
	free(dir);
	free(pag);
	return rc;
}

static int
ndbm_sync(struct hdb *h)
{
	return hdb_backend_gdbm.sync(h);
}
