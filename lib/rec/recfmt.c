/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * recfmt.c - records as text, JSON and exim_dumpdb lines (formats doc
 * §4.2).  The exim format keeps Exim 4.96's shapes byte for byte, except
 * where Exim prints wrong or unsafe data; those places are marked
 * "deviation" here and listed in hintsdb-dump(8).
 *
 * A dump prints millions of these, so the common records (retry and
 * callout lines, times, JSON) are put together in a buffer (struct obuf)
 * and written with one fwrite: stdio's cost per call, and printf's format
 * parsing, were most of a dump's time.  The bytes are the same.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rec/eximerr.h"
#include "jout.h"
#include "obuf.h"
#include "jsafe.h"
#include "out.h"
#include "rec/dest.h"
#include "rec/recfmt.h"
#include "tls/tls.h"
#include "xmalloc.h"

static const char *const ehlo_bits[] = {
	"STARTTLS", "IGNOREQUOTA", "PRDR", "SMTPUTF8", "DSN", "PIPELINING",
	"SIZE", "CHUNKING", "PIPE_CONNECT",
};

char *
hdb_ehlo_features(char *buf, size_t len, unsigned bits)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(ehlo_bits) / sizeof(ehlo_bits[0]); i++)
		if (bits & (1u << i) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
			    used ? "," : "", ehlo_bits[i]);
	if (bits >> i && used < len)
		snprintf(buf + used, len - used, "%s0x%x", used ? "," : "",
		    bits & ~((1u << i) - 1));
	return buf;
}

/* src escaped as hdb_vis does. */
static void
ob_vis(struct obuf *b, const void *src, size_t len)
{
	b->len += hdb_vis(ob_room(b, HDB_VIS_SIZE(len)), HDB_VIS_SIZE(len),
	    src, len);
}

static void
ob_time(struct obuf *b, int64_t t, int utc)
{
	hdb_fmt_exim(ob_room(b, HDB_TIMEBUF), HDB_TIMEBUF, t, utc);
	b->len += strlen(b->p + b->len);
}

static void
put_key(FILE *fp, const uint8_t *key, size_t klen)
{
	hdb_out_vis(fp, key, hdb_key_text_len(key, klen));
}

/* "  name: <iso> (<age> ago)" or "(in <age>)". */
static void
ob_put_time(struct obuf *b, const char *name, int64_t t,
    const struct hdb_fmtopts *o)
{
	char ts[HDB_TIMEBUF], age[HDB_TIMEBUF];
	int64_t d = hdb_time_diff(o->now, t);

	hdb_fmt_iso(ts, sizeof(ts), t, o->utc);
	hdb_fmt_age(age, sizeof(age), d >= 0 ? d : -d);
	ob_add(b, "  ", 2);
	ob_str(b, name);
	ob_add(b, ": ", 2);
	ob_str(b, ts);
	ob_str(b, d >= 0 ? " (" : " (in ");
	ob_str(b, age);
	ob_str(b, d >= 0 ? " ago)\n" : ")\n");
}

static void
put_time(FILE *fp, const char *name, int64_t t, const struct hdb_fmtopts *o)
{
	struct obuf b;

	ob_init(&b);
	ob_put_time(&b, name, t, o);
	ob_flush(&b, fp);
}

/*
 * smtp_code - the 4xx reply code Exim keeps in more_errno after a RCPT,
 * MAIL or DATA 4xx (-44, -45, -46): its last two digits, shifted left 8
 * bits (51 for 451); 0 if there is none.
 */
static int
smtp_code(const struct hdb_retry *r)
{
	int hi = (int)((uint32_t)r->more_errno >> 8 & 0xff);

	if (r->basic_errno < -46 || r->basic_errno > -44 || hi > 99)
		return 0;
	return 400 + hi;
}

/* How the host was found, from more_errno's low byte: "MX", "A" or NULL. */
static const char *
found_via(const struct hdb_retry *r)
{
	int lo = r->more_errno & 0xff;

	return lo == 'M' ? "MX" : lo == 'A' ? "A" : NULL;
}

