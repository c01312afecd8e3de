/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jscan.c - see jscan.h.  Import spent a third of its time in jansson
 * building objects of seventeen members to read three of them.
 */
#include <stdint.h>
#include <string.h>

#include "jscan.h"
#include "swar.h"

#define JSCAN_DEPTH	16	/* deeper: ask jansson */
#define JSCAN_WANT	8	/* members looked for, at most */

struct scan {
	const char	*p, *end;
};

static int	value(struct scan *, int);

static void
ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	    *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

#ifdef __SSE2__
#include <emmintrin.h>

/*
 * special16 - the bytes of p[0..16) that string() must look at, as a
 * bit mask: '"', '\\', a control or UTF-8 (below 0x20 as signed bytes),
 * DEL.  SSE2 is every x86-64's; elsewhere eight bytes at a time.
 */
static inline unsigned
special16(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m = _mm_or_si128(
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
	    _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));

	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* A byte string() must look at: '"', '\\', a control, DEL or UTF-8. */
#define STR_SPECIAL(x)	(HAS_LESS(x, 0x20) | HAS_BYTE(x, '"') | \
			    HAS_BYTE(x, '\\') | HAS_BYTE(x, 0x7f) | \
			    ((x) & SWAR_HIGHS))

/*
 * string - past a string at s->p ('"'), its body in *b, *blen, and
 * whether it held an escape in *esc.  0 if not in the subset.  Plain
 * runs go eight bytes at a time: export's lines are mostly base64 and
 * names, and a byte at a time this was a third of import.
 */
static int
string(struct scan *s, const char **b, size_t *blen, int *esc)
{
	const char *p = s->p + 1;
	int u;

	*esc = 0;
	*b = p;
	for (;;) {
#ifdef __SSE2__
		if (s->end - p >= 16) {
			unsigned m16 = special16(p);

			if (m16 == 0) {
				p += 16;
				continue;
			}
			p += __builtin_ctz(m16);
		} else
#endif
		if (s->end - p >= 8) {
			uint64_t m = STR_SPECIAL(swar_rd64(p));

			if (m == 0) {
				p += 8;
				continue;
			}
			p += swar_first(m);
		}
		if (p >= s->end)
			return 0;
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			break;
		if (c < 0x20 || c >= 0x7f)
			return 0;	/* control or UTF-8: jansson's */
		if (c != '\\') {
			p++;
			continue;
		}
		*esc = 1;
		if (p + 1 >= s->end)
			return 0;
		switch (p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			p += 2;
			break;
		case 'u':
			if (s->end - p < 6 || (u = hex4(p + 2)) <= 0 ||
			    (u >= 0xd800 && u <= 0xdfff))
				return 0;
			p += 6;
			break;
		default:
			return 0;
		}
	}
	*blen = (size_t)(p - *b);
	s->p = p + 1;
	return 1;
}

/* number - an integer of at most 18 digits; reals are jansson's. */
static int
number(struct scan *s)
{
	const char *p = s->p, *d;

	if (p < s->end && *p == '-')
		p++;
	d = p;
	if (p >= s->end || *p < '0' || *p > '9')
		return 0;
	if (*p == '0')
		p++;
	else
		while (p < s->end && *p >= '0' && *p <= '9')
			p++;
	if (p - d > 18)
		return 0;
	if (p < s->end && (*p == '.' || *p == 'e' || *p == 'E' ||
	    (*p >= '0' && *p <= '9')))
		return 0;
	s->p = p;
	return 1;
}

static int
word(struct scan *s, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return 0;
	s->p += n;
	return 1;
}

/* after - past an item: 1 at the closing bracket, 2 after a comma, or 0 */
static int
after(struct scan *s, char close)
{
	ws(s);
	if (s->p >= s->end)
		return 0;
	if (*s->p == close) {
		s->p++;
		return 1;
	}
	if (*s->p != ',')
		return 0;
	s->p++;
	ws(s);
	return 2;
}

/*
 * members - an object's members from after its '{'; want (with the
 * lengths of their names in wlen) at the top only
 */
static int
members(struct scan *s, int depth, struct jscan_want *want, size_t nwant,
    const size_t *wlen)
{
	const char *name, *v;
	size_t nlen, vlen;
	int esc, vesc, rc;

	ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 1;
	}
	for (;;) {
		struct jscan_want *w = NULL;

		if (s->p >= s->end || *s->p != '"' ||
		    !string(s, &name, &nlen, &esc))
			return 0;
		if (esc && nwant > 0)
			return 0;	/* "k\u0065y" is "key" */
		for (size_t i = 0; i < nwant; i++)
			if (wlen[i] == nlen &&
			    memcmp(want[i].name, name, nlen) == 0)
				w = &want[i];
		ws(s);
		if (s->p >= s->end || *s->p != ':')
			return 0;
		s->p++;
		ws(s);
		if (w != NULL) {
			if (w->val != NULL || s->p >= s->end || *s->p != '"' ||
			    !string(s, &v, &vlen, &vesc) || vesc)
				return 0;
			w->val = v;
			w->len = vlen;
		} else if (!value(s, depth))
			return 0;
		if ((rc = after(s, '}')) != 2)
			return rc;
	}
}

static int
elements(struct scan *s, int depth)
{
	int rc;

	ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 1;
	}
	for (;;) {
		if (!value(s, depth))
			return 0;
		if ((rc = after(s, ']')) != 2)
			return rc;
	}
}

static int
value(struct scan *s, int depth)
{
	const char *b;
	size_t blen;
	int esc;

	if (s->p >= s->end)
		return 0;
	switch (*s->p) {
	case '"':
		return string(s, &b, &blen, &esc);
	case '{':
		if (depth >= JSCAN_DEPTH)
			return 0;
		s->p++;
		return members(s, depth + 1, NULL, 0, NULL);
	case '[':
		if (depth >= JSCAN_DEPTH)
			return 0;
		s->p++;
		return elements(s, depth + 1);
	case 't':
		return word(s, "true");
	case 'f':
		return word(s, "false");
	case 'n':
		return word(s, "null");
	default:
		return number(s);
	}
}

int
jscan_members(const char *str, size_t n, struct jscan_want *want,
    size_t nwant)
{
	struct scan s = { str, str + n };
	size_t wlen[JSCAN_WANT];

	if (nwant > JSCAN_WANT)
		return 0;
	for (size_t i = 0; i < nwant; i++) {
		want[i].val = NULL;
		want[i].len = 0;
		wlen[i] = strlen(want[i].name);
	}
	ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return 0;
	s.p++;
	return members(&s, 1, want, nwant, wlen);
}
