/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jout.c - the JSON writer (jout.h): one description of an object serves
 * both a jansson object (hdb_rec_json, for callers that want one) and the
 * compact text straight into a buffer (hdb_rec_json_print: building and
 * dumping a jansson object per record costs ten times the read).  The text
 * is byte for byte what json_dumpf(obj, JSON_COMPACT) prints;
 * tests/unit/test_recfmt_json.c holds the two to that.  A string jansson
 * would refuse (not UTF-8) is left out in both, as json_object_set_new
 * leaves out a NULL value.
 *
 * It sits at the top of lib/ because both lib/rec (records) and lib/tls
 * (sessions) print through it, and lib/tls must not use lib/rec.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "jout.h"
#include "jsafe.h"
#include "obuf.h"
#include "out.h"

#define ONES		0x0101010101010101ULL
#define HIGHS		0x8080808080808080ULL
#define HAS_LESS(x, n)	(((x) - ONES * (n)) & ~(x) & HIGHS)
#define HAS_BYTE(x, c)	HAS_LESS((x) ^ (ONES * (c)), 1)
#define JSON_SPECIAL(x)	(HAS_LESS(x, 0x20) | HAS_BYTE(x, '"') | \
			    HAS_BYTE(x, '\\') | HAS_BYTE(x, 0x7f) | \
			    HAS_BYTE(x, 0xc2) | HAS_BYTE(x, 0xe2))

static uint64_t
rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* 1 if s[0..len) is UTF-8 as jansson takes it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
static int
utf8_ok(const uint8_t *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t c;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			/* ASCII runs eight bytes at a time */
			while (len - i >= 8 && (rd64(s + i) & HIGHS) == 0)
				i += 8;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 2, c = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			n = 3, c = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			n = 4, c = s[i] & 0x07;
		else
			return 0;
		if (n > len - i)
			return 0;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
		    (n == 3 && c < 0x800) || (n == 4 && c < 0x10000))
			return 0;
		i += n;
	}
	return 1;
}

/* A JSON string of UTF-8 s, escaped as jansson's dump does. */
static void
ob_jstr(struct obuf *b, const uint8_t *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	char *p = ob_room(b, 6 * len + 2), *q = p;
	size_t i, u = 0;
	uint32_t cp = 0;

	*q++ = '"';
	for (i = 0; i < len; i++) {
		size_t run = i;

		/* Eight bytes at a time while none is below 0x20, '"' or
		 * '\\' (the "has a byte less than n" bit trick). */
		while (len - run >= 8 && !JSON_SPECIAL(rd64(s + run)))
			run += 8;
		/* only DEL, C2 and E2 can start what hdb_json_unsafe
		 * escapes: ask it about those alone */
		while (run < len && s[run] >= 0x20 && s[run] != '"' &&
		    s[run] != '\\' && ((s[run] != 0x7f && s[run] != 0xc2 &&
		    s[run] != 0xe2) || (u = hdb_json_unsafe(s + run,
		    len - run, &cp)) == 0))
			run++;
		memcpy(q, s + i, run - i);
		q += run - i;
		if ((i = run) == len)
			break;
		if (s[i] >= 0x20 && s[i] != '"' && s[i] != '\\') {
			/* DEL, C1, bidi: \u escaped (hdb_json_unsafe) */
			q += hdb_json_uesc(q, cp);
			i += u - 1;
			continue;
		}
		*q++ = '\\';
		switch (s[i]) {
		case '"':
		case '\\':
			*q++ = (char)s[i];
			break;
		case '\b':
			*q++ = 'b';
			break;
		case '\f':
			*q++ = 'f';
			break;
		case '\n':
			*q++ = 'n';
			break;
		case '\r':
			*q++ = 'r';
			break;
		case '\t':
			*q++ = 't';
			break;
		default:
			memcpy(q, "u00", 3);
			q += 3;
			*q++ = hex[s[i] >> 4];
			*q++ = hex[s[i] & 15];
			break;
		}
	}
	*q++ = '"';
	b->len += (size_t)(q - p);
}

/* Object mode: member name = v, or an array element if name is NULL. */
static void
jo_set(struct jout *j, const char *name, json_t *v)
{
	if (name == NULL)
		json_array_append_new(j->obj, v);
	else
		json_object_set_new(j->obj, name, v);
}

/* Text mode: the separator and "name": of the next member (the separator
 * alone for an array element). */
static void
jo_name(struct jout *j, const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;
	char *p = ob_room(j->b, n + 4), *q = p;

	if (j->n++ > 0)
		*q++ = ',';
	if (name == NULL) {
		j->b->len += (size_t)(q - p);
		return;
	}
	*q++ = '"';
	memcpy(q, name, n);
	q += n;
	*q++ = '"';
	*q++ = ':';
	j->b->len += (size_t)(q - p);
}

static void
jo_int(struct jout *j, const char *name, int64_t v)
{
	if (j->obj != NULL) {
		jo_set(j, name, json_integer((json_int_t)v));
		return;
	}
	jo_name(j, name);
	ob_int(j->b, (long long)v);
}

static void
jo_bool(struct jout *j, const char *name, int v)
{
	if (j->obj != NULL) {
		jo_set(j, name, json_boolean(v));
		return;
	}
	jo_name(j, name);
	ob_str(j->b, v ? "true" : "false");
}

