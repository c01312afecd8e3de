/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spool.h - the hints DBs a spool holds, for commands that take them all. */
#ifndef HDB_SPOOL_H
#define HDB_SPOOL_H

#include <stddef.h>

/*
 * spool_dbs - the names of the hints DBs in SPOOL/db, sorted and unique:
 * every file name Exim would use for a hints DB, with NDBM's .dir/.pag
 * (or BDB-ndbm's .db) folded into the DB name.  Lockfiles, SQLite
 * journals, dot files (hintsdb's temporary directories) and anything
 * else are left out; so is a name that is not printable ASCII (with a
 * warning, escaped), which Exim never gives a DB.  *names and each name are the caller's to free.
 * Returns 0, or -1 with errno if the directory cannot be read.
 */
int	spool_dbs(const char *spool, char ***names, size_t *n);
/* set: spool_dbs warns of no odd name (a listing before the command's) */
extern int spool_dbs_quiet;

/* Free what spool_dbs or spool_args returned. */
void	spool_dbs_free(char **names, size_t n);

/*
 * spool_args - the DBs for a command line of SPOOL [DBNAME...] (argc at
 * least 1): copies of the names given, each checked as Exim checks them,
 * else every DB in SPOOL/db (spool_dbs).  Prints its own diagnostics
 * under cmd.  Returns 0 with *names and *n, EX_USAGE_ for a bad name, or
 * EX_NODB when SPOOL/db cannot be read.
 */
int	spool_args(const char *cmd, int argc, char **argv, char ***names,
	    size_t *n);

#endif
