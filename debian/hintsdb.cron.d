# /etc/cron.d/hintsdb: tidy the Exim hints databases daily with hintsdb.
# Not active: remove the '#' of the line below to use it, or enable the
# timer (systemctl enable --now hintsdb-tidy.timer), or let exim4-base's
# own daily run use hintsdb (hintsdb-takeover enable); one of the three.
# Exit 75 (a lock was busy) waits for the next day; anything else is
# printed, so cron mails it.
#
#10 4 * * *	root	/usr/sbin/hintsdb tidy -q --all /var/spool/exim4 || [ $? = 75 ]
