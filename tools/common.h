/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * common.h - what every command shares: opening a hints DB by Exim's lock
 * protocol, and the options that mean the same everywhere.
 */
#ifndef HDB_COMMON_H
#define HDB_COMMON_H

#include <sys/types.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "db/hdb.h"
#include "rec/rec.h"

/* Long-option ids shared by commands (above any short option). */
enum {
	OPT_BACKEND = 256,
	OPT_FILE,
	OPT_FORMAT,
	OPT_HELP,
	OPT_LAYOUT,
	OPT_LOCK_TIMEOUT,
	OPT_NOW,
	OPT_SHOW_SECRETS,
	OPT_TYPE,
	OPT_UNSORTED,
	OPT_FIRST_FREE,		/* commands number their own from here */
};

struct dbopts {
	const struct hdb_backend *backend;	/* NULL: detect */
	enum hdb_layout	 layout;
	long		 lock_timeout_ms;
	int64_t		 now;
	int		 utc;
	const char	*file;		/* --file: a DB outside a spool */
	enum hdb_dbtype	 type;		/* --type, with --file */
	int		 compat;	/* called as exim_*: Exim's messages */
	int		 quiet;		/* -q: a busy lock (75) is not reported */
	int		 exim_version;	/* compat: whose (HDB_EXIM_*; eximver.h) */
};

/* A handle kept open between two lock holds (db_park). */
struct dbpark {
	struct hdb	*h;
	int		 write;
	dev_t		 dev;
	ino_t		 ino;
};

/* An open DB with its lock, closed by db_close in the right order. */
struct dbh {
	struct hdb	*h;
	int		 lockfd;
	enum hdb_dbtype	 type;
	const char	*name;		/* DB name, e.g. "retry" */
	char		 path[PATH_MAX];
	char		 lockpath[PATH_MAX];
	double		 t_lock;	/* hdb_now_ms() when locked */
	struct dbpark	 park;
};

void	dbopts_init(struct dbopts *);

/*
 * Parse one shared option into o; returns 0 if taken, -1 after printing a
 * usage error, 1 if opt is not a shared option.
 */
int	dbopts_parse(struct dbopts *o, int opt, const char *arg, const char *cmd);

/*
 * db_open - lock and open spool/db/name (or o->file) for reading or
 * writing.  Prints its own diagnostic and returns an EX_* code; 0 on
 * success.  A reader takes a read lock and never creates a file: when the
 * lockfile is missing it reads without one (nothing that follows Exim's
 * protocol can be writing without creating it first... it says so with -v).
 */
int	db_open(struct dbh *d, const char *spool, const char *name, int write,
	    const struct dbopts *o, const char *cmd);
/* db_error - the message (after "hintsdb: ") of db_open's last failure,
 * said or not: for output that shows each DB's error too. */
const char *db_error(void);

/* db_close also closes a parked handle. */
void	db_close(struct dbh *d);

/*
 * db_park - end a hold: drop the lock, but where the backend allows it
 * (HDB_CAP_STAYS_OPEN: TDB) keep the handle open, so that db_reopen of
 * the next hold takes it up instead of mapping a big file afresh and
 * faulting its pages in again.  db_reopen is db_open of a parked d: it
 * takes the handle up if, under the new lock, the path still names the
 * same file and the hold opens it the same way; else it opens anew.
 */
void	db_park(struct dbh *d);
int	db_reopen(struct dbh *d, const char *spool, const char *name,
	    int write, const struct dbopts *o, const char *cmd);

/*
 * Check the DB name as Exim does, and that it is printable ASCII with no
 * space or slash (so it can be printed as it is everywhere); prints the
 * error, escaped.
 */
int	db_name_ok(const char *name, const char *cmd);

/* 1 if name is printable ASCII without space or slash. */
int	db_name_plain(const char *name);
/* A library's open failure text without its own "cannot open 'PATH': "
 * prefix, for a message that names the file already. */
const char *open_reason(const char *why);

/*
 * A repeated --match or --peer selects the union: its GLOBs are kept in
 * one string, apart by GLOBS_SEP (a byte no command line glob holds), so
 * that one GLOB is the string it always was.  globs_add adds g to *list
 * (the first is kept as given); globs_match: whether text matches one of
 * them; globs_each calls fn on each until it returns 1; globs_vis: the
 * list for a message quoted as '%s', "a' or 'b", escaped (free it).
 */
#define GLOBS_SEP	'\x1f'
void	globs_add(const char **list, const char *g);
int	globs_match(const char *list, const char *text);
int	globs_each(const char *list, int (*fn)(const char *glob, void *arg),
	    void *arg);
char	*globs_vis(const char *list);

/* pl - "s" unless n is 1: "%zu record%s", n, pl(n) */
const char *pl(unsigned long long n);

/* ex_worse - of two exit codes, the one to report: an error above damage
 * (EX_FINDINGS), damage above nothing found (EX_NOTFOUND). */
int	ex_worse(int a, int b);

/* Flush stdout and report a write error: returns EX_IOERR_ or 0. */
int	finish_stdout(const char *cmd);

/* The clock: --now if given, else time(). */
int64_t	clock_now(const struct dbopts *);

/* Parse "--format" values against a NULL-terminated list; index or -1. */
int	pick(const char *arg, const char *const *names);

extern const char *const format_names[];	/* text, json, exim */

/*
 * Sync a DB opened for writing (db_sync), then db_close it; prints the
 * error and returns EX_IOERR_ if the changes could not be written, else 0.
 */
int	db_sync(struct dbh *d, const char *cmd);
int	db_close_sync(struct dbh *d, const char *cmd);

/*
 * db_copy_room - whether a copy of the DB at path (below the pinned
 * SPOOL/db) leaves a tenth of its file system free, and as much again as
 * the copy: a full spool makes Exim refuse mail, and a check or a repair
 * is never worth that.
 */
int	db_copy_room(const char *path);

#endif
