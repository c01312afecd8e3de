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
#include <pwd.h>
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
 * exim_lockfile_used - 1 if Exim version vnum (EXIM_V) built with backend
 * be locks SPOOL/db/NAME.lockfile around every open, as its
 * exim_lockfile_needed() says at each release (hintsdb(8), LOCKFILES):
 * Berkeley DB, GDBM and NDBM builds always; tdb builds up to 4.98.x, not
 * from 4.99 on (TDB's fcntl locks and a transaction per open); SQLite
 * builds (4.98 on) never (SQLite's locks, a 5 s busy timeout).
 */
int	exim_lockfile_used(const struct hdb_backend *be, long vnum);

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

/*
 * exim_runas - who may run path, an Exim: the one exim_locate found on
 * PATH runs as nobody when root runs hintsdb (*as set); one named by
 * --exim or HINTSDB_EXIM must be absolute and, for root, a file of
 * root's in directories only root can change, and runs as we are (*as
 * NULL).  0, or -1 with the reason in err.
 */
int	exim_runas(const char *path, const struct passwd **as, char *err,
	    size_t errlen);

/* How long an Exim may run before it is killed: -bt may wait on DNS. */
#define EXIM_TIMEOUT_MS	60000

/*
 * exim_run - run argv (argv[0] an absolute path, cleared by exim_runas or
 * exim_root_program) with standard input from /dev/null and return its
 * standard output, NUL-terminated, at most 1 MiB kept (caller frees).
 * how->as: the user to run as (NULL: as we are); how->debug: standard
 * error too (where -d writes), else it goes to /dev/null; how->envp: the
 * environment (NULL: ours); how->timeout_ms: killed (SIGKILL) after that
 * long (0: never).  NULL if it could not be run.  *status gets the wait
 * status.
 */
struct exim_how {
	const struct passwd *as;
	int	debug;
	int	timeout_ms;
	char *const *envp;
};
char   *exim_run(char *const argv[], const struct exim_how *how,
	    int *status);

/* exim_output - exim_run as the user as, killed after EXIM_TIMEOUT_MS */
char   *exim_output(char *const argv[], int debug, int *status,
	    const struct passwd *as);

/*
 * exim_root_program - path is absolute, and it and (through any symlink)
 * the file it names are a program of root's in directories only root can
 * change.  0, or -1 with the reason in err.
 */
int	exim_root_program(const char *path, char *err, size_t errlen);

/* "Exim 4.100.1: SQLite (tblblob), v2 layout, no lockfiles, GnuTLS 3.8.13" */
void	exim_describe(const struct exim_target *, char *buf, size_t len);

/* "Berkeley DB", "GDBM", "SQLite", ... for a backend. */
const char *exim_backend_label(const struct hdb_backend *);

#endif
