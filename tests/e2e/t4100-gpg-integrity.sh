#!/usr/bin/env bash
# Encrypted sets dupc writes in every mode (symmetric, public key, public
# key + signing, hidden recipient) restore with duplicity at every time,
# and mixed chains restore with both tools.  A damaged volume whose
# manifest hash still matches (so only the OpenPGP integrity check can
# catch it: a flipped byte in the middle, a cut) fails in one line before
# anything of it is written.  A restore of a long chain fetches only the
# volumes holding the wanted path.
. "$(dirname "$0")/lib.sh"

V=$VECTORS/duplicity-0.8.22
PW=dupc-test-passphrase
T0=20231114T221320Z T1=20231114T221500Z T2=20231114T221640Z

test_expect_success 'setup: two key pairs, a tree' '
	for who in a b; do
		gpg --batch --pinentry-mode loopback --passphrase "" \
			--quick-gen-key "dupc $who <$who@dupc.invalid>" ed25519 sign never 2>/dev/null &&
		fpr=$(gpg --with-colons --list-keys $who@dupc.invalid | awk -F: "/^fpr/{print \$10; exit}") &&
		gpg --batch --pinentry-mode loopback --passphrase "" \
			--quick-add-key "$fpr" cv25519 encr never 2>/dev/null &&
		echo "$fpr" >fpr-$who || return 1
	done &&
	make_tree src0
'

# write_chain NAME OPTIONS...: a full and two incrementals of the vectors'
# tree at the vectors' times, into file://$TRASH/NAME
write_chain() {
	local name=$1; shift
	rm -rf "src-$name" && cp -a src0 "src-$name" &&
	"$DUPC" full "$@" --archive-dir "$TRASH/c-$name" --current-time 1700000000 \
		"src-$name" "file://$TRASH/$name" >/dev/null &&
	sh "$VECTORS/mutate-1.sh" "src-$name" &&
	"$DUPC" incremental "$@" --archive-dir "$TRASH/c-$name" --current-time 1700000100 \
		"src-$name" "file://$TRASH/$name" >/dev/null &&
	sh "$VECTORS/mutate-2.sh" "src-$name" &&
	"$DUPC" incremental "$@" --archive-dir "$TRASH/c-$name" --current-time 1700000200 \
		"src-$name" "file://$TRASH/$name" >/dev/null
}

# duplicity restores NAME at every time: OPTIONS are duplicity's
dup_restores() {
	local name=$1; shift
	for t in $T0 $T1 $T2; do
		rm -rf "d-$name-$t" &&
		duplicity restore "$@" --archive-dir "$TRASH/da-$name-$t" -t $t \
			"file://$TRASH/$name" "d-$name-$t" >/dev/null 2>&1 &&
		listing "d-$name-$t" >got &&
		test_cmp "$V/a-plain/expected/$t.txt" got || return 1
	done
}

test_expect_success VECTORS,DUPLICITY,UNSANITIZED 'public key: duplicity restores dupc'"'"'s chain at every time' '
	write_chain pk --encrypt-key "$(cat fpr-a)" &&
	gpg --batch --list-packets "pk/duplicity-full.$T0.vol1.difftar.gpg" >packets 2>&1 &&
	grep -q "pubkey enc packet: version 3" packets &&
	! grep -q "keyid 0000000000000000" packets &&
	PASSPHRASE= dup_restores pk --encrypt-key "$(cat fpr-a)"
'

test_expect_success VECTORS,DUPLICITY,UNSANITIZED 'public key + signing: duplicity restores dupc'"'"'s chain at every time' '
	write_chain pks --encrypt-key "$(cat fpr-a)" --sign-key "$(cat fpr-a)" &&
	PASSPHRASE= dup_restores pks --encrypt-key "$(cat fpr-a)" --sign-key "$(cat fpr-a)"
'

