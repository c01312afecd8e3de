/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rebuild.h - what `convert` and `import` share: write a whole new hints DB
 * with lib/rec/convert.h and put it in place of SPOOL/db/NAME (under Exim's
 * write lock) or at a new path.  Prints its own diagnostics.
 *
 *	rebuild_begin(&rb, ...);	lock, sweep leftovers, start the new DB
 *	... hdb_writer_put(rb.w, ...) or hdb_convert_copy(rb.w, ...) ...
 *	rebuild_commit(&rb);		verify the count, fsync, rename
 *	rebuild_end(&rb);		abandon if not committed, unlock
 *
 * Both commands also share their command line: rebuild_args parses the
 * options below and SPOOL DBNAME, and rebuild_spec_init turns them into
 * the new DB's spec.
 */
#ifndef HDB_REBUILD_H
#define HDB_REBUILD_H

#include <limits.h>
#include <stdio.h>

#include "common.h"
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

/* rebuild_commit - finish and rename into place; 0 or an EX_* code. */
int	rebuild_commit(struct rebuild *);

/* Abandon the new DB unless committed, and drop the lock. */
void	rebuild_end(struct rebuild *);

/* Report a dropped or refused record (hdb_convert_report_fn). */
void	rebuild_report(void *cmd, struct hdb_datum key, int what,
	    const char *why);

/* The message for a lock failure; returns EX_LOCKED or EX_IOERR_. */
int	rebuild_lock_error(const char *cmd, const char *lockpath, int write);

#endif
