/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lock.h - Exim's hints lock protocol.
 *
 * Exim serialises access to SPOOL/db/NAME through an fcntl lock on the empty
 * file SPOOL/db/NAME.lockfile: a read lock for read-only opens, a write lock
 * otherwise, taken before the DB is opened and dropped (by closing the fd)
 * after the DB is closed.  Calling sequence:
 *
 *	hdb_lock_take(...); hdb_open(...); ...; hdb_close(); hdb_lock_release();
 *
 * fcntl locks belong to the process: never hold two fds on one lockfile.
 */
#ifndef HDB_LOCK_H
#define HDB_LOCK_H

#include <stddef.h>

#define HDB_LOCK_READ	0
#define HDB_LOCK_WRITE	1

/* Exim's own bound on a lock wait (EXIMDB_LOCK_TIMEOUT), in milliseconds. */
#define HDB_LOCK_TIMEOUT_MS	60000L

/*
 * hdb_lock_take - lock path (the .lockfile) for reading or writing, waiting
 * at most timeout_ms (0: try once).  A read lock opens the file O_RDONLY and
 * never creates it; a write lock opens it O_RDWR and, if create is set,
 * creates it with mode 0640 when missing.  Both refuse a symlink (ELOOP)
 * and, without waiting, anything but a regular file (EISDIR for a
 * directory, EINVAL for a FIFO, socket or device).  Below SPOOL/db the
 * file is reached through the pinned directory (pin.h).  Returns the
 * locked fd, or -1 with errno: ENOENT (no lockfile), EAGAIN (busy and
 * timeout_ms was 0), ETIMEDOUT (waited timeout_ms), or the open/fcntl
 * error.
 */
int	hdb_lock_take(const char *path, int how, int create, long timeout_ms);

/*
 * hdb_lock_set_wait_hook - have hdb_lock_take call fn once, after it has
 * waited after_ms for a busy lock, with the lockfile's path, how and the
 * pid of a process holding a conflicting lock (from F_GETLK; 0 if it
 * cannot be told, say on another host).  The library never prints: a tool
 * sets a fn that tells its user.  NULL removes the hook.  Process-wide,
 * like a signal handler; not for threads.
 */
typedef void	hdb_lock_wait_fn(const char *path, int how, long pid,
		    void *arg);
void	hdb_lock_set_wait_hook(hdb_lock_wait_fn *fn, long after_ms, void *arg);

/* Drop the lock by closing fd; accepts -1. */
void	hdb_lock_release(int fd);
/* How many other processes wait for a lock on fd's file (Linux's
 * /proc/locks; 0 if it cannot be read). */
int	hdb_lock_waiters(int fd);

/* SPOOL/db/NAME.lockfile into buf; -1 if it does not fit. */
int	hdb_lock_path(char *buf, size_t len, const char *spool, const char *name);

/*
 * Short holds (tidy, delete): a tool that works in holds of at most
 * budget_ms ends each write hold by hdb_hold_limit_ms and pauses
 * hdb_gap_ms between two holds (never after the last), so that an Exim
 * process waiting for the lock gets it.  On a lockfile the kernel hands
 * it over at once; SQLite's writers poll, so there holds are shorter and
 * pauses longer.  hdb_pause sleeps ms milliseconds.
 */
struct hdb_backend;
double	hdb_hold_limit_ms(const struct hdb_backend *, double budget_ms);
double	hdb_gap_ms(const struct hdb_backend *, double budget_ms);
void	hdb_pause(double ms);
/*
 * hdb_presync - before a write hold on SQLite, outside any lock: write
 * out what the filesystem of the pinned directory (SPOOL/db) holds dirty
 * (syncfs), if a directory is pinned.  A commit in Exim's journal mode
 * (DELETE) makes a new journal file, and its first fdatasync commits the
 * filesystem's journal; on ext4 (data=ordered) that first writes out
 * every other file's dirty data, and the hold waited 50-150 ms for other
 * processes' writes.  Advisory: a failure is ignored.
 */
void	hdb_presync(void);
/*
 * hdb_pause_for_writers - the pause between two holds: hdb_gap_ms, and
 * if an Exim process was waiting when the last lock was released, until
 * it holds the lock (fcntl locks are not queued, so a waiter woken late
 * would otherwise sleep through the next hold), 25 ms at most.  Returns
 * the gap (hdb_gap_ms), for a caller's statistics.
 */
double	hdb_pause_for_writers(const struct hdb_backend *, double budget_ms);
/* The monotonic clock in milliseconds, for timing holds. */
double	hdb_now_ms(void);

/*
 * hdb_hold_records - for tests only: with HINTSDB_TEST_HOLD_RECORDS=N in
 * the environment, every hold and read transaction, read or write, on
 * every backend, ends after N records whatever the clock says, so that a
 * test sees the same holds on a fast machine and a loaded one.  0 when
 * unset (or not a number from 1 to 10^9): holds end by time.
 */
size_t	hdb_hold_records(void);

/*
 * A write hold that makes changes one by one (tidy's candidates, delete)
 * stops before the time held, plus its slowest change, plus the flush of
 * its changes could pass the hold limit.  The flush is estimated from the
 * holds before: as long as their flushes (the fixed part: an fsync, a
 * commit; a slow one slowly forgotten), or, for more changes than the
 * last hold made, the last one's scaled up to them.  The first hold, with
 * none measured, makes at most HDB_PACE_FIRST changes per 100 ms of the
 * budget (hdb_pace_first) and stops at half the limit, so that its flush
 * stays short.  Where the flush alone takes most of the limit, a hold
 * still works a quarter of it as long as that and the flush fit in the
 * budget (max_lock_ms), and an eighth where the flush alone passes the
 * budget.  Each hold makes at least one change, so a slow disk still gets
 * there.
 */
#define HDB_PACE_FIRST	64
size_t	hdb_pace_first(double budget_ms);
struct hdb_pace {
	double	lim;		/* hdb_hold_limit_ms */
	double	budget;		/* max_lock_ms */
	int	measured;	/* a flush was measured */
	double	flush;		/* the flushes, a slow one slowly forgotten */
	double	last_flush;	/* the last hold's flush, ms */
	size_t	last_n;		/* and its changes */
	double	maxop;		/* slowest change, halved each hold */
};
void	hdb_pace_init(struct hdb_pace *, const struct hdb_backend *,
	    double budget_ms);
/* Before change n (from 0) of a hold held_ms long: 1 if it must end. */
int	hdb_pace_full(const struct hdb_pace *, double held_ms, size_t n);
void	hdb_pace_op(struct hdb_pace *, double op_ms);
/* The hold's n changes took flush_ms to flush and close. */
void	hdb_pace_flushed(struct hdb_pace *, double flush_ms, size_t n);
/*
 * For a caller that paces itself (tidy's sweep): once a flush was
 * measured, the flush estimated for a hold of n changes, and how long
 * such a hold may work before it (hdb_pace_full's rule).
 */
double	hdb_pace_flush_est(const struct hdb_pace *, size_t n);
double	hdb_pace_work(const struct hdb_pace *, size_t n);

#endif
