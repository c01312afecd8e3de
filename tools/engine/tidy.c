/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tidy.c - the tidy engine (tidy.h): Exim 4.96's exim_tidydb rules, in
 * short lock holds.
 *
 * Why holds: exim_tidydb holds the write lock for its whole run, and every
 * delivery process that wants the same DB waits (and gives up after 60 s).
 * Here no lock is held longer than max_lock_ms at a stretch.  The price is
 * that the DB changes between holds, so a change is only ever decided from
 * the record's current bytes under the write lock that makes it.
 *
 * Why two ways: most rules judge a record alone, so one sweep judges and
 * deletes in the same hold, where deleting keeps the order of the rest
 * (HDB_CAP_ORDER_KEPT: else a hold would resume at the wrong place).  For wait records exim_tidydb's order matters
 * (it collects the keys and handles them last first, and a main record
 * takes over a continuation that may itself be due), and so does the order
 * of exim_tidydb's lines in compat mode: there the keys are collected
 * first and applied last first, each record judged again.
 *
 * Exim's mistakes that are not copied (formats doc §4.5): a wait record
 * keeps exactly the IDs whose -D file exists, each once and in order (4.96
 * shifts them with an overlapping copy and loses some); retry keys ending
 * in a 23-character message ID are matched too (4.97+ never matches them).
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "db/atomic.h"
#include "db/hdb.h"
#include "db/lock.h"
#include "duration.h"
#include "dump.h"
#include "out.h"
#include "db/pin.h"
#include "priv.h"
#include "rec/rec.h"
#include "engine/catchup.h"
#include "engine/pieces.h"
#include "engine/rebuild.h"
#include "engine/slurp.h"
#include "engine/tidy.h"
#include "tls/tls.h"
#include "progress.h"
#include "plan.h"
#include "xmalloc.h"

#define YEAR_SECS	(365 * 24 * 60 * 60)
#define TAKEOVER_MAX	2100	/* loop guard: renames and skips per record */
#define POS_KEEP	4	/* resume points kept */
#define RESTART_MAX	8	/* scans started again from the top */
#define SCAN_STOP	2	/* iterate callback: this hold is full */
#define SCAN_FAIL	3	/* iterate callback: a change failed */
#define REBUILD_SAMPLE	4096	/* records judged to decide on a rebuild */
#define REBUILD_SHARE	4	/* it pays when 1 in this many is due */
#define REBUILD_MIN_BYTES (1024 * 1024)	/* and the file is this big */
#define REBUILD_BATCH	(2u << 20)	/* bytes of records read a batch */
#define TXN_DEL_MAX	1024	/* deletions of a tdb hold (cap_deletes) */

/* One record the decide phase wants changed, or reported. */
struct cand {
	uint8_t		*key;
	size_t		 klen;
	char		*report;	/* native reason: corrupt, report only */
	char		*exim;		/* exim_tidydb's lines for it, or NULL */
};

/* A key to resume after; POS_KEEP of them, in case Exim deletes one. */
struct pos {
	uint8_t		*key;
	size_t		 len, cap;
};

/*
 * A key the current sweep hold deletes: bytes at dk + off.  Should the
 * hold run out of time before deleting it, the next hold resumes after
 * the kept key before it (at dk + kept, or from the hold's start if
 * NO_KEPT), where `before` records of this hold came first.
 */
struct doom {
	size_t		 off, len;
	size_t		 kept, keptlen;
	size_t		 before;
	enum tidy_reason why;
};

#define NO_KEPT	((size_t)-1)

/* A wait record being rewritten: its IDs copied out of the DB's buffer. */
struct waitrec {
	enum hdb_layout	 layout;
	uint32_t	 tainted;
	int32_t		 count;
	int32_t		 sequence;
	size_t		 id_len;
	uint8_t		 ids[HDB_WAIT_NAME_MAX * HDB_MSGID_NEW];
};

enum verdict {
	V_KEEP,
	V_DELETE,
	V_UPDATE,	/* wait: some IDs go */
	V_EMPTY_MAIN,	/* wait: main record empty, take over or delete */
	V_CORRUPT,
};

struct judgement {
	enum verdict	 v;
	enum tidy_reason why;
	struct hdb_rec	 r;
	uint64_t	 keep;		/* wait: bit i set, ID i stays */
	int		 nkeep;
	char		 native[160];
	char		 exim[320];
};

struct tidy {
	const struct tidy_opts *o;
	struct tidy_stats *st;
	const char	*spool;
	const char	*name;
	enum hdb_dbtype	 type;
	const struct hdb_backend *be;
	char		 path[PATH_MAX];
	char		 lockpath[PATH_MAX];
	int		 inputfd;
	int		 warned_stat;
	struct cand	*c;
	size_t		 n, cap;
	/* the open DB */
	struct hdb	*h;
	int		 lockfd;
	/* HDB_CAP_STAYS_OPEN: the handle kept between holds, and its file */
	struct hdb	*kept;
	int		 h_write;	/* t->h was opened for writing */
	int		 kept_write;
	dev_t		 kept_dev;
	ino_t		 kept_ino;
	double		 t_lock;
	/* output of the current lock hold, written after it */
	FILE		*out, *err;
	char		*outbuf, *errbuf;
	size_t		 outlen, errlen;
	/* dry run: keys deleted so far, so the takeover sees them gone */
	struct cand	*gone;
	size_t		 ngone, capgone;
	/* the scan in pieces: where the next hold starts, newest last */
	struct pos	 pos[POS_KEEP + 1];	/* + the scratch slot */
	int		 npos, have_here;
	int		 restarts;
	size_t		 held_recs;	/* records seen in this hold */
	size_t		 corrupt_at;	/* held_recs at the last corrupt one */
	int		 write;		/* this hold has the write lock */
	int		 txn;		/* and is a TDB transaction */
	int		 sweep;		/* the file's order (hdb_sweep) */
	int64_t		 sweep_pos;	/* where the next hold's goes on */
	/* a write hold's cost, learnt from the holds before (see learn) */
	double		 per_del_ms;	/* one deletion; -1: not known yet */
	struct hdb_pace	 pace;		/* the flushes (lock.h) */
	size_t		 max_del;	/* deletions a hold may make; 0: any */
	size_t		 kept_off;	/* the last kept key's copy in dk */
	int		 kept_saved;
	int		 cut;		/* this hold left dooms undone */
	/* sweep: the keys this hold deletes, packed */
	uint8_t		*dk;
	size_t		 dklen, dkcap;
	struct doom	*dm;
	size_t		 ndm, capdm;
	size_t		 nchanged;	/* deletions in this hold */
	/* rebuild: the record being judged, read outside a hold */
	struct hdb_datum cur;
	size_t		 sample_n, sample_due;	/* rebuild_pays's sample */
	size_t		 sample_bytes;		/* its keys and values */
};

static int32_t
rd_i32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

uint64_t
tidy_deleted(const struct tidy_stats *st)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < TR_NREASONS; i++)
		n += st->deleted[i];
	return n;
}

int
tidy_parse_age(const char *s, int64_t *out)
{
	char why[128];
	int64_t ms;

	/* Exim's -t: no bare numbers; at most a hundred years */
	if (duration_parse(s, DUR_BARE_NONE, 0, 100LL * 366 * 86400 * 1000,
	    &ms, why, sizeof(why)) == -1)
		return -1;
	*out = ms / 1000;
	return 0;
}

/* Output lines of the current hold; flushed once the lock is dropped. */
static void
pend_open(struct tidy *t)
{
	if (t->out == NULL)
		t->out = open_memstream(&t->outbuf, &t->outlen);
	if (t->err == NULL)
		t->err = open_memstream(&t->errbuf, &t->errlen);
	if (t->out == NULL || t->err == NULL)
		err(EX_INTERNAL, "open_memstream");
}

static void
pend_flush(struct tidy *t)
{
	if (t->out != NULL) {
		fclose(t->out);
		fwrite(t->outbuf, 1, t->outlen, stdout);
		free(t->outbuf);
		t->out = NULL;
		t->outbuf = NULL;
	}
	if (t->err != NULL) {
		fclose(t->err);
		fflush(stdout);
		fwrite(t->errbuf, 1, t->errlen, stderr);
		free(t->errbuf);
		t->err = NULL;
		t->errbuf = NULL;
	}
}

/* Drop the lines waiting, as if the run had not been. */
static void
pend_discard(struct tidy *t)
{
	if (t->out != NULL) {
		fclose(t->out);
		free(t->outbuf);
		t->out = NULL;
		t->outbuf = NULL;
	}
	if (t->err != NULL) {
		fclose(t->err);
		free(t->errbuf);
		t->err = NULL;
		t->errbuf = NULL;
	}
}

static void
emit_key(FILE *fp, const uint8_t *key, size_t klen)
{
	hdb_out_vis(fp, key, hdb_key_text_len(key, klen));
}

/* A tls session's peer, read before its deletion (doom emits first). */
static void
emit_peer(struct tidy *t, const uint8_t *key, size_t klen)
{
	struct hdb_datum k = { key, klen }, v = t->cur;
	char peer[1024];

	if (t->h != NULL && hdb_get(t->h, k, &v) != HDB_OK)
		return;
	dump_tls_peer_text(peer, sizeof(peer), key, klen, v.data, v.len);
	fputs(peer, t->out);
}

/*
 * emit_change - one line per change: exim_tidydb's in compat mode, else
 * ours with -v ("retry: deleted 'KEY' (too old)").
 */
static void
emit_change(struct tidy *t, const char *verb, const uint8_t *key, size_t klen,
    const char *why)
{
	if (t->o->compat) {
		fprintf(t->out, "%s ", verb);
		emit_key(t->out, key, klen);
		if (why != NULL)
			fprintf(t->out, " (%s)", why);
		fputc('\n', t->out);
		return;
	}
	if (!t->o->verbose || (t->o->match != NULL &&
	    !dump_key_glob(t->o->match, key, klen)))
		return;
	fprintf(t->out, "%s: %s%s '", t->name, t->o->dry_run ? "would " : "",
	    t->o->dry_run ? (strcmp(verb, "deleted") == 0 ? "delete" :
	    strcmp(verb, "renamed") == 0 ? "rename" : "update") : verb);
	emit_key(t->out, key, klen);
	fputc('\'', t->out);
	if (why != NULL)
		fprintf(t->out, " (%s)", why);
	if (t->type == HDB_T_TLS)
		emit_peer(t, key, klen);
	fputc('\n', t->out);
}

/* A continuation taken over by its main record: "renamed 'A' to 'B'"
 * (exim_tidydb names only A). */
