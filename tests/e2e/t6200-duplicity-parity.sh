#!/usr/bin/env bash
# Everyday uses that must behave as duplicity 0.8.22's, each run with both
# tools on the same data: verify of one file or link, a file as the backup
# source, passphrases read from a pipe, resuming a public-key backup on a
# host without the secret key, the archive dir's lockfile, replicate, and
# the deprecated --short-filenames and --old-filenames.
. "$(dirname "$0")/lib.sh"

PW=parity-pass
SPW=signer-pass

# same_rc NAME CMD...: run CMD with dupc and with duplicity (the word DUP in
# CMD stands for the tool); both exit codes land in rc-NAME as "dupc duplicity".
same_rc() {
	local name=$1 a b
	shift
	"$DUPC" "$@" >"out-$name-dupc" 2>&1
	a=$?
	duplicity "$@" >"out-$name-dup" 2>&1 </dev/null
	b=$?
	echo "$a $b" >"rc-$name"
	[ "$a" -eq "$b" ] || { echo "$name: dupc exited $a, duplicity $b"; cat "out-$name-dupc" "out-$name-dup"; return 1; }
}

test_expect_success DUPLICITY 'setup: a tree, keys (one with a passphrase), a public-only keyring' '
	mkdir -p src/d && echo data >src/d/f && ln -s f src/d/l &&
	head -c 300000 /dev/urandom >src/big.bin && echo hello >one.txt &&
	printf "default-cache-ttl 0\nmax-cache-ttl 0\nallow-loopback-pinentry\n" \
		>"$GNUPGHOME/gpg-agent.conf" &&
	gpg --batch --pinentry-mode loopback --passphrase "" \
		--quick-gen-key "parity enc <enc@dupc.invalid>" default default never 2>/dev/null &&
	gpg --batch --pinentry-mode loopback --passphrase "$SPW" \
		--quick-gen-key "parity sign <sign@dupc.invalid>" default default never 2>/dev/null &&
	gpg --with-colons --list-keys enc@dupc.invalid | awk -F: "/^fpr/{print \$10; exit}" >fpr &&
	gpg --with-colons --list-keys sign@dupc.invalid | awk -F: "/^fpr/{print \$10; exit}" >sfpr &&
	mkdir -m 0700 pubring &&
	gpg --export "$(cat fpr)" | GNUPGHOME=$TRASH/pubring gpg --batch --import 2>/dev/null &&
	echo "$(cat fpr):6:" | GNUPGHOME=$TRASH/pubring gpg --batch --import-ownertrust 2>/dev/null &&
	GNUPGHOME=$TRASH/pubring gpg --list-secret-keys 2>/dev/null >secrets &&
	test_line_count secrets = 0 &&
	duplicity full --no-encryption --archive-dir "$TRASH/c0" src "file://$TRASH/t0" >/dev/null 2>&1
'

# --- 1. verify of one file or link -----------------------------------------

for what in d/f d/l; do
	for cd in "" --compare-data; do
		test_expect_success DUPLICITY "verify $cd -r $what against a $(basename $what) as LOCAL" "
			same_rc v1 verify $cd --no-encryption --archive-dir \"\$TRASH/c0\" \
				--file-to-restore $what \"file://\$TRASH/t0\" src/$what &&
			test \"\$(cat rc-v1)\" = \"0 0\" &&
			grep \"^Verify complete\" out-v1-dup >want &&
			grep \"^Verify complete\" out-v1-dupc >got && test_cmp want got
		"
	done
done

test_expect_success DUPLICITY 'verify --compare-data -r of a changed file: both find the difference' '
	cp -p src/d/f keep && echo changed >src/d/f && touch -d @1700000000 src/d/f &&
	same_rc v2 verify --compare-data --no-encryption --archive-dir "$TRASH/c0" \
		--file-to-restore d/f "file://$TRASH/t0" src/d/f;
	rc=$?; cp -p keep src/d/f && test $rc -eq 0 &&
	test "$(cat rc-v2)" = "1 1" &&
	grep "^Verify complete" out-v2-dup >want &&
	grep "^Verify complete" out-v2-dupc >got && test_cmp want got
