#!/usr/bin/env bash
# A 5 GiB sparse file (data at the start, across the 4 GiB mark, in the
# middle and at the end) backs up and restores with bounded memory, and
# the restored file is sparse: full, restore, an incremental after a change
# in the middle (a delta over the 5 GiB signature), restore at both times.
# Peak RSS is measured with GNU time: under 64 MiB for the normal build;
# under AddressSanitizer (shadow memory, redzones; its quarantine of freed
# blocks cut to 8 MiB) under 128 MiB.  The sizes and times are printed as
# TAP comments.
. "$(dirname "$0")/lib.sh"

SIZE=$((5 * 1024 * 1024 * 1024))
if test_have_prereq SANITIZED; then
	LIMIT=131072
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8
else
	LIMIT=65536
fi
T0=1700000000 T1=1700000100

list() { python3 "$TEST_TOP/tests/tools/tree-listing.py" "$@"; }
# measured WHAT CMD...: run CMD under GNU time; peak RSS (KiB) and time
# go to measure.WHAT, a summary line to the file "measures"
measured() {
	local what=$1 rc; shift
	/usr/bin/time -v -o "$TRASH/time.$what" "$@" >"$TRASH/out.$what" 2>&1
	rc=$?
	sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' \
		"$TRASH/time.$what" >"$TRASH/rss.$what"
	printf '%s: %s, peak RSS %s KiB\n' "$what" \
		"$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$TRASH/time.$what")" \
		"$(cat "$TRASH/rss.$what")" >>"$TRASH/measures"
	return $rc
}
# bounded WHAT: the peak RSS of WHAT is under the limit
bounded() {
	test "$(cat "$TRASH/rss.$1")" -lt $LIMIT ||
	{ echo "$1: peak RSS $(cat "$TRASH/rss.$1") KiB, limit $LIMIT KiB" >&2; false; }
}
# small FILE: fewer than 1 MiB of blocks on disk
small() {
	local k
	k=$(du -k "$1" | cut -f1)
	echo "du $1: $k KiB" >>"$TRASH/measures"
	test "$k" -lt 1024 || { echo "$1 takes $k KiB on disk" >&2; false; }
}
opts() {
	echo --no-encryption --archive-dir "$TRASH/cache-$1"
}

test_expect_success TIME,SPARSE 'setup: a 5 GiB sparse file' '
	python3 "$TEST_TOP/tests/tools/kinds-tree.py" --big $SIZE src &&
	test "$(stat -c %s src/big)" = $SIZE && small src/big &&
	list src >B0
'

test_expect_success TIME,SPARSE 'a full backup reads it in bounded memory' '
	measured full "$DUPC" full $(opts b) --current-time $T0 src \
		"file://$TRASH/r" &&
	grep -q "^Errors 0$" out.full && grep -q "^RawDeltaSize $SIZE " out.full &&
	bounded full
'

test_expect_success TIME,SPARSE 'the restore writes holes, in bounded memory' '
	measured restore "$DUPC" restore $(opts r1) "file://$TRASH/r" o &&
	bounded restore && small o/big && list o >got && test_cmp B0 got
'

test_expect_success TIME,SPARSE 'an incremental after a change in the middle' '
	python3 -c "
import os
fd = os.open(\"src/big\", os.O_WRONLY)
os.pwrite(fd, b\"changed in the middle\\n\" * 100, 3 * 2 ** 30 + 12345)
os.utime(fd, (1690000100, 1690000100))
" && list src >B1 &&
	measured inc "$DUPC" incremental $(opts b) --current-time $T1 src \
		"file://$TRASH/r" &&
	grep -q "^ChangedFiles 1$" out.inc && bounded inc
'

test_expect_success TIME,SPARSE 'restores at both times are sparse and exact' '
	rm -rf o && measured restore-inc "$DUPC" restore $(opts r2) \
		"file://$TRASH/r" o &&
	bounded restore-inc && small o/big && list o >got && test_cmp B1 got &&
	rm -rf o && "$DUPC" restore $(opts r3) -t $T0 "file://$TRASH/r" o &&
	small o/big && list o >got && test_cmp B0 got && rm -rf o
'

test -f "$TRASH/measures" && sed 's/^/# /' "$TRASH/measures"
test_done