static void
text_retry(FILE *fp, const struct hdb_retry *r, const struct hdb_fmtopts *o)
{
	struct obuf b;
	const char *via = found_via(r);
	int code = smtp_code(r);

	ob_init(&b);
	ob_put_time(&b, "first_failed", r->first_failed, o);
	ob_put_time(&b, "last_try", r->last_try, o);
	ob_put_time(&b, "next_try", r->next_try, o);
	ob_str(&b, r->expired ? "  expired: yes\n" : "  expired: no\n");
	ob_str(&b, "  errno: ");
	ob_str(&b, hdb_errno_name(r->basic_errno));
	ob_add(&b, " (", 2);
	ob_int(&b, r->basic_errno);
	ob_str(&b, ")\n  more_errno: ");
	ob_int(&b, r->more_errno);
	/* "(451 via MX)": the reply code and how the host was found */
	if (code != 0) {
		ob_str(&b, " (");
		ob_int(&b, code);
		if (via != NULL) {
			ob_str(&b, " via ");
			ob_str(&b, via);
		}
		ob_add(&b, ")", 1);
	} else if (via != NULL) {
		ob_str(&b, " (host found via ");
		ob_str(&b, via);
		ob_add(&b, ")", 1);
	}
	ob_str(&b, "\n  text: ");
	ob_vis(&b, r->text, r->text_len);
	ob_add(&b, "\n", 1);
	ob_flush(&b, fp);
}

static void
text_wait(FILE *fp, const struct hdb_wait *w)
{
	int32_t i;

	fprintf(fp, "  count: %d\n  sequence: %d\n", w->count, w->sequence);
	for (i = 0; i < w->count && i < HDB_WAIT_NAME_MAX; i++) {
		fputs("  id: ", fp);
		hdb_out_vis(fp, w->ids + (size_t)i * w->id_len, w->id_len);
		fputc('\n', fp);
	}
	if (w->bad_id >= 0)
		fprintf(fp, "  problem: message id %d is malformed\n",
		    w->bad_id + 1);
}

static void
text_misc(FILE *fp, const struct hdb_rec *r)
{
	const struct hdb_misc *m = &r->u.misc;
	char b1[160], b2[160];

	switch (r->kind) {
	case HDB_K_MISC_SERIALIZE:
		fprintf(fp, "  kind: serialize\n  running: %d\n", m->count);
		break;
	case HDB_K_MISC_EHLO:
	case HDB_K_MISC_EHLO_LIMITS:
		fprintf(fp, "  kind: ehlo\n  cleartext_features: 0x%04x %s\n"
		    "  crypted_features: 0x%04x %s\n"
		    "  cleartext_auths: 0x%04x\n  crypted_auths: 0x%04x\n",
		    m->clr_features, hdb_ehlo_features(b1, sizeof(b1),
		    m->clr_features), m->cry_features,
		    hdb_ehlo_features(b2, sizeof(b2), m->cry_features),
		    m->clr_auths, m->cry_auths);
		if (r->kind == HDB_K_MISC_EHLO_LIMITS)
			fprintf(fp, "  limits: mail=%u rcpt=%u rcptdomains=%u\n",
			    m->limit_mail, m->limit_rcpt, m->limit_rcptdom);
		break;
	default:
		fprintf(fp, "  kind: other\n  data_length: %zu\n", m->raw_len);
		break;
	}
}

static void
text_callout(FILE *fp, const struct hdb_rec *r, const struct hdb_fmtopts *o)
{
	const struct hdb_callout *c = &r->u.callout;

	fprintf(fp, "  kind: %s\n  result: %s\n",
	    r->kind == HDB_K_CALLOUT_ADDRESS ? "address" :
	    r->kind == HDB_K_CALLOUT_DOMAIN ? "domain" : "domain (obsolete)",
	    hdb_callout_result_name(c->result));
	if (r->kind == HDB_K_CALLOUT_ADDRESS)
		return;
	fprintf(fp, "  postmaster_result: %s\n",
	    hdb_callout_result_name(c->postmaster_result));
	if (c->postmaster_result != HDB_CC_UNKNOWN)
		put_time(fp, "postmaster_stamp", c->postmaster_stamp, o);
	fprintf(fp, "  random_result: %s\n",
	    hdb_callout_result_name(c->random_result));
	if (c->random_result != HDB_CC_UNKNOWN)
		put_time(fp, "random_stamp", c->random_stamp, o);
}

