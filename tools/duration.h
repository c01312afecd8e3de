/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * duration.h - the one parser for every time span on a command line:
 * --lock-timeout, --max-lock-ms, tidy's -t and whatever comes next.
 *
 * A duration is one or more <digits><unit>, added up: "500ms", "5s",
 * "2m", "1h30m", "7d", "1w2d".  Units: ms, s, m (minutes), h, d, w.  A bare
 * number takes the unit its option names (seconds for --lock-timeout, as
 * for Exim's -t; milliseconds for an option whose name ends in -ms), or is
 * refused where the option has no natural unit (tidy -t, as Exim's is).
 */
#ifndef HDB_DURATION_H
#define HDB_DURATION_H

#include <stddef.h>
#include <stdint.h>

enum dur_bare {
	DUR_BARE_S,		/* a bare number is seconds */
	DUR_BARE_MS,		/* a bare number is milliseconds */
	DUR_BARE_NONE,		/* a bare number is refused */
};

/*
 * duration_parse - s into *ms, which must lie in [min_ms, max_ms].
 * Returns 0, or -1 with why (a lowercase phrase, no subject: the caller
 * names the option and quotes the value) filled in; *ms is then unchanged.
 */
int	duration_parse(const char *s, enum dur_bare bare, int64_t min_ms,
	    int64_t max_ms, int64_t *ms, char *why, size_t whylen);

/*
 * duration_opt - duration_parse for option opt of command cmd, printing
 * "CMD: bad OPT 'ARG': WHY" on failure.  0 or -1 (a usage error).
 */
int	duration_opt(const char *cmd, const char *opt, const char *arg,
	    enum dur_bare bare, int64_t min_ms, int64_t max_ms, long *ms);

/* duration_format - ms as the shortest exact "1h30m", "250ms", "0s". */
void	duration_format(int64_t ms, char *buf, size_t len);

#endif
