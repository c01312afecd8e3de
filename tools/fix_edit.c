/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fix_edit.c - the record editors of `hintsdb fix` and exim_fixdb
 * (fix_edit.h): Exim's time input, integers, the ratelimit Bloom filter,
 * one field of a retry, callout, ratelimit or seen record.  The command
 * language around them (keys, tokens, the DB, display) is cmd_fix.c.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bsd/stdlib.h>
#include <openssl/evp.h>

#include "fix_edit.h"
#include "out.h"
#include "rec/rec.h"

/*
 * read_time - Exim's fixdb time input: digit pairs, colons ignored, read
 * from the right as minute, hour, day, month, year (yy < 90 is 20yy);
 * what is not given is today's, seconds are 0, local time.  -1 if bad.
 */
static int64_t
read_time(const char *s, int64_t now)
{
	time_t tnow = (time_t)now, t;
	struct tm tm;
	const char *p;
	int field = 0, v;

	if (localtime_r(&tnow, &tm) == NULL)
		return -1;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	for (p = s + strlen(s) - 1; p >= s; p--) {
		if (*p == ':')
			continue;
		if (!isdigit((unsigned char)*p))
			return -1;
		v = *p - '0';
		if (--p >= s) {
			if (!isdigit((unsigned char)*p))
				return -1;
			v += (*p - '0') * 10;
		}
		switch (field++) {
		case 0:
			tm.tm_min = v;
			break;
		case 1:
			tm.tm_hour = v;
			break;
		case 2:
			tm.tm_mday = v;
			break;
		case 3:
			tm.tm_mon = v - 1;
			break;
		case 4:
			tm.tm_year = v < 90 ? v + 100 : v;
			break;
		default:
			return -1;
		}
	}
	t = mktime(&tm);
	return t <= 0 ? -1 : (int64_t)t;
}

static int
parse_int(const char *s, int32_t *out)
{
	const char *errstr;
	long long v = strtonum(s, INT_MIN, INT_MAX, &errstr);

	if (errstr != NULL) {
		printf("bad integer value\n");
		return -1;
	}
	*out = (int32_t)v;
	return 0;
}

static int
parse_tm(const char *s, int64_t now, int64_t *out)
{
	int64_t t = read_time(s, now);

	if (t <= 0) {
		printf("bad time value\n");
		return -1;
	}
	*out = t;
	return 0;
}

static int
edit_retry(struct hdb_rec *r, int field, const char *v, int64_t now)
{
	struct hdb_retry *re = &r->u.retry;

	switch (field) {
	case 0:
		return parse_int(v, &re->basic_errno) ? E_REFUSED : E_WRITE;
	case 1:
		return parse_int(v, &re->more_errno) ? E_REFUSED : E_WRITE;
	case 2:
		return parse_tm(v, now, &re->first_failed) ? E_REFUSED :
		    E_WRITE;
	case 3:
		return parse_tm(v, now, &re->last_try) ? E_REFUSED : E_WRITE;
	case 4:
		return parse_tm(v, now, &re->next_try) ? E_REFUSED : E_WRITE;
	case 5:
		if (strcmp(v, "yes") == 0 || strcmp(v, "no") == 0) {
			re->expired = strcmp(v, "yes") == 0;
			return E_WRITE;
		}
		printf("\"yes\" or \"no\" expected=n");
		return E_REFUSED;
	default:
		printf("unknown field number\n");
		return E_QUIET;
	}
}

static int
edit_callout(struct hdb_rec *r, int field, const char *v)
{
	struct hdb_callout *c = &r->u.callout;

	if (field == 0)
		return parse_int(v, &c->result) ? E_REFUSED : E_WRITE;
	if (r->kind != HDB_K_CALLOUT_ADDRESS && field == 1)
		return parse_int(v, &c->postmaster_result) ? E_REFUSED :
		    E_WRITE;
	if (r->kind != HDB_K_CALLOUT_ADDRESS && field == 2)
		return parse_int(v, &c->random_result) ? E_REFUSED : E_WRITE;
	printf("unknown field number\n");
	return E_QUIET;
}

/* The ratelimit Bloom filter: test (or set) the 8 bits of string s. */
static int
bloom(struct hdb_ratelimit *rl, uint8_t *bits, const char *s, int add)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	uint32_t h, d;
	int n, seen = 1;

	if (EVP_Digest(s, strlen(s), md, &mdlen, EVP_md5(), NULL) != 1)
		return -1;
	h = (uint32_t)md[0] | (uint32_t)md[1] << 8 | (uint32_t)md[2] << 16 |
	    (uint32_t)md[3] << 24;
	d = (uint32_t)md[4] | (uint32_t)md[5] << 8 | (uint32_t)md[6] << 16 |
	    (uint32_t)md[7] << 24;
	for (n = 0; n < 8; n++, h += d) {
		unsigned bit = 1u << (h % 8);
		uint32_t byte = (h / 8) % rl->bloom_size;

		if ((bits[byte] & bit) == 0) {
			seen = 0;
			if (add)
				bits[byte] |= (uint8_t)bit;
		}
	}
	return seen;
}

static int
edit_ratelimit(struct hdb_rec *r, uint8_t *bits, int field, const char *v,
    int64_t now)
{
	struct hdb_ratelimit *rl = &r->u.ratelimit;
	char *end;
	double d;
	int64_t t;
	int seen;

	switch (field) {
	case 0:			/* written as now anyway, as in Exim */
		return parse_tm(v, now, &t) ? E_REFUSED : E_WRITE;
	case 1:
		return parse_int(v, &rl->time_usec) ? E_REFUSED : E_WRITE;
	case 2:
		d = strtod(v, &end);
		if (end == v || *end != '\0') {
			printf("bad number value\n");
			return E_REFUSED;
		}
		rl->rate = d;
		return E_WRITE;
	}
	if (r->kind == HDB_K_RATELIMIT_UNIQUE && field == 3)
		return parse_tm(v, now, &rl->bloom_epoch) ? E_REFUSED : E_WRITE;
	if (r->kind == HDB_K_RATELIMIT_UNIQUE && (field == 4 || field == 5)) {
		if ((seen = bloom(rl, bits, v, field == 5)) == -1)
			return E_REFUSED;
		printf("%s ", seen ? "seen" : field == 5 ? "added" : "unseen");
		hdb_out_vis(stdout, v, strlen(v));
		putchar('\n');
		return field == 5 && !seen ? E_WRITE : E_NOWRITE;
	}
	printf("unknown field number\n");
	return E_QUIET;
}

int
fix_edit(struct hdb_rec *r, uint8_t *val, int field, const char *value,
    int64_t now)
{
	size_t bloff;

	switch (r->type) {
	case HDB_T_RETRY:
		return edit_retry(r, field, value, now);
	case HDB_T_CALLOUT:
		return edit_callout(r, field, value);
	case HDB_T_RATELIMIT:
		bloff = r->kind == HDB_K_RATELIMIT_UNIQUE ?
		    (size_t)(r->u.ratelimit.bloom - val) : 0;
		return edit_ratelimit(r, val + bloff, field, value, now);
	case HDB_T_SEEN:
		return E_WRITE;		/* Exim: any field refreshes it */
	default:
		printf("Can't change contents of %s database record\n",
		    hdb_dbtype_name(r->type));
		return E_REFUSED;
	}
}
