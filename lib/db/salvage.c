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
 * at the end of the page.  Every page of the file that holds data is
 * read, whether a chain still reaches it or not; every field is
 * bounds-checked.
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

/*
 * The pages that hold data: a file's holes read as zeros, pages libdb
 * never wrote, so a walk skips them (SEEK_DATA, SEEK_HOLE).  A file of 64
 * GiB apparent size may take 4 KiB on disk: the work done on it must be
 * proportional to the 4 KiB.  Where the file system cannot tell, the
 * whole file is data.
 */
struct extent {
	uint64_t	 first, n;	/* pages [first, first + n) */
	uint64_t	 base;		/* index of page first among data pages */
};

struct extents {
	struct extent	*e;
	size_t		 n, cap;
	uint64_t	 pages;		/* data pages in all */
};

struct bdbfile {
	int		 fd;
	int		 swap;		/* the file's byte order is not ours */
	uint32_t	 pgsize;
	uint64_t	 npages;
	struct extents	 x;
	uint8_t		*pg, *ov;	/* a page, an overflow page */
	uint8_t		*used;		/* data pages a chain took (bitmap) */
};

/* add_pages - pages [first, end) hold data; extents stay sorted. */
static void
add_pages(struct extents *x, uint64_t first, uint64_t end)
{
	struct extent *l = x->n > 0 ? &x->e[x->n - 1] : NULL;

	if (l != NULL && first < l->first + l->n)	/* a shared page */
		first = l->first + l->n;
	if (first >= end)
		return;
	x->pages += end - first;
	if (l != NULL && first == l->first + l->n) {
		l->n += end - first;
		return;
	}
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 16;
		x->e = xreallocarray(x->e, x->cap, sizeof(*x->e));
	}
	x->e[x->n].first = first;
	x->e[x->n].n = end - first;
	x->e[x->n].base = x->pages - (end - first);
	x->n++;
}

/* data_pages - the extents of b's file that hold data. */
static void
data_pages(struct bdbfile *b)
{
	off_t end = (off_t)(b->npages * b->pgsize), pos = 0, data, hole;

	while (pos < end) {
		if ((data = lseek(b->fd, pos, SEEK_DATA)) == -1) {
			if (errno != ENXIO)	/* cannot tell: data */
				add_pages(&b->x, (uint64_t)pos / b->pgsize,
				    b->npages);
			break;
		}
		if (data >= end)
			break;
		if ((hole = lseek(b->fd, data, SEEK_HOLE)) == -1 ||
		    hole > end)
			hole = end;
		add_pages(&b->x, (uint64_t)data / b->pgsize,
		    ((uint64_t)hole + b->pgsize - 1) / b->pgsize);
		pos = hole;
	}
}

/* page_index - pgno's index among the data pages, or -1 in a hole. */
static int64_t
page_index(const struct extents *x, uint64_t pgno)
{
	size_t lo = 0, hi = x->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pgno < x->e[mid].first)
			hi = mid;
		else if (pgno >= x->e[mid].first + x->e[mid].n)
			lo = mid + 1;
		else
			return (int64_t)(x->e[mid].base + pgno -
			    x->e[mid].first);
	}
	return -1;
}

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

/*
 * overflow - the tlen bytes of an off-page item from pgno on; NULL if
 * the chain is broken.  A chain is overflow pages with data, each taken
 * by one chain in a salvage: a chain that loops, or that another item
 * already read, ends there, so the walk reads each page at most once
 * however many items name it.  An item longer than the data pages can
 * hold is refused before anything is allocated for it.
 */
