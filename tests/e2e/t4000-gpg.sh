#!/usr/bin/env bash
# GnuPG: dupc reads duplicity's encrypted chains and duplicity reads dupc's,
# symmetric and public-key (signed), with passphrases only ever given to
# gpgme's callback; wrong passphrases, missing keys and damaged volumes are
# clear one-line errors that leave the destination untouched.
. "$(dirname "$0")/lib.sh"

V=$VECTORS/duplicity-0.8.22
PW=dupc-test-passphrase

test_expect_success 'setup: a throwaway key pair (encryption and signing)' '
	cat >"$GNUPGHOME/gpg.conf" <<-\EOT &&
	s2k-count 65536
	EOT
	gpg --batch --pinentry-mode loopback --passphrase "" \
		--quick-gen-key "dupc test <test@dupc.invalid>" ed25519 sign never 2>/dev/null &&
	fpr=$(gpg --with-colons --list-keys test@dupc.invalid | awk -F: "/^fpr/{print \$10; exit}") &&
	gpg --batch --pinentry-mode loopback --passphrase "" \
		--quick-add-key "$fpr" cv25519 encr never 2>/dev/null &&
	echo "$fpr" >fpr && test -n "$(cat fpr)"
'

for t in 20231114T221320Z 20231114T221500Z 20231114T221640Z; do
	test_expect_success VECTORS "dupc restores duplicity's b-gpg chain at $t" "
		PASSPHRASE=\$PW \"\$DUPC\" restore --archive-dir \"\$TRASH/c-$t\" -t $t \
			\"file://\$V/b-gpg/remote\" out-$t >/dev/null &&
		listing out-$t >got &&
		test_cmp \"\$V/b-gpg/expected/$t.txt\" got
	"
done

test_expect_success VECTORS 'dupc restores the b-gpg --file-to-restore case' '
	PASSPHRASE=$PW "$DUPC" restore --archive-dir "$TRASH/c-ftr" -t 1700000100 \
		--file-to-restore type-change "file://$V/b-gpg/remote" ftr >out &&
	listing ftr >got &&
	test_cmp "$V/b-gpg/expected/file-to-restore-type-change-20231114T221500Z.txt" got &&
	sed -e "/^\[exit/d" "$V/transcripts/b-restore-file-to-restore.txt" >expect &&
	test_cmp expect out
'

test_expect_success VECTORS 'dupc writes a symmetric chain (AES256, MDC, compressed)' '
	make_tree src &&
	PASSPHRASE=$PW "$DUPC" full --archive-dir "$TRASH/cs" --current-time 1700000000 \
		src "file://$TRASH/sym" >/dev/null &&
	sh "$VECTORS/mutate-1.sh" src &&
	PASSPHRASE=$PW "$DUPC" --archive-dir "$TRASH/cs" --current-time 1700000100 \
		src "file://$TRASH/sym" >/dev/null &&
	sh "$VECTORS/mutate-2.sh" src &&
	PASSPHRASE=$PW "$DUPC" --archive-dir "$TRASH/cs" --current-time 1700000200 \
		src "file://$TRASH/sym" >/dev/null &&
	ls sym >names && ls "$V/b-gpg/remote" >expect && test_cmp expect names &&
	gpg --batch --list-packets --pinentry-mode loopback --passphrase $PW \
		sym/duplicity-full.20231114T221320Z.vol1.difftar.gpg >packets 2>&1 &&
	grep -q "cipher 9" packets && grep -q "mdc_method: 2" packets &&
	grep -q "compressed packet" packets &&
	test -f "$TRASH/cs/"*/duplicity-full.20231114T221320Z.manifest &&
	test -f "$TRASH/cs/"*/duplicity-full-signatures.20231114T221320Z.sigtar.gz
'

for t in 20231114T221320Z 20231114T221500Z 20231114T221640Z; do
	test_expect_success VECTORS,DUPLICITY "duplicity restores dupc's symmetric chain at $t" "
		PASSPHRASE=\$PW duplicity restore --archive-dir \"\$TRASH/d-$t\" -t $t \
			\"file://\$TRASH/sym\" dout-$t >/dev/null 2>&1 &&
		listing dout-$t >got &&
		test_cmp \"\$V/a-plain/expected/$t.txt\" got
	"
