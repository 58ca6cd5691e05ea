#!/usr/bin/env bash
# dupc mount: every backup time of a target as a read-only folder.  Each
# file under each folder has the content and metadata a real restore of
# that time gives (the vectors duplicity wrote, and a dupc chain of a
# full and three incrementals, plain and encrypted); listing the whole
# mount opens no volume, reading one file opens only the volumes its
# manifest names, two readers share one build, a file bigger than the
# cache reads whole, the archive dir is shared with readers and not with
# a backup, and hostile archives show nothing outside the mount.
. "$(dirname "$0")/lib.sh"

test_have_prereq FUSE ||
	test_skip_all "FUSE is not usable here (dupc mount needs /dev/fuse and fusermount3)"

V=${VECTORS:+$VECTORS/duplicity-0.8.22}
T0=1700000000
T1=1700000100
T2=1700000200
T3=1700000300
MAKESET="$TEST_TOP/tests/tools/make-set.py"

# iso TIME: a vector time (20231114T221320Z) or epoch as the folder name.
iso() {
	case $1 in
	*T*Z) echo "$1" | sed -E 's/^(....)(..)(..)T(..)(..)(..)Z$/\1-\2-\3T\4:\5:\6Z/' ;;
	*) date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ ;;
	esac
}

# read_all DIR: read every regular file below DIR (sizes are exact after).
read_all() {
	find "$1" -type f -exec cat {} + >/dev/null
}

# owners DIR: the numeric owner of everything below DIR.
owners() {
	(cd "$1" && find . -printf '%P %U %G\n' | LC_ALL=C sort)
}

# same_as_restore MOUNTED RESTORED: equal contents and metadata.
same_as_restore() {
	read_all "$1" &&
	listing "$1" >m.lst && listing "$2" >r.lst && test_cmp r.lst m.lst &&
	owners "$1" >m.own && owners "$2" >r.own && test_cmp r.own m.own
}

# volumes_opened TRACE: the volume files an strace log shows opened.
volumes_opened() {
	grep -o 'duplicity-[a-z]*\.[^"/]*\.vol[0-9]*\.difftar[^"]*' "$1" |
		sort -u
}

# A third round of changes, after the vectors' mutate-1.sh and -2.sh.
mutate3() {
	printf 'third line\n' >>"$1/small.txt" &&
	touch -d @1690003000 "$1/small.txt" &&
	chmod 0640 "$1/run-0755.sh" &&
	rm -f "$1/hardlink-a" &&
	mkdir -p "$1/inc3/sub" &&
	head -c 300000 /dev/urandom >"$1/inc3/sub/rand.bin" &&
	ln -sfn newdir "$1/link-to-small" &&
	rm -rf "$1/type-change" && echo "a file again" >"$1/type-change" &&
	touch -d @1690003000 "$1" "$1/type-change"
}

# make_chain URL [OPTIONS...]: a full and three incrementals at T0..T3.
make_chain() {
	local url=$1
	shift
	rm -rf src && make_tree src --with-multivol &&
	"$DUPC" full "$@" --current-time $T0 src "$url" >/dev/null &&
	sh "$VECTORS/mutate-1.sh" src &&
	"$DUPC" incremental "$@" --current-time $T1 src "$url" >/dev/null &&
	sh "$VECTORS/mutate-2.sh" src &&
	"$DUPC" incremental "$@" --current-time $T2 src "$url" >/dev/null &&
	mutate3 src &&
	"$DUPC" incremental "$@" --current-time $T3 src "$url" >/dev/null
}

# --- the vectors ------------------------------------------------------

test_expect_success VECTORS 'a-plain mounted: each time folder equals a restore of that time' '
	mount_start "$TRASH/m-a" "file://$V/a-plain/remote" --no-encryption \
		--archive-dir "$TRASH/c-a" &&
	test "$(readlink "$TRASH/m-a/latest")" = 2023-11-14T22:16:40Z &&
	ls "$TRASH/m-a" >folders &&
	printf "%s\n" 2023-11-14T22:13:20Z 2023-11-14T22:15:00Z \
		2023-11-14T22:16:40Z latest >expect &&
	test_cmp expect folders &&
	for t in 20231114T221320Z 20231114T221500Z 20231114T221640Z; do
		"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-ra" -t $t \
			"file://$V/a-plain/remote" r-a-$t >/dev/null &&
		same_as_restore "$TRASH/m-a/$(iso $t)" r-a-$t &&
		test_cmp "$V/a-plain/expected/$t.txt" m.lst || return 1
	done &&
	mount_stop "$TRASH/m-a"
