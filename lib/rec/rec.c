/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rec.c - decode and encode Exim hints records, legacy and v2 (formats doc
 * §3).  Offsets are those of x86_64 Linux (LP64, little-endian): every field
 * is read with memcpy at an explicit offset after a bounds check, never by
 * casting the record to a struct, since Exim writes native structs with
 * uninitialised padding.
 */
#include <string.h>

#include "rec/rec.h"

/* Plausible record times: 2000-01-01 up to the end of unsigned 32 bits. */
#define T_MIN	946684800LL
#define T_MAX	4294967295LL

/* Field offsets after the header, and type sizes after the header. */
#define RETRY_TEXT	36
#define RETRY_SIZE	40
#define WAIT_IDS	8
#define WAIT_SIZE	16
#define SER_SIZE	8
#define EHLO_SIZE	8
#define EHLO_LIM_SIZE	24
#define CO_ADDR_SIZE	8
#define CO_OBS_SIZE	16
#define CO_DOM_SIZE	32
#define RL_PLAIN_SIZE	16
#define RL_BLOOM	28
#define RL_UNIQUE_SIZE	72
#define TLS_PAYLOAD	1
#define TLS_SIZE	8

static const struct {
	enum hdb_dbtype	 t;
	const char	*name;
} dbnames[] = {
	{ HDB_T_RETRY, "retry" },
	{ HDB_T_MISC, "misc" },
	{ HDB_T_CALLOUT, "callout" },
	{ HDB_T_RATELIMIT, "ratelimit" },
	{ HDB_T_SEEN, "seen" },
	{ HDB_T_TLS, "tls" },
};

static int32_t
rd_i32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t
rd_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t
rd_u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int64_t
rd_i64(const uint8_t *p)
{
	int64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void
wr_i32(uint8_t *p, int32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void
wr_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void
wr_u16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void
wr_i64(uint8_t *p, int64_t v)
{
	memcpy(p, &v, sizeof(v));
}

enum hdb_dbtype
hdb_dbtype_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(dbnames) / sizeof(dbnames[0]); i++)
		if (strcmp(name, dbnames[i].name) == 0)
			return dbnames[i].t;
	if (strncmp(name, "wait-", 5) == 0 && name[5] != '\0')
		return HDB_T_WAIT;
	return HDB_T_UNKNOWN;
}

const char *
hdb_dbtype_name(enum hdb_dbtype t)
{
	size_t i;

	if (t == HDB_T_WAIT)
		return "wait";
	for (i = 0; i < sizeof(dbnames) / sizeof(dbnames[0]); i++)
		if (dbnames[i].t == t)
			return dbnames[i].name;
	return "unknown";
}

const char *
hdb_layout_name(enum hdb_layout l)
{
	switch (l) {
	case HDB_L_LEGACY:
		return "legacy";
	case HDB_L_V2:
		return "v2";
	default:
		return "auto";
	}
}

int
hdb_layout_from_name(const char *s, enum hdb_layout *l)
{
	if (strcmp(s, "legacy") == 0)
		*l = HDB_L_LEGACY;
	else if (strcmp(s, "v2") == 0)
		*l = HDB_L_V2;
	else if (strcmp(s, "auto") == 0)
		*l = HDB_L_AUTO;
	else
		return -1;
	return 0;
}

static int
plausible(int64_t t)
{
	return t >= T_MIN && t <= T_MAX;
}

enum hdb_layout
hdb_rec_layout(const uint8_t *val, size_t len)
{
	/* Only the first byte of tainted's slot counts: 4.100.1's BOOL is
	 * one byte and leaves the other three uninitialised (§8.2). */
	if (len >= HDB_V2_HDR && rd_u32(val) == HDB_V2_VERSION &&
	    val[4] <= 1 && plausible(rd_i64(val + 8)))
		return HDB_L_V2;
	if (len >= HDB_LEGACY_HDR && plausible(rd_i64(val)))
		return HDB_L_LEGACY;
	return HDB_L_AUTO;
}