done

test_expect_success VECTORS,DUPLICITY 'public key, signed: duplicity restores dupc'"'"'s set' '
	rm -rf pk && make_tree pksrc && listing pksrc >want &&
	"$DUPC" full --encrypt-key "$(cat fpr)" --sign-key "$(cat fpr)" \
		--archive-dir "$TRASH/cpk" pksrc "file://$TRASH/pk" >/dev/null &&
	PASSPHRASE= duplicity restore --encrypt-key "$(cat fpr)" --sign-key "$(cat fpr)" \
		--archive-dir "$TRASH/dpk" "file://$TRASH/pk" pkout >/dev/null 2>&1 &&
	listing pkout >got && test_cmp want got
'

test_expect_success VECTORS,DUPLICITY 'public key, signed: dupc restores duplicity'"'"'s set' '
	PASSPHRASE= SIGN_PASSPHRASE= duplicity full --encrypt-key "$(cat fpr)" \
		--sign-key "$(cat fpr)" --archive-dir "$TRASH/dpk2" pksrc "file://$TRASH/pk2" \
		>/dev/null 2>&1 &&
	"$DUPC" restore --encrypt-key "$(cat fpr)" --sign-key "$(cat fpr)" \
		--archive-dir "$TRASH/cpk2" "file://$TRASH/pk2" pkout2 >/dev/null &&
	listing pkout2 >got && test_cmp want got
'

test_expect_success VECTORS 'a public-key incremental needs no passphrase, only the archive dir' '
	echo more >>pksrc/small.txt && touch -d @1690009000 pksrc/small.txt &&
	"$DUPC" --encrypt-key "$(cat fpr)" --archive-dir "$TRASH/cpk" \
		pksrc "file://$TRASH/pk" </dev/null >out &&
	grep -q "^ChangedFiles 1$" out
'

test_expect_success VECTORS 'restore checks the signature when --sign-key is given' '
	"$DUPC" full --no-encryption --archive-dir "$TRASH/cu" --current-time 1700000000 \
		pksrc "file://$TRASH/unsigned-src" >/dev/null &&
	PASSPHRASE=$PW "$DUPC" full --archive-dir "$TRASH/cu2" pksrc "file://$TRASH/unsigned" >/dev/null &&
	test_must_fail env PASSPHRASE=$PW "$DUPC" restore --sign-key "$(cat fpr)" \
		--archive-dir "$TRASH/cu3" "file://$TRASH/unsigned" us-out 2>err &&
	test_line_count err = 1 &&
	grep -qi "sign" err
'

test_expect_success VECTORS 'a wrong passphrase: one line, exit 31, nothing restored' '
	test_expect_code 31 env PASSPHRASE=wrong "$DUPC" restore --archive-dir "$TRASH/cw" \
		"file://$V/b-gpg/remote" wrong-out 2>err &&
	test_line_count err = 1 &&
	grep -qi "passphrase" err &&
	! grep -q wrong err &&
	test -z "$(ls -A wrong-out 2>/dev/null)"
'

test_expect_success VECTORS 'a missing secret key: one line naming it' '
	mv "$GNUPGHOME" "$TRASH/gnupg-saved" && mkdir -m 0700 "$GNUPGHOME" &&
	test_must_fail env PASSPHRASE= "$DUPC" restore --archive-dir "$TRASH/cm" \
		"file://$TRASH/pk" mk-out 2>err &&
	rm -rf "$GNUPGHOME" && mv "$TRASH/gnupg-saved" "$GNUPGHOME" &&
	test_line_count err = 1 &&
	grep -qi "secret key" err &&
	test -z "$(ls -A mk-out 2>/dev/null)"
'