static void
emit_rename(struct tidy *t, const uint8_t *from, size_t fl,
    const uint8_t *to, size_t tl)
{
	if (t->o->compat || !t->o->verbose) {
		emit_change(t, "renamed", from, fl, NULL);
		return;
	}
	if (t->o->match != NULL && !dump_key_glob(t->o->match, from, fl) &&
	    !dump_key_glob(t->o->match, to, tl))
		return;
	fprintf(t->out, "%s: %s '", t->name, t->o->dry_run ? "would rename" :
	    "renamed");
	emit_key(t->out, from, fl);
	fputs("' to '", t->out);
	emit_key(t->out, to, tl);
	fputs("'\n", t->out);
}

static void
emit_corrupt(struct tidy *t, const uint8_t *key, size_t klen,
    const char *native, const char *exim)
{
	t->st->corrupt++;
	if (t->o->compat) {
		if (exim != NULL && *exim != '\0')
			fputs(exim, t->out);
		return;
	}
	fprintf(t->err, "%s: %s: %s: corrupt record '", program_invocation_short_name,
	    t->o->cmd, t->name);
	emit_key(t->err, key, klen);
	fprintf(t->err, "' kept: %s\n", native);
}

static const char *const reason_text[TR_NREASONS] = {
	"too old", "no message", "empty", "ticket expired", "session stale",
};

/*
 * msg_exists - is there SPOOL/input/<id>-D, or the split-spool
 * SPOOL/input/<c>/<id>-D with c the ID's 6th character?  An error other
 * than "not there" keeps the ID: a permission problem must not look like a
 * delivered message.
 */
static int
msg_exists(struct tidy *t, const uint8_t *id, size_t len)
{
	struct stat sb;
	char p[64];
	int pass;

	if (t->inputfd == -1)
		return !t->o->compat;	/* checked and reported up front */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0)
			snprintf(p, sizeof(p), "%.*s-D", (int)len,
			    (const char *)id);
		else
			snprintf(p, sizeof(p), "%c/%.*s-D", id[5], (int)len,
			    (const char *)id);
		if (fstatat(t->inputfd, p, &sb, 0) == 0)
			return 1;
		if (errno != ENOENT && errno != ENOTDIR) {
			if (!t->warned_stat++)
				warn("%s: %s: cannot check '%s/input/%s'; "
				    "keeping such message IDs", t->o->cmd,
				    t->name, t->spool, p);
			return 1;
		}
	}
	return 0;
}

static void
corrupt(struct judgement *j, const char *native)
{
	j->v = V_CORRUPT;
	snprintf(j->native, sizeof(j->native), "%s", native);
}

/* exim_tidydb's two lines for a corrupt wait record. */
static void
exim_corrupt(struct judgement *j, const uint8_t *key, size_t klen,
    const char *detail)
{
	char *vk = hdb_vis_dup(key, hdb_key_text_len(key, klen));

	snprintf(j->exim, sizeof(j->exim), "**** Data for '%s' corrupted\n"
	    "  %s\n", vk, detail);
	free(vk);
}

/* wait records: Exim's corruption checks, the one-year rule, then the IDs. */
static void
judge_wait(struct tidy *t, const uint8_t *key, size_t klen, const uint8_t *val,
    size_t vlen, int decoded, const char *why, struct judgement *j)
{
	const struct hdb_wait *w = &j->r.u.wait;
	size_t hdr = j->r.layout == HDB_L_V2 ? HDB_V2_HDR : HDB_LEGACY_HDR;
	int32_t count, seq;
	char tb[HDB_TIMEBUF], detail[80];
	int i, main;

	if (vlen < hdr + 8) {
		corrupt(j, "wait record too short");
		return;
	}
	count = rd_i32(val + hdr);
	seq = rd_i32(val + hdr + 4);
	if (j->r.time_stamp > t->o->now) {
		corrupt(j, "time in the future");
		snprintf(detail, sizeof(detail), "time in future: %s",
		    hdb_fmt_exim(tb, sizeof(tb), j->r.time_stamp, 0));
		exim_corrupt(j, key, klen, detail);
		return;
	}
	if (count > HDB_WAIT_NAME_MAX) {
		corrupt(j, "wait count over 50");
		snprintf(detail, sizeof(detail), "count=%d=0x%x max=%d",
		    count, (unsigned)count, HDB_WAIT_NAME_MAX);
		exim_corrupt(j, key, klen, detail);
		return;
	}
	if (seq > HDB_WAIT_CONT_MAX) {
		corrupt(j, "wait sequence over 1000");
		snprintf(detail, sizeof(detail), "sequence=%d=0x%x max=%d",
		    seq, (unsigned)seq, HDB_WAIT_CONT_MAX);
		exim_corrupt(j, key, klen, detail);
		return;
	}
	if (j->r.time_stamp < t->o->now - YEAR_SECS) {
		j->v = V_DELETE;
		j->why = TR_TOO_OLD;
		return;
	}
	if (!decoded) {
		corrupt(j, why);
		return;
	}
	if (w->bad_id >= 0 || count < 0 || seq < 0) {
		corrupt(j, w->bad_id >= 0 ? "bad character in message id" :
		    "negative count or sequence");
		return;
	}
	j->keep = 0;
	j->nkeep = 0;
	for (i = 0; i < count; i++)
		if (msg_exists(t, w->ids + (size_t)i * w->id_len, w->id_len)) {
			j->keep |= 1ULL << i;
			j->nkeep++;
		}
	main = memchr(key, ':', hdb_key_text_len(key, klen)) == NULL;
	if (main && j->nkeep == 0)
		j->v = V_EMPTY_MAIN;
	else if (j->nkeep != count)
		j->v = V_UPDATE;
}

/* The message ID at the end of a retry key, 23 or 16 characters; 0 if none. */
static size_t
retry_key_msgid(const uint8_t *key, size_t klen, const uint8_t **id)
{
	size_t kl = hdb_key_text_len(key, klen);
	static const size_t lens[] = { HDB_MSGID_NEW, HDB_MSGID_OLD };
	size_t i;

	for (i = 0; i < 2; i++) {
		if (kl < lens[i] + 1 || key[kl - lens[i] - 1] != ':')
			continue;
		if (hdb_msgid_valid(key + kl - lens[i], lens[i])) {
			*id = key + kl - lens[i];
			return lens[i];
		}
	}
	return 0;
}

/*
 * tls_expired - 1 if the session's ticket has expired at now, 0 if not or
 * if its expiry cannot be told, -1 if the payload cannot be decoded at
 * all.  The expiry is the TLS decoder's (tls.h): Exim's own rule for
 * OpenSSL (record time + lifetime hint), the ticket or session lifetime
 * for GnuTLS.  Expired means expires < now, as Exim tests.
 */
static int
tls_expired(const struct hdb_rec *r, int64_t now)
{
	struct hdb_tls_info ti;
	int rc, ret;

	rc = hdb_tls_decode(r->u.tls.payload, r->u.tls.payload_len, &ti);
	if (rc == -1) {
		ret = -1;
		goto out;
	}
	hdb_tls_set_record(&ti, r->time_stamp, 1, r->u.tls.flags);
	ret = ti.have_expires && ti.expires < now;
out:
	hdb_tls_info_clear(&ti);
	return ret;
}

/*
 * judge_tls - a session whose ticket has expired is deleted, in
 * exim_tidydb's mode too: that is what exim4-base's daily run gets after
 * the takeover.  The other rules are hintsdb tidy's own: exim_tidydb never
 * decodes a session, so there one that cannot be decoded is kept without
 * a word, as Exim keeps it.  1 if decided, 0 to judge on.
 */
static int
judge_tls(struct tidy *t, struct judgement *j)
{
	int e;

	if ((e = tls_expired(&j->r, t->o->now)) == 1) {
		j->v = V_DELETE;
		j->why = TR_EXPIRED;
		return 1;
	}
	if (t->o->compat)
		return 0;
	if (e == -1) {
		corrupt(j, "cannot decode the TLS session");
		return 1;
	}
	if (t->o->stale != NULL && session_dead(t->o->stale,
	    j->r.u.tls.payload, j->r.u.tls.payload_len, NULL, 0)) {
		j->v = V_DELETE;
		j->why = TR_STALE_SESSION;
		return 1;
	}
	return 0;
}

/*
 * judge - what exim_tidydb would do with this record now (plus our own
 * rules), from its bytes alone.  The same function decides under the read
 * lock and re-checks under the write lock.
 */
static void
judge(struct tidy *t, const uint8_t *key, size_t klen, const uint8_t *val,
    size_t vlen, struct judgement *j)
{
	enum hdb_layout layout = t->o->dbo->layout;
	const uint8_t *id;
	const char *why = NULL, *bad;
	size_t idlen;
	int decoded, have_time;

	memset(j, 0, sizeof(*j));
	decoded = hdb_rec_decode(t->type, layout, key, klen, val, vlen, &j->r,
	    &why) == 0;
	/* An implausible time hides the layout; Exim reads it as legacy. */
	if (!decoded && layout == HDB_L_AUTO && j->r.layout == HDB_L_AUTO &&
	    vlen >= HDB_LEGACY_HDR)
		decoded = hdb_rec_decode(t->type, HDB_L_LEGACY, key, klen, val,
		    vlen, &j->r, &why) == 0;
	have_time = decoded || (j->r.layout == HDB_L_LEGACY &&
	    vlen >= HDB_LEGACY_HDR) || (j->r.layout == HDB_L_V2 &&
	    vlen >= HDB_V2_HDR && j->r.version == HDB_V2_VERSION);
	if (!have_time) {
		corrupt(j, why != NULL ? why : "unreadable record");
		return;
	}
	if (j->r.time_stamp < t->o->now - t->o->maxage) {
		j->v = V_DELETE;
		j->why = TR_TOO_OLD;
		return;
	}
	if (t->type == HDB_T_WAIT) {
		judge_wait(t, key, klen, val, vlen, decoded, why, j);
		return;
	}
	if (!decoded) {
		corrupt(j, why);
		return;
	}
	if (t->type == HDB_T_RETRY &&
	    (idlen = retry_key_msgid(key, klen, &id)) != 0 &&
	    !msg_exists(t, id, idlen)) {
		j->v = V_DELETE;
		j->why = TR_NO_MESSAGE;
		return;
	}
	if (t->type == HDB_T_TLS && judge_tls(t, j))
		return;
	if ((bad = hdb_rec_check(&j->r)) != NULL)
		corrupt(j, bad);
}

static void
add_cand(struct tidy *t, const uint8_t *key, size_t klen,
    const struct judgement *j)
{
	struct cand *c;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->c = xreallocarray(t->c, t->cap, sizeof(*t->c));
	}
	c = &t->c[t->n++];
	memset(c, 0, sizeof(*c));
	c->key = xmemdup(key, klen);
	c->klen = klen;
	if (j->v == V_CORRUPT) {
		c->report = xstrdup(j->native);
		c->exim = j->exim[0] ? xstrdup(j->exim) : NULL;
	}
}

