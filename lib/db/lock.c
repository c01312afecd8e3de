/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lock.c - take and drop Exim's hints lock (formats doc §2).
 *
 * Exim waits for the lock with F_SETLKW under alarm(60).  We poll F_SETLK
 * instead, with a short sleep that grows to 10 ms, so the wait is bounded to
 * the millisecond without touching SIGALRM, which a library must not own.
 * The lock is the classic process-associated fcntl kind: open file
 * description locks would not conflict correctly with Exim's.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bsd/stdlib.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/hdb.h"
#include "db/lock.h"
#include "db/pin.h"

static hdb_lock_wait_fn *wait_fn;
static long wait_after_ms;
static void *wait_arg;

void
hdb_lock_set_wait_hook(hdb_lock_wait_fn *fn, long after_ms, void *arg)
{
	wait_fn = fn;
	wait_after_ms = after_ms;
	wait_arg = arg;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
try_lock(int fd, int how)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = how == HDB_LOCK_WRITE ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 0;
	return fcntl(fd, F_SETLK, &fl);
}

/* holder - the pid of a process holding a lock that conflicts with how;
 * 0 if none is found now or the system cannot say. */
static long
holder(int fd, int how)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = how == HDB_LOCK_WRITE ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == -1 || fl.l_type == F_UNLCK)
		return 0;
	return fl.l_pid > 0 ? (long)fl.l_pid : 0;
}

/*
 * open_lockfile - open without following a symlink, through the pinned
 * SPOOL/db (pin.h), and without blocking: O_NONBLOCK keeps an open of a
 * FIFO from waiting for a writer for ever.  Cleared once the fd is known
 * to be a regular file.
 */
static int
open_lockfile(const char *path, int how, int create)
{
	int flags = O_NOCTTY | O_NONBLOCK;
	int fd;

	flags |= how == HDB_LOCK_WRITE ? O_RDWR : O_RDONLY;
	fd = hdb_pin_open(path, flags, 0);
	if (fd == -1 && errno == ENOENT && create && how == HDB_LOCK_WRITE)
		fd = hdb_pin_open(path, flags | O_CREAT | O_EXCL, 0640);
	if (fd == -1 && errno == EEXIST)	/* lost a creation race */
		fd = hdb_pin_open(path, flags, 0);
	return fd;
}

/* regular - fd is a regular file; then back to blocking I/O. */
static int
regular(int fd)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		return -1;
	return 0;
}

/*
 * Handing the lock over.  fcntl locks are not queued: at our unlock the
 * kernel wakes a blocked Exim, but if it has not run by our next lock (a
 * busy machine; a virtual CPU taken away for some milliseconds), we lock
 * again and it sleeps through another hold.  So a release that had
 * waiters (Linux lists them in /proc/locks, after "->") makes the next
 * hdb_pause_for_writers last until another process holds the lock, for at
 * most HANDOFF_MS.  Taking a lock again ends the chance.
 */
#define HANDOFF_MS	25.0

static struct {
	dev_t		 dev;
	ino_t		 ino;
	int		 pending;
} handoff;

