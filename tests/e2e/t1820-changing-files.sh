#!/usr/bin/env bash
# Files that cannot be read, vanish, shrink, grow or change kind during a
# backup: duplicity's warning (wording and --log-fd code) naming the file,
# counted in Errors, the backup goes on and both tools restore it.
#
# Unreadable files: mode 000 through no_dac (root without CAP_DAC_*).
# Races: DUPC_FAULT_POINT=<point>:N:stop stops dupc at an exact point
# (before the lstat of a name, before a file is opened, before a read);
# the test changes the tree and continues it.
. "$(dirname "$0")/lib.sh"

list() { python3 "$TEST_TOP/tests/tools/tree-listing.py" "$@"; }
T=1690000000 T0=1700000000 T1=1700000100 T2=1700000200

rnd() { # FILE SIZE SEED
	python3 -c "
import hashlib, sys
p, n, s = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = bytearray(); i = 0
while len(out) < n:
    out += hashlib.sha256(('%s:%d' % (s, i)).encode()).digest(); i += 1
open(p, 'wb').write(bytes(out[:n]))" "$1" "$2" "$3"
}
stamp() { find "$1" -exec touch -m -d @$T {} +; }

# opts DIR: the options for a backup into file://t-DIR
opts() {
	echo --no-encryption --archive-dir "$TRASH/cache-$1"
}
# backup DIR KIND SRC [options]: dupc into file://t-DIR, output in out.DIR
backup() {
	local dir=$1 kind=$2 src=$3; shift 3
	"$DUPC" $kind --no-encryption --archive-dir "$TRASH/cache-$dir" \
		"$@" "$src" "file://$TRASH/t-$dir" >out.$dir 2>&1
}
# check_restores DIR LISTING [options]: dupc and duplicity restore t-DIR
# as LISTING says
check_restores() {
	local dir=$1 want=$2; shift 2
	rm -rf o "cache-o" &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/cache-o" "$@" \
		"file://$TRASH/t-$dir" o >/dev/null &&
	list o >got && test_cmp "$want" got || return 1
	if test_have_prereq DUPLICITY; then
		rm -rf o "cache-o" &&
		duplicity restore --no-encryption --archive-dir "$TRASH/cache-o" \
			"$@" "file://$TRASH/t-$dir" o >/dev/null 2>&1 &&
		list o >got && test_cmp "$want" got
	fi
}

