/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_ticket.c - decode standalone TLS sessions: what Exim would resume
 * with, where it came from, and when it stops being usable.
 *
 * Each FILE (or - for standard input) is read whole and recognised by
 * sniffing, in this order:
 *   1. PEM "SSL SESSION PARAMETERS" (openssl s_client -sess_out);
 *   2. exactly 00 00 00 00: GnuTLS's "no ticket" placeholder;
 *   3. DER whose outer SEQUENCE spans the whole input (i2d_SSL_SESSION);
 *   4. a GnuTLS packed session (gnutls_session_get_data2): its magic;
 *   5. a whole Exim tls record, v2 or legacy (formats doc §3.0, §3.7),
 *      whose payload is one of the above;
 *   6. anything else that starts with 0x30, as DER (the decoder then
 *      says what is wrong with it).
 * A spool directory (alone, or followed by "tls") stands for every session
 * of its tls DB, read under Exim's read lock as dump reads it.
 * The secrets are printed only with --show-secrets; the input buffers are
 * wiped before they are freed.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "argcheck.h"
#include "commands.h"
#include "common.h"
#include "engine/slurp.h"
#include "format.h"
#include "out.h"
#include "rec/rec.h"
#include "tls/tls.h"
#include "tls/tls_out.h"
#include "secret_out.h"
#include "xmalloc.h"

#define TICKET_USAGE "hintsdb ticket [-z] [--format=text|json|summary] " \
	"[--gnutls-version=VERSION] [--lock-timeout=T] [--now=TIME] " \
	"[--show-secrets] (FILE... | SPOOL [tls])"

#define TICKET_MAX_INPUT	(1024 * 1024)	/* far above any real session */
#define PEM_NAME	"SSL SESSION PARAMETERS"

enum { FMT_TEXT, FMT_JSON, FMT_SUMMARY };
enum { OPT_GNUTLS_VERSION = OPT_FIRST_FREE };

static const char *const ticket_formats[] = { "text", "json", "summary",
	NULL };

static const struct option longopts[] = {
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "gnutls-version", required_argument, NULL, OPT_GNUTLS_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "show-secrets", no_argument, NULL, OPT_SHOW_SECRETS },
	{ NULL, 0, NULL, 0 },
};

struct tctx {
	int		 format;
	int		 show_secrets;
	int		 utc;
	int64_t		 now;
	const char	*gnutls_version;
	int		 spool;		/* sessions of a spool: named by key */
};

/* What the input turned out to be, and where the payload is. */
struct input {
	const char	*kind;		/* "pem", "der", "gnutls", "record" */
	const uint8_t	*payload;
	size_t		 payload_len;
	uint8_t		*pem_der;	/* decoded PEM (OPENSSL_malloc'd) */
	long		 pem_len;
	int		 is_record;
	struct hdb_rec	 rec;
};

static int
usage(FILE *fp)
{
	return usage_of(fp, "ticket", TICKET_USAGE);
}

