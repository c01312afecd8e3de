/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * prober.c - run one command for `make bench` and measure it: wall time
 * (CLOCK_MONOTONIC from fork to exit, seen at once through a pidfd), user
 * and system time and peak RSS (wait4), and, with -l, how long an Exim
 * process that wanted the write lock would have waited.
 *
 * The lock probe plays an Exim delivery process: every millisecond
 * (-p µs) it tries F_SETLK F_WRLCK on the whole lockfile and, when it gets
 * the lock, drops it at once.  A run of failed tries is one blocked
 * episode; its length is from the first failed try to the next successful
 * one.  The longest episode is the longest wait Exim would have seen (to
 * within one poll interval), the sum is the time the lock was not
 * available for writing.
 *
 *	prober [-l LOCKFILE] [-p USEC] [-o OUT] [-e ERR] -- COMMAND [ARG...]
 *
 * The command's stdout goes to OUT and its stderr to ERR (both /dev/null
 * by default).  One JSON object goes to our stdout.  Exit status: 0, or 2
 * if the command could not be run or measured.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct probe {
	int		 fd;		/* the lockfile, -1: no probing */
	int		 blocked;	/* in an episode */
	double		 since;		/* its first failed try */
	double		 max, sum;
	unsigned long	 episodes, tries;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
setlk(int fd, short type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, F_SETLK, &fl);
}

/* One try; returns 1 if the lock was free. */
static int
probe_once(struct probe *p)
{
	double t = now_ms(), d;

	p->tries++;
	if (setlk(p->fd, F_WRLCK) == -1) {
		if (errno != EAGAIN && errno != EACCES)
			err(2, "F_SETLK");
		if (!p->blocked) {
			p->blocked = 1;
			p->since = t;
			p->episodes++;
		}
		return 0;
	}
	setlk(p->fd, F_UNLCK);
	if (p->blocked) {
		d = t - p->since;
		p->sum += d;
		if (d > p->max)
			p->max = d;
		p->blocked = 0;
	}
	return 1;
}

static void
child(char **argv, const char *out, const char *errpath)
{
	int fd;

	if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    dup2(fd, 1) == -1)
		_exit(126);
	close(fd);
	if ((fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    dup2(fd, 2) == -1)
		_exit(126);
	close(fd);
	execvp(argv[0], argv);
	_exit(127);
}

int
main(int argc, char **argv)
{
	const char *lockfile = NULL, *out = "/dev/null", *errpath = "/dev/null";
	struct probe p = { .fd = -1 };
	struct rusage ru;
	struct pollfd pfd;
	double t0, t1, next, left;
	long interval_us = 1000;
	pid_t pid;
	int ch, status, pidfd;

	while ((ch = getopt(argc, argv, "e:l:o:p:")) != -1) {
		switch (ch) {
		case 'e':
			errpath = optarg;
			break;
		case 'l':
			lockfile = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			interval_us = atol(optarg);
			break;
		default:
			errx(2, "usage: prober [-l LOCKFILE] [-p USEC] [-o OUT] "
			    "[-e ERR] -- COMMAND [ARG...]");
		}
	}
	argv += optind;
	if (argv[0] == NULL || interval_us < 100 || interval_us >= 1000000)
		errx(2, "no command, or poll interval below 100 us");
	if (lockfile != NULL && (p.fd = open(lockfile, O_RDWR)) == -1)
		err(2, "%s", lockfile);
	fflush(stdout);
	t0 = now_ms();
	if ((pid = fork()) == -1)
		err(2, "fork");
	if (pid == 0)
		child(argv, out, errpath);
	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		err(2, "pidfd_open");
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	next = t0;
	for (;;) {
		struct timespec ts = { 0, 0 };

		if (p.fd == -1) {
			if (ppoll(&pfd, 1, NULL, NULL) > 0)
				break;
			continue;
		}
		probe_once(&p);
		next += interval_us / 1e3;
		if ((left = next - now_ms()) > 0)
			ts.tv_nsec = (long)(left * 1e6);
		else
			next = now_ms();
		if (ppoll(&pfd, 1, &ts, NULL) > 0)
			break;
	}
	t1 = now_ms();
	if (wait4(pid, &status, 0, &ru) != pid)
		err(2, "wait4");
	/* The lock went with the process; close a last episode. */
	while (p.fd != -1 && p.blocked && !probe_once(&p))
		usleep(100);
	printf("{\"wall_ms\":%.3f,\"user_ms\":%.3f,\"sys_ms\":%.3f,"
	    "\"maxrss_kib\":%ld,\"status\":%d,\"lock_probed\":%s,"
	    "\"lock_max_wait_ms\":%.3f,\"lock_blocked_ms\":%.3f,"
	    "\"lock_episodes\":%lu,\"lock_tries\":%lu}\n", t1 - t0,
	    ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3,
	    ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3,
	    ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) :
	    128 + WTERMSIG(status), p.fd != -1 ? "true" : "false", p.max,
	    p.sum, p.episodes, p.tries);
	return 0;
}
