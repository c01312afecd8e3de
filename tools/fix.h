/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fix.h - the exim_fixdb command language, shared by `hintsdb fix` and
 * exim_fixdb (tools/cmd_fix.c; its record editors in tools/fix_edit.c).
 *
 * Lines are read from stdin (with a "> " prompt on a terminal, and always
 * when compat is set, as Exim does):
 *
 *	KEY			show the record, with field numbers
 *	KEY d			delete it
 *	KEY FIELD VALUE		change one field, then show the record
 *	d | FIELD VALUE		the same for the previous key
 *	q			quit (so does end of input)
 *
 * A key may be written in double quotes with C escapes (\", \\, \n, \t,
 * \xHH, \ooo) or in single quotes, so keys holding spaces or control bytes
 * can be named.  An edit that is refused changes nothing.  Every command
 * opens and closes the DB by Exim's lock protocol, so no lock is held while
 * waiting for input.
 */
#ifndef HDB_FIX_H
#define HDB_FIX_H

#include "common.h"

/*
 * fix_run - run the command language on spool/db/name.  compat selects
 * exim_fixdb's prompt and messages.  Returns an EX_* code (compat: 0 or 1).
 */
int	fix_run(const char *spool, const char *name, struct dbopts *o,
	    int compat);

#endif