static void
text_ratelimit(FILE *fp, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	const struct hdb_ratelimit *rl = &r->u.ratelimit;

	fprintf(fp, "  kind: %s\n  usec: %06d\n  rate: %.3f\n",
	    r->kind == HDB_K_RATELIMIT_UNIQUE ? "unique" : "plain",
	    rl->time_usec, rl->rate);
	if (r->kind != HDB_K_RATELIMIT_UNIQUE)
		return;
	put_time(fp, "bloom_epoch", rl->bloom_epoch, o);
	fprintf(fp, "  bloom_size: %u\n", rl->bloom_size);
}

int
hdb_rec_print_text(FILE *fp, const uint8_t *key, size_t klen,
    const struct hdb_rec *r, const struct hdb_fmtopts *o)
{
	const char *problem;
	int bad = 0;

	put_key(fp, key, klen);
	fprintf(fp, "\n  layout: %s", hdb_layout_name(r->layout));
	if (r->layout == HDB_L_V2)
		fprintf(fp, " (tainted: %s)", r->tainted ? "yes" : "no");
	fputc('\n', fp);
	put_time(fp, "time", r->time_stamp, o);
	switch (r->type) {
	case HDB_T_RETRY:
		text_retry(fp, &r->u.retry, o);
		break;
	case HDB_T_WAIT:
		text_wait(fp, &r->u.wait);
		break;
	case HDB_T_MISC:
		text_misc(fp, r);
		break;
	case HDB_T_CALLOUT:
		text_callout(fp, r, o);
		break;
	case HDB_T_RATELIMIT:
		text_ratelimit(fp, r, o);
		break;
	case HDB_T_TLS:
		bad = hdb_tlsrec_text(fp, r, o) == -1;
		break;
	default:
		break;
	}
	/* wait records name their bad ID themselves */
	if ((problem = hdb_rec_check(r)) != NULL) {
		bad = 1;
		if (r->type != HDB_T_WAIT || r->u.wait.bad_id < 0)
			fprintf(fp, "  problem: %s\n", problem);
	}
	fputc('\n', fp);
	return bad;
}

void
hdb_rec_print_text_error(FILE *fp, const uint8_t *key, size_t klen,
    const uint8_t *val, size_t vlen, const char *why,
    const struct hdb_fmtopts *o)
{
	put_key(fp, key, klen);
	fprintf(fp, "\n  error: %s\n  length: %zu\n\n", why, vlen);
}

/*
 * JSON goes through a small emitter, so that one description of each
 * record serves both hdb_rec_json (a jansson object, for callers that want
 * one) and hdb_rec_json_print (the compact text straight into a buffer:
 * building and dumping a jansson object per record costs ten times the
 * read).  The text is byte for byte what json_dumpf(obj, JSON_COMPACT)
 * prints; tests/unit/test_recfmt_json.c holds the two to that.  A string
 * jansson would refuse (not UTF-8) is left out in both, as
 * json_object_set_new leaves out a NULL value.
 */

/* Short names for the JSON writer (jout.h), as the formatters below use
 * them. */
#define jo_int		hdb_jo_int
#define jo_bool		hdb_jo_bool
#define jo_real		hdb_jo_real
#define jo_cstr		hdb_jo_cstr
#define jo_str		hdb_jo_str
#define jo_b64		hdb_jo_b64
#define utf8_ok		hdb_utf8_ok

/*
 * jo_key - "key": the key text if it is UTF-8 with no NUL and ends in
 * Exim's NUL; otherwise also "key_b64" with the exact bytes, and "key"
 * escaped unless it is UTF-8 with no NUL.
 */
static void
jo_key(struct jout *j, const uint8_t *key, size_t klen)
{
	size_t kl = hdb_key_text_len(key, klen);
	int text = memchr(key, '\0', kl) == NULL && utf8_ok(key, kl);
	char *e;

	if (text)
		hdb_jo_strn(j, "key", (const char *)key, kl);
	else {
		e = hdb_vis_dupx(key, kl, 0);
		jo_cstr(j, "key", e);
		free(e);
	}
	/* Not UTF-8, holds a NUL, or lacks Exim's trailing NUL: keep the
	 * exact bytes too. */
	if (!text || kl != klen - 1)
		jo_b64(j, "key_b64", key, klen);
}

void
hdb_json_set_key(json_t *obj, const uint8_t *key, size_t klen)
{
	struct jout j = { obj, NULL, 0 };

	jo_key(&j, key, klen);
}

