#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
test_description='bash completion, as installed by make install: commands,
options, option values, and the DB names of the SPOOL on the line'
. "$(dirname "$0")/lib.sh"

INST=$TRASH/inst
COMP=$INST/usr/share/bash-completion/completions/hintsdb

# complete WORD...: what the installed bash completion offers for the
# line WORD... (the last word is the one being completed), one a line
complete_line() {
	PATH="$INST/usr/sbin:$PATH" bash -c '
	. "$0" || exit 1
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	_hintsdb || exit 1
	printf "%s\n" "${COMPREPLY[@]}" | sort' "$COMP" "$@"
}

run_test "make install puts the completions where bash and zsh look" '
	make -s -C "$TOP" install DESTDIR="$INST" PREFIX=/usr >/dev/null &&
	[ -f "$COMP" ] &&
	[ -f "$INST/usr/share/zsh/vendor-completions/_hintsdb" ] &&
	[ -x "$INST/usr/sbin/hintsdb" ] &&
	bash -n "$COMP" &&
	{ ! command -v zsh >/dev/null ||
	    zsh -n "$INST/usr/share/zsh/vendor-completions/_hintsdb"; }
'
run_test "hintsdb d<TAB>: dump and delete" '
	complete_line hintsdb d >got &&
	printf "delete\ndump\n" >want && cmp want got
'
run_test "hintsdb dump SPOOL <TAB>: the DB names, pairs folded, no lockfiles" '
	copy_spool sp &&
	: >sp/db/wait-smtp.dir && : >sp/db/wait-smtp.pag &&
	: >sp/db/wait-smtp.lockfile && : >sp/db/misc-journal &&
	: >sp/db/README &&
	complete_line hintsdb dump sp "" >got &&
	printf "%s\n" callout misc ratelimit retry seen tls wait-remote_smtp \
	    wait-smtp >want && cmp want got &&
	complete_line hintsdb dump --format=json sp r >got &&
	printf "ratelimit\nretry\n" >want && cmp want got
'
run_test "a SQLite DB without a lockfile is a name too" '
	mkdir -p s2/db && "$PYTHON" -c "
import sqlite3; sqlite3.connect(\"s2/db/ratelimit\").execute(\"create table tbl (ky text)\")" &&
	complete_line hintsdb tidy s2 "" >got &&
	echo ratelimit >want && cmp want got
'
run_test "options of the command, and of every command" '
	complete_line hintsdb dump --f >got &&
	printf "%s\n" --file= --format= >want && cmp want got &&
	complete_line hintsdb tidy --no >got &&
	printf "%s\n" --no-compact --no-drop-privileges --no-progress --now= >want &&
	cmp want got
'
run_test "option values: formats, backends, layouts" '
	complete_line hintsdb dump --format = "" >got &&
	printf "%s\n" exim json text >want && cmp want got &&
	complete_line hintsdb stat --format=p >got &&
	echo --format=prometheus >want && cmp want got &&
	complete_line hintsdb convert --to-backend = g >got &&
	echo gdbm >want && cmp want got &&
	complete_line hintsdb convert --to-layout "" >got &&
	printf "legacy\nv2\n" >want && cmp want got
'
run_test "the first operand is a directory; help completes commands" '
	mkdir -p spooldir && : >spoolfile &&
	complete_line hintsdb dump spool >got &&
	echo spooldir >want && cmp want got &&
	complete_line hintsdb help ti >got &&
	printf "ticket\ntidy\n" >want && cmp want got
'
run_test "ticket: files, or SPOOL then tls; --peer for dump and export" '
	copy_spool sp && : >sess.der &&
	complete_line hintsdb ticket sp "" >got &&
	echo tls >want && cmp want got &&
	complete_line hintsdb ticket se >got &&
	echo sess.der >want && cmp want got &&
	complete_line hintsdb dump --pe >got &&
	echo --peer= >want && cmp want got &&
	complete_line hintsdb export --pe >got && cmp want got
'
run_test "why, forget, failing: SPOOL, then destinations, never DB names" '
	copy_spool sp &&
	complete_line hintsdb why sp "" >got && test -z "$(tr -d "\n" <got)" &&
	complete_line hintsdb forget sp r >got &&
	test -z "$(tr -d "\n" <got)" &&
	complete_line hintsdb failing sp r >got &&
	test -z "$(tr -d "\n" <got)" &&
	: >my.conf &&
	complete_line hintsdb why -C my >got &&
	echo my.conf >want && cmp want got &&
	complete_line hintsdb why -C my.conf sp "" >got &&
	test -z "$(tr -d "\n" <got)" &&
	complete_line hintsdb why --no >got &&
	grep -qx -- --no-route got && ! grep -q -- --match got
'
run_test "no DB names after --all SPOOL; --all offered" '
	copy_spool sp &&
	complete_line hintsdb tidy --all sp "" >got && [ -z "$(cat got)" ] &&
	complete_line hintsdb dump --all sp "" >got && [ -z "$(cat got)" ] &&
	complete_line hintsdb tidy sp "" >got && grep -qx retry got &&
	for c in dump tidy export check stat convert; do
		complete_line hintsdb $c --a >got && grep -qx -- --all got ||
		    { echo "$c: no --all"; return 1; }
	done
'
test_done
