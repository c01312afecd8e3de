/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_import.c - rebuild a hints DB from `hintsdb export` output read on
 * standard input, re-encoding every record for the target layout, and put
 * it in place of SPOOL/db/NAME atomically under Exim's write lock (the
 * same machinery as convert --in-place).
 *
 * Only "key"/"key_b64" and "raw" of a record line are used; the decoded
 * fields are for people and scripts.  The header must be for a DB of the
 * same type and the same ABI, and the number of record lines must match
 * its count, so a truncated file is refused rather than half-imported.
 *
 * Target backend: --backend, else that of the DB being replaced, else the
 * export's.  Layout: --layout, else the export's (a mixed export keeps
 * each record's).
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "commands.h"
#include "common.h"
#include "rec/convert.h"
#include "out.h"
#include "engine/rebuild.h"
#include "db/pin.h"
#include "jscan.h"
#include "priv.h"
#include "progress.h"
#include "xmalloc.h"

#define IMPORT_USAGE "hintsdb import [-v] [--backend=B] [--drop-bad] " \
	"[--layout=L] [--lock-timeout=T] [--no-drop-privileges] " \
	"[--sqlite-schema=tbl|tblblob] " \
	"SPOOL DBNAME < FILE"

static const struct option longopts[] = {
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "drop-bad", no_argument, NULL, OPT_DROP_BAD },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "no-drop-privileges", no_argument, NULL, OPT_NO_DROP },
	{ "sqlite-schema", required_argument, NULL, OPT_SQLITE_SCHEMA },
	{ NULL, 0, NULL, 0 },
};

/* One input line: the key and value it carries (owned). */
struct inrec {
	uint8_t		*key, *val;
	size_t		 klen, vlen;
};

struct input {
	FILE		*fp;
	char		*line;
	size_t		 cap;
	unsigned long	 lineno;
};

static int	read_line(struct input *, size_t *);
static int	next_line(struct input *, json_t **);
static int	parse_line(struct input *, size_t, json_t **);
static int	next_rec(struct input *, struct inrec *, const char **);
static const char *abi_model(const char *);
static int	check_header(json_t *, const char *, struct rebuild_spec *,
		    const struct rebuild_opts *, const char *, size_t *);
static int	get_key(json_t *, struct inrec *, const char **);
static int	get_rec(json_t *, struct inrec *, const char **);
static int	import_records(struct input *, struct rebuild *, size_t);
static int	import(const char *, const char *, struct rebuild_opts *);

/*
 * read_capped - getline(3), but a line longer than LINE_MAX_BYTES is read
 * through and dropped, never kept: -2 for it.  No record within the size
 * cap (hdb.h) needs that much, in any of export's fields.
 */
#define LINE_MAX_BYTES	(8 * (size_t)(HDB_KEY_MAX + HDB_VAL_MAX))

static ssize_t
read_capped(struct input *in)
{
	size_t n = 0, got;
	int over = 0;

	for (;;) {
		if (in->cap - n < 2) {
			if (in->cap >= LINE_MAX_BYTES) {	/* drop it */
				over = 1;
				n = 0;
			} else {
				in->cap = in->cap ? in->cap * 2 : 4096;
				in->line = xreallocarray(in->line, in->cap, 1);
			}
		}
		if (fgets(in->line + n, (int)(in->cap - n), in->fp) == NULL)
			break;
		got = strlen(in->line + n);
		n += got;
		if (got > 0 && in->line[n - 1] == '\n')
			break;
	}
	if (over)
		return -2;
	return n == 0 ? -1 : (ssize_t)n;
}

/* Why a line over LINE_MAX_BYTES is refused. */
static const char *
too_long(void)
{
	static char why[160];

	snprintf(why, sizeof(why), "longer than %zu MiB, more than a record "
	    "within the size cap (keys %u KiB, values %u KiB) needs: refused",
	    LINE_MAX_BYTES >> 20, HDB_KEY_MAX >> 10, HDB_VAL_MAX >> 10);
	return why;
}

/*
 * read_line - the next non-empty input line in in->line, its length in
 * *len.  Returns 1, 0 at the end, 2 for a line too long (too_long; not
 * said), or -1 after printing why.
 */
static int
read_line(struct input *in, size_t *len)
{
	ssize_t n;

	for (;;) {
		errno = 0;
		if ((n = read_capped(in)) == -1) {
			if (ferror(in->fp)) {
				warn("import: cannot read standard input");
				return -1;
			}
			return 0;
		}
		in->lineno++;
		if (n == -2)
			return 2;
		while (n > 0 && (in->line[n - 1] == '\n' ||
		    in->line[n - 1] == '\r'))
			in->line[--n] = '\0';
		if (n > 0)
			break;
	}
	*len = (size_t)n;
	return 1;
}

