/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * out.c - escaping, time and duration formatting, base64 and hex.
 *
 * Times are formatted by hand from a broken-down time: strftime is locale
 * dependent and a dump formats a time for every record.  Local time goes
 * through localtime_r, which (unlike localtime) does not re-read the zone
 * file on every call, but still costs some 450 instructions; a dump of a
 * million retry records makes three million of those calls.  So libc is
 * asked once per hour of time stamps and the rest is arithmetic (see
 * breakdown).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#define LIBBSD_NETBSD_VIS
#include <bsd/vis.h>
#include <openssl/evp.h>

#include "out.h"
#include "xmalloc.h"

/* VIS_NOLOCALE: the bytes strnvisx sees are always escaped the same way;
 * UTF-8 is passed through here (vis_utf8), not by libbsd's locale code. */
#define VISFLAGS	(VIS_CSTYLE | VIS_OCTAL | VIS_TAB | VIS_NL | VIS_NOLOCALE)

#define ONES		0x0101010101010101ULL
#define HAS_LESS(x, n)	(((x) - ONES * (n)) & ~(x) & ONES * 0x80)

/* Times in [0, TC_MAX] may be cached; 253402300799 is 9999-12-31. */
#define TC_HOUR		3600
#define TC_SLOTS	2048		/* hours: 85 days without eviction */
#define TC_MAX		253402300799LL
#define TC_NONE		LONG_MIN	/* an hour libc must always do */

/* A broken-down time: just what the formats need. */
struct bd {
	int		 year, mon, mday, hour, min, sec;	/* mon 1-12 */
	long		 off;		/* seconds east of UTC */
};

/* Per mode (local, UTC): the offset of each cached hour, and the zone
 * state it was computed in. */
static struct tcache {
	const char	*name0, *name1;
	long		 zone;
	int64_t		 hour[TC_SLOTS];	/* hour + 1; 0: empty */
	long		 off[TC_SLOTS];
} tcache[2];

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Whether text output may keep printable UTF-8 (hdb_vis_set_utf8). */
static int vis_utf8_on;

void
hdb_vis_set_utf8(int on)
{
	vis_utf8_on = on != 0;
}

int
hdb_vis_utf8(void)
{
	return vis_utf8_on;
}

int
hdb_cp_unsafe(uint32_t c)
{
	return c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

size_t
hdb_utf8_dec(const void *src, size_t len, uint32_t *cp)
{
	const unsigned char *s = src;
	uint32_t c;
	size_t n, k;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	if (n > len)
		return 0;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[k] & 0x3f);
	}
	if (c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
	    (n == 3 && c < 0x800) || (n == 4 && c < 0x10000))
		return 0;
	*cp = c;
	return n;
}

/* The length of the printable multibyte character at s that text output
 * may keep as is, or 0: ASCII, invalid, a control (C1, bidi) or a
 * character the locale cannot show (wcwidth < 0) is escaped. */
static size_t
keep_len(const unsigned char *s, size_t len)
{
	uint32_t c;
	size_t n;

	if (s[0] < 0x80 || (n = hdb_utf8_dec(s, len, &c)) == 0)
		return 0;
	if (hdb_cp_unsafe(c) || wcwidth((wchar_t)c) < 0)
		return 0;
	return n;
}

/* The bytes strnvisx escapes, appended at dst + *o. */
static int
vis_run(char *dst, size_t dstlen, size_t *o, const unsigned char *s,
    size_t len)
{
	int n;

	if (len == 0)
		return 0;
	n = strnvisx(dst + *o, dstlen - *o, (const char *)s, len, VISFLAGS);
	if (n < 0)
		return -1;
	*o += (size_t)n;
	return 0;
}

/*
 * vis_utf8 - hdb_vis for a UTF-8 terminal: printable characters stay,
 * everything else is escaped byte by byte exactly as in the C locale, so a
 * key pasted back in its printed form means the same bytes.
 */
static size_t
vis_utf8(char *dst, size_t dstlen, const unsigned char *s, size_t len)
{
	size_t i = 0, start = 0, o = 0, n;

	while (i < len) {
		if ((n = keep_len(s + i, len - i)) == 0) {
			i++;
			continue;
		}
		if (vis_run(dst, dstlen, &o, s + start, i - start) == -1 ||
		    dstlen - o <= n)
			goto fail;
		memcpy(dst + o, s + i, n);
		o += n;
		i += n;
		start = i;
	}
	if (vis_run(dst, dstlen, &o, s + start, i - start) == -1)
		goto fail;
	dst[o] = '\0';
	return o;
fail:
	dst[0] = '\0';
	return 0;
}

