/* SPDX-License-Identifier: GPL-2.0-or-later */
/* obuf.c - the slow path of obuf.h: moving to, and growing on, the heap. */
#include <string.h>

#include "obuf.h"
#include "xmalloc.h"

char *
hdb_ob_grow(struct obuf *b, size_t n)
{
	char *q;

	while (b->cap - b->len < n)
		b->cap *= 2;
	if (b->p == b->room) {
		q = xmalloc(b->cap);
		memcpy(q, b->room, b->len);
		b->p = q;
	} else
		b->p = xreallocarray(b->p, b->cap, 1);
	return b->p + b->len;
}
