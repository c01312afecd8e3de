#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='every cron line and systemd ExecStart in the README and the
man pages runs as printed, under cron'"'"'s environment (env -i
PATH=/usr/bin:/bin), against a make install DESTDIR tree; the systemd units
of the README and hintsdb-tidy(8) are the same'
. "$(dirname "$0")/lib.sh"

INST=$TRASH/inst

# cron_lines: the commands of the cron lines (MIN HOUR DOM MON DOW root
# CMD) in the README and man/*.8, one a line, as printed
cron_lines() {
	sed -n 's/^\(\.Dl \)\{0,1\} *[0-9*/,-]\{1,\} [0-9*/,-]\{1,\} [0-9*/,-]\{1,\} [0-9*/,-]\{1,\} [0-9*/,-]\{1,\} root \(.*\)$/\2/p' \
	    "$TOP/README" "$TOP"/man/*.8
}

# exec_lines: the ExecStart commands, as printed
exec_lines() {
	sed -n 's/^ *ExecStart=\(.*\)$/\1/p' "$TOP/README" "$TOP"/man/*.8
}

# installed CMD: CMD with the paths it names moved into this test: the
# installed tree, a copy of the example spool, a collector directory
installed() {
	printf '%s\n' "$1" | sed -e "s|/usr/local/sbin/|$INST/usr/local/sbin/|g" \
	    -e "s|/var/spool/exim4|$PWD/spool|g" \
	    -e "s|/var/lib/prometheus/node-exporter|$PWD/prom|g" \
	    -e "s|/var/backups/|$PWD/|g"
}

# units FILE: the hintsdb-tidy systemd units printed in FILE, normalized
units() {
	sed -n '/^ *\[Unit\]$/,/^ *WantedBy=/p' "$1" |
	    sed -e 's/^ *//' -e '/^\.Ed$/d' -e '/^\.Bd /d' -e '/^\.Pp$/d' \
	    -e '/^and$/d' -e '/^\.Pa /d' -e '/^enabled with$/d' \
	    -e '/^\.Ql /d' -e '/^$/d' -e '/^and \//d' -e '/^`systemctl/d'
}

run_test "make install puts hintsdb where the lines say" '
	make -s -C "$TOP" install DESTDIR="$INST" >/dev/null &&
	[ -x "$INST/usr/local/sbin/hintsdb" ]
'
run_test "there are cron lines, and each names the program by its full path" '
	cron_lines >lines &&
	[ "$(wc -l <lines)" -ge 4 ] &&
	! grep -v "/usr/local/sbin/hintsdb " lines &&
	! grep "\(^\|[;&|] *\)hintsdb " lines
'
run_test "every cron line runs under env -i PATH=/usr/bin:/bin" '
	cron_lines >lines && mkdir prom &&
	while IFS= read -r line; do
		copy_spool spool || exit 1
		cmd=$(installed "$line")
		env -i PATH=/usr/bin:/bin sh -c "$cmd" >out 2>err ||
		    { echo "failed ($?): $line"; cat out err; exit 1; }
	done <lines &&
	grep -q "^hintsdb_database_up{db=\"retry\"} 1$" prom/hintsdb.prom
'
run_test "every ExecStart runs as cron runs it, ends 0" '
	exec_lines >lines && [ -s lines ] &&
	while IFS= read -r line; do
		copy_spool spool || exit 1
		env -i PATH=/usr/bin:/bin $(installed "$line") >out 2>err ||
		    { echo "failed ($?): $line"; cat out err; exit 1; }
	done <lines
'
run_test "the README's systemd units are hintsdb-tidy(8)'s" '
	units "$TOP/README" >r && units "$TOP/man/hintsdb-tidy.8" >m &&
	[ -s r ] && grep -q "^ExecStart=" r && cmp r m
'
test_done