size_t
hdb_visx(char *dst, size_t dstlen, const void *src, size_t len, int utf8)
{
	const unsigned char *s = src;
	size_t i;
	int n;

	/* Fast path: plain printable ASCII needs no escaping.  Eight bytes
	 * at a time while none is below 0x20, above 0x7e or a backslash
	 * (the "has a byte less than n" bit trick). */
	for (i = 0; len - i >= 8; i += 8) {
		uint64_t x;

		memcpy(&x, s + i, sizeof(x));
		if (HAS_LESS(x, 0x20) | HAS_LESS(x ^ (ONES * '\\'), 1) |
		    HAS_LESS(x ^ (ONES * 0x7f), 1) | (x & ONES * 0x80))
			break;
	}
	for (; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			break;
	if (i == len && len < dstlen) {
		memcpy(dst, s, len);
		dst[len] = '\0';
		return len;
	}
	if (utf8)
		return vis_utf8(dst, dstlen, s, len);
	n = strnvisx(dst, dstlen, src, len, VISFLAGS);
	if (n < 0) {
		dst[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

size_t
hdb_vis(char *dst, size_t dstlen, const void *src, size_t len)
{
	return hdb_visx(dst, dstlen, src, len, vis_utf8_on);
}

void
hdb_out_vis(FILE *fp, const void *src, size_t len)
{
	char small[256], *buf = small;
	size_t need = HDB_VIS_SIZE(len), n;

	if (need > sizeof(small))
		buf = xmalloc(need);
	n = hdb_vis(buf, need, src, len);
	fwrite(buf, 1, n, fp);
	if (buf != small)
		free(buf);
}

char *
hdb_vis_dup(const void *src, size_t len)
{
	return hdb_vis_dupx(src, len, vis_utf8_on);
}

char *
hdb_vis_dupx(const void *src, size_t len, int utf8)
{
	char *buf = xmalloc(HDB_VIS_SIZE(len));

	hdb_visx(buf, HDB_VIS_SIZE(len), src, len, utf8);
	return buf;
}

int
hdb_unvis(const char *s, uint8_t **out, size_t *outlen)
{
	char *buf = xmalloc(strlen(s) + 1);
	int n;

	if ((n = strunvis(buf, s)) < 0) {
		free(buf);
		return -1;
	}
	*out = (uint8_t *)buf;
	*outlen = (size_t)n;
	return 0;
}

/* The proleptic Gregorian date of a day count from 1970-01-01 (H. Hinnant's
 * civil_from_days). */
static void
civil(int64_t days, struct bd *b)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	b->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	b->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	b->year = (int)((int64_t)yoe + era * 400 + (b->mon <= 2));
}

/* t shifted by off seconds, as a date and time of day. */
static void
arith(int64_t t, long off, struct bd *b)
{
	int64_t l = t + off, d = l >= 0 ? l / 86400 : (l - 86399) / 86400;
	int s = (int)(l - d * 86400);

	civil(d, b);
	b->hour = s / 3600;
	b->min = s / 60 % 60;
	b->sec = s % 60;
	b->off = off;
}

static int
libc(int64_t t, int utc, struct bd *b)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((utc ? gmtime_r(&tt, &tm) : localtime_r(&tt, &tm)) == NULL)
		return -1;
	b->year = tm.tm_year + 1900;
	b->mon = tm.tm_mon + 1;
	b->mday = tm.tm_mday;
	b->hour = tm.tm_hour;
	b->min = tm.tm_min;
	b->sec = tm.tm_sec;
	b->off = utc ? 0 : tm.tm_gmtoff;
	return 0;
}

/* libc's answer at t, if plain arithmetic on its offset gives it too. */
static int
agrees(int64_t t, int utc, long *off)
{
	struct bd l, a;

	if (libc(t, utc, &l) == -1)
		return 0;
	arith(t, l.off, &a);
	*off = l.off;
	return l.year == a.year && l.mon == a.mon && l.mday == a.mday &&
	    l.hour == a.hour && l.min == a.min && l.sec == a.sec;
}

/*
 * breakdown - t as local time, or UTC, like localtime_r/gmtime_r.  The
 * offset from UTC is taken from libc for the first and last second of t's
 * hour; when both agree, and arithmetic on that offset gives libc's own
 * answer at both ends (it does not in zones with leap seconds), the hour
 * is cached and every time in it is computed from the offset.  An hour
 * holding a zone transition or a leap second is always left to libc.  The
 * one thing this does not see, two transitions cancelling out within one
 * hour, exists in no time zone.  The cache is dropped when tzset() has
 * changed the zone (tzname, timezone).
 */
static int
breakdown(int64_t t, int utc, struct bd *b)
{
	struct tcache *c = &tcache[utc != 0];
	int64_t h = t / TC_HOUR;
	size_t i = (size_t)h % TC_SLOTS;
	long o1, o2;

	if (t < 0 || t > TC_MAX)
		return libc(t, utc, b);
	if (c->name0 != tzname[0] || c->name1 != tzname[1] ||
	    c->zone != timezone) {
		memset(c, 0, sizeof(*c));
		c->name0 = tzname[0];
		c->name1 = tzname[1];
		c->zone = timezone;
	}
	if (c->hour[i] != h + 1) {
		c->hour[i] = h + 1;
		c->off[i] = agrees(h * TC_HOUR, utc, &o1) &&
		    agrees(h * TC_HOUR + TC_HOUR - 1, utc, &o2) && o1 == o2 ?
		    o1 : TC_NONE;
	}
	if (c->off[i] == TC_NONE)
		return libc(t, utc, b);
	arith(t, c->off[i], b);
	return 0;
}

static const char pairs[] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

/* Two decimal digits at p (of v mod 100). */
static char *
put2(char *p, unsigned v)
{
	memcpy(p, pairs + 2 * (v % 100), 2);
	return p + 2;
}

/* YYYY-MM-DD?hh:mm:ss at p (a year of 0-9999). */
static char *
put_ymdhms(char *p, const struct bd *b, char mid)
{
	p = put2(p, b->year / 100);
	p = put2(p, b->year % 100);
	*p++ = '-';
	p = put2(p, b->mon);
	*p++ = '-';
	p = put2(p, b->mday);
	*p++ = mid;
	p = put2(p, b->hour);
	*p++ = ':';
	p = put2(p, b->min);
	*p++ = ':';
	return put2(p, b->sec);
}

char *
hdb_fmt_iso(char *buf, size_t len, int64_t t, int utc)
{
	struct bd b;
	long off;
	char *p;

	if (breakdown(t, utc, &b) == -1) {
		snprintf(buf, len, "@%lld", (long long)t);
		return buf;
	}
	off = utc ? 0 : b.off;
	if (len < 26 || b.year < 0 || b.year > 9999 || labs(off) >= 360000) {
		if (off == 0 && utc)
			snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
			    b.year, b.mon, b.mday, b.hour, b.min, b.sec);
		else
			snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d"
			    "%c%02ld:%02ld", b.year, b.mon, b.mday, b.hour,
			    b.min, b.sec, off < 0 ? '-' : '+', labs(off) / 3600,
			    labs(off) % 3600 / 60);
		return buf;
	}
	/* As the snprintf formats above, by hand. */
	p = put_ymdhms(buf, &b, 'T');
	if (off == 0 && utc)
		*p++ = 'Z';
	else {
		*p++ = off < 0 ? '-' : '+';
		p = put2(p, (int)(labs(off) / 3600));
		*p++ = ':';
		p = put2(p, (int)(labs(off) % 3600 / 60));
	}
	*p = '\0';
	return buf;
}

