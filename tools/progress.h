/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * progress.h - what a long run tells a person at a terminal: one progress
 * line on stderr, redrawn in place, and a note when a lock wait runs long.
 *
 * Nothing is shown unless stderr is a terminal (or --progress forces it),
 * and nothing before the run is a second old, so cron, pipes and quick runs
 * see no change.  The line is cleared before anything else reaches stderr
 * (err(3) output included) and at exit; a phase that writes to a stdout
 * which is the terminal too is not drawn over, unless forced.
 *
 * A command (or an engine such as upgrade) marks its phases:
 *
 *	progress_begin(0, 0, "%s: reading", name);	total unknown
 *	... records are counted by the hdb_iterate hook, or progress_add(1) ...
 *	progress_begin(n, PROG_STDOUT, "%s: writing", name);
 *	for (...) { ...; progress_add(1); }
 *	progress_end();
 *
 * progress_add costs an add and a compare while the line is not due.
 */
#ifndef HDB_PROGRESS_H
#define HDB_PROGRESS_H

#include <stdint.h>

enum progress_mode {
	PROGRESS_AUTO,		/* on a terminal, after a second */
	PROGRESS_ON,		/* --progress: always, at once */
	PROGRESS_OFF,		/* --no-progress */
};

#define PROG_BYTES	0x01	/* counts are bytes, not records */
#define PROG_STDOUT	0x02	/* the phase writes to stdout */

extern enum progress_mode progress_mode;
extern int progress_verbose;	/* -v: lock-wait notes off a terminal too */

struct progress_state {
	uint64_t	 done;
	uint64_t	 next;		/* poll the clock when done reaches it */
};
extern struct progress_state progress_st;

/* progress_setup - once, in main: the command name for messages, the
 * library hooks (lock waits, iteration) and the exit-time clearing. */
void	progress_setup(const char *cmd);

/* progress_begin - a new phase of total records or bytes (0: unknown),
 * labelled by fmt ("retry: reading"; the command name goes before it). */
void	progress_begin(uint64_t total, unsigned flags, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* progress_note - text shown after the counts (tidy: its lock holds);
 * printf-style; NULL clears it. */
void	progress_note(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* progress_end - the phase is over: clear the line. */
void	progress_end(void);

/* progress_clear - erase the line now (it comes back on the next poll). */
void	progress_clear(void);

void	progress_poll(void);

/* progress_add - n more records (or bytes) of this phase done. */
static inline void
progress_add(uint64_t n)
{
	if ((progress_st.done += n) >= progress_st.next)
		progress_poll();
}

/* progress_set - done so far, absolutely. */
static inline void
progress_set(uint64_t done)
{
	progress_st.done = done;
	if (done >= progress_st.next)
		progress_poll();
}

#endif
