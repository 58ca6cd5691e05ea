#!/usr/bin/env bash
# An incremental of an unchanged 1 GiB tree reads no file's contents: the
# metadata in the signatures says each file is unchanged, so dupc opens
# directories only (checked by tracing every open), writes a set with no
# entries, and stays within bounded memory.  The tree is four 256 MiB
# sparse files with data at both ends plus a few hundred small files, so
# the full backup that precedes it is quick.
. "$(dirname "$0")/lib.sh"

if test_have_prereq SANITIZED; then
	LIMIT=131072
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8
else
	LIMIT=65536
fi

backup() {
	"$DUPC" "$@" --no-encryption --archive-dir "$TRASH/cache" \
		src "file://$TRASH/remote"
}

test_expect_success 'setup: a 1 GiB tree and its full backup' '
	mkdir -p src/d1 src/d2 &&
	for i in 1 2 3 4; do
		f=src/d$((i % 2 + 1))/content-big$i &&
		head -c 1048576 /dev/urandom >$f &&
		truncate -s 256M $f &&
		head -c 65536 /dev/urandom | dd of=$f bs=64k seek=4095 conv=notrunc 2>/dev/null ||
		return 1
	done &&
	for i in $(seq 1 300); do
		echo "small file $i" >src/d$((i % 2 + 1))/content-small$i || return 1
	done &&
	test $(du -sb --apparent-size src | cut -f1) -ge 1073741824 &&
	backup full --current-time 1700000000 >full.out &&
	grep "^Errors 0$" full.out
'

test_expect_success 'the incremental opens no file of the tree' '
	# LeakSanitizer cannot run under ptrace; the other runs check leaks
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -e trace=open,openat,openat2 -o trace \
		"$DUPC" incremental --no-encryption --archive-dir "$TRASH/cache" \
		--current-time 1700000100 src "file://$TRASH/remote" >inc.out &&
	grep "^Errors 0$" inc.out &&
	grep "^NewFiles 0$" inc.out &&
	grep "^ChangedFiles 0$" inc.out &&
	grep "^DeltaEntries 0$" inc.out &&
	grep "\"d1\"" trace | grep -q O_DIRECTORY &&
	! grep "content-" trace
'

test_expect_success TIME 'and its memory stays bounded' '
	/usr/bin/time -v -o time.inc "$DUPC" incremental --no-encryption \
		--archive-dir "$TRASH/cache" --current-time 1700000200 \
		src "file://$TRASH/remote" >inc2.out &&
	rss=$(sed -n "s/^[[:space:]]*Maximum resident set size (kbytes): //p" time.inc) &&
	wall=$(sed -n "s/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p" time.inc) &&
	echo "unchanged 1 GiB incremental: $wall, peak RSS $rss KiB" >measure &&
	test "$rss" -lt $LIMIT
'

[ -f "$TRASH/measure" ] && say "# $(cat "$TRASH/measure")"

test_expect_success 'the sets restore to the tree' '
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c2" \
		"file://$TRASH/remote" r >/dev/null &&
	for f in src/d1/content-big2 src/d2/content-big1 src/d1/content-small8; do
		cmp "$f" "r/${f#src/}" || return 1
	done
'

test_done
