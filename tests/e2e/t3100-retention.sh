#!/usr/bin/env bash
# Retention and cleanup delete exactly the files duplicity 0.8.22 deletes
# on the same collection (remote and archive dir), and list them the same
# way without --force.
. "$(dirname "$0")/lib.sh"

# A collection of three chains: full+2 incs, full+1 inc, full+1 inc.
setup_collection() {
	mkdir -p src && echo a >src/f &&
	t=1700000000 &&
	for kind in full inc inc full inc full inc; do
		echo "$t" >>src/f && touch -d @$t src/f &&
		if [ $kind = full ]; then c=full; else c=incremental; fi &&
		"$DUPC" $c --no-encryption --archive-dir "$TRASH/base-cache" \
			--name n --current-time $t src "file://$TRASH/base" >/dev/null || return 1
		t=$((t + 1000))
	done
}

ts() { date -u -d @"$1" +%Y%m%dT%H%M%SZ; }
T0=$(ts 1700000000) T1=$(ts 1700001000) T2=$(ts 1700002000)
T3=$(ts 1700003000) T4=$(ts 1700004000) T5=$(ts 1700005000)
T6=$(ts 1700006000) T9=$(ts 1700009000) T10=$(ts 1700010000)

# twin NAME: two identical copies of the collection (target + cache)
twin() {
	rm -rf "$1-a" "$1-b" "$1-ca" "$1-cb" &&
	cp -a base "$1-a" && cp -a base "$1-b" &&
	cp -a base-cache "$1-ca" && cp -a base-cache "$1-cb"
}

# same_result NAME: both sides hold the same files afterwards
same_result() {
	(cd "$1-a" && ls) >ra && (cd "$1-b" && ls) >rb && test_cmp rb ra &&
	(cd "$1-ca/n" && ls | grep -v lockfile) >la &&
	(cd "$1-cb/n" && ls | grep -v lockfile) >lb && test_cmp lb la
}

test_expect_success DUPLICITY 'setup: three chains' '
	setup_collection &&
	test "$(ls base | grep -c "full.*manifest")" = 3
'

for args in "remove-older-than 1700003500" "remove-older-than 1700006500" \
	"remove-all-but-n-full 1" "remove-all-but-n-full 2" \
	"remove-all-inc-of-but-n-full 1" "remove-all-inc-of-but-n-full 2"; do
	name=$(echo "$args" | tr " " _)
	test_expect_success DUPLICITY "$args --force deletes what duplicity deletes" "
		twin $name &&
		\"\$DUPC\" $args --force --no-encryption --archive-dir \"\$TRASH/$name-ca\" \
			--name n \"file://\$TRASH/$name-a\" >out-a &&
		duplicity $args --force --no-encryption --archive-dir \"\$TRASH/$name-cb\" \
			--name n \"file://\$TRASH/$name-b\" >out-b 2>&1 &&
		same_result $name &&
		grep -v -e '^Last full backup' -e '^Local and Remote' out-a >a &&
		grep -v -e '^Last full backup' -e '^Local and Remote' out-b >b &&
		test_cmp b a
	"
done

test_expect_success DUPLICITY 'without --force, remove-older-than lists like duplicity' '
	twin list &&
	"$DUPC" remove-older-than 1700006500 --no-encryption --archive-dir "$TRASH/list-ca" \
		--name n "file://$TRASH/list-a" >a &&
	duplicity remove-older-than 1700006500 --no-encryption --archive-dir "$TRASH/list-cb" \
		--name n "file://$TRASH/list-b" >b 2>&1 &&
	test_cmp b a &&
	same_result list &&
	grep -q "Rerun command with --force option to actually delete." a
'

test_expect_success DUPLICITY 'cleanup removes the same leftovers (orphaned inc, incomplete set)' '
	twin clean &&
	for d in clean-a clean-b; do
		cp base/duplicity-inc.$T0.to.$T1.vol1.difftar.gz \
			$d/duplicity-inc.$T9.to.$T10.vol1.difftar.gz &&
		cp base/duplicity-inc.$T0.to.$T1.manifest \
			$d/duplicity-inc.$T9.to.$T10.manifest &&
		cp base/duplicity-full.$T0.vol1.difftar.gz \
			$d/duplicity-full.$T10.vol1.difftar.gz || return 1
	done &&
	"$DUPC" cleanup --no-encryption --archive-dir "$TRASH/clean-ca" --name n \
		"file://$TRASH/clean-a" >a &&
	duplicity cleanup --no-encryption --archive-dir "$TRASH/clean-cb" --name n \
		"file://$TRASH/clean-b" >b 2>&1 &&
	test_cmp b a &&
	"$DUPC" cleanup --force --no-encryption --archive-dir "$TRASH/clean-ca" --name n \
		"file://$TRASH/clean-a" >a &&
	duplicity cleanup --force --no-encryption --archive-dir "$TRASH/clean-cb" --name n \
		"file://$TRASH/clean-b" >b 2>&1 &&
	test_cmp b a &&
	same_result clean &&
	! ls clean-a | grep -q "$T9\|$T10"
'

test_expect_success DUPLICITY 'collection-status reports the anomalies as duplicity does' '
	twin anom &&
	for d in anom-a anom-b; do
		cp base/duplicity-full.$T0.vol1.difftar.gz \
			$d/duplicity-full.$T10.vol1.difftar.gz &&
		rm $d/duplicity-new-signatures.$T5.to.$T6.sigtar.gz || return 1
	done &&
	rm anom-ca/n/duplicity-new-signatures.$T5.to.$T6.sigtar.gz &&
	rm anom-cb/n/duplicity-new-signatures.$T5.to.$T6.sigtar.gz &&
	"$DUPC" collection-status --no-encryption --archive-dir "$TRASH/anom-ca" --name n \
		"file://$TRASH/anom-a" >a 2>&1 &&
	duplicity collection-status --no-encryption --archive-dir "$TRASH/anom-cb" --name n \
		"file://$TRASH/anom-b" >b 2>&1 &&
	sed -e "s|^Archive dir: .*||" a >a2 && sed -e "s|^Archive dir: .*||" b >b2 &&
	test_cmp b2 a2 &&
	grep -q "incomplete backup set" a2
'

test_expect_success DUPLICITY 'a backup after a lost signature file continues as duplicity does' '
	echo more >>src/f &&
	"$DUPC" --no-encryption --archive-dir "$TRASH/anom-ca" --name n \
		src "file://$TRASH/anom-a" >a 2>&1 &&
	grep -q "Warning, found incomplete backup sets" a &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/anom-ca" --name n \
		"file://$TRASH/anom-a" out >/dev/null &&
	cmp src/f out/f
'

test_done
