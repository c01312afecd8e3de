/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jout.h - the JSON writer (jout.c) the record and the tls session
 * formatters share; a helper at the top of lib/, as lib/tls must not use
 * lib/rec.  One description of an object serves two modes: with obj set,
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
/* An epoch time, and beside it "<name>_utc": the time in ISO 8601 UTC
 * (left out for a time outside years 0-9999). */
void	hdb_jo_time(struct jout *, const char *name, int64_t);
void	hdb_jo_bool(struct jout *, const char *name, int);
/* A number as jansson prints it (JSON_REAL_PRECISION). */
void	hdb_jo_real(struct jout *, const char *name, double);
void	hdb_jo_cstr(struct jout *, const char *name, const char *);
void	hdb_jo_strn(struct jout *, const char *name, const char *, size_t);
/* A string from a record: as it is if UTF-8, else escaped (hdb_vis). */
void	hdb_jo_str(struct jout *, const char *name, const uint8_t *, size_t);
/* Base64 of the bytes. */
void	hdb_jo_b64(struct jout *, const char *name, const uint8_t *, size_t);
void	hdb_jo_open(struct jout *, const char *name, int array,
	    struct jout *sub);
void	hdb_jo_close(struct jout *, const char *name, int array,
	    struct jout *sub);

/* 1 if s[0..len) is UTF-8 as jansson takes it: no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
int	hdb_utf8_ok(const uint8_t *s, size_t len);

#endif
