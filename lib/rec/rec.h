/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rec.h - Exim hints record layouts (legacy 4.94-4.99.1 and versioned v2).
 *
 * Records are stored in native byte order with native padding (LP64
 * little-endian on the hosts we support).  Every field is read at an explicit
 * offset with a bounds check; a record that does not fit its type is
 * reported, never guessed.  Decoders fill a caller-owned struct; strings come
 * back as pointer plus length into the input buffer, which must outlive the
 * struct.
 */
#ifndef HDB_REC_H
#define HDB_REC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum hdb_dbtype {
	HDB_T_UNKNOWN = 0,
	HDB_T_RETRY,
	HDB_T_WAIT,
	HDB_T_MISC,
	HDB_T_CALLOUT,
	HDB_T_RATELIMIT,
	HDB_T_SEEN,
	HDB_T_TLS,
};

enum hdb_layout {
	HDB_L_AUTO = 0,
	HDB_L_LEGACY,
	HDB_L_V2,
};

/* Sub-shapes that the record length or key tells apart. */
enum hdb_kind {
	HDB_K_NONE = 0,
	HDB_K_MISC_SERIALIZE,
	HDB_K_MISC_EHLO,	/* without the LIMITS fields */
	HDB_K_MISC_EHLO_LIMITS,
	HDB_K_MISC_OTHER,	/* a misc key of no known shape */
	HDB_K_CALLOUT_ADDRESS,
	HDB_K_CALLOUT_DOMAIN,
	HDB_K_CALLOUT_OBSOLETE,
	HDB_K_RATELIMIT_PLAIN,
	HDB_K_RATELIMIT_UNIQUE,
};

#define HDB_LEGACY_HDR	8
#define HDB_V2_HDR	16
#define HDB_V2_VERSION	2

#define HDB_RETRY_TEXT_MAX	150	/* EXIM_DB_RLIMIT */
#define HDB_WAIT_NAME_MAX	50	/* WAIT_NAME_MAX */
#define HDB_WAIT_CONT_MAX	1000	/* WAIT_CONT_MAX */
#define HDB_MSGID_OLD		16	/* 4.94-4.96 */
#define HDB_MSGID_NEW		23	/* 4.97+ */
#define HDB_RATELIMIT_BLOOM_MIN	40

/* Callout results (ccache_*). */
#define HDB_CC_UNKNOWN		0
#define HDB_CC_ACCEPT		1
#define HDB_CC_REJECT		2
#define HDB_CC_REJECT_MFNULL	3

struct hdb_retry {
	int64_t		 first_failed;
	int64_t		 last_try;
	int64_t		 next_try;
	uint32_t	 expired;	/* v2: the first byte of its slot */
	int32_t		 basic_errno;
	int32_t		 more_errno;
	const uint8_t	*text;		/* not NUL-terminated */
	size_t		 text_len;
};

struct hdb_wait {
	int32_t		 count;
	int32_t		 sequence;
	const uint8_t	*ids;		/* count * id_len bytes */
	size_t		 id_len;	/* 16 or 23; 0 when count is 0 */
	int		 bad_id;	/* index of the first malformed ID, or -1 */
};

struct hdb_misc {
	int32_t		 count;		/* serialise */
	uint16_t	 clr_features, cry_features, clr_auths, cry_auths;
	uint32_t	 limit_mail, limit_rcpt, limit_rcptdom;
	const uint8_t	*raw;		/* HDB_K_MISC_OTHER: body after header */
	size_t		 raw_len;
};

struct hdb_callout {
	int32_t		 result;
	int32_t		 postmaster_result;
	int32_t		 random_result;
	int64_t		 postmaster_stamp;
	int64_t		 random_stamp;
};

struct hdb_ratelimit {
	int32_t		 time_usec;
	double		 rate;
	int64_t		 bloom_epoch;
	uint32_t	 bloom_size;
	const uint8_t	*bloom;
};

struct hdb_tlsrec {
	uint8_t		 flags;		/* raw byte */
	int		 verify_override;
	int		 ocsp;
	const uint8_t	*payload;
	size_t		 payload_len;
};