/* Free a buffer that may hold secrets. */
static void
wipe_free(uint8_t *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

/*
 * slurp_fd - read all of fd into a fresh buffer; grows by copying so that
 * no unwiped copy of the data is left in freed memory.  Returns 0, or -1
 * with errno set (EFBIG when larger than TICKET_MAX_INPUT).
 */
static int
slurp_fd(int fd, uint8_t **out, size_t *outlen)
{
	size_t cap = 8192, len = 0;
	uint8_t *buf = xmalloc(cap), *nb;
	ssize_t n;

	for (;;) {
		if (len == cap) {
			if (cap >= TICKET_MAX_INPUT) {
				wipe_free(buf, cap);
				errno = EFBIG;
				return -1;
			}
			nb = xmalloc(cap * 2);
			memcpy(nb, buf, len);
			wipe_free(buf, cap);
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = errno;
			wipe_free(buf, cap);
			errno = (int)n;
			return -1;
		}
		len += (size_t)n;
	}
	if (len > TICKET_MAX_INPUT) {
		wipe_free(buf, cap);
		errno = EFBIG;
		return -1;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static int
read_input(const char *path, uint8_t **buf, size_t *len)
{
	int fd, r, e;
	struct stat st;

	if (strcmp(path, "-") == 0)
		return slurp_fd(STDIN_FILENO, buf, len);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	r = slurp_fd(fd, buf, len);
	e = errno;
	close(fd);
	errno = e;
	return r;
}

/* 1 if buf holds a PEM armour line (of any kind: from_pem checks it). */
static int
looks_pem(const uint8_t *buf, size_t len)
{
	return memmem(buf, len, "-----BEGIN ", 11) != NULL;
}

static const char *
from_pem(const uint8_t *buf, size_t len, struct input *in)
{
	BIO *bio;
	char *name = NULL, *hdr = NULL;
	unsigned char *data = NULL;
	long n = 0;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return "cannot read the PEM text";
	/* PEM_read_bio reads the first armoured block of any name. */
	if (!PEM_read_bio(bio, &name, &hdr, &data, &n)) {
		BIO_free(bio);
		ERR_clear_error();
		return "PEM text with no readable block";
	}
	BIO_free(bio);
	OPENSSL_free(hdr);
	if (strcmp(name, PEM_NAME) != 0) {
		OPENSSL_free(name);
		OPENSSL_clear_free(data, (size_t)n);
		return "PEM block is not \"" PEM_NAME "\"";
	}
	OPENSSL_free(name);
	in->kind = "pem";
	in->pem_der = data;
	in->pem_len = n;
	in->payload = data;
	in->payload_len = (size_t)n;
	return NULL;
}

/* DER whose outer SEQUENCE covers exactly len bytes. */
static int
der_spans(const uint8_t *b, size_t len)
{
	size_t hl, cl, i, nb;

	if (len < 2 || b[0] != 0x30)
		return 0;
	if (b[1] < 0x80) {
		hl = 2;
		cl = b[1];
	} else {
		nb = b[1] & 0x7f;
		if (nb == 0 || nb > 4 || len < 2 + nb)
			return 0;
		for (cl = 0, i = 0; i < nb; i++)
			cl = cl << 8 | b[2 + i];
		hl = 2 + nb;
	}
	return cl == len - hl;
}

/* Exim record: header, flags byte, payload, 7 bytes of padding. */
static const char *
from_record(const uint8_t *buf, size_t len, struct input *in)
{
	const char *why = NULL;

	if (hdb_rec_layout(buf, len) == HDB_L_AUTO)
		return "not a session, nor an Exim tls record";
	if (hdb_rec_decode(HDB_T_TLS, HDB_L_AUTO, NULL, 0, buf, len,
	    &in->rec, &why) == -1)
		return why;
	if (hdb_tls_sniff(in->rec.u.tls.payload,
	    in->rec.u.tls.payload_len) == HDB_TLS_LIB_UNKNOWN)
		return "an Exim record header, but no known session payload";
	in->kind = "record";
	in->is_record = 1;
	in->payload = in->rec.u.tls.payload;
	in->payload_len = in->rec.u.tls.payload_len;
	return NULL;
}

/* Recognise buf (see the file comment for the order); NULL or a reason. */
static const char *
sniff(const uint8_t *buf, size_t len, struct input *in)
{
	const char *why;

	memset(in, 0, sizeof(*in));
	if (len == 0)
		return "empty input";
	if (looks_pem(buf, len))
		return from_pem(buf, len, in);
	in->payload = buf;
	in->payload_len = len;
	if (len == 4 && memcmp(buf, "\0\0\0\0", 4) == 0) {
		in->kind = "gnutls";
		return NULL;
	}
	if (der_spans(buf, len)) {
		in->kind = "der";
		return NULL;
	}
	if (hdb_tls_sniff(buf, len) == HDB_TLS_LIB_GNUTLS) {
		in->kind = "gnutls";
		return NULL;
	}
	if ((why = from_record(buf, len, in)) == NULL)
		return NULL;
	/* Not a record either: DER that does not fill the input is still
	 * given to the decoder, which says what is wrong with it. */
	if (buf[0] == 0x30) {
		memset(in, 0, sizeof(*in));
		in->kind = "der";
		in->payload = buf;
		in->payload_len = len;
		return NULL;
	}
	return why;
}

static void
put_text(const char *name, const struct input *in,
    const struct hdb_tls_info *ti, const struct tctx *c)
{
	hdb_out_vis(stdout, name, strlen(name));
	printf("\n  input: %s\n", in->kind);
	if (in->is_record) {
		printf("  record_layout: %s\n",
		    hdb_layout_name(in->rec.layout));
		if (in->rec.layout == HDB_L_V2)
			printf("  record_tainted: %s\n",
			    in->rec.tainted ? "yes" : "no");
		printf("  record_flags: 0x%02x\n", in->rec.u.tls.flags);
	}
	hdb_tls_print_text(stdout, ti, c->now, c->utc, c->show_secrets,
	    "  ");
	putchar('\n');
}

static void
put_json(const char *name, const struct input *in,
    const struct hdb_tls_info *ti, const struct tctx *c)
{
	json_t *o = hdb_tls_json(ti, c->now, c->show_secrets);
	char *v = hdb_vis_dup(name, strlen(name));

	json_object_set_new(o, c->spool ? "key" : "file", json_string(v));
	free(v);
	json_object_set_new(o, "input", json_string(in->kind));
	if (in->is_record) {
		json_object_set_new(o, "record_layout",
		    json_string(hdb_layout_name(in->rec.layout)));
		if (in->rec.layout == HDB_L_V2)
			json_object_set_new(o, "record_tainted",
			    json_boolean(in->rec.tainted));
		json_object_set_new(o, "record_flags",
		    json_integer(in->rec.u.tls.flags));
	}
	json_line(o, JSON_COMPACT | JSON_SORT_KEYS);
}

static void
put_summary(const char *name, const struct hdb_tls_info *ti,
    const struct tctx *c)
{
	char line[512];

	hdb_out_vis(stdout, name, strlen(name));
	hdb_tls_summary(line, sizeof(line), ti, c->now, c->utc);
	printf(": %s\n", line);
}

/* A file that is no session at all: say so in place of its block. */
static void
put_refused(const char *name, const char *why, const struct tctx *c)
{
	json_t *o;
	char *v;

	switch (c->format) {
	case FMT_JSON:
		o = json_object();
		v = hdb_vis_dup(name, strlen(name));
		json_object_set_new(o, c->spool ? "key" : "file",
		    json_string(v));
		free(v);
		json_object_set_new(o, "error", json_string(why));
		json_line(o, JSON_COMPACT | JSON_SORT_KEYS);
		break;
	case FMT_SUMMARY:
		hdb_out_vis(stdout, name, strlen(name));
		printf(": error: %s\n", why);
		break;
	default:
		hdb_out_vis(stdout, name, strlen(name));
		printf("\n  error: %s\n\n", why);
		break;
	}
}

/* Decode in's payload and print it under name (what: its file, or its
 * key in the tls DB, for messages); returns its exit status. */
static int
show(const char *name, const char *what, const struct input *in,
    const struct tctx *c)
{
	struct hdb_tls_info ti;
	char *vp;
	int r, ex;

	r = hdb_tls_decode(in->payload, in->payload_len, &ti);
	if (in->is_record)
		hdb_tls_set_record(&ti, in->rec.time_stamp, 1,
		    in->rec.u.tls.flags);
	if (c->gnutls_version != NULL)
		hdb_tls_set_runtime_gnutls(&ti, c->gnutls_version);
	switch (c->format) {
	case FMT_JSON:
		put_json(name, in, &ti, c);
		break;
	case FMT_SUMMARY:
		put_summary(name, &ti, c);
		break;
	default:
		put_text(name, in, &ti, c);
		break;
	}
	ex = r == 0 ? 0 : r == 1 ? EX_FINDINGS : EX_REFUSED;
	if (r != 0) {
		vp = hdb_vis_dup(what, strlen(what));
		warnx("ticket: %s '%s': %s", r == 1 ? "partly decoded" :
		    "cannot decode", vp, ti.why ? ti.why : "unknown error");
		free(vp);
	}
	hdb_tls_info_clear(&ti);
	return ex;
}

/* The spool a path SPOOL/db/NAME lies in, or NULL (free it). */
static char *
spool_of(const char *path)
{
	char *p = xstrdup(path), *s;

	while ((s = strrchr(p, '/')) != NULL && s[1] == '\0' && s != p)
		*s = '\0';
	if ((s = strrchr(p, '/')) == NULL)
		goto none;
	*s = '\0';
	if (strcmp(p, "db") == 0) {
		free(p);
		return xstrdup(".");
	}
	if ((s = strrchr(p, '/')) == NULL || strcmp(s + 1, "db") != 0)
		goto none;
	*s = '\0';
	if (*p == '\0')
		strcpy(p, "/");
	return p;
none:
	free(p);
	return NULL;
}

/* 1 if dir/sub exists (of any kind). */
static int
has(const char *dir, const char *sub)
{
	char p[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, sub) >= sizeof(p))
		return 0;
	return stat(p, &st) == 0;
}

/*
 * wrong_form - a path that is no session file but something ticket can
 * read another way: a hints DB file, a spool given among files, a spool's
 * db directory, another directory.  Says what to type instead and returns
 * the exit status; 0 if path is none of these.
 */
static int
wrong_form(const char *path, int isdir)
{
	char *v = hdb_vis_dup(path, strlen(path)), *sp = NULL, *vs = NULL;
	int ex = 0;

	if (!isdir && hdb_detect(path) != NULL) {
		sp = spool_of(path);
		vs = sp ? hdb_vis_dup(sp, strlen(sp)) : xstrdup("SPOOL");
		warnx("ticket: '%s' is a hints database; use: hintsdb ticket "
		    "%s, or hintsdb dump %s tls", v, vs, vs);
		ex = EX_REFUSED;
	} else if (isdir && has(path, "db")) {
		warnx("ticket: '%s' is a spool; use: hintsdb ticket %s "
		    "(alone, for the sessions of its db/tls)", v, v);
		ex = EX_USAGE_;
	} else if (isdir && has(path, "tls")) {
		warnx("ticket: '%s' is a spool's db directory; use: hintsdb "
		    "ticket SPOOL (the directory above it)", v);
		ex = EX_USAGE_;
	} else if (isdir) {
		warnx("ticket: '%s' is a directory, not a spool (it has no "
		    "db); use: hintsdb ticket SPOOL, or name session files",
		    v);
		ex = EX_IOERR_;
	}
	free(v);
	free(vs);
	free(sp);
	return ex;
}

/* Decode one file and print it; returns its exit status. */
static int
ticket_one(const char *path, const struct tctx *c)
{
	const char *name = strcmp(path, "-") == 0 ? "(stdin)" : path;
	struct input in;
	const char *why;
	uint8_t *buf = NULL;
	size_t len = 0;
	char *vp;
	int ex;

	if (read_input(path, &buf, &len) == -1) {
		int e = errno;

		if (e == EISDIR)
			return wrong_form(path, 1);

		vp = hdb_vis_dup(path, strlen(path));
		warnx("ticket: cannot read '%s': %s", vp,
		    e == EFBIG ? "1 MiB or larger, not a session" :
		    strerror(e));
		free(vp);
		return e == ENOENT || e == ENOTDIR ? EX_NODB :
		    e == EFBIG ? EX_REFUSED : EX_IOERR_;
	}
	if ((why = sniff(buf, len, &in)) != NULL) {
		wipe_free(buf, len);
		if ((ex = wrong_form(path, 0)) != 0)
			return ex;
		put_refused(name, why, c);
		vp = hdb_vis_dup(path, strlen(path));
		warnx("ticket: cannot decode '%s': %s", vp, why);
		free(vp);
		return EX_REFUSED;
	}
	ex = show(name, path, &in, c);
	if (in.pem_der != NULL)
		OPENSSL_clear_free(in.pem_der, (size_t)in.pem_len);
	wipe_free(buf, len);
	return ex;
}

/* One record of the tls DB, named by its key. */
static int
ticket_rec(const struct slurp *s, size_t i, const struct tctx *c)
{
	const uint8_t *k = slurp_key(s, i);
	size_t kl = hdb_key_text_len(k, s->recs[i].klen);
	char *name = xmalloc(kl + 1), *v;
	struct input in;
	const char *why = NULL;
	int ex;

	memcpy(name, k, kl);
	name[kl] = '\0';
	memset(&in, 0, sizeof(in));
	if (hdb_rec_decode(HDB_T_TLS, HDB_L_AUTO, k, s->recs[i].klen,
	    slurp_val(s, i), s->recs[i].vlen, &in.rec, &why) == -1) {
		put_refused(name, why, c);
		v = hdb_vis_dup(name, kl);
		warnx("ticket: cannot decode '%s': %s", v, why);
		free(v);
		free(name);
		return EX_REFUSED;
	}
	in.kind = "record";
	in.is_record = 1;
	in.payload = in.rec.u.tls.payload;
	in.payload_len = in.rec.u.tls.payload_len;
	ex = show(name, name, &in, c);
	free(name);
	return ex;
}

/* Every session of SPOOL/db/tls, in key order. */
static int
ticket_spool(const char *spool, const struct dbopts *o,
    const struct tctx *c)
{
	struct dbh d;
	struct slurp s;
	size_t i;
	int ex, r;

	if ((ex = db_open(&d, spool, "tls", 0, o, "ticket")) != 0)
		return ex;
	if (slurp_read(&s, d.h, 0) != HDB_OK) {
		warnx("ticket: cannot read '%s': %s", d.name,
		    hdb_error(d.h));
		db_close(&d);
		slurp_free(&s);
		return EX_IOERR_;
	}
	db_close(&d);
	slurp_sort(&s);
	for (i = 0; i < s.n; i++)
		if ((r = ticket_rec(&s, i, c)) > ex)
			ex = r;
	/* The records held sessions: wipe them before they are freed. */
	if (s.buf != NULL)
		OPENSSL_cleanse(s.buf, s.used);
	slurp_free(&s);
	return ex;
}

/* SPOOL, or SPOOL tls: a spool directory with a db in it. */
static int
spool_operands(int argc, char **argv)
{
	struct stat st;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "tls") != 0))
		return 0;
	return stat(argv[0], &st) == 0 && S_ISDIR(st.st_mode) &&
	    has(argv[0], "db");
}

