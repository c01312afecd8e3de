/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz.h - what the libFuzzer targets in tests/fuzz/ share: output captured
 * in memory (so it can be checked, not just thrown away), the check that no
 * control byte reaches a text stream, a canary that tells a printed secret,
 * and a private scratch directory for targets that need files.
 *
 * Everything is static inline: each target is one translation unit linked
 * against build-fuzz/libhintsdb.a (and the tools' objects).  A failed check
 * calls abort(), which libFuzzer reports as a crash and saves the input.
 */
#ifndef HDB_FUZZ_H
#define HDB_FUZZ_H

#include <sys/stat.h>

#include <ctype.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* Output of a FILE * kept in memory (open_memstream). */
struct fuzz_cap {
	FILE		*fp;
	char		*buf;
	size_t		 len;
};

static inline FILE *
fuzz_cap_open(struct fuzz_cap *c)
{
	c->buf = NULL;
	c->len = 0;
	if ((c->fp = open_memstream(&c->buf, &c->len)) == NULL)
		abort();
	return c->fp;
}

/* Close the stream; c->buf[0..c->len) is then the text (free with _free). */
static inline void
fuzz_cap_close(struct fuzz_cap *c)
{
	fclose(c->fp);
	c->fp = NULL;
}

static inline void
fuzz_cap_free(struct fuzz_cap *c)
{
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
}

/*
 * fuzz_no_ctl - abort if text holds a byte below 0x20 other than newline
 * and tab, or 0x7f: the rule every text format of hintsdb keeps.
 */
static inline void
fuzz_no_ctl(const char *what, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
			size_t a = i > 60 ? i - 60 : 0, j;

			fprintf(stderr, "fuzz: %s: control byte 0x%02x at "
			    "offset %zu of %zu, after: ", what, c, i, len);
			for (j = a; j <= i; j++)
				fprintf(stderr, isprint((unsigned char)buf[j]) ?
				    "%c" : "\\x%02x", (unsigned char)buf[j]);
			fputc('\n', stderr);
			abort();
		}
	}
}

/* JSON may hold DEL (jansson keeps it) but never a raw byte below 0x20. */
static inline void
fuzz_no_ctl_json(const char *what, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 && buf[i] != '\n') {
			fprintf(stderr, "fuzz: %s: raw byte 0x%02x in JSON at "
			    "offset %zu\n", what, (unsigned char)buf[i], i);
			abort();
		}
}

/*
 * Secret canary: a decoder keeps secrets in one buffer; the target fills
 * it with these random bytes before printing without --show-secrets, and
 * fuzz_no_canary then looks for any 8 of them in a row, as hex either case.
 */
static uint8_t fuzz_canary[32];

static inline void
fuzz_canary_init(void)
{
	int fd = open("/dev/urandom", O_RDONLY);

	if (fd == -1 || read(fd, fuzz_canary, sizeof(fuzz_canary)) !=
	    (ssize_t)sizeof(fuzz_canary))
		abort();
	close(fd);
	/* A canary byte that is 0 would match zero-filled payload fields. */
	for (size_t i = 0; i < sizeof(fuzz_canary); i++)
		fuzz_canary[i] |= 0x11;
}

static inline void
fuzz_canary_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = fuzz_canary[i % sizeof(fuzz_canary)];
}

/*
 * The search is hidden from the fuzzer: no coverage or comparison tracing
 * here, and no memmem (whose interceptor feeds libFuzzer's dictionary),
 * or it learns the canary from this very check and prints it itself.
 */
__attribute__((no_sanitize("coverage"))) static int
fuzz_find(const char *buf, size_t len, const char *s, size_t n)
{
	size_t i, j;

	for (i = 0; i + n <= len; i++) {
		for (j = 0; j < n && buf[i + j] == s[j]; j++)
			;
		if (j == n)
			return 1;
	}
	return 0;
}

__attribute__((no_sanitize("coverage"))) static inline void
fuzz_no_canary(const char *what, const char *buf, size_t len)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	char hx[17], HX[17];
	size_t off, i;

	for (off = 0; off < sizeof(fuzz_canary); off++) {
		for (i = 0; i < 8; i++) {
			uint8_t b = fuzz_canary[(off + i) % sizeof(fuzz_canary)];

			hx[2 * i] = lo[b >> 4];
			hx[2 * i + 1] = lo[b & 15];
			HX[2 * i] = up[b >> 4];
			HX[2 * i + 1] = up[b & 15];
		}
		hx[16] = HX[16] = '\0';
		if (fuzz_find(buf, len, hx, 16) || fuzz_find(buf, len, HX, 16)) {
			fprintf(stderr, "fuzz: %s: a secret was printed "
			    "without --show-secrets\n", what);
			abort();
		}
	}
}

/* ---- a scratch directory, removed at exit ---------------------------- */

static char fuzz_dir_path[256];

static int
fuzz_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

static inline void
fuzz_dir_remove(void)
{
	if (fuzz_dir_path[0] != '\0')
		nftw(fuzz_dir_path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * fuzz_dir - a private directory under $FUZZ_TMPDIR, /dev/shm (RAM: no
 * disk syncs) or /tmp; made on the first call, removed at exit.
 */
static inline const char *
fuzz_dir(void)
{
	const char *base;

	if (fuzz_dir_path[0] != '\0')
		return fuzz_dir_path;
	if ((base = getenv("FUZZ_TMPDIR")) == NULL)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fuzz_dir_path, sizeof(fuzz_dir_path), "%s/hdbfuzz.XXXXXX",
	    base);
	if (mkdtemp(fuzz_dir_path) == NULL)
		abort();
	atexit(fuzz_dir_remove);
	return fuzz_dir_path;
}

/* Write data to path (replacing it); aborts on failure. */
static inline void
fuzz_write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);

	if (fd == -1 || (len > 0 && write(fd, data, len) != (ssize_t)len))
		abort();
	close(fd);
}

/* Read a whole small file into a fresh buffer; NULL if unreadable. */
static inline uint8_t *
fuzz_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

#endif
