/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * secret_out.h - where output that holds secrets goes: a new file that
 * only its owner can read, and a warning when standard output is a
 * terminal or a file others can read.
 */
#ifndef HDB_SECRET_OUT_H
#define HDB_SECRET_OUT_H

/*
 * secret_output - make path (O_CREAT|O_EXCL, never following a symlink;
 * below SPOOL/db through its pinned fd) with mode 0600 whatever the
 * umask, and make it standard output.  Returns 0, or an EX_* code after
 * printing why (EX_USAGE_ if it exists).
 */
int	secret_output(const char *path, const char *cmd);

/* secret_output_abandon - remove the file after a failed run. */
void	secret_output_abandon(const char *path);

/*
 * secret_warn - warn (once) if standard output, about to receive what,
 * is a terminal or a file that group or others may read.
 */
void	secret_warn(const char *cmd, const char *what);

#endif
