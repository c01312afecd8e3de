/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tidy.h - the tidy engine, shared by `hintsdb tidy` and exim_tidydb.
 *
 * tidy_db() makes Exim 4.96's exim_tidydb decisions for one hints DB
 * (formats doc §4.3), minus its mistakes (§4.5), without holding the write
 * lock for the whole run:
 *
 *  1. decide: under a read lock, scan every record once and keep the keys
 *     that need a change (and the corrupt ones to report) in a list;
 *  2. apply: walk that list in reverse scan order (Exim's order) in batches,
 *     each under a write lock held at most max_lock_ms; every record is read
 *     again and judged again under the write lock before it is deleted or
 *     rewritten, so one that Exim refreshed in between is kept.
 *
 * Memory is the candidate list plus one batch of output, never the DB.
 * Output: per-change lines (verbose or compat) and diagnostics; the summary
 * is the caller's business (struct tidy_stats).
 */
#ifndef HDB_TIDY_H
#define HDB_TIDY_H

#include <stdint.h>

#include "common.h"

enum tidy_reason {
	TR_TOO_OLD,
	TR_NO_MESSAGE,
	TR_EMPTY,
	TR_EXPIRED,
	TR_NREASONS,
};

struct tidy_opts {
	int64_t		 maxage;	/* seconds; Exim's -t */
	int64_t		 now;		/* the clock for every rule */
	long		 max_lock_ms;	/* longest write-lock hold */
	int		 dry_run;	/* decide, change nothing */
	int		 verbose;	/* a line per change on stdout */
	int		 compat;	/* exim_tidydb's lines instead */
	const struct dbopts *dbo;	/* backend, layout, lock timeout */
	const char	*cmd;		/* for messages: "tidy" */
};

struct tidy_stats {
	char		 name[256];	/* DB name */
	uint64_t	 examined;
	uint64_t	 deleted[TR_NREASONS];
	uint64_t	 updated;
	uint64_t	 renamed;
	uint64_t	 corrupt;	/* kept and reported */
	uint64_t	 refreshed;	/* changed by Exim meanwhile: kept */
	uint64_t	 batches;	/* write-lock holds */
	double		 max_hold_ms;	/* longest write-lock hold */
	double		 read_hold_ms;	/* the decide scan's read lock */
	double		 elapsed_ms;
	int		 status;	/* EX_* for this DB */
	char		 error[512];	/* what failed, when status says so */
};

/* Tidy spool/db/name; fills st and returns st->status. */
int	tidy_db(const char *spool, const char *name, const struct tidy_opts *,
	    struct tidy_stats *st);

/*
 * tidy_parse_age - Exim's -t syntax: one or more <digits><unit>, units
 * w d h m s, added up ("7d", "2h30m", "1w2d3h4m5s").  A bare number, an
 * empty string or another unit is refused.  0 ok, -1 bad.
 */
int	tidy_parse_age(const char *s, int64_t *out);

/* Total deletions in st. */
uint64_t tidy_deleted(const struct tidy_stats *st);

#endif
