/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * measure.h - what bench/prober.c and bench/exprobe.c share: run one
 * command with its output redirected, do some work beside it at a fixed
 * period while it runs, and measure it: wall time (CLOCK_MONOTONIC from
 * fork to exit, seen at once through a pidfd), user and system time and
 * peak RSS (wait4), printed as one JSON object.
 */
#ifndef BENCH_MEASURE_H
#define BENCH_MEASURE_H

#include <jansson.h>

struct measure {
	double	 wall_ms, user_ms, sys_ms;
	long	 maxrss_kib;
	int	 status;	/* exit status, or 128 + signal */
};

/* Called every period while the command runs, first at its start. */
typedef void	 measure_tick(void *arg);

double	 measure_now_ms(void);
/* Runs argv, stdout to out and stderr to err; exits 2 if it cannot.  With
 * tick NULL it only waits. */
void	 measure_run(char **argv, const char *out, const char *err,
	    double period_ms, measure_tick *tick, void *arg, struct measure *);
/* The measurement as a new JSON object, for the caller's own members. */
json_t	*measure_json(const struct measure *);
/* Prints obj compactly on one line of stdout, and frees it. */
void	 measure_print(json_t *obj);

#endif