'

test_expect_success VECTORS 'before a file is read its size is the signature'"'"'s bound, after it is exact' '
	mount_start "$TRASH/m-s" "file://$V/a-plain/remote" --no-encryption \
		--archive-dir "$TRASH/c-s" &&
	f="$TRASH/m-s/2023-11-14T22:15:00Z/big-text.txt" &&
	before=$(stat -c %s "$f") &&
	test "$before" -ge 2600000 && test "$before" -lt $((2600000 + 1024)) &&
	test "$(stat -c %s "$TRASH/m-s/latest/empty")" = 0 &&
	cat "$f" >/dev/null &&
	test "$(stat -c %s "$f")" = 2600000 &&
	mount_stop "$TRASH/m-s"
'

test_expect_success VECTORS 'b-gpg mounted: each time folder equals a restore of that time' '
	PASSPHRASE=dupc-test-passphrase &&
	export PASSPHRASE &&
	mount_start "$TRASH/m-b" "file://$V/b-gpg/remote" \
		--archive-dir "$TRASH/c-b" &&
	for t in 20231114T221320Z 20231114T221500Z 20231114T221640Z; do
		"$DUPC" restore --archive-dir "$TRASH/c-rb" -t $t \
			"file://$V/b-gpg/remote" r-b-$t >/dev/null &&
		same_as_restore "$TRASH/m-b/$(iso $t)" r-b-$t &&
		test_cmp "$V/b-gpg/expected/$t.txt" m.lst || return 1
	done &&
	mount_stop "$TRASH/m-b" &&
	unset PASSPHRASE
'

test_expect_success VECTORS 'c-multivol: a file across three volumes reads whole' '
	mount_start "$TRASH/m-c" "file://$V/c-multivol/remote" --no-encryption \
		--archive-dir "$TRASH/c-c" &&
	read_all "$TRASH/m-c/2023-11-14T22:13:20Z" &&
	listing "$TRASH/m-c/2023-11-14T22:13:20Z" >got &&
	test_cmp "$V/c-multivol/expected/20231114T221320Z.txt" got &&
	mount_stop "$TRASH/m-c"
'

test_expect_success VECTORS 'listing the whole mount opens no volume; reading a file does' '
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	MOUNT_WRAPPER="strace -f -qq -e trace=open,openat,openat2 -o $TRASH/trace" \
		mount_start "$TRASH/m-t" "file://$V/a-plain/remote" --no-encryption \
		--archive-dir "$TRASH/c-t" &&
	ls -lR "$TRASH/m-t" >ls.out &&
	find "$TRASH/m-t/" -printf "%p %s %m %U %T@\n" >/dev/null &&
	test_line_count ls.out -gt 100 &&
	cp "$TRASH/trace" trace-ls &&
	volumes_opened trace-ls >opened &&
	test_line_count opened = 0 &&
	cat "$TRASH/m-t/latest/small.txt" >/dev/null &&
	mount_stop "$TRASH/m-t" &&
	volumes_opened "$TRASH/trace" >opened &&
	test_line_count opened -gt 0
'

# --- a dupc chain -----------------------------------------------------

test_expect_success VECTORS 'a dupc chain (full + 3 incrementals) mounted equals its restores' '
	make_chain "file://$TRASH/dc" --no-encryption --archive-dir "$TRASH/c-dc" &&
	mount_start "$TRASH/m-dc" "file://$TRASH/dc" --no-encryption \
		--archive-dir "$TRASH/c-dc" &&
	for t in $T0 $T1 $T2 $T3; do
		"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-rdc" -t $t \
			"file://$TRASH/dc" r-dc-$t >/dev/null &&
		same_as_restore "$TRASH/m-dc/$(iso $t)" r-dc-$t || return 1
	done &&
	test -f "$TRASH/m-dc/$(iso $T3)/type-change" &&
	test -d "$TRASH/m-dc/$(iso $T2)/type-change"
