/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_ticket_sniff.c - libFuzzer target for `hintsdb ticket`'s input
 * recognition (PEM armour, the GnuTLS placeholder, whole-input DER, a
 * GnuTLS magic, a whole Exim tls record, stray DER) and what follows it:
 * decode, and the text, JSON and summary outputs.
 *
 * sniff() and the printers are static in tools/cmd_ticket.c, so this file
 * includes that file whole (its cmd_ticket_entry then lives here, and the
 * link leaves cmd_ticket.o out).  An exported seam would be cleaner; see
 * tests/fuzz/README.
 *
 * Checked: the payload found lies inside the input (or the decoded PEM);
 * the outputs hold no control bytes; no secret is printed.
 */
#include "../../tools/cmd_ticket.c"

#include "tls_common.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	fuzz_canary_init();
	return 0;
}

static void
outputs(const struct input *in, const struct hdb_tls_info *ti,
    const struct tctx *c)
{
	struct fuzz_cap cap;
	FILE *saved = stdout;

	fuzz_cap_open(&cap);
	stdout = cap.fp;
	put_text("fuzz\001input", in, ti, c);
	put_summary("fuzz-input", ti, c);
	stdout = saved;
	fuzz_cap_close(&cap);
	fuzz_no_ctl("ticket text", cap.buf, cap.len);
	fuzz_no_canary("ticket text", cap.buf, cap.len);
	fuzz_cap_free(&cap);
	fuzz_cap_open(&cap);
	stdout = cap.fp;
	put_json("fuzz\001input", in, ti, c);
	stdout = saved;
	fuzz_cap_close(&cap);
	fuzz_no_ctl_json("ticket json", cap.buf, cap.len);
	fuzz_no_canary("ticket json", cap.buf, cap.len);
	fuzz_cap_free(&cap);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hdb_tls_info ti;
	struct input in;
	struct tctx c;
	const char *why;
	uint8_t *buf;

	/* An exact copy, so a read past the end is seen by ASan. */
	if ((buf = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	memset(&c, 0, sizeof(c));
	c.now = FUZZ_NOW;
	c.utc = 1;
	c.gnutls_version = "3.7.9";
	if ((why = sniff(buf, size, &in)) != NULL) {
		fuzz_no_ctl("sniff reason", why, strlen(why));
		goto out;
	}
	if (in.pem_der != NULL) {
		if (in.payload != in.pem_der ||
		    in.payload_len != (size_t)in.pem_len)
			abort();
	} else if (in.payload < buf || in.payload_len > size ||
	    in.payload + in.payload_len > buf + size)
		abort();
	(void)hdb_tls_decode(in.payload, in.payload_len, &ti);
	if (in.is_record)
		hdb_tls_set_record(&ti, in.rec.time_stamp, 1,
		    in.rec.u.tls.flags);
	(void)hdb_tls_set_runtime_gnutls(&ti, c.gnutls_version);
	if (ti.secbuf != NULL)
		fuzz_canary_fill(ti.secbuf, ti.secbuf_len);
	outputs(&in, &ti, &c);
	hdb_tls_info_clear(&ti);
	if (in.pem_der != NULL)
		OPENSSL_clear_free(in.pem_der, (size_t)in.pem_len);
out:
	free(buf);
	return 0;
}
