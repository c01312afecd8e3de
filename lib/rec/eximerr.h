/* SPDX-License-Identifier: GPL-2.0-or-later */
/* eximerr.h - names of errno values stored in retry records. */
#ifndef HDB_EXIMERR_H
#define HDB_EXIMERR_H

/* "ECONNREFUSED", "ERRNO_SMTPCLOSED", "none" for 0, "unknown" otherwise. */
const char *hdb_errno_name(int);

#endif
