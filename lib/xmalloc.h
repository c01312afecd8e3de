/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xmalloc.h - allocation that aborts on exhaustion (the only lib code that may exit). */
#ifndef HDB_XMALLOC_H
#define HDB_XMALLOC_H

#include <stddef.h>
#include <stdint.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
void	*xmemdup(const void *, size_t);
/* Append n bytes to the growing *buf (*len used of *cap); their offset. */
size_t	 xappend(uint8_t **, size_t *, size_t *, const void *, size_t);
/*
 * xmap_room - the anonymous mapping p (NULL: none yet) of *cap bytes,
 * grown to hold at least need: new at need, else doubled (mremap moves
 * page tables, not data), but not past most if need fits in it, in
 * whole huge pages.  Address space only
 * (MAP_NORESERVE) and advised for transparent huge pages, so that filling
 * a big buffer costs a page fault every 2 MiB, not every 4 KiB (tens of
 * microseconds each on a virtual machine).  xmap_free unmaps; NULL is
 * fine.
 */
void	*xmap_room(void *p, size_t *cap, size_t need, size_t most);
void	 xmap_free(void *p, size_t cap);

#endif
