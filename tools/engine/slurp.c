/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slurp.c - read a whole DB into one arena (see slurp.h).
 *
 * The copy is made under Exim's read lock, so what it costs is lock time.
 * Most of that is not the copying but the page faults on fresh memory: a
 * million retry records are some 140 MB, 35,000 faults in 4 KiB pages, and
 * on a virtual machine a fault can cost tens of microseconds.  So the arena
 * and the record index are each one anonymous mapping, reserved up front as
 * address space only (MAP_NORESERVE) from the size of the DB file, which
 * bounds what its records can take, and advised for transparent huge
 * pages: a few hundred faults instead.  Only the pages the records fill are
 * ever touched, so memory is still just what the records need.  When the
 * size is not known, or the DB outgrew it, a mapping doubles by mremap,
 * which moves page tables, not data.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "engine/pieces.h"
#include "engine/slurp.h"
#include "hash.h"
#include "progress.h"
#include "xmalloc.h"

#define SLURP_ALIGN	((size_t)2 << 20)	/* a huge page */

/* n bytes (a multiple of SLURP_ALIGN) of address space, or MAP_FAILED. */
static void *
map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p != MAP_FAILED)
		madvise(p, n, MADV_HUGEPAGE);	/* advice: fails without THP */
	return p;
}

static size_t
huge_round(size_t n)
{
	return (n + SLURP_ALIGN - 1) & ~(SLURP_ALIGN - 1);
}

static void	*room_as(void *, size_t *, size_t, int);

/*
 * room - the mapping at p (NULL: none yet) of *cap bytes, grown to hold at
 * least need bytes: at once to need when new, else by doubling.  Exits as
 * xmalloc does when there is no address space left.
 */
static void *
room(void *p, size_t *cap, size_t need)
{
	return room_as(p, cap, need, 1);
}

