/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rebuild.h - what `convert`, `import` and `upgrade` share: write a whole
 * new hints DB with lib/rec/convert.h and put it in place of SPOOL/db/NAME
 * or at a new path.  Prints its own diagnostics.
 *
 *	rebuild_begin(&rb, ...);	lock, sweep leftovers, start the new DB
 *	... rebuild_put(&rb, ...) or hdb_convert_copy(rb.w, ...) ...
 *	rebuild_commit(&rb);		verify the count, fsync, rename
 *	rebuild_end(&rb);		abandon if not committed, unlock
 *
 * In place, Exim's write lock is held from begin to end, unless the spec
 * says live: then the new DB is built without it, the lock is held only
 * for the rename, and what Exim wrote to the old DB meanwhile is carried
 * over after it (catchup.h).  The writes of the build must then go
 * through rebuild_put, which remembers their keys.  Live, a DB that Exim
 * opens without a lockfile (SQLite; tdb, from 4.99) is not renamed over
 * when the new one has its backend (and SQLite schema): the new one is
 * written into it in short holds instead (catchup_into), so that no Exim
 * is left holding a file moved away.
 *
 * Both commands also share their command line: rebuild_args parses the
 * options below and SPOOL DBNAME, and rebuild_spec_init turns them into
 * the new DB's spec.
 */
#ifndef HDB_REBUILD_H
#define HDB_REBUILD_H

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>

#include "common.h"
#include "engine/catchup.h"
#include "engine/pieces.h"
#include "rec/convert.h"
#include "db/hdb.h"
#include "rec/rec.h"

struct command;
struct option;

/* The options of convert and import; rebuild_opts_init sets defaults. */
struct rebuild_opts {
	struct dbopts	 db;		/* --backend, --layout, --lock-timeout */
	int		 layout_set;	/* --layout was given */
	int		 drop_bad;
	int		 no_drop;	/* --no-drop-privileges */
	int		 schema;	/* -1 unset, else 0 or HDB_O_SQLITE_TBL */
	int		 verbose;
	int		 all;		/* --all: SPOOL alone (convert) */
};

/* Ids of the shared long options; a command numbers its own after. */
enum {
	OPT_DROP_BAD = OPT_FIRST_FREE,
	OPT_NO_DROP,
	OPT_SQLITE_SCHEMA,
	OPT_REBUILD_FREE,
};

/*
 * A command's own options for rebuild_args: 0 if taken, 1 if ch is not
 * one of them (usage follows), or an exit code after printing why.
 */
typedef int rebuild_opt_fn(void *ctx, int ch, const char *arg);

struct rebuild {
	const char	*cmd;		/* for messages */
	const char	*spool;		/* NULL for --output */
	char		 target[PATH_MAX];
	char		 lockpath[PATH_MAX];
	int		 lockfd;
	int		 replace;	/* in place: the DB may exist */
	int		 live;		/* locked only for the rename */
	int		 from_old;	/* live: the build reads the old DB */
	long		 lock_timeout_ms;
	int64_t		 t0;		/* live: the build began */
	struct keyset	 written;	/* live: the keys the build wrote */
	struct keyset	 before;	/* live, !from_old: the old DB's keys */
	struct keyset	 copies;	/* live: records stamped from t0 on */
	struct catchup	 cu;		/* live: what the catch-up did */
	int		 no_lockfile;	/* rebuild_spec's */
	int		 oflags;	/* rebuild_spec's */
	int		 into;		/* live: written into the old file */
	int		 rename;	/* rebuild_spec's */
	struct db_file	 note;		/* live, from_old: the old file at t0 */
	int		 quiet;		/* nobody wrote it since: no catch-up */
	double		 t_locked;	/* live: the rename's hold began */
	double		 swap_ms;	/* live: the rename's write-lock hold, ms */
	struct stat	 made;		/* live: the new DB, once renamed */
	double		 budget_ms;	/* live: the catch-up's holds; 0: 100 */
	int		 own_written;	/* rebuild_spec's */
	struct hdb_writer *w;
};

