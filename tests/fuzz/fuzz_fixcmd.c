/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_fixcmd.c - libFuzzer target for the fix command language (fix.h):
 * tokenising with quotes and escapes, key reuse, field numbers, Exim's
 * time syntax, numbers, the Bloom filter edits, deletes, on a real Exim
 * 4.96 database of each type.
 *
 * Input: byte 0 picks the DB (low 3 bits) and exim_fixdb compatibility
 * (bit 3); the rest is what the user types.  Before each run the DB is
 * restored from the fixture (examples/spool/db, or $HDB_FIXTURES).
 *
 * Checked: no crash or sanitizer report; what fix prints holds no control
 * byte (unless the input itself asked for one with a quoted escape, which
 * fix echoes back only in the Bloom filter messages); the DB still
 * verifies afterwards.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "fix.h"
#include "fuzz.h"
#include "db/hdb.h"

static const char *const names[8] = {
	"retry", "misc", "callout", "ratelimit", "seen", "tls",
	"wait-remote_smtp", "retry",
};
static uint8_t *fixture[8];
static size_t fixlen[8];
static char spool[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *fx = getenv("HDB_FIXTURES");
	char p[700];
	int i, fd;

	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	if (fx == NULL)
		fx = "examples/spool/db";
	for (i = 0; i < 8; i++) {
		snprintf(p, sizeof(p), "%s/%s", fx, names[i]);
		if ((fixture[i] = fuzz_read_file(p, &fixlen[i])) == NULL) {
			fprintf(stderr, "fuzz_fixcmd: cannot read %s (run from "
			    "the top directory or set HDB_FIXTURES)\n", p);
			exit(2);
		}
	}
	snprintf(spool, sizeof(spool), "%s/spool", fuzz_dir());
	if (mkdir(spool, 0750) == -1)
		abort();
	snprintf(p, sizeof(p), "%s/db", spool);
	if (mkdir(p, 0750) == -1)
		abort();
	for (i = 0; i < 8; i++) {
		snprintf(p, sizeof(p), "%s/db/%s.lockfile", spool, names[i]);
		if ((fd = open(p, O_CREAT | O_WRONLY, 0640)) == -1)
			abort();
		close(fd);
	}
	return 0;
}

/* 1 if the user's input could itself put a control byte in the output. */
static int
asks_for_ctl(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == '\\' || ((p[i] < 0x20 || p[i] == 0x7f) &&
		    p[i] != '\n' && p[i] != '\t'))
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbopts o;
	struct fuzz_cap out, err;
	FILE *in, *si = stdin, *so = stdout, *se = stderr;
	const char *name;
	char path[700], why[256];
	struct hdb *h;
	int i;

	if (size < 1)
		return 0;
	i = data[0] & 7;
	name = names[i];
	snprintf(path, sizeof(path), "%s/db/%s", spool, name);
	fuzz_write_file(path, fixture[i], fixlen[i]);
	dbopts_init(&o);
	o.now = 1795722966;
	o.utc = 1;
	o.lock_timeout_ms = 0;
	if ((in = fmemopen((void *)(uintptr_t)(data + 1), size - 1, "r")) ==
	    NULL && (in = fopen("/dev/null", "r")) == NULL)
		abort();
	fuzz_cap_open(&out);
	fuzz_cap_open(&err);
	stdin = in;
	stdout = out.fp;
	stderr = err.fp;
	(void)fix_run(spool, name, &o, (data[0] >> 3) & 1);
	stdin = si;
	stdout = so;
	stderr = se;
	fclose(in);
	fuzz_cap_close(&out);
	fuzz_cap_close(&err);
	if (!asks_for_ctl(data + 1, size - 1)) {
		fuzz_no_ctl("fix stdout", out.buf, out.len);
		fuzz_no_ctl("fix stderr", err.buf, err.len);
	}
	if ((h = hdb_open(NULL, path, HDB_O_RDONLY, 0, why,
	    sizeof(why))) == NULL || hdb_verify(h) != HDB_OK) {
		fprintf(stderr, "fuzz_fixcmd: DB damaged after fix: %s\n",
		    h != NULL ? hdb_error(h) : why);
		abort();
	}
	hdb_close(h);
	fuzz_cap_free(&out);
	fuzz_cap_free(&err);
	return 0;
}
