/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * duration.c - parse and print time spans (see duration.h).  Kept free of
 * everything but libc so that the unit test can build it on its own.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"

#define DUR_LIMIT_MS	(200LL * 366 * 86400 * 1000)	/* overflow guard */

static const struct {
	const char	*name;
	int64_t		 ms;
} units[] = {		/* "ms" before "m": the longest match wins */
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 3600 * 1000 },
	{ "d", 86400LL * 1000 },
	{ "w", 7 * 86400LL * 1000 },
};

#define NUNITS	(sizeof(units) / sizeof(units[0]))

/* unit - the unit spelt at p, its length in *len; -1 if none. */
static int
unit(const char *p, size_t *len)
{
	size_t i, n;

	for (i = 0; i < NUNITS; i++) {
		n = strlen(units[i].name);
		if (strncmp(p, units[i].name, n) == 0 &&
		    !(p[n] >= 'a' && p[n] <= 'z')) {
			*len = n;
			return (int)i;
		}
	}
	return -1;
}

static int
refuse(char *why, size_t whylen, const char *msg, const char *arg)
{
	snprintf(why, whylen, msg, arg);
	return -1;
}

/* unit_span - the letters at p up to the next digit, for a message. */
static void
unit_span(const char *p, char *buf, size_t len)
{
	size_t n = 0;

	while (p[n] != '\0' && !(p[n] >= '0' && p[n] <= '9') && n + 1 < len)
		n++;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

static int
bare_number(int64_t v, enum dur_bare bare, int64_t *out, char *why,
    size_t whylen)
{
	if (bare == DUR_BARE_NONE)
		return refuse(why, whylen, "a number needs a unit (ms, s, m, "
		    "h, d, w: e.g. 30d)%s", "");
	*out = bare == DUR_BARE_S ? v * 1000 : v;
	return 0;
}

int
duration_parse(const char *s, enum dur_bare bare, int64_t min_ms,
    int64_t max_ms, int64_t *ms, char *why, size_t whylen)
{
	const char *p = s;
	char ubuf[8], lim[32];
	int64_t total = 0, v;
	size_t ulen;
	int u, bare_num;

	if (*p == '\0')
		return refuse(why, whylen, "empty%s", "");
	bare_num = strspn(s, "0123456789") == strlen(s);
	while (*p != '\0') {
		if (*p < '0' || *p > '9')
			return refuse(why, whylen, *p == '-' ? "negative%s" :
			    "not a number%s", "");
		for (v = 0; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (*p - '0');
			if (v > DUR_LIMIT_MS)
				return refuse(why, whylen, "too long%s", "");
		}
		if (bare_num) {
			if (bare_number(v, bare, &total, why, whylen) == -1)
				return -1;
			break;
		}
		if ((u = unit(p, &ulen)) == -1) {
			if (*p == '\0')
				return refuse(why, whylen, "the last number "
				    "needs a unit (ms, s, m, h, d, w)%s", "");
			unit_span(p, ubuf, sizeof(ubuf));
			return refuse(why, whylen, "unknown unit '%s' (ms, s, m, "
			    "h, d, w)", ubuf);
		}
		p += ulen;
		total += v * units[u].ms;
		if (total > DUR_LIMIT_MS)
			return refuse(why, whylen, "too long%s", "");
	}
	if (total < min_ms) {
		duration_format(min_ms, lim, sizeof(lim));
		return refuse(why, whylen, "too short (at least %s)", lim);
	}
	if (total > max_ms) {
		duration_format(max_ms, lim, sizeof(lim));
		return refuse(why, whylen, "too long (at most %s)", lim);
	}
	*ms = total;
	return 0;
}

void
duration_format(int64_t ms, char *buf, size_t len)
{
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	if (ms <= 0) {
		snprintf(buf, len, "%s", ms == 0 ? "0s" : "-");
		return;
	}
	for (i = NUNITS; i-- > 0;) {
		if (ms < units[i].ms)
			continue;
		n = snprintf(buf + off, len - off, "%lld%s",
		    (long long)(ms / units[i].ms), units[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return;
		off += (size_t)n;
		ms %= units[i].ms;
	}
}

int
duration_opt(const char *cmd, const char *opt, const char *arg,
    enum dur_bare bare, int64_t min_ms, int64_t max_ms, long *ms)
{
	char why[128];
	int64_t v;

	if (duration_parse(arg, bare, min_ms, max_ms, &v, why,
	    sizeof(why)) == -1) {
		/* arg came from argv: printable enough, but keep it short */
		warnx("%s: bad %s '%.40s': %s", cmd, opt, arg, why);
		return -1;
	}
	*ms = (long)v;
	return 0;
}