'

# --- 2. a file as the backup source ------------------------------------------

test_expect_success DUPLICITY 'a file as source: dupc backs it up, duplicity restores it as a file' '
	"$DUPC" full --no-encryption --archive-dir "$TRASH/cf1" one.txt "file://$TRASH/tf1" >/dev/null &&
	duplicity restore --no-encryption --archive-dir "$TRASH/cf1d" "file://$TRASH/tf1" r-f1 \
		>/dev/null 2>&1 &&
	test -f r-f1 && cmp one.txt r-f1 &&
	"$DUPC" verify --compare-data --no-encryption --archive-dir "$TRASH/cf1" \
		"file://$TRASH/tf1" one.txt >out && grep -q "1 file compared, 0 differences" out
'

test_expect_success DUPLICITY 'a file as source: duplicity backs it up, dupc restores it as a file' '
	duplicity full --no-encryption --archive-dir "$TRASH/cf2" one.txt "file://$TRASH/tf2" \
		>/dev/null 2>&1 &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/cf2d" "file://$TRASH/tf2" r-f2 >/dev/null &&
	test -f r-f2 && cmp one.txt r-f2
'

test_expect_success DUPLICITY 'a large file as source, full and incremental, each tool reading the other' '
	head -c 1000 /dev/urandom >tail.bin &&
	for w in dupc dup; do
		if [ $w = dupc ]; then t="$DUPC"; else t=duplicity; fi &&
		cp src/big.bin big && touch -d @1690000000 big &&
		$t full --no-encryption --archive-dir "$TRASH/cb-$w" big "file://$TRASH/tb-$w" \
			>/dev/null 2>&1 &&
		cat tail.bin >>big && touch -d @1690000100 big &&
		$t incremental --no-encryption --archive-dir "$TRASH/cb-$w" big "file://$TRASH/tb-$w" \
			>/dev/null 2>&1 || return 1
	done &&
	duplicity restore --no-encryption --archive-dir "$TRASH/cbr1" "file://$TRASH/tb-dupc" r-b1 \
		>/dev/null 2>&1 && cmp big r-b1 &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/cbr2" "file://$TRASH/tb-dup" r-b2 \
		>/dev/null && cmp big r-b2 &&
	duplicity restore -t 1690000050 --no-encryption --archive-dir "$TRASH/cbr1" \
		"file://$TRASH/tb-dupc" r-b3 >/dev/null 2>&1 && cmp src/big.bin r-b3
'

test_expect_success DUPLICITY 'a source that does not exist: exit 13 from both' '
	test_expect_code 13 "$DUPC" full --no-encryption --archive-dir "$TRASH/cx" nowhere \
		"file://$TRASH/tx" 2>err &&
	test_expect_code 13 duplicity full --no-encryption --archive-dir "$TRASH/cx" nowhere \
		"file://$TRASH/tx" >/dev/null 2>&1
'

# --- 3. passphrases from standard input --------------------------------------

test_expect_success DUPLICITY 'no PASSPHRASE, no terminal: the passphrase is read from a pipe' '
	printf "%s\n%s\n" "$PW" "$PW" |
		setsid -w "$DUPC" full --archive-dir "$TRASH/cp1" src "file://$TRASH/tp1" \
		>out 2>err &&
	grep -q "GnuPG passphrase for decryption:" err &&
	grep -q "Retype passphrase for decryption to confirm:" err &&
	! grep -q "$PW" out err &&
	printf "%s\n" "$PW" | setsid -w duplicity restore --archive-dir "$TRASH/cp1d" \
		"file://$TRASH/tp1" r-p1 >/dev/null 2>&1 &&
	diff -r src r-p1 &&
	printf "%s\n%s\n" "$PW" "$PW" |
		setsid -w duplicity full --archive-dir "$TRASH/cp2" src "file://$TRASH/tp2" \
		>/dev/null 2>&1 &&
	printf "%s\n" "$PW" | setsid -w "$DUPC" restore --archive-dir "$TRASH/cp2d" \
		"file://$TRASH/tp2" r-p2 >out 2>err &&
	! grep -q "$PW" out err && diff -r src r-p2
