/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dump.h - the dump engine, shared by `hintsdb dump` and exim_dumpdb. */
#ifndef HDB_DUMP_H
#define HDB_DUMP_H

#include "common.h"
#include "rec/recfmt.h"

enum { DUMP_TEXT, DUMP_JSON, DUMP_EXIM };

struct dump_ctx {
	const char	*cmd;		/* for messages */
	int		 format;	/* DUMP_* */
	int		 keys_only;
	int		 sorted;
	enum hdb_dbtype	 type;
	enum hdb_layout	 layout;
	struct hdb_fmtopts fo;
	const char	*match;		/* --match: a glob on the key text */
	const char	*peer;		/* --peer: a glob on a tls peer's names */
	char	       **keys;		/* KEY...: just these (as printed) */
	int		 nkeys;
	long		 max_lock_ms;	/* a read hold's budget; 0: 100 */
	int		 all;		/* --all: nothing found is said once */
};

/* Dump spool/db/name (or o->file); returns an EX_* code. */
int	dump_run(const char *spool, const char *name, const struct dbopts *,
	    struct dump_ctx *);
int	dump_key_glob(const char *glob, const uint8_t *key, size_t klen);
/* Whether the tls record k, v names a peer (CN, SAN, SNI) that glob
 * matches, case ignored; a record that cannot be decoded never does. */
int	dump_tls_peer(const char *glob, enum hdb_layout, const uint8_t *k,
	    size_t kl, const uint8_t *v, size_t vl);
/* " peer=... sni=..." of a tls record (hdb_tls_peer_text), into buf;
 * "" when the record cannot be decoded or names no peer. */
void	dump_tls_peer_text(char *buf, size_t len, const uint8_t *k, size_t kl,
	    const uint8_t *v, size_t vl);
void	dump_report_bad(const struct dump_ctx *, const uint8_t *, size_t,
	    const uint8_t *, size_t, const char *);

/* Records the last read left out for the size cap, said; 1 if any. */
int	oversize_report(const char *cmd, const char *db);

#endif