/* The bytes of the DB file at path (the data-bearing one); 0. */
static uint64_t
db_bytes(const char *path)
{
	struct stat sb;

	return hdb_db_stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static void
set_error(struct tidy *t, int status, const char *fmt, const char *path,
    const char *why)
{
	char *p = hdb_vis_dup(path, strlen(path));

	snprintf(t->st->error, sizeof(t->st->error), fmt, p, why);
	t->st->status = status;
	free(p);
	/* -q: a busy lock is the one failure cron need not hear about */
	if (!t->o->compat && !(status == EX_LOCKED && t->o->dbo->quiet))
		warnx("%s: %s", t->o->cmd, t->st->error);
}

/*
 * keeps - is the handle kept open between holds?  TDB's always; SQLite's
 * write handle, its transaction ended at the hold's end and begun again
 * at the next (hdb_hold), so that its page cache stays.
 */
static int
keeps(const struct tidy *t, int write)
{
	return (t->be->caps & HDB_CAP_STAYS_OPEN) ||
	    ((t->be->caps & HDB_CAP_HOLDS_OPEN) && write);
}

/*
 * reuse - under the new hold's lock, take up the handle the last hold
 * kept, if it was opened the same way and the file is still the one at
 * the path.  Reopening would map a TDB file afresh, and a hold on a big
 * file then spends its time faulting the same pages in again.
 */
static int
reuse(struct tidy *t, int write)
{
	struct stat sb;

	if (t->kept == NULL)
		return 0;
	if (t->kept_write == write && hdb_pin_lstat(t->path, &sb) == 0 &&
	    sb.st_dev == t->kept_dev && sb.st_ino == t->kept_ino) {
		t->h = t->kept;
		t->kept = NULL;
		return 1;
	}
	hdb_close(t->kept);
	t->kept = NULL;
	return 0;
}

/* Open the DB by Exim's protocol (lock, open); the hold starts at t_lock. */
static int
topen(struct tidy *t, int write)
{
	struct stat sb;
	char why[1024];
	int e;

	t->lockfd = -1;
	hdb_precheck(t->be, t->path);	/* not under the lock (hdb.h) */
	/* SQLite: the hold's commit then carries its own writes only */
	if (write && !t->o->dry_run && (t->be->caps & HDB_CAP_HOLDS_OPEN))
		hdb_presync();
	if (!(t->be->caps & HDB_CAP_LOCKS_ITSELF)) {
		int there = t->be->caps & HDB_CAP_LOCKFILE_IF_THERE;

		t->lockfd = hdb_lock_take(t->lockpath,
		    write ? HDB_LOCK_WRITE : HDB_LOCK_READ, write && !there,
		    t->o->dbo->lock_timeout_ms);
		/* tdb: Exim 4.99+ uses none, so none is made */
		if (t->lockfd == -1 && !(errno == ENOENT && (!write || there))) {
			e = errno;
			if (t->o->compat && (e == ETIMEDOUT || e == EAGAIN))
				printf("** Failed to get %s lock for %s: "
				    "timed out", write ? "write" : "read",
				    t->lockpath);
			if (e == ETIMEDOUT || e == EAGAIN)
				set_error(t, EX_LOCKED, write ?
				    "cannot write-lock '%s': %s" :
				    "cannot read-lock '%s': %s", t->lockpath,
				    e == ETIMEDOUT ? "timed out" :
				    "lock is busy");
			else if (e == ELOOP)
				set_error(t, EX_IOERR_, "refusing symlinked "
				    "lockfile '%s'%s", t->lockpath, "");
			else if (e == EINVAL || e == EISDIR)
				set_error(t, EX_IOERR_, "refusing lockfile "
				    "'%s': %s", t->lockpath,
				    "not a regular file");
			else {
				snprintf(why, sizeof(why), "%s%s",
				    strerror(e), priv_hint_pair(e, t->lockpath,
				    t->path, 1));
				set_error(t, EX_IOERR_, "cannot open lockfile "
				    "'%s': %s", t->lockpath, why);
			}
			return -1;
		}
	}
	t->t_lock = hdb_now_ms();
	t->h_write = write;
	if (reuse(t, write)) {
		if (hdb_hold(t->h, 1) == HDB_OK) {
			/* SQLite's lock: taken now, after any wait */
			if (t->be->caps & HDB_CAP_LOCKS_ITSELF)
				t->t_lock = hdb_now_ms();
			return 0;
		}
		set_error(t, EX_IOERR_, "cannot open '%s': %s", t->path,
		    hdb_error(t->h));
		hdb_close(t->h);
		t->h = NULL;
		hdb_lock_release(t->lockfd);
		t->lockfd = -1;
		return -1;
	}
	t->h = hdb_open(t->be, t->path, write ? HDB_O_RDWR : HDB_O_RDONLY,
	    0640, why, sizeof(why));
	if (t->h != NULL)
		t->st->chains = hdb_tdb_chains(t->h);
	if (t->h != NULL && keeps(t, write) &&
	    hdb_pin_lstat(t->path, &sb) == 0) {
		t->kept_dev = sb.st_dev;
		t->kept_ino = sb.st_ino;
	}
	/* SQLite's lock is taken inside the open, after any wait for it */
	if (t->be->caps & HDB_CAP_LOCKS_ITSELF)
		t->t_lock = hdb_now_ms();
	if (t->h == NULL) {
		e = errno;
		/* a stale ENOENT after a library failure: the file is there */
		if (e == ENOENT && (hdb_detect(t->path) != NULL ||
		    errno != ENOENT))
			e = EIO;
		hdb_lock_release(t->lockfd);
		t->lockfd = -1;
		if (t->o->compat)
			printf("** Failed to open DBM file %s for %s:\n   %s "
			    "(or Berkeley DB error while opening)\n", t->path,
			    write ? "writing" : "reading", why);
		if (e == ELOOP)
			set_error(t, EX_IOERR_, "refusing symlinked database "
			    "'%s'%s", t->path, "");
		else if (e == EACCES || e == EPERM) {
			snprintf(why, sizeof(why), "%s%s", strerror(e),
			    priv_hint_pair(e, t->path, t->lockpath, 1));
			set_error(t, EX_IOERR_, "cannot open '%s': %s",
			    t->path, why);
		} else
			set_error(t, e == ENOENT ? EX_NODB : EX_IOERR_,
			    "cannot open '%s': %s", t->path,
			    open_reason(why));
		return -1;
	}
	return 0;
}

/* Close the DB, then drop the lock; returns how long the lock was held. */
static double
tclose(struct tidy *t)
{
	double held;

	if (t->h != NULL && keeps(t, t->h_write) &&
	    hdb_hold(t->h, 0) == HDB_OK) {
		t->kept = t->h;
		t->kept_write = t->h_write;
	} else
		hdb_close(t->h);
	t->h = NULL;
	hdb_lock_release(t->lockfd);
	t->lockfd = -1;
	held = hdb_now_ms() - t->t_lock;
	/* the admin sees that Exim gets the lock back between holds */
	progress_note("lock hold %llu: %.0f ms, then released",
	    (unsigned long long)t->st->batches, held);
	return held;
}

/*
 * gone_add - a dry run deletes nothing, but a wait takeover must see what
 * it would have deleted.  Only wait DBs need this (and are small), so the
 * linear list costs nothing elsewhere.
 */
static void
gone_add(struct tidy *t, const uint8_t *key, size_t klen)
{
	if (!t->o->dry_run || t->type != HDB_T_WAIT)
		return;
	if (t->ngone == t->capgone) {
		t->capgone = t->capgone ? t->capgone * 2 : 64;
		t->gone = xreallocarray(t->gone, t->capgone,
		    sizeof(*t->gone));
	}
	t->gone[t->ngone].key = xmemdup(key, klen);
	t->gone[t->ngone].klen = klen;
	t->ngone++;
}

/* Read key under the current lock; a copy (caller frees) or NULL. */
static uint8_t *
tget(struct tidy *t, const uint8_t *key, size_t klen, size_t *vlen, int *err)
{
	struct hdb_datum k = { key, klen }, v;
	size_t i;
	int r;

	*err = 0;
	for (i = 0; i < t->ngone; i++)
		if (t->gone[i].klen == klen &&
		    memcmp(t->gone[i].key, key, klen) == 0)
			return NULL;
	r = hdb_get(t->h, k, &v);
	if (r == HDB_NOTFOUND)
		return NULL;
	if (r != HDB_OK) {
		*err = 1;
		return NULL;
	}
	*vlen = v.len;
	return xmemdup(v.data, v.len ? v.len : 1);
}

static int
tdel(struct tidy *t, const uint8_t *key, size_t klen)
{
	struct hdb_datum k = { key, klen };

	gone_add(t, key, klen);
	if (t->o->dry_run)
		return 0;
	return hdb_del(t->h, k) == HDB_ERR ? -1 : 0;
}

/* Write a wait record, its time set to now, in the given layout. */
static int
tput_wait(struct tidy *t, const uint8_t *key, size_t klen,
    const struct waitrec *w)
{
	uint8_t buf[HDB_V2_HDR + 16 + sizeof(w->ids)];
	struct hdb_datum k = { key, klen }, v;
	struct hdb_rec r;

	if (t->o->dry_run)
		return 0;
	memset(&r, 0, sizeof(r));
	r.type = HDB_T_WAIT;
	r.layout = w->layout;
	r.tainted = w->tainted;
	r.time_stamp = t->o->now;
	r.u.wait.count = w->count;
	r.u.wait.sequence = w->sequence;
	r.u.wait.ids = w->ids;
	r.u.wait.id_len = w->id_len ? w->id_len : HDB_MSGID_OLD;
	v.data = buf;
	v.len = hdb_rec_encode(&r, w->layout, buf, sizeof(buf));
	if (v.len == 0)
		return -1;
	return hdb_put(t->h, k, v) == HDB_ERR ? -1 : 0;
}

/* Copy the IDs of a decoded wait record whose bit is set in keep. */
static void
wait_load(struct waitrec *w, const struct hdb_rec *r, uint64_t keep)
{
	const struct hdb_wait *src = &r->u.wait;
	int i;

	w->layout = r->layout;
	w->tainted = r->tainted;
	w->sequence = src->sequence;
	w->id_len = src->id_len;
	w->count = 0;
	for (i = 0; i < src->count; i++)
		if (keep & (1ULL << i))
			memcpy(w->ids + (size_t)w->count++ * w->id_len,
			    src->ids + (size_t)i * src->id_len, src->id_len);
}

/* Drop the IDs of w whose message is gone; 1 if any went. */
static int
wait_prune(struct tidy *t, struct waitrec *w)
{
	int32_t i, n = 0;

	for (i = 0; i < w->count; i++) {
		const uint8_t *id = w->ids + (size_t)i * w->id_len;

		if (!msg_exists(t, id, w->id_len))
			continue;
		if (n != i)
			memmove(w->ids + (size_t)n * w->id_len, id,
			    w->id_len);
		n++;
	}
	if (n == w->count)
		return 0;
	w->count = n;
	return 1;
}

/*
 * take_next - the main record is empty: take over its highest
 * continuation <key>:<sequence-1>, as exim_tidydb does, skipping missing
 * ones.  Returns 1 if one was taken, 0 if none is left, -1 on error, 2 if
 * the continuation is corrupt (left alone, reported).
 */
static int
take_next(struct tidy *t, const uint8_t *key, size_t klen, struct waitrec *w)
{
	size_t kl = hdb_key_text_len(key, klen), cl, vlen = 0;
	char ck[PATH_MAX];
	struct hdb_rec r;
	const char *why;
	uint8_t *val;
	int e;

	while (w->count == 0 && w->sequence > 0) {
		if (kl + 16 > sizeof(ck))
			return 0;
		memcpy(ck, key, kl);
		cl = kl + (size_t)snprintf(ck + kl, sizeof(ck) - kl, ":%d",
		    w->sequence - 1) + 1;	/* with Exim's NUL */
		val = tget(t, (uint8_t *)ck, cl, &vlen, &e);
		if (e)
			return -1;
		if (val == NULL) {
			w->sequence--;
			continue;
		}
		if (hdb_rec_decode(HDB_T_WAIT, t->o->dbo->layout,
		    (uint8_t *)ck, cl, val, vlen, &r, &why) == -1 ||
		    r.u.wait.count > HDB_WAIT_NAME_MAX ||
		    r.u.wait.sequence > HDB_WAIT_CONT_MAX ||
		    r.u.wait.sequence < 0 || r.u.wait.bad_id >= 0) {
			free(val);
			emit_corrupt(t, (uint8_t *)ck, cl,
			    "continuation not taken over", NULL);
			return 2;
		}
		wait_load(w, &r, ~0ULL);
		free(val);
		if (tdel(t, (uint8_t *)ck, cl) == -1)
			return -1;
		t->st->renamed++;
		emit_rename(t, (uint8_t *)ck, cl, key, klen);
		return 1;
	}
	return 0;
}

/* An empty main wait record: take over continuations, or delete it. */
static int
apply_empty_main(struct tidy *t, const uint8_t *key, size_t klen,
    const struct judgement *j)
{
	struct waitrec *w = xcalloc(1, sizeof(*w));
	int update, rc = 0, guard, r;

	wait_load(w, &j->r, j->keep);
	update = j->nkeep != j->r.u.wait.count;
	for (guard = 0; guard < TAKEOVER_MAX; guard++) {
		if (w->count != 0)
			break;
		if ((r = take_next(t, key, klen, w)) == -1) {
			rc = -1;
			goto out;
		}
		if (r == 2)
			break;
		if (r == 1)
			update = 1;
		if (w->count == 0 && w->sequence == 0) {
			if (tdel(t, key, klen) == -1) {
				rc = -1;
				goto out;
			}
			t->st->deleted[TR_EMPTY]++;
			emit_change(t, "deleted", key, klen, "empty");
			update = 0;
			break;
		}
		if (wait_prune(t, w))
			update = 1;
	}
	if (update) {
		if (tput_wait(t, key, klen, w) == -1) {
			rc = -1;
			goto out;
		}
		t->st->updated++;
		emit_change(t, "updated", key, klen, NULL);
	}
out:
	free(w);
	return rc;
}

/*
 * apply_one - re-read a candidate under the lock, judge it again from its
 * current bytes, and do what that says.  0, or -1 on a DB error.
 */
static int
apply_one(struct tidy *t, const struct cand *c)
{
	struct judgement j;
	struct waitrec *w;
	uint8_t *val;
	size_t vlen = 0;
	int e, rc = 0;

	if (c->report != NULL) {
		emit_corrupt(t, c->key, c->klen, c->report, c->exim);
		return 0;
	}
	if ((val = tget(t, c->key, c->klen, &vlen, &e)) == NULL)
		return e ? -1 : 0;	/* gone meanwhile: nothing to do */
	judge(t, c->key, c->klen, val, vlen, &j);
	switch (j.v) {
	case V_KEEP:
		t->st->refreshed++;
		break;
	case V_CORRUPT:
		emit_corrupt(t, c->key, c->klen, j.native, j.exim);
		break;
	case V_DELETE:
		if ((rc = tdel(t, c->key, c->klen)) == 0) {
			t->st->deleted[j.why]++;
			emit_change(t, "deleted", c->key, c->klen,
			    reason_text[j.why]);
		}
		break;
	case V_UPDATE:
		w = xcalloc(1, sizeof(*w));
		wait_load(w, &j.r, j.keep);
		if ((rc = tput_wait(t, c->key, c->klen, w)) == 0) {
			t->st->updated++;
			emit_change(t, "updated", c->key, c->klen, NULL);
		}
		free(w);
		break;
	case V_EMPTY_MAIN:
		rc = apply_empty_main(t, c->key, c->klen, &j);
		break;
	}
	free(val);
	return rc;
}

/* A batch that could not be written: its counts and lines never happened. */
static void
batch_undo(struct tidy *t, const struct tidy_stats *before)
{
	memcpy(t->st->deleted, before->deleted, sizeof(t->st->deleted));
	t->st->updated = before->updated;
	t->st->renamed = before->renamed;
	if (t->out != NULL) {
		fflush(t->out);
		t->outlen = 0;
		rewind(t->out);
	}
}

/*
 * A write hold on tdb is one TDB transaction (hdb_tdb_txn), so that a
 * kill leaves a whole file: outside a transaction a delete is several
 * writes, and a kill between them left a damaged file (be_tdb.c says
 * what a hold killed before its commit leaves: dead records).  Its
 * commit does not sync (batch_sync does, or not).  Other backends have
 * their own (SQLite) or none.  0, or -1 with the error set.
 */
static int
txn_begin(struct tidy *t)
{
	if (t->be != &hdb_backend_tdb)
		return 0;
	if (hdb_tdb_txn(t->h, HDB_TXN_BEGIN) == HDB_ERR) {
		set_error(t, EX_IOERR_, "cannot write '%s': %s", t->name,
		    hdb_error(t->h));
		return -1;
	}
	t->txn = 1;
	return 0;
}

/* The hold's transaction, if still open, is given up: nothing is kept. */
static void
txn_cancel(struct tidy *t)
{
	if (!t->txn)
		return;
	t->txn = 0;
	(void)hdb_tdb_txn(t->h, HDB_TXN_CANCEL);
}

/*
 * batch_sync - commit a write batch and flush it to disk while the lock
 * is still held: until then nothing is deleted.  0, or -1 with the batch
 * undone.  A backend whose writes go straight to the shared file (TDB)
 * is synced once at the end instead (final_sync), unless writers use TDB
 * transactions (hdb_sync_late says why; asked after the commit, whose
 * writes are ours).
 */
static int
batch_sync(struct tidy *t, const struct tidy_stats *before)
{
	if (t->o->dry_run)
		return 0;
	if (t->txn) {
		t->txn = 0;
		if (hdb_tdb_txn(t->h, HDB_TXN_COMMIT_LATE) == HDB_ERR)
			goto fail;
	}
	if (hdb_sync_late(t->h) || ((t->be->caps & HDB_CAP_HOLDS_OPEN) ?
	    hdb_hold(t->h, 0) : hdb_sync(t->h)) == HDB_OK)
		return 0;
fail:
	set_error(t, EX_IOERR_, "cannot write '%s': %s", t->name,
	    hdb_error(t->h));
	if (t->o->compat)
		fprintf(stderr, "%s: %s\n", t->o->cmd, t->st->error);
	batch_undo(t, before);
	return -1;
}

/*
 * final_sync - the one flush of a TDB tidy, after the last hold, outside
 * any lock: the handle stays open (HDB_CAP_STAYS_OPEN).  libtdb never
 * syncs outside a transaction, nor did Exim before 4.99, so this only
 * makes the result durable sooner.
 */
static void
final_sync(struct tidy *t)
{
	if (t->kept == NULL || !t->kept_write || t->o->dry_run ||
	    tidy_deleted(t->st) + t->st->updated + t->st->renamed == 0)
		return;
	if (hdb_sync(t->kept) != HDB_OK && t->st->status == 0)
		set_error(t, EX_IOERR_, "cannot write '%s': %s", t->name,
		    hdb_error(t->kept));
}

static int
has_changes(const struct tidy *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->c[i].report == NULL)
			return 1;
	return 0;
}

