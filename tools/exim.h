/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exim.h - ask an installed Exim what hints it reads.
 *
 * Which backend an Exim was built with, which record layout its version
 * uses and which TLS library stores its sessions cannot be told from the
 * spool; the binary says so itself.  `exim -bV` names the hints backend
 * ("Hints DB:" then " Berkeley DB: ..." or " Using sqlite3" in 4.98+, a
 * bare "Berkeley DB: ..." line before) and the TLS library (the "Support
 * for:" line); `exim -d -bV` adds "Library version: GnuTLS: Compile: X"
 * and "Runtime: Y", the GnuTLS whose version every stored session must
 * carry to be resumed (formats doc §8.1, §8.4).
 *
 *	if (exim_locate(path, sizeof(path)) == 0)	// exim4, else exim
 *		exim_probe(path, &t, err, sizeof(err));	// runs -bV, -d -bV
 *
 * PATH may be a wrapper script (e.g. one that runs Exim in a chroot).
 *
 * Root runs no program chosen by PATH: exim_locate looks only in absolute
 * PATH directories that root alone can change, and what it finds runs as
 * nobody.  A path given (--exim, HINTSDB_EXIM) must be absolute and, for
 * root, root's and in such directories; it then runs as root.
 */
#ifndef HDB_EXIM_H
#define HDB_EXIM_H

#include <limits.h>
#include <stddef.h>

#include "db/hdb.h"
#include "rec/rec.h"
#include "tls/tls.h"

struct exim_target {
	char		 path[PATH_MAX];	/* what was run */
	char		 version[32];		/* "4.100.1" */
	long		 vnum;			/* 4100001; 0 unknown */
	const struct hdb_backend *be;		/* NULL: not one we write */
	char		 be_text[96];		/* the -bV line, trimmed */
	int		 oflags;		/* HDB_O_SQLITE_TBL for 4.98 */
	enum hdb_layout	 layout;		/* LEGACY or V2 */
	int		 lockfiles;		/* uses NAME.lockfile */
	enum hdb_tls_lib tls;			/* UNKNOWN: no TLS */
	char		 tls_version[16];	/* GnuTLS runtime, "" unknown */
};

/* EXIM_V(4, 100, 1) = 4100001, for comparing exim_target.vnum. */
#define EXIM_V(a, b, c)	((long)(a) * 1000000L + (long)(b) * 1000L + (c))

/*
 * exim_locate - the first of exim4 and exim found on PATH, as a path, into
 * buf: only in absolute directories that root alone can write, and only a
 * program of root's.  Returns 0, or -1 when there is none.  The environment variable
 * HINTSDB_EXIM, when set, is the answer instead: its value, or none when
 * it is empty (so tests do not depend on the host's Exim).
 */
int	exim_locate(char *buf, size_t len);

/*
 * exim_probe - run `path -bV` (and, for GnuTLS, `path -d -bV`) and fill t:
 * as nobody if root got path from exim_locate's PATH search, else (after
 * the checks above) as we are.  Returns 0, or -1 with the reason in err:
 * the path is refused, the program could not run, failed, or printed no
 * Exim version or no hints backend we can write.
 */
int	exim_probe(const char *path, struct exim_target *t, char *err,
	    size_t errlen);

/*
 * exim_parse - fill t from -bV output (text, NUL-terminated) and, if not
 * NULL, -d -bV output.  Returns 0, or -1 with the reason in err.
 */
int	exim_parse(const char *bv, const char *dbv, struct exim_target *t,
	    char *err, size_t errlen);

/* "Exim 4.100.1: SQLite (tblblob), v2 layout, no lockfiles, GnuTLS 3.8.13" */
void	exim_describe(const struct exim_target *, char *buf, size_t len);

/* "Berkeley DB", "GDBM", "SQLite", ... for a backend. */
const char *exim_backend_label(const struct hdb_backend *);

#endif