test_expect_success VECTORS 'a missing public key for --encrypt-key: one line, nothing uploaded' '
	test_must_fail "$DUPC" full --encrypt-key 0123456789ABCDEF0123456789ABCDEF01234567 \
		--archive-dir "$TRASH/cnk" pksrc "file://$TRASH/nokey" 2>err &&
	test_line_count err = 1 &&
	grep -qi "public key" err &&
	test -z "$(ls -A nokey 2>/dev/null)"
'

test_expect_success VECTORS 'a corrupted .gpg volume is refused by hash, naming it' '
	cp -r sym symbad &&
	vol=symbad/duplicity-full.20231114T221320Z.vol1.difftar.gpg &&
	printf "\\377\\377" | dd of=$vol bs=1 seek=100 conv=notrunc 2>/dev/null &&
	test_expect_code 21 env PASSPHRASE=$PW "$DUPC" restore --archive-dir "$TRASH/cb" \
		"file://$TRASH/symbad" bad-out 2>err &&
	test_line_count err = 1 &&
	grep -q "vol1.difftar.gpg" err
'

test_expect_success 'no passphrase and no terminal: a clear error before touching the target' '
	mkdir -p s1 && echo x >s1/f &&
	test_expect_code 31 "$DUPC" full --archive-dir "$TRASH/cn" s1 "file://$TRASH/nopass" \
		</dev/null 2>err &&
	test_line_count err = 1 &&
	grep -q PASSPHRASE err &&
	! test -e nopass
'

test_expect_success 'on a terminal, a new backup asks for the passphrase twice' '
	command -v script >/dev/null &&
	# typed after the prompts, as a user would, so echo is already off
	{ sleep 1; printf "tty-pass\n"; sleep 1; printf "tty-pass\n"; sleep 1; } |
		script -q -e -c "\"$DUPC\" full --archive-dir \"$TRASH/ct\" s1 \"file://$TRASH/ttyt\"" \
		/dev/null >tty.out 2>&1 &&
	grep -q "GnuPG passphrase for decryption:" tty.out &&
	grep -q "Retype passphrase for decryption to confirm:" tty.out &&
	! grep -q tty-pass tty.out &&
	PASSPHRASE=tty-pass "$DUPC" restore --archive-dir "$TRASH/ct2" \
		"file://$TRASH/ttyt" tty-restored >/dev/null &&
	cmp s1/f tty-restored/f
'

test_expect_success VECTORS 'passphrases never reach a child'"'"'s argv or environment' '
	# every gpg run goes through a wrapper that records its argv and
	# environment (gpg-agent, started by gpg, inherits the latter)
	cat >spy-gpg <<-EOF &&
	#!/bin/sh
	{ printf "argv: %s\n" "\$@"; env; } >>"$TRASH/children"
	exec gpg "\$@"
	EOF
	chmod +x spy-gpg &&
	# symmetric: OpenPGP in the process, no child at all
	PASSPHRASE=secret-in-env-42 "$DUPC" full --archive-dir "$TRASH/cspy" \
		--gpg-binary "$TRASH/spy-gpg" src "file://$TRASH/spy" >/dev/null &&
	PASSPHRASE=secret-in-env-42 "$DUPC" restore --archive-dir "$TRASH/cspy" \
		--gpg-binary "$TRASH/spy-gpg" "file://$TRASH/spy" spy-out &&
	! test -e children &&
	# signing and checking signatures are gpg'"'"'s, with the passphrase
	PASSPHRASE=secret-in-env-42 "$DUPC" full --sign-key "$(cat fpr)" \
		--archive-dir "$TRASH/cspy2" --gpg-binary "$TRASH/spy-gpg" \
		src "file://$TRASH/spy2" >/dev/null &&
	PASSPHRASE=secret-in-env-42 "$DUPC" restore --sign-key "$(cat fpr)" \
		--archive-dir "$TRASH/cspy3" --gpg-binary "$TRASH/spy-gpg" \
		"file://$TRASH/spy2" spy-out2 &&
	grep -q "^argv: --symmetric" children &&
	grep -q "^argv: --decrypt" children &&
	! grep -q secret-in-env-42 children
'

test_done
