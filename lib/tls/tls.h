/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls.h - a stored TLS client session, decoded: the payload of an Exim tls
 * hints record (formats doc §3.7, §5) or a session saved by a client.
 *
 * Two payload kinds exist.  OpenSSL builds of Exim store the DER from
 * i2d_SSL_SESSION; it is decoded with d2i_SSL_SESSION and the public
 * accessors, plus a bounds-checked walk of the outer DER (ASN1_get_object)
 * for the few tags OpenSSL has no getter for.  GnuTLS builds store the
 * packed data of gnutls_session_get_data2; it is decoded by hand, every
 * field at an explicit offset with a bounds check, in the layout chosen by
 * the writer's version (the magic).  libgnutls is never linked.
 *
 * Calling sequence:
 *
 *	struct hdb_tls_info ti;
 *
 *	r = hdb_tls_decode(payload, len, &ti);	// fills ti, always
 *	hdb_tls_set_record(&ti, rec_time, 1, flags);	// if from a record
 *	hdb_tls_set_runtime_gnutls(&ti, "3.7.9");	// optional
 *	hdb_tls_print_text(stdout, &ti, now, utc, 0, "  ");	// tls_out.h
 *	hdb_tls_info_clear(&ti);			// always, wipes secrets
 *
 * The struct owns copies of everything it shows (names, certificates
 * fields, secrets), so the payload buffer may be freed after the decode.
 * Secrets (the master secret, the TLS 1.3 resumption secret or PSK, and
 * ticket bodies) live in one buffer that hdb_tls_info_clear wipes with
 * OPENSSL_cleanse before freeing it; the output functions print them only
 * when show_secrets is set.  Library code never prints on its own.
 */
#ifndef HDB_TLS_H
#define HDB_TLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum hdb_tls_lib {
	HDB_TLS_LIB_UNKNOWN = 0,
	HDB_TLS_LIB_OPENSSL,		/* DER SSL_SESSION */
	HDB_TLS_LIB_GNUTLS,		/* packed session, magic 0xFAE1C0DD.. */
	HDB_TLS_LIB_GNUTLS_NO_TICKET,	/* the 4-byte 00000000 placeholder */
};

enum hdb_tls_secret {
	HDB_TLS_SECRET_NONE = 0,
	HDB_TLS_SECRET_MASTER,		/* TLS <= 1.2 master secret */
	HDB_TLS_SECRET_PSK,		/* OpenSSL TLS 1.3 resumption PSK */
	HDB_TLS_SECRET_RMS,		/* GnuTLS TLS 1.3 resumption master secret */
};

/* GnuTLS magic range (§5.1): 0xFADEBADD + GNUTLS_VERSION_NUMBER. */
#define HDB_GNUTLS_MAGIC_BASE	0xFADEBADDu
#define HDB_GNUTLS_MAGIC_MIN	0xFAE1C0DDu	/* 3.6.0 */
#define HDB_GNUTLS_MAGIC_MAX	0xFAE1C3DCu	/* 3.8.255 */

#define HDB_TLS_MAX_SAN		32	/* more are counted, not kept */
#define HDB_TLS_MAX_EXT		32

/* Text from a certificate or a payload: bytes, NUL-terminated for
 * convenience, but may hold NULs or anything else: print escaped. */
struct hdb_tls_str {
	char		*p;		/* NULL: absent */
	size_t		 len;
};

/* The peer's (leaf) certificate, parsed with libcrypto. */
struct hdb_tls_cert {
	int		 present;	/* a certificate was stored */
	int		 parsed;	/* and libcrypto could parse it */
	size_t		 der_len;
	struct hdb_tls_str subject;	/* one line, as `openssl x509 -subject` */
	struct hdb_tls_str issuer;
	struct hdb_tls_str cn;		/* the last commonName of the subject */
	struct hdb_tls_str san[HDB_TLS_MAX_SAN];	/* "DNS:x", "IP:1.2.3.4" */
	size_t		 nsan;
	size_t		 san_dropped;	/* SANs beyond HDB_TLS_MAX_SAN */
	int		 have_validity;
	int64_t		 not_before, not_after;
	char		 serial[80];	/* hex, "" if unknown */
	char		 key[96];	/* "RSA 2048", "EC 256 (prime256v1)" */
	char		 sha256[65];	/* fingerprint of the DER, lower hex */
};