static double
hold_limit(const struct tidy *t)
{
	return hdb_hold_limit_ms(t->be, (double)t->o->max_lock_ms);
}

/* Between two holds (never after the last): let waiting writers in. */
static void
pause_for_writers(struct tidy *t)
{
	t->st->gap_ms = hdb_pause_for_writers(t->be,
	    (double)t->o->max_lock_ms);
	t->st->gaps++;
}

/*
 * apply - the candidates, last first, in batches, each a hold paced by
 * hdb_pace (lock.h).
 */
static int
apply(struct tidy *t)
{
	int write = !t->o->dry_run;
	double t0, held, tc;
	size_t i = t->n, n;
	struct tidy_stats before;
	struct hdb_pace pace;
	int fail;

	if (!has_changes(t)) {
		pend_open(t);
		while (i > 0)
			apply_one(t, &t->c[--i]);
		pend_flush(t);
		return 0;
	}
	hdb_pace_init(&pace, t->be, (double)t->o->max_lock_ms);
	progress_begin(t->n, t->o->verbose ? PROG_STDOUT : 0, "%s: %s",
	    t->name, t->o->dry_run ? "judging" : "applying");
	while (i > 0) {
		progress_set(t->n - i);
		if (topen(t, write) == -1)
			return -1;
		t->st->batches++;
		pend_open(t);
		before = *t->st;
		fail = write && txn_begin(t) == -1;
		for (n = 0; !fail && i > 0; n++) {
			t0 = hdb_now_ms();
			if (hdb_pace_full(&pace, t0 - t->t_lock, n))
				break;
			if (apply_one(t, &t->c[i - 1]) == -1) {
				set_error(t, EX_IOERR_, "cannot update '%s': "
				    "%s", t->path, hdb_error(t->h));
				fail = 1;
				break;
			}
			i--;
			hdb_pace_op(&pace, hdb_now_ms() - t0);
		}
		tc = hdb_now_ms();
		if (fail && t->txn) {	/* the batch goes whole */
			batch_undo(t, &before);
			txn_cancel(t);
		}
		if (batch_sync(t, &before) == -1 || fail) {
			txn_cancel(t);
			tclose(t);
			pend_flush(t);
			return -1;
		}
		held = tclose(t);
		hdb_pace_flushed(&pace, hdb_now_ms() - tc, n);
		if (held > t->st->max_hold_ms)
			t->st->max_hold_ms = held;
		pend_flush(t);
		if (i > 0)
			pause_for_writers(t);
	}
	return 0;
}