/*
 * next_line - the next non-empty input line as a JSON object in *o.
 * Returns 1 with *o, 0 at the end, or -1 after printing why.
 */
static int
next_line(struct input *in, json_t **o)
{
	size_t n;
	int rc;

	if ((rc = read_line(in, &n)) == 2) {
		warnx("import: line %lu: %s", in->lineno, too_long());
		return -1;
	}
	if (rc != 1)
		return rc;
	return parse_line(in, n, o);
}

/* parse_line - in->line as a JSON object in *o: 1, or -1 after why. */
static int
parse_line(struct input *in, size_t n, json_t **o)
{
	json_error_t je;

	*o = json_loadb(in->line, n, JSON_DISABLE_EOF_CHECK, &je);
	if (*o == NULL || !json_is_object(*o)) {
		/* jansson quotes the offending input: escape it */
		char *t = hdb_vis_dup(je.text, *o == NULL ? strlen(je.text) : 0);

		warnx("import: line %lu: not a JSON object%s%s", in->lineno,
		    *o == NULL ? ": " : "", t);
		free(t);
		json_decref(*o);
		return -1;
	}
	return 1;
}

/* abi_model - the ABI without the architecture ("lp64-le"). */
static const char *
abi_model(const char *abi)
{
	const char *dash = strchr(abi, '-');

	return dash != NULL ? dash + 1 : abi;
}

/*
 * check_header - the header suits DB name: same export version, type and
 * record ABI.  Fills the backend and layout that the options left open,
 * and *count.  Returns 0 or an exit code (message printed).
 */
static int
check_header(json_t *h, const char *name, struct rebuild_spec *sp,
    const struct rebuild_opts *io, const char *path, size_t *count)
{
	const char *type, *be, *layout, *abi, *schema;
	json_int_t ver, n;
	char *t;

	if (json_unpack(h, "{s:I, s:s, s:s, s:s, s:s, s:I}", "hintsdb_export",
	    &ver, "type", &type, "backend", &be, "layout", &layout, "abi",
	    &abi, "records", &n) == -1 || ver != 1 || n < 0) {
		warnx("import: line 1: not a hintsdb export header");
		return EX_REFUSED;
	}
	if (strcmp(type, hdb_dbtype_name(sp->type)) != 0) {
		t = hdb_vis_dup(type, strlen(type));
		warnx("import: the export holds %s records, not %s records",
		    t, hdb_dbtype_name(sp->type));
		free(t);
		return EX_REFUSED;
	}
	if (strcmp(abi_model(abi), abi_model(hdb_abi())) != 0) {
		t = hdb_vis_dup(abi, strlen(abi));
		warnx("import: the export was made on %s; its records do not "
		    "fit %s", t, hdb_abi());
		free(t);
		return EX_REFUSED;
	}
	*count = (size_t)n;
	if (sp->be == NULL && (sp->be = hdb_detect(path)) == NULL &&
	    (sp->be = hdb_backend_find(be)) == NULL) {
		t = hdb_vis_dup(be, strlen(be));
		warnx("import: unknown backend '%s' in the export", t);
		free(t);
		return EX_REFUSED;
	}
	if (!io->layout_set && hdb_layout_from_name(layout, &sp->layout) == -1)
		sp->layout = HDB_L_AUTO;	/* mixed or none: keep */
	if (io->schema != -1)
		sp->oflags = io->schema;
	else if (hdb_detect(path) == &hdb_backend_sqlite)
		sp->oflags = hdb_sqlite_flags(path);
	else if (json_unpack(h, "{s:s}", "sqlite_schema", &schema) == 0 &&
	    strcmp(schema, "tbl") == 0)
		sp->oflags = HDB_O_SQLITE_TBL;
	if (sp->oflags && sp->be != &hdb_backend_sqlite)
		sp->oflags = 0;
	return 0;
}

static int
get_key(json_t *o, struct inrec *r, const char **why)
{
	const char *s;
	size_t n;
	json_t *k;

	if ((k = json_object_get(o, "key_b64")) != NULL) {
		if (!json_is_string(k) || (r->key = hdb_unbase64(
		    json_string_value(k), json_string_length(k),
		    &r->klen)) == NULL) {
			*why = "bad \"key_b64\"";
			return -1;
		}
		return 0;
	}
	if ((k = json_object_get(o, "key")) == NULL || !json_is_string(k)) {
		*why = "no \"key\"";
		return -1;
	}
	s = json_string_value(k);
	n = json_string_length(k);
	if (memchr(s, '\0', n) != NULL) {
		*why = "\"key\" holds a NUL but there is no \"key_b64\"";
		return -1;
	}
	/* Exim's keys carry their NUL. */
	r->key = xmalloc(n + 1);
	memcpy(r->key, s, n + 1);
	r->klen = n + 1;
	return 0;
}

