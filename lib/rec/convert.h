/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * convert.h - write a new hints DB of a chosen backend and record layout,
 * record by record, and put it in place atomically (atomic.h).  Shared by
 * `hintsdb convert` (records from another DB) and `hintsdb import` (records
 * from an export file).
 *
 * What happens to one record (hdb_convert_rec):
 *  - target layout HDB_L_AUTO ("keep"), or the record already in the target
 *    layout: stored byte for byte, whether it decodes or not, except that
 *    the padding after a v2 record's one-byte BOOLs (tainted, retry's
 *    expired), which 4.100.1 leaves uninitialised, is written as zero;
 *  - otherwise decoded and encoded again in the target layout (padding
 *    bytes become zero, every field keeps its value; v2's tainted flag is
 *    lost going to legacy and 0 coming from it);
 *  - a record that cannot be decoded (or whose layout cannot be told) and
 *    would have to change layout cannot be converted: the writer refuses
 *    it, or with drop_bad skips it.
 *
 * Calling sequence:
 *
 *	w = hdb_writer_new(target, be, flags, type, layout, drop_bad, ...);
 *	hdb_writer_put(w, key, val, &why) for each record
 *	    (or hdb_convert_copy(w, src, report, ctx) for a whole DB);
 *	hdb_writer_commit(w, &original_stat_or_NULL, replace, ...);
 *	hdb_writer_free(w);	(abandons the new DB unless committed)
 *
 * Commit syncs and closes the new DB, opens it again and counts its records
 * against the number written, then renames it into place.  Nothing is
 * printed; errors come back as text.
 */
#ifndef HDB_CONVERT_H
#define HDB_CONVERT_H

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#include "db/hdb.h"
#include "rec/rec.h"

/* What hdb_convert_rec and hdb_writer_put did with a record. */
#define HDB_CONV_KEPT		0	/* stored byte for byte */
#define HDB_CONV_REENCODED	1	/* stored in the target layout */
#define HDB_CONV_DROPPED	2	/* not convertible; skipped (drop_bad) */
#define HDB_CONV_REFUSED	3	/* not convertible, or a duplicate key */

struct hdb_convert_stats {
	size_t		 kept;
	size_t		 reencoded;
	size_t		 dropped;
	size_t		 refused;
};

struct hdb_writer;

/*
 * hdb_convert_rec - the bytes to store for one record of DB type t in
 * layout to (HDB_L_AUTO: keep).  Returns HDB_CONV_KEPT (*out is val),
 * HDB_CONV_REENCODED (*out points into *buf, which is grown with realloc
 * as needed and is the caller's to free), or HDB_CONV_REFUSED with a static
 * reason in *why.
 */
int	hdb_convert_rec(enum hdb_dbtype t, enum hdb_layout to,
	    struct hdb_datum key, struct hdb_datum val, uint8_t **buf,
	    size_t *cap, struct hdb_datum *out, const char **why);

/*
 * hdb_writer_new - start a new DB that will become target (a path, without
 * NDBM's suffixes), with backend be; oflags may hold HDB_O_SQLITE_TBL,
 * HDB_O_SQLITE_XTEXT, HDB_O_LEAN, HDB_O_INORDER (below) and
 * HDB_O_BUCKETS; expect is about how many records will come, or 0
 * (hdb_create), or with HDB_O_BUCKETS the hash buckets to make.
 * Returns NULL with the reason in err.
 */
struct hdb_writer *hdb_writer_new(const char *target,
	    const struct hdb_backend *be, int oflags, enum hdb_dbtype t,
	    enum hdb_layout to, int drop_bad, size_t expect, char *err,
	    size_t errlen);

/*
 * hdb_writer_put - convert and store one record.  Returns HDB_CONV_KEPT,
 * HDB_CONV_REENCODED, HDB_CONV_DROPPED or HDB_CONV_REFUSED (with a static
 * reason in *why; a key already written is refused as a duplicate), or
 * HDB_ERR with the text in hdb_writer_error.
 */
int	hdb_writer_put(struct hdb_writer *, struct hdb_datum key,
	    struct hdb_datum val, const char **why);

