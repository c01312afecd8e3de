/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * measure.c - run one command for `make bench` and measure it (see
 * measure.h); linked into bench/prober and bench/exprobe.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <err.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "measure.h"

double
measure_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
redirect(const char *path, int to)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    dup2(fd, to) == -1)
		_exit(126);
	close(fd);
}

static void
child(char **argv, const char *out, const char *errpath)
{
	redirect(out, 1);
	redirect(errpath, 2);
	execvp(argv[0], argv);
	_exit(127);
}

/* Ticks every period until the child exits (pidfd readable). */
static void
beside(int pidfd, double t0, double period, measure_tick *tick, void *arg)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	double next = t0, left;

	for (;;) {
		struct timespec ts = { 0, 0 };

		if (tick == NULL) {
			if (ppoll(&pfd, 1, NULL, NULL) > 0)
				return;
			continue;
		}
		tick(arg);
		next += period;
		if ((left = next - measure_now_ms()) > 0) {
			ts.tv_sec = (time_t)(left / 1e3);
			ts.tv_nsec = (long)((left - ts.tv_sec * 1e3) * 1e6);
		} else
			next = measure_now_ms();
		if (ppoll(&pfd, 1, &ts, NULL) > 0)
			return;
	}
}

static double
tv_ms(struct timeval tv)
{
	return tv.tv_sec * 1e3 + tv.tv_usec / 1e3;
}

void
measure_run(char **argv, const char *out, const char *errpath,
    double period_ms, measure_tick *tick, void *arg, struct measure *m)
{
	struct rusage ru;
	double t0;
	pid_t pid;
	int status, pidfd;

	fflush(stdout);
	t0 = measure_now_ms();
	if ((pid = fork()) == -1)
		err(2, "fork");
	if (pid == 0)
		child(argv, out, errpath);
	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		err(2, "pidfd_open");
	beside(pidfd, t0, period_ms, tick, arg);
	m->wall_ms = measure_now_ms() - t0;
	if (wait4(pid, &status, 0, &ru) != pid)
		err(2, "wait4");
	close(pidfd);
	m->user_ms = tv_ms(ru.ru_utime);
	m->sys_ms = tv_ms(ru.ru_stime);
	m->maxrss_kib = ru.ru_maxrss;
	m->status = WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status);
}

json_t *
measure_json(const struct measure *m)
{
	json_t *o;

	if ((o = json_pack("{s:f, s:f, s:f, s:I, s:i}", "wall_ms", m->wall_ms,
	    "user_ms", m->user_ms, "sys_ms", m->sys_ms, "maxrss_kib",
	    (json_int_t)m->maxrss_kib, "status", m->status)) == NULL)
		errx(2, "json_pack");
	return o;
}

void
measure_print(json_t *obj)
{
	if (json_dumpf(obj, stdout, JSON_COMPACT | JSON_REAL_PRECISION(9))
	    == -1 || putchar('\n') == EOF || fflush(stdout) == EOF)
		err(2, "stdout");
	json_decref(obj);
}
