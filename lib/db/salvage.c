/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * salvage.c - every readable record of a damaged hints DB (salvage.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tdb.h>

#include "db/hdb.h"
#include "db/pin.h"
#include "db/salvage.h"
#include "xmalloc.h"

struct feed {
	hdb_iter_fn	 fn;
	void		*ctx;
	int		 stop;
};

static int	seterr(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	bdb_salvage(const char *, struct feed *, char *, size_t);
static void	tdb_walk(TDB_DATA, TDB_DATA, void *);
static int	tdb_salvage(const char *, struct feed *, char *, size_t);
static int	iter_salvage(const struct hdb_backend *, const char *,
		    struct feed *, char *, size_t);

static int
seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
		hdb_pin_unmap(err, len);
	}
	return HDB_ERR;
}

/*
 * The Berkeley DB page walk.  Page layout (db_page.h): a 26-byte header
 * (lsn 8, pgno 4, prev 4, next 4, entries 2, hf_offset 2, level 1,
 * type 1), then the item offsets, 2 bytes each; the items themselves sit
 * at the end of the page.  Every page of the file is read, whether a
 * chain still reaches it or not; every field is bounds-checked.
 */
#define P_HDR		26
#define P_HASH_UNSORTED	2
#define P_LBTREE	5
#define P_OVERFLOW	7
#define P_HASH		13
#define H_KEYDATA	1
#define H_OFFPAGE	3
#define B_KEYDATA	1
#define B_OVERFLOW	3
#define B_DELETE	0x80
#define MAX_REC		(16u << 20)	/* far above any hints record */

struct bdbfile {
	int		 fd;
	int		 swap;		/* the file's byte order is not ours */
	uint32_t	 pgsize;
	uint64_t	 npages;
	uint8_t		*pg, *ov;	/* a page, an overflow page */
};

static uint16_t
rd16(const struct bdbfile *b, const uint8_t *p)
{
	uint16_t v = (uint16_t)(p[0] | p[1] << 8);

	return b->swap ? (uint16_t)(v >> 8 | v << 8) : v;
}

static uint32_t
rd32(const struct bdbfile *b, const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
	    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

	return b->swap ? __builtin_bswap32(v) : v;
}

static int
read_page(const struct bdbfile *b, uint64_t pgno, uint8_t *buf)
{
	return pread(b->fd, buf, b->pgsize, (off_t)(pgno * b->pgsize)) ==
	    (ssize_t)b->pgsize ? 0 : -1;
}

/* overflow - the tlen bytes of an off-page item from pgno on; NULL if
 * the chain is broken. */
static uint8_t *
overflow(struct bdbfile *b, uint32_t pgno, uint32_t tlen)
{
	uint8_t *out;
	uint32_t got = 0, n;
	uint64_t hops = 0;

	if (tlen == 0 || tlen > MAX_REC)
		return NULL;
	out = xmalloc(tlen);
	while (got < tlen) {
		if (pgno == 0 || pgno >= b->npages || hops++ > b->npages ||
		    read_page(b, pgno, b->ov) == -1 ||
		    b->ov[25] != P_OVERFLOW)
			goto bad;
		n = rd16(b, b->ov + 22);	/* hf_offset: bytes here */
		if (n > b->pgsize - P_HDR || n > tlen - got)
			goto bad;
		memcpy(out + got, b->ov + P_HDR, n);
		got += n;
		pgno = rd32(b, b->ov + 16);
		if (n == 0)
			goto bad;
	}
	return out;
bad:
	free(out);
	return NULL;
}

/*
 * item - item i of the page as bytes (*own set if they were copied from
 * overflow pages).  Returns 0, or -1 for an item that cannot be read.
 */
static int
item(struct bdbfile *b, unsigned i, unsigned entries, int hash,
    const uint8_t **p, size_t *len, uint8_t **own)
{
	const uint8_t *pg = b->pg;
	uint32_t off, end, l;
	uint8_t type;

	*own = NULL;
	if (P_HDR + 2 * (size_t)entries > b->pgsize)
		return -1;
	off = rd16(b, pg + P_HDR + 2 * i);
	if (off < P_HDR + 2 * entries || off >= b->pgsize)
		return -1;
	if (hash) {
		end = i == 0 ? b->pgsize : rd16(b, pg + P_HDR + 2 * (i - 1));
		if (end <= off || end > b->pgsize)
			return -1;
		type = pg[off];
		if (type == H_KEYDATA) {
			*p = pg + off + 1;
			*len = end - off - 1;
			return 0;
		}
		if (type != H_OFFPAGE || end - off < 12)
			return -1;
		l = rd32(b, pg + off + 8);
		if ((*own = overflow(b, rd32(b, pg + off + 4), l)) == NULL)
			return -1;
		*p = *own;
		*len = l;
		return 0;
	}
	if (off + 3 > b->pgsize)
		return -1;
	l = rd16(b, pg + off);
	type = pg[off + 2];
	if (type & B_DELETE)
		return -1;
	if (type == B_KEYDATA) {
		if (off + 3 + l > b->pgsize)
			return -1;
		*p = pg + off + 3;
		*len = l;
		return 0;
	}
	if (type != B_OVERFLOW || off + 12 > b->pgsize)
		return -1;
	l = rd32(b, pg + off + 8);
	if ((*own = overflow(b, rd32(b, pg + off + 4), l)) == NULL)
		return -1;
	*p = *own;
	*len = l;
	return 0;
}

