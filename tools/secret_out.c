/* SPDX-License-Identifier: GPL-2.0-or-later */
/* secret_out.c - output that holds secrets (see secret_out.h). */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "out.h"
#include "db/pin.h"
#include "secret_out.h"

int
secret_output(const char *path, const char *cmd)
{
	char *p = hdb_vis_dup(path, strlen(path));
	int fd, e, ex = 0;

	fd = hdb_pin_open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0600);
	if (fd == -1) {
		e = errno;
		if (e == EEXIST)
			warnx("%s: '%s' exists", cmd, p);
		else
			warnx("%s: cannot create '%s': %s", cmd, p,
			    strerror(e));
		ex = e == EEXIST ? EX_USAGE_ : EX_IOERR_;
		goto out;
	}
	/* 0600 whatever the umask took away or left */
	if (fchmod(fd, 0600) == -1 || fflush(stdout) == EOF ||
	    dup2(fd, STDOUT_FILENO) == -1) {
		warn("%s: cannot write '%s'", cmd, p);
		close(fd);
		secret_output_abandon(path);
		ex = EX_IOERR_;
		goto out;
	}
	close(fd);
out:
	free(p);
	return ex;
}

void
secret_output_abandon(const char *path)
{
	int fd = hdb_pin_fd();

	if (hdb_pin_covers(path) && fd != -1)
		(void)unlinkat(fd, strrchr(path, '/') + 1, 0);
	else if (!hdb_pin_covers(path))
		(void)unlink(path);
}

void
secret_warn(const char *cmd, const char *what)
{
	struct stat st;

	if (isatty(STDOUT_FILENO))
		warnx("%s: writing %s to a terminal", cmd, what);
	else if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 077) != 0)
		warnx("%s: writing %s to a file that group or others can read "
		    "(mode %04o)", cmd, what, (unsigned)(st.st_mode & 07777));
}
