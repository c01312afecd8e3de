/* SPDX-License-Identifier: GPL-2.0-or-later */
/* format.c - output-format plumbing (see format.h). */
#include <err.h>
#include <stdio.h>

#include <jansson.h>

#include "common.h"
#include "format.h"
#include "jsafe.h"

int
format_pick(const char *cmd, const char *arg, const char *const *names)
{
	char list[256];
	size_t len = 0;
	int f, i;

	if ((f = pick(arg, names)) != -1)
		return f;
	list[0] = '\0';
	/* The message lists the names, so it cannot drift from them. */
	for (i = 0; names[i] != NULL && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i > 0 ? ", " : "", names[i]);
	warnx("%s: unknown format '%s' (%s)", cmd, arg, list);
	return -1;
}

void
json_line(json_t *o, size_t flags)
{
	hdb_json_dumpf(o, stdout, flags);
	putchar('\n');
	json_decref(o);
}