struct hdb_tls_ext {
	uint32_t	 id;		/* GnuTLS-internal extension id */
	uint32_t	 len;		/* length of its packed state */
};

struct hdb_tls_info {
	enum hdb_tls_lib lib;
	int		 partial;	/* some of the payload was not decoded */
	const char	*why;		/* why partial or undecodable: static,
					   or whybuf */
	char		 whybuf[128];
	size_t		 payload_len;
	size_t		 decoded_len;	/* bytes accounted for (GnuTLS) */

	/* The Exim record around the payload (hdb_tls_set_record). */
	int		 have_record;
	int64_t		 record_time;
	int		 have_flags;	/* flags apply: OpenSSL payload */
	uint8_t		 flags;
	int		 verify_override;
	int		 ocsp;		/* 0..7, see hdb_tls_ocsp_name */

	/* GnuTLS writer. */
	uint32_t	 magic;
	uint32_t	 gnutls_version;	/* e.g. 0x030709 */
	char		 gnutls_version_str[16];	/* "3.7.9" */
	char		 layout;		/* 'A' 3.6.3-4, 'B', 'C'; 0 */
	int		 gnutls_version_match;	/* -1 unknown, 0 no, 1 yes */
	char		 gnutls_runtime[16];	/* compared against */

	/* Protocol and algorithms. */
	unsigned	 tls_version;	/* 0x0303, 0x0304, ...; 0 unknown */
	int		 have_cipher;
	uint16_t	 cipher_id;	/* IANA, e.g. 0x1302 */
	const char	*cipher_name;	/* IANA name (static) or NULL */
	const char	*cipher_openssl;	/* OpenSSL's name (static) or NULL */
	int		 have_group;
	uint16_t	 group_id;	/* IANA TLS NamedGroup, 0 if unmapped */
	const char	*group_name;	/* "X25519", "SECP256R1", ... or NULL */
	uint32_t	 group_raw;	/* as stored (GnuTLS enum or IANA) */
	int		 gnutls_entity;	/* 1 server, 2 client, 0 n/a */
	int		 gnutls_cred;	/* 1 certificate, 2 anon, 3 SRP, 4 PSK */
	uint32_t	 prf_mac;	/* GnuTLS MAC id of the PRF */
	const char	*prf_name;	/* "SHA384" (static) or NULL */
	uint32_t	 server_sig, client_sig;	/* GnuTLS sign ids */
	const char	*server_sig_name, *client_sig_name;
	uint32_t	 rec_send, rec_recv;	/* record size limits */
	int		 have_tls12_params;	/* randoms, limits, sigs */
	uint8_t		 client_random[32], server_random[32];
	int		 extms;		/* -1 unknown, 0 no, 1 yes */
	int		 etm;		/* -1 unknown, 0 no, 1 yes */

	/* Session identity and lifetime. */
	uint8_t		 session_id[32];
	size_t		 session_id_len;
	uint8_t		 sid_ctx[32];
	size_t		 sid_ctx_len;
	struct hdb_tls_str sni;
	struct hdb_tls_str alpn;
	int		 have_start;
	int64_t		 start_time;	/* OpenSSL get_time; GnuTLS timestamp */
	int		 have_timeout;
	int64_t		 timeout;	/* OpenSSL get_timeout; GnuTLS expire_time */
	int		 have_ticket;
	size_t		 ticket_len;
	int		 have_lifetime;
	int64_t		 ticket_lifetime;	/* hint, or TLS 1.3 lifetime */
	int		 have_age_add;
	uint32_t	 ticket_age_add;
	uint8_t		 ticket_nonce[255];
	size_t		 ticket_nonce_len;
	int		 have_arrival;
	int64_t		 arrival_s;	/* GnuTLS ticket arrival */
	uint32_t	 arrival_ns;
	int		 have_max_early_data;
	uint32_t	 max_early_data;
	int		 max_fragment_length;	/* OpenSSL mode, 0 none */
	int		 have_verify_result;
	long		 verify_result;	/* X509_V_* stored by OpenSSL */
	int		 resumable_flag;	/* SSL_SESSION_is_resumable; -1 n/a */
	size_t		 chain_len;	/* certificates stored */
	size_t		 nocsp;		/* OCSP responses stored (GnuTLS) */
	size_t		 ocsp_bytes;
	struct hdb_tls_ext ext[HDB_TLS_MAX_EXT];
	size_t		 next;
	struct hdb_tls_cert peer;