/* walk_page - the key/value pairs of one hash or btree leaf page. */
static void
walk_page(struct bdbfile *b, struct feed *f)
{
	unsigned entries = rd16(b, b->pg + 20), i;
	int type = b->pg[25], hash = type == P_HASH ||
	    type == P_HASH_UNSORTED;
	struct hdb_datum k, v;
	uint8_t *ko, *vo;

	if (!hash && type != P_LBTREE)
		return;
	for (i = 0; i + 1 < entries && !f->stop; i += 2) {
		if (item(b, i, entries, hash, &k.data, &k.len, &ko) == -1)
			continue;
		if (item(b, i + 1, entries, hash, &v.data, &v.len, &vo) ==
		    -1) {
			free(ko);
			continue;
		}
		if (f->fn(f->ctx, k, v) != 0)
			f->stop = 1;
		free(ko);
		free(vo);
	}
}

/*
 * bdb_salvage - what db_dump -r does, without libdb: libdb's own salvage
 * (DB->verify with DB_SALVAGE) panics at the first page whose header it
 * cannot read, and gives up the rest of the file with it.
 */
static int
bdb_salvage(const char *path, struct feed *f, char *err, size_t errlen)
{
	static const uint32_t magics[] = { 0x00061561, 0x00053162 };
	struct bdbfile b;
	struct stat st;
	uint8_t meta[24];
	uint64_t pgno;
	size_t i;
	int rc = HDB_ERR;

	memset(&b, 0, sizeof(b));
	if ((b.fd = hdb_pin_open(path, O_RDONLY | O_NONBLOCK, 0)) == -1)
		return seterr(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
	if (fstat(b.fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    pread(b.fd, meta, sizeof(meta), 0) != (ssize_t)sizeof(meta)) {
		seterr(err, errlen, "cannot read '%s'", path);
		goto out;
	}
	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++) {
		b.swap = 0;
		if (rd32(&b, meta + 12) == magics[i])
			break;
		b.swap = 1;
		if (rd32(&b, meta + 12) == magics[i])
			break;
	}
	b.pgsize = rd32(&b, meta + 20);
	/* a damaged meta page: try the common page sizes */
	if (i == sizeof(magics) / sizeof(magics[0]) || b.pgsize < 512 ||
	    b.pgsize > 65536 || (b.pgsize & (b.pgsize - 1)) != 0) {
		b.swap = 0;
		b.pgsize = 4096;
	}
	b.npages = (uint64_t)st.st_size / b.pgsize;
	b.pg = xmalloc(b.pgsize);
	b.ov = xmalloc(b.pgsize);
	for (pgno = 1; pgno < b.npages && !f->stop; pgno++)
		if (read_page(&b, pgno, b.pg) == 0)
			walk_page(&b, f);
	rc = HDB_OK;
out:
	if (b.pg != NULL)
		explicit_bzero(b.pg, b.pgsize);
	if (b.ov != NULL)
		explicit_bzero(b.ov, b.pgsize);
	free(b.pg);
	free(b.ov);
	close(b.fd);
	return rc;
}

static void
tdb_walk(TDB_DATA key, TDB_DATA data, void *ctx)
{
	struct feed *f = ctx;
	struct hdb_datum k = { key.dptr, key.dsize }, v = { data.dptr,
	    data.dsize };

	if (!f->stop && f->fn(f->ctx, k, v) != 0)
		f->stop = 1;
}

/* tdb_salvage - tdb_rescue: every record in the file, chains or not. */
static int
tdb_salvage(const char *path, struct feed *f, char *err, size_t errlen)
{
	struct tdb_context *t;
	int fd;

	/* refuse a symlink or non-file before the library opens it */
	if ((fd = hdb_pin_open(path, O_RDONLY | O_NONBLOCK, 0)) == -1)
		return seterr(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
	close(fd);
	t = tdb_open(path, 0, TDB_NOLOCK | TDB_NOMMAP, O_RDONLY, 0);
	if (t == NULL)
		return seterr(err, errlen, "cannot open '%s': %s", path,
		    strerror(errno));
	if (tdb_rescue(t, tdb_walk, f) != 0 && !f->stop) {
		tdb_close(t);
		return seterr(err, errlen, "cannot salvage '%s'", path);
	}
	tdb_close(t);
	return HDB_OK;
}

static int
fwd(void *ctx, struct hdb_datum k, struct hdb_datum v)
{
	struct feed *f = ctx;

	if (f->fn(f->ctx, k, v) != 0) {
		f->stop = 1;
		return 2;
	}
	return 0;
}

/* iter_salvage - what the normal iteration gives before an error. */
static int
iter_salvage(const struct hdb_backend *be, const char *path, struct feed *f,
    char *err, size_t errlen)
{
	struct hdb *h;
	char why[256];

	if ((h = hdb_open(be, path, HDB_O_RDONLY, 0, why, sizeof(why))) ==
	    NULL)
		return seterr(err, errlen, "%s", why);
	(void)hdb_iterate(h, fwd, f);
	hdb_close(h);
	return HDB_OK;
}

int
hdb_salvage(const struct hdb_backend *be, const char *path, hdb_iter_fn fn,
    void *ctx, char *err, size_t errlen)
{
	struct feed f = { fn, ctx, 0 };
	char pinned[4096];
	const char *p;

	if (be == &hdb_backend_bdb || be == &hdb_backend_tdb) {
		if ((p = hdb_pin_path(path, pinned, sizeof(pinned))) == NULL)
			return seterr(err, errlen, "cannot open '%s': %s",
			    path, strerror(errno));
		return be == &hdb_backend_bdb ? bdb_salvage(p, &f, err,
		    errlen) : tdb_salvage(p, &f, err, errlen);
	}
	return iter_salvage(be, path, &f, err, errlen);
}