struct rebuild_spec {
	const struct hdb_backend *be;	/* of the new DB */
	int		 oflags;	/* HDB_O_SQLITE_TBL */
	enum hdb_dbtype	 type;
	enum hdb_layout	 layout;	/* HDB_L_AUTO: keep each record's */
	int		 drop_bad;
	long		 lock_timeout_ms;
	size_t		 expect;	/* records coming; 0: guess from the DB */
	int		 live;		/* in place: lock only for the rename */
	int		 from_old;	/* live: the build reads the old DB */
	int		 inorder;	/* put in the new file's order (convert.h) */
	/*
	 * live: the rename takes NAME.lockfile only if it is there (Exim
	 * uses none for SQLite, and tidy makes none); else, as Exim would,
	 * the lockfile is made
	 */
	int		 no_lockfile;
	/*
	 * live: rename even where Exim may open the DB without a lockfile
	 * (tidy on a tdb file whose lockfile is there: Exim up to 4.98)
	 */
	int		 rename;
	/*
	 * live, from_old: the caller hands over the keys the build wrote
	 * with rebuild_set_written, after the build, rather than rebuild_put
	 * gathering them (tidy: from the read's own hashes, so that they are
	 * not kept twice)
	 */
	int		 own_written;
};

void	rebuild_opts_init(struct rebuild_opts *);

/* About how many records the DB file at path holds, from its size; 0. */
size_t	rebuild_guess(const char *path);

/*
 * rebuild_args - parse cmd's command line: -v and the shared options into
 * o, any other through own (may be NULL), then exactly SPOOL DBNAME, left
 * at argv[optind].  Returns 0; -1 after --help; or an exit code with the
 * usage or a message printed.
 */
int	rebuild_args(struct rebuild_opts *o, int argc, char **argv,
	    const struct option *longopts, const struct command *cmd,
	    rebuild_opt_fn *own, void *ctx);

/*
 * rebuild_spec_init - the new DB of name as the options ask: --backend
 * (NULL: for the caller to choose), --layout, --drop-bad, --lock-timeout.
 */
void	rebuild_spec_init(struct rebuild_spec *, const struct rebuild_opts *,
	    const char *name);

/*
 * rebuild_begin - for SPOOL/db/NAME (spool not NULL: take Exim's write lock,
 * creating the lockfile as Exim would, and replace the DB) or for the new
 * file path (spool NULL: no lock; refuses a path that exists).  Returns 0
 * or an EX_* code.
 */
int	rebuild_begin(struct rebuild *, const char *cmd, const char *spool,
	    const char *name_or_path, const struct rebuild_spec *);

/*
 * rebuild_put - hdb_writer_put, remembering the key of a live rebuild;
 * the same returns.
 */
int	rebuild_put(struct rebuild *, struct hdb_datum key,
	    struct hdb_datum val, const char **why);

/*
 * rebuild_set_written - with own_written: the keys the build wrote, as
 * keyset_add hashes them (any order; a key may come twice), in memory
 * from malloc that rb takes over.
 */
void	rebuild_set_written(struct rebuild *, uint64_t *h, size_t n,
	    size_t cap);

/*
 * rebuild_commit - finish and rename into place, then, live, catch up;
 * 0 or an EX_* code.
 */
int	rebuild_commit(struct rebuild *);

/* -v: what a live rebuild carried over from Exim (catchup.h). */
void	rebuild_print_catchup(const struct rebuild *);

/* Abandon the new DB unless committed, and drop the lock. */
void	rebuild_end(struct rebuild *);

/* Report a dropped or refused record (hdb_convert_report_fn). */
void	rebuild_report(void *cmd, struct hdb_datum key, int what,
	    const char *why);

/* The message for a lock failure; returns EX_LOCKED or EX_IOERR_. */
int	rebuild_lock_error(const char *cmd, const char *lockpath, int write);

#endif
