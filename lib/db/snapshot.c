/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snapshot.c - copy an open DB's files (snapshot.h).  copy_file_range
 * keeps the copy in the kernel, and is a clone where the file system can
 * share extents; SEEK_DATA skips the holes Berkeley DB's hash files have,
 * and a copy over an older one punches holes where the DB has them.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "db/pin.h"
#include "db/snapshot.h"

#define CHUNK	(8u << 20)	/* at most this much per copy call */

static int	seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	copy_range(int, int, off_t, off_t);
static int	copy_fd(int, int);
static int	copy_file(const char *, const char *, const char *, char *,
		    size_t);

static int
seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* copy_range - bytes [off, end) of in to the same place in out. */
static int
copy_range(int in, int out, off_t off, off_t end)
{
	static char buf[1 << 16];
	off_t o = off;
	ssize_t n;
	int plain = 0;

	while (off < end) {
		n = plain ? -1 : copy_file_range(in, &off, out, &o,
		    (size_t)(end - off < CHUNK ? end - off : CHUNK), 0);
		if (n == -1 && !plain && (errno == EXDEV || errno == EINVAL ||
		    errno == ENOSYS || errno == EOPNOTSUPP)) {
			plain = 1;	/* no in-kernel copy here */
			continue;
		}
		if (plain) {
			n = pread(in, buf, (size_t)(end - off < (off_t)sizeof(buf)
			    ? end - off : (off_t)sizeof(buf)), off);
			if (n > 0 && pwrite(out, buf, (size_t)n, off) != n)
				return -1;
			if (n > 0)
				off += n, o = off;
		}
		if (n == -1)
			return -1;
		if (n == 0) {		/* the file shrank under us */
			errno = EIO;
			return -1;
		}
	}
	return 0;
}

/* zero - [off, off + len) of out a hole, as it is in the source. */
static int
zero(int out, off_t off, off_t len)
{
	static const char nul[1 << 16];
	ssize_t n;

	if (fallocate(out, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
	    len) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return -1;
	for (; len > 0; off += n, len -= n)
		if ((n = pwrite(out, nul, (size_t)(len < (off_t)sizeof(nul) ?
		    len : (off_t)sizeof(nul)), off)) == -1)
			return -1;
	return 0;
}

/* copy_fd - in over out, hole for hole, and out as long as in. */
static int
copy_fd(int in, int out)
{
	struct stat st, ost;
	off_t pos, data, hole;

	if (fstat(in, &st) == -1 || fstat(out, &ost) == -1)
		return -1;
	for (pos = 0; pos < st.st_size; pos = hole) {
		if ((data = lseek(in, pos, SEEK_DATA)) == -1) {
			if (errno != ENXIO)
				return -1;
			data = st.st_size;	/* a hole to the end */
		}
		if (data > pos && pos < ost.st_size && zero(out, pos,
		    data - pos) == -1)
			return -1;
		if (data >= st.st_size)
			break;
		if ((hole = lseek(in, data, SEEK_HOLE)) == -1)
			return -1;
		if (hole > st.st_size)
			hole = st.st_size;
		if (copy_range(in, out, data, hole) == -1)
			return -1;
	}
	return ftruncate(out, st.st_size);
}

/* copy_file - from+suffix over to+suffix. */
static int
copy_file(const char *from, const char *to, const char *suffix, char *err,
    size_t errlen)
{
	char src[4096], dst[4096];
	int in = -1, out = -1, rc = -1;

	if ((size_t)snprintf(src, sizeof(src), "%s%s", from, suffix) >=
	    sizeof(src) || (size_t)snprintf(dst, sizeof(dst), "%s%s", to,
	    suffix) >= sizeof(dst))
		return seterr(err, errlen, "cannot copy '%s': path too long",
		    from);
	if ((in = hdb_pin_open(src, O_RDONLY, 0)) == -1) {
		seterr(err, errlen, "cannot open '%s': %s", src,
		    strerror(errno));
		goto out;
	}
	if ((out = hdb_pin_open(dst, O_WRONLY | O_CREAT, 0600)) == -1) {
		seterr(err, errlen, "cannot open '%s': %s", dst,
		    strerror(errno));
		goto out;
	}
	if (copy_fd(in, out) == -1) {
		seterr(err, errlen, "cannot copy '%s': %s", src,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (in != -1)
		close(in);
	if (out != -1 && close(out) == -1 && rc == 0)
		rc = seterr(err, errlen, "cannot copy '%s': %s", src,
		    strerror(errno));
	return rc;
}

/* The suffixes of be's files, NULL-terminated. */
static const char *const *
suffixes(const struct hdb_backend *be)
{
	static const char *const one[] = { "", NULL };
	static const char *const ndbm[] = { ".dir", ".pag", NULL };

	return be == &hdb_backend_ndbm ? ndbm : one;
}

int
hdb_copy_db(const struct hdb_backend *be, const char *path, const char *dst,
    char *err, size_t errlen)
{
	const char *const *sfx;

	for (sfx = suffixes(be); *sfx != NULL; sfx++)
		if (copy_file(path, dst, *sfx, err, errlen) == -1)
			return -1;
	return 0;
}

int
hdb_snapshot(struct hdb *h, const char *dst, char *err, size_t errlen)
{
	int rc;

	if (h->be->quiet != NULL && h->be->quiet(h, 1) != HDB_OK)
		return seterr(err, errlen, "%s", hdb_error(h));
	rc = hdb_copy_db(h->be, h->path, dst, err, errlen);
	if (h->be->quiet != NULL && h->be->quiet(h, 0) != HDB_OK && rc == 0)
		rc = seterr(err, errlen, "%s", hdb_error(h));
	return rc;
}
