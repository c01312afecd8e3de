/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * recfmt.c - records as text, JSON and exim_dumpdb lines (formats doc
 * §4.2).  The exim format keeps Exim 4.96's shapes byte for byte, except
 * where Exim prints wrong or unsafe data; those places are marked
 * "deviation" here and listed in hintsdb-dump(8).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eximerr.h"
#include "out.h"
#include "recfmt.h"
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

static void
put_key(FILE *fp, const uint8_t *key, size_t klen)
{
	hdb_out_vis(fp, key, hdb_key_text_len(key, klen));
}


/* "  name: <iso> (<age> ago)" or "(in <age>)". */
static void
put_time(FILE *fp, const char *name, int64_t t, const struct hdb_fmtopts *o)
{
	char ts[HDB_TIMEBUF], age[HDB_TIMEBUF];
	int64_t d = hdb_time_diff(o->now, t);

	hdb_fmt_iso(ts, sizeof(ts), t, o->utc);
	if (d >= 0)
		fprintf(fp, "  %s: %s (%s ago)\n", name, ts,
		    hdb_fmt_age(age, sizeof(age), d));
	else
		fprintf(fp, "  %s: %s (in %s)\n", name, ts,
		    hdb_fmt_age(age, sizeof(age), -d));
}

static void
text_retry(FILE *fp, const struct hdb_retry *r, const struct hdb_fmtopts *o)
{
	int lo = r->more_errno & 0xff;

	put_time(fp, "first_failed", r->first_failed, o);
	put_time(fp, "last_try", r->last_try, o);
	put_time(fp, "next_try", r->next_try, o);
	fprintf(fp, "  expired: %s\n", r->expired ? "yes" : "no");
	fprintf(fp, "  errno: %s (%d)\n", hdb_errno_name(r->basic_errno),
	    r->basic_errno);
	fprintf(fp, "  more_errno: %d", r->more_errno);
	if (lo == 'A' || lo == 'M')
		fprintf(fp, " (host found via %s)", lo == 'A' ? "A" : "MX");
	fputs("\n  text: ", fp);
	hdb_out_vis(fp, r->text, r->text_len);
	fputc('\n', fp);
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

void
hdb_json_set_key(json_t *obj, const uint8_t *key, size_t klen)
{
	size_t kl = hdb_key_text_len(key, klen);
	json_t *s = NULL;
	char *b64;

	if (memchr(key, '\0', kl) == NULL)
		s = json_stringn((const char *)key, kl);
	if (s != NULL && kl == klen - 1) {
		json_object_set_new(obj, "key", s);
		return;
	}
	/* Not UTF-8, holds a NUL, or lacks Exim's trailing NUL: keep the
	 * exact bytes too. */
	if (s == NULL) {
		char *v = hdb_vis_dup(key, kl);

		s = json_string(v);
		free(v);
	}
	json_object_set_new(obj, "key", s);
	b64 = hdb_base64(key, klen);
	json_object_set_new(obj, "key_b64", json_string(b64));
	free(b64);
}

static void
set_str(json_t *o, const char *name, const uint8_t *s, size_t len)
{
	json_t *v = json_stringn((const char *)s, len);

	if (v == NULL) {
		char *e = hdb_vis_dup(s, len);

		v = json_string(e);
		free(e);
	}
	json_object_set_new(o, name, v);
}

static void
set_int(json_t *o, const char *name, int64_t v)
{
	json_object_set_new(o, name, json_integer((json_int_t)v));
}

static void
set_b64(json_t *o, const char *name, const uint8_t *p, size_t len)
{
	char *b = hdb_base64(p, len);

	json_object_set_new(o, name, json_string(b));
	free(b);
}

static void
json_retry(json_t *o, const struct hdb_retry *r)
{
	set_int(o, "first_failed", r->first_failed);
	set_int(o, "last_try", r->last_try);
	set_int(o, "next_try", r->next_try);
	json_object_set_new(o, "expired", json_boolean(r->expired));
	set_int(o, "basic_errno", r->basic_errno);
	json_object_set_new(o, "errno_name",
	    json_string(hdb_errno_name(r->basic_errno)));
	set_int(o, "more_errno", r->more_errno);
	set_str(o, "text", r->text, r->text_len);
}

static void
json_wait(json_t *o, const struct hdb_wait *w)
{
	json_t *ids = json_array();
	int32_t i;

	set_int(o, "count", w->count);
	set_int(o, "sequence", w->sequence);
	set_int(o, "id_length", (int64_t)w->id_len);
	for (i = 0; i < w->count; i++) {
		const uint8_t *id = w->ids + (size_t)i * w->id_len;
		json_t *s = json_stringn((const char *)id, w->id_len);

		if (s == NULL || !hdb_msgid_valid(id, w->id_len)) {
			char *e = hdb_vis_dup(id, w->id_len);

			json_decref(s);
			s = json_string(e);
			free(e);
		}
		json_array_append_new(ids, s);
	}
	json_object_set_new(o, "ids", ids);
	if (w->bad_id >= 0)
		set_int(o, "bad_id_index", w->bad_id);
}

static void
json_misc(json_t *o, const struct hdb_rec *r)
{
	const struct hdb_misc *m = &r->u.misc;

	switch (r->kind) {
	case HDB_K_MISC_SERIALIZE:
		json_object_set_new(o, "kind", json_string("serialize"));
		set_int(o, "count", m->count);
		break;
	case HDB_K_MISC_EHLO:
	case HDB_K_MISC_EHLO_LIMITS:
		json_object_set_new(o, "kind", json_string("ehlo"));
		set_int(o, "cleartext_features", m->clr_features);
		set_int(o, "crypted_features", m->cry_features);
		set_int(o, "cleartext_auths", m->clr_auths);
		set_int(o, "crypted_auths", m->cry_auths);
		if (r->kind == HDB_K_MISC_EHLO_LIMITS) {
			set_int(o, "limit_mail", m->limit_mail);
			set_int(o, "limit_rcpt", m->limit_rcpt);
			set_int(o, "limit_rcptdom", m->limit_rcptdom);
		}
		break;
	default:
		json_object_set_new(o, "kind", json_string("other"));
		set_b64(o, "data_b64", m->raw, m->raw_len);
		break;
	}
}

static void
json_callout(json_t *o, const struct hdb_rec *r)
{
	const struct hdb_callout *c = &r->u.callout;

	json_object_set_new(o, "kind", json_string(
	    r->kind == HDB_K_CALLOUT_ADDRESS ? "address" :
	    r->kind == HDB_K_CALLOUT_DOMAIN ? "domain" : "obsolete"));
	json_object_set_new(o, "result",
	    json_string(hdb_callout_result_name(c->result)));
	if (r->kind == HDB_K_CALLOUT_ADDRESS)
		return;
	json_object_set_new(o, "postmaster_result",
	    json_string(hdb_callout_result_name(c->postmaster_result)));
	json_object_set_new(o, "random_result",
	    json_string(hdb_callout_result_name(c->random_result)));
	set_int(o, "postmaster_stamp", c->postmaster_stamp);
	set_int(o, "random_stamp", c->random_stamp);
}

static void
json_ratelimit(json_t *o, const struct hdb_rec *r)
{
	const struct hdb_ratelimit *rl = &r->u.ratelimit;

	json_object_set_new(o, "kind", json_string(
	    r->kind == HDB_K_RATELIMIT_UNIQUE ? "unique" : "plain"));
	set_int(o, "time_usec", rl->time_usec);
	json_object_set_new(o, "rate", json_real(rl->rate));
	if (r->kind != HDB_K_RATELIMIT_UNIQUE)
		return;
	set_int(o, "bloom_epoch", rl->bloom_epoch);
	set_int(o, "bloom_size", rl->bloom_size);
	set_b64(o, "bloom_b64", rl->bloom, rl->bloom_size);
}

static json_t *
json_head(const uint8_t *key, size_t klen, const struct hdb_fmtopts *o)
{
	json_t *obj = json_object();

	json_object_set_new(obj, "db", json_string(o->db ? o->db : ""));
	hdb_json_set_key(obj, key, klen);
	return obj;
}

json_t *
hdb_rec_json(const uint8_t *key, size_t klen, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	json_t *obj = json_head(key, klen, o);
	const char *problem;

	json_object_set_new(obj, "type", json_string(hdb_dbtype_name(r->type)));
	json_object_set_new(obj, "layout",
	    json_string(hdb_layout_name(r->layout)));
	if (r->layout == HDB_L_V2)
		json_object_set_new(obj, "tainted", json_boolean(r->tainted));
	set_int(obj, "time_stamp", r->time_stamp);
	set_int(obj, "age_s", hdb_time_diff(o->now, r->time_stamp));
	switch (r->type) {
	case HDB_T_RETRY:
		json_retry(obj, &r->u.retry);
		break;
	case HDB_T_WAIT:
		json_wait(obj, &r->u.wait);
		break;
	case HDB_T_MISC:
		json_misc(obj, r);
		break;
	case HDB_T_CALLOUT:
		json_callout(obj, r);
		break;
	case HDB_T_RATELIMIT:
		json_ratelimit(obj, r);
		break;
	case HDB_T_TLS:
		set_int(obj, "flags", r->u.tls.flags);
		if (hdb_tlsrec_json(obj, r, o) == -1)
			json_object_set_new(obj, "problem",
			    json_string("tls session could not be decoded"));
		break;
	default:
		break;
	}
	if ((problem = hdb_rec_check(r)) != NULL)
		json_object_set_new(obj, "problem", json_string(problem));
	return obj;
}

json_t *
hdb_rec_json_error(const uint8_t *key, size_t klen, const char *why,
    const struct hdb_fmtopts *o)
{
	json_t *obj = json_head(key, klen, o);

	json_object_set_new(obj, "error", json_string(why));
	return obj;
}

/* exim_dumpdb's callout result words, except reject_mfnull (deviation). */
static const char *
exim_cc(int r)
{
	return r == HDB_CC_ACCEPT ? "accept" : r == HDB_CC_REJECT ? "reject" :
	    r == HDB_CC_REJECT_MFNULL ? "reject_mfnull" : "unknown";
}

static int
exim_wait(FILE *out, FILE *err, const char *k, const struct hdb_wait *w)
{
	int32_t i, n = w->count;
	int bad = 0;

	fprintf(out, "%s ", k);
	if (n > HDB_WAIT_NAME_MAX) {
		fprintf(err, "**** Data for %s corrupted\n  count=%d=0x%x "
		    "max=%d\n", k, n, n, HDB_WAIT_NAME_MAX);
		n = HDB_WAIT_NAME_MAX;
		bad = 1;
	}
	for (i = 0; i < n; i++) {
		const uint8_t *id = w->ids + (size_t)i * w->id_len;
		size_t j;

		if (bad && id[0] == '\0')
			break;
		if (!hdb_msgid_valid(id, w->id_len)) {
			fprintf(err, "**** Data for %s corrupted: bad character "
			    "in message id\n", k);
			for (j = 0; j < w->id_len; j++)
				fprintf(err, "%02x ", id[j]);
			fputc('\n', err);
			bad = 1;
			break;
		}
		fwrite(id, 1, w->id_len, out);
		fputc(' ', out);
	}
	fputc('\n', out);
	return bad;
}

static void
exim_callout(FILE *out, const char *k, const struct hdb_rec *r,
    const char *ts, const struct hdb_fmtopts *o)
{
	const struct hdb_callout *c = &r->u.callout;
	char t2[HDB_TIMEBUF];

	fprintf(out, "%s %s callout=%s", ts, k, exim_cc(c->result));
	/* Obsolete records print as domain records (deviation). */
	if (r->kind != HDB_K_CALLOUT_ADDRESS) {
		fprintf(out, " postmaster=%s", exim_cc(c->postmaster_result));
		if (c->postmaster_result != 0)
			fprintf(out, " (%s)", hdb_fmt_exim(t2, sizeof(t2),
			    c->postmaster_stamp, o->utc));
		fprintf(out, " random=%s", exim_cc(c->random_result));
		if (c->random_result != 0)
			fprintf(out, " (%s)", hdb_fmt_exim(t2, sizeof(t2),
			    c->random_stamp, o->utc));
	}
	fputc('\n', out);
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
	char small[512], *k = small, ts[HDB_TIMEBUF], t2[HDB_TIMEBUF];
	char t3[HDB_TIMEBUF], sum[1024];
	size_t kl = hdb_key_text_len(key, klen);
	int ret = 0;

	/* Keys are escaped (deviation: Exim prints raw bytes). */
	if (HDB_VIS_SIZE(kl) > sizeof(small))
		k = xmalloc(HDB_VIS_SIZE(kl));
	hdb_vis(k, HDB_VIS_SIZE(kl), key, kl);
	hdb_fmt_exim(ts, sizeof(ts), r->time_stamp, o->utc);
	switch (r->type) {
	case HDB_T_RETRY:
		fprintf(out, "  %s %d %d ", k, r->u.retry.basic_errno,
		    r->u.retry.more_errno);
		hdb_out_vis(out, r->u.retry.text, r->u.retry.text_len);
		fprintf(out, "\n%s  %s  %s %s\n",
		    hdb_fmt_exim(ts, sizeof(ts), r->u.retry.first_failed,
		    o->utc), hdb_fmt_exim(t2, sizeof(t2), r->u.retry.last_try,
		    o->utc), hdb_fmt_exim(t3, sizeof(t3), r->u.retry.next_try,
		    o->utc), r->u.retry.expired ? "*" : "");
		break;
	case HDB_T_WAIT:
		ret = exim_wait(out, err, k, &r->u.wait);
		break;
	case HDB_T_MISC:
		fprintf(out, "%s %s\n", ts, k);
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
