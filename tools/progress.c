/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * progress.c - the progress line and the lock-wait note (see progress.h).
 *
 * The line is drawn with write(2) as "\r<text>\033[K", cut to the terminal
 * width so that it never wraps (a wrapped line cannot be redrawn with \r).
 * While it is on screen, stderr is swapped for an unbuffered stream that
 * erases it before passing anything on, so a warning never lands in the
 * middle of it.  The clock is read only when progress_add reaches `next`,
 * a step that adapts to about one poll in 25 ms; without a line to draw,
 * `next` stays at UINT64_MAX and the library hooks are not even set.
 */
#include <sys/ioctl.h>

#include <err.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/libutil.h>

#include "duration.h"
#include "db/hdb.h"
#include "db/lock.h"
#include "out.h"
#include "progress.h"

#define DELAY_MS	1000	/* quiet for a run's first second */
#define REDRAW_MS	200
#define POLL_MS		25
#define LOCK_NOTE_MS	1000

enum progress_mode progress_mode = PROGRESS_AUTO;
int progress_verbose;
struct progress_state progress_st = { 0, UINT64_MAX };

static struct {
	const char	*cmd;
	char		 label[160];
	char		 note[160];
	uint64_t	 total;
	unsigned	 flags;
	int		 drawable;	/* this phase may draw */
	int		 shown;		/* the line is on screen */
	long		 t_run, t_phase, t_draw, t_poll;
	uint64_t	 poll_done, step;
	FILE		*real_stderr;
} P;

static long	mono_ms(void);
static void	erase(void);
static ssize_t	err_write(void *, const char *, size_t);
static void	wrap_stderr(void);
static void	on_signal(int);
static void	catch_signals(void);
static void	group(uint64_t, char *, size_t);
static void	counts(char *, size_t, long);
static void	draw(long);
static void	at_exit(void);
static void	iter_tick(uint64_t, void *);
static void	lock_wait(const char *, int, long, void *);

static long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void
erase(void)
{
	static const char seq[] = "\r\033[K";

	if (P.shown)
		(void)!write(STDERR_FILENO, seq, sizeof(seq) - 1);
	P.shown = 0;
}

static ssize_t
err_write(void *cookie, const char *buf, size_t n)
{
	size_t off = 0;
	ssize_t w;

	(void)cookie;
	erase();
	while (off < n) {
		if ((w = write(STDERR_FILENO, buf + off, n - off)) <= 0)
			return off > 0 ? (ssize_t)off : -1;
		off += (size_t)w;
	}
	return (ssize_t)n;
}

/* wrap_stderr - send stderr through err_write from now on. */
static void
wrap_stderr(void)
{
	cookie_io_functions_t io = { .write = err_write };
	FILE *f;

	if (P.real_stderr != NULL)
		return;
	fflush(stderr);
	if ((f = fopencookie(NULL, "w", io)) == NULL)
		return;
	setvbuf(f, NULL, _IONBF, 0);
	P.real_stderr = stderr;
	stderr = f;
}

/* An interrupted run leaves no half line behind for the shell prompt. */
static void
on_signal(int sig)
{
	erase();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
}

/* group - n with thousands separators. */
static void
group(uint64_t n, char *buf, size_t len)
{
	char tmp[32];
	size_t i, j = 0, d;

	d = (size_t)snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n);
	for (i = 0; i < d && j + 2 < len; i++) {
		if (i > 0 && (d - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = tmp[i];
	}
	buf[j] = '\0';
}

static void
amount(uint64_t n, char *buf, size_t len)
{
	if (P.flags & PROG_BYTES)
		humanize_number(buf, len < 8 ? len : 8, (int64_t)n, "B",
		    HN_AUTOSCALE, HN_DECIMAL | HN_NOSPACE);
	else
		group(n, buf, len);
}

/* counts - "45% 450,000/1,000,000 records, 98,000/s, ETA 6s". */
static void
counts(char *buf, size_t len, long now)
{
	char d[32], t[32], r[32], eta[32];
	uint64_t done = P.total && progress_st.done > P.total ? P.total :
	    progress_st.done;
	double secs = (now - P.t_phase) / 1000.0, rate;
	const char *unit = P.flags & PROG_BYTES ? "" : " records";

	rate = secs > 0.3 ? done / secs : 0;	/* too soon to tell */
	amount(done, d, sizeof(d));
	if (rate > 0)
		amount((uint64_t)rate, r, sizeof(r));
	else
		snprintf(r, sizeof(r), "?");
	if (P.total == 0) {
		snprintf(buf, len, "%s%s, %s/s", d, unit, r);
		return;
	}
	amount(P.total, t, sizeof(t));
	if (rate > 0 && done < P.total)
		duration_format((int64_t)((P.total - done) / rate + 1) * 1000,
		    eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), "%s", done >= P.total ? "0s" : "?");
	snprintf(buf, len, "%3d%% %s/%s%s, %s/s, ETA %s",
	    (int)(done * 100 / P.total), d, t, unit, r, eta);
}