/*
 * The scan in pieces.  A hold scans from just after the newest resume
 * point until its time is nearly up; the next one, after a pause, finds
 * its place again by key (hdb_iterate_after), since Exim may change the
 * DB in between.  A resume point must still be there: under the write
 * lock only a kept key will do.  Should Exim delete it meanwhile, the end
 * of an earlier hold serves, and failing all of them the scan starts again
 * from the top.  Records seen twice are judged again, which changes
 * nothing, but are counted twice.
 */
static void
pos_copy(struct pos *p, const uint8_t *key, size_t len)
{
	if (p->key == NULL || len > p->cap) {	/* never NULL: an empty key */
		p->cap = len < 64 ? 64 : len;
		p->key = xreallocarray(p->key, p->cap, 1);
	}
	if (len > 0)
		memcpy(p->key, key, len);
	p->len = len;
}

/* The hold's position so far; pos[npos] is the scratch slot. */
static void
pos_here(struct tidy *t, const uint8_t *key, size_t len)
{
	pos_copy(&t->pos[t->npos], key, len);
	t->have_here = 1;
	t->kept_saved = 0;
}

/* A hold ended: its position becomes the newest resume point. */
static void
pos_commit(struct tidy *t)
{
	struct pos p;

	if (!t->have_here)
		return;
	t->have_here = 0;
	if (t->npos < POS_KEEP) {
		t->npos++;
		return;
	}
	p = t->pos[0];
	memmove(&t->pos[0], &t->pos[1], POS_KEEP * sizeof(p));
	t->pos[POS_KEEP] = p;
}

/* The newest resume point is gone: fall back.  0, or -1 if hopeless. */
static int
pos_lost(struct tidy *t)
{
	if (t->npos > 0) {
		t->npos--;
		if (t->npos > 0 || ++t->restarts <= RESTART_MAX)
			return 0;
	}
	set_error(t, EX_LOCKED, "'%s' %s", t->path, "changed too fast to "
	    "scan to the end; try again later");
	return -1;
}

/*
 * work_ms - how long a write hold that will have made n changes may scan
 * and delete: until only its flush (estimated from the holds before, see
 * learn) is left to fit in hold_limit, with hdb_pace's floors where the
 * flush takes most of it (hdb_pace_work: lock.h).  The first hold, with
 * no flush measured, scans for a quarter of the limit and deletes until
 * half, at most hdb_pace_first records: a flush of more could pass the
 * budget before anything was measured.
 */
static double
work_ms(const struct tidy *t, int deleting, size_t n)
{
	double lim = hold_limit(t);

	if (t->per_del_ms < 0)
		return deleting ? lim / 2 : lim / 4;
	return hdb_pace_work(&t->pace, n);
}

/*
 * hold_full - is it time to end this hold?  A read hold stops at 65% of
 * the budget, leaving the rest to a busy machine's scheduler.  A write
 * hold's scan must leave time for the deletions it has doomed, at their
 * estimated cost, and for the flush of all its changes and of the 16
 * records that may come before the next look (see learn).  Checked every
 * 16 records: the clock is cheap, but not free.
 */
static int
hold_full(struct tidy *t)
{
	size_t n = t->nchanged + t->ndm;
	double el;

	if (t->held_recs == 0)
		return 0;
	if (hdb_hold_records() > 0)
		return t->held_recs >= hdb_hold_records();
	if (t->held_recs % 16 != 0)
		return 0;
	if (t->write && t->max_del > 0 && n >= t->max_del)
		return 1;
	if (t->write && t->per_del_ms < 0 &&
	    n + 16 > hdb_pace_first((double)t->o->max_lock_ms))
		return 1;
	el = hdb_now_ms() - t->t_lock;
	if (!t->write)
		return el >= (double)t->o->max_lock_ms * 0.65;
	return el + (t->per_del_ms < 0 ? 0 : t->per_del_ms * (double)t->ndm) >=
	    work_ms(t, 0, n + 16);
}

/* Slowly forget a slow hold: est becomes the larger of 75% of it and v. */
static void
learn_one(double *est, double v)
{
	*est = *est * 0.75 > v ? *est * 0.75 : v;
}

/*
 * learn - after a write hold: what one deletion cost (del_ms for ndel),
 * what the flush and close cost (flush_ms), and for how many changes
 * (nch: hdb_pace_flushed).  The machine's load comes and goes, so all
 * adapt, each hold.
 */
static void
learn(struct tidy *t, double del_ms, size_t ndel, double flush_ms,
    size_t nch)
{
	if (t->per_del_ms < 0)
		t->per_del_ms = 0;
	if (ndel > 0)
		learn_one(&t->per_del_ms, del_ms / (double)ndel);
	hdb_pace_flushed(&t->pace, flush_ms, nch);
}

/*
 * cap_deletes - where a hold's flush writes back exactly the pages its
 * deletions dirtied (a tdb file beside transaction writers: batch_sync),
 * the flush grows with them, and at tdb's speed of deletion one hold's
 * worth of them took 170 ms to fsync.  So such holds start at 512
 * deletions, halve (or less) while the flush takes over a third of the
 * limit, and double while it takes under a sixth.  Each tdb hold is a
 * transaction (txn_begin), whose commit first copies every 4 KiB block
 * it changes into the file's recovery area, which stays: its deletions,
 * scattered over the file, change a block each, so a hold makes at most
 * TXN_DEL_MAX (at 300k records half due, holds without a cap grew the
 * file from 34 to 82 MB).
 */
static void
cap_deletes(struct tidy *t, size_t ndel, double flush)
{
	double lim = hold_limit(t);
	size_t cap;

	if (!(t->be->caps & HDB_CAP_WRITES_THROUGH)) {
		t->max_del = 0;
		return;
	}
	/* after the hold the handle is kept open (tclose), not closed */
	if (hdb_sync_late(t->h != NULL ? t->h : t->kept)) {
		t->max_del = TXN_DEL_MAX;
		return;
	}
	if (t->max_del == 0) {		/* the first hold */
		t->max_del = 512;
		return;
	}
	if (ndel == 0)
		return;
	if (flush > lim / 3) {
		cap = (size_t)((double)ndel * lim / 3 / flush);
		if (cap > t->max_del / 2)
			cap = t->max_del / 2;
		t->max_del = cap < 16 ? 16 : cap;
	} else if (flush < lim / 6 && ndel >= t->max_del &&
	    t->max_del < TXN_DEL_MAX)
		t->max_del *= 2;
}

/* The next record of a hold, judged; 0 if the hold is full. */
static int
take(struct tidy *t, struct hdb_datum key, struct hdb_datum val,
    struct judgement *j)
{
	if (hold_full(t))
		return 0;
	t->held_recs++;
	t->st->examined++;
	judge(t, key.data, key.len, val.data, val.len, j);
	return 1;
}

/* decide: a record that needs a change joins the candidates. */
static int
decide_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct tidy *t = arg;
	struct judgement j;

	if (!take(t, key, val, &j))
		return SCAN_STOP;
	if (j.v != V_KEEP)
		add_cand(t, key.data, key.len, &j);
	pos_here(t, key.data, key.len);
	return 0;
}

/* Copy len bytes to the end of dk; their offset. */
static size_t
dk_put(struct tidy *t, const uint8_t *key, size_t len)
{
	return xappend(&t->dk, &t->dklen, &t->dkcap, key, len);
}

static void
doom_add(struct tidy *t, const uint8_t *key, size_t len,
    enum tidy_reason why)
{
	struct doom *d;

	if (t->ndm == t->capdm) {
		t->capdm = t->capdm ? t->capdm * 2 : 1024;
		t->dm = xreallocarray(t->dm, t->capdm, sizeof(*t->dm));
	}
	/* the kept key before it, copied once for the dooms that follow it */
	if (t->have_here && !t->kept_saved) {
		t->kept_off = dk_put(t, t->pos[t->npos].key,
		    t->pos[t->npos].len);
		t->kept_saved = 1;
	}
	d = &t->dm[t->ndm++];
	d->kept = t->have_here ? t->kept_off : NO_KEPT;
	d->keptlen = t->have_here ? t->pos[t->npos].len : 0;
	d->before = t->held_recs - 1;
	d->why = why;
	d->off = dk_put(t, key, len);
	d->len = len;
}

/* Delete one record (a dry run only counts it).  0, or -1. */
static int
doom(struct tidy *t, struct hdb_datum k, enum tidy_reason why)
{
	/* A failure below undoes the hold's lines (batch_undo). */
	emit_change(t, "deleted", k.data, k.len, reason_text[why]);
	if (t->write && hdb_del(t->h, k) == HDB_ERR) {
		set_error(t, EX_IOERR_, "cannot update '%s': %s", t->path,
		    hdb_error(t->h));
		return -1;
	}
	t->nchanged++;
	t->st->deleted[why]++;
	return 0;
}

/*
 * sweep: every rule but wait's is about the record alone, so it is judged
 * and, if due, deleted in the same write-locked hold: at once where the
 * backend allows it (the page is still in its cache), else once the scan
 * has stopped.
 */
static int
sweep_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct tidy *t = arg;
	struct judgement j;

	if (!take(t, key, val, &j))
		return SCAN_STOP;
	if (j.v == V_DELETE && t->write &&
	    ((t->be->caps & HDB_CAP_DEL_IN_ITER) || t->sweep)) {
		if (doom(t, key, j.why) == -1)
			return SCAN_FAIL;
	} else if (j.v == V_DELETE)
		doom_add(t, key.data, key.len, j.why);
	else if (j.v == V_CORRUPT) {
		emit_corrupt(t, key.data, key.len, j.native, j.exim);
		t->corrupt_at = t->held_recs;
	}
	if (j.v != V_DELETE || !t->write)
		pos_here(t, key.data, key.len);
	return 0;
}

/*
 * out_of_time - may a write hold stop deleting before dm[i]?  When its
 * work time is up (work_ms), if no corrupt record would be seen (and
 * reported) twice, and never within the hold's first 16 records: as the
 * scan, which looks at the clock every 16, each hold does that much.
 */
