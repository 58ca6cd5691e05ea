#!/usr/bin/env bash
# collection-status, list-current-files and verify print duplicity 0.8.22's
# text, line for line (TZ=UTC, archive dir path substituted).
. "$(dirname "$0")/lib.sh"

V=$VECTORS/duplicity-0.8.22
TR=$V/transcripts

test_expect_success VECTORS 'setup: a copy of the a-plain chain and its metadata' '
	cp -r "$V/a-plain/remote" remote &&
	"$DUPC" list-current-files --no-encryption --archive-dir "$TRASH/cache" \
		"file://$TRASH/remote" >/dev/null
'

test_expect_success VECTORS 'collection-status equals duplicity'"'"'s' '
	"$DUPC" collection-status --no-encryption --archive-dir "$TRASH/cache" \
		"file://$TRASH/remote" >out &&
	sed -e "s|^Archive dir: .*|Archive dir: X|" out >actual &&
	sed -e "s|^Archive dir: .*|Archive dir: X|" -e "/^\[exit/d" \
		"$TR/a-collection-status.txt" >expect &&
	test_cmp expect actual
'

test_expect_success VECTORS 'list-current-files equals duplicity'"'"'s' '
	"$DUPC" list-current-files --no-encryption --archive-dir "$TRASH/cache" \
		"file://$TRASH/remote" >actual &&
	sed -e "/^\[exit/d" "$TR/a-list-current-files.txt" >expect &&
	test_cmp expect actual
'

test_expect_success VECTORS 'list-current-files -t the full set equals duplicity'"'"'s' '
	"$DUPC" list-current-files -t 20231114T221320Z --no-encryption \
		--archive-dir "$TRASH/cache" "file://$TRASH/remote" >actual &&
	sed -e "/^\[exit/d" "$TR/a-list-current-files-t-full.txt" >expect &&
	test_cmp expect actual
'

test_expect_success VECTORS 'verify counts like duplicity and finds no difference' '
	make_tree src &&
	sh "$VECTORS/mutate-1.sh" src && sh "$VECTORS/mutate-2.sh" src &&
	"$DUPC" verify --no-encryption --archive-dir "$TRASH/cache" \
		"file://$TRASH/remote" src >actual &&
	sed -e "/^\[exit/d" "$TR/a-verify.txt" >expect &&
	test_cmp expect actual &&
	"$DUPC" verify --compare-data --no-encryption --archive-dir "$TRASH/cache" \
		"file://$TRASH/remote" src >actual &&
	sed -e "/^\[exit/d" "$TR/a-verify-compare-data.txt" >expect &&
	test_cmp expect actual
'

test_expect_success VECTORS 'verify --compare-data reports changes and exits 1' '
	echo changed >src/small.txt && touch -d @1690001001 src/small.txt &&
	chmod 0640 src/run-0755.sh && rm src/empty && echo new >src/zz-new &&
	test_expect_code 1 "$DUPC" verify --compare-data --no-encryption \
		--archive-dir "$TRASH/cache" "file://$TRASH/remote" src >out &&
	grep -q "Difference found: File empty is missing" out &&
	grep -q "Difference found: New file zz-new" out &&
	grep -q "Difference found: File run-0755.sh has permissions" out &&
	grep -q "Difference found: Data for file small.txt is different" out &&
	grep -q "Difference found: File \. has mtime" out &&
	grep -q "^Verify complete: 28 files compared, 5 differences found.$" out
'

test_expect_success VECTORS 'collection-status shows secondary chains' '
	make_tree src2 &&
	"$DUPC" full --no-encryption --archive-dir "$TRASH/cache" --allow-source-mismatch \
		--current-time 1700001000 src2 "file://$TRASH/remote" >/dev/null &&
	"$DUPC" collection-status --no-encryption --archive-dir "$TRASH/cache" \
		"file://$TRASH/remote" >out &&
	grep -qx "Found 1 secondary backup chain." out &&
	grep -qx "Secondary chain 1 of 1:" out &&
	grep -qx "Chain end time: Tue Nov 14 22:16:40 2023" out
'

test_done