static uint8_t *
overflow(struct bdbfile *b, uint32_t pgno, uint32_t tlen)
{
	uint8_t *out;
	uint32_t got = 0, n;
	int64_t ix;

	if (tlen == 0 || tlen > MAX_REC ||
	    tlen / (b->pgsize - P_HDR) >= b->x.pages)
		return NULL;
	out = xmalloc(tlen);
	while (got < tlen) {
		if (pgno == 0 || pgno >= b->npages ||
		    (ix = page_index(&b->x, pgno)) == -1 ||
		    (b->used[ix / 8] & (1u << (ix % 8))) != 0)
			goto bad;
		b->used[ix / 8] |= (uint8_t)(1u << (ix % 8));
		if (read_page(b, pgno, b->ov) == -1 ||
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
	data_pages(&b);
	b.pg = xmalloc(b.pgsize);
	b.ov = xmalloc(b.pgsize);
	b.used = xcalloc((size_t)(b.x.pages / 8 + 1), 1);
	/* the pages that hold data, not the holes between them */
	for (i = 0; i < b.x.n && !f->stop; i++)
		for (pgno = b.x.e[i].first; pgno < b.x.e[i].first +
		    b.x.e[i].n && !f->stop; pgno++)
			if (pgno > 0 && read_page(&b, pgno, b.pg) == 0)
				walk_page(&b, f);
	rc = HDB_OK;
out:
	free(b.used);
	free(b.x.e);
	if (b.pg != NULL)
		explicit_bzero(b.pg, b.pgsize);
	if (b.ov != NULL)
		explicit_bzero(b.ov, b.pgsize);
	free(b.pg);
	free(b.ov);
	close(b.fd);
	return rc;
}

/*
 * The check before libdb's hash cursor (hdb_bdb_check).  libdb 5.3
 * trusts, unchecked: that an item's length is the gap to the previous
 * item's offset (the first item ends at the page end), that an off-page
 * item's overflow chain holds exactly its length, that the bucket table
 * and every page link stay inside the file, and that a bucket's chain
 * ends.  One sequential pass records each page's kind and links; the
 * bucket chains and the overflow chains are then followed in that map,
 * each page at most once.  An all-zero page is one libdb never wrote:
 * it reads it as an empty hash page; so is a page in a hole, which is
 * not read.
 */
#define P_INVALID	0
#define P_HASHMETA	8
#define HOFFPAGE_SZ	12
#define HMETA_MAXB	72	/* u32 max_bucket, high_mask, low_mask */
#define HMETA_LOWM	80
#define HMETA_SPARES	96	/* u32 spares[32] */
#define HMETA_END	224
#define CHUNK		(256u << 10)

enum { PG_BLANK, PG_FREE, PG_HASH, PG_OVER };	/* a hole: PG_BLANK */
#define PF_HEAD		1	/* an off-page item's chain starts here */
#define PF_SEEN		2	/* reached by a bucket or a chain */

struct pgmap {
	uint32_t	 next;
	uint32_t	 tlen;		/* PF_HEAD: the item's length */
	uint16_t	 len;		/* overflow page: bytes it holds */
	uint8_t		 kind;
	uint8_t		 flags;
};

struct bdbcheck {
	struct bdbfile	 f;
	struct pgmap	*map;
	char		*err;
	size_t		 errlen;
};

static int	damage(struct bdbcheck *, uint64_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static int
damage(struct bdbcheck *c, uint64_t pgno, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->errlen > 0) {
		n = snprintf(c->err, c->errlen, "page %llu: ",
		    (unsigned long long)pgno);
		if (n >= 0 && (size_t)n < c->errlen) {
			va_start(ap, fmt);
			vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	errno = EIO;
	return HDB_ERR;
}

/* hash_items - the items of a hash page lie end to end, from the page end
 * down to its free-space offset, and are key/data pairs. */
static int
hash_items(struct bdbcheck *c, uint32_t pgno, const uint8_t *pg)
{
	const struct bdbfile *b = &c->f;
	unsigned n = rd16(b, pg + 20), i;
	uint32_t hoff = rd16(b, pg + 22), end = b->pgsize, off, ov;

	if (hoff == 0 && b->pgsize == 65536)
		hoff = 65536;	/* a u16: an empty 64 KiB page */
	if (n % 2 != 0 || P_HDR + 2 * n > hoff || hoff > b->pgsize)
		return damage(c, pgno, "%u items, free space from offset %u",
		    n, hoff);
	for (i = 0; i < n; i++) {
		off = rd16(b, pg + P_HDR + 2 * i);
		if (off < hoff || off >= end)
			return damage(c, pgno, "item %u at offset %u", i, off);
		if (pg[off] == H_OFFPAGE) {
			if (end - off != HOFFPAGE_SZ)
				return damage(c, pgno, "item %u: off-page item "
				    "of %u bytes", i, end - off);
			ov = rd32(b, pg + off + 4);
			if (ov == 0 || ov >= b->npages ||
			    (c->map[ov].flags & PF_HEAD))
				return damage(c, pgno, "item %u: overflow page "
				    "%u", i, ov);
			c->map[ov].flags |= PF_HEAD;
			c->map[ov].tlen = rd32(b, pg + off + 8);
		} else if (pg[off] != H_KEYDATA)
			return damage(c, pgno, "item %u of type %u", i,
			    pg[off]);
		end = off;
	}
	if (end != hoff)
		return damage(c, pgno, "items end at offset %u, free space at "
		    "%u", end, hoff);
	return HDB_OK;
}

static int
all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* one_page - page pgno's kind and links into the map; its items checked. */
static int
one_page(struct bdbcheck *c, uint32_t pgno, const uint8_t *pg)
{
	const struct bdbfile *b = &c->f;
	struct pgmap *m = &c->map[pgno];
	uint32_t named = rd32(b, pg + 8), next = rd32(b, pg + 16);

	if (named == 0 && all_zero(pg, b->pgsize)) {
		m->kind = PG_BLANK;
		return HDB_OK;
	}
	if (named != pgno)
		return damage(c, pgno, "header names page %u", named);
	switch (pg[25]) {
	case P_INVALID:
		m->kind = PG_FREE;
		return HDB_OK;
	case P_HASH:
	case P_HASH_UNSORTED:
		m->kind = PG_HASH;
		break;
	case P_OVERFLOW:
		m->kind = PG_OVER;
		m->len = rd16(b, pg + 22);
		if (m->len > b->pgsize - P_HDR)
			return damage(c, pgno, "overflow page of %u bytes",
			    m->len);
		break;
	default:
		return damage(c, pgno, "page type %u", pg[25]);
	}
	if (next >= b->npages)
		return damage(c, pgno, "next page %u is past the end of the "
		    "file", next);
	m->next = next;
	return m->kind == PG_HASH ? hash_items(c, pgno, pg) : HDB_OK;
}

/* bucket_chain - a bucket's pages: hash pages, each reached once. */
static int
bucket_chain(struct bdbcheck *c, uint32_t bucket, uint32_t pgno)
{
	struct pgmap *m;

	for (;;) {
		m = &c->map[pgno];
		if (m->flags & PF_SEEN)
			return damage(c, pgno, "reached twice (bucket %u)",
			    bucket);
		m->flags |= PF_SEEN;
		if (m->kind == PG_BLANK || (m->kind == PG_HASH &&
		    m->next == 0))
			return HDB_OK;
		if (m->kind != PG_HASH)
			return damage(c, pgno, "in the chain of bucket %u but "
			    "not a hash page", bucket);
		pgno = m->next;
	}
}

/* buckets - the meta page's bucket table: a key's bucket (its hash under
 * high_mask, else low_mask) is never past max_bucket, and every bucket's
 * page, spares[ceil(log2(bucket + 1))] + bucket, is in the file. */
static int
buckets(struct bdbcheck *c, const uint8_t *meta)
{
	const struct bdbfile *b = &c->f;
	uint32_t maxb = rd32(b, meta + HMETA_MAXB), bk;
	uint64_t pgno;
	unsigned lg;

	if (maxb >= b->npages || rd32(b, meta + HMETA_LOWM) > maxb)
		return damage(c, 0, "%llu buckets in a file of %llu pages",
		    (unsigned long long)maxb + 1,
		    (unsigned long long)b->npages);
	for (bk = 0; bk <= maxb; bk++) {
		for (lg = 0; (1ull << lg) < (uint64_t)bk + 1; lg++)
			;
		pgno = lg < 32 ? (uint64_t)bk +
		    rd32(b, meta + HMETA_SPARES + 4 * lg) : 0;
		if (pgno == 0 || pgno >= b->npages)
			return damage(c, 0, "bucket %u on page %llu", bk,
			    (unsigned long long)pgno);
		if (bucket_chain(c, bk, (uint32_t)pgno) != HDB_OK)
			return HDB_ERR;
	}
	return HDB_OK;
}

/* overflows - each off-page item's chain: overflow pages only, each in
 * one chain, holding exactly the item's length. */
static int
overflows(struct bdbcheck *c)
{
	struct pgmap *m;
	uint64_t pgno, p, sum;

	for (pgno = 1; pgno < c->f.npages; pgno++) {
		if (!(c->map[pgno].flags & PF_HEAD))
			continue;
		sum = 0;
		p = pgno;
		do {
			m = &c->map[p];
			if (m->kind != PG_OVER || (m->flags & PF_SEEN))
				return damage(c, p, "in the overflow chain "
				    "from page %llu but %s", (unsigned long
				    long)pgno, m->kind != PG_OVER ? "not an "
				    "overflow page" : "reached twice");
			m->flags |= PF_SEEN;
			sum += m->len;
			p = m->next;
		} while (p != 0);
		if (sum != c->map[pgno].tlen)
			return damage(c, pgno, "overflow chain of %llu bytes "
			    "for an item of %u", (unsigned long long)sum,
			    c->map[pgno].tlen);
	}
	return HDB_OK;
}

static int
read_full(int fd, uint8_t *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		if ((n = pread(fd, buf, len, off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* extent - the sequential pass over pages [first, end), page 0 kept in
 * meta. */
static int
extent(struct bdbcheck *c, uint8_t *meta, uint64_t first, uint64_t end)
{
	struct bdbfile *b = &c->f;
	size_t per = CHUNK / b->pgsize, n, i;
	uint64_t pgno;
	uint8_t *buf;
	int rc = HDB_OK;

	buf = xmalloc(per * b->pgsize);
	for (pgno = first; pgno < end && rc == HDB_OK; pgno += n) {
		n = end - pgno < per ? (size_t)(end - pgno) : per;
		if (read_full(b->fd, buf, n * b->pgsize,
		    (off_t)(pgno * b->pgsize)) == -1) {
			rc = damage(c, pgno, "cannot be read: %s",
			    strerror(errno));
			break;
		}
		for (i = 0; i < n && rc == HDB_OK; i++) {
			if (pgno + i == 0)
				memcpy(meta, buf, HMETA_END);
			else
				rc = one_page(c, (uint32_t)(pgno + i),
				    buf + i * b->pgsize);
		}
	}
	explicit_bzero(buf, per * b->pgsize);
	free(buf);
	return rc;
}

/* pages - the pages that hold data; a hole is blank pages (PG_BLANK). */
static int
pages(struct bdbcheck *c, uint8_t *meta)
{
	const struct extents *x = &c->f.x;
	size_t i;
	int rc = HDB_OK;

	for (i = 0; i < x->n && rc == HDB_OK; i++)
		rc = extent(c, meta, x->e[i].first, x->e[i].first + x->e[i].n);
	return rc;
}

/*
 * sparse - does the file claim far more pages than it holds?  libdb
 * leaves holes only where a doubling of the bucket table reserved pages
 * for buckets not yet split: at most as many pages as the file holds
 * before them.  A file mostly holes was not written by libdb, and libdb's
 * own verify would read every page of it.
 */
#define HOLE_SLACK	4096	/* pages: small files, big file system blocks */

static int
sparse(struct bdbcheck *c)
{
	uint64_t data = c->f.x.pages, holes = c->f.npages - data;

	if (holes > data + HOLE_SLACK)
		return damage(c, 0, "a file of %llu pages with data in %llu: "
		    "the rest are holes libdb never leaves",
		    (unsigned long long)c->f.npages, (unsigned long long)data);
	return HDB_OK;
}

int
hdb_bdb_check(int fd, char *err, size_t errlen)
{
	struct bdbcheck c;
	struct stat st;
	uint8_t meta[HMETA_END];
	int rc;

	memset(&c, 0, sizeof(c));
	c.err = err;
	c.errlen = errlen;
	c.f.fd = fd;
	if (fstat(fd, &st) == -1 || read_full(fd, meta, sizeof(meta), 0) ==
	    -1)
		return seterr(err, errlen, "cannot read the meta page: %s",
		    strerror(errno));
	if (rd32(&c.f, meta + 12) != 0x00061561) {
		c.f.swap = 1;
		if (rd32(&c.f, meta + 12) != 0x00061561)
			return HDB_OK;	/* btree: not checked */
	}
	c.f.pgsize = rd32(&c.f, meta + 20);
	if (c.f.pgsize < 512 || c.f.pgsize > 65536 ||
	    (c.f.pgsize & (c.f.pgsize - 1)) != 0)
		return damage(&c, 0, "page size %u", c.f.pgsize);
	c.f.npages = (uint64_t)st.st_size / c.f.pgsize;
	if (c.f.npages > UINT32_MAX)
		return damage(&c, 0, "%llu pages",
		    (unsigned long long)c.f.npages);
	/* the size is checked against the data before anything is read */
	data_pages(&c.f);
	if (sparse(&c) != HDB_OK) {
		free(c.f.x.e);
		return HDB_ERR;
	}
	if ((c.map = calloc((size_t)c.f.npages, sizeof(*c.map))) == NULL) {
		free(c.f.x.e);
		return seterr(err, errlen, "cannot check %llu pages: %s",
		    (unsigned long long)c.f.npages, strerror(errno));
	}
	rc = pages(&c, meta);
	if (rc == HDB_OK)
		rc = buckets(&c, meta);
	if (rc == HDB_OK)
		rc = overflows(&c);
	free(c.map);
	free(c.f.x.e);
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

/*
 * iter_salvage - what the normal iteration gives before an error; SQLite
 * passes over the rows it cannot read (hdb_sqlite_salvage).
 */
static int
iter_salvage(const struct hdb_backend *be, const char *path, struct feed *f,
    char *err, size_t errlen)
{
	struct hdb *h;
	char why[256];

	if ((h = hdb_open(be, path, HDB_O_RDONLY, 0, why, sizeof(why))) ==
	    NULL)
		return seterr(err, errlen, "%s", why);
	if (be == &hdb_backend_sqlite)
		(void)hdb_sqlite_salvage(h, fwd, f);
	else
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
