#!/usr/bin/env bash
# The lock on the target (file://): two hosts backing up two trees to one
# target at once, each with its own archive dir: one runs, the other
# refuses with one line naming the holder, and runs once the first is
# done; both chains restore.  Readers never wait for the lock.  A killed
# run's lock is broken after --lock-timeout when it was another host's,
# at once when its process is gone from this system, and at once with
# --break-lock.  Another host is a private UTS namespace with its own
# host name (UNSHARE).  An interrupted run removes its lock.
. "$(dirname "$0")/lib.sh"

T=$TRASH/target
URL=file://$T
LOCK=$T/dupc.lock

# nd: dupc with the options every run here shares
nd() {
	"$DUPC" "$@" --no-encryption
}

# bg_dupc ARGS...: dupc in the background, its pid (the process itself,
# which the lock names) in $bg
bg_dupc() {
	"$DUPC" "$@" --no-encryption &
	bg=$!
}

# bg_dupc_as HOST ARGS...: the same as another host (its own host name in
# a private UTS namespace; unshare and sh exec, so $bg is dupc's pid)
bg_dupc_as() {
	local h=$1; shift
	bg_as_host "$h" "$DUPC" "$@" --no-encryption
}

# wait_lock [FILE]: until the lock object exists (10 s at most)
wait_lock() {
	local f=${1:-$LOCK} i
	for i in $(seq 1 100); do
		[ -f "$f" ] && return 0
		sleep 0.1
	done
	echo "no lock appeared at $f"
	return 1
}

# slow_backup NAME [OPTION...]: a full backup of tree a that takes a few
# seconds (its upload limited), in the background; its pid in $bg
slow_backup() {
	local name=$1; shift
	bg_dupc full --limit-upload 300 --archive-dir "$TRASH/c-$name" "$@" \
		a "$URL" >"$name.out" 2>&1
}

test_expect_success 'setup: two trees' '
	mkdir -p a/docs b/data &&
	head -c 1500000 /dev/urandom >a/big &&
	echo one >a/docs/one &&
	head -c 200000 /dev/urandom >b/data/blob &&
	echo two >b/two
'

test_expect_success 'two hosts start at once: one runs, the other refuses in one line' '
	bg_dupc full --current-time 1700000000 --limit-upload 400 \
		--archive-dir "$TRASH/c-host1" a "$URL" >h1.out 2>h1.err &&
	p1=$bg &&
	bg_dupc full --current-time 1700000100 --limit-upload 400 \
		--archive-dir "$TRASH/c-host2" b "$URL" >h2.out 2>h2.err &&
	p2=$bg &&
	{ wait $p1; r1=$?; } ; { wait $p2; r2=$?; } ;
	echo "exit codes $r1 $r2" &&
	if [ $r1 -eq 0 ]; then
		test $r2 -eq 23 && loser=2 winner=1 winpid=$p1
	else
		test $r1 -eq 23 && test $r2 -eq 0 && loser=1 winner=2 winpid=$p2
	fi &&
	test_line_count h$loser.err = 1 &&
	grep "^the target is locked by root@$(hostname) (pid $winpid, full, started " h$loser.err &&
	grep -q "run again with --break-lock$" h$loser.err &&
	test_must_fail grep . h$loser.out &&
	grep -q "^Errors 0" h$winner.out &&
	test_path_is_missing "$LOCK"
'

test_expect_success 'after the first ends, the second runs; both chains restore' '
	if [ $loser -eq 1 ]; then
		nd full --current-time 1700000000 --archive-dir "$TRASH/c-host1" a "$URL"
	else
		nd full --current-time 1700000100 --archive-dir "$TRASH/c-host2" b "$URL"
	fi >again.out &&
	grep -q "^Errors 0" again.out &&
	test_path_is_missing "$LOCK" &&
	nd restore -t 1700000050 --archive-dir "$TRASH/c-r1" "$URL" r1 &&
	diff -r a r1 &&
	nd restore --archive-dir "$TRASH/c-r2" "$URL" r2 &&
	diff -r b r2
'

test_expect_success 'readers neither take nor wait for the lock' '
	slow_backup reader --current-time 1700000200 &&
	wait_lock &&
	cp "$LOCK" lock.before &&
	nd collection-status --archive-dir "$TRASH/c-host2" "$URL" >st.out &&
	grep -q "Found 1 secondary backup chain" st.out &&
	nd list-current-files -t 1700000050 --archive-dir "$TRASH/c-host2" "$URL" >ls.out &&
	grep -q "docs/one" ls.out &&
	nd restore -t 1700000050 --archive-dir "$TRASH/c-rr" "$URL" rr &&
	diff -r a rr &&
	nd verify -t 1700000050 --archive-dir "$TRASH/c-rr" "$URL" a &&
	nd check --archive-dir "$TRASH/c-host2" "$URL" >check.out &&
	grep -q "^No errors were found" check.out &&
	kill -0 $bg &&
	cmp "$LOCK" lock.before &&
	wait $bg &&
	grep -q "^Errors 0" reader.out &&
	test_path_is_missing "$LOCK"
'

test_expect_success 'a run stopped by SIGINT or SIGTERM removes its lock' '
	mkdir -p c &&
	head -c 5000000 /dev/urandom >c/big &&
	for sig in INT TERM; do
		bg_dupc full --volsize 1 --limit-upload 200 \
			--archive-dir "$TRASH/c-$sig" c "file://$TRASH/t-$sig" \
			>$sig.out 2>&1 &&
		wait_lock "$TRASH/t-$sig/dupc.lock" &&
		sleep 0.5 &&
		kill -$sig $bg &&
		{ wait $bg; test $? -eq 4; } &&
		grep -q "^interrupted" $sig.out &&
		test_path_is_missing "$TRASH/t-$sig/dupc.lock" || return 1
	done