static void
json_retry(struct jout *j, const struct hdb_retry *r)
{
	hdb_jo_time(j, "first_failed", r->first_failed);
	hdb_jo_time(j, "last_try", r->last_try);
	hdb_jo_time(j, "next_try", r->next_try);
	jo_bool(j, "expired", r->expired != 0);
	jo_int(j, "basic_errno", r->basic_errno);
	jo_cstr(j, "errno_name", hdb_errno_name(r->basic_errno));
	jo_int(j, "more_errno", r->more_errno);
	if (smtp_code(r) != 0)
		jo_int(j, "smtp_code", smtp_code(r));
	if (found_via(r) != NULL)
		jo_cstr(j, "found_via", found_via(r));
	jo_str(j, "text", r->text, r->text_len);
}

/* One message ID: as it is if it is one, else escaped. */
static int
id_plain(const uint8_t *id, size_t len)
{
	return utf8_ok(id, len) && hdb_msgid_valid(id, len);
}

static void
json_wait(struct jout *j, const struct hdb_wait *w)
{
	struct jout ids;
	int32_t i;
	char *e;

	jo_int(j, "count", w->count);
	jo_int(j, "sequence", w->sequence);
	jo_int(j, "id_length", (int64_t)w->id_len);
	hdb_jo_open(j, "ids", 1, &ids);
	for (i = 0; i < w->count; i++) {
		const uint8_t *id = w->ids + (size_t)i * w->id_len;

		if (id_plain(id, w->id_len)) {
			hdb_jo_strn(&ids, NULL, (const char *)id, w->id_len);
			continue;
		}
		e = hdb_vis_dupx(id, w->id_len, 0);
		jo_cstr(&ids, NULL, e);
		free(e);
	}
	hdb_jo_close(j, "ids", 1, &ids);
	if (w->bad_id >= 0)
		jo_int(j, "bad_id_index", w->bad_id);
}

/*
 * tls_like - the bytes could be a TLS session: a tls record read as misc
 * (payload after its flags byte) or a bare session.  Only a sniff of the
 * first bytes, so it errs towards hiding.
 */
static int
tls_like(const uint8_t *p, size_t len)
{
	enum hdb_tls_lib a = len > 1 ? hdb_tls_sniff(p + 1, len - 1) :
	    HDB_TLS_LIB_UNKNOWN, b = hdb_tls_sniff(p, len);

	return a == HDB_TLS_LIB_OPENSSL || a == HDB_TLS_LIB_GNUTLS ||
	    b == HDB_TLS_LIB_OPENSSL || b == HDB_TLS_LIB_GNUTLS;
}

/* The names of the EHLO feature bits set in bits, beside the mask; a bit
 * with no name as its hex value. */
static void
jo_features(struct jout *j, const char *name, unsigned bits)
{
	struct jout sub;
	char hex[16];
	size_t i, n = sizeof(ehlo_bits) / sizeof(ehlo_bits[0]);

	hdb_jo_open(j, name, 1, &sub);
	for (i = 0; i < n; i++)
		if (bits & (1u << i))
			jo_cstr(&sub, NULL, ehlo_bits[i]);
	if (bits >> n) {
		snprintf(hex, sizeof(hex), "0x%x", bits & ~((1u << n) - 1));
		jo_cstr(&sub, NULL, hex);
	}
	hdb_jo_close(j, name, 1, &sub);
}

static void
json_misc(struct jout *j, const struct hdb_rec *r, int show_secrets)
{
	const struct hdb_misc *m = &r->u.misc;

	switch (r->kind) {
	case HDB_K_MISC_SERIALIZE:
		jo_cstr(j, "kind", "serialize");
		jo_int(j, "count", m->count);
		break;
	case HDB_K_MISC_EHLO:
	case HDB_K_MISC_EHLO_LIMITS:
		jo_cstr(j, "kind", "ehlo");
		jo_int(j, "cleartext_features", m->clr_features);
		jo_features(j, "cleartext_feature_names", m->clr_features);
		jo_int(j, "crypted_features", m->cry_features);
		jo_features(j, "crypted_feature_names", m->cry_features);
		jo_int(j, "cleartext_auths", m->clr_auths);
		jo_int(j, "crypted_auths", m->cry_auths);
		if (r->kind == HDB_K_MISC_EHLO_LIMITS) {
			jo_int(j, "limit_mail", m->limit_mail);
			jo_int(j, "limit_rcpt", m->limit_rcpt);
			jo_int(j, "limit_rcptdom", m->limit_rcptdom);
		}
		break;
	default:
		jo_cstr(j, "kind", "other");
		/* a session's secrets, whatever the DB's name says */
		if (!show_secrets && tls_like(m->raw, m->raw_len)) {
			jo_int(j, "data_length", (int64_t)m->raw_len);
			jo_cstr(j, "data_hidden", "may hold a TLS session; "
			    "--show-secrets shows it");
		} else
			jo_b64(j, "data_b64", m->raw, m->raw_len);
		break;
	}
}

