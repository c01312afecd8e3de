/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_import.c - libFuzzer target for `hintsdb import`: the JSON Lines
 * reader, the header checks, the key and base64 decoding, and the writer
 * that re-encodes each record into a new DB and renames it into place.
 *
 * The parts are static in tools/cmd_import.c, so this file includes it
 * whole (see tests/fuzz/README for the seam that would replace that).
 *
 * Input: byte 0 picks the DB name (and so the type) and, in bit 3, an
 * existing DB of another backend to be replaced; the rest is the export
 * text given as standard input.  Checked: no crash or sanitizer report;
 * every message is free of control bytes; and when import says it
 * succeeded, the new DB opens, iterates and verifies.
 */
#include "../../tools/cmd_import.c"

#include "fuzz.h"

static const char *const names[8] = {
	"retry", "misc", "callout", "ratelimit", "seen", "tls",
	"wait-remote_smtp", "retry",
};
static char spool[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[600];

	(void)argc;
	(void)argv;
	snprintf(spool, sizeof(spool), "%s/spool", fuzz_dir());
	snprintf(p, sizeof(p), "%s", spool);
	if (mkdir(p, 0750) == -1)
		abort();
	snprintf(p, sizeof(p), "%s/db", spool);
	if (mkdir(p, 0750) == -1)
		abort();
	return 0;
}

static int
count(void *ctx, struct hdb_datum k, struct hdb_datum v)
{
	(void)k;
	(void)v;
	(*(size_t *)ctx)++;
	return 0;
}

static void
clean(const char *name)
{
	static const char *const sfx[] = { "", ".dir", ".pag", ".db",
	    "-journal" };
	char p[700];
	size_t i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		snprintf(p, sizeof(p), "%s/db/%s%s", spool, name, sfx[i]);
		unlink(p);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rebuild_opts io;
	struct fuzz_cap out, err;
	FILE *in, *si = stdin, *so = stdout, *se = stderr;
	const char *name;
	char path[700], why[256];
	struct hdb *h;
	size_t n = 0;
	int ex;

	if (size < 1)
		return 0;
	name = names[data[0] & 7];
	clean(name);
	snprintf(path, sizeof(path), "%s/db/%s", spool, name);
	if (data[0] & 8) {
		/* An existing (empty) GDBM DB: import keeps its backend. */
		h = hdb_open(&hdb_backend_gdbm, path, HDB_O_RDWR | HDB_O_CREATE,
		    0640, why, sizeof(why));
		hdb_close(h);
	}
	memset(&io, 0, sizeof(io));
	dbopts_init(&io.db);
	io.schema = -1;
	io.db.lock_timeout_ms = 0;
	io.drop_bad = (data[0] >> 4) & 1;
	if ((in = fmemopen((void *)(uintptr_t)(data + 1), size - 1, "r")) ==
	    NULL) {
		/* fmemopen refuses a zero-length buffer on old glibc. */
		if ((in = fopen("/dev/null", "r")) == NULL)
			abort();
	}
	fuzz_cap_open(&out);
	fuzz_cap_open(&err);
	stdin = in;
	stdout = out.fp;
	stderr = err.fp;
	ex = import(spool, name, &io);
	stdin = si;
	stdout = so;
	stderr = se;
	fclose(in);
	fuzz_cap_close(&out);
	fuzz_cap_close(&err);
	fuzz_no_ctl("import stdout", out.buf, out.len);
	/* FUZZ_SKIP_JSON_ERROR=1: go on past the known raw JSON error text
	 * (tests/data/fuzz/fuzz_import/json-error-ctl) in long runs. */
	if (getenv("FUZZ_SKIP_JSON_ERROR") == NULL ||
	    memmem(err.buf, err.len, "not a JSON object", 17) == NULL)
		fuzz_no_ctl("import stderr", err.buf, err.len);
	if (ex == 0 || ex == EX_FINDINGS) {
		if ((h = hdb_open(NULL, path, HDB_O_RDONLY, 0, why,
		    sizeof(why))) == NULL) {
			fprintf(stderr, "fuzz_import: import said %d but the "
			    "DB does not open: %s\n", ex, why);
			abort();
		}
		if (hdb_iterate(h, count, &n) != HDB_OK ||
		    hdb_verify(h) != HDB_OK) {
			fprintf(stderr, "fuzz_import: imported DB is bad: %s\n",
			    hdb_error(h));
			abort();
		}
		hdb_close(h);
	} else if (ex != EX_REFUSED && ex != EX_USAGE_) {
		fprintf(stderr, "fuzz_import: exit %d\n%.*s", ex,
		    (int)err.len, err.buf);
		abort();
	}
	fuzz_cap_free(&out);
	fuzz_cap_free(&err);
	return 0;
}