static void
draw(long now)
{
	struct winsize ws;
	char line[512], c[160];
	size_t cols = 80, n;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		cols = ws.ws_col;
	counts(c, sizeof(c), now);
	n = (size_t)snprintf(line, sizeof(line), "\r%s: %s %s%s%s", P.cmd,
	    P.label, c, P.note[0] ? " | " : "", P.note);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	if (n > cols)		/* \r plus cols - 1 characters */
		n = cols;
	memcpy(line + n, "\033[K", 4);
	wrap_stderr();
	if (!P.shown)
		catch_signals();
	(void)!write(STDERR_FILENO, line, n + 3);
	P.shown = 1;
	P.t_draw = now;
}

void
progress_poll(void)
{
	long now, dt;

	if (!P.drawable) {
		progress_st.next = UINT64_MAX;
		return;
	}
	now = mono_ms();
	dt = now - P.t_poll;
	if (dt < POLL_MS / 2 && P.step < ((uint64_t)1 << 24))
		P.step *= 2;
	else if (dt > POLL_MS * 2 && P.step > 1)
		P.step /= 2;
	P.t_poll = now;
	P.poll_done = progress_st.done;
	progress_st.next = progress_st.done + P.step;
	if (progress_mode != PROGRESS_ON && now - P.t_run < DELAY_MS)
		return;
	if (P.shown && now - P.t_draw < REDRAW_MS)
		return;
	draw(now);
}

void
progress_begin(uint64_t total, unsigned flags, const char *fmt, ...)
{
	int tty = isatty(STDERR_FILENO);
	char *v;
	va_list ap;

	erase();
	va_start(ap, fmt);
	vsnprintf(P.label, sizeof(P.label), fmt, ap);
	va_end(ap);
	v = hdb_vis_dup(P.label, strlen(P.label));	/* names from argv */
	snprintf(P.label, sizeof(P.label), "%s", v);
	free(v);
	P.note[0] = '\0';
	P.total = total;
	P.flags = flags;
	P.t_phase = P.t_poll = mono_ms();
	P.step = 64;
	progress_st.done = 0;
	/* P.cmd: only under the dispatcher; the exim_* names stay Exim's */
	P.drawable = P.cmd != NULL && (progress_mode == PROGRESS_ON ||
	    (progress_mode == PROGRESS_AUTO && tty));
	/* output to the terminal is progress enough, and would be torn */
	if ((flags & PROG_STDOUT) && isatty(STDOUT_FILENO))
		P.drawable = 0;
	progress_st.next = P.drawable ? P.step : UINT64_MAX;
}

void
progress_note(const char *fmt, ...)
{
	va_list ap;

	P.note[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(P.note, sizeof(P.note), fmt, ap);
		va_end(ap);
	}
	/* a note is news: show it at the next poll */
	P.t_draw = 0;
	if (P.drawable)
		progress_poll();
}

void
progress_end(void)
{
	erase();
	P.drawable = 0;
	P.note[0] = '\0';
	progress_st.next = UINT64_MAX;
}

void
progress_clear(void)
{
	erase();
}

static void
at_exit(void)
{
	erase();
}

static void
iter_tick(uint64_t n, void *arg)
{
	(void)arg;
	progress_add(n);
}

/* comm - the command name of pid from /proc, vis-encoded; NULL if none. */
static char *
comm(long pid)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	return n > 0 ? hdb_vis_dup(buf, (size_t)n) : NULL;
}

/*
 * lock_wait - the lock hook: someone else holds the lock and a second has
 * gone by.  Say who, on a terminal or with -v; a note under the progress
 * line would be gone at the next redraw, so it is a line of its own.
 */
static void
lock_wait(const char *path, int how, long pid, void *arg)
{
	char who[160], *p, *c;

	(void)arg;
	if (!isatty(STDERR_FILENO) && !progress_verbose &&
	    progress_mode != PROGRESS_ON)
		return;
	c = pid > 0 ? comm(pid) : NULL;
	if (pid <= 0)
		snprintf(who, sizeof(who), "another process");
	else
		snprintf(who, sizeof(who), "pid %ld%s%s", pid,
		    c != NULL ? ", " : "", c != NULL ? c : "");
	p = hdb_vis_dup(path, strlen(path));
	erase();
	warnx("%s: waiting for the %s lock on %s (held by %s)", P.cmd,
	    how == HDB_LOCK_WRITE ? "write" : "read", p, who);
	free(p);
	free(c);
}

void
progress_setup(const char *cmd)
{
	P.cmd = cmd;
	P.t_run = mono_ms();
	hdb_lock_set_wait_hook(lock_wait, LOCK_NOTE_MS, NULL);
	if (progress_mode == PROGRESS_OFF ||
	    (progress_mode == PROGRESS_AUTO && !isatty(STDERR_FILENO)))
		return;		/* no line will ever be drawn: no hooks */
	hdb_set_iter_hook(iter_tick, NULL);
	atexit(at_exit);
}
