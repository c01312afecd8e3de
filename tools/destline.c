/* SPDX-License-Identifier: GPL-2.0-or-later */
/* destline.c - a retry record as one line (destline.h). */
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "destline.h"
#include "out.h"
#include "rec/dest.h"
#include "rec/eximerr.h"
#include "xmalloc.h"

void
dest_next_try(char *buf, size_t len, const struct hdb_retry *r, int64_t now,
    int utc)
{
	char age[32], t[HDB_TIMEBUF];

	if (r->next_try <= now)
		snprintf(buf, len, "now (at the next queue run)");
	else
		snprintf(buf, len, "in %s (at the next queue run after %s)",
		    hdb_fmt_age(age, sizeof(age), hdb_time_diff(r->next_try,
		    now)), hdb_fmt_iso(t, sizeof(t), r->next_try, utc));
}

char *
dest_last_error(const struct hdb_retry *r)
{
	if (r->text_len > 0)
		return hdb_vis_dup(r->text, r->text_len);
	return xstrdup(hdb_errno_name(r->basic_errno) ?
	    hdb_errno_name(r->basic_errno) : "unknown error");
}

/* The label of a retry record's destination, escaped (caller frees). */
static char *
label(const uint8_t *k, size_t kl)
{
	struct hdb_dest d;
	char *h, *ip, *s;

	switch (hdb_dest_parse(HDB_T_RETRY, "retry", k, kl, &d)) {
	case HDB_DEST_HOST:
	case HDB_DEST_HOST_MSG:
		h = hdb_vis_dup(d.host.p, d.host.len);
		if (d.ip.p == NULL)
			return h;
		ip = hdb_vis_dup(d.ip.p, d.ip.len);
		if (asprintf(&s, "%s [%s]:%d", h, ip, d.port) == -1)
			err(EX_INTERNAL, "asprintf");
		free(h);
		free(ip);
		return s;
	case HDB_DEST_ROUTE:
		h = hdb_vis_dup(d.domain.p, d.domain.len);
		if (asprintf(&s, "%s (routing)", h) == -1)
			err(EX_INTERNAL, "asprintf");
		free(h);
		return s;
	default:
		return hdb_vis_dup(k, hdb_key_text_len(k, kl));
	}
}

char *
dest_retry_line(const uint8_t *k, size_t kl, const struct hdb_retry *r,
    int64_t now, int utc, const char *tail)
{
	char age[32], nt[128], *lab = label(k, kl), *e = dest_last_error(r);
	char *s;

	dest_next_try(nt, sizeof(nt), r, now, utc);
	if (asprintf(&s, "%s: failing for %s (%s); next try %s%s%s", lab,
	    hdb_fmt_age(age, sizeof(age), hdb_time_diff(now,
	    r->first_failed)), e, nt, r->expired ?
	    "; past the final cutoff" : "", tail) == -1)
		err(EX_INTERNAL, "asprintf");
	free(lab);
	free(e);
	return s;
}

int
dest_input_open(const char *spool)
{
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/input", spool) >=
	    sizeof(path))
		return -1;
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int
dest_in_input(int dir, const uint8_t *id, size_t len)
{
	char name[64];
	struct stat st;

	if (dir == -1 || len < 6 || len > 32)
		return 0;
	snprintf(name, sizeof(name), "%.*s-H", (int)len, (const char *)id);
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	snprintf(name, sizeof(name), "%c/%.*s-H", id[5], (int)len,
	    (const char *)id);
	return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}