/* A number as jansson prints it (JSON_REAL_PRECISION). */
static void
jo_real(struct jout *j, const char *name, double v)
{
	json_t *r = json_real(v);
	char tmp[64];
	size_t n;

	if (j->obj != NULL) {
		json_object_set_new(j->obj, name, r);
		return;
	}
	n = json_dumpb(r, tmp, sizeof(tmp), JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(r);
	if (n == 0 || n > sizeof(tmp))
		return;
	jo_name(j, name);
	ob_add(j->b, tmp, n);
}

/* json_stringn(s, len), ok saying whether s is UTF-8 (-1: unknown);
 * left out when it is not. */
static void
jo_strn_ok(struct jout *j, const char *name, const uint8_t *s, size_t len,
    int ok)
{
	if (j->obj != NULL) {
		jo_set(j, name, json_stringn((const char *)s, len));
		return;
	}
	if (ok == 0 || (ok == -1 && !utf8_ok(s, len)))
		return;
	jo_name(j, name);
	ob_jstr(j->b, s, len);
}

static void
jo_strn(struct jout *j, const char *name, const uint8_t *s, size_t len)
{
	jo_strn_ok(j, name, s, len, -1);
}

static void
jo_cstr(struct jout *j, const char *name, const char *s)
{
	jo_strn(j, name, (const uint8_t *)s, strlen(s));
}

/* A string from a record: escaped text (hdb_vis) if it is not UTF-8. */
static void
jo_str(struct jout *j, const char *name, const uint8_t *s, size_t len)
{
	char *e;

	if (utf8_ok(s, len)) {
		jo_strn_ok(j, name, s, len, 1);
		return;
	}
	e = hdb_vis_dupx(s, len, 0);	/* JSON does not vary by locale */
	jo_cstr(j, name, e);
	free(e);
}

static void
jo_b64(struct jout *j, const char *name, const uint8_t *p, size_t len)
{
	char *b, *q;

	/* text: base64 needs no escapes; straight into the buffer */
	if (j->obj == NULL && len <= (size_t)0x3fffffff) {
		jo_name(j, name);
		q = ob_room(j->b, 4 * ((len + 2) / 3) + 3);
		*q = '"';
		q += 1 + EVP_EncodeBlock((unsigned char *)q + 1, p, (int)len);
		*q++ = '"';
		j->b->len = (size_t)(q - j->b->p);
		return;
	}
	b = hdb_base64(p, len);

	if (b != NULL)
		jo_cstr(j, name, b);
	else if (j->obj != NULL)	/* json_string(NULL): nothing */
		json_object_set_new(j->obj, name, NULL);
	free(b);
}

void
hdb_jo_int(struct jout *j, const char *name, int64_t v)
{
	jo_int(j, name, v);
}

void
hdb_jo_time(struct jout *j, const char *name, int64_t t)
{
	char n[64], iso[HDB_TIMEBUF];
	size_t nl = strlen(name);

	jo_int(j, name, t);
	hdb_fmt_iso(iso, sizeof(iso), t, 1);
	/* not "@t" (a time it cannot break down), nor a year beyond 9999:
	 * YYYY-MM-DDTHH:MM:SSZ only */
	if (strlen(iso) != 20 || iso[0] < '0' || iso[0] > '9' ||
	    nl + sizeof("_utc") > sizeof(n))
		return;
	memcpy(n, name, nl);
	memcpy(n + nl, "_utc", sizeof("_utc"));	/* snprintf: 1/3 of it */
	hdb_jo_cstr(j, n, iso);
}

void
hdb_jo_bool(struct jout *j, const char *name, int v)
{
	jo_bool(j, name, v);
}

void
hdb_jo_cstr(struct jout *j, const char *name, const char *s)
{
	if (s != NULL)
		jo_cstr(j, name, s);
}

void
hdb_jo_strn(struct jout *j, const char *name, const char *s, size_t len)
{
	jo_strn(j, name, (const uint8_t *)s, len);
}

void
hdb_jo_open(struct jout *j, const char *name, int array, struct jout *sub)
{
	sub->b = j->b;
	sub->n = 0;
	if (j->obj != NULL) {
		sub->obj = array ? json_array() : json_object();
		return;
	}
	sub->obj = NULL;
	jo_name(j, name);
	ob_add(j->b, array ? "[" : "{", 1);
}

void
hdb_jo_close(struct jout *j, const char *name, int array, struct jout *sub)
{
	if (j->obj != NULL)
		jo_set(j, name, sub->obj);
	else
		ob_add(j->b, array ? "]" : "}", 1);
}

int
hdb_utf8_ok(const uint8_t *s, size_t len)
{
	return utf8_ok(s, len);
}

void
hdb_jo_real(struct jout *j, const char *name, double v)
{
	jo_real(j, name, v);
}

void
hdb_jo_str(struct jout *j, const char *name, const uint8_t *s, size_t len)
{
	jo_str(j, name, s, len);
}

void
hdb_jo_b64(struct jout *j, const char *name, const uint8_t *p, size_t len)
{
	jo_b64(j, name, p, len);
}