'

test_expect_success UNSHARE "a killed run of another host: broken after --lock-timeout, with a warning" '
	bg_dupc_as otherhost full --lock-timeout 3 --limit-upload 100 \
		--archive-dir "$TRASH/c-k1" a "$URL" >k1.out 2>&1 &&
	p=$bg &&
	wait_lock &&
	grep -q "^host: otherhost$" "$LOCK" &&
	kill -9 $p && { wait $p; true; } &&
	test_expect_code 23 nd full --lock-timeout 3 --archive-dir "$TRASH/c-host2" \
		b "$URL" 2>early.err &&
	grep -q "^the target is locked by root@otherhost (pid $p, full" early.err &&
	sleep 4 &&
	nd full --lock-timeout 3 --archive-dir "$TRASH/c-host2" b "$URL" >late.out 2>&1 &&
	grep "^Warning: breaking the stale lock of root@otherhost (pid $p, full, started .*): not refreshed for [0-9]* s$" late.out &&
	grep -q "^Errors 0" late.out &&
	test_path_is_missing "$LOCK"
'

test_expect_success UNSHARE 'a killed run of another host: broken at once with --break-lock' '
	bg_dupc_as otherhost full --limit-upload 100 \
		--archive-dir "$TRASH/c-k2" a "$URL" >k2.out 2>&1 &&
	p=$bg &&
	wait_lock &&
	kill -9 $p && { wait $p; true; } &&
	test_expect_code 23 nd full --archive-dir "$TRASH/c-host2" b "$URL" 2>/dev/null &&
	nd full --break-lock --archive-dir "$TRASH/c-host2" b "$URL" >broke.out 2>&1 &&
	grep "^Warning: breaking the lock of root@otherhost (pid $p, full, started .*) as --break-lock asks$" broke.out &&
	grep -q "^Errors 0" broke.out &&
	test_path_is_missing "$LOCK"
'

test_expect_success 'a killed run of this system: broken at once, its process being gone' '
	slow_backup k3 &&
	wait_lock &&
	kill -9 $bg && { wait $bg; true; } &&
	nd full --archive-dir "$TRASH/c-host2" b "$URL" >gone.out 2>&1 &&
	grep "^Warning: breaking the lock of root@$(hostname) (pid $bg, full, started .*): that process is gone$" gone.out &&
	grep -q "^Errors 0" gone.out
'

# A live lock of another host, as its run would write it.
plant_lock() {
	cat >"$LOCK" <<-EOF
	dupc lock 1
	host: elsewhere
	user: backup
	pid: 4242
	command: full
	instance: -
	started: $(date -u +%Y%m%dT%H%M%SZ)
	refreshed: $(date -u +%Y%m%dT%H%M%SZ)
	interval: 60
	token: 0123456789abcdef0123456789abcdef
	EOF
}

test_expect_success '--no-remote-lock neither takes nor checks the lock' '
	plant_lock &&
	cp "$LOCK" planted &&
	nd full --no-remote-lock --archive-dir "$TRASH/c-host2" b "$URL" >nolock.out &&
	grep -q "^Errors 0" nolock.out &&
	test_cmp planted "$LOCK"
'

test_expect_success 'what only lists takes no lock; what deletes does' '
	plant_lock &&
	nd remove-older-than 1h --archive-dir "$TRASH/c-host2" "$URL" >ro.out &&
	nd remove-all-but-n-full 1 --archive-dir "$TRASH/c-host2" "$URL" >ra.out &&
	test_expect_code 23 nd remove-older-than 1h --force \
		--archive-dir "$TRASH/c-host2" "$URL" 2>rof.err &&
	grep -q "^the target is locked by backup@elsewhere (pid 4242, full" rof.err &&
	test_expect_code 23 nd cleanup --archive-dir "$TRASH/c-host2" "$URL" 2>cl.err &&
	grep -q "^the target is locked by backup@elsewhere" cl.err
'

test_expect_success 'a dry run takes no lock' '
	plant_lock &&
	cp "$LOCK" planted &&
	nd full --dry-run --archive-dir "$TRASH/c-host2" b "$URL" >dry.out &&
	test_cmp planted "$LOCK" &&
	rm "$LOCK"
'

test_expect_success 'an object under the lock name that is not a lock is refused' '
	echo "not a lock" >"$LOCK" &&
	test_expect_code 23 nd full --archive-dir "$TRASH/c-host2" b "$URL" 2>bad.err &&
	grep -q "^the target holds a dupc.lock that is not a dupc lock (bad lock record, line 1: not a dupc lock of version 1); if no other run is using the target, run again with --break-lock$" bad.err &&
	nd full --break-lock --archive-dir "$TRASH/c-host2" b "$URL" >bad.out 2>&1 &&
	grep -q "^Warning: removing dupc.lock, which is not a lock record" bad.out &&
	test_path_is_missing "$LOCK"
'

test_expect_success 'the lock is named after --file-prefix' '
	bg_dupc full --file-prefix=host3- --limit-upload 300 \
		--archive-dir "$TRASH/c-p" a "$URL" >p.out 2>&1 &&
	wait_lock "$T/host3-dupc.lock" &&
	test_path_is_missing "$LOCK" &&
	wait $bg &&
	test_path_is_missing "$T/host3-dupc.lock"
'

test_expect_success 'bad --lock-timeout values are refused' '
	test_expect_code 2 nd full --lock-timeout 0 a "$URL" 2>lt.err &&
	grep -q "^bad value .0. for --lock-timeout: expected seconds or an interval" lt.err &&
	test_expect_code 2 nd full --lock-timeout 9W a "$URL" 2>/dev/null &&
	test_expect_code 2 nd full --lock-timeout soon a "$URL" 2>/dev/null
'

test_done
