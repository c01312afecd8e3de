/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * recfmt.h - a decoded record as readable text, as JSON, and in the line
 * formats of Exim 4.96's exim_dumpdb.  Every string from a record is
 * escaped; secrets are printed only when show_secrets is set.
 */
#ifndef HDB_RECFMT_H
#define HDB_RECFMT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "rec/rec.h"

/* The Exim whose exim_dumpdb lines the exim format copies. */
#define HDB_EXIM_AUTO	0	/* by the record's layout: legacy 4.96, v2 4.100 */
#define HDB_EXIM_496	496	/* 4.94 to 4.96: legacy records, 16-char IDs */
#define HDB_EXIM_498	498	/* the same lines; 23-character message IDs */
#define HDB_EXIM_499	499	/* 4.98's lines; tdb without lockfiles */
#define HDB_EXIM_4100	4100	/* 4.100.1: v2 records, misc second lines */

struct hdb_fmtopts {
	int64_t		 now;
	int		 utc;
	int		 show_secrets;
	int		 exim_version;	/* HDB_EXIM_*, for the exim format */
	const char	*db;		/* DB name for JSON "db" */
	int		 no_age;	/* JSON: no "age_s" (export) */
};

/*
 * One readable block: the key line, then indented "name: value" lines.
 * Returns 1 if the block reports a problem (a value outside Exim's limits,
 * a tls session that could not be decoded), else 0.
 */
int	hdb_rec_print_text(FILE *, const uint8_t *key, size_t klen,
	    const struct hdb_rec *, const struct hdb_fmtopts *);

/* Text block for a record that failed to decode. */
void	hdb_rec_print_text_error(FILE *, const uint8_t *key, size_t klen,
	    const uint8_t *val, size_t vlen, const char *why,
	    const struct hdb_fmtopts *);

/* JSON object (new reference) for a record, or for a decode failure.  A
 * record with a problem (as above) carries it in "problem". */
json_t *hdb_rec_json(const uint8_t *key, size_t klen, const struct hdb_rec *,
	    const struct hdb_fmtopts *);
json_t *hdb_rec_json_error(const uint8_t *key, size_t klen, const char *why,
	    const struct hdb_fmtopts *);

/*
 * The record's JSON object as one line of compact text on fp: exactly what
 * json_dumpf(hdb_rec_json(...), fp, JSON_COMPACT) and a newline print, but
 * without building the object.  Returns 1 if it has a "problem" member.
 */
int	hdb_rec_json_print(FILE *, const uint8_t *key, size_t klen,
	    const struct hdb_rec *, const struct hdb_fmtopts *);

/*
 * The line `hintsdb export` writes for a record, on fp: the object of
 * hdb_rec_json_print (without "age_s" if o->no_age), or for a record that
 * could not be decoded (r NULL) "db", "key" and "error": why; then "raw",
 * the stored bytes in base64.  Returns 1 if it has a "problem" member.
 */
int	hdb_rec_export_print(FILE *, const uint8_t *key, size_t klen,
	    const struct hdb_rec *r, const char *why, const uint8_t *val,
	    size_t vlen, const struct hdb_fmtopts *);

/* Put the key as "key" (text, escaped if not UTF-8) and "key_b64" if it had
 * to be escaped. */
void	hdb_json_set_key(json_t *, const uint8_t *key, size_t klen);

/*
 * exim_dumpdb's lines for one record to out (diagnostics to err), as the
 * Exim of o->exim_version prints them (HDB_EXIM_AUTO: the one whose layout
 * the record has).  Returns 0, or 1 where exim_dumpdb would have set exit
 * status 1.
 */
int	hdb_rec_print_exim(FILE *out, FILE *err, const uint8_t *key,
	    size_t klen, const struct hdb_rec *, const struct hdb_fmtopts *);

/* EHLO feature bit names, comma-separated into buf. */
char   *hdb_ehlo_features(char *buf, size_t len, unsigned bits);



/* The tls parts (recfmt_tls.c): a block, JSON members, a one-line summary.
 * Each returns -1 if the payload could not be decoded (0 otherwise). */
int	hdb_tlsrec_text(FILE *, const struct hdb_rec *,
	    const struct hdb_fmtopts *);
struct jout;
int	hdb_tlsrec_json(struct jout *, const struct hdb_rec *,
	    const struct hdb_fmtopts *);
int	hdb_tlsrec_summary(char *buf, size_t len, const struct hdb_rec *,
	    const struct hdb_fmtopts *);
#endif
