#!/usr/bin/env bash
# Damage that backups meet in the field: a remote volume corrupted or lost
# (found by its hash, named by restore and verify, while paths in other
# volumes still restore), and a full disk under the scratch directory or
# the archive dir (a clear error with duplicity's code 35, nothing that
# looks complete left behind, the previous chain still restorable, and
# the next run with room completes).
. "$(dirname "$0")/lib.sh"

backup() {
	"$DUPC" "$@" --no-encryption --archive-dir "$TRASH/cache"
}

test_expect_success 'setup: a chain whose two trees lie in different volumes' '
	mkdir -p src/a src/b &&
	head -c 2500000 /dev/urandom >src/a/one &&
	echo small >src/a/small &&
	head -c 2500000 /dev/urandom >src/b/two &&
	backup full --volsize 1 src "file://$TRASH/remote" >/dev/null &&
	last=$(ls remote/*.vol*.difftar.gz | sort -t l -k 3 -V | tail -n 1) &&
	test $(ls remote/*.vol*.difftar.gz | wc -l) -ge 5 &&
	echo "$last" >lastvol
'

test_expect_success 'a corrupted volume is named by restore, which fails with code 21' '
	cp -a remote damaged &&
	vol=damaged/$(basename "$(cat lastvol)") &&
	python3 -c "import sys; p = sys.argv[1]; b = bytearray(open(p, \"rb\").read()); b[len(b) // 2] ^= 0xff; open(p, \"wb\").write(b)" "$vol" &&
	test_expect_code 21 "$DUPC" restore --no-encryption \
		--archive-dir "$TRASH/c1" "file://$TRASH/damaged" r1 >out 2>err &&
	grep "SHA1 hash mismatch for file: $(basename "$vol")" err &&
	test_line_count err -eq 1
'

test_expect_success 'paths in the volumes that are intact still restore' '
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c2" \
		--file-to-restore a "file://$TRASH/damaged" r2 >/dev/null &&
	diff -r src/a r2
'

test_expect_success 'verify names the corrupted volume' '
	test_expect_code 21 "$DUPC" verify --no-encryption \
		--archive-dir "$TRASH/c3" "file://$TRASH/damaged" src >out 2>err &&
	grep "$(basename "$(cat lastvol)")" err
'

test_expect_success 'a lost volume is named with its set and the way out' '
	rm -rf lost && cp -a remote lost && rm "lost/$(basename "$(cat lastvol)")" &&
	test_expect_code 52 "$DUPC" restore --no-encryption \
		--archive-dir "$TRASH/c4" "file://$TRASH/lost" r3 >out 2>err &&
	n=$(basename "$(cat lastvol)" | sed "s/.*\.vol\([0-9]*\)\..*/\1/") &&
	grep "volume $n of backup set duplicity-full\.[0-9TZ]* is listed in its manifest but missing" err &&
	grep -- "--file-to-restore" err &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c5" \
		--file-to-restore a "file://$TRASH/lost" r4 >/dev/null &&
	diff -r src/a r4
'

# in_tmpfs SIZE DIR CMD...: run CMD with a tmpfs of SIZE mounted on DIR,
# in a private mount namespace that ends with it.
in_tmpfs() {
	size=$1 dir=$2 && shift 2 &&
	mkdir -p "$dir" &&
	unshare -m sh -c 'mount -t tmpfs -o size="$0" tmpfs "$1" && shift && exec "$@"' \
		"$size" "$dir" "$@"
}

# fill_when_stopped DIR CMD...: run CMD (which stops itself with the
# "stop" fault action) with a 4 MiB tmpfs on DIR, fill that tmpfs while it
# is stopped, then let it go on: a disk that fills in mid-run, whatever the
# speed of the uploads.
fill_when_stopped() {
	dir=$1 && shift &&
	mkdir -p "$dir" &&
	unshare -m sh -c '
		mount -t tmpfs -o size=4m tmpfs "$0" || exit 99
		"$@" & p=$!
		i=0
		while ! grep -q "^State:.*T" /proc/$p/status 2>/dev/null; do
			i=$((i + 1)); [ $i -lt 600 ] || exit 98
			sleep 0.05
		done
		dd if=/dev/zero of="$0/filler" bs=64k 2>/dev/null
		kill -CONT $p
		wait $p' "$dir" "$@"
}

test_expect_success TMPFS 'a full scratch disk ends the backup with code 35 and the fix' '
	echo changed >>src/a/small &&
	touch -d "+1 minute" src/a/small &&
	head -c 3000000 /dev/urandom >src/b/new &&
	test_expect_code 35 fill_when_stopped "$TRASH/tiny" \
		env DUPC_FAULT_POINT=volume-entry:2:stop "$DUPC" incremental \
		--no-encryption --archive-dir "$TRASH/cache" --tempdir "$TRASH/tiny" \
		--volsize 1 src "file://$TRASH/remote" >out 2>err &&
	test_line_count err -eq 1 &&
	grep "writing a temporary file in .*/tiny/dupc-[0-9]*-.*: No space left on device; a local disk is full: free space in the temporary directory" err
'

test_expect_success TMPFS 'the previous chain still restores, and the next run with room completes' '
	cp -a src/b/two two.keep &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c6" \
		"file://$TRASH/remote" r5 >/dev/null &&
	cmp two.keep r5/b/two && test_path_is_missing r5/b/new &&
	backup incremental src "file://$TRASH/remote" >out &&
	grep "^Errors 0" out &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c7" \
		"file://$TRASH/remote" r6 >/dev/null &&
	diff -r src r6
'

test_expect_success TMPFS 'a full archive dir ends the backup with code 35, nothing half-written kept' '
	mkdir -p small-cache &&
	test_expect_code 35 in_tmpfs 48k "$TRASH/small-cache" "$DUPC" full \
		--no-encryption --archive-dir "$TRASH/small-cache" \
		src "file://$TRASH/remote7" >out 2>err &&
	test_line_count err -eq 1 &&
	grep "No space left on device; a local disk is full: free space in the temporary directory (--tempdir) and the archive dir" err &&
	test_path_is_missing remote7/duplicity-full.*.manifest &&
	backup full src "file://$TRASH/remote7" >out &&
	grep "^Errors 0" out &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c8" \
		"file://$TRASH/remote7" r7 >/dev/null &&
	diff -r src r7
'

test_done
