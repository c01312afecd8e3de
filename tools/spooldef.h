/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spooldef.h - the spool when the command line leaves it out (hintsdb(8),
 * "Leaving out SPOOL"): the directory `exim -bP spool_directory` names, of
 * an Exim found in a fixed, root-owned place (never through PATH), else
 * /var/spool/exim4.
 */
#ifndef HDB_SPOOLDEF_H
#define HDB_SPOOLDEF_H

#include <stddef.h>

/* spool_default - the spool into buf: 0, or -1 with the reason in why */
int	spool_default(char *buf, size_t len, char *why, size_t wlen);

#endif
