/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * prober.c - run one command for `make bench` and measure it (wall, CPU,
 * peak RSS: bench/measure.c) and, with -l, how long an Exim process that
 * wanted the write lock would have waited.
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
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "measure.h"

struct probe {
	int		 fd;		/* the lockfile, -1: no probing */
	int		 blocked;	/* in an episode */
	double		 since;		/* its first failed try */
	double		 max, sum;
	unsigned long	 episodes, tries;
};

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
	double t = measure_now_ms(), d;

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
tick(void *arg)
{
	probe_once(arg);
}

int
main(int argc, char **argv)
{
	const char *lockfile = NULL, *out = "/dev/null", *errpath = "/dev/null";
	struct probe p = { .fd = -1 };
	struct measure m;
	json_t *o;
	long interval_us = 1000;
	int ch;

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
	measure_run(argv, out, errpath, interval_us / 1e3,
	    p.fd == -1 ? NULL : tick, &p, &m);
	/* The lock went with the process; close a last episode. */
	while (p.fd != -1 && p.blocked && !probe_once(&p))
		usleep(100);
	o = measure_json(&m);
	json_object_set_new(o, "lock_probed", json_boolean(p.fd != -1));
	json_object_set_new(o, "lock_max_wait_ms", json_real(p.max));
	json_object_set_new(o, "lock_blocked_ms", json_real(p.sum));
	json_object_set_new(o, "lock_episodes", json_integer(p.episodes));
	json_object_set_new(o, "lock_tries", json_integer(p.tries));
	measure_print(o);
	return 0;
}