static void
json_callout(struct jout *j, const struct hdb_rec *r)
{
	const struct hdb_callout *c = &r->u.callout;

	jo_cstr(j, "kind", r->kind == HDB_K_CALLOUT_ADDRESS ? "address" :
	    r->kind == HDB_K_CALLOUT_DOMAIN ? "domain" : "obsolete");
	jo_cstr(j, "result", hdb_callout_result_name(c->result));
	if (r->kind == HDB_K_CALLOUT_ADDRESS)
		return;
	jo_cstr(j, "postmaster_result",
	    hdb_callout_result_name(c->postmaster_result));
	jo_cstr(j, "random_result", hdb_callout_result_name(c->random_result));
	hdb_jo_time(j, "postmaster_stamp", c->postmaster_stamp);
	hdb_jo_time(j, "random_stamp", c->random_stamp);
}

static void
json_ratelimit(struct jout *j, const struct hdb_rec *r)
{
	const struct hdb_ratelimit *rl = &r->u.ratelimit;

	jo_cstr(j, "kind", r->kind == HDB_K_RATELIMIT_UNIQUE ? "unique" :
	    "plain");
	jo_int(j, "time_usec", rl->time_usec);
	jo_real(j, "rate", rl->rate);
	if (r->kind != HDB_K_RATELIMIT_UNIQUE)
		return;
	hdb_jo_time(j, "bloom_epoch", rl->bloom_epoch);
	jo_int(j, "bloom_size", rl->bloom_size);
	jo_b64(j, "bloom_b64", rl->bloom, rl->bloom_size);
}

static void
json_head(struct jout *j, const uint8_t *key, size_t klen,
    const struct hdb_fmtopts *o)
{
	jo_cstr(j, "db", o->db ? o->db : "");
	jo_key(j, key, klen);
}

/* The members of a record's object; 1 if one of them is "problem". */
static int
json_rec(struct jout *j, const uint8_t *key, size_t klen,
    const struct hdb_rec *r, const struct hdb_fmtopts *o)
{
	struct hdb_dest d;
	const char *problem;
	int bad = 0, tlsbad = 0;

	json_head(j, key, klen, o);
	jo_cstr(j, "type", hdb_dbtype_name(r->type));
	jo_cstr(j, "layout", hdb_layout_name(r->layout));
	if (r->layout == HDB_L_V2)
		jo_bool(j, "tainted", r->tainted != 0);
	hdb_jo_time(j, "time_stamp", r->time_stamp);
	if (!o->no_age)
		jo_int(j, "age_s", hdb_time_diff(o->now, r->time_stamp));
	switch (r->type) {
	case HDB_T_RETRY:
		json_retry(j, &r->u.retry);
		break;
	case HDB_T_WAIT:
		json_wait(j, &r->u.wait);
		break;
	case HDB_T_MISC:
		json_misc(j, r, o->show_secrets);
		break;
	case HDB_T_CALLOUT:
		json_callout(j, r);
		break;
	case HDB_T_RATELIMIT:
		json_ratelimit(j, r);
		break;
	case HDB_T_TLS:
		jo_int(j, "flags", r->u.tls.flags);
		tlsbad = hdb_tlsrec_json(j, r, o) == -1;
		break;
	default:
		break;
	}
	/* what the key names, after the fields there were before */
	hdb_dest_parse(r->type, o->db, key, klen, &d);
	hdb_dest_json(j, &d);
	/* One "problem": the record's own wins, in the place of the tls one
	 * (as a second json_object_set_new of it would leave it). */
	if ((problem = hdb_rec_check(r)) == NULL && tlsbad)
		problem = "tls session could not be decoded";
	if (problem != NULL) {
		jo_cstr(j, "problem", problem);
		bad = 1;
	}
	return bad;
}

