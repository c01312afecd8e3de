/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * forms.h - who reads what: the forms of hints keys and records that some
 * Exim releases write and others never read, one table for check --exim
 * and upgrade (README, "Who reads what"; hintsdb-upgrade(8)).
 *
 *	f = form_of(type, key, val);
 *	if (f != FORM_NONE && !form_read_by(f, t->vnum))
 *		n = form_rewrite(f, key, buf, sizeof(buf));	(0: dropped)
 *
 * A record of no listed form is read by every release (its layout and
 * backend aside, plan.h).
 */
#ifndef HDB_FORMS_H
#define HDB_FORMS_H

#include <stddef.h>
#include <stdint.h>

#include "db/hdb.h"
#include "rec/rec.h"

enum form_id {
	FORM_TLS_IP,		/* tls key: the peer's IP address (4.94-4.95) */
	FORM_TLS_HASH,		/* tls key: SHA-256 in hex (4.96 on) */
	FORM_WAIT_16,		/* wait: 16-character message IDs (to 4.96) */
	FORM_WAIT_23,		/* wait: 23-character message IDs (4.97 on) */
	FORM_RETRY_BARE,	/* retry: T:IP:IP:PORT (to 4.97) */
	FORM_RETRY_BRACKET,	/* retry: T:[IP]:IP:PORT (4.98 on) */
	FORM_ETRN_ARG,		/* misc: etrn-ARGUMENT\n (to 4.97) */
	FORM_ETRN_MD5,		/* misc: etrn-MD5 of it in hex (4.98 on) */
	FORM_NONE		/* read by every release */
};

struct form {
	enum hdb_dbtype	 type;
	long		 first, last;	/* EXIM_V: who writes and reads it */
	const char	*one;		/* "host key T:IP:IP:PORT (Exim ...)" */
	const char	*what;		/* the same, plural */
	const char	*as;		/* the other form's name, if rewritten */
};

/* The table row of f (f < FORM_NONE). */
const struct form *form_info(enum form_id f);

/* The form of a record of DB type type; FORM_NONE if every Exim reads it. */
enum form_id	form_of(enum hdb_dbtype type, struct hdb_datum key,
		    struct hdb_datum val);

/* 1 if Exim vnum (EXIM_V; 0: unknown, taken as yes) reads form f. */
int	form_read_by(enum form_id f, long vnum);

/*
 * form_rewrite - key (with its NUL) in the other form of its pair, the one
 * the releases that never read f look up, into out with its NUL.  Returns
 * the new length, or 0 when it cannot be rewritten (the record is then
 * dropped): message IDs and TLS keys never can, nor a T: key in which an
 * IPv6 address is not bracketed (its port cannot be told from it).
 */
size_t	form_rewrite(enum form_id f, struct hdb_datum key, uint8_t *out,
	    size_t len);

#endif
