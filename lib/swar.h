/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * swar.h - eight bytes at a time: whether a word read from a string holds
 * a byte of some kind, for scanners that skip plain runs before looking
 * at bytes one by one.  HAS_LESS(x, n) is nonzero when a byte of x is
 * below n (n at most 0x80); HAS_BYTE(x, c) when a byte equals c.  The
 * lowest flag of such a mask is exact (borrows run upwards only), so
 * swar_first tells where the first such byte is.
 */
#ifndef HDB_SWAR_H
#define HDB_SWAR_H

#include <stdint.h>
#include <string.h>

#define SWAR_ONES	0x0101010101010101ULL
#define SWAR_HIGHS	0x8080808080808080ULL
#define HAS_LESS(x, n)	(((x) - SWAR_ONES * (n)) & ~(x) & SWAR_HIGHS)
#define HAS_BYTE(x, c)	HAS_LESS((x) ^ (SWAR_ONES * (c)), 1)

/* The eight bytes at p, in any alignment. */
static inline uint64_t
swar_rd64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * swar_first - the offset of the first byte flagged in m (nonzero), read
 * by swar_rd64; 0 where the byte order does not let us say (big-endian:
 * the caller then looks at the bytes one by one).
 */
static inline unsigned
swar_first(uint64_t m)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (unsigned)__builtin_ctzll(m) >> 3;
#else
	(void)m;
	return 0;
#endif
}

#endif
