/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exim.c - run an installed Exim with -bV and read what hints it uses
 * (exim.h).  The output is parsed line by line; nothing in it is trusted
 * beyond the few words looked for, and what is kept is printable text.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exim.h"
#include "xmalloc.h"

/* More than any -d -bV prints; the rest is read and thrown away. */
#define OUTPUT_MAX	(1024 * 1024)

static const char *line_after(const char *, const char *);
static void	copy_line(char *, size_t, const char *);
static long	parse_version(const char *, char *, size_t);
static int	backend_from(const char *, struct exim_target *);
static void	tls_from(const char *, const char *, struct exim_target *);

/* What exim_locate found on PATH: run as nobody, never as root. */
static char located[PATH_MAX];

/* root_only - owned by root and writable by nobody else */
static int
root_only(const struct stat *sb)
{
	return sb->st_uid == 0 && (sb->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* safe_dir - an absolute directory that only root can change */
static int
safe_dir(const char *dir)
{
	struct stat sb;

	return dir[0] == '/' && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    root_only(&sb);
}

/* dir_of - the directory part of path, in buf (dirname on a copy) */
static const char *
dir_of(const char *path, char *buf, size_t len)
{
	snprintf(buf, len, "%s", path);
	return dirname(buf);
}

/*
 * exim_locate - the PATH entries that are absolute directories only root
 * can change; an empty entry (the current directory), a relative one or
 * one another user could write is skipped, as is a program not root's.
 */
int
exim_locate(char *buf, size_t len)
{
	static const char *const names[] = { "exim4", "exim" };
	const char *path = getenv("PATH"), *p, *e;
	const char *env = getenv("HINTSDB_EXIM");
	char dir[PATH_MAX];
	struct stat sb;
	size_t i, dl;
	int n;

	located[0] = '\0';
	/* HINTSDB_EXIM names the Exim, or (empty) says there is none */
	if (env != NULL) {
		n = snprintf(buf, len, "%s", env);
		return *env != '\0' && n > 0 && (size_t)n < len ? 0 : -1;
	}
	if (path == NULL || *path == '\0')
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (p = path; ; p = e + 1) {
			e = strchr(p, ':');
			dl = e != NULL ? (size_t)(e - p) : strlen(p);
			n = snprintf(dir, sizeof(dir), "%.*s", (int)dl, p);
			if (dl > 0 && *p == '/' && n > 0 &&
			    (size_t)n < sizeof(dir) && safe_dir(dir)) {
				n = snprintf(buf, len, "%s/%s", dir, names[i]);
				if (n > 0 && (size_t)n < len &&
				    stat(buf, &sb) == 0 && S_ISREG(sb.st_mode) &&
				    root_only(&sb) && access(buf, X_OK) == 0) {
					snprintf(located, sizeof(located), "%s",
					    buf);
					return 0;
				}
			}
			if (e == NULL)
				break;
		}
	}
	return -1;
}

int
exim_root_program(const char *path, char *err, size_t errlen)
{
	char real[PATH_MAX], dir[PATH_MAX];
	struct stat sb;

	if (path[0] != '/') {
		snprintf(err, errlen, "not an absolute path");
		return -1;
	}
	if (realpath(path, real) == NULL || stat(real, &sb) == -1) {
		snprintf(err, errlen, "cannot run it: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode) || !root_only(&sb) ||
	    !safe_dir(dir_of(path, dir, sizeof(dir))) ||
	    !safe_dir(dir_of(real, dir, sizeof(dir)))) {
		snprintf(err, errlen, "root runs only a program of root's in "
		    "directories no one else can write");
		return -1;
	}
	return 0;
}

/*
 * trusted - may we run path, named by --exim or HINTSDB_EXIM?  It must be
 * absolute and, run by root, pass exim_root_program: the administrator's
 * choice, which a wrapper may need root for (chroot).  0, or -1 with the
 * reason in err.
 */
static int
trusted(const char *path, char *err, size_t errlen)
{
	if (path[0] != '/') {
		snprintf(err, errlen, "not an absolute path");
		return -1;
	}
	return geteuid() == 0 ? exim_root_program(path, err, errlen) : 0;
}

int
exim_runas(const char *path, const struct passwd **as, char *err,
    size_t errlen)
{
	*as = NULL;
	/* found on PATH: run as nobody; named: checked, then as we are */
	if (located[0] != '\0' && strcmp(path, located) == 0) {
		if (geteuid() == 0 && (*as = getpwnam("nobody")) == NULL) {
			snprintf(err, errlen, "no user 'nobody' to run it as");
			return -1;
		}
		return 0;
	}
	return trusted(path, err, errlen);
}

/* drain - read fd to EOF into a buffer of at most OUTPUT_MAX bytes (the
 * rest is thrown away), killing pid once timeout_ms (0: none) has passed */
static char *
drain(int fd, pid_t pid, int timeout_ms)
{
	char *out = xmalloc(8192), junk[4096];
	size_t len = 0, cap = 8192;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct timespec t0, t;
	int left = timeout_ms > 0 ? timeout_ms : -1, pr;
	ssize_t r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if ((pr = poll(&pfd, 1, left)) == -1 && errno == EINTR)
			continue;
		if (pr <= 0) {
			kill(pid, SIGKILL);	/* it hangs: say no more */
			break;
		}
		if (len + 1 >= cap && cap < OUTPUT_MAX)
			out = xreallocarray(out, cap *= 2, 1);
		if (len + 1 < cap)
			r = read(fd, out + len, cap - len - 1);
		else
			r = read(fd, junk, sizeof(junk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (len + 1 < cap)
			len += (size_t)r;
		if (timeout_ms > 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			left = timeout_ms - (int)((t.tv_sec - t0.tv_sec) *
			    1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (left < 0)
				left = 0;
		}
	}
	out[len] = '\0';
	return out;
}

/* child - the forked side of exim_run; never returns */
static void
child(char *const argv[], const struct exim_how *how, int fd[2])
{
	int nul = open("/dev/null", O_RDWR);

	if (nul != -1) {
		dup2(nul, 0);
		if (!how->debug)
			dup2(nul, 2);
	}
	dup2(fd[1], 1);
	if (how->debug)
		dup2(fd[1], 2);
	close(fd[0]);
	close(fd[1]);
	if (how->as != NULL && (setgroups(0, NULL) == -1 ||
	    setgid(how->as->pw_gid) == -1 || setuid(how->as->pw_uid) == -1 ||
	    getuid() == 0 || geteuid() == 0))
		_exit(126);
	if (how->envp != NULL)
		execve(argv[0], argv, how->envp);
	else
		execv(argv[0], argv);
	_exit(127);
}

char *
exim_run(char *const argv[], const struct exim_how *how, int *status)
{
	char *out;
	int fd[2];
	pid_t pid;

	if (pipe2(fd, O_CLOEXEC) == -1)
		return NULL;
	if ((pid = fork()) == -1) {
		close(fd[0]);
		close(fd[1]);
		return NULL;
	}
	if (pid == 0)
		child(argv, how, fd);
	close(fd[1]);
	out = drain(fd[0], pid, how->timeout_ms);
	close(fd[0]);
	while (waitpid(pid, status, 0) == -1 && errno == EINTR)
		;
	return out;
}

char *
exim_output(char *const argv[], int debug, int *status,
    const struct passwd *as)
{
	struct exim_how how = { .as = as, .debug = debug,
	    .timeout_ms = EXIM_TIMEOUT_MS };

	return exim_run(argv, &how, status);
}

/* line_after - the text after the first line start "word", or NULL. */
static const char *
line_after(const char *text, const char *word)
{
	size_t wl = strlen(word);
	const char *p;

	for (p = text; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, word, wl) == 0)
			return p + wl;
	return NULL;
}

/* copy_line - the rest of the line at s, printable bytes only, trimmed. */
static void
copy_line(char *buf, size_t len, const char *s)
{
	size_t n = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	while (*s != '\0' && *s != '\n' && n + 1 < len) {
		buf[n++] = isprint((unsigned char)*s) ? *s : '?';
		s++;
	}
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

/* parse_version - "4.100.1 #2 ..." -> 4100001 and "4.100.1"; 0 if none. */
static long
parse_version(const char *s, char *buf, size_t len)
{
	long part[3] = { 0, 0, 0 };
	char *end;
	int i;

	for (i = 0; i < 3; i++) {
		if (!isdigit((unsigned char)*s))
			break;
		errno = 0;
		part[i] = strtol(s, &end, 10);
		if (errno != 0 || part[i] > 999)
			return 0;
		s = end;
		if (*s != '.')
			break;
		s++;
	}
	if (i < 1 || part[0] < 4)
		return 0;
	if (part[2] != 0)
		snprintf(buf, len, "%ld.%ld.%ld", part[0], part[1], part[2]);
	else
		snprintf(buf, len, "%ld.%ld", part[0], part[1]);
	return EXIM_V(part[0], part[1], part[2]);
}

/*
 * backend_from - the hints backend from the -bV text: the first line,
 * leading blanks ignored, that starts with one of Exim's texts (exim.c,
 * show_db_version; under "Hints DB:" in 4.98+).  0, or -1 if none or not
 * a backend we write.
 */
static int
backend_from(const char *bv, struct exim_target *t)
{
	static const struct {
		const char	*text;
		const char	*be;
	} map[] = {
		{ "Berkeley DB:", "bdb" },
		{ "Using sqlite3", "sqlite" },
		{ "Using tdb", "tdb" },
		{ "Probably GDBM (native mode)", "gdbm" },
		{ "Probably GDBM (compatibility mode)", "ndbm" },
		{ "Probably ndbm", "ndbm" },
		{ "Probably Berkeley DB version 1.8x", NULL },
	};
	const char *p;
	size_t i;

	for (p = bv; *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 :
	    p + strlen(p)) {
		while (*p == ' ' || *p == '\t')
			p++;
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			if (strncmp(p, map[i].text, strlen(map[i].text)) != 0)
				continue;
			copy_line(t->be_text, sizeof(t->be_text), p);
			t->be = map[i].be != NULL ?
			    hdb_backend_find(map[i].be) : NULL;
			return t->be != NULL ? 0 : -1;
		}
	}
	return -1;
}

/*
 * tls_from - the TLS library from "Support for:", and for GnuTLS the
 * runtime version from -d -bV's "Library version: GnuTLS:" lines.
 */
static void
tls_from(const char *bv, const char *dbv, struct exim_target *t)
{
	char sup[1024], *w;
	const char *p;
	long v;

	if ((p = line_after(bv, "Support for:")) == NULL)
		return;
	copy_line(sup, sizeof(sup), p);
	for (w = strtok(sup, " "); w != NULL; w = strtok(NULL, " ")) {
		if (strcmp(w, "GnuTLS") == 0)
			t->tls = HDB_TLS_LIB_GNUTLS;
		else if (strcmp(w, "OpenSSL") == 0)
			t->tls = HDB_TLS_LIB_OPENSSL;
	}
	if (t->tls != HDB_TLS_LIB_GNUTLS || dbv == NULL ||
	    (p = line_after(dbv, "Library version: GnuTLS:")) == NULL)
		return;
	/* "Compile: 3.8.13\n   Runtime: 3.8.13": the runtime one counts */
	if ((p = strstr(p, "Runtime:")) == NULL)
		return;
	copy_line(sup, sizeof(sup), p + strlen("Runtime:"));
	sup[strcspn(sup, " ")] = '\0';
	if ((v = hdb_tls_parse_version(sup)) > 0)
		snprintf(t->tls_version, sizeof(t->tls_version), "%u.%u.%u",
		    (unsigned)(v >> 16 & 0xff), (unsigned)(v >> 8 & 0xff),
		    (unsigned)(v & 0xff));
}

int
exim_parse(const char *bv, const char *dbv, struct exim_target *t,
    char *err, size_t errlen)
{
	const char *p;

	/* everything but the path, which exim_probe sets */
	t->be = NULL;
	t->be_text[0] = t->tls_version[0] = '\0';
	t->tls = HDB_TLS_LIB_UNKNOWN;
	if ((p = line_after(bv, "Exim version ")) == NULL ||
	    (t->vnum = parse_version(p, t->version, sizeof(t->version))) ==
	    0) {
		snprintf(err, errlen, "no \"Exim version\" line in its -bV "
		    "output");
		return -1;
	}
	if (backend_from(bv, t) == -1) {
		snprintf(err, errlen, t->be_text[0] != '\0' ?
		    "Exim %s uses hints backend \"%s\", which hintsdb cannot "
		    "write" : "Exim %s names no hints backend in its -bV "
		    "output%s", t->version, t->be_text);
		return -1;
	}
	t->layout = t->vnum >= EXIM_V(4, 100, 0) ? HDB_L_V2 : HDB_L_LEGACY;
	t->oflags = 0;
	if (t->be == &hdb_backend_sqlite) {
		if (t->vnum < EXIM_V(4, 98, 0) || (t->vnum >= EXIM_V(4, 99, 0) &&
		    t->vnum < EXIM_V(4, 99, 1))) {
			/* 4.99's xtext keys have no writer here */
			snprintf(err, errlen, "Exim %s's SQLite key encoding "
			    "is not supported", t->version);
			return -1;
		}
		if (t->vnum < EXIM_V(4, 99, 0))
			t->oflags = HDB_O_SQLITE_TBL;
	}
	t->lockfiles = exim_lockfile_used(t->be, t->vnum);
	tls_from(bv, dbv, t);
	return 0;
}

int
exim_lockfile_used(const struct hdb_backend *be, long vnum)
{
	if (be == &hdb_backend_sqlite)
		return 0;	/* SQLite's own locks and transactions */
	if (be == &hdb_backend_tdb)
		return vnum < EXIM_V(4, 99, 0);	/* then TDB's transactions */
	return 1;
}

int
exim_probe(const char *path, struct exim_target *t, char *err,
    size_t errlen)
{
	const struct passwd *as;
	char *bv, *dbv = NULL;
	char *const a_bv[] = { (char *)path, "-bV", NULL };
	char *const a_dbv[] = { (char *)path, "-d", "-bV", NULL };
	int st, rc;

	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s", path);
	if (exim_runas(path, &as, err, errlen) == -1)
		return -1;
	if ((bv = exim_output(a_bv, 0, &st, as)) == NULL) {
		snprintf(err, errlen, "cannot run it: %s", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && *bv == '\0')
			snprintf(err, errlen, "cannot run it");
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 126 &&
		    *bv == '\0')
			snprintf(err, errlen, "cannot run it as nobody");
		else
			snprintf(err, errlen, "-bV failed (%s %d)",
			    WIFEXITED(st) ? "exit status" : "signal",
			    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		free(bv);
		return -1;
	}
	/* the GnuTLS version is only in the debug output */
	if (strstr(bv, " GnuTLS") != NULL)
		dbv = exim_output(a_dbv, 1, &st, as);
	rc = exim_parse(bv, dbv, t, err, errlen);
	free(bv);
	free(dbv);
	return rc;
}

const char *
exim_backend_label(const struct hdb_backend *be)
{
	if (be == &hdb_backend_bdb)
		return "Berkeley DB";
	if (be == &hdb_backend_gdbm)
		return "GDBM";
	if (be == &hdb_backend_tdb)
		return "tdb";
	if (be == &hdb_backend_ndbm)
		return "NDBM";
	if (be == &hdb_backend_sqlite)
		return "SQLite";
	return "an unknown backend";
}

void
exim_describe(const struct exim_target *t, char *buf, size_t len)
{
	char tls[48];

	if (t->tls == HDB_TLS_LIB_GNUTLS)
		snprintf(tls, sizeof(tls), "GnuTLS %s", t->tls_version[0] ?
		    t->tls_version : "(version unknown)");
	else
		snprintf(tls, sizeof(tls), "%s", t->tls ==
		    HDB_TLS_LIB_OPENSSL ? "OpenSSL" : "no TLS");
	snprintf(buf, len, "Exim %s: %s%s, %s layout, %s, %s", t->version,
	    exim_backend_label(t->be), t->be != &hdb_backend_sqlite ? "" :
	    t->oflags & HDB_O_SQLITE_TBL ? " (table tbl)" : " (table tblblob)",
	    hdb_layout_name(t->layout), t->lockfiles ? "lockfiles" :
	    "no lockfiles", tls);
}
