#!/usr/bin/env bash
# -v/--verbosity with duplicity's meaning: 0-9 or e, w, n, i, d (and the
# long words), each record shown when its level is at or below the
# setting; ERROR on stderr, the rest on stdout; the statistics whatever
# the setting; the machine log filtered the same way.
. "$(dirname "$0")/lib.sh"

# run NAME ARGS...: a backup of src to its own new target, auto mode (the
# first run warns "No signatures found"), output in NAME.out/NAME.err
run() {
	local name=$1; shift
	"$DUPC" "$@" --no-encryption --archive-dir "$TRASH/c-$name" src \
		"file://$TRASH/t-$name" >"$name.out" 2>"$name.err"
}

test_expect_success 'a source' '
	mkdir -p src/d && echo one >src/a && echo two >src/d/b
'

test_expect_success 'default (notice): notices and warnings, no per-file lines' '
	run def &&
	grep -q "^Last full backup date: none$" def.out &&
	grep -q "^No signatures found, switching to full backup.$" def.out &&
	grep -q "^Errors 0$" def.out &&
	! grep -q "^A " def.out &&
	test_line_count def.err = 0
'

test_expect_success '-v0, -ve, --verbosity=error: only the statistics' '
	for v in "-v0" "-ve" "--verbosity=error" "-v E" "--verbosity 0"; do
		run e $v &&
		! grep -q "Last full backup" e.out &&
		! grep -q "No signatures" e.out &&
		grep -q "^Errors 0$" e.out &&
		test_line_count e.err = 0 || return 1
		rm -rf t-e c-e
	done
'

test_expect_success '-v2, -vw, --verbosity=warning: warnings without notices' '
	for v in "-v2" "-vw" "--verbosity=warning"; do
		run w $v &&
		grep -q "^No signatures found, switching to full backup.$" w.out &&
		! grep -q "Last full backup" w.out || return 1
		rm -rf t-w c-w
	done &&
	# warnings are level 2: -v1 hides them, as in duplicity
	run one -v1 &&
	! grep -q "No signatures" one.out
'

test_expect_success '-v5, -vi, --verbosity=info: each file and volume' '
	for v in "-v5" "-vi" "--verbosity=INFO" "-v 05"; do
		run i $v &&
		grep -q "^A a$" i.out &&
		grep -q "^A d/b$" i.out &&
		grep -q "^Processed volume 1$" i.out &&
		! grep -q "^Collection Status$" i.out || return 1
		rm -rf t-i c-i
	done
'

test_expect_success '-v8: the collection status at the start of every run, as duplicity' '
	run eight -v8 &&
	grep -q "^Collection Status$" eight.out &&
	test $(grep -n "^Collection Status$" eight.out | cut -d: -f1) -lt \
		$(grep -n "^Errors 0$" eight.out | cut -d: -f1)
'

test_expect_success '-v9 and -vd are accepted and show everything -v8 shows' '
	run d -vd && grep -q "^Collection Status$" d.out && grep -q "^A a$" d.out &&
	rm -rf t-d c-d &&
	run d --verbosity=debug && grep -q "^A a$" d.out
'

test_expect_success 'errors go to stderr at every verbosity' '
	for v in 0 3 9; do
		test_expect_code 13 "$DUPC" full -v$v --no-encryption nosuchdir \
			"file://$TRASH/x" >out 2>err &&
		test_line_count err = 1 &&
		test_line_count out = 0 || return 1
	done
'

test_expect_success 'the machine log follows -v' '
	run m -v2 --log-fd 3 3>m.log &&
	grep -q "^WARNING 1$" m.log &&
	! grep -q "^NOTICE 1$" m.log.nonexistent 2>/dev/null &&
	grep -c "^NOTICE " m.log >n &&
	test "$(cat n)" = 1 &&
	grep -q "^\\. --------------\\[ Backup Statistics \\]" m.log
'

test_expect_success 'bad verbosity values: exit 2, one line naming the choices' '
	for v in 10 x -1 "" 3x; do
		test_expect_code 2 "$DUPC" collection-status "--verbosity=$v" \
			file:///nowhere 2>err &&
		test_line_count err = 1 &&
		grep -q "0-9 or error, warning, notice, info, debug" err || return 1
	done
'

test_done
