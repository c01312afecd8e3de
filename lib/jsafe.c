/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jsafe.c - terminal-safe JSON text (jsafe.h).  jansson writes DEL, C1 and
 * the bidi controls raw (they are valid in JSON strings), so its text is
 * filtered here; the filter only looks for those sequences, which in
 * jansson's UTF-8 output can only be inside strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsafe.h"
#include "out.h"

size_t
hdb_json_unsafe(const uint8_t *s, size_t len, uint32_t *cp)
{
	size_t n;

	if (s[0] != 0x7f && s[0] != 0xc2 && s[0] != 0xe2)
		return 0;
	if ((n = hdb_utf8_dec(s, len, cp)) == 0 || !hdb_cp_unsafe(*cp))
		return 0;
	return n;
}

size_t
hdb_json_uesc(char *dst, uint32_t cp)
{
	static const char hex[] = "0123456789ABCDEF";

	dst[0] = '\\';
	dst[1] = 'u';
	dst[2] = hex[cp >> 12 & 15];
	dst[3] = hex[cp >> 8 & 15];
	dst[4] = hex[cp >> 4 & 15];
	dst[5] = hex[cp & 15];
	return 6;
}

void
hdb_json_write(FILE *fp, const char *s, size_t len)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0, start = 0, n;
	uint32_t cp;
	char esc[6];

	while (i < len) {
		if ((n = hdb_json_unsafe(u + i, len - i, &cp)) == 0) {
			i++;
			continue;
		}
		fwrite(s + start, 1, i - start, fp);
		fwrite(esc, 1, hdb_json_uesc(esc, cp), fp);
		i += n;
		start = i;
	}
	fwrite(s + start, 1, i - start, fp);
}

int
hdb_json_dumpf(const json_t *json, FILE *fp, size_t flags)
{
	char *s = json_dumps(json, flags);

	if (s == NULL)
		return -1;
	hdb_json_write(fp, s, strlen(s));
	free(s);
	return 0;
}
