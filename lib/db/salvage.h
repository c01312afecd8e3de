/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * salvage.h - get every record that can still be read out of a damaged
 * hints DB, for `hintsdb check --repair`.
 *
 * A normal iteration stops at the first broken page or chain.  Salvage
 * goes further, the way each library allows:
 *  - Berkeley DB: a walk over every page of the file that holds data
 *    (holes skipped), as db_dump -r does (not the hash chains), reading
 *    the items of each hash or btree leaf page and following overflow
 *    chains, each overflow page at most once per salvage;
 *  - tdb: tdb_rescue, which scans the whole file for records;
 *  - GDBM, NDBM, SQLite: the normal iteration, keeping what it returned
 *    before an error.
 * The same key may come more than once (a page referenced twice); the
 * caller dedupes.  Library code: nothing printed.
 */
#ifndef HDB_SALVAGE_H
#define HDB_SALVAGE_H

#include <stddef.h>

#include "db/hdb.h"

/*
 * hdb_salvage - call fn(ctx, key, val) for every record found in the DB
 * at path (backend be; below SPOOL/db through the pinned fd, pin.h).  The
 * datums are valid during the call only.  fn returning nonzero stops.
 * Returns HDB_OK (even if some of the file could not be read: what could
 * not be read is simply not passed on), or HDB_ERR with the reason in err
 * if the file could not be read at all.
 */
int	hdb_salvage(const struct hdb_backend *be, const char *path,
	    hdb_iter_fn fn, void *ctx, char *err, size_t errlen);

/*
 * hdb_bdb_check - before libdb 5.3 walks a hash file with a cursor or
 * looks a key up: check, in one sequential pass, every structure its
 * hash code trusts (item offsets and lengths, page links, overflow
 * chains, the bucket table), since it reads past its page buffer or
 * loops on damaged ones; and a file whose size its data does not fill
 * (more holes than data: libdb never leaves that many).  The holes are
 * not read, so the work follows the bytes the file holds, not the size
 * it claims.  fd is the open file.  Returns HDB_OK, or
 * HDB_ERR with "page N: what" in err (errno EIO: damage, else the read's
 * own).  A btree file is not checked.
 */
int	hdb_bdb_check(int fd, char *err, size_t errlen);

#endif
