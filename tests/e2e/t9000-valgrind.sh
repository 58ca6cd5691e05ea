#!/usr/bin/env bash
# dupc under valgrind's memcheck: a small full and incremental backup, a
# restore, a verify and a refused hostile restore, each failing on any
# memory error or leak.  Skipped in the sanitizer build (valgrind and ASan
# do not mix; DUPC_BUILD ends in -asan there) and without valgrind.
. "$(dirname "$0")/lib.sh"

case $DUPC_BUILD in
*-asan | *-asan/)
	test_skip_all "valgrind does not run ASan builds"
	;;
esac
if ! command -v valgrind >/dev/null 2>&1; then
	test_skip_all "valgrind not installed"
fi

# vg ARGS...: dupc under memcheck; any error or definite/possible leak
# makes it exit 99 and leaves the report in vg.log.
vg() {
	rm -f "$TRASH/vg.log"
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,possible \
		--child-silent-after-fork=yes --log-file="$TRASH/vg.log" \
		"$DUPC" "$@"
	local rc=$?
	if [ -s "$TRASH/vg.log" ]; then
		cat "$TRASH/vg.log" >&2
		return 99
	fi
	return $rc
}

test_expect_success 'setup: a small tree' '
	mkdir -p src/sub "src/with space" &&
	echo hello >src/sub/f &&
	head -c 150000 /dev/urandom >src/big &&
	echo x >"src/with space/y" &&
	ln -s sub/f src/link &&
	mkfifo src/fifo
'

test_expect_success 'full backup, clean under valgrind' '
	vg full --no-encryption --archive-dir "$TRASH/c" src "file://$TRASH/t" >out
'

test_expect_success 'incremental backup (a delta), clean under valgrind' '
	echo more >>src/sub/f &&
	head -c 1000 /dev/urandom >>src/big &&
	rm "src/with space/y" &&
	touch -d "+1 minute" src/sub/f src/big &&
	vg incremental --no-encryption --archive-dir "$TRASH/c" src "file://$TRASH/t" >out
'

test_expect_success 'restore with an empty archive dir, clean under valgrind' '
	vg restore --no-encryption --archive-dir "$TRASH/c2" "file://$TRASH/t" r >out &&
	if test_have_prereq VECTORS; then
		listing src >want && listing r >got && test_cmp want got
	else
		diff -r -x fifo src r && test -p r/fifo
	fi
'

test_expect_success 'verify, clean under valgrind' '
	vg verify --no-encryption --archive-dir "$TRASH/c2" "file://$TRASH/t" src >out
'

test_expect_success 'a refused hostile restore frees everything too' '
	printf "%s\n" "{\"volumes\": [[{\"name\": \"snapshot/./\", \"type\": \"dir\", \"mode\": 493},
		{\"name\": \"snapshot/link\", \"type\": \"symlink\", \"linkname\": \"/\"},
		{\"name\": \"snapshot/link/evil\", \"data\": \"x\"}]]}" >h.json &&
	python3 "$TEST_TOP/tests/tools/make-set.py" "$TRASH/h" h.json &&
	{ vg restore --no-encryption --archive-dir "$TRASH/c3" "file://$TRASH/h" rh >out 2>err
	  test $? -ne 99; } &&
	grep -q "symlink" err
'

test_done