static int
get_rec(json_t *o, struct inrec *r, const char **why)
{
	json_t *v;

	memset(r, 0, sizeof(*r));
	if (get_key(o, r, why) == -1)
		return -1;
	if (r->klen > HDB_KEY_MAX) {
		*why = "key over the size cap (64 KiB): refused";
		return -1;
	}
	v = json_object_get(o, "raw");
	if (v == NULL || !json_is_string(v)) {
		*why = "no \"raw\"";
		return -1;
	}
	if (json_string_length(v) / 4 * 3 > HDB_VAL_MAX + 3) {
		*why = "value over the size cap (1024 KiB): refused";
		return -1;
	}
	r->val = hdb_unbase64(json_string_value(v), json_string_length(v),
	    &r->vlen);
	if (r->val == NULL) {
		*why = "bad base64 in \"raw\"";
		return -1;
	}
	if (r->vlen > HDB_VAL_MAX) {
		*why = "value over the size cap (1024 KiB): refused";
		return -1;
	}
	return 0;
}

/*
 * next_rec - the next record line in *r (owned; r->key NULL: refused, why
 * in *why).  Lines of the plain shape export writes are read by jscan;
 * any other goes to jansson, which accepts or explains as before.
 * Returns 1, 0 at the end, or -1 after printing why.
 */
static int
next_rec(struct input *in, struct inrec *r, const char **why)
{
	struct jscan_want w[] = {
		{ .name = "key" }, { .name = "key_b64" }, { .name = "raw" },
	};
	json_t *o;
	size_t n;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = read_line(in, &n)) == 2) {
		*why = too_long();
		return 1;
	}
	if (rc != 1)
		return rc;
	if (!jscan_members(in->line, n, w, 3)) {
		if (parse_line(in, n, &o) == -1)
			return -1;
		if (get_rec(o, r, why) == -1) {
			free(r->key);
			r->key = NULL;
		}
		json_decref(o);
		return 1;
	}
	/* no escapes, printable ASCII: as get_rec would take them */
	if (w[1].val != NULL) {
		if ((r->key = hdb_unbase64(w[1].val, w[1].len,
		    &r->klen)) == NULL) {
			*why = "bad \"key_b64\"";
			return 1;
		}
	} else if (w[0].val != NULL) {
		r->key = xmalloc(w[0].len + 1);
		memcpy(r->key, w[0].val, w[0].len);
		r->key[w[0].len] = '\0';	/* Exim's keys carry their NUL */
		r->klen = w[0].len + 1;
	} else {
		*why = "no \"key\"";
		return 1;
	}
	if (r->klen > HDB_KEY_MAX)
		*why = "key over the size cap (64 KiB): refused";
	else if (w[2].val == NULL)
		*why = "no \"raw\"";
	else if (w[2].len / 4 * 3 > HDB_VAL_MAX + 3)
		*why = "value over the size cap (1024 KiB): refused";
	else if ((r->val = hdb_unbase64(w[2].val, w[2].len, &r->vlen)) == NULL)
		*why = "bad base64 in \"raw\"";
	else if (r->vlen > HDB_VAL_MAX) {
		*why = "value over the size cap (1024 KiB): refused";
		free(r->val);
		r->val = NULL;
	}
	if (r->val == NULL) {
		free(r->key);
		r->key = NULL;
	}
	return 1;
}

/*
 * import_records - every record line into the new DB.  Goes on after a
 * refused record so that all are reported.  Returns 0 or an exit code.
 */
