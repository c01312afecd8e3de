/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * route.h - the hosts Exim would deliver a domain or an address to, as
 * exinext finds them: `exim [-C CONFIG] -bt ADDRESS` (User@DOMAIN for a
 * domain), whose "host NAME [IP]" lines name them.  Unlike exinext, the
 * configuration given is passed on.
 */
#ifndef HDB_ROUTE_H
#define HDB_ROUTE_H

#include <stddef.h>

struct route_host {
	char	*name;
	char	*ip;		/* "" when Exim printed none */
};

/*
 * route_hosts - run exim (a path, or a name on PATH) on target and return
 * its hosts in *hosts (caller frees with route_free), *n of them, in
 * Exim's order without repeats.  0, or -1 with why in err if Exim could
 * not be run or routed nothing (a routing failure is not an error of
 * ours: the caller says so and matches names directly).
 */
int	route_hosts(const char *exim, const char *config, const char *target,
	    struct route_host **hosts, size_t *n, char *err, size_t errlen);
void	route_free(struct route_host *, size_t);

#endif