/*
 * Called by hdb_convert_copy for every record dropped or refused; what is
 * HDB_CONV_DROPPED or HDB_CONV_REFUSED.
 */
typedef void (*hdb_convert_report_fn)(void *ctx, struct hdb_datum key,
	    int what, const char *why);

/*
 * hdb_convert_copy - every record of src through hdb_writer_put.  Goes on
 * after a refusal, so that every bad record is reported, and then returns
 * HDB_CONV_REFUSED; HDB_ERR on a read or write error (text in
 * hdb_writer_error); HDB_OK otherwise.
 */
int	hdb_convert_copy(struct hdb_writer *, struct hdb *src,
	    hdb_convert_report_fn report, void *ctx);

/*
 * hdb_writer_last_wins - from now on a key written again replaces the
 * copy before (a source read in pieces may hand a record over twice)
 * instead of being refused as a duplicate.  Called before the first put,
 * into SQLite, it also makes the puts a bulk (hdb_bulk_begin), written in
 * key order by hdb_writer_finish: the source may then come in any order
 * at the cost of an append each.  Stats count a key put twice once.
 */
void	hdb_writer_last_wins(struct hdb_writer *);

/*
 * With HDB_O_INORDER in the flags of hdb_writer_new, puts are held back,
 * up to 36 MiB, and then put in the order the backend fills its new file
 * in (hdb_put_order; a backend without one ignores the flag): a source in
 * key order (an export) then costs the backend no more than one in its
 * own.  A put returns as before, but a duplicate key is found only when
 * the records held are put: hdb_writer_report names a function told of
 * each (the writer's own put returns cannot), and hdb_writer_flush says
 * whether there was one.
 */
void	hdb_writer_report(struct hdb_writer *, hdb_convert_report_fn report,
	    void *ctx);

/*
 * hdb_writer_flush - put the records held back now.  HDB_OK,
 * HDB_CONV_REFUSED if a duplicate was refused (reported), or HDB_ERR
 * (hdb_writer_error).
 */
int	hdb_writer_flush(struct hdb_writer *);

/*
 * hdb_writer_finish - sync and close the new DB, open it again and count
 * its records against the keys written, and fsync its files; commit does
 * it if not done.
 * Returns 0, or -1 with the reason in err.
 */
int	hdb_writer_finish(struct hdb_writer *, char *err, size_t errlen);

/*
 * hdb_writer_commit - finish the new DB and put it in place of target (see
 * hdb_atomic_commit for like and replace).  Returns 0, or -1 with the
 * reason in err; hdb_writer_replaced tells whether the rename happened.
 */
int	hdb_writer_commit(struct hdb_writer *, const struct stat *like,
	    int replace, char *err, size_t errlen);
int	hdb_writer_replaced(const struct hdb_writer *);

const struct hdb_convert_stats *hdb_writer_stats(const struct hdb_writer *);
const char *hdb_writer_error(const struct hdb_writer *);
/* The bytes the last put stored; valid until the next put. */
struct hdb_datum hdb_writer_stored(const struct hdb_writer *);
/* The layout the writer stores (HDB_L_AUTO: each record's own). */
enum hdb_layout hdb_writer_layout(const struct hdb_writer *);
/* The new DB's backend, and where it is built (after finish: closed). */
const struct hdb_backend *hdb_writer_backend(const struct hdb_writer *);
const char *hdb_writer_path(const struct hdb_writer *);

/* Abandon (unless committed) and free; accepts NULL. */
void	hdb_writer_free(struct hdb_writer *);

/*
 * hdb_db_stat - lstat the file that carries the data of the DB at target
 * (target itself, else target.pag, else target.db).  0 or -1 with errno.
 */
int	hdb_db_stat(const char *target, struct stat *);

/*
 * hdb_sqlite_flags - HDB_O_SQLITE_TBL if the SQLite DB at path holds
 * Exim's 4.98 table tbl and no tblblob (with HDB_O_SQLITE_XTEXT if its
 * keys are 4.99.0's xtext), else 0: the flags that make a new file keep
 * the schema and key encoding of path.
 */
int	hdb_sqlite_flags(const char *path);

/* The ABI the record layouts belong to, e.g. "x86_64-lp64-le". */
const char *hdb_abi(void);

#endif
