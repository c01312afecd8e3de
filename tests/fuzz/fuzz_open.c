/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_open.c - libFuzzer target: a database file made of arbitrary bytes,
 * opened with one backend (FUZZ_BACKEND, set when compiling:
 * fuzz_open_bdb, fuzz_open_gdbm, ...), the way the commands use it.
 *
 * Each input is written to a scratch file (for ndbm: the first 16 bytes are
 * NAME.dir, the rest NAME.pag) and then: hdb_detect; a read-only open, a
 * full iteration that decodes every record as every DB type, a get of each
 * key seen, verify; and, with FUZZ_OPEN_WRITE=1 in the environment, a
 * read-write open that deletes one key and stores another, as tidy and
 * fix do.  Nothing may crash or trip a sanitizer; the library's own
 * refusal of a damaged file is fine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_db.h"
#include "db/hdb.h"

#ifndef FUZZ_BACKEND
#error "compile with -DFUZZ_BACKEND=bdb (or gdbm, tdb, ndbm, sqlite)"
#endif
#define CAT2(a, b)	a##b
#define CAT(a, b)	CAT2(a, b)
#define BACKEND		CAT(hdb_backend_, FUZZ_BACKEND)

#define MAXKEYS		32

struct seen {
	size_t		 n;
	uint8_t		*key[MAXKEYS];
	size_t		 klen[MAXKEYS];
};

static char path[512], dirpath[600], pagpath[600], jpath[600];
static int do_write;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/db", fuzz_dir());
	snprintf(dirpath, sizeof(dirpath), "%s.dir", path);
	snprintf(pagpath, sizeof(pagpath), "%s.pag", path);
	snprintf(jpath, sizeof(jpath), "%s-journal", path);
	do_write = getenv("FUZZ_OPEN_WRITE") != NULL &&
	    strcmp(getenv("FUZZ_OPEN_WRITE"), "1") == 0;
	return 0;
}

static int
each(void *ctx, struct hdb_datum k, struct hdb_datum v)
{
	struct seen *s = ctx;

	fuzz_decode_all(k, v);
	if (s->n < MAXKEYS) {
		if ((s->key[s->n] = malloc(k.len ? k.len : 1)) == NULL)
			abort();
		if (k.len)
			memcpy(s->key[s->n], k.data, k.len);
		s->klen[s->n++] = k.len;
	}
	/* Stop early now and then, so cursors are closed mid-way too. */
	return s->n == MAXKEYS ? 1 : 0;
}

static void
seen_free(struct seen *s)
{
	while (s->n > 0)
		free(s->key[--s->n]);
}

static void
reader(void)
{
	char why[256];
	struct seen s = { 0 };
	struct hdb_datum k, v;
	struct hdb *h;
	size_t i;

	(void)hdb_detect(path);
	if ((h = hdb_open(&BACKEND, path, HDB_O_RDONLY, 0, why,
	    sizeof(why))) == NULL)
		return;
	(void)hdb_iterate(h, each, &s);
	for (i = 0; i < s.n; i++) {
		k.data = s.key[i];
		k.len = s.klen[i];
		if (hdb_get(h, k, &v) == HDB_OK && v.data == NULL && v.len > 0)
			abort();
	}
	(void)hdb_verify(h);
	hdb_close(h);
	seen_free(&s);
}

static void
writer(void)
{
	static const uint8_t nk[] = "fuzz.example";
	static const uint8_t nv[16] = { 0xd6, 0x8e, 0x08, 0x6b };
	char why[256];
	struct seen s = { 0 };
	struct hdb_datum k, v;
	struct hdb *h;

	if ((h = hdb_open(&BACKEND, path, HDB_O_RDWR, 0640, why,
	    sizeof(why))) == NULL)
		return;
	if (hdb_verify(h) == HDB_OK) {
		(void)hdb_iterate(h, each, &s);
		if (s.n > 0) {
			k.data = s.key[0];
			k.len = s.klen[0];
			(void)hdb_del(h, k);
		}
		k.data = nk;
		k.len = sizeof(nk);
		v.data = nv;
		v.len = sizeof(nv);
		(void)hdb_put(h, k, v);
		(void)hdb_sync(h);
	}
	hdb_close(h);
	seen_free(&s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (&BACKEND == &hdb_backend_ndbm) {
		size_t d = size < 16 ? size : 16;

		fuzz_write_file(dirpath, data, d);
		fuzz_write_file(pagpath, data + d, size - d);
	} else
		fuzz_write_file(path, data, size);
	reader();
	if (do_write)
		writer();
	unlink(path);
	unlink(dirpath);
	unlink(pagpath);
	unlink(jpath);
	return 0;
}
