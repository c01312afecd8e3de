/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_salvage.c - libFuzzer target: the Berkeley DB page walkers of
 * lib/db/salvage.c on a file of arbitrary bytes, with holes: the check
 * that stands before libdb (hdb_bdb_check) and check --repair's salvage
 * (hdb_salvage), neither of which calls libdb, so that what this finds
 * is ours.
 *
 * Input: byte 0 says how the file is laid out, the rest is its content.
 *   bits 0-5  s: if 0 < s <= 40, a hole of 2^s bytes after the content
 *             (a file that claims up to 1 TiB and holds 64 KiB)
 *   bit 6     a hole punched inside the content: bytes 1 and 2 then say
 *             where (4096 * (b1 & 15)) and how long (4096 << (b2 & 3)),
 *             and the content starts at byte 3
 * Every record salvage hands out is decoded as every DB type.  Nothing
 * may crash, trip a sanitizer, or run into libFuzzer's -timeout or
 * -rss_limit_mb: the work must follow the bytes there are, not the size
 * the file claims.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "fuzz_db.h"
#include "db/hdb.h"
#include "db/salvage.h"

static char path[512];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/db", fuzz_dir());
	return 0;
}

static int
each(void *ctx, struct hdb_datum k, struct hdb_datum v)
{
	size_t *n = ctx;

	fuzz_decode_all(k, v);
	/* the ends of each datum: ASan then sees one that runs past */
	if (k.len > 0 && (k.data[0] | k.data[k.len - 1]) == 0x100)
		abort();
	if (v.len > 0 && (v.data[0] | v.data[v.len - 1]) == 0x100)
		abort();
	return ++*n >= 100000;	/* stop now and then, mid-way */
}

static void
layout(const uint8_t *data, size_t size)
{
	size_t skip = 1;
	unsigned s;
	int fd;

	s = data[0] & 0x3f;
	if ((data[0] & 0x40) && size >= 3)
		skip = 3;
	fuzz_write_file(path, data + skip, size - skip);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		abort();
	if (skip == 3)
		(void)fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		    4096 * (off_t)(data[1] & 15), (off_t)4096 << (data[2] & 3));
	if (s > 0 && s <= 40 && ftruncate(fd, (off_t)(size - skip) +
	    ((off_t)1 << s)) == -1 && errno != EFBIG)
		abort();
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	size_t n = 0;
	int fd;

	if (size < 1)
		return 0;
	layout(data, size);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		abort();
	err[0] = '\0';
	if (hdb_bdb_check(fd, err, sizeof(err)) != HDB_OK && err[0] == '\0')
		abort();	/* a refusal says why */
	close(fd);
	(void)hdb_salvage(&hdb_backend_bdb, path, each, &n, err, sizeof(err));
	unlink(path);
	return 0;
}