'

test_expect_success DUPLICITY 'the signing key passphrase comes from the pipe too, asked once' '
	printf "%s\n" "$SPW" | setsid -w "$DUPC" full --encrypt-key "$(cat fpr)" \
		--sign-key "$(cat sfpr)" --archive-dir "$TRASH/cs1" src "file://$TRASH/ts1" \
		>out 2>err &&
	grep -q "GnuPG passphrase for signing key:" err && ! grep -q "$SPW" out err &&
	printf "%s\n" "$SPW" | setsid -w duplicity full --encrypt-key "$(cat fpr)" \
		--sign-key "$(cat sfpr)" --archive-dir "$TRASH/cs2" src "file://$TRASH/ts2" \
		>/dev/null 2>&1 &&
	for t in ts1 ts2; do
		PASSPHRASE= "$DUPC" restore --encrypt-key "$(cat fpr)" --sign-key "$(cat sfpr)" \
			--archive-dir "$TRASH/c-$t" "file://$TRASH/$t" r-$t >/dev/null &&
		diff -r src r-$t || return 1
	done
'

test_expect_success DUPLICITY 'a wrong signing passphrase from the pipe: exit 31' '
	printf "wrong\n" | setsid -w "$DUPC" full --encrypt-key "$(cat fpr)" \
		--sign-key "$(cat sfpr)" --archive-dir "$TRASH/cs3" src "file://$TRASH/ts3" \
		>out 2>err;
	test $? -eq 31 && grep -q "bad passphrase" err
'

# --- 4. resuming a public-key backup without the secret key ------------------

wo() { GNUPGHOME=$TRASH/pubring "$@"; }

test_expect_success DUPLICITY 'write-only: a run killed after volume 2 is resumed by dupc' '
	mkdir -p wsrc && head -c 3500000 /dev/urandom >wsrc/big.bin && echo s >wsrc/small &&
	wo env DUPC_FAULT_POINT=volume-uploaded:2 "$DUPC" full --volsize 1 \
		--encrypt-key "$(cat fpr)" --archive-dir "$TRASH/cw1" wsrc "file://$TRASH/tw1" \
		>/dev/null 2>&1; test $? -eq 137 &&
	wo "$DUPC" --volsize 1 --encrypt-key "$(cat fpr)" --archive-dir "$TRASH/cw1" wsrc \
		"file://$TRASH/tw1" >out &&
	grep -q "^Restarting after volume 1" out &&
	PASSPHRASE= duplicity restore --encrypt-key "$(cat fpr)" --archive-dir "$TRASH/cw1r" \
		"file://$TRASH/tw1" r-w1 >/dev/null 2>&1 </dev/null && diff -r wsrc r-w1
'

test_expect_success DUPLICITY 'write-only: dupc resumes what duplicity left, duplicity what dupc left' '
	wo duplicity full --volsize 1 --encrypt-key "$(cat fpr)" --fail-on-volume 2 \
		--archive-dir "$TRASH/cw2" wsrc "file://$TRASH/tw2" >/dev/null 2>&1 </dev/null;
	test -f tw2/duplicity-full.*.vol2.difftar.gpg &&
	wo "$DUPC" --volsize 1 --encrypt-key "$(cat fpr)" --archive-dir "$TRASH/cw2" wsrc \
		"file://$TRASH/tw2" >out &&
	grep -q "^Restarting after volume 2" out &&
	wo env DUPC_FAULT_POINT=volume-uploaded:3 "$DUPC" full --volsize 1 \
		--encrypt-key "$(cat fpr)" --archive-dir "$TRASH/cw3" wsrc "file://$TRASH/tw3" \
		>/dev/null 2>&1; test $? -eq 137 &&
	wo duplicity --volsize 1 --encrypt-key "$(cat fpr)" --archive-dir "$TRASH/cw3" wsrc \
		"file://$TRASH/tw3" >out 2>&1 </dev/null &&
	grep -q "Restarting after volume" out &&
	for t in tw2 tw3; do
		PASSPHRASE= "$DUPC" restore --encrypt-key "$(cat fpr)" --archive-dir "$TRASH/c-$t" \
			"file://$TRASH/$t" r-$t >/dev/null && diff -r wsrc r-$t || return 1
	done