	/* Secrets: one allocation, wiped by hdb_tls_info_clear. */
	enum hdb_tls_secret secret_kind;
	const uint8_t	*secret;	/* into secbuf */
	size_t		 secret_len;
	const uint8_t	*ticket;	/* the ticket body, into secbuf */
	uint8_t		*secbuf;
	size_t		 secbuf_len;	/* used */
	size_t		 secbuf_cap;	/* allocated (the payload length) */

	/* Expiry, recomputed by decode and hdb_tls_set_record. */
	int		 have_expires;
	int64_t		 expires;	/* the rule in expires_rule */
	const char	*expires_rule;
	int		 have_lib_expires;
	int64_t		 lib_expires;	/* OpenSSL get_time + get_timeout;
					   GnuTLS timestamp + expire_time */
	int		 have_ticket_expires;
	int64_t		 ticket_expires;	/* GnuTLS arrival + lifetime */
};

/*
 * hdb_tls_decode - decode payload[0..len) into out, which is initialised
 * first (so hdb_tls_info_clear it before reusing it).  Never reads outside
 * the input.  Returns 0 when every byte was decoded, 1 when partial (an
 * unknown GnuTLS writer, a layout that does not add up, a DER session
 * OpenSSL refuses but whose outer fields could be read), -1 when nothing
 * useful could be decoded; out->why then says why and out->lib says what
 * the first bytes looked like.  hdb_tls_info_clear is needed in every case.
 */
int	hdb_tls_decode(const uint8_t *payload, size_t len,
	    struct hdb_tls_info *out);

/*
 * Certificate cache.  Parsing the peer certificate costs far more than the
 * rest of a session, and the sessions of one DB share few certificates, so
 * each distinct DER is parsed once and the result copied out on later
 * hits (exact byte comparison; the hash only narrows the search).  A cache
 * holds at most `entries` certificates of up to 64 KiB and evicts the least
 * recently used.  It is not thread-safe: one per thread.
 *
 * hdb_tls_decode uses a process-wide default cache, made on first use
 * (HDB_TLS_CACHE_ENTRIES entries) and released by
 * hdb_tls_cache_default_free; hdb_tls_decode_cache takes one explicitly,
 * NULL meaning none.  The decoded result is the same with or without.
 */
#define HDB_TLS_CACHE_ENTRIES	64

struct hdb_tls_cache;

struct hdb_tls_cache *hdb_tls_cache_new(size_t entries);
void	hdb_tls_cache_free(struct hdb_tls_cache *);
struct hdb_tls_cache *hdb_tls_cache_default(void);
void	hdb_tls_cache_default_free(void);
int	hdb_tls_decode_cache(const uint8_t *payload, size_t len,
	    struct hdb_tls_cache *, struct hdb_tls_info *out);

/* What the first bytes of a payload say (§5.1), without decoding. */
enum hdb_tls_lib hdb_tls_sniff(const uint8_t *payload, size_t len);

/*
 * hdb_tls_set_record - the payload came from an Exim tls record written at
 * record_time with this flags byte.  The flags are kept only for OpenSSL
 * payloads (GnuTLS builds never set them).  Recomputes the expiry.
 */
void	hdb_tls_set_record(struct hdb_tls_info *, int64_t record_time,
	    int have_flags, uint8_t flags);

/*
 * hdb_tls_set_runtime_gnutls - compare a GnuTLS payload's writer with the
 * installed GnuTLS (version text such as "3.7.9", supplied by the caller:
 * we do not link libgnutls).  A mismatch means GnuTLS will refuse the
 * session.  Returns 0, or -1 if the text is not a version.
 */
int	hdb_tls_set_runtime_gnutls(struct hdb_tls_info *, const char *version);

/* "3.7.9" (or "3.7") -> 0x030709; -1 if not a version. */
long	hdb_tls_parse_version(const char *);