int
hdb_rec_stamp(const uint8_t *val, size_t len, int64_t *stamp)
{
	switch (hdb_rec_layout(val, len)) {
	case HDB_L_LEGACY:
		*stamp = rd_i64(val);
		return 0;
	case HDB_L_V2:
		*stamp = rd_i64(val + 8);
		return 0;
	default:
		return -1;
	}
}

size_t
hdb_key_text_len(const uint8_t *key, size_t klen)
{
	return klen > 0 && key[klen - 1] == '\0' ? klen - 1 : klen;
}

static int
key_has_prefix(const uint8_t *key, size_t klen, const char *pfx)
{
	size_t n = strlen(pfx);

	return hdb_key_text_len(key, klen) >= n && memcmp(key, pfx, n) == 0;
}

static int
key_has_suffix(const uint8_t *key, size_t klen, const char *sfx)
{
	size_t n = strlen(sfx), kl = hdb_key_text_len(key, klen);

	return kl >= n && memcmp(key + kl - n, sfx, n) == 0;
}

static int
key_contains(const uint8_t *key, size_t klen, const char *s)
{
	size_t n = strlen(s), kl = hdb_key_text_len(key, klen);

	return kl >= n && memmem(key, kl, s, n) != NULL;
}

static int
alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

int
hdb_msgid_valid(const uint8_t *s, size_t len)
{
	size_t d2, i;

	if (len == HDB_MSGID_OLD)
		d2 = 13;
	else if (len == HDB_MSGID_NEW)
		d2 = 18;
	else
		return 0;
	for (i = 0; i < len; i++)
		if (i == 6 || i == d2 ? s[i] != '-' : !alnum(s[i]))
			return 0;
	return 1;
}

const char *
hdb_callout_result_name(int r)
{
	switch (r) {
	case HDB_CC_UNKNOWN:
		return "unknown";
	case HDB_CC_ACCEPT:
		return "accept";
	case HDB_CC_REJECT:
		return "reject";
	case HDB_CC_REJECT_MFNULL:
		return "reject_mfnull";
	default:
		return "invalid";
	}
}

static int
dec_retry(const uint8_t *b, size_t len, enum hdb_layout l, struct hdb_retry *r,
    const char **why)
{
	const uint8_t *nul;

	if (len < RETRY_SIZE) {
		*why = "retry record too short";
		return -1;
	}
	r->first_failed = rd_i64(b);
	r->last_try = rd_i64(b + 8);
	r->next_try = rd_i64(b + 16);
	/* v2 (4.100.1): a one-byte BOOL and three bytes of padding. */
	r->expired = l == HDB_L_V2 ? b[24] : rd_u32(b + 24);
	r->basic_errno = rd_i32(b + 28);
	r->more_errno = rd_i32(b + 32);
	r->text = b + RETRY_TEXT;
	nul = memchr(r->text, '\0', len - RETRY_TEXT);
	if (nul == NULL) {
		*why = "retry text not terminated";
		return -1;
	}
	r->text_len = (size_t)(nul - r->text);
	if (r->text_len > HDB_RETRY_TEXT_MAX) {
		*why = "retry text longer than 150 bytes";
		return -1;
	}
	if (len != RETRY_SIZE + r->text_len) {
		*why = "retry record length does not match its text";
		return -1;
	}
	return 0;
}

static int
dec_wait(const uint8_t *b, size_t len, struct hdb_wait *w, const char **why)
{
	size_t body, i;

	if (len < WAIT_SIZE) {
		*why = "wait record too short";
		return -1;
	}
	w->count = rd_i32(b);
	w->sequence = rd_i32(b + 4);
	w->ids = b + WAIT_IDS;
	w->id_len = 0;
	w->bad_id = -1;
	body = len - WAIT_SIZE;
	if (w->count < 0) {
		*why = "wait record count is negative";
		return -1;
	}
	if (w->count == 0) {
		if (body != 0) {
			*why = "wait record length does not match its count";
			return -1;
		}
		return 0;
	}
	if (body == (size_t)w->count * HDB_MSGID_OLD)
		w->id_len = HDB_MSGID_OLD;
	else if (body == (size_t)w->count * HDB_MSGID_NEW)
		w->id_len = HDB_MSGID_NEW;
	else {
		*why = "wait record length does not match its count";
		return -1;
	}
	for (i = 0; i < (size_t)w->count; i++)
		if (!hdb_msgid_valid(w->ids + i * w->id_len, w->id_len)) {
			w->bad_id = (int)i;
			break;
		}
	return 0;
}