json_t *
hdb_rec_json(const uint8_t *key, size_t klen, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	struct jout j = { json_object(), NULL, 0 };

	json_rec(&j, key, klen, r, o);
	return j.obj;
}

int
hdb_rec_json_print(FILE *fp, const uint8_t *key, size_t klen,
    const struct hdb_rec *r, const struct hdb_fmtopts *o)
{
	struct obuf b;
	struct jout j = { NULL, &b, 0 };
	int bad;

	ob_init(&b);
	ob_add(&b, "{", 1);
	bad = json_rec(&j, key, klen, r, o);
	ob_add(&b, "}\n", 2);
	ob_flush(&b, fp);
	return bad;
}

int
hdb_rec_export_print(FILE *fp, const uint8_t *key, size_t klen,
    const struct hdb_rec *r, const char *why, const uint8_t *val,
    size_t vlen, const struct hdb_fmtopts *o)
{
	struct obuf b;
	struct jout j = { NULL, &b, 0 };
	int bad = 0;

	ob_init(&b);
	ob_add(&b, "{", 1);
	if (r != NULL)
		bad = json_rec(&j, key, klen, r, o);
	else {
		json_head(&j, key, klen, o);
		jo_cstr(&j, "error", why);
	}
	jo_b64(&j, "raw", val, vlen);
	ob_add(&b, "}\n", 2);
	ob_flush(&b, fp);
	return bad;
}

json_t *
hdb_rec_json_error(const uint8_t *key, size_t klen, const char *why,
    const struct hdb_fmtopts *o)
{
	struct jout j = { json_object(), NULL, 0 };

	json_head(&j, key, klen, o);
	jo_cstr(&j, "error", why);
	return j.obj;
}

/* exim_dumpdb's callout result words, except reject_mfnull (deviation). */
static const char *
exim_cc(int r)
{
	return r == HDB_CC_ACCEPT ? "accept" : r == HDB_CC_REJECT ? "reject" :
	    r == HDB_CC_REJECT_MFNULL ? "reject_mfnull" : "unknown";
}

/* 1 if id[0..n) holds only the characters exim_dumpdb allows in an ID. */
static int
exim_id_chars(const uint8_t *id, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (!((id[j] >= '0' && id[j] <= '9') ||
		    (id[j] >= 'A' && id[j] <= 'Z') ||
		    (id[j] >= 'a' && id[j] <= 'z') || id[j] == '-'))
			return 0;
	return 1;
}

/*
 * exim_wait - the IDs at the stride of the Exim imitated: a forced 4.96
 * reads 16 bytes an ID and 4.98 or 4.100 23 (so IDs of the other length
 * come out cut or corrupt, as they do there); otherwise the record's own.
 * Bytes past the record read as NUL (Exim reads whatever memory follows).
 */
static int
exim_wait(FILE *out, FILE *err, const char *k, const struct hdb_wait *w,
    int ver)
{
	int32_t i, n = w->count;
	size_t stride = w->id_len, avail, j;
	uint8_t id[HDB_MSGID_NEW];
	int bad = 0;

	if (ver == HDB_EXIM_496)
		stride = HDB_MSGID_OLD;
	else if (ver != HDB_EXIM_AUTO)
		stride = HDB_MSGID_NEW;
	/* the IDs and the 8 unspecified bytes that end the record */
	avail = (size_t)(n > 0 ? n : 0) * w->id_len + 8;
	fprintf(out, "%s ", k);
	if (n > HDB_WAIT_NAME_MAX) {
		fprintf(err, "**** Data for %s corrupted\n  count=%d=0x%x "
		    "max=%d\n", k, n, n, HDB_WAIT_NAME_MAX);
		n = HDB_WAIT_NAME_MAX;
		bad = 1;
	}
	for (i = 0; i < n && stride > 0; i++) {
		size_t at = (size_t)i * stride;

		memset(id, 0, sizeof(id));
		if (at < avail)
			memcpy(id, w->ids + at, avail - at < stride ?
			    avail - at : stride);
		if (bad && id[0] == '\0')
			break;
		if (!exim_id_chars(id, stride)) {
			fprintf(err, "**** Data for %s corrupted: bad character "
			    "in message id\n", k);
			for (j = 0; j < stride; j++)
				fprintf(err, "%02x ", id[j]);
			fputc('\n', err);
			bad = 1;
			break;
		}
		fwrite(id, 1, stride, out);
		fputc(' ', out);
	}
	fputc('\n', out);
	return bad;
}

