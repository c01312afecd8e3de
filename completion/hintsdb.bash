# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for hintsdb(8): commands, options, option values, and
# the hints DBs of the SPOOL given earlier on the line.
#
# Commands and options come from the program itself (`hintsdb --help`,
# `hintsdb help CMD`), so they cannot fall behind it; the values of the
# --format, --to-layout and --sqlite-schema options too (their a|b|c).

# _hintsdb_prog: the hintsdb being completed for (a path if one was typed)
_hintsdb_prog() {
	local p=${COMP_WORDS[0]}
	case $p in
	*/*) [ -x "$p" ] && { printf '%s\n' "$p"; return; } ;;
	esac
	printf '%s\n' hintsdb
}

_hintsdb_commands() {
	"$(_hintsdb_prog)" --help 2>/dev/null |
	    sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p'
}

# _hintsdb_help CMD: the command's help, once per shell
_hintsdb_help() {
	local v=_hintsdb_help_${1//[^a-z]/_}
	if [ -z "${!v+x}" ]; then
		printf -v "$v" '%s' "$("$(_hintsdb_prog)" help "$1" 2>/dev/null)"
	fi
	printf '%s\n' "${!v}"
}

# _hintsdb_options CMD: its options and those of every command, "--name="
# for those taking a value
_hintsdb_options() {
	_hintsdb_help "$1" | sed -n '/^options/,/^$/p' |
	    grep -o -- '^  -[a-z-]*\(=\|, --[a-z-]*\)\?' |
	    sed 's/^  //; s/, /\n/'
}

# _hintsdb_values CMD OPTION: the values an option takes
_hintsdb_values() {
	case $2 in
	--backend|--to-backend) echo "bdb gdbm tdb ndbm sqlite" ;;
	--layout) echo "legacy v2 auto" ;;
	--type) echo "retry misc wait callout ratelimit seen tls" ;;
	*)	# "--format=text|json|exim" in the help
		_hintsdb_help "$1" | grep -o -- "^  $2=[a-z0-9|]*" |
		    sed 's/^.*=//; s/|/ /g' ;;
	esac
}

# _hintsdb_dbs SPOOL: the hints DBs in SPOOL/db: NDBM's .dir/.pag (and
# BDB's .db) as one name, SQLite files as they are, no lockfiles or
# journals
_hintsdb_dbs() {
	local f n
	[ -d "$1/db" ] || return 0
	for f in "$1"/db/*; do
		n=${f##*/}
		case $n in
		*.lockfile|*-journal|*-wal|*-shm) continue ;;
		*.dir|*.pag) n=${n%.*} ;;
		*.db) n=${n%.db} ;;
		esac
		case $n in
		retry|misc|callout|ratelimit|seen|tls|wait-?*) echo "$n" ;;
		esac
	done | sort -u
}

# _hintsdb_valued CMD WORD: WORD is an option whose value is the next word
_hintsdb_valued() {
	case $2 in
	--*=*|--) return 1 ;;
	--*) _hintsdb_options "$1" | grep -qx -- "$2=" ;;
	-t) [ "$1" = tidy ] ;;
	-C) [ "$1" = why ] ;;
	*) return 1 ;;
	esac
}

_hintsdb() {
	local cur=${COMP_WORDS[COMP_CWORD]} cmd="" opt="" pre="" i w all=""
	local -a ops=()
	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$(_hintsdb_commands) help --help \
		    --version" -- "$cur"))
		return 0
	fi
	cmd=${COMP_WORDS[1]}
	if [ "$cmd" = help ]; then
		[ "$COMP_CWORD" -eq 2 ] &&
		    COMPREPLY=($(compgen -W "$(_hintsdb_commands)" -- "$cur"))
		return 0
	fi
	# --opt=value, whether or not COMP_WORDBREAKS splits at the =
	if [ "$cur" = "=" ]; then
		opt=${COMP_WORDS[COMP_CWORD-1]} cur=""
	elif [ "$COMP_CWORD" -ge 3 ] &&
	    [ "${COMP_WORDS[COMP_CWORD-1]}" = "=" ]; then
		opt=${COMP_WORDS[COMP_CWORD-2]}
	elif [[ ${COMP_WORDS[COMP_CWORD-1]} == --*= ]]; then
		opt=${COMP_WORDS[COMP_CWORD-1]%=}
	elif [[ $cur == --*=* ]]; then
		opt=${cur%%=*} pre=$opt= cur=${cur#*=}
	elif _hintsdb_valued "$cmd" "${COMP_WORDS[COMP_CWORD-1]}"; then
		opt=${COMP_WORDS[COMP_CWORD-1]}
	fi
	if [ -n "$opt" ]; then
		case $opt in
		--file|--output|-C|--exim) COMPREPLY=($(compgen -f -- "$cur")) ;;
		*) COMPREPLY=($(compgen -P "$pre" -W \
		    "$(_hintsdb_values "$cmd" "$opt")" -- "$cur")) ;;
		esac
		return 0
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_hintsdb_options "$cmd")" \
		    -- "$cur"))
		# no space after "--name=": the value follows
		[[ ${COMPREPLY[*]} == *= ]] && compopt -o nospace 2>/dev/null
		return 0
	fi
	# the operands so far, skipping options and their values
	for ((i = 2; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [ "$w" = "=" ] || [ "${COMP_WORDS[i-1]}" = "=" ]; then
			continue
		fi
		case $w in
		--all) all=1 ;;
		-*) _hintsdb_valued "$cmd" "$w" && i=$((i + 1)) ;;
		*) ops+=("$w") ;;
		esac
	done
	case $cmd in
	ticket)	# files, or SPOOL then its tls
		if [ ${#ops[@]} -eq 1 ] && [ -d "${ops[0]}/db" ]; then
			COMPREPLY=($(compgen -W tls -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
		fi ;;
	why|forget|failing)	# SPOOL, then destinations or nothing
		[ ${#ops[@]} -eq 0 ] &&
		    COMPREPLY=($(compgen -d -- "$cur")) ;;
	*)	if [ ${#ops[@]} -eq 0 ]; then
			COMPREPLY=($(compgen -d -- "$cur"))
		elif [ -n "$all" ]; then
			:	# --all SPOOL: no DBNAME follows
		elif [ ${#ops[@]} -eq 1 ] || [ "$cmd" = tidy ] ||
		    [ "$cmd" = check ] || [ "$cmd" = stat ]; then
			COMPREPLY=($(compgen -W "$(_hintsdb_dbs "${ops[0]}")" \
			    -- "$cur"))
		fi ;;
	esac
	return 0
}
complete -F _hintsdb hintsdb
