/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls_fixture.c - fixtures and checks shared by the TLS session tests
 * (see tls_fixture.h).
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "tls_fixture.h"

static char datadir[PATH_MAX + 64];

int
find_datadir(void)
{
	const char *top = getenv("HINTSDB_TOP");
	char exe[PATH_MAX], *s;
	ssize_t n;
	int i;

	if (top != NULL) {
		snprintf(datadir, sizeof(datadir), "%s/tests/data/tls", top);
		return access(datadir, R_OK) == 0 ? 0 : -1;
	}
	snprintf(datadir, sizeof(datadir), "tests/data/tls");
	if (access(datadir, R_OK) == 0)
		return 0;
	/* build/unit/test_x -> the top of the tree */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return -1;
	exe[n] = '\0';
	for (i = 0; i < 3 && (s = strrchr(exe, '/')) != NULL; i++)
		*s = '\0';
	snprintf(datadir, sizeof(datadir), "%s/tests/data/tls", exe);
	return access(datadir, R_OK) == 0 ? 0 : -1;
}

uint8_t *
load(const char *name, size_t *len)
{
	char path[PATH_MAX + 256];
	FILE *fp;
	uint8_t *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg("cannot open %s", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc(n > 0 ? (size_t)n : 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

void
facts_load(struct facts *f, const char *name)
{
	char path[PATH_MAX + 256], line[4096], *eq, *nl;
	FILE *fp;

	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/%s", datadir, name);
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), fp) != NULL && f->n < 64) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		*eq = '\0';
		f->k[f->n] = strdup(line);
		f->v[f->n++] = strdup(eq + 1);
	}
	fclose(fp);
}

void
facts_free(struct facts *f)
{
	int i;

	for (i = 0; i < f->n; i++) {
		free(f->k[i]);
		free(f->v[i]);
	}
	f->n = 0;
}

const char *
fact(const struct facts *f, const char *k)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->k[i], k) == 0)
			return f->v[i];
	return NULL;
}

long long
fact_num(const struct facts *f, const char *k, long long dflt)
{
	const char *v = fact(f, k);

	return v == NULL || *v == '\0' ? dflt : strtoll(v, NULL, 0);
}

char *
hex(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
}

void
assert_hex(const uint8_t *p, size_t n, const char *want)
{
	char *h = hex(p, n);

	if (strcasecmp(h, want) != 0)
		fail_msg("hex %s, wanted %s", h, want);
	free(h);
}

void
assert_str(const struct hdb_tls_str *s, const char *want)
{
	if (s->p == NULL)
		fail_msg("absent, wanted '%s'", want);
	if (s->len != strlen(want) || memcmp(s->p, want, s->len) != 0)
		fail_msg("'%s', wanted '%s'", s->p, want);
}

/* Names of the fixtures with a given prefix and suffix, sorted. */
int
list(const char *prefix, const char *suffix, char names[][128], int max)
{
	DIR *d = opendir(datadir);
	struct dirent *e;
	size_t pl = strlen(prefix), sl = strlen(suffix), nl;
	int n = 0, i, j;
	char tmp[128];

	assert_non_null(d);
	while ((e = readdir(d)) != NULL && n < max) {
		nl = strlen(e->d_name);
		if (nl < pl + sl || nl >= 128 ||
		    strncmp(e->d_name, prefix, pl) != 0 ||
		    strcmp(e->d_name + nl - sl, suffix) != 0)
			continue;
		memcpy(names[n++], e->d_name, nl + 1);
	}
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			memcpy(tmp, names[j], 128);
			memcpy(names[j], names[j - 1], 128);
			memcpy(names[j - 1], tmp, 128);
		}
	return n;
}

void
check_peer(const struct hdb_tls_cert *c, const struct facts *f)
{
	char sans[1024] = "";
	size_t i;

	assert_true(c->present);
	assert_true(c->parsed);
	assert_str(&c->cn, fact(f, "peer_cn"));
	assert_str(&c->subject, fact(f, "peer_subject"));
	assert_str(&c->issuer, fact(f, "peer_issuer"));
	assert_true(c->have_validity);
	assert_int_equal(c->not_after, fact_num(f, "peer_not_after", -1));
	assert_string_equal(c->serial, fact(f, "peer_serial"));
	assert_string_equal(c->sha256, fact(f, "peer_sha256"));
	for (i = 0; i < c->nsan; i++) {
		if (i > 0)
			strcat(sans, ",");
		strncat(sans, c->san[i].p, sizeof(sans) - strlen(sans) - 1);
	}
	assert_string_equal(sans, fact(f, "peer_san"));
}

int
decode_copy(const uint8_t *src, size_t n)
{
	struct hdb_tls_info ti;
	uint8_t *p = malloc(n ? n : 1);
	int r;

	memcpy(p, src, n);
	r = hdb_tls_decode(p, n, &ti);
	if (r == 1)
		assert_true(ti.partial);
	if (r != 0)
		assert_non_null(ti.why);
	hdb_tls_info_clear(&ti);
	free(p);
	return r;
}

void
truncate_each(const char *name, size_t partial_from)
{
	uint8_t *buf;
	size_t len, cut;
	int r;

	buf = load(name, &len);
	for (cut = 0; cut < len; cut++) {
		r = decode_copy(buf, cut);
		if (r != -1 && r != 1)
			fail_msg("%s cut at %zu: %d", name, cut, r);
		if (cut >= partial_from && r != 1)
			fail_msg("%s cut at %zu: not partial", name, cut);
	}
	free(buf);
}

void
flip_each(const char *name)
{
	static const uint8_t x[] = { 0x01, 0x80, 0xff };
	uint8_t *buf;
	size_t len, pos, k;
	int r;

	buf = load(name, &len);
	for (pos = 0; pos < len; pos++)
		for (k = 0; k < sizeof(x); k++) {
			buf[pos] ^= x[k];
			r = decode_copy(buf, len);
			assert_true(r >= -1 && r <= 1);
			buf[pos] ^= x[k];
		}
	free(buf);
}