/*
 * ob_q - s as Exim's %q prints it (4.100.1's exim_dumpdb, checked on its
 * output): in double quotes, up to n bytes or the first NUL, with \" for a
 * quote, \n \r \t \b \v \f for those controls, \ooo for any other byte
 * outside 0x20-0x7e; a backslash is not escaped.
 */
static void
ob_q(struct obuf *b, const uint8_t *s, size_t n)
{
	char esc[5];
	size_t i;

	ob_add(b, "\"", 1);
	for (i = 0; i < n && s[i] != '\0'; i++) {
		switch (s[i]) {
		case '"':
			ob_add(b, "\\\"", 2);
			continue;
		case '\n':
			ob_add(b, "\\n", 2);
			continue;
		case '\r':
			ob_add(b, "\\r", 2);
			continue;
		case '\t':
			ob_add(b, "\\t", 2);
			continue;
		case '\b':
			ob_add(b, "\\b", 2);
			continue;
		case '\v':
			ob_add(b, "\\v", 2);
			continue;
		case '\f':
			ob_add(b, "\\f", 2);
			continue;
		default:
			break;
		}
		if (s[i] >= 0x20 && s[i] < 0x7f)
			ob_add(b, &s[i], 1);
		else {
			snprintf(esc, sizeof(esc), "\\%03o", s[i]);
			ob_add(b, esc, 4);
		}
	}
	ob_add(b, "\"", 1);
}

/*
 * exim_misc2 - the line 4.100.1's exim_dumpdb adds after each misc
 * record's: serialisation count, EHLO capability masks and limits, or the
 * start of the data.  k is the escaped key.
 */
static void
exim_misc2(FILE *out, const char *k, const struct hdb_rec *r)
{
	const struct hdb_misc *m = &r->u.misc;
	struct obuf b;
	char num[64];

	ob_init(&b);
	switch (r->kind) {
	case HDB_K_MISC_SERIALIZE:
		ob_str(&b, "serialize ");
		ob_add(&b, k, strcspn(k, "-"));
		ob_str(&b, ": ");
		ob_int(&b, m->count);
		ob_str(&b, " running\n");
		break;
	case HDB_K_MISC_EHLO:
	case HDB_K_MISC_EHLO_LIMITS:
		ob_str(&b, "helo/ehlo ");
		ob_add(&b, k, strlen(k) - 5);	/* less ".EHLO" */
		snprintf(num, sizeof(num), " clr %04x/%04x cry %04x/%04x",
		    m->clr_features, m->clr_auths, m->cry_features,
		    m->cry_auths);
		ob_str(&b, num);
		/* Debian's build has the limits and prints them for a
		 * short record too (from memory past it: zero here) */
		snprintf(num, sizeof(num), " lim %05d/%05d/%05d\n",
		    (int)m->limit_mail, (int)m->limit_rcpt,
		    (int)m->limit_rcptdom);
		ob_str(&b, num);
		break;
	default:
		ob_q(&b, m->raw, m->raw_len < 16 ? m->raw_len : 16);
		ob_str(&b, "\n\n");
		break;
	}
	ob_flush(&b, out);
}

static void
exim_callout(FILE *out, const char *k, const struct hdb_rec *r,
    const char *ts, const struct hdb_fmtopts *o)
{
	const struct hdb_callout *c = &r->u.callout;
	struct obuf b;

	ob_init(&b);
	ob_str(&b, ts);
	ob_add(&b, " ", 1);
	ob_str(&b, k);
	ob_str(&b, " callout=");
	ob_str(&b, exim_cc(c->result));
	/* Obsolete records print as domain records (deviation). */
	if (r->kind != HDB_K_CALLOUT_ADDRESS) {
		ob_str(&b, " postmaster=");
		ob_str(&b, exim_cc(c->postmaster_result));
		if (c->postmaster_result != 0) {
			ob_add(&b, " (", 2);
			ob_time(&b, c->postmaster_stamp, o->utc);
			ob_add(&b, ")", 1);
		}
		ob_str(&b, " random=");
		ob_str(&b, exim_cc(c->random_result));
		if (c->random_result != 0) {
			ob_add(&b, " (", 2);
			ob_time(&b, c->random_stamp, o->utc);
			ob_add(&b, ")", 1);
		}
	}
	ob_add(&b, "\n", 1);
	ob_flush(&b, out);
}