struct hdb_rec {
	enum hdb_dbtype	 type;
	enum hdb_layout	 layout;
	enum hdb_kind	 kind;
	uint32_t	 version;	/* v2 only */
	uint32_t	 tainted;	/* v2 only: the first byte of its slot */
	int64_t		 time_stamp;
	union {
		struct hdb_retry	retry;
		struct hdb_wait		wait;
		struct hdb_misc		misc;
		struct hdb_callout	callout;
		struct hdb_ratelimit	ratelimit;
		struct hdb_tlsrec	tls;
	} u;
};

/* DB type from its name: retry, misc, callout, ratelimit, seen, tls, wait-*. */
enum hdb_dbtype hdb_dbtype_from_name(const char *name);
const char *hdb_dbtype_name(enum hdb_dbtype);
const char *hdb_layout_name(enum hdb_layout);
int	 hdb_layout_from_name(const char *, enum hdb_layout *);

/*
 * hdb_rec_layout - which layout a record of len bytes is in (formats doc
 * §3.0 heuristic; a plausible time is 2000-01-01 to 2106-02-07).  Returns
 * HDB_L_LEGACY, HDB_L_V2, or HDB_L_AUTO when neither fits.
 */
enum hdb_layout hdb_rec_layout(const uint8_t *val, size_t len);

/*
 * hdb_rec_stamp - the time stamp in the header of a record of len bytes,
 * the layout as hdb_rec_layout finds it, without decoding the rest.
 * Returns 0, or -1 if neither layout fits.
 */
int	 hdb_rec_stamp(const uint8_t *val, size_t len, int64_t *stamp);

/*
 * hdb_rec_decode - decode one record of DB type t.  key/klen is the key as
 * stored (with its NUL); it chooses sub-shapes (misc, ratelimit).  layout
 * HDB_L_AUTO detects per record.  Returns 0, or -1 with a static reason in
 * *why (out->layout and out->time_stamp are still filled when the header
 * could be read).  Structural checks only: a wait count over 50 or a
 * malformed message ID decodes (see bad_id); hdb_rec_check judges those.
 */
int	 hdb_rec_decode(enum hdb_dbtype t, enum hdb_layout layout,
	    const uint8_t *key, size_t klen, const uint8_t *val, size_t len,
	    struct hdb_rec *out, const char **why);

/*
 * hdb_rec_encode - the bytes of r in layout (LEGACY or V2) into buf (cap
 * bytes); padding is zero.  Returns the record length, or 0 if it does not
 * fit or r is not encodable.  A length larger than cap is never written.
 */
size_t	 hdb_rec_encode(const struct hdb_rec *r, enum hdb_layout layout,
	    uint8_t *buf, size_t cap);

/* Upper bound for hdb_rec_encode's output for r. */
size_t	 hdb_rec_size(const struct hdb_rec *r, enum hdb_layout layout);

/*
 * hdb_rec_check - semantic checks on a decoded record (Exim's limits and
 * plausible times).  Returns NULL if fine, else a static description.
 */
const char *hdb_rec_check(const struct hdb_rec *r);

/*
 * hdb_rec_pad_dirty - 1 if val is a v2 record whose one-byte BOOLs (tainted;
 * retry's expired) are followed by padding that is not zero, as 4.100.1
 * leaves it (formats doc §8.2).  Readers ignore those bytes; writers zero
 * them with hdb_rec_pad_zero (in place; no-op unless val is v2).
 */
int	 hdb_rec_pad_dirty(enum hdb_dbtype t, const uint8_t *val, size_t len);
void	 hdb_rec_pad_zero(enum hdb_dbtype t, uint8_t *val, size_t len);

/* 1 if s[0..len) is a message ID (16 or 23 chars) in Exim's format. */
int	 hdb_msgid_valid(const uint8_t *s, size_t len);

/* Name for a callout result code ("accept", "reject_mfnull", ...). */
const char *hdb_callout_result_name(int);

/* Key text: the stored key less exactly one trailing NUL. */
size_t	 hdb_key_text_len(const uint8_t *key, size_t klen);

#endif
