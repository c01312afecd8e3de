/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * out.c - escaping, time and duration formatting, base64 and hex.
 *
 * Times are formatted by hand from a broken-down time: strftime is locale
 * dependent and a dump formats a time for every record.  Local time goes
 * through localtime_r, which (unlike localtime) does not re-read the zone
 * file on every call.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LIBBSD_NETBSD_VIS
#include <bsd/vis.h>
#include <openssl/evp.h>

#include "out.h"
#include "xmalloc.h"

#define VISFLAGS	(VIS_CSTYLE | VIS_OCTAL | VIS_TAB | VIS_NL)

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

size_t
hdb_vis(char *dst, size_t dstlen, const void *src, size_t len)
{
	const unsigned char *s = src;
	size_t i;
	int n;

	/* Fast path: plain printable ASCII needs no escaping. */
	for (i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			break;
	if (i == len && len < dstlen) {
		memcpy(dst, s, len);
		dst[len] = '\0';
		return len;
	}
	n = strnvisx(dst, dstlen, src, len, VISFLAGS);
	if (n < 0) {
		dst[0] = '\0';
		return 0;
	}
	return (size_t)n;
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
	char *buf = xmalloc(HDB_VIS_SIZE(len));

	hdb_vis(buf, HDB_VIS_SIZE(len), src, len);
	return buf;
}

static int
breakdown(int64_t t, int utc, struct tm *tm)
{
	time_t tt = (time_t)t;

	if (utc)
		return gmtime_r(&tt, tm) == NULL ? -1 : 0;
	return localtime_r(&tt, tm) == NULL ? -1 : 0;
}

char *
hdb_fmt_iso(char *buf, size_t len, int64_t t, int utc)
{
	struct tm tm;
	long off;

	if (breakdown(t, utc, &tm) == -1) {
		snprintf(buf, len, "@%lld", (long long)t);
		return buf;
	}
	off = utc ? 0 : tm.tm_gmtoff;
	if (off == 0 && utc) {
		snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
		return buf;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    labs(off) / 3600, labs(off) % 3600 / 60);
	return buf;
}

/* Two decimal digits at p. */
static char *
put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

char *
hdb_fmt_exim(char *buf, size_t len, int64_t t, int utc)
{
	struct tm tm;
	char *p = buf;

	if (len < 24 || breakdown(t, utc, &tm) == -1 ||
	    tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		snprintf(buf, len, "@%lld", (long long)t);
		return buf;
	}
	p = put2(p, tm.tm_mday);
	*p++ = '-';
	memcpy(p, months[tm.tm_mon], 3);
	p += 3;
	*p++ = '-';
	p = put2(p, (tm.tm_year + 1900) / 100);
	p = put2(p, (tm.tm_year + 1900) % 100);
	*p++ = ' ';
	p = put2(p, tm.tm_hour);
	*p++ = ':';
	p = put2(p, tm.tm_min);
	*p++ = ':';
	p = put2(p, tm.tm_sec);
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

char *
hdb_fmt_age(char *buf, size_t len, int64_t secs)
{
	static const struct { char u; int64_t s; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	uint64_t v;
	size_t i, used = 0;
	int parts = 0;

	if (secs < 0) {
		used = (size_t)snprintf(buf, len, "-");
		v = (uint64_t)0 - (uint64_t)secs;
	} else
		v = (uint64_t)secs;
	if (v == 0) {
		snprintf(buf, len, "0s");
		return buf;
	}
	/* Two most significant units are enough to read. */
	for (i = 0; i < 4 && parts < 2 && used < len; i++) {
		uint64_t q = v / (uint64_t)units[i].s;

		if (q == 0 && parts == 0)
			continue;
		if (q != 0)
			used += (size_t)snprintf(buf + used, len - used,
			    "%llu%c", (unsigned long long)q, units[i].u);
		v -= q * (uint64_t)units[i].s;
		parts++;
	}
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
