#!/usr/bin/env bash
# Restore refuses damaged and hostile sets with one clear line and writes
# nothing outside the destination.
. "$(dirname "$0")/lib.sh"

MAKESET="$TEST_TOP/tests/tools/make-set.py"

# hostile NAME JSON-VOLUMES: build set NAME from one volume's entries.
hostile() {
	printf '{"volumes": [%s]}\n' "$2" >"$1.json" &&
	python3 "$MAKESET" "$TRASH/$1" "$1.json"
}

restore_refused() {
	mkdir -p "$TRASH/jail/outside" &&
	test_must_fail "$DUPC" restore --no-encryption --archive-dir "$TRASH/c-$1" \
		"file://$TRASH/$1" "$TRASH/jail/dest" 2>err &&
	test_line_count err = 1 &&
	test "$(ls -A "$TRASH/jail/outside")" = "" &&
	! test -e "$TRASH/jail/evil" && ! test -e "$TRASH/evil"
}

test_expect_success 'setup: a small backup' '
	mkdir -p src/sub && echo hello >src/sub/f && echo top >src/g &&
	"$DUPC" full --no-encryption --archive-dir "$TRASH/c" \
		--current-time 1700000000 src "file://$TRASH/good" >/dev/null
'

test_expect_success 'a corrupted volume is refused by hash, naming it (exit 21)' '
	cp -r good bad &&
	vol=bad/duplicity-full.20231114T221320Z.vol1.difftar.gz &&
	printf "\\377" | dd of=$vol bs=1 seek=30 conv=notrunc 2>/dev/null &&
	test_expect_code 21 "$DUPC" restore --no-encryption --archive-dir "$TRASH/c-bad" \
		"file://$TRASH/bad" out-bad 2>err &&
	test_line_count err = 1 &&
	grep -q "duplicity-full.20231114T221320Z.vol1.difftar.gz" err &&
	grep -q "hash mismatch" err &&
	! test -e out-bad/sub/f
'

test_expect_success 'a missing volume is named' '
	cp -r good gone &&
	rm gone/duplicity-full.20231114T221320Z.vol1.difftar.gz &&
	test_must_fail "$DUPC" restore --no-encryption --archive-dir "$TRASH/c-gone" \
		"file://$TRASH/gone" out-gone 2>err &&
	test_line_count err = 1 &&
	grep -q "volume 1" err
'

test_expect_success 'an entry with .. is refused' '
	hostile dotdot "[{\"name\": \"snapshot/./\", \"type\": \"dir\", \"mode\": 493},
		{\"name\": \"snapshot/../evil\", \"data\": \"x\"}]" &&
	restore_refused dotdot &&
	grep -q "unsafe archive entry" err
'

test_expect_success 'an absolute-looking entry (empty component) is refused' '
	hostile abs "[{\"name\": \"snapshot/./\", \"type\": \"dir\", \"mode\": 493},
		{\"name\": \"snapshot//tmp/evil\", \"data\": \"x\"}]" &&
	restore_refused abs
'

test_expect_success 'a file written through a symlink planted in the same set is refused' '
	hostile plant "[{\"name\": \"snapshot/./\", \"type\": \"dir\", \"mode\": 493},
		{\"name\": \"snapshot/link\", \"type\": \"symlink\", \"linkname\": \"$TRASH/jail/outside\"},
		{\"name\": \"snapshot/link/evil\", \"data\": \"x\"}]" &&
	restore_refused plant &&
	test -L "$TRASH/jail/dest/link"
'

test_expect_success 'a hard-link entry is refused' '
	hostile hard "[{\"name\": \"snapshot/./\", \"type\": \"dir\", \"mode\": 493},
		{\"name\": \"snapshot/h\", \"type\": \"hardlink\", \"linkname\": \"/etc/passwd\"}]" &&
	rm -rf "$TRASH/jail" &&
	restore_refused hard
'

test_expect_success 'an entry outside the duplicity prefixes is refused' '
	hostile junk "[{\"name\": \"etc/passwd\", \"data\": \"x\"}]" &&
	rm -rf "$TRASH/jail" &&
	restore_refused junk &&
	grep -q "not a duplicity entry" err
'

test_done
