/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xmalloc.c - allocation wrappers.  Running out of memory is not something a
 * hints tool can recover from sensibly, so these print one line and exit 70.
 */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "xmalloc.h"

static void
oom(void)
{
	fputs("hintsdb: out of memory\n", stderr);
	exit(70);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		oom();
	return p;
}

void *
xreallocarray(void *old, size_t n, size_t sz)
{
	void *p = reallocarray(old, n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		oom();
	return p;
}

void *
xmemdup(const void *src, size_t n)
{
	void *p = xmalloc(n);

	if (n)
		memcpy(p, src, n);
	return p;
}

size_t
xappend(uint8_t **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	size_t off = *len;

	while (*buf == NULL || *len + n > *cap) {
		*cap = *cap ? *cap * 2 : 65536;
		*buf = xreallocarray(*buf, *cap, 1);
	}
	if (n > 0)
		memcpy(*buf + *len, p, n);
	*len += n;
	return off;
}

#define HUGE_PAGE	((size_t)2 << 20)

void *
xmap_room(void *p, size_t *cap, size_t need, size_t most)
{
	size_t n = p == NULL ? need : *cap * 2;

	while (n < need)
		n *= 2;
	if (n > most && need <= most)
		n = most;
	n = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (p == NULL)
		p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	else
		p = mremap(p, *cap, n, MREMAP_MAYMOVE);
	if (p == MAP_FAILED)
		oom();
	(void)madvise(p, n, MADV_HUGEPAGE);	/* advice: fails without THP */
	*cap = n;
	return p;
}

void
xmap_free(void *p, size_t cap)
{
	if (p != NULL)
		(void)munmap(p, cap);
}
