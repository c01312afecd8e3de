# SPDX-License-Identifier: GPL-2.0-or-later
# share-faketime.sh - sourced by check.sh (and t0020): under faketime (make
# check-future) let processes of every user share libfaketime's state.
#
# libfaketime keeps it in a semaphore and a shm file that faketime creates
# 0600 in /dev/shm, named in $FAKETIME_SHARED.  A process of another user
# (nobody, Debian-exim) cannot open them, so it makes a pair named by its
# own PID, which stays behind when it execs or is killed; a later process
# of that user given the same PID then dies in libfaketime with status 1.
# With faketime's own pair open to all, no process makes one.
if [ -n "${FAKETIME_SHARED:-}" ]; then
	read -r ft_sem ft_shm <<-EOF
	$FAKETIME_SHARED
	EOF
	chmod 666 "/dev/shm/sem.${ft_sem#/}" "/dev/shm/${ft_shm#/}" ||
	    echo "share-faketime.sh: cannot share libfaketime's state" >&2
fi
