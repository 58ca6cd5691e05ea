#!/usr/bin/env bash
# The lock on the target through mf:// (the bundled emulator), where
# MediaFire cannot create a file only when its name is free: the lock is
# written, left to settle and read back.  Two hosts starting backups of
# two trees at once: one runs, the other refuses naming the holder, then
# runs; both chains restore.  A killed run of another host is broken
# after --lock-timeout, and at once with --break-lock.
. "$(dirname "$0")/lib.sh"

if [ ! -f "$MFEMU" ]; then
	test_skip_all "mfemu not found (set MFEMU)"
fi

URL="mf://u%40example.com@mediafire.com/backups/shared"
export FTP_PASSWORD='pass word&1'
export DUPC_MF_POLL_INTERVAL=0.01

# mfd ARGS...: dupc through mf:// as every run here calls it
mfd() {
	"$DUPC" "$@" --no-encryption --num-retries 3 --backend-retry-delay 0.05 \
		--timeout 20
}

# bg_mfd ARGS...: the same in the background ($bg its pid); bg_mfd_as
# HOST ARGS... as another host (its own host name in a UTS namespace)
bg_mfd() {
	"$DUPC" "$@" --no-encryption --num-retries 3 --backend-retry-delay 0.05 \
		--timeout 20 &
	bg=$!
}
bg_mfd_as() {
	local h=$1; shift
	bg_as_host "$h" "$DUPC" "$@" --no-encryption --num-retries 3 \
		--backend-retry-delay 0.05 --timeout 20
}

# started DIR: the run with archive dir DIR holds the lock and has stored
# its first volume (its partial manifest is there; 60 s at most)
started() {
	local i
	for i in $(seq 1 600); do
		ls "$1"/*/*.manifest.part >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "the run of $1 did not start"
	return 1
}

test_expect_success 'start the emulator; two trees' '
	start_mfemu --account "u@example.com:$FTP_PASSWORD" --seed 3 &&
	export DUPC_MF_API_ROOT=$MF_ROOT &&
	mkdir -p a b &&
	head -c 700000 /dev/urandom >a/big && echo one >a/one &&
	head -c 300000 /dev/urandom >b/blob && echo two >b/two &&
	mkdir -p k && head -c 4000000 /dev/urandom >k/big
'

test_expect_success 'two hosts start at once: one runs, the other refuses in one line' '
	bg_mfd full --current-time 1700000000 --limit-upload 150 \
		--archive-dir "$TRASH/c-h1" a "$URL" >h1.out 2>h1.err &&
	p1=$bg &&
	bg_mfd full --current-time 1700000100 --limit-upload 150 \
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
	grep "^the target is locked by root@$(hostname) (pid $winpid, full, started " h$loser.err
'

test_expect_success 'the second runs after the first; both chains restore' '
	if [ $loser -eq 1 ]; then
		mfd full --current-time 1700000000 --archive-dir "$TRASH/c-h1" a "$URL"
	else
		mfd full --current-time 1700000100 --archive-dir "$TRASH/c-h2" b "$URL"
	fi >again.out &&
	grep -q "^Errors 0" again.out &&
	mfd restore -t 1700000050 --archive-dir "$TRASH/c-r1" "$URL" r1 &&
	diff -r a r1 &&
	mfd restore --archive-dir "$TRASH/c-r2" "$URL" r2 &&
	diff -r b r2
'

test_expect_success UNSHARE 'a killed run of another host: broken after --lock-timeout' '
	bg_mfd_as otherhost full --lock-timeout 3 --limit-upload 200 --volsize 1 \
		--archive-dir "$TRASH/c-k1" k "$URL" >k1.out 2>&1 &&
	p=$bg &&
	started "$TRASH/c-k1" &&
	kill -9 $p && { wait $p; true; } &&
	test_expect_code 23 mfd full --lock-timeout 3 --archive-dir "$TRASH/c-h2" \
		b "$URL" 2>early.err &&
	grep -q "^the target is locked by root@otherhost (pid $p, full" early.err &&
	sleep 4 &&
	mfd full --lock-timeout 3 --archive-dir "$TRASH/c-h2" b "$URL" >late.out 2>&1 &&
	grep -q "^Warning: breaking the stale lock of root@otherhost (pid $p, full" late.out &&
	grep -q "^Errors 0" late.out
'

test_expect_success UNSHARE 'a killed run of another host: broken at once with --break-lock' '
	bg_mfd_as otherhost full --limit-upload 200 --volsize 1 \
		--archive-dir "$TRASH/c-k2" k "$URL" >k2.out 2>&1 &&
	p=$bg &&
	started "$TRASH/c-k2" &&
	kill -9 $p && { wait $p; true; } &&
	mfd full --break-lock --archive-dir "$TRASH/c-h2" b "$URL" >broke.out 2>&1 &&
	grep -q "^Warning: breaking the lock of root@otherhost (pid $p, full, started .*) as --break-lock asks$" broke.out &&
	grep -q "^Errors 0" broke.out
'

test_expect_success 'stop the emulator' '
	stop_mfemu
'

test_done
