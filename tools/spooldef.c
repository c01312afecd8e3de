/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spooldef.c - the spool when the command line leaves it out: what the
 * installed Exim says (`exim -bP spool_directory`), else Debian's
 * /var/spool/exim4.
 *
 * The Exim asked is never found through PATH (hintsdb runs as root from
 * cron): only a fixed list of places is tried, and a program is run only
 * if it and its directory are owned by root and writable by no one else.
 * It runs with an empty environment but a fixed PATH, its stderr and stdin
 * on /dev/null, and is killed after 5 s.  HINTSDB_EXIM, when set, names the
 * Exim instead (empty: none, and no /var/spool/exim4 either), as for
 * tools/exim.c, so that tests do not depend on the host.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spooldef.h"

static const char *const places[] = {
	"/usr/sbin/exim4", "/usr/sbin/exim", "/usr/local/sbin/exim",
	"/usr/exim/bin/exim",
};

/* trusted - path is absolute, a regular file, and it and its directory
 * are root's and writable by no one else */
static int
trusted(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;

	if (path[0] != '/' || strlen(path) >= sizeof(dir))
		return 0;
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return 0;
	memcpy(dir, path, strlen(path) + 1);
	if (stat(dirname(dir), &st) == -1 || st.st_uid != 0 ||
	    ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (st.st_mode & S_ISVTX) == 0))
		return 0;
	return 1;
}

/* ask - run `exim -bP spool_directory` into out (at most len - 1 bytes,
 * NUL-terminated); 0, or -1 if it could not run, timed out or failed */
static int
ask(const char *exim, char *out, size_t len)
{
	char *const argv[] = { (char *)exim, "-bP", "spool_directory", NULL };
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct pollfd pfd;
	struct timespec t0, t;
	size_t got = 0;
	ssize_t r;
	int p[2], st, null, left = 5000, eof = 0;
	pid_t pid, w;

	if (pipe2(p, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		if (null == -1 || dup2(null, 0) == -1 || dup2(p[1], 1) == -1 ||
		    dup2(null, 2) == -1)
			_exit(127);
		execve(exim, argv, envp);
		_exit(127);
	}
	close(p[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (got + 1 < len && left > 0 && poll(&pfd, 1, left) > 0) {
		if ((r = read(p[0], out + got, len - 1 - got)) <= 0) {
			eof = 1;
			break;
		}
		got += (size_t)r;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = 5000 - (int)((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
	}
	out[got] = '\0';
	close(p[0]);
	if (!eof)
		kill(pid, SIGKILL);	/* too slow, or too much said */
	while ((w = waitpid(pid, &st, 0)) == -1 && errno == EINTR)
		continue;
	return w == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* parse - "spool_directory = /var/spool/exim4\n" into buf: an absolute
 * path of printable ASCII; 0 or -1 */
static int
parse(const char *text, char *buf, size_t len)
{
	const char *p = strstr(text, "spool_directory = ");
	size_t n;

	if (p == NULL || (p != text && p[-1] != '\n'))
		return -1;
	p += strlen("spool_directory = ");
	n = strcspn(p, "\n");
	if (n == 0 || n >= len || p[0] != '/')
		return -1;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
spool_default(char *buf, size_t len, char *why, size_t wlen)
{
	const char *env = getenv("HINTSDB_EXIM");
	char out[4096];
	size_t i;

	if (env != NULL && env[0] == '\0') {
		snprintf(why, wlen, "HINTSDB_EXIM is empty: no Exim to ask");
		return -1;
	}
	for (i = 0; i < (env ? 1 : sizeof(places) / sizeof(places[0])); i++) {
		const char *exim = env ? env : places[i];

		if (!trusted(exim)) {
			if (env != NULL)
				snprintf(why, wlen, "'%s' is not a root-owned "
				    "program in a root-owned directory", exim);
			continue;
		}
		if (ask(exim, out, sizeof(out)) == 0 &&
		    parse(out, buf, len) == 0 && is_dir(buf))
			return 0;
		snprintf(why, wlen, "'%s -bP spool_directory' named no "
		    "spool directory", exim);
		return -1;
	}
	if (env == NULL && is_dir("/var/spool/exim4")) {
		snprintf(buf, len, "/var/spool/exim4");
		return 0;
	}
	if (env == NULL)
		snprintf(why, wlen, "no Exim found to ask, and no "
		    "/var/spool/exim4");
	return -1;
}