static int
out_of_time(struct tidy *t, size_t i)
{
	return t->write && hdb_hold_records() == 0 && t->dm[i].before >= 16 &&
	    t->corrupt_at <= t->dm[i].before &&
	    hdb_now_ms() - t->t_lock >= work_ms(t, 1, t->nchanged + 1);
}

/*
 * doom_cut - the hold stops before dm[i]: the next one resumes after the
 * kept key before it (or where this one began) and sees the rest again,
 * so they are not counted now.
 */
static void
doom_cut(struct tidy *t, size_t i)
{
	const struct doom *d = &t->dm[i];

	t->st->examined -= t->held_recs - d->before;
	t->have_here = d->kept != NO_KEPT;
	if (t->have_here)
		pos_copy(&t->pos[t->npos], t->dk + d->kept, d->keptlen);
	t->cut = 1;
}

/*
 * The hold's deletions (a dry run only counts them), as many as its time
 * allows: the rest wait for the next hold.  0, or -1.
 */
static int
doom_apply(struct tidy *t)
{
	struct hdb_datum k;
	size_t i;

	for (i = 0; i < t->ndm; i++) {
		if (out_of_time(t, i)) {
			doom_cut(t, i);
			break;
		}
		k.data = t->dk + t->dm[i].off;
		k.len = t->dm[i].len;
		if (doom(t, k, t->dm[i].why) == -1)
			return -1;
	}
	return 0;
}

/* Close a hold and keep its numbers: the longest read and write holds. */
static double
hold_close(struct tidy *t)
{
	double held = tclose(t);

	if (t->write && held > t->st->max_hold_ms)
		t->st->max_hold_ms = held;
	if (!t->write && held > t->st->read_hold_ms)
		t->st->read_hold_ms = held;
	return held;
}

/*
 * hold_trace - for tests and profiling only: with HINTSDB_TEST_HOLD_TRACE
 * set, a line on stderr for each write hold: its number, how long the
 * lock was held, of that the work (scan and deletions) and the flush, the
 * records seen and the changes made, and the flush estimated before it.
 */
static void
hold_trace(const struct tidy *t, double held, double work)
{
	static int on = -1;

	if (on == -1)
		on = getenv("HINTSDB_TEST_HOLD_TRACE") != NULL;
	if (on)
		fprintf(stderr, "%s: hold %llu: %.1f ms, work %.1f, flush %.1f, "
		    "records %zu, changes %zu, flush estimated %.1f\n",
		    t->o->cmd, (unsigned long long)t->st->batches, held, work,
		    held - work, t->held_recs, t->nchanged,
		    t->pace.measured ? hdb_pace_flush_est(&t->pace,
		    t->nchanged) : 0.0);
}

/*
 * hold - one lock hold of a scan in pieces, fn judging each record:
 * lock, open, scan on from the resume point, delete what fn doomed,
 * flush, close, unlock.  1 when the scan reached the end, 0 if there is
 * more, -1 on failure.
 */
static int
hold(struct tidy *t, hdb_iter_fn fn)
{
	struct hdb_datum after = { NULL, 0 };
	struct tidy_stats before;
	double held, t_del, t_flush;
	int r, ok;

	if (topen(t, t->write) == -1)
		return -1;
	if (t->write && t->max_del == 0)
		cap_deletes(t, 0, 0);
	t->st->batches++;
	pend_open(t);
	before = *t->st;
	if (t->write && txn_begin(t) == -1) {
		hold_close(t);
		pend_flush(t);
		return -1;
	}
	t->ndm = t->dklen = t->nchanged = 0;
	t->held_recs = t->corrupt_at = 0;
	t->kept_saved = t->cut = 0;
	if (t->npos > 0) {
		after.data = t->pos[t->npos - 1].key;
		after.len = t->pos[t->npos - 1].len;
	}
	if (t->sweep)
		r = hdb_sweep(t->h, &t->sweep_pos, fn, t);
	else
		r = hdb_iterate_after(t->h, after, fn, t);
	if (r == HDB_ERR)
		set_error(t, EX_IOERR_, "cannot read '%s': %s", t->path,
		    hdb_error(t->h));
	ok = r != HDB_ERR && r != HDB_NOTFOUND && r != SCAN_FAIL;
	t_del = hdb_now_ms();
	if (ok && doom_apply(t) == -1) {
		batch_undo(t, &before);
		ok = 0;
	}
	if (!ok && r == SCAN_FAIL)
		batch_undo(t, &before);
	t_flush = hdb_now_ms();
	if (ok && t->nchanged > 0 && batch_sync(t, &before) == -1)
		ok = 0;
	if (!ok && t->txn)	/* a read error: the hold's deletions go */
		batch_undo(t, &before);
	txn_cancel(t);		/* nothing changed, or a failure */
	held = hold_close(t);
	pend_flush(t);
	if (r == HDB_NOTFOUND)
		return pos_lost(t);
	if (!ok)
		return -1;
	if (t->write) {
		hold_trace(t, held, t_flush - t->t_lock);
		learn(t, t_flush - t_del, t->ndm > 0 ? t->nchanged : 0,
		    held - (t_flush - t->t_lock), t->nchanged);
		cap_deletes(t, t->nchanged, held - (t_flush - t->t_lock));
	}
	pos_commit(t);
	return r == HDB_OK && !t->cut;
}

/* Scan in pieces with fn, pausing between holds for waiting writers. */
static int
scan(struct tidy *t, hdb_iter_fn fn, int write)
{
	int r;

	t->write = write;
	/* SQLite: a write sweep goes in rowid order (hdb_sweep), deleting
	 * as it goes, on one connection kept between holds (keeps) */
	t->sweep = write && fn == sweep_one &&
	    (t->be->caps & HDB_CAP_HOLDS_OPEN);
	t->sweep_pos = 0;
	t->per_del_ms = -1;
	hdb_pace_init(&t->pace, t->be, (double)t->o->max_lock_ms);
	t->max_del = 0;
	while ((r = hold(t, fn)) == 0)
		pause_for_writers(t);
	return r == 1 ? 0 : -1;
}

/*
 * Tidy by rebuild.  Deleting in place leaves the file its size: Berkeley
 * DB and GDBM keep the freed pages, tdb its free list (at 1M retry records
 * half due, a Berkeley DB file stayed 331 MB where a fresh one of the rest
 * takes 165 MB).  Instead the records to keep are read in pieces and
 * written to a new file, which replaces the DB as convert --in-place does
 * (rebuild.h): the write lock is held only for the rename, and what Exim
 * wrote meanwhile is carried over, a record tidy left out included.
 */
struct rtidy {
	struct tidy	*t;
	struct rebuild	 rb;
	struct keyset	 gone[TR_NREASONS];	/* left out, by reason */
	struct keyset	 back;		/* left out, then written by Exim */
	/*
	 * The keys left out, marked by their place in the read's own hashes
	 * (slurp's seen): 0 kept, 1 + the reason left out.  A byte a key
	 * where the gone sets took 8 a key left out.  Only while seen is in
	 * the order read: when the DB changes during the read it is sorted,
	 * and the marks go to the gone sets first (unmarked).
	 */
	uint8_t		*mark;
	size_t		 nmark;
	int		 unmarked;
	int		 gone_views;	/* gone[] lie in the written keys' array */
	int		 gone_sealed;	/* gone[] sorted (gone_why) */
	int		 failed;
};

/* Left out: by its place in seen at (SIZE_MAX: not known), or kept apart. */
static void
mark_gone(struct rtidy *r, struct hdb_datum key, size_t at, int why)
{
	if (r->unmarked || at == SIZE_MAX) {
		keyset_add(&r->gone[why], key);
		return;
	}
	if (at >= r->nmark) {
		r->mark = xreallocarray(r->mark, 2 * at + 4096, 1);
		memset(r->mark + r->nmark, 0, 2 * at + 4096 - r->nmark);
		r->nmark = 2 * at + 4096;
	}
	r->mark[at] = (uint8_t)(1 + why);
}

/* slurp's before_sort: seen is about to move; its marks to the gone sets. */
static void
unmark(void *arg, struct slurp *s)
{
	struct rtidy *r = arg;
	size_t i;

	for (i = 0; i < s->nseen && i < r->nmark; i++)
		if (r->mark[i] != 0)
			keyset_add_hash(&r->gone[r->mark[i] - 1], s->seen[i]);
	free(r->mark);
	r->mark = NULL;
	r->nmark = 0;
	r->unmarked = 1;
}

/* One record of the old DB, at in seen: into the new one unless due. */
static int
rebuild_one(struct rtidy *r, struct hdb_datum key, struct hdb_datum val,
    size_t at)
{
	struct tidy *t = r->t;
	struct judgement j;
	const char *why;

	t->st->examined++;
	judge(t, key.data, key.len, val.data, val.len, &j);
	if (j.v == V_DELETE) {
		t->cur = val;
		emit_change(t, "deleted", key.data, key.len, reason_text[j.why]);
		mark_gone(r, key, at, j.why);
		t->st->deleted[j.why]++;
		return 0;
	}
	if (j.v == V_CORRUPT)
		emit_corrupt(t, key.data, key.len, j.native, j.exim);
	if (rebuild_put(&r->rb, key, val, &why) == HDB_ERR) {
		r->failed = 1;
		return -1;
	}
	return 0;
}

/* The reason key was left out for, or TR_NREASONS. */
static int
gone_why(struct rtidy *r, struct hdb_datum key)
{
	int i;

	/* sorted only when the catch-up first asks: with no write meanwhile,
	 * it never does */
	for (i = 0; i < TR_NREASONS && !r->gone_sealed; i++)
		keyset_seal(&r->gone[i]);
	r->gone_sealed = 1;
	for (i = 0; i < TR_NREASONS; i++)
		if (keyset_has(&r->gone[i], key))
			return i;
	return TR_NREASONS;
}

static int
was_dropped(void *arg, struct hdb_datum key)
{
	return gone_why(arg, key) != TR_NREASONS;
}

/* Exim wrote a key tidy left out: it is kept, and not counted deleted. */
static void
revived(void *arg, struct hdb_datum key)
{
	struct rtidy *r = arg;
	struct tidy *t = r->t;
	int why = gone_why(r, key);

	/* twice: a later round of the catch-up */
	if (why == TR_NREASONS || keyset_has(&r->back, key))
		return;
	keyset_add(&r->back, key);
	keyset_seal(&r->back);		/* rare: Exim rewrote an old record */
	t->st->deleted[why]--;
	t->st->refreshed++;
	if (t->o->verbose && (t->o->match == NULL ||
	    dump_key_glob(t->o->match, key.data, key.len))) {
		fprintf(t->out, "%s: kept '", t->name);
		emit_key(t->out, key.data, key.len);
		fputs("' (written by Exim meanwhile)\n", t->out);
	}
}