static int
dec_misc(const uint8_t *key, size_t klen, const uint8_t *b, size_t len,
    struct hdb_rec *r, const char **why)
{
	struct hdb_misc *m = &r->u.misc;

	if (key_has_suffix(key, klen, ".EHLO")) {
		if (len != EHLO_SIZE && len != EHLO_LIM_SIZE) {
			*why = "EHLO record has the wrong length";
			return -1;
		}
		r->kind = len == EHLO_SIZE ? HDB_K_MISC_EHLO :
		    HDB_K_MISC_EHLO_LIMITS;
		m->clr_features = rd_u16(b);
		m->cry_features = rd_u16(b + 2);
		m->clr_auths = rd_u16(b + 4);
		m->cry_auths = rd_u16(b + 6);
		if (len == EHLO_LIM_SIZE) {
			m->limit_mail = rd_u32(b + 8);
			m->limit_rcpt = rd_u32(b + 12);
			m->limit_rcptdom = rd_u32(b + 16);
		}
		return 0;
	}
	if (key_has_prefix(key, klen, "etrn-") ||
	    key_has_prefix(key, klen, "host-serialize-") ||
	    key_has_prefix(key, klen, "tpt-serialize-")) {
		if (len != SER_SIZE) {
			*why = "serialisation record has the wrong length";
			return -1;
		}
		r->kind = HDB_K_MISC_SERIALIZE;
		m->count = rd_i32(b);
		return 0;
	}
	r->kind = HDB_K_MISC_OTHER;
	m->raw = b;
	m->raw_len = len;
	return 0;
}

static int
dec_callout(const uint8_t *b, size_t len, struct hdb_rec *r, const char **why)
{
	struct hdb_callout *c = &r->u.callout;

	switch (len) {
	case CO_ADDR_SIZE:
		r->kind = HDB_K_CALLOUT_ADDRESS;
		c->result = rd_i32(b);
		return 0;
	case CO_OBS_SIZE:
		r->kind = HDB_K_CALLOUT_OBSOLETE;
		c->result = rd_i32(b);
		c->postmaster_result = rd_i32(b + 4);
		c->random_result = rd_i32(b + 8);
		/* Exim takes both stamps from the record's time. */
		c->postmaster_stamp = r->time_stamp;
		c->random_stamp = r->time_stamp;
		return 0;
	case CO_DOM_SIZE:
		r->kind = HDB_K_CALLOUT_DOMAIN;
		c->result = rd_i32(b);
		c->postmaster_result = rd_i32(b + 4);
		c->random_result = rd_i32(b + 8);
		c->postmaster_stamp = rd_i64(b + 16);
		c->random_stamp = rd_i64(b + 24);
		return 0;
	default:
		*why = "callout record has the wrong length";
		return -1;
	}
}

static int
dec_ratelimit(const uint8_t *key, size_t klen, const uint8_t *b, size_t len,
    struct hdb_rec *r, const char **why)
{
	struct hdb_ratelimit *rl = &r->u.ratelimit;

	if (len < RL_PLAIN_SIZE) {
		*why = "ratelimit record too short";
		return -1;
	}
	rl->time_usec = rd_i32(b);
	memcpy(&rl->rate, b + 8, sizeof(rl->rate));
	if (!key_contains(key, klen, "/unique/") || len < RL_UNIQUE_SIZE) {
		if (len != RL_PLAIN_SIZE) {
			*why = "ratelimit record has the wrong length";
			return -1;
		}
		r->kind = HDB_K_RATELIMIT_PLAIN;
		return 0;
	}
	r->kind = HDB_K_RATELIMIT_UNIQUE;
	rl->bloom_epoch = rd_i64(b + 16);
	rl->bloom_size = rd_u32(b + 24);
	rl->bloom = b + RL_BLOOM;
	if (rl->bloom_size < HDB_RATELIMIT_BLOOM_MIN ||
	    len != RL_UNIQUE_SIZE + (rl->bloom_size - HDB_RATELIMIT_BLOOM_MIN)) {
		*why = "ratelimit Bloom filter size does not match the length";
		return -1;
	}
	return 0;
}

