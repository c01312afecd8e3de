/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spool.c - list the hints DBs of a spool (see spool.h). */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "out.h"
#include "rec/rec.h"
#include "engine/spool.h"
#include "db/pin.h"
#include "priv.h"
#include "xmalloc.h"

static int	cmpstr(const void *, const void *);
static char    *db_name(const char *);

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int spool_dbs_quiet;

/* db_name - the DB a file in SPOOL/db belongs to, or NULL. */
static char *
db_name(const char *file)
{
	static const char *const sfx[] = { ".dir", ".pag", ".db" };
	size_t i, len = strlen(file), sl;
	char *name;

	if (file[0] == '.')
		return NULL;
	/* never a name Exim gives a DB; left out so none is printed raw */
	if (!db_name_plain(file)) {
		char *p = hdb_vis_dup(file, strlen(file));

		if (!spool_dbs_quiet)
			warnx("ignoring '%s' in SPOOL/db: not a hints "
			    "database name", p);
		free(p);
		return NULL;
	}
	name = xstrdup(file);
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		sl = strlen(sfx[i]);
		if (len > sl && strcmp(name + len - sl, sfx[i]) == 0) {
			name[len - sl] = '\0';
			break;
		}
	}
	if (hdb_dbtype_from_name(name) == HDB_T_UNKNOWN ||
	    strstr(name, ".lockfile") != NULL ||
	    strstr(name, "-journal") != NULL) {
		free(name);
		return NULL;
	}
	return name;
}

int
spool_dbs(const char *spool, char ***names, size_t *n)
{
	char dir[PATH_MAX], *name, **v = NULL;
	struct dirent *e;
	size_t i, j, cap = 0;
	DIR *d;
	int fd;

	*n = 0;
	*names = NULL;
	if ((size_t)snprintf(dir, sizeof(dir), "%s/db", spool) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* the pinned SPOOL/db when spool_pin ran (it has for spool_args) */
	if ((fd = hdb_pin_dirfd(dir)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if ((name = db_name(e->d_name)) == NULL)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[(*n)++] = name;
	}
	closedir(d);
	*names = v;
	if (*n == 0)
		return 0;
	qsort(v, *n, sizeof(*v), cmpstr);
	for (i = 1, j = 1; i < *n; i++) {
		if (strcmp(v[i], v[j - 1]) == 0)
			free(v[i]);
		else
			v[j++] = v[i];
	}
	*n = j;
	return 0;
}

void
spool_dbs_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
spool_args(const char *cmd, int argc, char **argv, char ***names, size_t *n)
{
	char *p;
	int i, ex, e;

	for (i = 1; i < argc; i++)
		if (!db_name_ok(argv[i], cmd))
			return EX_USAGE_;
	if ((ex = spool_pin(argv[0], cmd)) != 0)
		return ex;
	if (argc > 1) {
		*n = (size_t)argc - 1;
		*names = xreallocarray(NULL, *n, sizeof(**names));
		for (i = 1; i < argc; i++)
			(*names)[i - 1] = xstrdup(argv[i]);
		return 0;
	}
	if (spool_dbs(argv[0], names, n) == 0)
		return 0;
	e = errno;
	p = hdb_vis_dup(argv[0], strlen(argv[0]));
	warnx("%s: cannot read '%s/db': %s%s", cmd, p, strerror(e),
	    priv_hint(e, NULL));
	free(p);
	return e == ENOENT || e == ENOTDIR ? EX_NODB : EX_IOERR_;
}
