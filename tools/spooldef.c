/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spooldef.c - the spool when the command line leaves it out: what the
 * installed Exim says (`exim -bP spool_directory`), else Debian's
 * /var/spool/exim4.
 *
 * The Exim asked is never found through PATH (hintsdb runs as root from
 * cron): only a fixed list of places is tried, and a program is run only
 * if exim_root_program (tools/exim.c) passes it.  It runs with an empty environment but a fixed PATH, its stderr and stdin
 * on /dev/null, and is killed after 5 s.  HINTSDB_EXIM, when set, names the
 * Exim instead (empty: none, and no /var/spool/exim4 either), as for
 * tools/exim.c, so that tests do not depend on the host.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exim.h"
#include "spooldef.h"

static const char *const places[] = {
	"/usr/sbin/exim4", "/usr/sbin/exim", "/usr/local/sbin/exim",
	"/usr/exim/bin/exim",
};

/* ask - run `exim -bP spool_directory` into out (caller frees), or NULL
 * if it could not run, timed out or failed */
static char *
ask(const char *exim)
{
	char *const argv[] = { (char *)exim, "-bP", "spool_directory", NULL };
	char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct exim_how how = { .timeout_ms = 5000, .envp = envp };
	char *out;
	int st;

	if ((out = exim_run(argv, &how, &st)) != NULL &&
	    (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
		free(out);
		out = NULL;
	}
	return out;
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
	char *out, err[256];
	size_t i;
	int rc;

	if (env != NULL && env[0] == '\0') {
		snprintf(why, wlen, "HINTSDB_EXIM is empty: no Exim to ask");
		return -1;
	}
	for (i = 0; i < (env ? 1 : sizeof(places) / sizeof(places[0])); i++) {
		const char *exim = env ? env : places[i];

		if (exim_root_program(exim, err, sizeof(err)) == -1) {
			if (env != NULL)
				snprintf(why, wlen, "'%s' is not a root-owned "
				    "program in a root-owned directory", exim);
			continue;
		}
		out = ask(exim);
		rc = out != NULL && parse(out, buf, len) == 0 && is_dir(buf);
		free(out);
		if (rc)
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
