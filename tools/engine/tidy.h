/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tidy.h - the tidy engine, shared by `hintsdb tidy` and exim_tidydb.
 *
 * tidy_db() makes Exim 4.96's exim_tidydb decisions for one hints DB
 * (formats doc §4.3), minus its mistakes (§4.5), without holding a lock
 * for the whole run: it scans in holds of at most max_lock_ms, each of
 * which locks, opens, scans on from where the last one stopped, makes its
 * changes, closes and unlocks.  Every change is decided from the record's
 * bytes under the write lock that makes it, so a record Exim refreshed
 * is kept.
 *
 *  - sweep (every DB but wait, in hintsdb's own mode, where the backend
 *    keeps the scan order over deletions): one pass, each hold
 *    deleting what it found due; memory is one hold's keys;
 *  - decide, then apply (wait DBs, GDBM and NDBM, exim_tidydb's mode): read
 *    holds collect the keys that need a change, then write holds apply
 *    them last first (Exim's order, which wait takeovers and Exim's output
 *    depend on), judging each record again; memory is those keys.
 *  - rebuild (Berkeley DB, GDBM, NDBM, and tdb with its lockfile: the
 *    backends Exim opens only under NAME.lockfile; not wait DBs, a dry
 *    run or exim_tidydb's mode), when it pays (tidy_rebuild_pays: a
 *    quarter of a sample of the records is due) or --compact asks: the
 *    records to keep are read in pieces and written to a new file,
 *    renamed over the DB under the lockfile as convert --in-place does
 *    (rebuild.h), and what Exim wrote meanwhile is carried over
 *    (catchup.h), a record tidy left out included (then counted as
 *    refreshed); memory is 8 bytes a record.  Should the new file fail
 *    to be written, the sweep runs instead.
 *
 * Output: per-change lines (verbose or compat) and diagnostics; the summary
 * is the caller's business (struct tidy_stats).
 */
#ifndef HDB_TIDY_H
#define HDB_TIDY_H

#include <stdint.h>

#include "common.h"
#include "exim.h"

enum tidy_reason {
	TR_TOO_OLD,
	TR_NO_MESSAGE,
	TR_EMPTY,
	TR_EXPIRED,
	TR_STALE_SESSION,	/* a session the given TLS library refuses */
	TR_NREASONS,
};

struct tidy_opts {
	int64_t		 maxage;	/* seconds; Exim's -t */
	int64_t		 now;		/* the clock for every rule */
	long		 max_lock_ms;	/* longest write-lock hold */
	int		 dry_run;	/* decide, change nothing */
	int		 verbose;	/* a line per change on stdout */
	int		 compat;	/* exim_tidydb's lines instead */
	/* --compact 1: rebuild even if it does not pay; --no-compact -1:
	 * never; 0: when it pays */
	int		 compact;
	const struct dbopts *dbo;	/* backend, layout, lock timeout */
	const char	*cmd;		/* for messages: "tidy" */
	const char	*match;		/* -v lines only for keys matching */
	/* --stale-sessions: delete the sessions this Exim's TLS library
	 * cannot resume (plan.h, session_dead); NULL: keep them */
	const struct exim_target *stale;
};

struct tidy_stats {
	char		 name[256];	/* DB name */
	uint64_t	 examined;
	uint64_t	 deleted[TR_NREASONS];
	uint64_t	 updated;
	uint64_t	 renamed;
	uint64_t	 corrupt;	/* kept and reported */
	uint64_t	 refreshed;	/* changed by Exim meanwhile: kept */
	uint64_t	 batches;	/* lock holds */
	double		 max_hold_ms;	/* longest write-lock hold */
	double		 read_hold_ms;	/* longest read-lock hold */
	uint64_t	 gaps;		/* pauses between holds */
	double		 gap_ms;	/* how long each pause was */
	double		 elapsed_ms;
	unsigned	 chains;	/* a TDB file's hash chains, else 0 */
	/* 1 rebuilt; -1 not, as Exim opens it without a lockfile; else 0 */
	int		 compacted;
	uint64_t	 size_before, size_after;	/* the file's bytes */
	int		 status;	/* EX_* for this DB */
	char		 error[1024];	/* what failed, when status says so */
};

/* Tidy spool/db/name; fills st and returns st->status. */
int	tidy_db(const char *spool, const char *name, const struct tidy_opts *,
	    struct tidy_stats *st);

/*
 * tidy_parse_age - Exim's -t syntax (duration.h): <digits><unit>...,
 * units w d h m s (and ms), added up ("7d", "2h30m").  A bare number, an
 * empty string or another unit is refused.  0 ok, -1 bad.
 */
int	tidy_parse_age(const char *s, int64_t *out);

/* Total deletions in st. */
uint64_t tidy_deleted(const struct tidy_stats *st);

#endif
