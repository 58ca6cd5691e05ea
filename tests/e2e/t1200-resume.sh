#!/usr/bin/env bash
# Interrupted backups: a run killed with SIGKILL at each crash point is
# completed by the next run (resumed after the last volume the target
# holds, or redone when that is not safe), and the result restores
# identically with dupc and with duplicity.  Sets interrupted by one tool
# are resumed by the other.  SIGTERM stops at a safe point.
. "$(dirname "$0")/lib.sh"

opts() { echo --no-encryption --volsize 1 --archive-dir "$TRASH/cache-$1"; }

check_restores() { # NAME
	rm -rf "r-$1" "d-$1" &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/rc-$1" \
		"file://$TRASH/t-$1" "r-$1" >/dev/null &&
	listing "r-$1" >got && test_cmp want got &&
	if test_have_prereq DUPLICITY; then
		duplicity restore --no-encryption --archive-dir "$TRASH/dc-$1" \
			"file://$TRASH/t-$1" "d-$1" >/dev/null 2>&1 &&
		listing "d-$1" >got && test_cmp want got
	fi
}

# launch CMD...: run CMD in the background; its pid (env execs the
# command, so it is the command's own) is left in $bg_pid.
launch() {
	"$@" &
	bg_pid=$!
}

# kill_then_resume NAME POINT [extra options]
kill_then_resume() {
	local name=$1 point=$2
	DUPC_FAULT_POINT=$point "$DUPC" full $(opts "$name") src "file://$TRASH/t-$name" \
		>/dev/null 2>&1
	test $? -eq 137 || { echo "the run was not killed at $point"; return 1; }
	"$DUPC" $(opts "$name") src "file://$TRASH/t-$name" >"out-$name" &&
	ls "t-$name"/duplicity-full.*.manifest &&
	check_restores "$name"
}

test_expect_success VECTORS 'setup: a tree that spans three volumes' '
	make_tree src --with-multivol && listing src >want
'

for point in volume-entry:70 volume-upload:1 volume-upload:2 volume-uploaded:1 \
	volume-uploaded:2 volume-uploaded:3 sigtar-upload manifest-upload \
	archive-dir-update archive-dir-sigtar; do
	test_expect_success VECTORS "killed at $point, the next run completes the set" "
		kill_then_resume ${point%%:*}-${point#*:} $point
	"
done

test_expect_success VECTORS 'a resume after a volume says where it restarts' '
	grep -q "^Last full backup left a partial set, restarting.$" out-volume-uploaded-2 &&
	grep -q "^Restarting after volume 1, file multivol.bin, block 11$" out-volume-uploaded-2 &&
	grep -q "^Warning, found incomplete backup sets" out-volume-uploaded-1
'

test_expect_success VECTORS 'killed during an incremental, the next run completes it' '
	"$DUPC" full $(opts inc) src "file://$TRASH/t-inc" >/dev/null &&
	head -c 3000000 /dev/urandom >src/newbig.bin &&
	echo changed >>src/small.txt &&
	listing src >want &&
	DUPC_FAULT_POINT=volume-uploaded:2 "$DUPC" $(opts inc) src "file://$TRASH/t-inc" \
		>/dev/null 2>&1; test $? -eq 137 &&
	"$DUPC" $(opts inc) src "file://$TRASH/t-inc" >out &&
	grep -q "Last inc backup left a partial set, restarting." out &&
	check_restores inc
'

test_expect_success VECTORS 'a file changed before the resume point makes the set start over' '
	listing src >want &&
	rm -rf t-chg cache-chg &&
	DUPC_FAULT_POINT=volume-uploaded:2 "$DUPC" full $(opts chg) src "file://$TRASH/t-chg" \
		>/dev/null 2>&1; test $? -eq 137 &&
	printf x | dd of=src/multivol.bin bs=1 seek=100 conv=notrunc 2>/dev/null &&
	touch -d @1690009999 src/multivol.bin && listing src >want &&
	"$DUPC" $(opts chg) src "file://$TRASH/t-chg" >out &&
	grep -q "changed since the interrupted run; starting the set again" out &&
	check_restores chg
'

test_expect_success VECTORS,DUPLICITY 'dupc resumes a set duplicity left (--fail-on-volume)' '
	duplicity full $(opts dup) --fail-on-volume 2 src "file://$TRASH/t-dup" >/dev/null 2>&1;
	test -f t-dup/duplicity-full.*.vol2.difftar.gz &&
	"$DUPC" $(opts dup) src "file://$TRASH/t-dup" >out &&
	grep -q "Restarting after volume 2" out &&
	check_restores dup
'

test_expect_success VECTORS,DUPLICITY 'duplicity resumes a set dupc left' '
	DUPC_FAULT_POINT=volume-uploaded:3 "$DUPC" full $(opts rev) src "file://$TRASH/t-rev" \
		>/dev/null 2>&1; test $? -eq 137 &&
	duplicity $(opts rev) src "file://$TRASH/t-rev" >out 2>&1 &&
	grep -q "Restarting after volume" out &&
	check_restores rev
'

test_expect_success VECTORS 'SIGTERM stops at a safe point with exit 4, and the run resumes' '
	listing src >want &&
	launch env DUPC_FAULT_POINT=volume-uploaded:2:stall "$DUPC" full $(opts term) \
		src "file://$TRASH/t-term" >/dev/null 2>term.err &&
	pid=$bg_pid &&
	for i in $(seq 1 200); do
		[ "$(ls t-term 2>/dev/null | grep -c difftar)" -ge 2 ] && break
		sleep 0.05
	done &&
	sleep 0.2 &&
	kill -TERM $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc -eq 4 &&
	test_line_count term.err = 1 &&
	grep -q "interrupted" term.err &&
	ls cache-term/*/*.manifest.part &&
	! ls -d "$TMPDIR"/dupc-$pid-* 2>/dev/null &&
	"$DUPC" $(opts term) src "file://$TRASH/t-term" >out &&
	grep -q "Restarting after volume" out &&
	check_restores term
'

test_expect_success VECTORS 'a second run on the same archive dir is refused while one runs' '
	launch env DUPC_FAULT_POINT=volume-uploaded:1:stall "$DUPC" full $(opts lock) \
		src "file://$TRASH/t-lock" >/dev/null 2>&1 &&
	pid=$bg_pid &&
	for i in $(seq 1 200); do
		[ -e cache-lock ] && ls cache-lock/*/lockfile >/dev/null 2>&1 && break
		sleep 0.02
	done &&
	sleep 0.2 &&
	{ "$DUPC" full $(opts lock) src "file://$TRASH/t-lock" >/dev/null 2>lock.err; rc=$?; } &&
	kill -TERM $pid && { wait $pid; true; } &&
	test $rc -eq 23 &&
	grep -q "Another duplicity instance is already running" lock.err
'

test_expect_success VECTORS 'scratch space of killed runs is reclaimed by the next run' '
	mkdir "$TMPDIR/dupc-999999-AbCdEf" && : >"$TMPDIR/dupc-999999-AbCdEf/vol" &&
	"$DUPC" collection-status $(opts dry) "file://$TRASH/t-dry" >/dev/null &&
	! test -e "$TMPDIR/dupc-999999-AbCdEf" &&
	test -z "$(ls "$TMPDIR")"
'

test_expect_success VECTORS '--dry-run counts but writes nothing' '
	"$DUPC" --dry-run $(opts dry) src "file://$TRASH/t-dry" >out &&
	grep -q "^DeltaEntries " out &&
	! test -e t-dry &&
	test "$(ls cache-dry/*/ | wc -l)" -le 1
'

test_done
