/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * format.h - output-format plumbing for commands with a --format option:
 * choosing the format, and JSON Lines output.
 */
#ifndef HDB_FORMAT_H
#define HDB_FORMAT_H

#include <stddef.h>

#include <jansson.h>

/*
 * format_pick - the index of arg in the NULL-terminated names, or -1
 * after "CMD: unknown format 'ARG' (NAME, NAME...)" on stderr.
 */
int	format_pick(const char *cmd, const char *arg,
	    const char *const *names);

/* json_line - o as one line on stdout (json_dumpf flags), then freed. */
void	json_line(json_t *o, size_t flags);

#endif