/* Two lines: key, errnos and text; the three times and the expired mark. */
static void
exim_retry(FILE *out, const char *k, const struct hdb_retry *t,
    const struct hdb_fmtopts *o)
{
	struct obuf b;

	ob_init(&b);
	ob_add(&b, "  ", 2);
	ob_str(&b, k);
	ob_add(&b, " ", 1);
	ob_int(&b, t->basic_errno);
	ob_add(&b, " ", 1);
	ob_int(&b, t->more_errno);
	ob_add(&b, " ", 1);
	ob_vis(&b, t->text, t->text_len);
	ob_add(&b, "\n", 1);
	ob_time(&b, t->first_failed, o->utc);
	ob_add(&b, "  ", 2);
	ob_time(&b, t->last_try, o->utc);
	ob_add(&b, "  ", 2);
	ob_time(&b, t->next_try, o->utc);
	ob_str(&b, t->expired ? " *\n" : " \n");
	ob_flush(&b, out);
}

static void
exim_ratelimit(FILE *out, const char *k, const struct hdb_rec *r,
    const char *ts, const struct hdb_fmtopts *o)
{
	const struct hdb_ratelimit *rl = &r->u.ratelimit;
	char t2[HDB_TIMEBUF];

	fprintf(out, "%s.%06d rate: %10.3f ", ts, rl->time_usec, rl->rate);
	/* Exim shows time_stamp as the epoch here; we show the epoch
	 * (deviation). */
	if (r->kind == HDB_K_RATELIMIT_UNIQUE)
		fprintf(out, "epoch: %s size: %u ", hdb_fmt_exim(t2,
		    sizeof(t2), rl->bloom_epoch, o->utc), rl->bloom_size);
	fprintf(out, "key: %s\n", k);
}

int
hdb_rec_print_exim(FILE *out, FILE *err, const uint8_t *key, size_t klen,
    const struct hdb_rec *r, const struct hdb_fmtopts *o)
{
	char small[512], *k = small, ts[HDB_TIMEBUF], sum[1024];
	size_t kl = hdb_key_text_len(key, klen);
	int ret = 0;

	/* Keys are escaped (deviation: Exim prints raw bytes). */
	if (HDB_VIS_SIZE(kl) > sizeof(small))
		k = xmalloc(HDB_VIS_SIZE(kl));
	hdb_vis(k, HDB_VIS_SIZE(kl), key, kl);
	/* Retry, wait and tls lines do not show the time stamp. */
	if (r->type != HDB_T_RETRY && r->type != HDB_T_WAIT &&
	    r->type != HDB_T_TLS)
		hdb_fmt_exim(ts, sizeof(ts), r->time_stamp, o->utc);
	switch (r->type) {
	case HDB_T_RETRY:
		exim_retry(out, k, &r->u.retry, o);
		break;
	case HDB_T_WAIT:
		ret = exim_wait(out, err, k, &r->u.wait, o->exim_version);
		break;
	case HDB_T_MISC:
		fprintf(out, "%s %s\n", ts, k);
		if (o->exim_version == HDB_EXIM_4100 ||
		    (o->exim_version == HDB_EXIM_AUTO &&
		    r->layout == HDB_L_V2))
			exim_misc2(out, k, r);
		break;
	case HDB_T_CALLOUT:
		exim_callout(out, k, r, ts, o);
		break;
	case HDB_T_RATELIMIT:
		exim_ratelimit(out, k, r, ts, o);
		break;
	case HDB_T_SEEN:
		fprintf(out, "%s\t%s\n", k, ts);
		break;
	case HDB_T_TLS:
		/* A decoded summary, not raw bytes (deviation). */
		hdb_tlsrec_summary(sum, sizeof(sum), r, o);
		fprintf(out, "  %s %s\n", k, sum);
		break;
	default:
		break;
	}
	if (k != small)
		free(k);
	return ret;
}
