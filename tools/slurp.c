/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slurp.c - read a whole DB into one arena (see slurp.h). */
#include <stdlib.h>
#include <string.h>

#include "slurp.h"
#include "xmalloc.h"

static int
add(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct slurp *s = ctx;
	size_t need, vlen = s->keys_only ? 0 : val.len;

	if (key.len > UINT32_MAX || vlen > UINT32_MAX)
		return -1;
	need = key.len + vlen;
	if (s->used + need > s->cap) {
		while (s->used + need > s->cap)
			s->cap = s->cap ? s->cap * 2 : 1 << 20;
		s->buf = xreallocarray(s->buf, s->cap, 1);
	}
	if (s->n == s->ncap) {
		s->ncap = s->ncap ? s->ncap * 2 : 4096;
		s->recs = xreallocarray(s->recs, s->ncap, sizeof(*s->recs));
	}
	memcpy(s->buf + s->used, key.data, key.len);
	if (vlen)
		memcpy(s->buf + s->used + key.len, val.data, vlen);
	s->recs[s->n].off = s->used;
	s->recs[s->n].klen = (uint32_t)key.len;
	s->recs[s->n].vlen = (uint32_t)vlen;
	s->n++;
	s->used += need;
	return 0;
}

int
slurp_read(struct slurp *s, struct hdb *h, int keys_only)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->keys_only = keys_only;
	r = hdb_iterate(h, add, s);
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

void
slurp_sort(struct slurp *s)
{
	if (s->n < 2)
		return;		/* an empty DB has no recs array at all */
	sort_base = s->buf;
	qsort(s->recs, s->n, sizeof(*s->recs), cmp);
}

void
slurp_free(struct slurp *s)
{
	free(s->buf);
	free(s->recs);
	memset(s, 0, sizeof(*s));
}
