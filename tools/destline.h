/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * destline.h - a retry record in the words an admin acts on: "failing for
 * 2d3h (Connection refused); next try in 35m", shared by why's verdict
 * and failing's lines.  Everything from the record is escaped.
 */
#ifndef HDB_DESTLINE_H
#define HDB_DESTLINE_H

#include <stddef.h>
#include <stdint.h>

#include "rec/rec.h"

/* "now (at the next queue run)" or "in 35m (at the next queue run after
 * TIME)", TIME in UTC or local time. */
void	dest_next_try(char *buf, size_t len, const struct hdb_retry *,
	    int64_t now, int utc);

/* The last error: its text, escaped, else Exim's name of its errno
 * (caller frees). */
char   *dest_last_error(const struct hdb_retry *);

/*
 * dest_retry_line - "LABEL: failing for AGE (ERROR); next try ...[; past
 * the final cutoff]TAIL" for retry record k (LABEL: "host [ip]:port",
 * "domain (routing)", or the key), in a fresh string the caller frees.
 */
char   *dest_retry_line(const uint8_t *k, size_t kl, const struct hdb_retry *,
	    int64_t now, int utc, const char *tail);

/* SPOOL/input as a directory fd (not through a symlink), or -1. */
int	dest_input_open(const char *spool);
/* Whether message id[0..len) is in the input directory fd dir (or its
 * split subdirectory, named by the ID's sixth character); 0 if dir is
 * -1. */
int	dest_in_input(int dir, const uint8_t *id, size_t len);

#endif
