/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * out.h - safe text for terminals and JSON: escaping, times, ages, base64.
 *
 * Every byte that comes from a record (keys, texts, names from certificates)
 * goes through hdb_vis or hdb_out_vis before it reaches a text stream, so no
 * raw control byte ever reaches a terminal.
 */
#ifndef HDB_OUT_H
#define HDB_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HDB_TIMEBUF	40

/* Room hdb_vis needs for len input bytes, NUL included. */
#define HDB_VIS_SIZE(len)	((len) * 4 + 1)

/*
 * hdb_vis - escape src[0..len) into dst (at least HDB_VIS_SIZE(len) bytes):
 * printable ASCII except backslash stays, everything else becomes a C-style
 * or octal escape (strnvisx VIS_CSTYLE|VIS_OCTAL|VIS_TAB|VIS_NL).  Returns
 * the length written, without the NUL.
 */
size_t	hdb_vis(char *dst, size_t dstlen, const void *src, size_t len);

/* Write src[0..len) escaped to fp. */
void	hdb_out_vis(FILE *fp, const void *src, size_t len);

/* Escaped copy in a fresh allocation (caller frees). */
char   *hdb_vis_dup(const void *src, size_t len);

/* 2026-11-26T19:56:06Z (utc) or 2026-11-26T20:56:06+01:00 (local). */
char   *hdb_fmt_iso(char *buf, size_t len, int64_t t, int utc);

/* Exim's utilities' format: 26-Nov-2026 19:56:06, C locale. */
char   *hdb_fmt_exim(char *buf, size_t len, int64_t t, int utc);

/* now - t, saturated: record times are hostile and may be anywhere in
 * int64; never INT64_MIN, so the result can be negated. */
int64_t	hdb_time_diff(int64_t now, int64_t t);

/* A duration as 3d4h, 2h5m, 45s; negative as -3d4h. */
char   *hdb_fmt_age(char *buf, size_t len, int64_t secs);

/*
 * hdb_parse_time - epoch seconds ("1795722966", "@1795722966") or ISO 8601
 * ("2026-11-26T19:56:06Z", "2026-11-26 19:56:06", "2026-11-26", with an
 * optional Z or +hh:mm; no zone means local time).  0 ok, -1 bad syntax.
 */
int	hdb_parse_time(const char *s, int64_t *out);

/* Base64 of src[0..len), NUL-terminated, caller frees; NULL on OOM. */
char   *hdb_base64(const void *src, size_t len);

/* Decode base64; returns a fresh buffer (caller frees) and its length in
 * *outlen, or NULL on bad input. */
uint8_t *hdb_unbase64(const char *s, size_t slen, size_t *outlen);

/* Lower-case hex of src into dst (2*len+1 bytes). */
char   *hdb_hex(char *dst, const void *src, size_t len);

#endif