'

test_expect_success VECTORS 'while mounted: readers share the archive dir, a backup is refused' '
	mount_start "$TRASH/m-dc2" "file://$TRASH/dc" --no-encryption \
		--archive-dir "$TRASH/c-dc" &&
	"$DUPC" list-current-files --no-encryption --archive-dir "$TRASH/c-dc" \
		"file://$TRASH/dc" >/dev/null &&
	test_expect_code 23 "$DUPC" incremental --no-encryption \
		--archive-dir "$TRASH/c-dc" src "file://$TRASH/dc" 2>err &&
	grep -q "already running" err &&
	mount_stop "$TRASH/m-dc2" &&
	mount_stop "$TRASH/m-dc" &&
	"$DUPC" incremental --no-encryption --archive-dir "$TRASH/c-dc" \
		src "file://$TRASH/dc" >/dev/null
'

test_expect_success VECTORS 'an encrypted dupc chain mounted equals its restores' '
	PASSPHRASE=mount-test-pass &&
	export PASSPHRASE &&
	make_chain "file://$TRASH/dg" --archive-dir "$TRASH/c-dg" &&
	mount_start "$TRASH/m-dg" "file://$TRASH/dg" --archive-dir "$TRASH/c-dg" &&
	for t in $T0 $T1 $T2 $T3; do
		"$DUPC" restore --archive-dir "$TRASH/c-rdg" -t $t \
			"file://$TRASH/dg" r-dg-$t >/dev/null &&
		same_as_restore "$TRASH/m-dg/$(iso $t)" r-dg-$t || return 1
	done &&
	mount_stop "$TRASH/m-dg" &&
	unset PASSPHRASE
'

# --- volumes and the cache --------------------------------------------

test_expect_success 'a 30-volume set: reading one file opens only its volumes' '
	mkdir -p big &&
	for i in $(seq -w 1 24); do
		head -c 1300000 /dev/urandom >big/f$i.bin || return 1
	done &&
	"$DUPC" full --no-encryption --volsize 1 --archive-dir "$TRASH/c-30" \
		big "file://$TRASH/t30" >/dev/null &&
	ls "$TRASH/t30" | grep -c "\.difftar\.gz$" >nvol &&
	test "$(cat nvol)" -ge 30 &&
	python3 - "$TRASH"/c-30/*/duplicity-full.*.manifest f12.bin >expect <<-\PY &&
	import re, sys
	text = open(sys.argv[1], "rb").read().decode("latin-1")
	for block in re.split(r"(?m)^(?=Volume )", text):
	    m = re.match(r"Volume (\d+):", block)
	    if not m:
	        continue
	    start = re.search(r"StartingPath\s+(\S+)", block).group(1)
	    end = re.search(r"EndingPath\s+(\S+)", block).group(1)
	    if (start <= sys.argv[2] or start == ".") and sys.argv[2] <= end:
	        print(m.group(1))
	PY
	test_line_count expect -ge 1 &&
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	MOUNT_WRAPPER="strace -f -qq -e trace=open,openat,openat2 -o $TRASH/trace30" \
		mount_start "$TRASH/m-30" "file://$TRASH/t30" --no-encryption \
		--archive-dir "$TRASH/c-30" &&
	cat "$TRASH/m-30/latest/f12.bin" | sha256sum >got &&
	sha256sum <big/f12.bin >want &&
	test_cmp want got &&
	mount_stop "$TRASH/m-30" &&
	volumes_opened "$TRASH/trace30" | sed -E "s/.*\.vol([0-9]+)\..*/\1/" |
		sort -n >opened &&
	test_cmp expect opened
'

