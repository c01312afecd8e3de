/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scan.c - the floor for `make bench`: open a Berkeley DB file read-only
 * with the DB API directly (no environment, DB_UNKNOWN|DB_RDONLY, as
 * hintsdb's readers do) and walk it with one cursor, looking at nothing but
 * the sizes.  No lock, no copy, no output: what any reader pays at least.
 *
 *	scan FILE	prints "N records, B bytes"
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include <db.h>

int
main(int argc, char **argv)
{
	unsigned long long n = 0, bytes = 0;
	DB *db = NULL;
	DBC *c = NULL;
	DBT k, v;
	int ret;

	if (argc != 2)
		errx(2, "usage: scan FILE");
	if ((ret = db_create(&db, NULL, 0)) != 0 ||
	    (ret = db->open(db, NULL, argv[1], NULL, DB_UNKNOWN, DB_RDONLY,
	    0)) != 0 || (ret = db->cursor(db, NULL, &c, 0)) != 0)
		errx(1, "%s: %s", argv[1], db_strerror(ret));
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	while ((ret = c->get(c, &k, &v, DB_NEXT)) == 0) {
		n++;
		bytes += k.size + v.size;
	}
	if (ret != DB_NOTFOUND)
		errx(1, "%s: %s", argv[1], db_strerror(ret));
	c->close(c);
	db->close(db, 0);
	printf("%llu records, %llu bytes\n", n, bytes);
	return 0;
}