/*
 * rebuild_drain - a batch of the old DB's records, read under the lock,
 * judged and written to the new DB with no lock held: the new file's
 * writes (a cache page evicted, read back) took a read hold of a 1M-record
 * file to 350 ms when they were made under it.
 */
static void
rebuild_drain(void *arg, struct slurp *s)
{
	struct rtidy *r = arg;
	struct hdb_datum k, v;
	size_t i;

	/* set here: slurp_init clears it, and no sort before the first
	 * batch's drain has a mark to move */
	s->before_sort = unmark;
	s->sort_ctx = r;
	if (s->seen_sorted)	/* sorted before the first drain */
		r->unmarked = 1;
	for (i = 0; i < s->n && !r->failed; i++) {
		k.data = slurp_key(s, i);
		k.len = s->recs[i].klen;
		v.data = slurp_val(s, i);
		v.len = s->recs[i].vlen;
		/* in the order read, the batch's hashes are seen's last */
		(void)rebuild_one(r, k, v, s->seen_sorted || s->nseen < s->n ?
		    SIZE_MAX : s->nseen - s->n + i);
	}
}

/*
 * by_mark - seen's hashes grouped in place by their marks: the kept ones
 * first (all->n of them on return), then the gone sets, which are left
 * as views into the array (gone_views).
 */
static void
by_mark(struct rtidy *r, struct keyset *all)
{
	size_t count[TR_NREASONS + 1] = { 0 }, next[TR_NREASONS + 1];
	size_t i, start = 0;
	uint64_t h, y;
	uint8_t m, z;
	int j;

	if (r->nmark < all->n) {	/* the last marks' room */
		r->mark = xreallocarray(r->mark, all->n ? all->n : 1, 1);
		memset(r->mark + r->nmark, 0, all->n - r->nmark);
		r->nmark = all->n;
	}
	for (i = 0; i < all->n; i++)
		count[r->mark[i]]++;
	for (j = 0; j <= TR_NREASONS; j++) {
		next[j] = start;
		start += count[j];
	}
	/* each slot's hash to its mark's next free place, as u64_sort does */
	for (j = 0, start = 0; j <= TR_NREASONS; start += count[j++]) {
		while (next[j] < start + count[j]) {
			h = all->h[next[j]];
			m = r->mark[next[j]];
			while (m != j) {
				y = all->h[next[m]];
				z = r->mark[next[m]];
				all->h[next[m]] = h;
				r->mark[next[m]++] = m;
				h = y;
				m = z;
			}
			all->h[next[j]] = h;
			r->mark[next[j]++] = m;
		}
	}
	free(r->mark);
	r->mark = NULL;
	r->nmark = 0;
	start = count[0];
	for (j = 0; j < TR_NREASONS; j++) {
		r->gone[j].h = all->h + start;
		r->gone[j].n = count[j + 1];
		r->gone[j].cap = 0;
		start += count[j + 1];
	}
	r->gone_views = 1;
	all->n = count[0];
}

/*
 * take_written - the keys the build wrote, for the catch-up: the read's
 * own hashes of every key it passed on (slurp's seen, each key once),
 * less those left out.  Kept apart, as rebuild_put would, they cost a
 * second copy of half the keys while the read still holds its own.
 */
static void
take_written(struct rtidy *r, struct slurp *s)
{
	struct keyset all = { s->seen, s->nseen, s->seencap };
	size_t i, n, at[TR_NREASONS] = { 0 };
	int j, out;

	s->seen = NULL;
	s->nseen = s->seencap = 0;
	if (!r->unmarked) {
		/* the kept ones, exactly; live_commit sorts them */
		by_mark(r, &all);
		rebuild_set_written(&r->rb, all.h, all.n, all.cap);
		return;
	}
	for (j = 0; j < TR_NREASONS; j++)
		keyset_seal(&r->gone[j]);
	r->gone_sealed = 1;
	keyset_seal(&all);
	/* all sorted lists: one walk through each */
	for (i = n = 0; i < all.n; i++) {
		for (j = out = 0; j < TR_NREASONS; j++) {
			while (at[j] < r->gone[j].n &&
			    r->gone[j].h[at[j]] < all.h[i])
				at[j]++;
			out |= at[j] < r->gone[j].n &&
			    r->gone[j].h[at[j]] == all.h[i];
		}
		if (!out)
			all.h[n++] = all.h[i];
	}
	rebuild_set_written(&r->rb, all.h, n, all.cap);
}

/*
 * Read the old DB into the new one, in batches (rebuild_drain); 0 or -1.
 * The output waits in t->out and t->err for the outcome: it is printed
 * only if the new DB is put in place.
 */
static int
rebuild_read(struct rtidy *r)
{
	struct tidy *t = r->t;
	struct scan_info si;
	struct slurp s;
	struct dbh d;
	int ex;

	if ((ex = db_open(&d, t->spool, t->name, 0, t->o->dbo,
	    t->o->cmd)) != 0) {
		t->st->status = ex;
		return -1;
	}
	hdb_writer_last_wins(r->rb.w);
	memset(&si, 0, sizeof(si));
	ex = db_slurp_stream_info(&d, t->spool, t->o->dbo, t->o->cmd,
	    (double)t->o->max_lock_ms, SCAN_ANY_ORDER, &s, REBUILD_BATCH,
	    rebuild_drain, r, &si);
	if (ex == 0) {
		rebuild_drain(r, &s);		/* the last batch */
		take_written(r, &s);
		slurp_free(&s);
	}
	t->st->batches += si.holds;
	if (si.max_hold_ms > t->st->read_hold_ms)
		t->st->read_hold_ms = si.max_hold_ms;
	if (si.holds > 1) {
		t->st->gaps += si.holds - 1;
		t->st->gap_ms = hdb_gap_ms(t->be, (double)t->o->max_lock_ms);
	}
	if (ex != 0 && !r->failed)
		t->st->status = ex;
	if (ex != 0 || r->failed)
		return -1;
	return 0;
}

/* Write the rest, swap, catch up; 0, or the EX_* code. */
static int
rebuild_swap(struct rtidy *r)
{
	struct tidy *t = r->t;
	int ex;

	r->rb.cu.dropped = was_dropped;
	r->rb.cu.revived = revived;
	r->rb.cu.dctx = r;
	ex = rebuild_commit(&r->rb);
	t->st->batches += 1 + r->rb.cu.holds;
	if (r->rb.swap_ms > t->st->max_hold_ms)
		t->st->max_hold_ms = r->rb.swap_ms;
	if (r->rb.cu.max_hold_ms > t->st->max_hold_ms)
		t->st->max_hold_ms = r->rb.cu.max_hold_ms;
	return ex;
}

/*
 * rebuild_failed - the new DB was not put in place: its lines go, as
 * nothing changed.  1 if the failure was in writing the new DB (a full
 * disk), after which deleting in place may still do, with st as before
 * the run; else 0.
 */
static int
rebuild_failed(struct rtidy *r, int committed, int ex)
{
	struct tidy *t = r->t;
	struct tidy_stats keep = *t->st;

	pend_discard(t);
	/* the writer failed: to start, to put, or to finish */
	if (!r->failed && !(ex == EX_IOERR_ && (committed || r->rb.w == NULL)))
		return 0;
	warnx("%s: %s: cannot write a new file%s%s; deleting in place",
	    t->o->cmd, t->name, r->failed ? ": " : "",
	    r->failed ? hdb_writer_error(r->rb.w) : "");
	memset(t->st, 0, sizeof(*t->st));
	memcpy(t->st->name, keep.name, sizeof(keep.name));
	t->st->size_before = keep.size_before;
	t->st->chains = keep.chains;
	return 1;
}

/*
 * new_buckets - a Berkeley DB file's new hash table: the old one's
 * buckets times the share of the sample that stays, rounded up to a power
 * of two; 0 if the old file's are not known.  The old file is read in its
 * bucket order, hash & (its buckets' power of two - 1) (the upper half
 * only where it has split so far), and a key goes to hash & (new - 1):
 * with the new count between half and all of that power of two, the new
 * buckets come in file order in one or two sweeps, so each page is
 * written about once, where puts in no order evict a dirty page and read
 * another for most of them.  The records a bucket holds stay about as
 * many as Exim's own splits leave.
 */
static size_t
new_buckets(const struct tidy *t)
{
	uint32_t old = hdb_bdb_buckets(t->path);
	size_t want, n = 1;

	if (old == 0)
		return 0;
	want = old;
	if (t->sample_n > 0)
		want = (size_t)((double)old * (double)(t->sample_n -
		    t->sample_due) / (double)t->sample_n);
	while (n * 2 <= want)
		n <<= 1;
	return n;
}

/*
 * tdb_records - the records a rebuilt tdb file will hold, for be_tdb.c to
 * give it hash chains by (a prime near a quarter of them, as convert
 * does): the file's bytes over the sample's bytes a record, a tdb record
 * header and tailer (28 bytes) added, times the share that stays.  Free
 * space counts as records, so it errs high: more chains, never fewer
 * than the old file's (asked for as four a chain, which gives back the
 * old count where it is one of be_tdb.c's primes).  Exim's tdb_open
 * gives a new file 131 chains, and with them every lookup, store and
 * delete walks n/131 records; every Exim reads the count from the header
 * of a file it opens (libtdb takes tdb_open's hash size only when it
 * creates a file), so a wider file is read alike, and faster.
 */
static size_t
tdb_records(const struct tidy *t)
{
	size_t old = (size_t)(t->st->chains != 0 ? t->st->chains : 131) * 4;
	double per, kept;

	if (t->sample_n == 0)
		return old;
	per = (double)t->sample_bytes / (double)t->sample_n + 28;
	kept = (double)t->st->size_before / per *
	    (double)(t->sample_n - t->sample_due) / (double)t->sample_n;
	return kept > (double)old ? (size_t)kept : old;
}

/*
 * rebuild_spec_of - the new file: the old one's backend, each record's
 * layout kept, the lockfile taken as Exim takes it; a tdb file gets
 * hash chains for what it keeps (tdb_records).
 */
static void
rebuild_spec_of(const struct tidy *t, struct rebuild_spec *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->be = t->be;
	sp->type = t->type;
	sp->layout = HDB_L_AUTO;
	sp->lock_timeout_ms = t->o->dbo->lock_timeout_ms;
	sp->live = sp->from_old = 1;
	sp->rename = 1;
	sp->own_written = 1;		/* take_written */
	sp->oflags = HDB_O_LEAN;	/* tidy's memory bound */
	sp->no_lockfile = (t->be->caps & HDB_CAP_LOCKFILE_IF_THERE) != 0;
	if (t->be == &hdb_backend_tdb)
		sp->expect = tdb_records(t);
	if (t->be == &hdb_backend_bdb && (sp->expect = new_buckets(t)) != 0)
		sp->oflags |= HDB_O_BUCKETS;
}

