/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jout.h - the JSON emitter of recfmt.c, for the other formatters (the tls
 * session).  One description of an object serves two modes: with obj set,
 * members go into that jansson object (or array); with b set, compact
 * text goes straight into the buffer, byte for byte what json_dumpf(obj,
 * JSON_COMPACT) would print for the same calls.  A NULL or non-UTF-8
 * string leaves its member out in both modes, as jansson does.
 *
 * A NULL name adds an element to an array instead of a member.  Nested
 * values: hdb_jo_open(j, name, array, &sub), members into sub, then
 * hdb_jo_close(j, name, array, &sub), with nothing added to j between.
 */
#ifndef HDB_JOUT_H
#define HDB_JOUT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct obuf;

struct jout {
	json_t		*obj;		/* object mode */
	struct obuf	*b;		/* text mode: members appended here */
	int		 n;		/* members so far (text) */
};

void	hdb_jo_int(struct jout *, const char *name, int64_t);
void	hdb_jo_bool(struct jout *, const char *name, int);
void	hdb_jo_cstr(struct jout *, const char *name, const char *);
void	hdb_jo_strn(struct jout *, const char *name, const char *, size_t);
void	hdb_jo_open(struct jout *, const char *name, int array,
	    struct jout *sub);
void	hdb_jo_close(struct jout *, const char *name, int array,
	    struct jout *sub);

#endif
