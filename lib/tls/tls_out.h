/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_out.h - the formatters (tls_out.c): a decoded session (tls.h) as
 * text, JSON and a one-line summary.  For the record formatter
 * (lib/rec/recfmt_tls.c) and the commands; the decoders never use them.
 */
#ifndef HDB_TLS_OUT_H
#define HDB_TLS_OUT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "tls/tls.h"

/*
 * Output.  Every string from the payload is escaped (hdb_out_vis), times
 * are ISO 8601 with an age relative to now.  Secrets only if show_secrets.
 */
/* "name: value" lines, each starting with indent. */
void	hdb_tls_print_text(FILE *, const struct hdb_tls_info *, int64_t now,
	    int utc, int show_secrets, const char *indent);
/* A JSON object (new reference) with every field; binary as hex. */
json_t *hdb_tls_json(const struct hdb_tls_info *, int64_t now,
	    int show_secrets);
/* The same members through the emitter of jout.h (either mode). */
struct jout;
void	hdb_tls_json_out(struct jout *, const struct hdb_tls_info *,
	    int64_t now, int show_secrets);
/*
 * The peer as one-line views name it: "peer=CN,SAN,... sni=NAME", each part
 * only when known (SANs without their "DNS:"/"IP:" kind, those equal to the
 * CN left out; "peer=(unparseable)" for a certificate libcrypto refused);
 * "" when nothing names the peer.  Names are escaped (hdb_vis) with a space
 * or comma as \040, \054.  Returns what snprintf would.
 */
size_t	hdb_tls_peer_text(char *buf, size_t len, const struct hdb_tls_info *);
/* One line, no newline, no control bytes; returns what snprintf would.
 * "gnutls-3.7.9 TLS1.2 CIPHER peer=... sni=... expires=... resumable=no" */
size_t	hdb_tls_summary(char *buf, size_t len, const struct hdb_tls_info *,
	    int64_t now, int utc);

#endif