int
hdb_lock_take(const char *path, int how, int create, long timeout_ms)
{
	long start, waited;
	useconds_t nap = 200;
	int fd, saved, told = 0;

	if ((fd = open_lockfile(path, how, create)) == -1)
		return -1;
	if (regular(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	start = now_ms();
	for (;;) {
		if (try_lock(fd, how) == 0) {
			handoff.pending = 0;
			return fd;
		}
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			break;
		waited = now_ms() - start;
		if (timeout_ms <= 0) {
			errno = EAGAIN;
			break;
		}
		if (waited >= timeout_ms) {
			errno = ETIMEDOUT;
			break;
		}
		if (wait_fn != NULL && !told && waited >= wait_after_ms) {
			told = 1;
			wait_fn(path, how, holder(fd, how), wait_arg);
		}
		usleep(nap);
		if (nap < 10000)
			nap *= 2;
	}
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}


/*
 * proc_locks - how many fcntl locks of other processes on the file (dev,
 * ino) /proc/locks lists: those waiting (blocked) or those held.  0 when
 * it cannot be read.
 */
static int
proc_locks(dev_t dev, ino_t ino, int blocked)
{
	char line[256], *p;
	unsigned maj, mnr;
	unsigned long i;
	long pid;
	FILE *fp;
	int n = 0;

	if ((fp = fopen("/proc/locks", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((strstr(line, "->") != NULL) != blocked ||
		    (p = strstr(line, "POSIX")) == NULL ||
		    sscanf(p, "POSIX %*s %*s %ld %x:%x:%lu", &pid, &maj, &mnr,
		    &i) != 4)
			continue;
		if (pid != (long)getpid() && maj == major(dev) &&
		    mnr == minor(dev) && i == (unsigned long)ino)
			n++;
	}
	fclose(fp);
	return n;
}

int
hdb_lock_waiters(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? proc_locks(st.st_dev, st.st_ino, 1) : 0;
}

void
hdb_lock_release(int fd)
{
	struct stat st;

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && proc_locks(st.st_dev, st.st_ino, 1) > 0) {
		handoff.dev = st.st_dev;
		handoff.ino = st.st_ino;
		handoff.pending = 1;
	}
	close(fd);
}

int
hdb_lock_path(char *buf, size_t len, const char *spool, const char *name)
{
	int n = snprintf(buf, len, "%s/db/%s.lockfile", spool, name);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

#define GAP_MS		2.0	/* a blocked waiter's turn */
#define POLL_GAP_MAX	100.0	/* SQLite's busy handler's longest sleep */

/*
 * hdb_hold_limit_ms - when a write hold must be over.  A writer that
 * waited for it still has its own write to make, and an Exim write right
 * after a hold is slow: on a lockfile it opens, puts and closes, and the
 * close syncs just after ours, 30-45 ms on a 1M Berkeley DB file (at 80%
 * of the budget holds of 86 ms made it wait 118-132 ms; at 60%, 80-84);
 * an Exim 4.99+ writer on TDB runs a transaction with two fsyncs.  So a
 * hold ends by 60% of the budget.  On SQLite a waiting writer does not
 * get the lock at its release but at its next try, so what it waits is
 * the hold plus the sleep of its busy handler (see hdb_gap_ms): there a
 * hold ends by half the budget.
 */
double
hdb_hold_limit_ms(const struct hdb_backend *be, double budget)
{
	return be->caps & HDB_CAP_LOCKS_ITSELF ? budget * 0.5 : budget * 0.6;
}

/*
 * hdb_gap_ms - the pause between two holds.  A writer blocked on a
 * lockfile (F_SETLKW) is handed the lock by the kernel at its release, so
 * a short pause does.  SQLite's writers poll: the busy handler sleeps 1,
 * 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms between tries, and a
 * writer that wakes to find the next hold under way sleeps again, longer.
 * A writer that began to wait during a hold of half the budget tries
 * again within 30% of the budget of the hold's end (within 25 ms for
 * 100 ms, 50 for 200, 100 beyond), so the pause lasts that long.
 */
double
hdb_gap_ms(const struct hdb_backend *be, double budget)
{
	double g = budget * 0.3;

	if (!(be->caps & HDB_CAP_LOCKS_ITSELF) || g < GAP_MS)
		return GAP_MS;
	return g > POLL_GAP_MAX ? POLL_GAP_MAX : g;
}

double
hdb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

size_t
hdb_hold_records(void)
{
	static long long n = -1;
	const char *s;

	if (n < 0) {
		s = getenv("HINTSDB_TEST_HOLD_RECORDS");
		n = s == NULL ? 0 : strtonum(s, 1, 1000000000, NULL);
	}
	return (size_t)n;
}

void
hdb_pace_init(struct hdb_pace *p, const struct hdb_backend *be,
    double budget)
{
	p->lim = hdb_hold_limit_ms(be, budget);
	p->budget = budget;
	p->measured = 0;
	p->flush = 0;
	p->last_flush = 0;
	p->last_n = 0;
	p->maxop = 0;
}

size_t
hdb_pace_first(double budget)
{
	return budget <= 100 ? HDB_PACE_FIRST :
	    (size_t)((double)HDB_PACE_FIRST * budget / 100);
}

/*
 * The flush of n changes: as the flushes before (a fixed cost, an fsync
 * or a commit; a slow one slowly forgotten), or, for more changes than
 * the last hold made, the last one scaled up to n.  Scaling its fixed
 * part too errs long, but only by the ratio of two holds' changes; a cost
 * per change learned from a hold of few changes (the first) took the
 * fixed part for one per change and cut every later hold short.
 */
double
hdb_pace_flush_est(const struct hdb_pace *p, size_t n)
{
	double up = 0;

	if (p->last_n > 0 && n > p->last_n)
		up = p->last_flush * (double)n / (double)p->last_n;
	return up > p->flush ? up : p->flush;
}

/*
 * hdb_pace_work - until only the flush is left in the limit.  A flush
 * that leaves no room: a quarter of the limit, if the budget still holds
 * that and the flush; an eighth at least, where the flush alone passes
 * the budget (else a hold of one change each would pass it as far, and
 * take for ever).
 */
double
hdb_pace_work(const struct hdb_pace *p, size_t n)
{
	double est = hdb_pace_flush_est(p, n), work = p->lim - est;

	if (work < p->lim / 4)
		work = p->lim / 4 < p->budget - est ? p->lim / 4 :
		    p->budget - est;
	if (work < p->lim / 8)
		work = p->lim / 8;
	return work;
}

int
hdb_pace_full(const struct hdb_pace *p, double held, size_t n)
{
	if (n == 0)
		return 0;
	if (hdb_hold_records() > 0)
		return n >= hdb_hold_records();
	if (!p->measured)
		return n >= hdb_pace_first(p->budget) ||
		    held + p->maxop >= p->lim / 2;
	return held + p->maxop >= hdb_pace_work(p, n + 1);
}

void
hdb_pace_op(struct hdb_pace *p, double op)
{
	if (op > p->maxop)
		p->maxop = op;
}

void
hdb_pace_flushed(struct hdb_pace *p, double flush, size_t n)
{
	p->measured = 1;
	p->flush = p->flush * 0.75 > flush ? p->flush * 0.75 : flush;
	p->last_flush = flush;
	p->last_n = n;
	p->maxop /= 2;
}

double
hdb_pause_for_writers(const struct hdb_backend *be, double budget)
{
	double t0, gap = hdb_gap_ms(be, budget);

	hdb_pause(gap);
	if (!handoff.pending)
		return gap;
	handoff.pending = 0;
	t0 = hdb_now_ms();
	while (proc_locks(handoff.dev, handoff.ino, 0) == 0 &&
	    hdb_now_ms() - t0 < HANDOFF_MS)
		hdb_pause(0.5);
	return gap;
}

void
hdb_presync(void)
{
	int fd = hdb_pin_fd();

	if (fd != -1)
		(void)syncfs(fd);
}

void
hdb_pause(double ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
