#!/usr/bin/env bash
# The lock on the target through sftp:// (OpenSSH's sshd of
# tests/servers/sshd), where it is created atomically by an exclusive
# open (SSH_FXF_EXCL).  Two hosts starting backups of two trees at once:
# one runs, the other refuses naming the holder, then runs; both chains
# restore.  A killed run of another host is broken after --lock-timeout,
# and at once with --break-lock.  Another host is a private UTS namespace
# with its own host name (UNSHARE).
#
# needs-server: sshd
. "$(dirname "$0")/lib.sh"
need_server sshd

H=$DUPC_SSHD_HOST P=$DUPC_SSHD_PORT USR=$DUPC_SSHD_USER
D=t8144-$$
URL=sftp://$USR@$H:$P/$D/shared
LOCK=$DUPC_SSHD_HOME/$D/shared/dupc.lock
unset SSH_AUTH_SOCK FTP_PASSWORD

mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh" &&
	cp "$DUPC_SSHD_KEY" "$HOME/.ssh/id_ed25519" &&
	cp "$DUPC_SSHD_KNOWN_HOSTS" "$HOME/.ssh/known_hosts"

# sd ARGS...: dupc through sftp:// as every run here calls it
sd() {
	"$DUPC" "$@" --no-encryption --num-retries 3 --backend-retry-delay 0.05
}

# bg_sd ARGS...: the same in the background ($bg its pid); bg_sd_as HOST
# ARGS... as another host (its own host name in a UTS namespace)
bg_sd() {
	"$DUPC" "$@" --no-encryption --num-retries 3 --backend-retry-delay 0.05 &
	bg=$!
}
bg_sd_as() {
	local h=$1; shift
	bg_as_host "$h" "$DUPC" "$@" --no-encryption --num-retries 3 \
		--backend-retry-delay 0.05
}

# wait_lock: until the lock object is on the server (20 s at most)
wait_lock() {
	local i
	for i in $(seq 1 200); do
		[ -s "$LOCK" ] && return 0
		sleep 0.1
	done
	echo "no lock appeared at $LOCK"
	return 1
}

test_expect_success 'two trees' '
	mkdir -p a b &&
	head -c 1500000 /dev/urandom >a/big && echo one >a/one &&
	head -c 300000 /dev/urandom >b/blob && echo two >b/two
'

test_expect_success 'two hosts start at once: one runs, the other refuses in one line' '
	bg_sd full --current-time 1700000000 --limit-upload 400 \
		--archive-dir "$TRASH/c-h1" a "$URL" >h1.out 2>h1.err &&
	p1=$bg &&
	bg_sd full --current-time 1700000100 --limit-upload 400 \
		--archive-dir "$TRASH/c-h2" b "$URL" >h2.out 2>h2.err &&
	p2=$bg &&
	{ wait $p1; r1=$?; } ; { wait $p2; r2=$?; } ;
	echo "exit codes $r1 $r2" &&
	if [ $r1 -eq 0 ]; then
		test $r2 -eq 23 && loser=2 winpid=$p1
	else
		test $r1 -eq 23 && test $r2 -eq 0 && loser=1 winpid=$p2
	fi &&
	test_line_count h$loser.err = 1 &&
	grep "^the target is locked by root@$(hostname) (pid $winpid, full, started " h$loser.err &&
	test_path_is_missing "$LOCK"
'

test_expect_success 'the second runs after the first; both chains restore' '
	if [ $loser -eq 1 ]; then
		sd full --current-time 1700000000 --archive-dir "$TRASH/c-h1" a "$URL"
	else
		sd full --current-time 1700000100 --archive-dir "$TRASH/c-h2" b "$URL"
	fi >again.out &&
	grep -q "^Errors 0" again.out &&
	sd restore -t 1700000050 --archive-dir "$TRASH/c-r1" "$URL" r1 &&
	diff -r a r1 &&
	sd restore --archive-dir "$TRASH/c-r2" "$URL" r2 &&
	diff -r b r2
'

test_expect_success UNSHARE 'a killed run of another host: broken after --lock-timeout' '
	bg_sd_as otherhost full --lock-timeout 3 --limit-upload 50 \
		--archive-dir "$TRASH/c-k1" a "$URL" >k1.out 2>&1 &&
	p=$bg &&
	wait_lock &&
	grep -q "^host: otherhost$" "$LOCK" &&
	kill -9 $p && { wait $p; true; } &&
	test_expect_code 23 sd full --lock-timeout 3 --archive-dir "$TRASH/c-h2" \
		b "$URL" 2>early.err &&
	grep -q "^the target is locked by root@otherhost (pid $p, full" early.err &&
	sleep 4 &&
	sd full --lock-timeout 3 --archive-dir "$TRASH/c-h2" b "$URL" >late.out 2>&1 &&
	grep -q "^Warning: breaking the stale lock of root@otherhost (pid $p, full" late.out &&
	grep -q "^Errors 0" late.out &&
	test_path_is_missing "$LOCK"
'

test_expect_success UNSHARE 'a killed run of another host: broken at once with --break-lock' '
	bg_sd_as otherhost full --limit-upload 50 --archive-dir "$TRASH/c-k2" \
		a "$URL" >k2.out 2>&1 &&
	p=$bg &&
	wait_lock &&
	kill -9 $p && { wait $p; true; } &&
	sd full --break-lock --archive-dir "$TRASH/c-h2" b "$URL" >broke.out 2>&1 &&
	grep -q "^Warning: breaking the lock of root@otherhost (pid $p, full, started .*) as --break-lock asks$" broke.out &&
	grep -q "^Errors 0" broke.out &&
	test_path_is_missing "$LOCK"
'

test_done
