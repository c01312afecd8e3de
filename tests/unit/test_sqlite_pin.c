/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_sqlite_pin.c - the SQLite VFS (lib/db/sqlite_pin.c) reaches only
 * the DBs opened through it and their -journal, -wal and -shm: a hot
 * journal naming another file as its super-journal cannot make SQLite
 * look for, read or delete that file (plain SQLite does delete it), and
 * ordinary rollback-journal and WAL writes still work.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db/sqlite_pin.h"

static char dir[64], dbp[128], victim[128], journal[160];

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
run(sqlite3 *db, const char *sql)
{
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* a one-table DB of 1024-byte pages, the victim, and the hostile journal */
static int
setup(void **state)
{
	static const unsigned char magic[8] = {
		0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7
	};
	unsigned char hdr[512] = { 0 }, num[4];
	sqlite3 *db;
	struct stat st;
	uint32_t sum = 0;
	size_t i, n;
	FILE *fp;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/hdbpin.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(dbp, sizeof(dbp), "%s/retry", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(journal, sizeof(journal), "%s-journal", dbp);
	if (sqlite3_open(dbp, &db) != SQLITE_OK)
		return -1;
	run(db, "PRAGMA page_size = 1024");
	run(db, "CREATE TABLE tblblob (ky BLOB PRIMARY KEY, dat BLOB)");
	run(db, "INSERT INTO tblblob VALUES (x'6100', x'01')");
	sqlite3_close(db);
	if ((fp = fopen(victim, "w")) == NULL || fputs("precious\n", fp) < 0 ||
	    fclose(fp) != 0 || stat(dbp, &st) == -1)
		return -1;
	/* header: magic, no records, nonce, pages, sector and page size */
	memcpy(hdr, magic, 8);
	put_be32(hdr + 16, (uint32_t)(st.st_size / 1024));
	put_be32(hdr + 20, 512);
	put_be32(hdr + 24, 1024);
	n = strlen(victim);
	for (i = 0; i < n; i++)
		sum -= (uint32_t)(signed char)victim[i];
	if ((fp = fopen(journal, "w")) == NULL)
		return -1;
	fwrite(hdr, 1, sizeof(hdr), fp);
	put_be32(num, 0x40000000 / 1024 + 1);
	fwrite(num, 1, 4, fp);
	fwrite(victim, 1, n, fp);
	put_be32(num, (uint32_t)n);
	fwrite(num, 1, 4, fp);
	put_be32(num, (uint32_t)0 - sum);
	fwrite(num, 1, 4, fp);
	fwrite(magic, 1, 8, fp);
	return fclose(fp) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* the journal is real: the default VFS deletes the victim */
static void
test_plain_sqlite_deletes(void **state)
{
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READWRITE,
	    NULL), SQLITE_OK);
	sqlite3_exec(db, "BEGIN IMMEDIATE; ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(access(victim, F_OK), -1);
}

static void
test_super_refused(void **state)
{
	char name[256];
	sqlite3 *db;

	(void)state;
	assert_int_equal(hdb_sqlite_super(dbp, name, sizeof(name)), 1);
	assert_string_equal(name, victim);
	hdb_sqlite_refused_clear();
	assert_int_equal(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READWRITE,
	    hdb_sqlite_vfs()), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(access(victim, F_OK), 0);
	assert_int_equal(access(journal, F_OK), 0);	/* left for a look */
	assert_non_null(hdb_sqlite_refused());
	assert_string_equal(hdb_sqlite_refused(), victim);
}

/* asked directly, the VFS neither finds nor deletes nor opens it */
static void
test_vfs_calls(void **state)
{
	sqlite3_vfs *vfs;
	sqlite3_file *f;
	int res = 1, out;

	(void)state;
	assert_non_null(hdb_sqlite_vfs());
	vfs = sqlite3_vfs_find(hdb_sqlite_vfs());
	assert_non_null(vfs);
	assert_int_not_equal(vfs->xAccess(vfs, victim, SQLITE_ACCESS_EXISTS,
	    &res), SQLITE_OK);
	assert_int_equal(res, 0);
	assert_int_not_equal(vfs->xDelete(vfs, victim, 0), SQLITE_OK);
	f = calloc(1, (size_t)vfs->szOsFile);
	assert_non_null(f);
	assert_int_not_equal(vfs->xOpen(vfs, victim, f, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_SUPER_JOURNAL, &out), SQLITE_OK);
	assert_null(f->pMethods);
	assert_int_not_equal(vfs->xOpen(vfs, victim, f, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_MAIN_JOURNAL, &out), SQLITE_OK);
	free(f);
	assert_int_equal(access(victim, F_OK), 0);
}

/* without the hostile journal: journals and WAL work as before */
static void
test_own_files_work(void **state)
{
	char wal[160];
	sqlite3 *db;

	(void)state;
	assert_int_equal(unlink(journal), 0);
	assert_int_equal(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READWRITE,
	    hdb_sqlite_vfs()), SQLITE_OK);
	run(db, "BEGIN IMMEDIATE");
	run(db, "INSERT INTO tblblob VALUES (x'6200', x'02')");
	assert_int_equal(access(journal, F_OK), 0);
	run(db, "COMMIT");
	assert_int_equal(access(journal, F_OK), -1);
	run(db, "PRAGMA journal_mode = WAL");
	run(db, "INSERT INTO tblblob VALUES (x'6300', x'03')");
	snprintf(wal, sizeof(wal), "%s-wal", dbp);
	assert_int_equal(access(wal, F_OK), 0);
	run(db, "PRAGMA journal_mode = DELETE");
	sqlite3_close(db);
	assert_int_equal(access(victim, F_OK), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_sqlite_deletes,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_super_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vfs_calls, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_own_files_work, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
