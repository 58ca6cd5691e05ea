#!/usr/bin/env bash
# Chains that mix the two tools: duplicity's full + dupc's incrementals,
# and dupc's full + duplicity's incrementals; both tools restore both at
# every time to the vectors' expected listings.
. "$(dirname "$0")/lib.sh"

V=$VECTORS/duplicity-0.8.22
T0=20231114T221320Z T1=20231114T221500Z T2=20231114T221640Z

dupc_b() { # URL OPTIONS...
	local url=$1; shift
	"$DUPC" "$@" --no-encryption --allow-source-mismatch src "$url"
}
dup_b() { # URL OPTIONS...
	local url=$1; shift
	duplicity "$@" --no-encryption --allow-source-mismatch src "$url" >/dev/null 2>&1
}

check_both() { # REMOTE TIME
	rm -rf "r1-$2" "r2-$2" &&
	duplicity restore --no-encryption --archive-dir "$TRASH/dr-$1-$2" -t "$2" \
		"file://$TRASH/$1" "r1-$2" >/dev/null 2>&1 &&
	listing "r1-$2" >got1 &&
	test_cmp "$V/a-plain/expected/$2.txt" got1 &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/cr-$1-$2" -t "$2" \
		"file://$TRASH/$1" "r2-$2" >/dev/null &&
	listing "r2-$2" >got2 &&
	test_cmp "$V/a-plain/expected/$2.txt" got2
}

test_expect_success VECTORS,DUPLICITY 'duplicity full + dupc incrementals' '
	mkdir m1 && cp "$V/a-plain/remote/duplicity-full.$T0.manifest" "$V/a-plain/remote/duplicity-full.$T0.vol"* \
		"$V/a-plain/remote/duplicity-full-signatures.$T0.sigtar.gz" m1/ &&
	make_tree src &&
	sh "$VECTORS/mutate-1.sh" src &&
	dupc_b "file://$TRASH/m1" --archive-dir "$TRASH/c1" --current-time 1700000100 >/dev/null &&
	sh "$VECTORS/mutate-2.sh" src &&
	dupc_b "file://$TRASH/m1" --archive-dir "$TRASH/c1" --current-time 1700000200 >/dev/null &&
	ls m1 | grep -c manifest >n && echo 3 >expect && test_cmp expect n
'

for t in $T0 $T1 $T2; do
	test_expect_success VECTORS,DUPLICITY "both tools restore it at $t" "check_both m1 $t"
done

test_expect_success VECTORS,DUPLICITY 'dupc full + duplicity incrementals' '
	rm -rf src && make_tree src &&
	"$DUPC" full --no-encryption --archive-dir "$TRASH/c2" --current-time 1700000000 \
		src "file://$TRASH/m2" >/dev/null &&
	sh "$VECTORS/mutate-1.sh" src &&
	dup_b "file://$TRASH/m2" incremental --archive-dir "$TRASH/c2" --current-time 1700000100 &&
	sh "$VECTORS/mutate-2.sh" src &&
	dup_b "file://$TRASH/m2" incremental --archive-dir "$TRASH/c2" --current-time 1700000200 &&
	ls m2 | grep -c manifest >n && echo 3 >expect && test_cmp expect n
'

for t in $T0 $T1 $T2; do
	test_expect_success VECTORS,DUPLICITY "both tools restore it at $t" "check_both m2 $t"
done

test_expect_success VECTORS,DUPLICITY 'duplicity continues a chain after a dupc incremental and vice versa' '
	echo more >>src/small.txt && touch -d @1690003000 src/small.txt &&
	"$DUPC" --no-encryption --archive-dir "$TRASH/c2" --current-time 1700000300 \
		src "file://$TRASH/m2" >/dev/null &&
	echo again >>src/small.txt && touch -d @1690004000 src/small.txt &&
	dup_b "file://$TRASH/m2" incremental --archive-dir "$TRASH/c2" --current-time 1700000400 &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-last" \
		"file://$TRASH/m2" last >/dev/null &&
	cmp src/small.txt last/small.txt
'

test_done
