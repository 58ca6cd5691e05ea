#!/usr/bin/env bash
# --progress: a live line rewritten in place on a terminal (run under a
# pseudo-terminal with util-linux's script), plain lines every
# --progress-rate seconds when stderr is not a terminal, and nothing at
# all without the option.  The runs are held at a fault point after the
# first volume, so that the reporter has time to draw, then stopped with
# a signal: the line is erased before the one error line.
. "$(dirname "$0")/lib.sh"

# in_pty FILE CMD...: run CMD with a terminal as stdin/stdout/stderr,
# its output in FILE; the command's pid is left in pty-pid.
in_pty() {
	local out=$1; shift
	script -q -e -c "echo \$\$ >pty-pid; exec $*" /dev/null >"$out" 2>&1 </dev/null
}

# wait_for FILE PATTERN: poll until FILE matches (10 s at most).
wait_for() {
	for i in $(seq 1 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "timed out waiting for '$2' in $1" >&2
	return 1
}

test_expect_success 'a source of a few volumes' '
	mkdir -p src/sub &&
	head -c 3000000 /dev/urandom >src/big &&
	for i in $(seq 1 20); do
		echo "file $i" >src/sub/f$i || return 1
	done
'

test_expect_success 'on a terminal: one live line, erased before the error line' '
	in_pty tty.out env DUPC_FAULT_POINT=volume-uploaded:1:stall \
		"$DUPC" full --no-encryption --volsize 1 --progress \
		--archive-dir "$TRASH/c1" src "file://$TRASH/t1" &
	spid=$! &&
	wait_for tty.out "ETA" &&
	sleep 1.2 &&
	kill -INT "$(cat pty-pid)" &&
	{ wait $spid; rc=$?; } &&
	test $rc -eq 4 &&
	# each redraw returns to the start of the line and clears its end
	tr "\r" "\n" <tty.out >lines &&
	grep -E "^ *[0-9]+% [0-9.]+ ([KMGT]B|bytes) of [0-9.]+ ([KMGT]B|bytes), .*/s, ETA .*$(printf "\033")\[K$" lines >drawn &&
	test $(wc -l <drawn) -ge 2 &&
	# no newline between redraws: they all share one terminal line
	test $(grep -c "ETA" tty.out) -eq 1 &&
	# the line is erased, then the error is printed on its own line
	grep -q "$(printf "\r\033\\[K")interrupted after volume [0-9]*; run the backup again to resume" tty.out
'

test_expect_success 'stalled uploads and writes say so' '
	in_pty tty2.out env DUPC_FAULT_POINT=volume-uploaded:1:stall \
		"$DUPC" full --no-encryption --volsize 1 --progress --progress-rate 1 \
		--archive-dir "$TRASH/c2" src "file://$TRASH/t2" &
	spid=$! &&
	wait_for tty2.out "(stalled)" &&
	kill -TERM "$(cat pty-pid)" &&
	{ wait $spid; rc=$?; } &&
	test $rc -eq 4
'

test_expect_success 'not a terminal: a plain line every --progress-rate seconds on stderr' '
	env DUPC_FAULT_POINT=volume-uploaded:1:stall \
		"$DUPC" full --no-encryption --volsize 1 --progress --progress-rate 1 \
		--archive-dir "$TRASH/c3" src "file://$TRASH/t3" >out 2>err &
	pid=$! &&
	wait_for err "ETA" &&
	sleep 2.2 &&
	kill -INT $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc -eq 4 &&
	grep -E "^ *[0-9]+% .* of .*, ETA " err >plain &&
	test $(wc -l <plain) -ge 2 &&
	! grep -q "$(printf "\r")" err &&
	! grep -q "$(printf "\033")" err &&
	tail -n 1 err | grep -q "^interrupted after volume [0-9]*; run the backup again to resume" &&
	! grep -q "ETA" out
'

test_expect_success 'without --progress: nothing on a non-terminal' '
	"$DUPC" full --no-encryption --volsize 1 --archive-dir "$TRASH/c4" \
		src "file://$TRASH/t4" >out 2>err &&
	test_line_count err = 0 &&
	! grep -q "ETA" out
'

test_expect_success 'without --progress: nothing on a terminal either' '
	in_pty tty5.out "$DUPC" full --no-encryption --volsize 1 \
		--archive-dir "$TRASH/c5" src "file://$TRASH/t5" &&
	grep -q "Backup Statistics" tty5.out &&
	! grep -q "ETA" tty5.out &&
	! grep -q "$(printf "\033")" tty5.out
'

test_expect_success 'a restore shows the volumes read on a terminal' '
	in_pty tty6.out env DUPC_FAULT_POINT=volume-download:2:stall \
		"$DUPC" restore --no-encryption --progress \
		--archive-dir "$TRASH/c6" "file://$TRASH/t4" r6 &
	spid=$! &&
	wait_for tty6.out "reading volume 2 of" &&
	kill -INT "$(cat pty-pid)" &&
	{ wait $spid; rc=$?; } &&
	test $rc -eq 4 &&
	tr "\r" "\n" <tty6.out | grep -qE "^ *[0-9]+% volume 1 of [0-9]+ read, ETA .*, reading volume 2 of [0-9]+" &&
	grep -q "$(printf "\r\033\\[K")interrupted by signal 2; what is restored is incomplete" tty6.out &&
	"$DUPC" restore --no-encryption --force --archive-dir "$TRASH/c6" \
		"file://$TRASH/t4" r6 >/dev/null &&
	diff -r src r6
'

test_expect_success 'a completed backup leaves no status line behind' '
	in_pty tty7.out "$DUPC" full --no-encryption --volsize 1 --progress \
		--archive-dir "$TRASH/c7" src "file://$TRASH/t7" &&
	grep -q "Backup Statistics" tty7.out &&
	tail -n 3 tty7.out | grep -q "^-------------" &&
	! tail -n 1 tty7.out | grep -q "ETA"
'

test_expect_success 'bad --progress-rate values: exit 2' '
	test_expect_code 2 "$DUPC" full --no-encryption --progress-rate 0 \
		src "file://$TRASH/t8" 2>err &&
	test_line_count err = 1 &&
	grep -q "progress-rate" err
'

test_done