static int
dec_tls(const uint8_t *b, size_t len, struct hdb_tlsrec *t, const char **why)
{
	if (len < TLS_SIZE) {
		*why = "tls record too short";
		return -1;
	}
	t->flags = b[0];
	t->verify_override = b[0] & 1;
	t->ocsp = (b[0] >> 1) & 7;
	t->payload = b + TLS_PAYLOAD;
	t->payload_len = len - TLS_SIZE;
	return 0;
}

static int
dec_body(enum hdb_dbtype t, const uint8_t *key, size_t klen,
    const uint8_t *b, size_t len, struct hdb_rec *r, const char **why)
{
	switch (t) {
	case HDB_T_RETRY:
		return dec_retry(b, len, r->layout, &r->u.retry, why);
	case HDB_T_WAIT:
		return dec_wait(b, len, &r->u.wait, why);
	case HDB_T_MISC:
		return dec_misc(key, klen, b, len, r, why);
	case HDB_T_CALLOUT:
		return dec_callout(b, len, r, why);
	case HDB_T_RATELIMIT:
		return dec_ratelimit(key, klen, b, len, r, why);
	case HDB_T_SEEN:
		if (len != 0) {
			*why = "seen record has the wrong length";
			return -1;
		}
		return 0;
	case HDB_T_TLS:
		return dec_tls(b, len, &r->u.tls, why);
	default:
		*why = "unknown database type";
		return -1;
	}
}

int
hdb_rec_decode(enum hdb_dbtype t, enum hdb_layout layout,
    const uint8_t *key, size_t klen, const uint8_t *val, size_t len,
    struct hdb_rec *r, const char **why)
{
	size_t hdr;

	memset(r, 0, sizeof(*r));
	r->type = t;
	if (layout == HDB_L_AUTO)
		layout = hdb_rec_layout(val, len);
	r->layout = layout;
	switch (layout) {
	case HDB_L_LEGACY:
		if (len < HDB_LEGACY_HDR) {
			*why = "record shorter than its header";
			return -1;
		}
		r->time_stamp = rd_i64(val);
		hdr = HDB_LEGACY_HDR;
		break;
	case HDB_L_V2:
		if (len < HDB_V2_HDR) {
			*why = "record shorter than its header";
			return -1;
		}
		r->version = rd_u32(val);
		r->tainted = val[4];	/* bytes 5-7: padding (§8.2) */
		r->time_stamp = rd_i64(val + 8);
		if (r->version != HDB_V2_VERSION) {
			*why = "unknown record version";
			return -1;
		}
		hdr = HDB_V2_HDR;
		break;
	default:
		*why = len < HDB_LEGACY_HDR ? "record shorter than its header" :
		    "record layout not recognised";
		return -1;
	}
	return dec_body(t, key, klen, val + hdr, len - hdr, r, why);
}

const char *
hdb_rec_check(const struct hdb_rec *r)
{
	if (r->layout == HDB_L_V2 && r->tainted > 1)
		return "tainted flag is neither 0 nor 1";
	if (!plausible(r->time_stamp))
		return "implausible record time";
	switch (r->type) {
	case HDB_T_RETRY:
		if (r->u.retry.expired > 1)
			return "retry expired flag is neither 0 nor 1";
		break;
	case HDB_T_WAIT:
		if (r->u.wait.count > HDB_WAIT_NAME_MAX)
			return "wait count over 50";
		if (r->u.wait.sequence < 0 ||
		    r->u.wait.sequence > HDB_WAIT_CONT_MAX)
			return "wait sequence over 1000";
		if (r->u.wait.bad_id >= 0)
			return "bad character in message id";
		break;
	case HDB_T_CALLOUT:
		if (r->u.callout.result < 0 || r->u.callout.result > 3)
			return "callout result out of range";
		break;
	default:
		break;
	}
	return NULL;
}

