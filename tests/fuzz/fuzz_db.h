/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_db.h - what the targets that read DB files share: every record
 * they are handed checked for sane datums and decoded as every DB type.
 */
#ifndef HDB_FUZZ_DB_H
#define HDB_FUZZ_DB_H

#include <stdlib.h>

#include "db/hdb.h"
#include "rec/rec.h"

/* A datum with no bytes behind a length aborts; the rest is decoded. */
static inline void
fuzz_decode_all(struct hdb_datum k, struct hdb_datum v)
{
	static const enum hdb_dbtype types[] = { HDB_T_RETRY, HDB_T_WAIT,
	    HDB_T_MISC, HDB_T_CALLOUT, HDB_T_RATELIMIT, HDB_T_SEEN,
	    HDB_T_TLS };
	struct hdb_rec r;
	const char *why;
	size_t i;

	if ((k.data == NULL && k.len > 0) || (v.data == NULL && v.len > 0))
		abort();
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (hdb_rec_decode(types[i], HDB_L_AUTO, k.data, k.len, v.data,
		    v.len, &r, &why) == 0)
			(void)hdb_rec_check(&r);
}

#endif
