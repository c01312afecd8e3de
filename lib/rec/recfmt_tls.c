/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * recfmt_tls.c - tls records in dump output: the stored session decoded
 * (tls.h), with Exim's record time and flags.  The payload itself is never
 * printed raw; secrets only with show_secrets.
 */
#include <stdio.h>
#include <string.h>

#include "jout.h"
#include "rec/recfmt.h"
#include "tls/tls.h"
#include "tls/tls_out.h"

/* Decode r's payload into ti; -1 if nothing useful came out. */
static int
decode(const struct hdb_rec *r, struct hdb_tls_info *ti)
{
	int ret;

	ret = hdb_tls_decode(r->u.tls.payload, r->u.tls.payload_len, ti);
	hdb_tls_set_record(ti, r->time_stamp, 1, r->u.tls.flags);
	return ret == -1 ? -1 : 0;
}

int
hdb_tlsrec_text(FILE *fp, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	struct hdb_tls_info ti;
	int ret = decode(r, &ti);

	hdb_tls_print_text(fp, &ti, o->now, o->utc, o->show_secrets, "  ");
	hdb_tls_info_clear(&ti);
	return ret;
}

int
hdb_tlsrec_json(struct jout *j, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	struct hdb_tls_info ti;
	struct jout sub;
	int ret = decode(r, &ti);

	hdb_jo_open(j, "session", 0, &sub);
	hdb_tls_json_out(&sub, &ti, o->now, o->show_secrets);
	hdb_jo_close(j, "session", 0, &sub);
	hdb_tls_info_clear(&ti);
	return ret;
}

int
hdb_tlsrec_summary(char *buf, size_t len, const struct hdb_rec *r,
    const struct hdb_fmtopts *o)
{
	struct hdb_tls_info ti;
	int ret = decode(r, &ti);

	hdb_tls_summary(buf, len, &ti, o->now, o->utc);
	hdb_tls_info_clear(&ti);
	return ret;
}