static size_t
body_size(const struct hdb_rec *r)
{
	switch (r->type) {
	case HDB_T_RETRY:
		return RETRY_SIZE + r->u.retry.text_len;
	case HDB_T_WAIT:
		return WAIT_SIZE + (size_t)r->u.wait.count * r->u.wait.id_len;
	case HDB_T_MISC:
		switch (r->kind) {
		case HDB_K_MISC_SERIALIZE:
			return SER_SIZE;
		case HDB_K_MISC_EHLO:
			return EHLO_SIZE;
		case HDB_K_MISC_EHLO_LIMITS:
			return EHLO_LIM_SIZE;
		default:
			return r->u.misc.raw_len;
		}
	case HDB_T_CALLOUT:
		return r->kind == HDB_K_CALLOUT_DOMAIN ? CO_DOM_SIZE :
		    r->kind == HDB_K_CALLOUT_OBSOLETE ? CO_OBS_SIZE :
		    CO_ADDR_SIZE;
	case HDB_T_RATELIMIT:
		if (r->kind != HDB_K_RATELIMIT_UNIQUE)
			return RL_PLAIN_SIZE;
		if (r->u.ratelimit.bloom_size < HDB_RATELIMIT_BLOOM_MIN)
			return 0;
		return RL_UNIQUE_SIZE + r->u.ratelimit.bloom_size -
		    HDB_RATELIMIT_BLOOM_MIN;
	case HDB_T_SEEN:
		return 0;
	case HDB_T_TLS:
		return TLS_SIZE + r->u.tls.payload_len;
	default:
		return 0;
	}
}

size_t
hdb_rec_size(const struct hdb_rec *r, enum hdb_layout layout)
{
	return (layout == HDB_L_V2 ? HDB_V2_HDR : HDB_LEGACY_HDR) +
	    body_size(r);
}

static void
enc_body(const struct hdb_rec *r, enum hdb_layout layout, uint8_t *b)
{
	const struct hdb_misc *m = &r->u.misc;
	const struct hdb_callout *c = &r->u.callout;
	const struct hdb_ratelimit *rl = &r->u.ratelimit;

	switch (r->type) {
	case HDB_T_RETRY:
		wr_i64(b, r->u.retry.first_failed);
		wr_i64(b + 8, r->u.retry.last_try);
		wr_i64(b + 16, r->u.retry.next_try);
		if (layout == HDB_L_V2)
			b[24] = (uint8_t)r->u.retry.expired;
		else
			wr_u32(b + 24, r->u.retry.expired);
		wr_i32(b + 28, r->u.retry.basic_errno);
		wr_i32(b + 32, r->u.retry.more_errno);
		if (r->u.retry.text_len)
			memcpy(b + RETRY_TEXT, r->u.retry.text,
			    r->u.retry.text_len);
		break;
	case HDB_T_WAIT:
		wr_i32(b, r->u.wait.count);
		wr_i32(b + 4, r->u.wait.sequence);
		if (r->u.wait.count > 0)
			memcpy(b + WAIT_IDS, r->u.wait.ids,
			    (size_t)r->u.wait.count * r->u.wait.id_len);
		break;
	case HDB_T_MISC:
		if (r->kind == HDB_K_MISC_SERIALIZE)
			wr_i32(b, m->count);
		else if (r->kind == HDB_K_MISC_EHLO ||
		    r->kind == HDB_K_MISC_EHLO_LIMITS) {
			wr_u16(b, m->clr_features);
			wr_u16(b + 2, m->cry_features);
			wr_u16(b + 4, m->clr_auths);
			wr_u16(b + 6, m->cry_auths);
			if (r->kind == HDB_K_MISC_EHLO_LIMITS) {
				wr_u32(b + 8, m->limit_mail);
				wr_u32(b + 12, m->limit_rcpt);
				wr_u32(b + 16, m->limit_rcptdom);
			}
		} else if (m->raw_len)
			memcpy(b, m->raw, m->raw_len);
		break;
	case HDB_T_CALLOUT:
		wr_i32(b, c->result);
		if (r->kind == HDB_K_CALLOUT_ADDRESS)
			break;
		wr_i32(b + 4, c->postmaster_result);
		wr_i32(b + 8, c->random_result);
		if (r->kind == HDB_K_CALLOUT_DOMAIN) {
			wr_i64(b + 16, c->postmaster_stamp);
			wr_i64(b + 24, c->random_stamp);
		}
		break;
	case HDB_T_RATELIMIT:
		wr_i32(b, rl->time_usec);
		memcpy(b + 8, &rl->rate, sizeof(rl->rate));
		if (r->kind == HDB_K_RATELIMIT_UNIQUE) {
			wr_i64(b + 16, rl->bloom_epoch);
			wr_u32(b + 24, rl->bloom_size);
			memcpy(b + RL_BLOOM, rl->bloom, rl->bloom_size);
		}
		break;
	case HDB_T_TLS:
		b[0] = r->u.tls.flags;
		if (r->u.tls.payload_len)
			memcpy(b + TLS_PAYLOAD, r->u.tls.payload,
			    r->u.tls.payload_len);
		break;
	default:
		break;
	}
}