test_expect_success VECTORS,DUPLICITY,UNSANITIZED 'hidden recipient: zero key ids, duplicity restores dupc'"'"'s chain' '
	write_chain hid --encrypt-key "$(cat fpr-a)" --hidden-encrypt-key "$(cat fpr-b)" &&
	gpg --batch --list-packets "hid/duplicity-full.$T0.vol1.difftar.gpg" >packets 2>&1 &&
	test $(grep -c "pubkey enc packet" packets) = 2 &&
	test $(grep -c "keyid 0000000000000000" packets) = 1 &&
	PASSPHRASE= dup_restores hid --encrypt-key "$(cat fpr-a)"
'

test_expect_success VECTORS 'hidden recipient only: dupc restores with that key alone' '
	write_chain hid2 --hidden-encrypt-key "$(cat fpr-b)" &&
	# gpg tries key a first and says so in its exit status
	{ gpg --batch --list-packets "hid2/duplicity-inc.$T0.to.$T1.vol1.difftar.gpg" >packets 2>&1 || :; } &&
	grep -q "keyid 0000000000000000" packets &&
	grep -q "literal data packet" packets &&
	mkdir -m 0700 "$TRASH/gh-b" &&
	gpg --batch --pinentry-mode loopback --passphrase "" \
		--export-secret-keys "$(cat fpr-b)" >b.sec &&
	GNUPGHOME="$TRASH/gh-b" gpg --batch --import b.sec 2>/dev/null &&
	GNUPGHOME="$TRASH/gh-b" PASSPHRASE= "$DUPC" restore --archive-dir "$TRASH/r-hid2" \
		"file://$TRASH/hid2" hid2-out >/dev/null &&
	GNUPGHOME="$TRASH/gh-b" gpgconf --kill gpg-agent &&
	listing hid2-out >got &&
	test_cmp "$V/a-plain/expected/$T2.txt" got
'

test_expect_success VECTORS,DUPLICITY,UNSANITIZED 'mixed: duplicity'"'"'s symmetric full, dupc'"'"'s incrementals, both restore' '
	rm -rf mix && mkdir mix &&
	cp "$V/b-gpg/remote/duplicity-full.$T0."* "$V/b-gpg/remote/duplicity-full-signatures.$T0."* mix/ &&
	cp -a src0 src-mix &&
	sh "$VECTORS/mutate-1.sh" src-mix &&
	PASSPHRASE=$PW "$DUPC" incremental --allow-source-mismatch --archive-dir "$TRASH/c-mix" \
		--current-time 1700000100 src-mix "file://$TRASH/mix" >/dev/null &&
	sh "$VECTORS/mutate-2.sh" src-mix &&
	PASSPHRASE=$PW "$DUPC" incremental --allow-source-mismatch --archive-dir "$TRASH/c-mix" \
		--current-time 1700000200 src-mix "file://$TRASH/mix" >/dev/null &&
	PASSPHRASE=$PW dup_restores mix &&
	for t in $T0 $T1 $T2; do
		rm -rf "m-$t" &&
		PASSPHRASE=$PW "$DUPC" restore --archive-dir "$TRASH/r-mix-$t" -t $t \
			"file://$TRASH/mix" "m-$t" >/dev/null &&
		listing "m-$t" >got &&
		test_cmp "$V/a-plain/expected/$t.txt" got || return 1
	done
'

