#!/usr/bin/env bash
# Incremental chains: dupc writes full + inc + inc from the interop tree
# and its two mutations; Debian's duplicity restores every time to the
# vectors' expected listings, and dupc's statistics equal duplicity's.
. "$(dirname "$0")/lib.sh"

V=$VECTORS/duplicity-0.8.22
T0=20231114T221320Z T1=20231114T221500Z T2=20231114T221640Z

backup() {
	"$DUPC" "$@" --no-encryption --archive-dir "$TRASH/cache" src "file://$TRASH/remote"
}

test_expect_success VECTORS 'full, mutate, incremental, mutate, incremental' '
	make_tree src &&
	backup full --current-time 1700000000 >full.out &&
	sh "$VECTORS/mutate-1.sh" src &&
	backup incremental --current-time 1700000100 >inc1.out &&
	sh "$VECTORS/mutate-2.sh" src &&
	backup --current-time 1700000200 >inc2.out &&
	ls remote >names &&
	ls "$V/a-plain/remote" >expect &&
	test_cmp expect names
'

test_expect_success VECTORS 'incremental statistics equal duplicity'"'"'s' '
	for n in 1 2; do
		grep -v -e "^StartTime" -e "^EndTime" -e "^ElapsedTime" \
			-e "^TotalDestinationSizeChange" -e "^\[exit" \
			"$V/transcripts/a-inc$n.txt" >expect &&
		grep -v -e "^StartTime" -e "^EndTime" -e "^ElapsedTime" \
			-e "^TotalDestinationSizeChange" inc$n.out >actual &&
		test_cmp expect actual || return 1
	done
'

test_expect_success VECTORS 'the inc manifests list changed files as duplicity does' '
	for s in "$T0.to.$T1" "$T1.to.$T2"; do
		sed -n "/^Filelist/,\$p" "remote/duplicity-inc.$s.manifest" >ours &&
		sed -n "/^Filelist/,\$p" "$V/a-plain/remote/duplicity-inc.$s.manifest" >theirs &&
		test_cmp theirs ours || return 1
	done
'

test_expect_success VECTORS 'the inc volumes hold the same entries as duplicity'"'"'s' '
	for s in "$T0.to.$T1" "$T1.to.$T2"; do
		for d in remote "$V/a-plain/remote"; do
			python3 -c "
import sys, tarfile
t = tarfile.open(sys.argv[1], \"r:gz\", encoding=\"utf-8\", errors=\"surrogateescape\")
for m in t: print(m.name, m.type, m.size if m.name.startswith(\"snapshot\") or m.name.startswith(\"multivol_snapshot\") else \"-\", m.mode)
" "$d/duplicity-inc.$s.vol1.difftar.gz" || return 1
		done >both &&
		n=$(wc -l <both) &&
		head -n $((n / 2)) both >a && tail -n $((n / 2)) both >b &&
		test_cmp b a || return 1
	done
'

for t in $T0 $T1 $T2; do
	test_expect_success VECTORS,DUPLICITY "Debian duplicity restores dupc's chain at $t" "
		duplicity restore --no-encryption --archive-dir \"\$TRASH/dc-$t\" -t $t \
			\"file://\$TRASH/remote\" r-$t >/dev/null 2>&1 &&
		listing r-$t >got &&
		test_cmp \"\$V/a-plain/expected/$t.txt\" got
	"
	test_expect_success VECTORS "dupc restores its own chain at $t" "
		\"\$DUPC\" restore --no-encryption --archive-dir \"\$TRASH/rc-$t\" -t $t \
			\"file://\$TRASH/remote\" d-$t >/dev/null &&
		listing d-$t >got &&
		test_cmp \"\$V/a-plain/expected/$t.txt\" got
	"
done

test_expect_success VECTORS 'an unchanged tree gives an incremental with no entries' '
	backup --current-time 1700000300 >inc3.out &&
	grep -qx "DeltaEntries 0" inc3.out &&
	grep -qx "Filelist 0" remote/duplicity-inc.$T2.to.20231114T221820Z.manifest &&
	grep -q "StartingPath   \.  $" remote/duplicity-inc.$T2.to.20231114T221820Z.manifest
'

test_expect_success VECTORS 'incremental without a chain fails with code 17' '
	mkdir -p other && echo x >other/f &&
	test_expect_code 17 "$DUPC" incremental --no-encryption --archive-dir "$TRASH/c9" \
		other "file://$TRASH/empty-target" 2>err &&
	grep -q "Old signatures not found and incremental specified" err
'

test_expect_success VECTORS 'no command on an empty target switches to full' '
	"$DUPC" --no-encryption --archive-dir "$TRASH/c10" other "file://$TRASH/t10" >out &&
	grep -qx "Last full backup date: none" out &&
	grep -qx "No signatures found, switching to full backup." out
'

test_expect_success VECTORS 'a changed source directory is refused without --allow-source-mismatch' '
	test_expect_code 42 "$DUPC" --no-encryption --archive-dir "$TRASH/c10" \
		src "file://$TRASH/t10" 2>err &&
	grep -q "source directory has changed" err &&
	# the check runs beside the pass: even a set of several volumes
	# is stopped before its first upload, and leaves nothing behind
	mkdir -p big && head -c 3000000 /dev/urandom >big/r &&
	ls -aR t10 c10 >before &&
	test_expect_code 42 "$DUPC" --no-encryption --archive-dir "$TRASH/c10" \
		--volsize 1 big "file://$TRASH/t10" 2>err &&
	grep -q "source directory has changed" err &&
	ls -aR t10 c10 >after &&
	test_cmp before after &&
	"$DUPC" --no-encryption --archive-dir "$TRASH/c10" --allow-source-mismatch \
		src "file://$TRASH/t10" >/dev/null
'

test_expect_success VECTORS '--full-if-older-than forces a full' '
	"$DUPC" --no-encryption --archive-dir "$TRASH/c10" --allow-source-mismatch \
		--current-time $(( $(date +%s) + 100 )) \
		--full-if-older-than 1m src "file://$TRASH/t10" >out &&
	grep -qx "Last full backup is too old, forcing full backup" out
'

test_done