test_expect_success 'two readers of one file at once share one build' '
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	MOUNT_WRAPPER="strace -f -qq -e trace=open,openat,openat2 -o $TRASH/trace2" \
		mount_start "$TRASH/m-2" "file://$TRASH/t30" --no-encryption \
		--archive-dir "$TRASH/c-30" &&
	f="$TRASH/m-2/latest/f20.bin" &&
	{ sha256sum <"$f" >one & p1=$!; } &&
	{ sha256sum <"$f" >two & p2=$!; } &&
	wait $p1 && wait $p2 &&
	sha256sum <big/f20.bin >want &&
	test_cmp want one && test_cmp want two &&
	mount_stop "$TRASH/m-2" &&
	grep "\.difftar" "$TRASH/trace2" | grep -v ENOENT |
		grep -o "vol[0-9]*\.difftar" | sort | uniq -d >twice &&
	test_line_count twice = 0
'

test_expect_success 'a file bigger than the cache reads whole, twice' '
	mount_start "$TRASH/m-small" "file://$TRASH/t30" --no-encryption \
		--archive-dir "$TRASH/c-30" --mount-cache-mb 1 &&
	sha256sum <big/f07.bin >want &&
	sha256sum <"$TRASH/m-small/latest/f07.bin" >got &&
	test_cmp want got &&
	sha256sum <"$TRASH/m-small/latest/f08.bin" >/dev/null &&
	sha256sum <"$TRASH/m-small/latest/f07.bin" >got &&
	test_cmp want got &&
	mount_stop "$TRASH/m-small"
'

test_expect_success 'Ctrl-C (SIGINT) and SIGTERM unmount and end dupc with 0' '
	mount_start "$TRASH/m-int" "file://$TRASH/t30" --no-encryption \
		--archive-dir "$TRASH/c-30" &&
	cat "$TRASH/m-int/latest/f01.bin" >/dev/null &&
	mount_stop "$TRASH/m-int" INT &&
	mount_start "$TRASH/m-term" "file://$TRASH/t30" --no-encryption \
		--archive-dir "$TRASH/c-30" &&
	mount_stop "$TRASH/m-term" TERM
'

test_expect_success 'a mount point that is not a directory: one error line' '
	echo x >notadir &&
	test_must_fail "$DUPC" mount --no-encryption --archive-dir "$TRASH/c-30" \
		"file://$TRASH/t30" notadir 2>err &&
	test_line_count err = 1 &&
	grep -q "cannot mount at notadir" err
'

# --- hostile archives ---------------------------------------------------

JAIL=$TRASH/jail
OUT=$JAIL/outside

# hostile NAME SPEC: a chain from a make-set.py spec whose sigtars name
# what the volumes hold.
hostile() {
	printf '%s\n' "$2" >"$TRASH/$1.json" &&
	python3 "$MAKESET" "$TRASH/sets/$1" "$TRASH/$1.json"
}

