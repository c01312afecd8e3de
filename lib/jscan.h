/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * jscan.h - a quick look at one line of JSON for the members a bulk reader
 * needs (import: "key", "key_b64", "raw"), without building the object.
 *
 * It accepts only a plain subset of JSON, and only what jansson would
 * accept too: a top-level object whose values are strings, integers of at
 * most 18 digits, true, false, null, or objects and arrays of those, with
 * every string printable ASCII whose escapes are the simple ones or a
 * \uXXXX outside the surrogates and not NUL.  The members wanted must be
 * strings without escapes, each given at most once, and no member name
 * at the top may hold an escape.  Anything else (a
 * real number, UTF-8, a surrogate pair, a duplicate, an error) makes it
 * answer 0, and the caller then asks jansson, which decides and explains.
 * As json_loadb with JSON_DISABLE_EOF_CHECK, what follows the object's
 * closing brace is not looked at.
 */
#ifndef HDB_JSCAN_H
#define HDB_JSCAN_H

#include <stddef.h>

struct jscan_want {
	const char	*name;	/* member wanted */
	const char	*val;	/* out: points into the line, or NULL */
	size_t		 len;	/* out: its length */
};

/*
 * jscan_members - look at s[0..n) for the nwant members of want (at most
 * eight).
 * Returns 1 with each found one's val and len set (the others NULL), or 0:
 * ask jansson.
 */
int	jscan_members(const char *s, size_t n, struct jscan_want *want,
	    size_t nwant);

#endif
