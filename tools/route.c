/* SPDX-License-Identifier: GPL-2.0-or-later */
/* route.c - a domain's or an address's hosts, from exim -bt (route.h). */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exim.h"
#include "route.h"
#include "xmalloc.h"

/* A "host NAME [IP]..." line of -bt: NAME and IP, or -1. */
static int
host_line(const char *s, char **name, char **ip)
{
	const char *n, *e, *b, *c;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "host ", 5) != 0)
		return -1;
	n = s + 5;
	while (*n == ' ')
		n++;
	for (e = n; *e != '\0' && *e != ' ' && *e != '\n'; e++)
		;
	if (e == n)
		return -1;
	*name = xmalloc((size_t)(e - n) + 1);
	memcpy(*name, n, (size_t)(e - n));
	(*name)[e - n] = '\0';
	for (b = e; *b == ' '; b++)
		;
	if (*b == '[' && (c = strchr(b, ']')) != NULL &&
	    memchr(b, '\n', (size_t)(c - b)) == NULL) {
		*ip = xmalloc((size_t)(c - b));
		memcpy(*ip, b + 1, (size_t)(c - b - 1));
		(*ip)[c - b - 1] = '\0';
	} else
		*ip = xstrdup("");
	return 0;
}

static int
seen(const struct route_host *h, size_t n, const char *name, const char *ip)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0 && strcmp(h[i].ip, ip) == 0)
			return 1;
	return 0;
}

int
route_hosts(const char *exim, const char *config, const char *target,
    struct route_host **hosts, size_t *n, char *err, size_t errlen)
{
	const struct passwd *as;
	char *argv[6], *addr, *out, *line, *name, *ip, why[256];
	size_t a = 0;
	int st;

	*hosts = NULL;
	*n = 0;
	if (strchr(target, '@') != NULL)
		addr = xstrdup(target);
	else if (asprintf(&addr, "User@%s", target) == -1)
		return -1;
	argv[a++] = (char *)exim;
	if (config != NULL) {
		argv[a++] = "-C";
		argv[a++] = (char *)config;
	}
	argv[a++] = "-bt";
	argv[a++] = addr;
	argv[a] = NULL;
	if (exim_runas(exim, &as, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", exim, why);
		free(addr);
		return -1;
	}
	out = exim_output(argv, 0, &st, as);
	free(addr);
	if (out == NULL || (WIFEXITED(st) && WEXITSTATUS(st) == 127)) {
		snprintf(err, errlen, "cannot run %s", exim);
		free(out);
		return -1;
	}
	for (line = out; line != NULL && *line != '\0';
	    line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (host_line(line, &name, &ip) == -1)
			continue;
		if (seen(*hosts, *n, name, ip)) {
			free(name);
			free(ip);
			continue;
		}
		*hosts = xreallocarray(*hosts, *n + 1, sizeof(**hosts));
		(*hosts)[*n].name = name;
		(*hosts)[(*n)++].ip = ip;
	}
	free(out);
	if (*n == 0) {
		snprintf(err, errlen, "exim -bt routed it to no host");
		return -1;
	}
	return 0;
}

void
route_free(struct route_host *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].ip);
	}
	free(h);
}