/*
 * hdb_tls_resumable - 1 if the session could still be resumed at now, by
 * the rules of the formats doc (§5.2, §5.3): not past its expiry (expired
 * only when expires < now, as Exim tests), and for OpenSSL also
 * SSL_SESSION_is_resumable, for GnuTLS a ticket or session id and no
 * known writer/runtime mismatch.  *why (may be NULL) gets a static reason
 * when 0.
 */
int	hdb_tls_resumable(const struct hdb_tls_info *, int64_t now,
	    const char **why);

/*
 * hdb_tls_peer_match - 1 if glob (fnmatch(3), case ignored, as host names
 * are compared) matches the SNI, the peer certificate's CN or the value of
 * one of its SANs ("mx.example" of "DNS:mx.example"); 0 otherwise, and
 * always when neither a certificate was parsed nor an SNI stored.
 */
int	hdb_tls_peer_match(const struct hdb_tls_info *, const char *glob);

/* Wipe the secrets and free everything; the struct is then empty. */
void	hdb_tls_info_clear(struct hdb_tls_info *);

/* Names: "openssl", "gnutls", "gnutls-no-ticket", "unknown". */
const char *hdb_tls_lib_name(enum hdb_tls_lib);
/* "TLS1.3", "TLS1.2", ..., NULL if unknown. */
const char *hdb_tls_version_name(unsigned tls_version);
/* Exim's ocsp field: "not requested", ..., "verified"; "unknown" above 4. */
const char *hdb_tls_ocsp_name(int ocsp);
/* "master_secret", "resumption_psk", "resumption_master_secret". */
const char *hdb_tls_secret_name(enum hdb_tls_secret);
/* IANA name of a cipher suite id, from our table; NULL if not in it. */
const char *hdb_tls_cipher_name(uint16_t id);
/* Name of an IANA TLS group id, from our table; NULL if not in it. */
const char *hdb_tls_group_name(uint16_t id);

/*
 * Internal to lib/tls (declared here for the unit tests): the two
 * decoders proper, called by hdb_tls_decode on an initialised struct,
 * and the certificate parser they share.
 */
int	hdb_tls_decode_der(const uint8_t *, size_t, struct hdb_tls_cache *,
	    struct hdb_tls_info *);
int	hdb_tls_decode_gnutls(const uint8_t *, size_t, struct hdb_tls_cache *,
	    struct hdb_tls_info *);
int	hdb_tls_cert_parse(const uint8_t *der, size_t len,
	    struct hdb_tls_cert *);
/* What an OpenSSL session's peer shows: der must be one X509 that OpenSSL
 * accepts, exactly filling its bytes, and the result is that of its
 * re-encoding (-2 if not). */
int	hdb_tls_cert_parse_canon(const uint8_t *der, size_t len,
	    struct hdb_tls_cert *);
/*
 * hdb_tls_cert_cached - parse(der, len, out) through cache c (NULL: none).
 * The cache knows no parser of its own: the decoders pass
 * hdb_tls_cert_parse (a certificate as given) or hdb_tls_cert_parse_canon
 * (what an OpenSSL session's peer shows), and an entry is found again only
 * for the same bytes and the same parser.  Returns what parse returned;
 * on -2 out is cleared.
 */
typedef int (*hdb_tls_cert_parser)(const uint8_t *der, size_t len,
	    struct hdb_tls_cert *out);
int	hdb_tls_cert_cached(struct hdb_tls_cache *c, const uint8_t *der,
	    size_t len, hdb_tls_cert_parser parse, struct hdb_tls_cert *out);
/* For the unit tests: a replacement hash (NULL: the real one), counts. */
void	hdb_tls_cache_set_hash(struct hdb_tls_cache *,
	    uint64_t (*)(const uint8_t *, size_t));
void	hdb_tls_cache_stats(const struct hdb_tls_cache *, size_t *hits,
	    size_t *misses);
void	hdb_tls_cert_clear(struct hdb_tls_cert *);
/* Reserve n bytes of secret storage in ti (xmalloc'd, wiped on clear). */
uint8_t *hdb_tls_secret_alloc(struct hdb_tls_info *, size_t n);
/* Set a string field to a copy of s[0..n). */
void	hdb_tls_str_set(struct hdb_tls_str *, const void *s, size_t n);
/* Recompute the expiry fields from what is known. */
void	hdb_tls_compute_expiry(struct hdb_tls_info *);

#endif