size_t
hdb_rec_encode(const struct hdb_rec *r, enum hdb_layout layout,
    uint8_t *buf, size_t cap)
{
	size_t hdr, need;

	if (layout != HDB_L_LEGACY && layout != HDB_L_V2)
		return 0;
	if (r->type == HDB_T_UNKNOWN || r->type > HDB_T_TLS)
		return 0;
	if (r->type == HDB_T_WAIT && (r->u.wait.count < 0 ||
	    (r->u.wait.count > 0 && r->u.wait.id_len == 0)))
		return 0;
	if (r->type == HDB_T_RATELIMIT && r->kind == HDB_K_RATELIMIT_UNIQUE &&
	    r->u.ratelimit.bloom_size < HDB_RATELIMIT_BLOOM_MIN)
		return 0;
	hdr = layout == HDB_L_V2 ? HDB_V2_HDR : HDB_LEGACY_HDR;
	need = hdb_rec_size(r, layout);
	if (need > cap)
		return 0;
	memset(buf, 0, need);
	if (layout == HDB_L_V2) {
		wr_u32(buf, HDB_V2_VERSION);
		buf[4] = (uint8_t)r->tainted;	/* padding stays zero */
		wr_i64(buf + 8, r->time_stamp);
	} else
		wr_i64(buf, r->time_stamp);
	enc_body(r, layout, buf + hdr);
	return need;
}

/* Offsets of the padding after v2's one-byte BOOLs (§8.2), for type t. */
static size_t
pad_offsets(enum hdb_dbtype t, size_t len, size_t off[2])
{
	size_t n = 0;

	off[n++] = 5;
	if (t == HDB_T_RETRY && len >= HDB_V2_HDR + RETRY_SIZE)
		off[n++] = HDB_V2_HDR + 25;
	return n;
}

int
hdb_rec_pad_dirty(enum hdb_dbtype t, const uint8_t *val, size_t len)
{
	size_t off[2], i, n;

	if (hdb_rec_layout(val, len) != HDB_L_V2)
		return 0;
	n = pad_offsets(t, len, off);
	for (i = 0; i < n; i++)
		if (val[off[i]] | val[off[i] + 1] | val[off[i] + 2])
			return 1;
	return 0;
}

void
hdb_rec_pad_zero(enum hdb_dbtype t, uint8_t *val, size_t len)
{
	size_t off[2], i, n;

	if (hdb_rec_layout(val, len) != HDB_L_V2)
		return;
	n = pad_offsets(t, len, off);
	for (i = 0; i < n; i++)
		memset(val + off[i], 0, 3);
}
