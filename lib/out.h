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
 * hdb_visx - escape src[0..len) into dst (at least HDB_VIS_SIZE(len) bytes):
 * printable ASCII except backslash stays, everything else becomes a C-style
 * or octal escape (strnvisx VIS_CSTYLE|VIS_OCTAL|VIS_TAB|VIS_NL), whatever
 * the locale.  With utf8 set, valid UTF-8 characters that are printable
 * (wcwidth >= 0 in the current LC_CTYPE) stay too, except C1 and the bidi
 * controls (hdb_cp_unsafe); their bytes are escaped as before.  Returns the
 * length written, without the NUL.
 */
size_t	hdb_visx(char *dst, size_t dstlen, const void *src, size_t len,
	    int utf8);

/* hdb_visx in the mode set by hdb_vis_set_utf8 (off by default). */
size_t	hdb_vis(char *dst, size_t dstlen, const void *src, size_t len);

/*
 * hdb_vis_set_utf8 - whether text output goes to a UTF-8 locale: the
 * program calls setlocale(LC_CTYPE, "") and sets this when
 * nl_langinfo(CODESET) is UTF-8.  hdb_vis_utf8 returns the setting.
 */
void	hdb_vis_set_utf8(int on);
int	hdb_vis_utf8(void);

/* Write src[0..len) escaped (hdb_vis) to fp. */
void	hdb_out_vis(FILE *fp, const void *src, size_t len);

/* Escaped copy in a fresh allocation (caller frees): hdb_vis, hdb_visx. */
char   *hdb_vis_dup(const void *src, size_t len);
char   *hdb_vis_dupx(const void *src, size_t len, int utf8);

/*
 * hdb_unvis - the bytes of s, a key as hdb_vis prints it (\\ a backslash,
 * \n, \ooo...), in a fresh buffer (caller frees, NUL-terminated beyond
 * *outlen).  0 ok, -1 a malformed escape.
 */
int	hdb_unvis(const char *s, uint8_t **out, size_t *outlen);

/*
 * hdb_utf8_dec - the code point of the UTF-8 character at src: its length
 * (1-4) or 0 if src does not start with a valid, shortest-form character.
 */
size_t	hdb_utf8_dec(const void *src, size_t len, uint32_t *cp);

/* Whether c is never shown raw: DEL, C1 (U+0080-U+009F), the bidi
 * embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). */
int	hdb_cp_unsafe(uint32_t c);

/* 2026-11-26T19:56:06Z (utc) or 2026-11-26T20:56:06+01:00 (local). */
char   *hdb_fmt_iso(char *buf, size_t len, int64_t t, int utc);

/* Exim's utilities' format: 26-Nov-2026 19:56:06, C locale. */
char   *hdb_fmt_exim(char *buf, size_t len, int64_t t, int utc);

/* now - t, saturated: record times are hostile and may be anywhere in
 * int64; never INT64_MIN, so the result can be negated. */
int64_t	hdb_time_diff(int64_t now, int64_t t);

/* A duration as 3d4h, 2h5m, 45s (the two largest units), 1y30d, and from
 * two years on in rounded years (10y); negative as -3d4h. */
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