# damage NAME VOLFILE HOW: damage a copy of NAME's volume and write the
# damaged volume's SHA-1 into the archive dir's manifest, so that only
# the decryption can tell
damage() {
	local name=$1 vol=$2 how=$3 size new old
	rm -rf "$name-bad" "c-$name-bad" &&
	cp -a "$name" "$name-bad" && cp -a "c-$name" "c-$name-bad" &&
	size=$(stat -c %s "$name-bad/$vol") &&
	case $how in
	flip) printf "\\125" | dd of="$name-bad/$vol" bs=1 seek=$((size / 2)) \
		conv=notrunc 2>/dev/null ;;
	cut) truncate -s $((size / 2)) "$name-bad/$vol" ;;
	esac &&
	old=$(sha1sum "$name/$vol" | cut -d" " -f1) &&
	new=$(sha1sum "$name-bad/$vol" | cut -d" " -f1) &&
	sed -i "s/$old/$new/" "c-$name-bad"/*/*.manifest &&
	grep -rq "$new" "c-$name-bad"
}

test_expect_success 'symmetric and public-key sets with a big first volume' '
	rm -rf sym c-sym pkd c-pkd && mkdir -p symsrc &&
	head -c 3000000 /dev/urandom >symsrc/random.bin &&
	seq 1 200000 >symsrc/numbers.txt &&
	PASSPHRASE=$PW "$DUPC" full --archive-dir "$TRASH/c-sym" symsrc "file://$TRASH/sym" >/dev/null &&
	"$DUPC" full --encrypt-key "$(cat fpr-a)" --archive-dir "$TRASH/c-pkd" \
		symsrc "file://$TRASH/pkd" >/dev/null &&
	ls sym/*.vol1.difftar.gpg pkd/*.vol1.difftar.gpg >vol && test_line_count vol = 2
'

for how in flip cut; do
	for mode in sym pkd; do
		test_expect_success "$mode: a volume with a $how byte fails in one line, nothing written" "
			vol=\$(basename $mode/*.vol1.difftar.gpg) &&
			damage $mode \$vol $how &&
			rm -rf out-$mode-$how &&
			test_expect_code 31 env PASSPHRASE=\$PW \"\$DUPC\" restore \
				--archive-dir \"\$TRASH/c-$mode-bad\" --name \$(ls c-$mode-bad) \
				\"file://\$TRASH/$mode-bad\" out-$mode-$how 2>err &&
			test_line_count err = 1 &&
			grep -q \"\$vol\" err &&
			grep -qi \"corrupt\\|damaged\\|cut short\\|truncated\\|decrypt\" err &&
			test -z \"\$(find out-$mode-$how -type f 2>/dev/null)\"
		"
	done
done

test_expect_success VECTORS 'a chain of many sets restores, fetching only what holds the path' '
	rm -rf long c-long && mkdir -p lsrc/keep lsrc/other &&
	seq 1 1000 >lsrc/keep/base.txt &&
	head -c 2500000 /dev/urandom >lsrc/other/blob &&
	PASSPHRASE=$PW "$DUPC" full --volsize 1 --archive-dir "$TRASH/c-long" \
		--current-time 1700000000 lsrc "file://$TRASH/long" >/dev/null &&
	for i in $(seq 1 12); do
		echo "round $i" >>lsrc/keep/base.txt &&
		head -c 2500000 /dev/urandom >lsrc/other/blob &&
		# the same size within the same second would look unchanged
		touch -d @$((1690000000 + i)) lsrc/keep/base.txt lsrc/other/blob &&
		PASSPHRASE=$PW "$DUPC" incremental --volsize 1 --archive-dir "$TRASH/c-long" \
			--current-time $((1700000000 + i * 100)) lsrc "file://$TRASH/long" \
			>/dev/null || return 1
	done &&
	PASSPHRASE=$PW "$DUPC" restore --archive-dir "$TRASH/c-long" \
		"file://$TRASH/long" long-out >/dev/null &&
	diff -r lsrc long-out &&
	# the volumes that hold only other/ are not needed for keep/: remove
	# them and restore keep/ alone
	for m in "$TRASH"/c-long/*/*.manifest; do
		awk "/^Volume /{v=\$2; sub(/:/, \"\", v)} /StartingPath/{s=\$2} /EndingPath/{ if (s ~ /^other/ && \$2 ~ /^other/) print v}" "$m" |
		while read -r v; do
			set=$(basename "$m" .manifest) &&
			rm -f "long/$set.vol$v.difftar.gpg" || exit 1
		done || return 1
	done &&
	ls long | grep -c difftar >left &&
	test $(cat left) -lt $(grep -c "^Volume " "$TRASH"/c-long/*/*.manifest | awk -F: "{n+=\$2} END {print n}") &&
	PASSPHRASE=$PW "$DUPC" restore --file-to-restore keep --archive-dir "$TRASH/c-long" \
		"file://$TRASH/long" keep-out >/dev/null &&
	diff -r lsrc/keep keep-out
'

test_done
