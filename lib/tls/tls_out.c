/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_out.c - the formatters: a decoded TLS session as text, JSON and a
 * one-line summary.  They read the model (tls.h, tls_model.c) and print
 * through the shared helpers (out.h, jout.h); no decoder calls them.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "jout.h"
#include "out.h"
#include "tls/tls.h"
#include "tls/tls_out.h"
#include "xmalloc.h"

/* ---- text ---- */

struct tout {
	FILE		*fp;
	const char	*indent;
	int64_t		 now;
	int		 utc;
};

static void
tline(const struct tout *o, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tline(const struct tout *o, const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(o->fp, "%s%s: ", o->indent, name);
	va_start(ap, fmt);
	vfprintf(o->fp, fmt, ap);
	va_end(ap);
	fputc('\n', o->fp);
}

static void
tstr(const struct tout *o, const char *name, const struct hdb_tls_str *s)
{
	if (s->p == NULL)
		return;
	fprintf(o->fp, "%s%s: ", o->indent, name);
	hdb_out_vis(o->fp, s->p, s->len);
	fputc('\n', o->fp);
}

static void
thex(const struct tout *o, const char *name, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(o->fp, "%s%s: ", o->indent, name);
	for (i = 0; i < n; i++)
		fprintf(o->fp, "%02x", p[i]);
	fputc('\n', o->fp);
}

/* "ISO (3h ago)", "ISO (now)" or "ISO (in 1h59m)" into buf. */
static char *
when(char *buf, size_t len, int64_t t, int64_t now, int utc)
{
	char ts[HDB_TIMEBUF], age[HDB_TIMEBUF];
	int64_t d = hdb_time_diff(now, t);

	hdb_fmt_iso(ts, sizeof(ts), t, utc);
	if (d == 0)
		snprintf(buf, len, "%s (now)", ts);
	else if (d > 0)
		snprintf(buf, len, "%s (%s ago)", ts,
		    hdb_fmt_age(age, sizeof(age), d));
	else
		snprintf(buf, len, "%s (in %s)", ts,
		    hdb_fmt_age(age, sizeof(age), -d));
	return buf;
}

static void
ttime(const struct tout *o, const char *name, int64_t t)
{
	char b[2 * HDB_TIMEBUF + 16];

	tline(o, name, "%s", when(b, sizeof(b), t, o->now, o->utc));
}

static void
tsecs(const struct tout *o, const char *name, int64_t s)
{
	char age[HDB_TIMEBUF];

	tline(o, name, "%" PRId64 "s (%s)", s,
	    hdb_fmt_age(age, sizeof(age), s));
}

static void
text_cert(const struct tout *o, const struct hdb_tls_cert *c)
{
	size_t i;

	if (!c->present)
		return;
	if (!c->parsed) {
		tline(o, "peer_certificate", "%zu bytes, not parseable",
		    c->der_len);
		return;
	}
	tstr(o, "peer_subject", &c->subject);
	tstr(o, "peer_cn", &c->cn);
	if (c->nsan > 0) {
		fprintf(o->fp, "%speer_san: ", o->indent);
		for (i = 0; i < c->nsan; i++) {
			fputs(i ? ", " : "", o->fp);
			hdb_out_vis(o->fp, c->san[i].p, c->san[i].len);
		}
		if (c->san_dropped)
			fprintf(o->fp, ", (%zu more)", c->san_dropped);
		fputc('\n', o->fp);
	}
	tstr(o, "peer_issuer", &c->issuer);
	if (c->have_validity) {
		ttime(o, "peer_not_before", c->not_before);
		ttime(o, "peer_not_after", c->not_after);
	}
	if (c->serial[0] != '\0')
		tline(o, "peer_serial", "%s", c->serial);
	if (c->key[0] != '\0')
		tline(o, "peer_key", "%s", c->key);
	tline(o, "peer_sha256", "%s", c->sha256);
}

static const char *
cred_name(int c)
{
	static const char *const n[] = { "none", "certificate", "anonymous",
	    "SRP", "PSK" };

	return c >= 0 && c <= 4 ? n[c] : "unknown";
}

static const char *
entity_name(int e)
{
	return e == 1 ? "server" : e == 2 ? "client" : "unknown";
}

static void
text_gnutls(const struct tout *o, const struct hdb_tls_info *ti)
{
	tline(o, "gnutls_writer", "%s (magic 0x%08" PRIx32 ", layout %c)",
	    ti->gnutls_version_str, ti->magic, ti->layout ? ti->layout : '?');
	if (ti->gnutls_version_match >= 0)
		tline(o, "gnutls_version_match", "%s (installed %s)",
		    ti->gnutls_version_match ? "yes" : "no",
		    ti->gnutls_runtime);
	if (ti->gnutls_cred > 0)
		tline(o, "credentials", "%s", cred_name(ti->gnutls_cred));
	if (ti->gnutls_entity > 0)
		tline(o, "entity", "%s", entity_name(ti->gnutls_entity));
}

static const char *
yesno(int v)
{
	return v ? "yes" : "no";
}

void
hdb_tls_print_text(FILE *fp, const struct hdb_tls_info *ti, int64_t now,
    int utc, int show_secrets, const char *indent)
{
	struct tout o = { fp, indent ? indent : "", now, utc };
	const char *vn = hdb_tls_version_name(ti->tls_version), *why;
	size_t i;

	tline(&o, "library", "%s", hdb_tls_lib_name(ti->lib));
	tline(&o, "payload_length", "%zu", ti->payload_len);
	if (ti->why != NULL)
		tline(&o, ti->partial ? "partial" : "error", "%s", ti->why);
	if (ti->lib == HDB_TLS_LIB_GNUTLS)
		text_gnutls(&o, ti);
	if (ti->tls_version != 0)
		tline(&o, "protocol", "%s (0x%04x)", vn ? vn : "unknown",
		    ti->tls_version);
	if (ti->have_cipher)
		tline(&o, "cipher", "%s (0x%04x)", ti->cipher_name ?
		    ti->cipher_name : "unknown", ti->cipher_id);
	if (ti->cipher_openssl != NULL)
		tline(&o, "cipher_openssl", "%s", ti->cipher_openssl);
	if (ti->have_group)
		tline(&o, "group", "%s (0x%04x)", ti->group_name ?
		    ti->group_name : "unknown", ti->group_id);
	if (ti->prf_mac != 0)
		tline(&o, "prf", "%s (%" PRIu32 ")", ti->prf_name ?
		    ti->prf_name : "unknown", ti->prf_mac);
	tstr(&o, "sni", &ti->sni);
	tstr(&o, "alpn", &ti->alpn);
	if (ti->session_id_len > 0)
		thex(&o, "session_id", ti->session_id, ti->session_id_len);
	if (ti->sid_ctx_len > 0)
		thex(&o, "session_id_context", ti->sid_ctx, ti->sid_ctx_len);
	if (ti->have_start)
		ttime(&o, "start_time", ti->start_time);
	if (ti->have_timeout)
		tsecs(&o, "timeout", ti->timeout);
	if (ti->have_lifetime)
		tsecs(&o, "ticket_lifetime", ti->ticket_lifetime);
	if (ti->have_ticket)
		tline(&o, "ticket", "%zu bytes", ti->ticket_len);
	else if ((ti->lib == HDB_TLS_LIB_OPENSSL ||
	    ti->lib == HDB_TLS_LIB_GNUTLS) && ti->why == NULL)
		tline(&o, "ticket", "none");
	if (ti->have_age_add)
		tline(&o, "ticket_age_add", "0x%08" PRIx32, ti->ticket_age_add);
	if (ti->ticket_nonce_len > 0)
		thex(&o, "ticket_nonce", ti->ticket_nonce,
		    ti->ticket_nonce_len);
	if (ti->have_arrival)
		ttime(&o, "ticket_arrival", ti->arrival_s);
	if (ti->have_max_early_data)
		tline(&o, "max_early_data", "%" PRIu32, ti->max_early_data);
	if (ti->max_fragment_length > 0)
		tline(&o, "max_fragment_length", "%d",
		    ti->max_fragment_length);
	if (ti->have_verify_result)
		tline(&o, "verify_result", "%ld (%s)", ti->verify_result,
		    X509_verify_cert_error_string(ti->verify_result));
	if (ti->extms >= 0)
		tline(&o, "extended_master_secret", "%s", yesno(ti->extms));
	if (ti->etm >= 0)
		tline(&o, "encrypt_then_mac", "%s", yesno(ti->etm));
	if (ti->have_tls12_params) {
		thex(&o, "client_random", ti->client_random, 32);
		thex(&o, "server_random", ti->server_random, 32);
		tline(&o, "record_size_limits", "send %" PRIu32 ", recv %"
		    PRIu32, ti->rec_send, ti->rec_recv);
		tline(&o, "server_signature", "%s (%" PRIu32 ")",
		    ti->server_sig_name ? ti->server_sig_name : "none",
		    ti->server_sig);
		tline(&o, "client_signature", "%s (%" PRIu32 ")",
		    ti->client_sig_name ? ti->client_sig_name : "none",
		    ti->client_sig);
	}
	if (ti->next > 0) {
		fprintf(fp, "%sextensions:", o.indent);
		for (i = 0; i < ti->next; i++)
			fprintf(fp, "%s %" PRIu32 " (%" PRIu32 " bytes)",
			    i ? "," : "", ti->ext[i].id, ti->ext[i].len);
		fputc('\n', fp);
	}
	if (ti->resumable_flag >= 0)
		tline(&o, "resumable_flag", "%s", yesno(ti->resumable_flag));
	if ((ti->lib == HDB_TLS_LIB_GNUTLS && ti->why == NULL) ||
	    ti->chain_len > 1)
		tline(&o, "peer_chain_length", "%zu", ti->chain_len);
	if (ti->nocsp > 0)
		tline(&o, "ocsp_responses", "%zu (%zu bytes)", ti->nocsp,
		    ti->ocsp_bytes);
	text_cert(&o, &ti->peer);
	if (ti->have_record)
		ttime(&o, "record_time", ti->record_time);
	if (ti->have_flags) {
		tline(&o, "verify_override", "%s", yesno(ti->verify_override));
		tline(&o, "ocsp", "%d (%s)", ti->ocsp,
		    hdb_tls_ocsp_name(ti->ocsp));
	}
	if (ti->secret_kind != HDB_TLS_SECRET_NONE) {
		if (show_secrets)
			thex(&o, hdb_tls_secret_name(ti->secret_kind),
			    ti->secret, ti->secret_len);
		else
			tline(&o, hdb_tls_secret_name(ti->secret_kind),
			    "(%zu bytes, hidden; --show-secrets shows it)",
			    ti->secret_len);
	}
	if (ti->ticket != NULL && show_secrets)
		thex(&o, "ticket_body", ti->ticket, ti->ticket_len);
	if (ti->have_lib_expires)
		ttime(&o, ti->lib == HDB_TLS_LIB_OPENSSL ?
		    "openssl_expires" : "gnutls_expires", ti->lib_expires);
	if (ti->have_ticket_expires)
		ttime(&o, "ticket_expires", ti->ticket_expires);
	if (ti->have_expires) {
		ttime(&o, "expires", ti->expires);
		tline(&o, "expires_rule", "%s", ti->expires_rule);
	}
	/* a GnuTLS session is resumed only by the GnuTLS that wrote it */
	if (hdb_tls_resumable(ti, now, &why) && ti->lib == HDB_TLS_LIB_GNUTLS)
		tline(&o, "resumable", "yes (GnuTLS %s only)",
		    ti->gnutls_version_str);
	else if (hdb_tls_resumable(ti, now, &why))
		tline(&o, "resumable", "yes");
	else
		tline(&o, "resumable", "no (%s)", why);
}

/* ---- JSON ---- */

/* The members go through jout.h, so that `dump --format=json` prints them
 * straight into its buffer and hdb_tls_json builds the same object. */

static void
jint(struct jout *o, const char *k, int64_t v)
{
	hdb_jo_int(o, k, v);
}

static void
jstr(struct jout *o, const char *k, const char *v)
{
	hdb_jo_cstr(o, k, v);
}

/* Escaped as in the text output, so always valid (ASCII) JSON text. */
static void
jvis(struct jout *o, const char *k, const struct hdb_tls_str *s)
{
	char *v;

	if (s->p == NULL)
		return;
	v = hdb_vis_dupx(s->p, s->len, 0);	/* JSON: not by locale */
	jstr(o, k, v);
	free(v);
}

static void
jhex(struct jout *o, const char *k, const uint8_t *p, size_t n)
{
	char *h = xmalloc(2 * n + 1);

	hdb_hex(h, p, n);
	jstr(o, k, h);
	OPENSSL_cleanse(h, 2 * n + 1);
	free(h);
}

static void
jbool(struct jout *o, const char *k, int v)
{
	hdb_jo_bool(o, k, v);
}

static void
json_cert(struct jout *o, const struct hdb_tls_cert *c)
{
	struct jout a;
	size_t i;

	jint(o, "der_length", (int64_t)c->der_len);
	jbool(o, "parsed", c->parsed);
	if (!c->parsed)
		return;
	jvis(o, "subject", &c->subject);
	jvis(o, "cn", &c->cn);
	hdb_jo_open(o, "san", 1, &a);
	for (i = 0; i < c->nsan; i++)
		jvis(&a, NULL, &c->san[i]);
	hdb_jo_close(o, "san", 1, &a);
	if (c->san_dropped)
		jint(o, "san_dropped", (int64_t)c->san_dropped);
	jvis(o, "issuer", &c->issuer);
	if (c->have_validity) {
		hdb_jo_time(o, "not_before", c->not_before);
		hdb_jo_time(o, "not_after", c->not_after);
	}
	if (c->serial[0] != '\0')
		jstr(o, "serial", c->serial);
	if (c->key[0] != '\0')
		jstr(o, "key", c->key);
	jstr(o, "sha256", c->sha256);
}

static void
json_gnutls(struct jout *o, const struct hdb_tls_info *ti)
{
	struct jout a, e;
	size_t i;

	jstr(o, "gnutls_writer", ti->gnutls_version_str);
	jint(o, "gnutls_magic", ti->magic);
	if (ti->layout)
		hdb_jo_strn(o, "gnutls_layout", &ti->layout, 1);
	if (ti->gnutls_version_match >= 0) {
		jbool(o, "gnutls_version_match", ti->gnutls_version_match);
		jstr(o, "gnutls_runtime", ti->gnutls_runtime);
	}
	if (ti->gnutls_cred > 0)
		jstr(o, "credentials", cred_name(ti->gnutls_cred));
	if (ti->gnutls_entity > 0)
		jstr(o, "entity", entity_name(ti->gnutls_entity));
	if (ti->prf_mac != 0) {
		jint(o, "prf_mac", ti->prf_mac);
		if (ti->prf_name != NULL)
			jstr(o, "prf", ti->prf_name);
	}
	if (ti->have_tls12_params) {
		jhex(o, "client_random", ti->client_random, 32);
		jhex(o, "server_random", ti->server_random, 32);
		jint(o, "record_send_limit", ti->rec_send);
		jint(o, "record_recv_limit", ti->rec_recv);
		jint(o, "server_signature_id", ti->server_sig);
		jint(o, "client_signature_id", ti->client_sig);
		if (ti->server_sig_name != NULL)
			jstr(o, "server_signature", ti->server_sig_name);
		if (ti->client_sig_name != NULL)
			jstr(o, "client_signature", ti->client_sig_name);
	}
	if (ti->next > 0) {
		hdb_jo_open(o, "extensions", 1, &a);
		for (i = 0; i < ti->next; i++) {
			hdb_jo_open(&a, NULL, 0, &e);
			jint(&e, "id", ti->ext[i].id);
			jint(&e, "length", ti->ext[i].len);
			hdb_jo_close(&a, NULL, 0, &e);
		}
		hdb_jo_close(o, "extensions", 1, &a);
	}
	jint(o, "peer_chain_length", (int64_t)ti->chain_len);
	jint(o, "ocsp_responses", (int64_t)ti->nocsp);
}

json_t *
hdb_tls_json(const struct hdb_tls_info *ti, int64_t now, int show_secrets)
{
	struct jout o = { json_object(), NULL, 0 };

	hdb_tls_json_out(&o, ti, now, show_secrets);
	return o.obj;
}

void
hdb_tls_json_out(struct jout *o, const struct hdb_tls_info *ti, int64_t now,
    int show_secrets)
{
	struct jout pc;
	const char *vn = hdb_tls_version_name(ti->tls_version), *why;
	int res;

	jstr(o, "library", hdb_tls_lib_name(ti->lib));
	jint(o, "payload_length", (int64_t)ti->payload_len);
	jbool(o, "partial", ti->partial);
	if (ti->why != NULL)
		jstr(o, ti->partial ? "partial_reason" : "error", ti->why);
	if (ti->lib == HDB_TLS_LIB_GNUTLS)
		json_gnutls(o, ti);
	if (ti->tls_version != 0) {
		jint(o, "tls_version", ti->tls_version);
		if (vn != NULL)
			jstr(o, "protocol", vn);
	}
	if (ti->have_cipher) {
		char id[8];

		snprintf(id, sizeof(id), "%04x", ti->cipher_id);
		jstr(o, "cipher_id", id);
		if (ti->cipher_name != NULL)
			jstr(o, "cipher", ti->cipher_name);
	}
	if (ti->cipher_openssl != NULL)
		jstr(o, "cipher_openssl", ti->cipher_openssl);
	if (ti->have_group) {
		jint(o, "group_id", ti->group_id);
		if (ti->group_name != NULL)
			jstr(o, "group", ti->group_name);
	}
	jvis(o, "sni", &ti->sni);
	jvis(o, "alpn", &ti->alpn);
	if (ti->session_id_len > 0)
		jhex(o, "session_id", ti->session_id, ti->session_id_len);
	if (ti->sid_ctx_len > 0)
		jhex(o, "session_id_context", ti->sid_ctx, ti->sid_ctx_len);
	if (ti->have_start)
		hdb_jo_time(o, "start_time", ti->start_time);
	if (ti->have_timeout)
		jint(o, "timeout", ti->timeout);
	if (ti->have_lifetime)
		jint(o, "ticket_lifetime", ti->ticket_lifetime);
	if (ti->have_ticket || ti->why == NULL)
		jbool(o, "has_ticket", ti->have_ticket);
	if (ti->have_ticket)
		jint(o, "ticket_length", (int64_t)ti->ticket_len);
	if (ti->have_age_add)
		jint(o, "ticket_age_add", ti->ticket_age_add);
	if (ti->ticket_nonce_len > 0)
		jhex(o, "ticket_nonce", ti->ticket_nonce, ti->ticket_nonce_len);
	if (ti->have_arrival) {
		hdb_jo_time(o, "ticket_arrival", ti->arrival_s);
		jint(o, "ticket_arrival_ns", ti->arrival_ns);
	}
	if (ti->have_max_early_data)
		jint(o, "max_early_data", ti->max_early_data);
	if (ti->max_fragment_length > 0)
		jint(o, "max_fragment_length", ti->max_fragment_length);
	if (ti->have_verify_result) {
		jint(o, "verify_result", ti->verify_result);
		jstr(o, "verify_result_text",
		    X509_verify_cert_error_string(ti->verify_result));
	}
	if (ti->extms >= 0)
		jbool(o, "extended_master_secret", ti->extms);
	if (ti->etm >= 0)
		jbool(o, "encrypt_then_mac", ti->etm);
	if (ti->resumable_flag >= 0)
		jbool(o, "resumable_flag", ti->resumable_flag);
	if (ti->peer.present) {
		hdb_jo_open(o, "peer", 0, &pc);
		json_cert(&pc, &ti->peer);
		hdb_jo_close(o, "peer", 0, &pc);
	}
	if (ti->have_record)
		hdb_jo_time(o, "record_time", ti->record_time);
	if (ti->have_flags) {
		jint(o, "flags", ti->flags);
		jbool(o, "verify_override", ti->verify_override);
		jint(o, "ocsp", ti->ocsp);
		jstr(o, "ocsp_text", hdb_tls_ocsp_name(ti->ocsp));
	}
	if (ti->secret_kind != HDB_TLS_SECRET_NONE) {
		jstr(o, "secret_kind", hdb_tls_secret_name(ti->secret_kind));
		jint(o, "secret_length", (int64_t)ti->secret_len);
		if (show_secrets)
			jhex(o, hdb_tls_secret_name(ti->secret_kind),
			    ti->secret, ti->secret_len);
	}
	if (ti->ticket != NULL && show_secrets)
		jhex(o, "ticket_body", ti->ticket, ti->ticket_len);
	if (ti->have_lib_expires)
		hdb_jo_time(o, ti->lib == HDB_TLS_LIB_OPENSSL ?
		    "openssl_expires" :
		    "gnutls_expires", ti->lib_expires);
	if (ti->have_ticket_expires)
		hdb_jo_time(o, "ticket_expires", ti->ticket_expires);
	if (ti->have_expires) {
		hdb_jo_time(o, "expires", ti->expires);
		jint(o, "expires_in_s", ti->expires - now);
		jstr(o, "expires_rule", ti->expires_rule);
	}
	res = hdb_tls_resumable(ti, now, &why);
	jbool(o, "resumable", res);
	if (res && ti->lib == HDB_TLS_LIB_GNUTLS)
		jstr(o, "resumable_by", ti->gnutls_version_str);
	if (!res)
		jstr(o, "not_resumable_reason", why);
}

/* ---- summary ---- */

struct sbuf {
	char		*buf;
	size_t		 len, used;	/* used counts what would be written */
};

static void
sput(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
sput(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->used < s->len ? s->buf + s->used : NULL,
	    s->used < s->len ? s->len - s->used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->used += (size_t)n;
}

/* A name from the session, escaped as everywhere, and a space or comma
 * escaped too so that the summary splits on them. */
static void
sput_name(struct sbuf *s, const char *p, size_t n)
{
	char *v = hdb_vis_dup(p, n), *c;

	for (c = v; *c != '\0'; c++)
		if (*c == ' ' || *c == ',')
			sput(s, "\\%03o", (unsigned char)*c);
		else
			sput(s, "%c", *c);
	free(v);
}

/* A SAN without its kind ("DNS:", "IP:"), as a host name is compared. */
static void
san_value(const struct hdb_tls_str *san, const char **p, size_t *n)
{
	const char *colon = memchr(san->p, ':', san->len);

	*p = colon != NULL ? colon + 1 : san->p;
	*n = san->len - (size_t)(*p - san->p);
}

static int
same_name(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && strncasecmp(a, b, an) == 0;
}

static void
sput_peer(struct sbuf *s, const struct hdb_tls_info *ti)
{
	const struct hdb_tls_cert *c = &ti->peer;
	const char *p;
	size_t i, n;
	int first = 1;

	if (c->parsed && c->cn.p != NULL) {
		sput(s, " peer=");
		sput_name(s, c->cn.p, c->cn.len);
		first = 0;
	}
	for (i = 0; c->parsed && i < c->nsan; i++) {
		san_value(&c->san[i], &p, &n);
		if (c->cn.p != NULL && same_name(p, n, c->cn.p, c->cn.len))
			continue;
		sput(s, first ? " peer=" : ",");
		sput_name(s, p, n);
		first = 0;
	}
	if (c->parsed && c->san_dropped > 0)
		sput(s, ",(%zu more)", c->san_dropped);
	if (c->present && !c->parsed)
		sput(s, " peer=(unparseable)");
	if (ti->sni.p != NULL) {
		sput(s, " sni=");
		sput_name(s, ti->sni.p, ti->sni.len);
	}
}

size_t
hdb_tls_peer_text(char *buf, size_t len, const struct hdb_tls_info *ti)
{
	struct sbuf s = { buf, len, 0 };

	if (len > 0)
		buf[0] = '\0';
	sput_peer(&s, ti);
	/* Without the leading space. */
	if (s.used > 0 && len > 1)
		memmove(buf, buf + 1, strlen(buf + 1) + 1);
	else if (len > 0)
		buf[0] = '\0';
	return s.used > 0 ? s.used - 1 : 0;
}

size_t
hdb_tls_summary(char *buf, size_t len, const struct hdb_tls_info *ti,
    int64_t now, int utc)
{
	struct sbuf s = { buf, len, 0 };
	const char *vn = hdb_tls_version_name(ti->tls_version);
	char ts[HDB_TIMEBUF];

	if (len > 0)
		buf[0] = '\0';
	sput(&s, "%s", hdb_tls_lib_name(ti->lib));
	if (ti->lib == HDB_TLS_LIB_GNUTLS)
		sput(&s, "-%s", ti->gnutls_version_str);
	if (vn != NULL)
		sput(&s, " %s", vn);
	if (ti->have_cipher)
		sput(&s, " %s", ti->cipher_name ? ti->cipher_name : "cipher=");
	if (ti->have_cipher && ti->cipher_name == NULL)
		sput(&s, "%04x", ti->cipher_id);
	sput_peer(&s, ti);
	if (ti->have_expires)
		sput(&s, " expires=%s", hdb_fmt_iso(ts, sizeof(ts),
		    ti->expires, utc));
	if (ti->lib != HDB_TLS_LIB_UNKNOWN)
		sput(&s, " resumable=%s", yesno(hdb_tls_resumable(ti, now,
		    NULL)));
	if (ti->partial)
		sput(&s, " partial");
	else if (ti->why != NULL)
		sput(&s, " undecodable");
	if (ti->lib == HDB_TLS_LIB_UNKNOWN)
		sput(&s, " payload=%zu", ti->payload_len);
	return s.used;
}
