/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * plan.h - what an installed Exim can use of a spool, DB by DB: the engine
 * of `hintsdb upgrade` (which rewrites what it cannot use) and of `check
 * --exim` (which reports it).  Used by cmd_upgrade.c, cmd_check.c.
 *
 *	plan_db(spool, name, &target, keep_sessions, timeout, &p);
 *	... p.records, p.other_layout, p.dead_sessions, plan_needed(&p) ...
 *
 * A DB is usable by the target when its files are of the target's backend
 * (and SQLite table), every record is in the target's layout, and (unless
 * sessions are kept) no stored TLS session is one the target's TLS library
 * would refuse (formats doc §8.4).
 */
#ifndef HDB_PLAN_H
#define HDB_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "exim.h"
#include "forms.h"

#define PLAN_WRITERS	4	/* GnuTLS writer versions named */

struct db_plan {
	const char	*name;
	const struct hdb_backend *from;	/* NULL: not read (err set) */
	int		 from_oflags;	/* HDB_O_SQLITE_TBL if table tbl */
	int		 err;		/* EX_* code when not read */
	size_t		 records;
	size_t		 legacy, v2, unknown;	/* by layout */
	size_t		 dead_sessions;	/* the target cannot resume */
	size_t		 other_lib;	/* of those: another TLS library */
	size_t		 dead_moved;	/* of those: not in the target layout */
	size_t		 unread[FORM_NONE];	/* by form the target never
						 * reads (forms.h) */
	size_t		 fixable[FORM_NONE];	/* of those: rewritable */
	size_t		 unread_moved;	/* of those dropped: not in the
					 * target's layout */
	char		 writers[PLAN_WRITERS][16];	/* "3.8.9" */
	size_t		 nwriters;
};

/*
 * plan_db - read SPOOL/db/NAME under Exim's read lock and count what the
 * target can use: records of a form it never reads (forms.h), then
 * sessions its TLS library refuses.  Returns 0, or an EX_* code after printing why under
 * cmd (the DB could not be read; p->from is then NULL).
 */
int	plan_db(const char *cmd, const char *spool, const char *name,
	    const struct exim_target *, long lock_timeout_ms,
	    struct db_plan *p);

/* Records not in the target's layout. */
size_t	plan_other_layout(const struct db_plan *, const struct exim_target *);

/* 1 if the DB's backend or SQLite table is not the target's. */
int	plan_other_backend(const struct db_plan *,
	    const struct exim_target *);

/* 1 if the DB must be rewritten for the target (keep: sessions stay). */
int	plan_needed(const struct db_plan *, const struct exim_target *,
	    int keep_sessions);

/* "bdb legacy", "sqlite(tbl) v2", "sqlite mixed" for the DB as it is. */
void	plan_from_text(const struct db_plan *, char *, size_t);

/* "GnuTLS 3.8.9, 3.7.9" or "OpenSSL": who wrote the dead sessions. */
void	plan_writers_text(const struct db_plan *, char *, size_t);

/*
 * session_dead - 1 if a stored session payload is one the target's TLS
 * library refuses: written by the other library, or by a GnuTLS whose
 * version is not the target's.  0 when it may be resumed or we cannot
 * tell.  *writer (may be NULL) gets "3.8.9" or "OpenSSL".
 */
int	session_dead(const struct exim_target *, const uint8_t *payload,
	    size_t len, char *writer, size_t wlen);

/* Records the target never reads, of every form (unread). */
size_t	plan_unread(const struct db_plan *);

/*
 * spool_in_use - the PID of an Exim that uses SPOOL now: the daemon named
 * by a live SPOOL/exim-daemon*.pid, or a holder of a lock on a lockfile
 * in SPOOL/db (F_GETLK).  0 if none seen; *how gets where it was seen.
 */
long	spool_in_use(const char *spool, char *how, size_t howlen);

/*
 * plan_target - the Exim to check a spool against, for check and stat:
 * path (--exim) if not NULL, else exim4 or exim on PATH.  Returns 1 with
 * t filled, 0 when none is on PATH (nothing printed), or an EX_* code
 * after printing why (path given but unusable).  An Exim found on PATH
 * that cannot be asked is reported and treated as none.
 */
int	plan_target(const char *cmd, const char *path, struct exim_target *t);

/*
 * plan_report - what the target cannot use of the DBs names[0..n) of
 * spool, as lines on standard output: "exim: <target>" first, then one
 * line per problem ("spool: ..." for the backend and layout, "tls: ..."
 * for sessions, "DBNAME: ..." for records of a form it never reads).  Returns the number of problems; *ex gets the first
 * EX_* code of a DB that could not be read (0 if none).
 */
size_t	plan_report(const char *cmd, const char *spool, char **names,
	    size_t n, const struct exim_target *t, long lock_timeout_ms,
	    int *ex);

#endif