char *
hdb_fmt_exim(char *buf, size_t len, int64_t t, int utc)
{
	struct bd b;
	char *p = buf;

	if (len < 24 || breakdown(t, utc, &b) == -1 || b.year < 0 ||
	    b.year > 9999) {
		snprintf(buf, len, "@%lld", (long long)t);
		return buf;
	}
	p = put2(p, b.mday);
	*p++ = '-';
	memcpy(p, months[b.mon - 1], 3);
	p += 3;
	*p++ = '-';
	p = put2(p, b.year / 100);
	p = put2(p, b.year % 100);
	*p++ = ' ';
	p = put2(p, b.hour);
	*p++ = ':';
	p = put2(p, b.min);
	*p++ = ':';
	p = put2(p, b.sec);
	*p = '\0';
	return buf;
}

int64_t
hdb_time_diff(int64_t now, int64_t t)
{
	int64_t d;

	if (__builtin_sub_overflow(now, t, &d) || d == INT64_MIN)
		return t < 0 ? INT64_MAX : -INT64_MAX;
	return d;
}

/* The decimal digits of v at p. */
static char *
put_u64(char *p, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

#define YEAR	(365 * 86400ULL)

char *
hdb_fmt_age(char *buf, size_t len, int64_t secs)
{
	static const struct { char u; int64_t s; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	char tmp[64], *p = tmp;
	uint64_t v;
	size_t i, n;
	int parts = 0;

	if (len == 0)
		return buf;
	if (secs < 0) {
		*p++ = '-';
		v = (uint64_t)0 - (uint64_t)secs;
	} else
		v = (uint64_t)secs;
	if (v == 0)
		*p++ = '0', *p++ = 's';
	/* Years past two read best alone, rounded: "in 10y", not
	 * "in 3644d13h"; below that, a year and its days. */
	if (v >= 2 * YEAR) {
		p = put_u64(p, (v + YEAR / 2) / YEAR);
		*p++ = 'y';
		v = 0;
	} else if (v >= YEAR) {
		*p++ = '1', *p++ = 'y';
		v -= YEAR;
		parts = 1;
		if (v >= 86400) {
			p = put_u64(p, v / 86400);
			*p++ = 'd';
		}
		v = 0;
	}
	/* Two most significant units are enough to read. */
	for (i = 0; v != 0 && i < 4 && parts < 2; i++) {
		uint64_t q = v / (uint64_t)units[i].s;

		if (q == 0 && parts == 0)
			continue;
		if (q != 0) {
			p = put_u64(p, q);
			*p++ = units[i].u;
		}
		v -= q * (uint64_t)units[i].s;
		parts++;
	}
	/* What snprintf into len bytes would have left. */
	n = (size_t)(p - tmp) < len - 1 ? (size_t)(p - tmp) : len - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return buf;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Parse the zone suffix of an ISO time: Z, +hh:mm, +hhmm, -hh. */
static int
iso_zone(const char *p, int *has, long *off)
{
	int hh = 0, mm = 0, sign;

	*has = 0;
	*off = 0;
	if (*p == '\0')
		return 0;
	*has = 1;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (digits(p, 2, &hh) == -1)
		return -1;
	p += 2;
	if (*p == ':')
		p++;
	if (*p != '\0' && (digits(p, 2, &mm) == -1 || p[2] != '\0'))
		return -1;
	if (hh > 23 || mm > 59)
		return -1;
	*off = sign * (hh * 3600L + mm * 60L);
	return 0;
}

int
hdb_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	const char *p = s;
	char *end;
	long long v;
	long off;
	int has_zone, Y, M, D, h = 0, m = 0, sec = 0;
	time_t t;

	if (*p == '@')
		p++;
	if (*p != '\0' && (isdigit((unsigned char)*p) || *p == '-') &&
	    strchr(p, ':') == NULL && (strlen(p) != 10 || p[4] != '-')) {
		errno = 0;
		v = strtoll(p, &end, 10);
		if (errno != 0 || *end != '\0' || end == p)
			return -1;
		*out = v;
		return 0;
	}
	if (strlen(p) < 10 || digits(p, 4, &Y) == -1 || p[4] != '-' ||
	    digits(p + 5, 2, &M) == -1 || p[7] != '-' ||
	    digits(p + 8, 2, &D) == -1)
		return -1;
	p += 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (digits(p + 1, 2, &h) == -1 || p[3] != ':' ||
		    digits(p + 4, 2, &m) == -1)
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec) == -1)
				return -1;
			p += 3;
		}
	}
	if (iso_zone(p, &has_zone, &off) == -1)
		return -1;
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	if (has_zone) {
		t = timegm(&tm);
		*out = (int64_t)t - off;
	} else {
		t = mktime(&tm);
		*out = (int64_t)t;
	}
	return 0;
}

char *
hdb_base64(const void *src, size_t len)
{
	char *buf;

	if (len > (size_t)0x3fffffff)
		return NULL;
	buf = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)buf, src, (int)len);
	return buf;
}

uint8_t *
hdb_unbase64(const char *s, size_t slen, size_t *outlen)
{
	uint8_t *buf;
	int n, pad = 0;

	if (slen % 4 != 0 || slen > (size_t)0x3fffffff)
		return NULL;
	buf = xmalloc(slen / 4 * 3 + 1);
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)slen);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	if (slen >= 1 && s[slen - 1] == '=')
		pad++;
	if (slen >= 2 && s[slen - 2] == '=')
		pad++;
	*outlen = (size_t)n - (size_t)pad;
	return buf;
}

char *
hdb_hex(char *dst, const void *src, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t i;

	for (i = 0; i < len; i++) {
		dst[2 * i] = hx[s[i] >> 4];
		dst[2 * i + 1] = hx[s[i] & 15];
	}
	dst[2 * len] = '\0';
	return dst;
}
