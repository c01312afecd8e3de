/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xsort.h - every record of a DB in key order, in memory bounded by a
 * batch, not by the DB: for a sorted dump and for export.
 *
 * The read is db_slurp_stream's (pieces.h): short read-lock holds, each
 * ending once a batch of about `batch` bytes is buffered.  Between two
 * holds, with no lock held, the batch is filtered (keep), sorted and, if
 * the DB turns out not to fit in one batch, written as a sorted run to a
 * spill file; the output is then a merge of the runs.  A DB that fits in
 * one batch never touches the disk.
 *
 * The spill file is made in $TMPDIR (else /tmp) with O_TMPFILE, mode
 * 0600: it has no name, so nothing is left behind however the process
 * ends, SIGKILL included.  Where O_TMPFILE is not supported it is made
 * with mkstemp and unlinked at once, which leaves a name for an instant.
 * Its size is the records' keys and values plus 8 bytes a record.
 *
 * Memory: the batch (with slurp_sort's 32 bytes a record while a batch
 * sorts), then the merge's read buffers (XSORT_MERGE_MEM in all) and one
 * record.  Runs beyond XSORT_WAY are merged in groups first, so that
 * holds whatever the number of records.
 *
 * A key read twice, which needs the DB to change during the read, comes
 * out once: its last copy read, as db_slurp's slurp_dedupe keeps.
 */
#ifndef HDB_XSORT_H
#define HDB_XSORT_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "engine/slurp.h"

#define XSORT_WAY	64		/* runs merged at once */
#define XSORT_MERGE_MEM	((size_t)4 << 20)	/* their read buffers */

/* A record the caller keeps (1) or drops (0); called unlocked. */
typedef int	(*xsort_keep_fn)(void *ctx, const uint8_t *k, size_t kl,
		    const uint8_t *v, size_t vl);
/* A record in key order; nonzero stops xsort_each with that value. */
typedef int	(*xsort_fn)(void *ctx, const uint8_t *k, size_t kl,
		    const uint8_t *v, size_t vl);

struct xrun {
	uint64_t	 off, len;	/* bytes of the spill file */
};

struct xsort {
	struct slurp	 s;		/* the batch; all of it if no runs */
	int		 fd;		/* the spill file, or -1 */
	struct xrun	*runs;
	size_t		 nruns, runcap;
	uint64_t	 size;		/* the spill file's bytes */
	uint64_t	 n;		/* records kept (a repeated key: each) */
	int		 inexact;	/* a key may have come twice: n may
					 * count it twice */
	int		 err;		/* errno of a failed spill, or 0 */
	const char	*cmd;
	xsort_keep_fn	 keep;
	void		*ctx;
	uint8_t		*wbuf;		/* spill writes */
	size_t		 wlen;
};

/*
 * xsort_read - read the DB open in d (db_open) as db_slurp_stream does
 * (flags: SCAN_KEYS for the keys only), keeping what keep (may be NULL)
 * keeps.  d is closed when it returns.  0, or an EX_* code after a
 * diagnostic; xsort_free is due either way.
 */
int	xsort_read(struct xsort *, struct dbh *d, const char *spool,
	    const struct dbopts *o, const char *cmd, double budget_ms,
	    unsigned flags, size_t batch, xsort_keep_fn keep, void *ctx);

/*
 * xsort_read_held - the same, but all of it in the one hold that the
 * db_open of d began (an exact copy: export), where nothing is done but
 * copying: the first batch stays in memory; once the DB proves bigger, it
 * and every record after it go to the spill file as read, and are sorted
 * into runs, a batch at a time, after the lock is dropped.  The spill file
 * then holds the records twice for a while (the raw part is given back as
 * it is sorted).  d is closed when it returns.  0, or an EX_* code after a
 * diagnostic; xsort_free is due either way.
 */
int	xsort_read_held(struct xsort *, struct dbh *d, const char *cmd,
	    int flags, size_t batch, xsort_keep_fn keep, void *ctx);

/*
 * xsort_each - fn for each key kept, in key order (memcmp, shorter
 * first), once.  The record is valid during the call only.  May be called
 * again.  0, fn's nonzero value, or EX_IOERR_ after a diagnostic.
 */
int	xsort_each(struct xsort *, xsort_fn fn, void *ctx);

void	xsort_free(struct xsort *);

#endif