# stop_at POINT ACTION OUT CMD...: run CMD (output to OUT) with
# DUPC_FAULT_POINT=POINT:stop, wait until it stops there, eval ACTION,
# continue it and wait for it (killed after a minute: it must never hang).
stop_at() {
	local point=$1 action=$2 out=$3 pid i=0
	shift 3
	env DUPC_FAULT_POINT="$point:stop" "$@" >"$out" 2>&1 &
	pid=$!
	until [ "$(cut -d" " -f3 /proc/$pid/stat 2>/dev/null)" = T ]; do
		if ! kill -0 $pid 2>/dev/null; then
			wait $pid
			echo "stop_at: $point was never reached" >&2
			return 1
		fi
		i=$((i + 1))
		[ $i -lt 600 ] || { kill -9 $pid; return 1; }
		sleep 0.1
	done
	eval "$action" || { kill -9 $pid; wait $pid; return 1; }
	kill -CONT $pid
	i=0
	while kill -0 $pid 2>/dev/null && [ $i -lt 600 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill -0 $pid 2>/dev/null && { kill -9 $pid; echo "stop_at: hung" >&2; }
	wait $pid
}

cat >expect.unreadable <<\EOF
WARNING 10 'src/lockeddir'
. Error accessing possibly locked file src/lockeddir
--
WARNING 9 'src/noexec/a'
. Error accessing possibly locked file src/noexec/a
--
WARNING 10 'src/secret'
. Error accessing possibly locked file src/secret
EOF

test_expect_success UNREADABLE 'setup: a file and directories that cannot be read' '
	mkdir -p src/lockeddir src/noexec && echo ok >src/ok &&
	echo s >src/secret && echo f >src/lockeddir/f && echo a >src/noexec/a &&
	stamp src && chmod 000 src/secret src/lockeddir && chmod 0644 src/noexec
'

test_expect_success UNREADABLE 'dupc warns as duplicity does, counts them and goes on' '
	no_dac "$DUPC" full --no-encryption --archive-dir "$TRASH/cache-r1" \
		--current-time $T0 --log-fd 3 src "file://$TRASH/t-r1" 3>log.r1 >out.r1 &&
	grep -A1 "^WARNING" log.r1 >got && test_cmp expect.unreadable got &&
	grep -q "^Errors 3$" out.r1 &&
	grep -q "^Error accessing possibly locked file src/secret$" out.r1
'

test_expect_success UNREADABLE,DUPLICITY 'duplicity: the same warnings (it counts only the unreadable two)' '
	no_dac duplicity full --no-encryption --archive-dir "$TRASH/cache-r2" \
		--current-time $T0 --log-fd 3 src "file://$TRASH/t-r2" 3>log.r2 >out.r2 2>&1 &&
	grep -A1 "^WARNING" log.r2 >got && test_cmp expect.unreadable got &&
	grep -q "^Errors 2$" out.r2
'

test_expect_success UNREADABLE 'the backup restores, without what could not be read' '
	chmod 0644 src/secret && chmod 0755 src/lockeddir src/noexec &&
	list src | grep -v -e "^secret " -e "^lockeddir" -e "^noexec/a " |
		sed "s/^noexec dir 0755 /noexec dir 0644 /" >L0 &&
	check_restores r1 L0
'

test_expect_success UNREADABLE 'readable again, the next incremental stores them' '
	list src >L1 &&
	no_dac "$DUPC" incremental --no-encryption --archive-dir "$TRASH/cache-r1" \
		--current-time $T1 src "file://$TRASH/t-r1" >out.r1 &&
	grep -q "^Errors 0$" out.r1 && grep -q "^NewFiles 5$" out.r1 &&
	check_restores r1 L1 && check_restores r1 L0 -t $T0
'

test_expect_success 'a file vanishes between the listing and its lstat' '
	mkdir vl && echo a >vl/a && echo b >vl/b && stamp vl &&
	stop_at walk-lstat:1 "rm vl/a && touch -m -d @$T vl" \
		out.vl "$DUPC" full $(opts vl) --log-fd 3 vl "file://$TRASH/t-vl" 3>log.vl &&
	grep -A1 "^WARNING" log.vl >got &&
	printf "%s\n" "WARNING 9 '"'"'vl/a'"'"'" ". Error accessing possibly locked file vl/a" >expect &&
	test_cmp expect got && grep -q "^Errors 1$" out.vl &&
	list vl >L && check_restores vl L
'

test_expect_success 'a file vanishes between its lstat and its open' '
	mkdir vo && echo a >vo/a && echo b >vo/b && stamp vo &&
	stop_at walk-open:1 "rm vo/a && touch -m -d @$T vo" \
		out.vo "$DUPC" full $(opts vo) --log-fd 3 vo "file://$TRASH/t-vo" 3>log.vo &&
	grep -A1 "^WARNING" log.vo >got &&
	printf "%s\n" "WARNING 1" \
		". Error [Errno 2] No such file or directory: '"'"'vo/a'"'"' getting delta for a" >expect &&
	test_cmp expect got && grep -q "^Errors 1$" out.vo &&
	list vo >L && check_restores vo L
'

test_expect_success 'a changed file vanishes during an incremental: the set stays consistent' '
	mkdir vi && echo a >vi/a && echo b >vi/b && stamp vi && list vi >L0 &&
	backup vi full vi --current-time $T0 &&
	echo changed >vi/a && echo changed >vi/b && touch -m -d @$((T + 10)) vi/a vi/b &&
	stop_at walk-open:1 "rm vi/a && touch -m -d @$T vi" \
		out.vi "$DUPC" incremental $(opts vi) --current-time $T1 vi "file://$TRASH/t-vi" &&
	grep -q "^Errors 1$" out.vi && grep -q "^ChangedFiles 1$" out.vi &&
	grep -q "getting delta for a$" out.vi &&
	sed "s/^b reg .*/$(list vi | grep "^b ")/" L0 >L1 &&
	check_restores vi L1 -t $T1 &&
	backup vi incremental vi --current-time $T2 &&
	grep -q "^DeletedFiles 1$" out.vi && list vi >L2 && check_restores vi L2
'

test_expect_success 'a file shrinks while it is read' '
	mkdir sh && rnd sh/a 1048576 a && echo b >sh/b && stamp sh &&
	stop_at file-read:2 "truncate -s 100000 sh/a && touch -m -d @$T sh/a" \
		out.sh "$DUPC" full $(opts sh) --current-time $T0 sh "file://$TRASH/t-sh" &&
	grep -q "^Errors 0$" out.sh && grep -q "^RawDeltaSize 100002 " out.sh &&
	list sh >L0 && check_restores sh L0 &&
	rnd sh/more 50000 m && cat sh/more >>sh/a && rm sh/more &&
	touch -m -d @$((T + 10)) sh/a && list sh >L1 &&
	backup sh incremental sh --current-time $T1 &&
	grep -q "^ChangedFiles 1$" out.sh &&
	check_restores sh L1 && check_restores sh L0 -t $T0
'

test_expect_success 'a file grows while it is read' '
	mkdir gr && rnd gr/a 200000 a && echo b >gr/b && stamp gr &&
	stop_at file-read:2 "rnd gr/more 300000 m && cat gr/more >>gr/a &&
		rm gr/more && touch -m -d @$T gr/a gr" \
		out.gr "$DUPC" full $(opts gr) --current-time $T0 gr "file://$TRASH/t-gr" &&
	grep -q "^Errors 0$" out.gr && grep -q "^RawDeltaSize 500002 " out.gr &&
	list gr >L0 && check_restores gr L0 &&
	echo more >>gr/a && touch -m -d @$((T + 10)) gr/a && list gr >L1 &&
	backup gr incremental gr --current-time $T1 &&
	check_restores gr L1
'

test_expect_success 'a file replaced by a fifo before its open does not hang the backup' '
	mkdir ff && echo a >ff/a && echo b >ff/b && stamp ff &&
	stop_at walk-open:1 "rm ff/a && mkfifo ff/a && touch -m -d @$T ff/a ff" \
		out.ff "$DUPC" full $(opts ff) --log-fd 3 ff "file://$TRASH/t-ff" 3>log.ff &&
	grep -A1 "^WARNING" log.ff >got &&
	printf "%s\n" "WARNING 1" \
		". Error '"'"'ff/a'"'"' is no longer a regular file getting delta for a" >expect &&
	test_cmp expect got && grep -q "^Errors 1$" out.ff &&
	list ff | grep -v "^a fifo " >L && check_restores ff L
'

test_done