# confined MOUNTED: no entry of the mount lies outside it (symlinks are
# links, not followed), none carries the archive's planted data, and the
# jail next to it is as it was.
confined() {
	local top
	top=$(realpath "$1") &&
	find -P "$1" -mindepth 1 -print0 | xargs -0 -r -n1 dirname | sort -u |
	while read -r d; do
		case $(realpath "$d") in
		"$top"|"$top"/*) ;;
		*) echo "$d lies outside the mount"; return 1 ;;
		esac
	done &&
	test -z "$(find -P "$1" -name evil)" &&
	! grep -r -l EVIL "$1" &&
	test "$(cat "$OUT/keep")" = keep && test "$(ls -A "$OUT")" = keep
}

root='{"name": "snapshot/./", "type": "dir", "mode": 493}'

test_expect_success 'hostile: symlinks planted before files through them show only the links' '
	mkdir -p "$OUT" && echo keep >"$OUT/keep" &&
	hostile plant "{\"sigtar\": \"mirror\", \"volumes\": [[$root,
		{\"name\": \"snapshot/link\", \"type\": \"symlink\", \"linkname\": \"$OUT\"},
		{\"name\": \"snapshot/link/evil\", \"data\": \"EVIL\"},
		{\"name\": \"snapshot/rel\", \"type\": \"symlink\", \"linkname\": \"../outside\"},
		{\"name\": \"snapshot/rel/evil/\", \"type\": \"dir\"},
		{\"name\": \"snapshot/self\", \"type\": \"symlink\", \"linkname\": \".\"},
		{\"name\": \"snapshot/self/evil\", \"data\": \"EVIL\"},
		{\"name\": \"snapshot/z\", \"data\": \"fine\"}]]}" &&
	mount_start "$TRASH/m-h1" "file://$TRASH/sets/plant" --no-encryption \
		--archive-dir "$TRASH/c-h1" &&
	d="$TRASH/m-h1/latest" &&
	test -L "$d/link" && test "$(readlink "$d/link")" = "$OUT" &&
	test -L "$d/rel" && test "$(readlink "$d/rel")" = ../outside &&
	test -L "$d/self" && test "$(readlink "$d/self")" = . &&
	test "$(cat "$d/z")" = fine &&
	confined "$TRASH/m-h1" &&
	mount_stop "$TRASH/m-h1"
'

test_expect_success 'hostile: a directory an incremental made a symlink shows its files only before' '
	hostile swap "{\"sigtar\": \"mirror\", \"sets\": [
		{\"time\": $T0, \"volumes\": [[$root,
			{\"name\": \"snapshot/d/\", \"type\": \"dir\"},
			{\"name\": \"snapshot/d/keep\", \"data\": \"old\"}]]},
		{\"time\": $T1, \"volumes\": [[$root,
			{\"name\": \"snapshot/d\", \"type\": \"symlink\", \"linkname\": \"$OUT\"}]]},
		{\"time\": $T2, \"volumes\": [[$root,
			{\"name\": \"snapshot/d/evil\", \"data\": \"EVIL\"}]]}]}" &&
	mount_start "$TRASH/m-h2" "file://$TRASH/sets/swap" --no-encryption \
		--archive-dir "$TRASH/c-h2" &&
	test "$(cat "$TRASH/m-h2/$(iso $T0)/d/keep")" = old &&
	test -L "$TRASH/m-h2/$(iso $T1)/d" &&
	test -L "$TRASH/m-h2/$(iso $T2)/d" &&
	confined "$TRASH/m-h2" &&
	mount_stop "$TRASH/m-h2"
'

test_expect_success 'hostile: an archive root that is a symlink shows an empty folder' '
	hostile rootlink "{\"sigtar\": \"mirror\", \"volumes\": [[
		{\"name\": \"snapshot/./\", \"type\": \"symlink\", \"linkname\": \"$OUT\"},
		{\"name\": \"snapshot/evil\", \"data\": \"EVIL\"}]]}" &&
	mount_start "$TRASH/m-h3" "file://$TRASH/sets/rootlink" --no-encryption \
		--archive-dir "$TRASH/c-h3" &&
	test -d "$TRASH/m-h3/latest" && ! test -L "$TRASH/m-h3/latest/" &&
	test -z "$(ls -A "$TRASH/m-h3/latest/")" &&
	test_path_is_missing "$TRASH/m-h3/latest/evil" &&
	confined "$TRASH/m-h3" &&
	mount_stop "$TRASH/m-h3"
'

test_expect_success 'hostile: ".." names and paths out of order are refused, nothing mounted' '
	hostile dotdot "{\"sigtar\": \"mirror\", \"volumes\": [[$root,
		{\"name\": \"snapshot/../evil\", \"data\": \"EVIL\"}]]}" &&
	mkdir -p m-h4 &&
	test_must_fail "$DUPC" mount --no-encryption --archive-dir "$TRASH/c-h4" \
		"file://$TRASH/sets/dotdot" m-h4 >out 2>err &&
	test_line_count err = 1 && grep -q "unsafe archive entry" err &&
	! mountpoint -q m-h4 &&
	hostile order "{\"sigtar\": \"mirror\", \"volumes\": [[$root,
		{\"name\": \"snapshot/d\", \"type\": \"symlink\", \"linkname\": \"$OUT\"},
		{\"name\": \"snapshot/b\", \"data\": \"x\"}]]}" &&
	test_must_fail "$DUPC" mount --no-encryption --archive-dir "$TRASH/c-h5" \
		"file://$TRASH/sets/order" m-h4 >out 2>err &&
	test_line_count err = 1 && grep -q "out of order" err &&
	! mountpoint -q m-h4
'

test_done
