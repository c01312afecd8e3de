#!/bin/sh
# t3090-ticket-live.sh - make fresh REAL sessions now (openssl s_server and
# s_client on 127.0.0.1, GnuTLS through tests/helper/gnutls-session.py) with
# tests/helper/mksessions.sh, and check that hintsdb ticket decodes each
# one exactly as the handshake and `openssl sess_id` reported it.  Guards
# against fixtures that only pass because they were committed once.
# Takes some 30 seconds; HINTSDB_SKIP_LIVE=1 skips it.
. "$(dirname "$0")/lib.sh"

if [ -n "${HINTSDB_SKIP_LIVE:-}" ] || ! command -v openssl >/dev/null 2>&1 ||
    ! command -v python3 >/dev/null 2>&1; then
	run_test "live sessions (skipped)" 'true'
	test_done
	exit
fi

run_test "mksessions.sh makes real sessions on loopback" '
	TMPDIR=$TRASH sh "$TOP/tests/helper/mksessions.sh" "$TRASH/live" \
	    2>mk.err ||
	    { cat mk.err; exit 1; }
	ls "$TRASH"/live/o1*.pem >/dev/null &&
	test "$(ls "$TRASH"/live/*.facts | wc -l)" -ge 12
'
run_test "no s_server is left running" '
	ls -d "$TRASH"/mksessions.* >/dev/null 2>&1 && exit 1
	! pgrep -f "s_server .*$TRASH" >/dev/null 2>&1
'
run_test "every live session decodes as its handshake reported" '
	cd "$TRASH/live" || exit 1
	n=0
	for facts in *.facts; do
		b=${facts%.facts}
		file=$(sed -n "s/^file=//p" "$facts")
		extra=
		case $file in
		o1*.pem)
			openssl sess_id -noout -text -in "$file" >"$b.sid" &&
			"$HINTSDB" ticket --show-secrets "$file" >"$b.txt" ||
			    exit 1
			extra="--sessid $b.sid --text $b.txt"
			;;
		esac
		"$HINTSDB" ticket --format=json --show-secrets "$file" \
		    >"$b.json" 2>"$b.err" || { cat "$b.err"; exit 1; }
		echo "$facts $b.json $extra" >>checks
		no_ctl "$b.json" "$b.err" || exit 1
		n=$((n + 1))
	done
	test $n -ge 12 &&
	python3 "$DATA/tls/check-facts.py" --batch checks
'
test_done
