/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * slurp.h - copy every record of an open DB into memory, so the lock can be
 * dropped before any formatting: the lock is then held only for the time a
 * bare cursor scan takes, and Exim's delivery processes are not kept
 * waiting on our output.  Memory is the keys and values (keys only with
 * keys_only) plus a 16-byte index entry (struct slurp_rec) a record, each
 * in 2 MiB steps (a stream: about limit bytes); slurp_sort adds two 16-byte sort entries a record (32
 * bytes) while it runs and frees them before it returns.  (Sizes on
 * 64-bit hosts.)
 */
#ifndef HDB_SLURP_H
#define HDB_SLURP_H

#include <stddef.h>
#include <stdint.h>

#include "db/hdb.h"

struct slurp_rec {
	size_t		 off;		/* key at off, value right after */
	uint32_t	 klen;
	uint32_t	 vlen;
};

struct slurp {
	uint8_t		*buf;
	size_t		 used, cap;
	struct slurp_rec *recs;
	size_t		 n, ncap;
	int		 keys_only;
	size_t		 limit;		/* stream: a batch's bytes, or 0 */
	uint64_t	*seen;		/* stream: hashes of the keys passed on */
	size_t		 nseen, seencap;
	int		 seen_sorted;
	/* stream: called just before seen is first sorted, which moves its
	 * hashes (a caller that marks them by place must take the marks) */
	void		(*before_sort)(void *, struct slurp *);
	void		*sort_ctx;
	int		 plain;		/* slurp_plain_pages */
	int		 changed;	/* stream: the DB changed during it */
};

/* Read every record of h (keys only if keys_only); HDB_OK or HDB_ERR. */
int	slurp_read(struct slurp *, struct hdb *, int keys_only);
/* Or by hand: an empty slurp sized for the DB file at path (NULL: from
 * 2 MiB up), then
 * slurp_add as the iterate callback (-1 for a record over 4 GiB). */
void	slurp_init(struct slurp *, const char *path, int keys_only);
int	slurp_add(void *slurp, struct hdb_datum key, struct hdb_datum val);
/* Sort by key bytes. */
void	slurp_sort(struct slurp *);
/* Keep only the last copy read of each key, in the order read (12 bytes
 * a record while it runs). */
void	slurp_dedupe(struct slurp *);
void	slurp_free(struct slurp *);
/* Stream (db_slurp_stream): forget the batch, keeping the memory. */
void	slurp_empty(struct slurp *);
/*
 * Stream: the batch's memory in plain pages, not huge ones: a batch of a
 * few MB used again and again gains nothing from them, and a huge page
 * half filled is all resident.
 */
void	slurp_plain_pages(struct slurp *);
/*
 * Stream: remember the batch's keys (8 bytes a key), and if changed, drop
 * each record whose key an earlier record or batch had.  Keys are told
 * apart by a 64-bit hash.
 */
void	slurp_stream_dedupe(struct slurp *, int changed);

static inline const uint8_t *
slurp_key(const struct slurp *s, size_t i)
{
	return s->buf + s->recs[i].off;
}

static inline const uint8_t *
slurp_val(const struct slurp *s, size_t i)
{
	return s->buf + s->recs[i].off + s->recs[i].klen;
}

#endif