/* room_as - the same, in huge pages only if huge (slurp_plain_pages). */
static void *
room_as(void *p, size_t *cap, size_t need, int huge)
{
	size_t n = p == NULL ? need : *cap * 2;

	while (n < need)
		n *= 2;
	n = huge_round(n);
	if (p == NULL)
		p = map(n);
	else if ((p = mremap(p, *cap, n, MREMAP_MAYMOVE)) != MAP_FAILED)
		madvise(p, n, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	if (p == MAP_FAILED)
		errx(70, "out of memory");
	*cap = n;
	return p;
}

/* A first mapping of hint bytes; one huge page if that much address space
 * is not to be had (strict overcommit counts it): room grows it. */
static void *
reserve(size_t *cap, size_t hint)
{
	void *p;

	*cap = huge_round(hint > 0 ? hint : 1);
	if ((p = map(*cap)) != MAP_FAILED)
		return p;
	*cap = 0;
	return room(NULL, cap, 1);
}

int
slurp_add(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct slurp *s = ctx;
	size_t need, vlen = s->keys_only ? 0 : val.len, bytes;

	if (key.len > UINT32_MAX || vlen > UINT32_MAX)
		return -1;
	need = key.len + vlen;
	if (s->used + need > s->cap)
		s->buf = room_as(s->buf, &s->cap, s->used + need, !s->plain);
	if (s->n == s->ncap) {
		bytes = s->ncap * sizeof(*s->recs);
		s->recs = room_as(s->recs, &bytes, bytes + sizeof(*s->recs),
		    !s->plain);
		s->ncap = bytes / sizeof(*s->recs);
	}
	memcpy(s->buf + s->used, key.data, key.len);
	if (vlen)
		memcpy(s->buf + s->used + key.len, val.data, vlen);
	s->recs[s->n].off = s->used;
	s->recs[s->n].klen = (uint32_t)key.len;
	s->recs[s->n].vlen = (uint32_t)vlen;
	s->n++;
	s->used += need;
	if (s->limit > 0 && s->used + s->n * sizeof(*s->recs) >= s->limit)
		return SCAN_FULL;
	return 0;
}

void
slurp_init(struct slurp *s, const char *path, int keys_only)
{
	struct stat st;
	size_t hint = 0, bytes = 0;

	memset(s, 0, sizeof(*s));
	s->keys_only = keys_only;
	/* Records take at most the file's bytes, and 16 of them a record of
	 * the index is more than any backend's per-record overhead. */
	if (path != NULL && stat(path, &st) == 0 && S_ISREG(st.st_mode))
		hint = (size_t)st.st_size;
	s->buf = reserve(&s->cap, hint);
	s->recs = reserve(&bytes, hint);
	s->ncap = bytes / sizeof(*s->recs);
}

int
slurp_read(struct slurp *s, struct hdb *h, int keys_only)
{
	int r;

	slurp_init(s, h->path, keys_only);
	progress_begin(0, 0, "%s: reading", strrchr(h->path, '/') != NULL ?
	    strrchr(h->path, '/') + 1 : h->path);
	r = hdb_iterate(h, slurp_add, s);
	progress_end();		/* the caller's output may follow */
	return r == HDB_ERR || r == -1 ? HDB_ERR : HDB_OK;
}

static const uint8_t *sort_base;

static int
cmp(const void *a, const void *b)
{
	const struct slurp_rec *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(sort_base + x->off, sort_base + y->off, n);

	if (c != 0)
		return c;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* Keys by their first eight bytes, big-endian and zero padded: an order
 * that agrees with cmp wherever two prefixes differ. */
struct sortkey {
	uint64_t	 pre;
	size_t		 i;		/* index into recs */
};

_Static_assert(sizeof(struct slurp_rec) <= sizeof(struct sortkey),
    "slurp_sort reuses its sort keys' memory for the records");

static uint64_t
prefix(const uint8_t *k, size_t len)
{
	uint64_t v = 0;
	size_t j;

	for (j = 0; j < 8; j++)
		v = v << 8 | (j < len ? k[j] : 0);
	return v;
}

static const struct slurp_rec *sort_recs;

static int
cmp_tie(const void *a, const void *b)
{
	const struct sortkey *x = a, *y = b;

	return cmp(&sort_recs[x->i], &sort_recs[y->i]);
}

/*
 * slurp_sort - by key bytes, shorter first on a tie, as memcmp.  A radix
 * sort of the eight-byte prefixes (a pass per byte over 16-byte items,
 * streaming through memory), then qsort within each run of equal
 * prefixes.  A plain qsort of a big DB is dominated by cache misses: each
 * of its twenty-odd million comparisons reads two keys at random places
 * in the arena.
 */
void
slurp_sort(struct slurp *s)
{
	size_t cnt[8][256];
	struct sortkey *a, *t, *x;
	struct slurp_rec *out;
	size_t n = s->n, abytes = 0, tbytes = 0, i, run, sum, c, v;
	int b;

	if (n < 2)
		return;		/* an empty DB has no recs array at all */
	sort_base = s->buf;
	sort_recs = s->recs;
	a = room(NULL, &abytes, n * sizeof(*a));
	t = room(NULL, &tbytes, n * sizeof(*t));
	memset(cnt, 0, sizeof(cnt));
	for (i = 0; i < n; i++) {
		a[i].pre = prefix(s->buf + s->recs[i].off, s->recs[i].klen);
		a[i].i = i;
		for (b = 0; b < 8; b++)
			cnt[b][a[i].pre >> (8 * b) & 0xff]++;
	}
	for (b = 0; b < 8; b++) {
		if (cnt[b][a[0].pre >> (8 * b) & 0xff] == n)
			continue;	/* all alike in this byte */
		for (sum = 0, c = 0; c < 256; c++) {
			v = cnt[b][c];
			cnt[b][c] = sum;
			sum += v;
		}
		for (i = 0; i < n; i++)
			t[cnt[b][a[i].pre >> (8 * b) & 0xff]++] = a[i];
		x = a;
		a = t;
		t = x;
	}
	for (i = 0; i < n; i = run) {
		for (run = i + 1; run < n && a[run].pre == a[i].pre; run++)
			continue;
		if (run - i > 1)
			qsort(a + i, run - i, sizeof(*a), cmp_tie);
	}
	/* t is free again, and as big as the recs: put them there in order */
	out = (struct slurp_rec *)(void *)t;
	for (i = 0; i < n; i++)
		out[i] = s->recs[a[i].i];
	memcpy(s->recs, out, n * sizeof(*s->recs));
	munmap(a, abytes);	/* both mappings have the same size */
	munmap(t, tbytes);
}

static int
same_key(const struct slurp *s, size_t i, size_t j)
{
	return s->recs[i].klen == s->recs[j].klen &&
	    memcmp(slurp_key(s, i), slurp_key(s, j), s->recs[i].klen) == 0;
}

#define DEDUPE_AHEAD	16	/* slots looked up ahead, to hide misses */

/*
 * slurp_dedupe - a key read more than once keeps its last copy, the
 * newest, and the records stay in the order read.  One pass through an
 * open-addressing table of 1.5 slots a record, each the record's index
 * (records are fewer than 2^32: their index alone would take 64 GiB) and
 * the top half of its hash, so that a slot of another key is told apart
 * without reading that key; a bit a record marks the ones to drop.  The
 * table and bits (12 bytes a record) are freed before it returns.
 * Sorting instead would cost 32 bytes a record and n log n.
 */
void
slurp_dedupe(struct slurp *s)
{
	size_t slots = s->n + s->n / 2, i, j, n = 0;
	uint64_t *tab, h, hs[DEDUPE_AHEAD];
	uint8_t *drop;

	if (s->n < 2)
		return;
	tab = xcalloc(slots, sizeof(*tab));	/* hash top | index + 1 */
	drop = xcalloc((s->n + 7) / 8, 1);
	for (i = 0; i < s->n; i++) {
		if (i % DEDUPE_AHEAD == 0)
			for (j = 0; j < DEDUPE_AHEAD && i + j < s->n; j++) {
				hs[j] = hdb_hash_bytes(slurp_key(s, i + j),
				    s->recs[i + j].klen);
				__builtin_prefetch(&tab[hs[j] % slots]);
			}
		h = hs[i % DEDUPE_AHEAD];
		j = h % slots;
		while (tab[j] != 0 && ((tab[j] >> 32) != (h >> 32) ||
		    !same_key(s, (tab[j] & UINT32_MAX) - 1, i)))
			j = j + 1 == slots ? 0 : j + 1;
		if (tab[j] != 0) {
			size_t d = (tab[j] & UINT32_MAX) - 1;

			drop[d / 8] |= (uint8_t)(1u << d % 8);
		}
		tab[j] = (h >> 32) << 32 | ((uint64_t)i + 1);
	}
	free(tab);
	for (i = 0; i < s->n; i++)
		if (!(drop[i / 8] >> (i % 8) & 1))
			s->recs[n++] = s->recs[i];
	free(drop);
	s->n = n;
}

void
slurp_free(struct slurp *s)
{
	if (s->buf != NULL)
		munmap(s->buf, s->cap);
	if (s->recs != NULL)
		munmap(s->recs, s->ncap * sizeof(*s->recs));
	free(s->seen);
	memset(s, 0, sizeof(*s));
}

void
slurp_plain_pages(struct slurp *s)
{
	s->plain = 1;
	if (s->buf != NULL)
		(void)madvise(s->buf, s->cap, MADV_NOHUGEPAGE);
	if (s->recs != NULL)
		(void)madvise(s->recs, s->ncap * sizeof(*s->recs),
		    MADV_NOHUGEPAGE);
}

void
slurp_empty(struct slurp *s)
{
	s->used = 0;
	s->n = 0;
}

static int
u64_order(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
seen_has(const uint64_t *v, size_t n, uint64_t h)
{
	return bsearch(&h, v, n, sizeof(*v), u64_order) != NULL;
}

/*
 * seen_merge - the nseen hashes (sorted) and the nb after them (sorted
 * here) into one sorted run, from the back so that only the batch needs
 * room of its own.
 */
static void
seen_merge(struct slurp *s, size_t nb)
{
	uint64_t *b, *v = s->seen;
	size_t i = s->nseen, j = nb, k = s->nseen + nb;

	b = xreallocarray(NULL, nb ? nb : 1, sizeof(*b));
	memcpy(b, v + s->nseen, nb * sizeof(*b));
	qsort(b, nb, sizeof(*b), u64_order);
	while (j > 0)
		v[--k] = i > 0 && v[i - 1] > b[j - 1] ? v[--i] : b[--j];
	free(b);
}

/*
 * The hashes of the keys passed on are kept in s->seen, 8 bytes a record;
 * unsorted while the DB has not changed during the read (no key can come
 * twice), sorted from the first change on, when each batch is looked up
 * in them.  A batch's own repeats are found by sorting its hashes with
 * their places.
 */
struct hpos {
	uint64_t	 h;
	size_t		 i;
};

static int
hpos_order(const void *a, const void *b)
{
	const struct hpos *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

void
slurp_stream_dedupe(struct slurp *s, int changed)
{
	struct hpos *hp;
	size_t i, n = 0, nb = 0;
	uint8_t *drop;

	if (s->nseen + s->n > s->seencap) {
		s->seencap = (s->nseen + s->n) * 2;
		s->seen = xreallocarray(s->seen, s->seencap, sizeof(*s->seen));
	}
	if (!changed) {
		for (i = 0; i < s->n; i++)
			s->seen[s->nseen++] = hdb_hash_bytes(slurp_key(s, i),
			    s->recs[i].klen);
		return;
	}
	if (!s->seen_sorted) {
		if (s->before_sort != NULL)
			s->before_sort(s->sort_ctx, s);
		qsort(s->seen, s->nseen, sizeof(*s->seen), u64_order);
		s->seen_sorted = 1;
	}
	hp = xreallocarray(NULL, s->n ? s->n : 1, sizeof(*hp));
	drop = xcalloc(s->n ? s->n : 1, 1);
	for (i = 0; i < s->n; i++) {
		hp[i].h = hdb_hash_bytes(slurp_key(s, i), s->recs[i].klen);
		hp[i].i = i;
	}
	qsort(hp, s->n, sizeof(*hp), hpos_order);
	for (i = 0; i < s->n; i++)
		drop[hp[i].i] = (i > 0 && hp[i - 1].h == hp[i].h) ||
		    seen_has(s->seen, s->nseen, hp[i].h);
	for (i = 0; i < s->n; i++)
		if (!drop[hp[i].i])
			s->seen[s->nseen + nb++] = hp[i].h;
	seen_merge(s, nb);
	s->nseen += nb;
	for (i = 0; i < s->n; i++)
		if (!drop[i])
			s->recs[n++] = s->recs[i];
	s->n = n;
	free(hp);
	free(drop);
}