/*
 * tidy_rebuild - tidy by rebuild: 0; -1 with st's status set; or 1 to
 * delete in place instead (rebuild_failed).
 */
static int
tidy_rebuild(struct tidy *t)
{
	struct rebuild_spec sp;
	struct rtidy r;
	int ex, i, committed = 0, rc;

	memset(&r, 0, sizeof(r));
	r.t = t;
	hdb_close(t->kept);	/* the sample's: the file is replaced */
	t->kept = NULL;
	rebuild_spec_of(t, &sp);
	ex = rebuild_begin(&r.rb, t->o->cmd, t->spool, t->name, &sp);
	r.rb.budget_ms = (double)t->o->max_lock_ms;
	progress_begin(0, t->o->verbose ? PROG_STDOUT : 0, "%s: tidying",
	    t->name);
	pend_open(t);
	if (ex == 0 && rebuild_read(&r) == 0) {
		committed = 1;
		ex = rebuild_swap(&r);
	} else if (ex == 0)
		ex = t->st->status != 0 ? t->st->status : EX_IOERR_;
	if (r.rb.w != NULL && hdb_writer_replaced(r.rb.w)) {
		pend_flush(t);
		t->st->compacted = 1;
		t->st->size_after = db_bytes(t->path);
		rc = ex == 0 ? 0 : -1;
	} else
		rc = ex != 0 && rebuild_failed(&r, committed, ex) ? 1 : -1;
	if (rc == -1 && t->st->status == 0)
		t->st->status = ex;
	for (i = 0; i < TR_NREASONS; i++)
		if (r.gone_views)	/* in the written keys, freed next */
			memset(&r.gone[i], 0, sizeof(r.gone[i]));
		else
			keyset_free(&r.gone[i]);
	free(r.mark);
	rebuild_end(&r.rb);
	keyset_free(&r.back);
	return rc;
}

/*
 * rename_safe - may a new file be renamed over the DB?  Only where every
 * Exim that opens it first takes NAME.lockfile, which the rename holds:
 * one waiting then opens the new file by name.  Berkeley DB, GDBM and
 * NDBM, always; tdb only while its lockfile is there (Exim up to 4.98
 * makes it at its first open; 4.99 and later use none and would keep
 * writing into the moved file); SQLite never.
 */
static int
rename_safe(const struct tidy *t)
{
	struct stat sb;

	if (t->be->caps & HDB_CAP_LOCKS_ITSELF)
		return 0;
	if (!(t->be->caps & HDB_CAP_LOCKFILE_IF_THERE))
		return 1;
	return hdb_pin_lstat(t->lockpath, &sb) == 0 && S_ISREG(sb.st_mode);
}

/*
 * A sample of the DB: how many records were judged, how many are due,
 * and the bytes of their keys and values.
 */
struct sample {
	struct tidy	*t;
	size_t		 n, due, bytes;
};

static int
sample_one(void *arg, struct hdb_datum key, struct hdb_datum val)
{
	struct sample *s = arg;
	struct judgement j;

	judge(s->t, key.data, key.len, val.data, val.len, &j);
	s->due += j.v == V_DELETE;
	s->bytes += key.len + val.len;
	return ++s->n >= REBUILD_SAMPLE ? SCAN_STOP : 0;
}

/*
 * rebuild_pays - does a rebuild of a file of REBUILD_MIN_BYTES or more
 * pay?  The first REBUILD_SAMPLE records, judged in one read hold, stand
 * for the rest: every backend here walks its file in hash order, which
 * has nothing to do with a record's age.  It pays when a quarter of them
 * or more are due: deleted in place, that quarter would leave the file a
 * third larger than a fresh one (hintsdb-tidy(8), Rebuild).  1 yes, 0
 * no, -1 the DB could not be read (st says why).
 */
static int
rebuild_pays(struct tidy *t)
{
	struct sample s = { t, 0, 0, 0 };
	int r;

	if (topen(t, 0) == -1)
		return -1;
	r = hdb_iterate(t->h, sample_one, &s);
	t->st->batches++;
	hold_close(t);
	if (r == HDB_ERR)
		return 0;	/* the tidy that follows says what is wrong */
	t->sample_n = s.n;
	t->sample_due = s.due;
	t->sample_bytes = s.bytes;
	return s.n > 0 && s.due * REBUILD_SHARE >= s.n;
}

/*
 * by_rebuild - tidy by rebuild if it may (records judged alone, not wait
 * ones; changes made, not a dry run; our output, not exim_tidydb's order;
 * a rename under the lockfile; room for a second copy on the disk) and
 * pays, or --compact asks (--no-compact: never): 0 done, -1 failed, 1 to
 * delete in place instead.
 */
static int
by_rebuild(struct tidy *t)
{
	int r;

	t->st->size_before = db_bytes(t->path);
	if (t->type == HDB_T_WAIT || t->o->compat || t->o->dry_run)
		return 1;
	if (!rename_safe(t)) {
		if (t->o->compact)
			t->st->compacted = -1;
		return 1;
	}
	if (t->o->compact == -1 || !db_copy_room(t->path))
		return 1;
	if (t->o->compact == 0) {
		if (t->st->size_before < REBUILD_MIN_BYTES)
			return 1;
		if ((r = rebuild_pays(t)) != 1)
			return r == 0 ? 1 : -1;
	} else if (t->be == &hdb_backend_tdb && rebuild_pays(t) == -1)
		return -1;	/* tdb_records wants the sample */
	return tidy_rebuild(t);
}

static int
setup(struct tidy *t)
{
	struct stat sb;
	char in[PATH_MAX];
	int n;

	/* tidy_db's callers have pinned SPOOL/db (priv.h); exim_tidydb too */
	if ((n = spool_pin(t->spool, t->o->cmd)) != 0) {
		t->st->status = n;
		return -1;
	}
	n = snprintf(t->path, sizeof(t->path), "%s/db/%s", t->spool, t->name);
	if (n < 0 || (size_t)n >= sizeof(t->path) ||
	    hdb_lock_path(t->lockpath, sizeof(t->lockpath), t->spool,
	    t->name) == -1) {
		set_error(t, EX_USAGE_, "path too long: '%s'%s", t->spool, "");
		return -1;
	}
	if (hdb_pin_lstat(t->path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		set_error(t, EX_IOERR_, "refusing symlinked database '%s'%s",
		    t->path, "");
		return -1;
	}
	t->be = t->o->dbo->backend;
	if (t->be == NULL && (t->be = hdb_detect(t->path)) == NULL) {
		if (errno == ENOENT)
			set_error(t, EX_NODB, "no such database '%s'%s",
			    t->path, "");
		else if (errno == ELOOP)
			set_error(t, EX_IOERR_, "refusing symlinked "
			    "database '%s'%s", t->path, "");
		else if (errno != EINVAL) {	/* EACCES is not damage */
			char why[1024];
			int e = errno;

			snprintf(why, sizeof(why), "%s%s", strerror(e),
			    priv_hint_pair(e, t->path, t->lockpath, 1));
			set_error(t, EX_IOERR_, "cannot open '%s': %s",
			    t->path, why);
		} else
			set_error(t, EX_IOERR_, "cannot open '%s': %s",
			    t->path, "not a hints database of a known "
			    "backend");
		return -1;
	}
	t->inputfd = -1;
	if (t->type == HDB_T_WAIT || t->type == HDB_T_RETRY) {
		snprintf(in, sizeof(in), "%s/input", t->spool);
		t->inputfd = open(in, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (t->inputfd == -1 && !t->o->compat)
			warn("%s: %s: cannot open '%s'; message checks "
			    "skipped", t->o->cmd, t->name, in);
	}
	/* A tidy that writes makes the lockfile as Exim's owner would,
	 * where every Exim uses one. */
	if (!t->o->dry_run && !(t->be->caps & (HDB_CAP_LOCKS_ITSELF |
	    HDB_CAP_LOCKFILE_IF_THERE)))
		priv_make_lockfile(t->spool, t->lockpath);
	/* what a killed rebuild left (atomic.h), whichever way this runs:
	 * its catch-up first (catchup.h), then its files */
	if (!t->o->dry_run && !t->o->compat)
		(void)catchup_recover(t->spool, t->name, t->o->cmd,
		    t->o->dbo);
	if (!t->o->dry_run && !t->o->compat &&
	    hdb_atomic_sweep(t->path, in, sizeof(in)) == -1)
		warnx("%s: cannot remove leftovers of '%s': %s", t->o->cmd,
		    t->name, in);
	return 0;
}

static void
cleanup(struct tidy *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->c[i].key);
		free(t->c[i].report);
		free(t->c[i].exim);
	}
	free(t->c);
	for (i = 0; i < t->ngone; i++)
		free(t->gone[i].key);
	free(t->gone);
	for (i = 0; i <= POS_KEEP; i++)
		free(t->pos[i].key);
	free(t->dk);
	free(t->dm);
	hdb_close(t->kept);
	if (t->inputfd != -1)
		close(t->inputfd);
	pend_flush(t);
}

int
tidy_db(const char *spool, const char *name, const struct tidy_opts *o,
    struct tidy_stats *st)
{
	struct tidy t;
	double start = hdb_now_ms();
	int r;

	memset(st, 0, sizeof(*st));
	snprintf(st->name, sizeof(st->name), "%s", name);
	memset(&t, 0, sizeof(t));
	t.o = o;
	t.st = st;
	t.spool = spool;
	t.name = name;
	t.inputfd = -1;
	t.lockfd = -1;
	t.type = hdb_dbtype_from_name(name);
	if (setup(&t) == -1 || (r = by_rebuild(&t)) == -1)
		goto out;
	if (r == 0)
		goto done;
	/* the records examined are counted by the iteration hook */
	progress_begin(0, o->verbose ? PROG_STDOUT : 0, "%s: %s", name,
	    o->dry_run ? "examining" : "tidying");
	/*
	 * Wait records depend on each other, and exim_tidydb's lines come
	 * in its order: decide first, apply last first.  Every other rule
	 * judges a record alone, so one sweep does it all.
	 */
	if (t.type == HDB_T_WAIT || o->compat ||
	    !(t.be->caps & HDB_CAP_ORDER_KEPT)) {
		if (scan(&t, decide_one, 0) == -1 || apply(&t) == -1)
			goto out;
	} else if (scan(&t, sweep_one, !o->dry_run) == -1)
		goto out;
done:
	if (st->corrupt > 0)
		st->status = EX_FINDINGS;
out:
	final_sync(&t);
	cleanup(&t);
	st->elapsed_ms = hdb_now_ms() - start;
	return st->status;
}
