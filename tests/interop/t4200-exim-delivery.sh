#!/bin/sh
# t4200-exim-delivery.sh - a real Exim uses what tidy, fix, delete and
# forget leave behind, and why reads its retry record as it does: 4.96
# (bookworm), 4.98.2 (trixie, which keys the host
# T:[127.0.0.1]:127.0.0.1:PORT) and 4.100.1 (sid, SQLite, v2 records), one
# per EXIM_SUITE, each on a dead port of its own.  An Exim client on loopback defers a message to a port
# where nothing listens, which writes a host retry record; a queue run then
# skips the host ("retry time not reached").  After `hintsdb delete`,
# `hintsdb fix` (next try in the past) or `hintsdb tidy` (record aged past
# the limit), the next queue run tries the host again at once.  The message
# is queued (-odq) and its first attempt made by a forced queue run.
# Everything runs as root on a spool owned by Exim's user, which our tools
# switch to.
# Exim is Debian's, in a chroot (exim_run); its user exists only there.
. "$(dirname "$0")/../cli/lib.sh"

# check: split EXIM_SUITE=bookworm trixie sid
EXIM="exim_run exim4"
# Exim keeps only these variables: under libfaketime (make check-future)
# they carry the fake clock to its processes.  Deliveries happen in queue
# runs, never at submission (-odi): that one re-executes the setuid Exim as
# its own user, and the loader then drops LD_PRELOAD, so the retry record
# would be written with the real time.
FAKETIME_ENV="LD_PRELOAD : FAKETIME : FAKETIME_DONT_FAKE_MONOTONIC : FAKETIME_SHARED"
EXIM_IDS=$(exim_run id -u Debian-exim):$(exim_run id -g Debian-exim)
# nothing may listen here; one port per suite, so split jobs never share
case $EXIM_SUITE in
trixie) PORT=${HINTSDB_PORT_DEAD4:-45229} ;;
sid) PORT=${HINTSDB_PORT_DEAD4:-45239} ;;
*) PORT=${HINTSDB_PORT_DEAD4:-45219} ;;
esac
# the host's retry key: 4.98 and later bracket an IP host name
case $EXIM_SUITE in
bookworm | bullseye) KEY=T:127.0.0.1:127.0.0.1:$PORT ;;
*) KEY=T:[127.0.0.1]:127.0.0.1:$PORT ;;
esac
DELETED="deleted '$KEY'"

# client: a spool and config in ./c, one deferred message, its retry record
client() {
	chmod 755 "$TRASH" "$PWD" && rm -rf c && mkdir -p c/spool/log &&
	chown -R "$EXIM_IDS" c/spool &&
	cat >c/conf <<-EOF &&
	primary_hostname = client.test.example
	qualify_domain = test.example
	spool_directory = $PWD/c/spool
	log_file_path = $PWD/c/spool/log/%slog
	keep_environment = $FAKETIME_ENV
	host_lookup =
	rfc1413_hosts =
	check_spool_space = 0
	check_log_space = 0
	begin routers
	out:
	  driver = manualroute
	  route_list = * 127.0.0.1
	  transport = smtp_out
	  self = send
	begin transports
	smtp_out:
	  driver = smtp
	  port = $PORT
	begin retry
	* * F,1h,1h
	EOF
	printf "Subject: t\n\nbody\n" | $EXIM -C "$PWD/c/conf" -odq \
	    -f a@test.example user@remote.example 2>/dev/null &&
	queue_run -qf && [ "$(attempts)" = 1 ] &&
	"$HINTSDB" dump -k c/spool retry | grep -qxF "$KEY"
}

attempts() { grep -c "H=127.0.0.1 \[127.0.0.1\] Connection refused" \
    c/spool/log/mainlog; }

# queue_run [-qf]: one queue run, waited for (its deliveries are forked;
# up to 30 s on a loaded machine)
queue_run() {
	n=$(grep -c "End queue run" c/spool/log/mainlog)
	$EXIM -C "$PWD/c/conf" "${1:--q}" 2>>qrun.err ||
	    { cat qrun.err; return 1; }
	i=0
	while [ "$(grep -c "End queue run" c/spool/log/mainlog)" = "$n" ]; do
		i=$((i + 1)); [ $i -lt 600 ] || return 1; sleep 0.05
	done
}

