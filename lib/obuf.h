/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * obuf.h - output built in memory: on the stack while it fits, then on the
 * heap, and written with one fwrite.  A dump prints millions of records;
 * stdio's cost per call was most of its time.  The hot calls are inline.
 *
 *	struct obuf b;
 *	ob_init(&b);
 *	ob_str(&b, "name: "); ob_int(&b, 42); ob_add(&b, "\n", 1);
 *	ob_flush(&b, fp);		// writes, frees, ready for more
 */
#ifndef HDB_OBUF_H
#define HDB_OBUF_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct obuf {
	char		*p;
	size_t		 len, cap;
	char		 room[1024];
};

/* Grow b to hold n more bytes; returns where they go (the slow path of
 * ob_room). */
char   *hdb_ob_grow(struct obuf *b, size_t n);

static inline void
ob_init(struct obuf *b)
{
	b->p = b->room;
	b->len = 0;
	b->cap = sizeof(b->room);
}

/* Room for n more bytes; returns where they go. */
static inline char *
ob_room(struct obuf *b, size_t n)
{
	return b->cap - b->len >= n ? b->p + b->len : hdb_ob_grow(b, n);
}

static inline void
ob_add(struct obuf *b, const void *s, size_t n)
{
	memcpy(ob_room(b, n), s, n);
	b->len += n;
}

static inline void
ob_str(struct obuf *b, const char *s)
{
	ob_add(b, s, strlen(s));
}

/* Decimal, as printf's %lld; two digits a division. */
static inline void
ob_int(struct obuf *b, long long v)
{
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324"
	    "25262728293031323334353637383940414243444546474849"
	    "50515253545556575859606162636465666768697071727374"
	    "75767778798081828384858687888990919293949596979899";
	char tmp[24], *e = tmp + sizeof(tmp), *q = e;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;

	while (u >= 100) {
		q -= 2;
		memcpy(q, pairs + 2 * (u % 100), 2);
		u /= 100;
	}
	if (u >= 10) {
		q -= 2;
		memcpy(q, pairs + 2 * u, 2);
	} else
		*--q = (char)('0' + u);
	if (v < 0)
		*--q = '-';
	ob_add(b, q, (size_t)(e - q));
}

/* Write it out and forget it. */
static inline void
ob_flush(struct obuf *b, FILE *fp)
{
	fwrite(b->p, 1, b->len, fp);
	if (b->p != b->room)
		free(b->p);
	ob_init(b);
}

#endif
