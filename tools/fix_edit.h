/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fix_edit.h - the record editors of the fix command language (fix.h):
 * one field of a decoded record changed from the text typed, as Exim
 * 4.96's exim_fixdb does, minus its mistakes (tools/cmd_fix.c says which).
 */
#ifndef HDB_FIX_EDIT_H
#define HDB_FIX_EDIT_H

#include <stdint.h>

#include "rec/rec.h"

/* What an edit did: write the record back, refused (nothing changes,
 * a finding), nothing to show, or shown but nothing to write. */
enum { E_WRITE, E_REFUSED, E_QUIET, E_NOWRITE };

/*
 * fix_edit - set field number field of r (decoded from val, which it
 * points into) to value; now is for times given in part.  Prints Exim's
 * complaint on stdout when refused.  Returns one of E_*.
 */
int	fix_edit(struct hdb_rec *r, uint8_t *val, int field, const char *value,
	    int64_t now);

#endif
