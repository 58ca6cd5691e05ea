#!/usr/bin/env bash
# dupc diff TIME_A TIME_B URL: between every pair of times of the vector
# chains (and of two dupc chains), it prints what comparing the two
# restores gives, reading no volume; times take every form -t takes.
. "$(dirname "$0")/lib.sh"

V=${VECTORS:+$VECTORS/duplicity-0.8.22}
LDIFF="$TEST_TOP/tests/tools/listing-diff.py"
TIMES="20231114T221320Z 20231114T221500Z 20231114T221640Z"

# check_pairs URL NAME TIMES [OPTIONS...]: for every ordered pair of
# TIMES, diff equals the comparison of the two restores.
check_pairs() {
	local url=$1 name=$2 times=$3 a b
	shift 3
	for a in $times; do
		"$DUPC" restore "$@" --archive-dir "$TRASH/c-r$name" -t "$a" \
			"$url" "r-$name-$a" >/dev/null &&
		listing "r-$name-$a" >"r-$name-$a.lst" || return 1
	done
	for a in $times; do
		for b in $times; do
			python3 "$LDIFF" "r-$name-$a.lst" "r-$name-$b.lst" >expect &&
			"$DUPC" diff -v error "$@" --archive-dir "$TRASH/c-$name" \
				"$a" "$b" "$url" >actual &&
			test_cmp expect actual || { echo "diff $a $b"; return 1; }
		done
	done
}

test_expect_success VECTORS 'a-plain: every pair of times equals comparing the restores' '
	check_pairs "file://$V/a-plain/remote" a "$TIMES" --no-encryption
'

test_expect_success VECTORS 'b-gpg: every pair of times equals comparing the restores' '
	PASSPHRASE=dupc-test-passphrase check_pairs "file://$V/b-gpg/remote" b \
		"$TIMES"
'

test_expect_success VECTORS 'a diff opens no volume' '
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -e trace=open,openat,openat2 -o trace \
		"$DUPC" diff --no-encryption --archive-dir "$TRASH/c-fresh" \
		20231114T221320Z 20231114T221640Z "file://$V/a-plain/remote" >out &&
	grep -q "sigtar" trace &&
	! grep "\.difftar" trace &&
	grep -q "^M big-text.txt$" out
'

test_expect_success VECTORS 'times in every form -t takes' '
	"$DUPC" diff -v error --no-encryption --archive-dir "$TRASH/c-a" \
		20231114T221500Z 20231114T221640Z "file://$V/a-plain/remote" >expect &&
	"$DUPC" diff -v error --no-encryption --archive-dir "$TRASH/c-a" \
		1700000100 2023-11-14T22:16:40Z "file://$V/a-plain/remote" >epoch &&
	test_cmp expect epoch &&
	"$DUPC" diff -v error --no-encryption --archive-dir "$TRASH/c-a" \
		--current-time 1700000250 2m now "file://$V/a-plain/remote" >rel &&
	test_cmp expect rel
'

test_expect_success VECTORS 'paths that are not UTF-8 or have odd bytes come out as they are' '
	"$DUPC" diff -v error --no-encryption --archive-dir "$TRASH/c-a" \
		20231114T221640Z 20231114T221320Z "file://$V/a-plain/remote" >out &&
	grep -q "^+ medium-100k.bin$" out &&
	grep -q "^+ dir with spaces/na" out
'

test_expect_success 'two dupc chains: every pair of times, across chains too' '
	mkdir -p src/d &&
	echo one >src/a && echo keep >src/d/k && ln -s a src/l &&
	touch -d @1690000000 src/a src/d/k src/d src &&
	"$DUPC" full --no-encryption --current-time 1700000000 src "file://$TRASH/two" >/dev/null &&
	echo two >>src/a && chmod 0600 src/d/k && ln -sfn d src/l &&
	touch -d @1690000100 src/a src/d/k src/d src &&
	"$DUPC" incremental --no-encryption --current-time 1700000100 src "file://$TRASH/two" >/dev/null &&
	rm -r src/d && mkdir src/a2 && echo new >src/a2/n && touch -d @1690000200 src src/a2 src/a2/n &&
	"$DUPC" full --no-encryption --current-time 1700000200 src "file://$TRASH/two" >/dev/null &&
	rm src/a && echo file >src/d && touch -d @1690000300 src src/d &&
	"$DUPC" incremental --no-encryption --current-time 1700000300 src "file://$TRASH/two" >/dev/null &&
	check_pairs "file://$TRASH/two" two "1700000000 1700000100 1700000200 1700000300" \
		--no-encryption
'

test_expect_success VECTORS 'a time that is not one: exit 2, one line' '
	test_expect_code 2 "$DUPC" diff --no-encryption --archive-dir "$TRASH/c-a" \
		yesterdayish now "file://$V/a-plain/remote" >out 2>err &&
	test_line_count err = 1 &&
	test_expect_code 2 "$DUPC" diff --no-encryption now "file://$V/a-plain/remote" 2>err &&
	grep -q "wrong number of arguments" err
'

test_done