static int
import_records(struct input *in, struct rebuild *rb, size_t want)
{
	struct inrec r;
	struct hdb_datum k, v;
	const char *why;
	size_t got = 0;
	int rc, ex = 0;

	progress_begin(want, 0, "%s: importing", rb->target[0] ?
	    strrchr(rb->target, '/') + 1 : "");
	while ((rc = next_rec(in, &r, &why)) == 1) {
		got++;
		progress_add(1);
		if (r.key == NULL) {
			warnx("import: line %lu: %s", in->lineno, why);
			ex = EX_REFUSED;
		} else {
			k.data = r.key;
			k.len = r.klen;
			v.data = r.val;
			v.len = r.vlen;
			rc = rebuild_put(rb, k, v, &why);
			if (rc == HDB_ERR) {
				warnx("import: cannot write: %s",
				    hdb_writer_error(rb->w));
				ex = EX_IOERR_;
			} else if (rc == HDB_CONV_REFUSED ||
			    rc == HDB_CONV_DROPPED) {
				rebuild_report("import", k, rc, why);
				if (rc == HDB_CONV_REFUSED && ex == 0)
					ex = EX_REFUSED;
			}
		}
		free(r.key);
		free(r.val);
		if (ex == EX_IOERR_)
			return ex;
	}
	if (rc == -1)
		return EX_REFUSED;
	/* the records held back for the backend's order (convert.h) */
	if ((rc = hdb_writer_flush(rb->w)) == HDB_ERR) {
		warnx("import: cannot write: %s", hdb_writer_error(rb->w));
		return EX_IOERR_;
	}
	if (rc == HDB_CONV_REFUSED && ex == 0)
		ex = EX_REFUSED;
	if (ex == 0 && got != want) {
		warnx("import: the export has %zu record%s but its header "
		    "says %zu (truncated?)", got, pl(got), want);
		ex = EX_REFUSED;
	}
	return ex;
}

static int
import(const char *spool, const char *name, struct rebuild_opts *io)
{
	struct rebuild_spec sp;
	struct rebuild rb;
	struct input in;
	char path[PATH_MAX];
	size_t want = 0;
	json_t *h = NULL;
	int ex, rc;

	memset(&in, 0, sizeof(in));
	memset(&rb, 0, sizeof(rb));
	rb.lockfd = -1;
	in.fp = stdin;
	/* a read(2) per 4 KiB of an export of hundreds of MB adds up */
	(void)setvbuf(stdin, NULL, _IOFBF, 1u << 20);
	rebuild_spec_init(&sp, io, name);
	if ((size_t)snprintf(path, sizeof(path), "%s/db/%s", spool, name) >=
	    sizeof(path)) {
		warnx("import: path too long");
		return EX_USAGE_;
	}
	/* Root gives way to the owner of SPOOL/db before anything. */
	if ((ex = io->no_drop ? spool_pin(spool, "import") :
	    priv_drop(spool, "import")) != 0)
		return ex;
	if ((rc = next_line(&in, &h)) != 1) {
		if (rc == 0)
			warnx("import: empty input");
		ex = EX_REFUSED;
		goto out;
	}
	if ((ex = check_header(h, name, &sp, io, path, &want)) != 0)
		goto out;
	sp.expect = want;	/* the header's count */
	sp.live = 1;		/* Exim's writes meanwhile are kept */
	sp.inorder = 1;		/* an export is in key order, not the file's */
	if ((ex = rebuild_begin(&rb, "import", spool, name, &sp)) != 0)
		goto out;
	hdb_writer_report(rb.w, rebuild_report, "import");
	if ((ex = import_records(&in, &rb, want)) != 0) {
		warnx("import: '%s' left as it was", name);
		goto out;
	}
	if ((ex = rebuild_commit(&rb)) != 0)
		goto out;
	if (io->verbose) {
		size_t got_n = hdb_writer_stats(rb.w)->kept +
		    hdb_writer_stats(rb.w)->reencoded;

		printf("%s: %zu record%s imported into %s %s\n", name, got_n,
		    pl(got_n), sp.be->name,
		    sp.layout == HDB_L_AUTO ? "(layout kept)" :
		    hdb_layout_name(sp.layout));
		rebuild_print_catchup(&rb);
	}
	ex = hdb_writer_stats(rb.w)->dropped ? EX_FINDINGS : 0;
out:
	json_decref(h);
	free(in.line);
	rebuild_end(&rb);
	return ex;
}

static int
cmd_import_main(int argc, char **argv)
{
	struct rebuild_opts io;
	int ex, fx;

	rebuild_opts_init(&io);
	if ((ex = rebuild_args(&io, argc, argv, longopts, &cmd_import_entry,
	    NULL, NULL)) != 0)
		return ex == -1 ? 0 : ex;
	argc -= optind;
	argv += optind;
	if (!db_name_ok(argv[1], "import"))
		return EX_USAGE_;
	if (isatty(STDIN_FILENO)) {
		warnx("import: reads an export on standard input");
		return EX_USAGE_;
	}
	ex = import(argv[0], argv[1], &io);
	fx = finish_stdout("import");
	return ex != 0 ? ex : fx;
}

const struct command cmd_import_entry = {
	.name = "import",
	.usage = IMPORT_USAGE,
	.summary = "rebuild a hints database from an export",
	.flags = CMD_F_WRITES,
	.main = cmd_import_main,
	.longopts = longopts,
	.shortopts = "v",
};
