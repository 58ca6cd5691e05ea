#!/usr/bin/env bash
# Hostile archives: a table of duplicity-format sets and chains built by
# hand (tests/tools/make-set.py), each trying to write, follow or truncate
# something outside the restore destination.  Every one must be refused
# with one line on stderr, or restored safely; either way a sentinel
# directory and file next to the destination stay untouched and no file
# appears anywhere but in the destination.
. "$(dirname "$0")/lib.sh"

MAKESET="$TEST_TOP/tests/tools/make-set.py"
T0=1700000000
T1=1700000100
T2=1700000200
JAIL=$TRASH/jail
OUT=$JAIL/outside

# spec NAME JSON: build the set or chain NAME from a make-set.py spec.
spec() {
	printf '%s\n' "$2" >"$TRASH/$1.json" &&
	python3 "$MAKESET" "$TRASH/sets/$1" "$TRASH/$1.json"
}

# one NAME ENTRIES: a full set with one volume holding ENTRIES (JSON),
# after the root directory.
one() {
	spec "$1" "{\"volumes\": [[{\"name\": \"snapshot/./\", \"type\": \"dir\", \"mode\": 493}, $2]]}"
}

# chain NAME FULL-ENTRIES INC1-ENTRIES [INC2-ENTRIES]: a full set and
# incrementals, each volume starting with the root directory.
chain() {
	local root='{"name": "snapshot/./", "type": "dir", "mode": 493}'
	local sets="{\"time\": $T0, \"volumes\": [[$root, $2]]},
		{\"time\": $T1, \"volumes\": [[$root, $3]]}"
	[ $# -lt 4 ] || sets="$sets, {\"time\": $T2, \"volumes\": [[$root, $4]]}"
	spec "$1" "{\"sets\": [$sets]}"
}

# A fresh jail: the destination's parent, holding a sentinel file and a
# sentinel directory with a file, all with an old mtime.
fresh_jail() {
	rm -rf "$JAIL" "$TRASH"/c-* &&
	mkdir -p "$OUT" &&
	echo keep >"$OUT/keep" &&
	echo keep >"$JAIL/sentinel" &&
	touch -d @1600000000 "$OUT/keep" "$JAIL/sentinel" "$OUT" &&
	snapshot >"$TRASH/before"
}

# Every path under the trash directory, with its type (and for others
# than directories, whose entries change, size and mtime), except the
# destination, archive dirs, scratch space and this test's own files.
snapshot() {
	(cd "$TRASH" && find . \( -path ./jail/dest -o -path './c-*' \
		-o -path ./tmp -o -path ./home -o -path ./nobody \) -prune \
		-o ! -name err ! -name out ! -name before ! -name after \
		! -name .test-output -printf '%p %y %s %T@\n' |
		awk '$2 == "d" { print $1, $2; next } { print }' | sort)
}

# confined: nothing outside the destination changed.
confined() {
	snapshot >"$TRASH/after" &&
	test_cmp "$TRASH/before" "$TRASH/after" &&
	test "$(cat "$OUT/keep")" = keep &&
	test "$(cat "$JAIL/sentinel")" = keep &&
	test "$(ls -A "$OUT")" = keep
}

# restore NAME [OPTIONS...]: restore set NAME into $JAIL/dest.
restore() {
	local name=$1
	shift
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-$name" "$@" \
		"file://$TRASH/sets/$name" "$JAIL/dest" >out 2>err
}

# refused NAME PATTERN [OPTIONS...]: restore fails with one line on
# stderr matching PATTERN, and nothing outside the destination changed.
refused() {
	local name=$1 pat=$2
	shift 2
	fresh_jail &&
	test_must_fail restore "$name" "$@" &&
	cat err &&
	test_line_count err = 1 &&
	grep -q -- "$pat" err &&
	confined
}

# handled NAME [OPTIONS...]: restore runs (warnings allowed) and nothing
# outside the destination changed.
handled() {
	local name=$1
	shift
	fresh_jail &&
	{ restore "$name" "$@" || { cat err; false; }; } &&
	confined
}

# --- names ------------------------------------------------------------

test_expect_success '"snapshot/../evil" -> refused' '
	one dotdot "{\"name\": \"snapshot/../evil\", \"data\": \"x\"}" &&
	refused dotdot "unsafe archive entry"
'

test_expect_success '"snapshot/a/../../outside/keep" (deep ..) -> refused' '
	one dotdot2 "{\"name\": \"snapshot/a/\", \"type\": \"dir\"},
		{\"name\": \"snapshot/a/../../outside/keep\", \"data\": \"x\"}" &&
	refused dotdot2 "unsafe archive entry"
'

test_expect_success '"diff/../sentinel" (delta through ..) -> refused' '
	one diffdotdot "{\"name\": \"diff/../sentinel\", \"data\": \"rs\"}" &&
	refused diffdotdot "unsafe archive entry"
'

test_expect_success '"deleted/.." -> refused' '
	one deldotdot "{\"name\": \"deleted/..\", \"mode\": 0}" &&
	refused deldotdot "unsafe archive entry"
'

test_expect_success '"snapshot//<jail>/outside/evil" (absolute after the prefix) -> refused' '
	one abs "{\"name\": \"snapshot/$OUT/evil\", \"data\": \"x\"}" &&
	refused abs "unsafe archive entry"
'

test_expect_success '"<jail>/outside/evil" (absolute tar name) -> refused' '
	one absname "{\"name\": \"$OUT/evil\", \"data\": \"x\"}" &&
	refused absname "not a duplicity entry"
'

test_expect_success '"snapshot/./evil" and other "." tricks -> refused' '
	one dot "{\"name\": \"snapshot/./evil\", \"data\": \"x\"}" &&
	refused dot "unsafe archive entry"
'

test_expect_success 'pax path record "snapshot/../../evil" over a harmless name -> refused' '
	one paxpath "{\"name\": \"snapshot/harmless\", \"data\": \"x\",
		\"pax\": {\"path\": \"snapshot/../outside/evil\"}}" &&
	refused paxpath "unsafe archive entry"
'

test_expect_success 'pax path record with a NUL byte hiding "/../" -> refused' '
	one paxnul "{\"name\": \"snapshot/harmless\", \"data\": \"x\",
		\"pax\": {\"path\": \"snapshot/a\\u0000/../../outside/evil\"}}" &&
	fresh_jail &&
	{ restore paxnul; true; } &&
	confined &&
	test_path_is_missing "$JAIL/dest/harmless"
'

test_expect_success 'GNU long name (././@LongLink) with ".." -> refused' '
	long=$(printf "l%.0s" $(seq 1 120)) &&
	spec gnulong "{\"format\": \"gnu\", \"volumes\": [[
		{\"name\": \"snapshot/./\", \"type\": \"dir\", \"mode\": 493},
		{\"name\": \"snapshot/$long/../../outside/evil\", \"data\": \"x\"}]]}" &&
	refused gnulong "unsafe archive entry"
'

test_expect_success 'GNU long link target, then a file through the link -> refused' '
	spec gnulink "{\"format\": \"gnu\", \"volumes\": [[
		{\"name\": \"snapshot/./\", \"type\": \"dir\", \"mode\": 493},
		{\"name\": \"snapshot/l\", \"type\": \"symlink\",
		 \"linkname\": \"$OUT/$(printf "x%.0s" $(seq 1 120))/../\"},
		{\"name\": \"snapshot/l/evil\", \"data\": \"x\"}]]}" &&
	refused gnulink "symlink or not a directory"
'

test_expect_success 'a tar entry name of 70000 bytes -> refused' '
	huge=$(python3 -c "print(\"snapshot/\" + \"n\" * 70000)") &&
	one longname "{\"name\": \"$huge\", \"data\": \"x\"},
		{\"name\": \"snapshot/z\", \"data\": \"x\"}" &&
	refused longname "oversized name"
'

test_expect_success 'a manifest path of 70000 bytes -> refused' '
	one longpath "{\"name\": \"$huge\", \"data\": \"x\"}" &&
	refused longpath "manifest is corrupt"
'

test_expect_success 'directories nested 4100 deep -> refused' '
	python3 - "$TRASH/deep.json" <<-\PY &&
	import json, sys
	e = [{"name": "snapshot/./", "type": "dir", "mode": 493}]
	p = "snapshot"
	for i in range(4100):
	    p += "/d"
	    e.append({"name": p + "/", "type": "dir", "mode": 493})
	json.dump({"volumes": [e]}, open(sys.argv[1], "w"))
	PY
	python3 "$MAKESET" "$TRASH/sets/deep" "$TRASH/deep.json" &&
	refused deep "too deep"
'

test_expect_success 'a chunk of an empty path ("multivol_diff//1") -> refused' '
	one mvroot "{\"name\": \"multivol_diff//1\", \"data\": \"x\"}" &&
	refused mvroot "bad multivol entry"
'

# --- links --------------------------------------------------------------

test_expect_success 'symlink to outside, then a file through it (one set) -> refused' '
	one plant "{\"name\": \"snapshot/link\", \"type\": \"symlink\", \"linkname\": \"$OUT\"},
		{\"name\": \"snapshot/link/evil\", \"data\": \"x\"}" &&
	refused plant "symlink or not a directory" &&
	test -L "$JAIL/dest/link"
'

test_expect_success 'relative symlink "../outside", then a directory through it -> refused' '
	one relplant "{\"name\": \"snapshot/link\", \"type\": \"symlink\", \"linkname\": \"../outside\"},
		{\"name\": \"snapshot/link/sub/\", \"type\": \"dir\"}" &&
	refused relplant "symlink or not a directory"
'

test_expect_success 'symlink in the full set, a file through it in an incremental -> refused' '
	chain cve "{\"name\": \"snapshot/link\", \"type\": \"symlink\", \"linkname\": \"$OUT\"}" \
		"{\"name\": \"snapshot/link/evil\", \"data\": \"x\"}" &&
	refused cve "symlink or not a directory"
'

test_expect_success 'a directory replaced by a symlink in an incremental, its old files kept -> refused' '
	chain swap "{\"name\": \"snapshot/d/\", \"type\": \"dir\"},
		{\"name\": \"snapshot/d/keep\", \"data\": \"truncate me\"}" \
		"{\"name\": \"snapshot/d\", \"type\": \"symlink\", \"linkname\": \"$OUT\"}" &&
	refused swap "symlink or not a directory"
'

test_expect_success 'symlink planted in inc 1, a file through it in inc 2 -> refused' '
	chain swap2 "{\"name\": \"snapshot/a\", \"data\": \"x\"}" \
		"{\"name\": \"snapshot/d\", \"type\": \"symlink\", \"linkname\": \"../outside\"}" \
		"{\"name\": \"snapshot/d/evil\", \"data\": \"x\"}" &&
	refused swap2 "symlink or not a directory"
'

test_expect_success 'the archive root itself a symlink, then a file below it -> refused' '
	spec rootlink "{\"volumes\": [[
		{\"name\": \"snapshot/./\", \"type\": \"symlink\", \"linkname\": \"$OUT\"},
		{\"name\": \"snapshot/evil\", \"data\": \"x\"}]]}" &&
	refused rootlink "archive made it a symlink"
'

test_expect_success '--file-to-restore of a symlink with a file below it -> refused' '
	one ftrlink "{\"name\": \"snapshot/link\", \"type\": \"symlink\", \"linkname\": \"$OUT\"},
		{\"name\": \"snapshot/link/evil\", \"data\": \"x\"}" &&
	refused ftrlink "archive made it a symlink" --file-to-restore link &&
	test -L "$JAIL/dest"
'

test_expect_success '--file-to-restore of a directory an incremental made a symlink -> refused' '
	chain ftrswap "{\"name\": \"snapshot/d/\", \"type\": \"dir\"},
		{\"name\": \"snapshot/d/keep\", \"data\": \"x\"}" \
		"{\"name\": \"snapshot/d\", \"type\": \"symlink\", \"linkname\": \"$OUT\"}" &&
	refused ftrswap "archive made it a symlink" --file-to-restore d
'

test_expect_success 'a diff/ whose basis is a symlink to an outside file -> not patched, warned' '
	chain diffsym "{\"name\": \"snapshot/x\", \"type\": \"symlink\", \"linkname\": \"$OUT/keep\"}" \
		"{\"name\": \"diff/x\", \"hexdata\": \"72730236\"}" &&
	handled diffsym &&
	cat out err | grep -q "delta over a non-regular file" &&
	test_path_is_missing "$JAIL/dest/x"
'

test_expect_success 'a symlink to the destination itself, then a file through it -> refused' '
	one selflink "{\"name\": \"snapshot/self\", \"type\": \"symlink\", \"linkname\": \".\"},
		{\"name\": \"snapshot/self/evil\", \"data\": \"x\"}" &&
	refused selflink "symlink or not a directory"
'

test_expect_success 'hard link to an outside file -> refused' '
	one hard "{\"name\": \"snapshot/h\", \"type\": \"hardlink\", \"linkname\": \"$JAIL/sentinel\"}" &&
	refused hard "hard link entry"
'

test_expect_success 'hard link to a file of the same archive -> refused' '
	one hardin "{\"name\": \"snapshot/a\", \"data\": \"x\"},
		{\"name\": \"snapshot/b\", \"type\": \"hardlink\", \"linkname\": \"snapshot/a\"}" &&
	refused hardin "hard link entry"
'

test_expect_success 'entries repeated out of order (a directory, its file, then a symlink) -> refused' '
	one order "{\"name\": \"snapshot/d/\", \"type\": \"dir\"},
		{\"name\": \"snapshot/d/f\", \"data\": \"x\"},
		{\"name\": \"snapshot/d\", \"type\": \"symlink\", \"linkname\": \"$OUT\"},
		{\"name\": \"snapshot/d/evil\", \"data\": \"x\"}" &&
	refused order "out of order"
'

# --- objects ------------------------------------------------------------

test_expect_success 'device nodes, restored by a non-root user -> skipped with a warning' '
	one dev "{\"name\": \"snapshot/f\", \"data\": \"x\"},
		{\"name\": \"snapshot/null\", \"type\": \"chr\", \"devmajor\": 1, \"devminor\": 3},
		{\"name\": \"snapshot/sda\", \"type\": \"blk\", \"devmajor\": 8, \"devminor\": 0}" &&
	fresh_jail &&
	if [ "$(id -u)" -eq 0 ]; then
		mkdir -p "$TRASH/nobody" && chown 65534:65534 "$TRASH/nobody" "$JAIL" &&
		# a copy nobody can reach, wherever the build lives (a clone in
		# a 0700 directory)
		cp "$DUPC" "$TRASH/nobody/dupc" &&
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			env HOME="$TRASH/nobody" TMPDIR="$TRASH/nobody" \
			"$TRASH/nobody/dupc" restore --no-encryption --archive-dir "$TRASH/nobody/c" \
			"file://$TRASH/sets/dev" "$JAIL/dest" >out 2>err &&
		chown 0:0 "$JAIL"
	else
		restore dev
	fi &&
	cat out err | grep -q "only root can create device nodes" &&
	test_path_is_missing "$JAIL/dest/null" &&
	test_path_is_missing "$JAIL/dest/sda" &&
	test -f "$JAIL/dest/f" &&
	touch -d @1600000000 "$OUT" && confined
'

test_expect_success 'setuid root file -> kept with its owner, or as duplicity without owners' '
	one suid "{\"name\": \"snapshot/s\", \"data\": \"#!/bin/sh\\n\", \"mode\": 3565, \"uid\": 0, \"gid\": 0}" &&
	handled suid --do-not-restore-ownership &&
	test "$(stat -c %a:%u "$JAIL/dest/s")" = "6755:$(id -u)" &&
	if [ "$(id -u)" -eq 0 ]; then
		handled suid &&
		test "$(stat -c %a:%u "$JAIL/dest/s")" = 6755:0
	fi
'

test_expect_success 'a size of 2^62 bytes with one block of data -> refused, nothing else written' '
	python3 -c "
import sys
h = bytearray(512)
h[0:13] = b\"snapshot/huge\"
h[100:108] = b\"0000644\\0\"; h[108:116] = b\"0000000\\0\"; h[116:124] = b\"0000000\\0\"
h[124:136] = b\"\\x80\" + (1 << 62).to_bytes(11, \"big\")
h[136:148] = b\"14456074120\\0\"; h[156:157] = b\"0\"; h[257:265] = b\"ustar\\x0000\"
h[148:156] = b\" \" * 8; h[148:156] = b\"%06o\\0 \" % sum(h)
sys.stdout.write((bytes(h) + b\"x\" * 512).hex())" >huge.hex &&
	one huge "{\"raw_hex\": \"$(cat huge.hex)\", \"index\": \"huge\"}" &&
	refused huge "bad tar data\|truncated\|unexpected end"
'

test_expect_success 'a GNU sparse entry (1 byte standing for 8 GiB) -> refused' '
	python3 -c "
import sys
h = bytearray(512)
h[0:15] = b\"snapshot/sparse\"
h[100:108] = b\"0000644\\0\"; h[108:116] = b\"0000000\\0\"; h[116:124] = b\"0000000\\0\"
h[124:136] = b\"%011o\\0\" % 1; h[136:148] = b\"14456074120\\0\"; h[156:157] = b\"S\"
h[257:265] = b\"ustar  \\0\"
h[386:398] = b\"%011o\\0\" % 0; h[398:410] = b\"%011o\\0\" % 1
h[483:495] = b\"77777777777\\0\"
h[148:156] = b\" \" * 8; h[148:156] = b\"%06o\\0 \" % sum(h)
sys.stdout.write((bytes(h) + b\"x\" + b\"\\0\" * 511).hex())" >sparse.hex &&
	one sparse "{\"raw_hex\": \"$(cat sparse.hex)\", \"index\": \"sparse\"}" &&
	refused sparse "sparse tar entry" &&
	test_path_is_missing "$JAIL/dest/sparse"
'

test_expect_success 'a signature entry inside a data volume -> refused' '
	one sigin "{\"name\": \"signature/x\", \"data\": \"rs\"}" &&
	refused sigin "signature entry in a data volume"
'

test_done
