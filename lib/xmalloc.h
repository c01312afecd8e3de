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

#endif