'

# --- 6. the lockfile ---------------------------------------------------------

test_expect_success DUPLICITY 'no lockfile is left in the archive dir, as with duplicity' '
	"$DUPC" full --no-encryption --archive-dir "$TRASH/cl1" src "file://$TRASH/tl1" >/dev/null &&
	duplicity full --no-encryption --archive-dir "$TRASH/cl2" src "file://$TRASH/tl2" \
		>/dev/null 2>&1 &&
	"$DUPC" collection-status --archive-dir "$TRASH/cl1" "file://$TRASH/tl1" >/dev/null &&
	test_expect_code 11 "$DUPC" restore --no-encryption --archive-dir "$TRASH/cl1" \
		"file://$TRASH/tl1" src 2>/dev/null &&
	ls cl1/*/ | sed "s/[0-9]\{8\}T[0-9]\{6\}Z/T/" >got &&
	ls cl2/*/ | sed "s/[0-9]\{8\}T[0-9]\{6\}Z/T/" >want &&
	test_cmp want got && ! ls cl1/*/lockfile 2>/dev/null
'

# --- 7. replicate ------------------------------------------------------------

test_expect_success DUPLICITY 'setup: a plain chain of two sets written by duplicity' '
	mkdir -p rsrc && echo one >rsrc/a && head -c 200000 /dev/urandom >rsrc/b &&
	touch -d @1690000000 rsrc/a rsrc/b &&
	duplicity full --no-encryption --archive-dir "$TRASH/cr" rsrc "file://$TRASH/plain" \
		>/dev/null 2>&1 && cp -a rsrc rsrc-full && sleep 1 &&
	echo two >>rsrc/a && touch -d @1690000100 rsrc/a &&
	duplicity incremental --no-encryption --archive-dir "$TRASH/cr" rsrc \
		"file://$TRASH/plain" >/dev/null 2>&1 && sleep 1
'

test_expect_success DUPLICITY 'dupc replicates plain to encrypted; duplicity restores it' '
	PASSPHRASE=$PW "$DUPC" replicate --archive-dir "$TRASH/crd" "file://$TRASH/plain" \
		"file://$TRASH/enc-dupc" >out &&
	ls enc-dupc >names && test_line_count names = 6 && ! grep -v "\.gpg$" names &&
	PASSPHRASE=$PW duplicity restore --archive-dir "$TRASH/crr1" "file://$TRASH/enc-dupc" \
		r-r1 >/dev/null 2>&1 && diff -r rsrc r-r1 &&
	PASSPHRASE=$PW "$DUPC" replicate --archive-dir "$TRASH/crd" "file://$TRASH/plain" \
		"file://$TRASH/enc-dupc" >out2 && ! grep -q Replicating out2
'

test_expect_success DUPLICITY 'duplicity replicates to encrypted, dupc replicates that back to plain' '
	PASSPHRASE=$PW duplicity replicate --archive-dir "$TRASH/crd2" "file://$TRASH/plain" \
		"file://$TRASH/enc-dup" >/dev/null 2>&1 &&
	PASSPHRASE=$PW "$DUPC" replicate --no-encryption --archive-dir "$TRASH/crd3" \
		"file://$TRASH/enc-dup" "file://$TRASH/plain-back" >/dev/null &&
	ls plain-back >names && test_line_count names = 6 && ! grep "\.gpg$" names &&
	duplicity restore --no-encryption --archive-dir "$TRASH/crr2" "file://$TRASH/plain-back" \
		r-r2 >/dev/null 2>&1 && diff -r rsrc r-r2 &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/crr3" "file://$TRASH/plain-back" \
		r-r3 >/dev/null && diff -r rsrc r-r3
'

test_expect_success DUPLICITY 'duplicity replicates what dupc replicated; dupc restores it' '
	PASSPHRASE=$PW duplicity replicate --no-encryption --archive-dir "$TRASH/crd4" \
		"file://$TRASH/enc-dupc" "file://$TRASH/plain-dup" >/dev/null 2>&1 &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/crr4" "file://$TRASH/plain-dup" \
		r-r4 >/dev/null && diff -r rsrc r-r4
'

test_expect_success DUPLICITY 'replicate -t copies only the sets older than the time' '
	inc=$(ls plain | sed -n "s/^duplicity-inc\.[^.]*\.to\.\([0-9TZ]*\)\.manifest$/\1/p") &&
	PASSPHRASE=$PW "$DUPC" replicate -t "$inc" --archive-dir "$TRASH/crd5" \
		"file://$TRASH/plain" "file://$TRASH/enc-t" >/dev/null &&
	ls enc-t >names && test_line_count names = 3 && ! grep -q duplicity-inc names &&
	PASSPHRASE=$PW duplicity replicate -t "$inc" --archive-dir "$TRASH/crd6" \
		"file://$TRASH/plain" "file://$TRASH/enc-t2" >/dev/null 2>&1 &&
	ls enc-t2 >names2 && test_cmp names names2 &&
	PASSPHRASE=$PW duplicity restore --archive-dir "$TRASH/crr5" "file://$TRASH/enc-t" \
		r-r5 >/dev/null 2>&1 && diff -r rsrc-full r-r5
'

# --- 8. --short-filenames and --old-filenames ---------------------------------

for opt in --short-filenames --old-filenames; do
	test_expect_success DUPLICITY "$opt: the same names as duplicity, and each reads the other's" "
		rm -rf ns && mkdir ns && echo a >ns/a && touch -d @1690000000 ns/a &&
		for w in dupc dup; do
			if [ \$w = dupc ]; then t=\"\$DUPC\"; else t=duplicity; fi &&
			TZ=Europe/Berlin \$t full $opt --no-encryption --archive-dir \"\$TRASH/cn-\$w$opt\" \
				ns \"file://\$TRASH/tn-\$w$opt\" >\"out-\$w\" 2>&1 &&
			grep -q \"Warning: Option $opt is pending deprecation\" \"out-\$w\" &&
			sleep 1 && echo b >>ns/a && touch -d @1690000100 ns/a &&
			TZ=Europe/Berlin \$t incremental $opt --no-encryption \
				--archive-dir \"\$TRASH/cn-\$w$opt\" ns \"file://\$TRASH/tn-\$w$opt\" \
				>/dev/null 2>&1 &&
			echo a >ns/a && touch -d @1690000000 ns/a || return 1
		done &&
		ls tn-dupc$opt | sed -e 's/[0-9a-z]\\{6\\}/T/g' -e 's/[-0-9T:+]\\{25\\}/T/g' >got &&
		ls tn-dup$opt | sed -e 's/[0-9a-z]\\{6\\}/T/g' -e 's/[-0-9T:+]\\{25\\}/T/g' >want &&
		test_cmp want got && test_line_count got = 6 &&
		echo b >>ns/a && touch -d @1690000100 ns/a &&
		\"\$DUPC\" restore --no-encryption --archive-dir \"\$TRASH/cnr1$opt\" \
			\"file://\$TRASH/tn-dup$opt\" r-n1$opt >/dev/null && diff -r ns r-n1$opt &&
		duplicity restore $opt --no-encryption --archive-dir \"\$TRASH/cnr2$opt\" \
			\"file://\$TRASH/tn-dupc$opt\" r-n2$opt >/dev/null 2>&1 && diff -r ns r-n2$opt
	"
done

test_done
