/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jsafe.h - JSON that is safe to cat to a terminal.  JSON output keeps
 * UTF-8, but DEL, the C1 controls (U+0080-U+009F) and the bidi controls
 * (U+202A-U+202E, U+2066-U+2069) are written as \u escapes (uppercase hex,
 * as jansson writes the C0 ones): still the same JSON value, and no raw
 * control character reaches the terminal.  Every JSON writer of hintsdb
 * goes through these: the fast emitter in recfmt.c escapes as it writes,
 * and jansson's own text passes through hdb_json_dumpf.
 */
#ifndef HDB_JSAFE_H
#define HDB_JSAFE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* The length of the DEL, C1 or bidi character at s (its code point in
 * *cp), or 0 if s starts with anything else. */
size_t	hdb_json_unsafe(const uint8_t *s, size_t len, uint32_t *cp);

/* "\uXXXX" for cp (at most U+FFFF) at dst; returns 6. */
size_t	hdb_json_uesc(char *dst, uint32_t cp);

/* s[0..len) of JSON text, with every hdb_json_unsafe character escaped,
 * written to fp.  Those bytes only occur inside strings of valid JSON. */
void	hdb_json_write(FILE *fp, const char *s, size_t len);

/* json_dumpf(json, fp, flags), made safe as above.  0 ok, -1 error. */
int	hdb_json_dumpf(const json_t *json, FILE *fp, size_t flags);

#endif
