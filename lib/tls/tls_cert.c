/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_cert.c - a peer certificate (DER) parsed into struct hdb_tls_cert
 * with libcrypto: names as `openssl x509` prints them, SANs, validity,
 * serial, key, fingerprint.  Both decoders use it, directly or through
 * the certificate cache (tls_cache.c), which gets it as a function
 * pointer; it uses only the model.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls/tls.h"
#include "xmalloc.h"

/* A name as `openssl x509 -subject` prints it (XN_FLAG_ONELINE). */
static void
name_line(struct hdb_tls_str *dst, const X509_NAME *nm)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;

	if (bio == NULL)
		return;
	if (X509_NAME_print_ex(bio, nm, 0, XN_FLAG_ONELINE) >= 0 &&
	    (n = BIO_get_mem_data(bio, &data)) >= 0)
		hdb_tls_str_set(dst, data, (size_t)n);
	BIO_free(bio);
}

static void
last_cn(struct hdb_tls_str *dst, const X509_NAME *nm)
{
	int i = -1, last = -1;
	unsigned char *u = NULL;
	int n;

	while ((i = X509_NAME_get_index_by_NID(nm, NID_commonName, i)) >= 0)
		last = i;
	if (last < 0)
		return;
	n = ASN1_STRING_to_UTF8(&u,
	    X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, last)));
	if (n >= 0)
		hdb_tls_str_set(dst, u, (size_t)n);
	OPENSSL_free(u);
}

static void
add_san(struct hdb_tls_cert *c, const char *prefix, const void *v, size_t n)
{
	size_t pl = strlen(prefix);
	char *tmp;

	if (c->nsan >= HDB_TLS_MAX_SAN) {
		c->san_dropped++;
		return;
	}
	tmp = xmalloc(pl + n + 1);
	memcpy(tmp, prefix, pl);
	memcpy(tmp + pl, v, n);
	hdb_tls_str_set(&c->san[c->nsan++], tmp, pl + n);
	free(tmp);
}

static void
sans(struct hdb_tls_cert *c, X509 *x)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	char ip[INET6_ADDRSTRLEN];
	const unsigned char *d;
	int i, n;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		switch (g->type) {
		case GEN_DNS:
			add_san(c, "DNS:", ASN1_STRING_get0_data(g->d.dNSName),
			    (size_t)ASN1_STRING_length(g->d.dNSName));
			break;
		case GEN_EMAIL:
			add_san(c, "email:",
			    ASN1_STRING_get0_data(g->d.rfc822Name),
			    (size_t)ASN1_STRING_length(g->d.rfc822Name));
			break;
		case GEN_URI:
			add_san(c, "URI:",
			    ASN1_STRING_get0_data(g->d.uniformResourceIdentifier),
			    (size_t)ASN1_STRING_length(
			    g->d.uniformResourceIdentifier));
			break;
		case GEN_IPADD:
			d = ASN1_STRING_get0_data(g->d.iPAddress);
			n = ASN1_STRING_length(g->d.iPAddress);
			if ((n == 4 && inet_ntop(AF_INET, d, ip,
			    sizeof(ip)) != NULL) || (n == 16 &&
			    inet_ntop(AF_INET6, d, ip, sizeof(ip)) != NULL))
				add_san(c, "IP:", ip, strlen(ip));
			else
				add_san(c, "IP:", "(malformed)", 11);
			break;
		default:
			break;
		}
	}
	GENERAL_NAMES_free(gens);
}

static int
asn1_time(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static void
key_desc(struct hdb_tls_cert *c, X509 *x)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	const char *t;
	char grp[48];
	size_t gl = 0;
	int id;

	if (k == NULL)
		return;
	id = EVP_PKEY_base_id(k);
	switch (id) {
	case EVP_PKEY_RSA:
		t = "RSA";
		break;
	case EVP_PKEY_RSA_PSS:
		t = "RSA-PSS";
		break;
	case EVP_PKEY_EC:
		t = "EC";
		break;
	case EVP_PKEY_ED25519:
		t = "ED25519";
		break;
	case EVP_PKEY_ED448:
		t = "ED448";
		break;
	case EVP_PKEY_DSA:
		t = "DSA";
		break;
	default:
		t = OBJ_nid2sn(id) != NULL ? OBJ_nid2sn(id) : "unknown";
		break;
	}
	grp[0] = '\0';
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	if (id == EVP_PKEY_EC &&
	    !EVP_PKEY_get_group_name(k, grp, sizeof(grp), &gl))
		grp[0] = '\0';
#endif
	(void)gl;
	if (grp[0] != '\0')
		snprintf(c->key, sizeof(c->key), "%s %d (%s)", t,
		    EVP_PKEY_bits(k), grp);
	else
		snprintf(c->key, sizeof(c->key), "%s %d", t, EVP_PKEY_bits(k));
}

static void
serial_hex(struct hdb_tls_cert *c, X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *h;

	if (bn == NULL)
		return;
	if ((h = BN_bn2hex(bn)) != NULL) {
		snprintf(c->serial, sizeof(c->serial), "%s", h);
		OPENSSL_free(h);
	}
	BN_free(bn);
}

int
hdb_tls_cert_parse(const uint8_t *der, size_t len, struct hdb_tls_cert *c)
{
	const unsigned char *p = der;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	X509 *x;

	hdb_tls_cert_clear(c);
	c->present = 1;
	c->der_len = len;
	if (len == 0 || len > LONG_MAX ||
	    (x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return -1;
	}
	c->parsed = 1;
	name_line(&c->subject, X509_get_subject_name(x));
	name_line(&c->issuer, X509_get_issuer_name(x));
	last_cn(&c->cn, X509_get_subject_name(x));
	sans(c, x);
	if (asn1_time(X509_get0_notBefore(x), &c->not_before) == 0 &&
	    asn1_time(X509_get0_notAfter(x), &c->not_after) == 0)
		c->have_validity = 1;
	serial_hex(c, x);
	key_desc(c, x);
	/* The fingerprint of the bytes as stored, as `openssl x509
	 * -fingerprint -sha256` gives for the same DER. */
	if (EVP_Digest(der, len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    mdlen == 32)
		for (i = 0; i < mdlen; i++)
			snprintf(c->sha256 + 2 * i, 3, "%02x", md[i]);
	X509_free(x);
	ERR_clear_error();
	return 0;
}

/*
 * hdb_tls_cert_parse_canon - what the peer of a DER session shows: OpenSSL parses the
 * [3] content as an X509 that must fill it exactly, and the certificate
 * we report is its re-encoding (the same bytes, unless the stored DER was
 * not canonical).  -2 if OpenSSL would refuse the certificate.
 */
int
hdb_tls_cert_parse_canon(const uint8_t *der, size_t len, struct hdb_tls_cert *c)
{
	const unsigned char *p = der;
	unsigned char *enc = NULL;
	X509 *x;
	int n, rc = -2;

	if (len == 0 || len > INT32_MAX ||
	    (x = d2i_X509(NULL, &p, (long)len)) == NULL)
		goto out;
	if ((size_t)(p - der) == len && (n = i2d_X509(x, &enc)) > 0)
		rc = hdb_tls_cert_parse(enc, (size_t)n, c);
	OPENSSL_free(enc);
	X509_free(x);
out:
	ERR_clear_error();
	return rc;
}
