/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tlsdec.c - tls decoding throughput for `make bench`: read every record
 * of a tls hints DB (into memory first, so the DB read is not counted),
 * then decode each payload with hdb_tls_decode and, with -j, also build
 * and serialise its JSON as `hintsdb dump --format=json` would.
 *
 *	tlsdec [-j] FILE	prints one JSON object: records, decoded,
 *				partial, failed, read_ms, decode_ms
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "db/hdb.h"
#include "rec/rec.h"
#include "tls/tls.h"
#include "tls/tls_out.h"
#include "xmalloc.h"

struct recs {
	struct hdb_datum *v;
	size_t		 n, cap;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
keep(void *ctx, struct hdb_datum key, struct hdb_datum val)
{
	struct recs *r = ctx;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	r->v[r->n].data = xmemdup(val.data, val.len);
	r->v[r->n].len = val.len;
	r->n++;
	return 0;
}

int
main(int argc, char **argv)
{
	struct recs rs = { NULL, 0, 0 };
	struct hdb_tls_info ti;
	struct hdb_rec r;
	struct hdb *h;
	const char *why;
	char ebuf[256];
	double t0, t1, t2;
	size_t i, ok = 0, partial = 0, failed = 0, bytes = 0;
	int ch, json = 0, ret;

	while ((ch = getopt(argc, argv, "j")) != -1) {
		if (ch != 'j')
			errx(2, "usage: tlsdec [-j] FILE");
		json = 1;
	}
	if (optind != argc - 1)
		errx(2, "usage: tlsdec [-j] FILE");
	t0 = now_ms();
	if ((h = hdb_open(NULL, argv[optind], HDB_O_RDONLY, 0, ebuf,
	    sizeof(ebuf))) == NULL)
		errx(1, "%s", ebuf);
	if (hdb_iterate(h, keep, &rs) == HDB_ERR)
		errx(1, "%s", hdb_error(h));
	hdb_close(h);
	t1 = now_ms();
	for (i = 0; i < rs.n; i++) {
		if (hdb_rec_decode(HDB_T_TLS, HDB_L_AUTO, (const uint8_t *)"",
		    0, rs.v[i].data, rs.v[i].len, &r, &why) == -1) {
			failed++;
			continue;
		}
		ret = hdb_tls_decode(r.u.tls.payload, r.u.tls.payload_len,
		    &ti);
		hdb_tls_set_record(&ti, r.time_stamp, 1, r.u.tls.flags);
		if (json) {
			json_t *o = hdb_tls_json(&ti, r.time_stamp, 0);
			char *s = json_dumps(o, JSON_COMPACT);

			bytes += s != NULL ? strlen(s) : 0;
			free(s);
			json_decref(o);
		}
		hdb_tls_info_clear(&ti);
		if (ret == 0)
			ok++;
		else if (ret == 1)
			partial++;
		else
			failed++;
	}
	t2 = now_ms();
	printf("{\"records\":%zu,\"decoded\":%zu,\"partial\":%zu,"
	    "\"failed\":%zu,\"json_bytes\":%zu,\"read_ms\":%.3f,"
	    "\"decode_ms\":%.3f}\n", rs.n, ok, partial, failed, bytes,
	    t1 - t0, t2 - t1);
	for (i = 0; i < rs.n; i++)
		free((void *)rs.v[i].data);
	free(rs.v);
	return 0;
}