# skipped: a queue run leaves the host alone while its retry record stands
skipped() {
	queue_run && [ "$(attempts)" = 1 ] &&
	grep -q "retry time not reached for any host" c/spool/log/mainlog
}

rootfree() { [ -z "$(find c/spool -user root)" ]; }

run_test "Exim on loopback defers, and skips the host on the next run" '
	[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
	client && skipped
'
run_test "after hintsdb delete, the next queue run tries at once" '
	client && skipped &&
	"$HINTSDB" delete --match="T:*127.0.0.1*" c/spool retry >out &&
	grep -qxF "$DELETED" out &&
	queue_run && [ "$(attempts)" = 2 ] && rootfree
'
run_test "after hintsdb fix sets next try in the past, likewise" '
	client && skipped &&
	printf "%s 4 2001010000\n" "$KEY" |
	    "$HINTSDB" fix c/spool retry >out &&
	grep -q "^4 next try: " out &&
	queue_run && [ "$(attempts)" = 2 ] && rootfree
'
run_test "after hintsdb tidy removes the aged record, likewise" '
	client && skipped &&
	"$HELPER" age "$PWD/c/spool/db/retry" retry $((8 * 86400)) &&
	"$HINTSDB" tidy -v -t 7d c/spool retry >out &&
	grep -qF "$DELETED (too old)" out &&
	queue_run && [ "$(attempts)" = 2 ] && rootfree &&
	exim_run exim_dumpdb "$PWD/c/spool" retry >d
'
run_test "why gives the next try Exim's record holds; after forget, a try at once" '
	client && skipped &&
	exim_run exim_dumpdb -z "$PWD/c/spool" retry >d &&
	want=$(awk -v k="$KEY" "f { print \$5, \$6; exit } \$1 == k { f = 1 }" d) &&
	[ -n "$want" ] &&
	"$HINTSDB" why --format=json c/spool "127.0.0.1:$PORT" >j &&
	got=$("$PYTHON" -c "import json, time; o = json.load(open(\"j\")); \
	    r = [x for x in o[\"records\"] if x[\"db\"] == \"retry\"][0]; \
	    print(time.strftime(\"%d-%b-%Y %H:%M:%S\", time.gmtime(r[\"next_try\"])))") &&
	[ "$got" = "$want" ] &&
	"$HINTSDB" why c/spool "127.0.0.1:$PORT" >w &&
	tail -n 1 w | grep -q "^127.0.0.1 \[127.0.0.1\]:$PORT: failing for .* (Connection refused); next try in " &&
	"$HINTSDB" forget c/spool "127.0.0.1:$PORT" >out &&
	grep -qx "retry: 1 record deleted" out &&
	queue_run && [ "$(attempts)" = 2 ] && rootfree
'
run_test "why --exim -C routes an address with exim -bt, then finds its host" '
	client && skipped &&
	printf "#!/bin/sh\nexec %s \"\$@\"\n" "$EXIM_RUN exim4" >exim &&
	chmod +x exim &&
	"$HINTSDB" why --exim="$PWD/exim" -C "$PWD/c/conf" c/spool \
	    user@remote.example >w &&
	grep -qx "user@remote.example: address routed by exim -bt to 127.0.0.1 \[127.0.0.1\]" w &&
	grep -qx "127.0.0.1: ip matched directly (a host Exim routes user@remote.example to)" w &&
	grep -qF "  retry $KEY: failing since " w &&
	tail -n 1 w | grep -q "^127.0.0.1 \[127.0.0.1\]:$PORT: failing for " &&
	expect_code 2 "$HINTSDB" why --no-route c/spool user@remote.example >n &&
	grep -qx "user@remote.example: address matched directly (no routing)" n &&
	! grep -qF "$KEY" n
'
test_done