static int
cmd_ticket_main(int argc, char **argv)
{
	struct dbopts o;
	struct tctx c;
	int ch, i, ex = 0, r;

	dbopts_init(&o);
	memset(&c, 0, sizeof(c));
	while ((ch = getopt_long(argc, argv, "z", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_FORMAT:
			if ((c.format = format_pick("ticket", optarg,
			    ticket_formats)) == -1)
				return EX_USAGE_;
			break;
		case OPT_GNUTLS_VERSION:
			c.gnutls_version = optarg;
			if (hdb_tls_parse_version(optarg) == -1) {
				warnx("ticket: bad GnuTLS version '%s' "
				    "(like 3.7.9)", optarg);
				return EX_USAGE_;
			}
			break;
		case OPT_HELP:
			return usage(stdout);
		case OPT_SHOW_SECRETS:
			c.show_secrets = 1;
			break;
		case OPT_LOCK_TIMEOUT:
		case OPT_NOW:
		case 'z':
			if (dbopts_parse(&o, ch, optarg, "ticket") == 0)
				break;
			return EX_USAGE_;
		default:
			return usage(stderr);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage(stderr);
	c.now = clock_now(&o);
	c.utc = o.utc;
	if (c.show_secrets)
		secret_warn("ticket", "secrets (--show-secrets)");
	if ((c.spool = spool_operands(argc, argv)))
		ex = ticket_spool(argv[0], &o, &c);
	else
		for (i = 0; i < argc; i++)
			if ((r = ticket_one(argv[i], &c)) > ex)
				ex = r;
	if ((r = finish_stdout("ticket")) != 0)
		return r;
	return ex;
}

const struct command cmd_ticket_entry = {
	.name = "ticket",
	.usage = TICKET_USAGE,
	.summary = "decode a saved TLS session or an Exim tls record",
	.flags = CMD_F_NODB,
	.main = cmd_ticket_main,
	.longopts = longopts,
	.shortopts = "z",
};
