#!/usr/bin/env bash
# multi://: a mirror over two file:// stores and one mf:// store (the
# bundled emulator), and a stripe over three, configured as duplicity's
# multi backend reads it.  A mirror restores identically with a store
# gone; a store that fails during a backup (onfail=continue) is filled in
# by the next run; each store's env entries are its own; duplicity 0.8.22
# restores dupc's mirror and stripe sets from the same configuration and
# dupc restores duplicity's; collection-status and verify work through it.
. "$(dirname "$0")/lib.sh"

if [ ! -f "$MFEMU" ]; then
	test_skip_all "mfemu not found (set MFEMU)"
fi

export DUPC_MF_POLL_INTERVAL=0.01

# mirror.json: two folders and a MediaFire account whose password is
# that store's own env entry (nothing in the process's environment).
write_mirror() {
	cat >mirror.json <<-EOF
	[
	 {"url": "file://$TRASH/m1", "description": "first disk"},
	 {"url": "file://$TRASH/m2"},
	 {"url": "mf://u%40example.com@mediafire.com/mirror",
	  "description": "cloud",
	  "env": [{"name": "FTP_PASSWORD", "value": "store secret"},
	          {"name": "DUPC_MF_API_ROOT", "value": "$MF_ROOT"}]}
	]
	EOF
}

test_expect_success 'start the emulator' '
	start_mfemu --account "u@example.com:store secret" &&
	write_mirror &&
	cat >stripe.json <<-EOF
	[{"url": "file://$TRASH/s1"}, {"url": "file://$TRASH/s2"},
	 {"url": "file://$TRASH/s3"}]
	EOF
'

test_expect_success 'mirror: full, incrementals and restores of each time' '
	backend_cycle "multi://$TRASH/mirror.json?mode=mirror" \
		--no-encryption --volsize 1 &&
	test "$(ls m1 | sort)" = "$(ls m2 | sort)" &&
	test -z "${FTP_PASSWORD-}" && test -z "${DUPC_MF_API_ROOT-}"
'

test_expect_success 'mirror: every store holds every file, the cloud too' '
	ls m1 | sort >m1.ls &&
	FTP_PASSWORD="store secret" DUPC_MF_API_ROOT=$MF_ROOT \
		"$DUPC" collection-status --no-encryption --archive-dir "$TRASH/c-mf" \
		"mf://u%40example.com@mediafire.com/mirror" >mf.st &&
	grep -q "Number of contained backup sets: 3" mf.st
'

test_expect_success 'mirror: a store gone entirely, the others restore identically' '
	rm -rf m1 &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-gone" \
		"multi://$TRASH/mirror.json?mode=mirror" gone >/dev/null &&
	diff -r cycle.1/at3 gone
'

test_expect_success 'mirror: a damaged copy is passed over for an intact one' '
	vol=$(ls m2 | grep "\.vol1\.difftar\.gz$" | head -1) &&
	mkdir -p m1 && cp m2/* m1/ &&
	printf XXXXXXXX | dd of="m1/$vol" bs=1 seek=4000 conv=notrunc 2>/dev/null &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-dmg" \
		-t 1700000100 "multi://$TRASH/mirror.json?mode=mirror" dmg >dmg.out 2>&1 &&
	diff -r cycle.1/at1 dmg &&
	grep -q "$vol on store #1 (first disk) does not match its manifest" dmg.out
'

test_expect_success 'onfail=continue: a failing store is left out, the next run fills it in' '
	mkdir fsrc && cycle_tree_ fsrc 1 &&
	rm -rf m1 m2 && : >m2 &&
	"$DUPC" full --no-encryption --archive-dir "$TRASH/c-f" fsrc \
		"multi://$TRASH/mirror.json?mode=mirror&onfail=continue" >f1.out 2>&1 &&
	grep -q "store #2 .*left out for the rest of this run" f1.out &&
	test ! -d m2 &&
	rm m2 && cycle_tree_ fsrc 2 &&
	"$DUPC" incremental --no-encryption --archive-dir "$TRASH/c-f" fsrc \
		"multi://$TRASH/mirror.json?mode=mirror&onfail=continue" >f2.out 2>&1 &&
	grep -q "copied [0-9]* files that store #2" f2.out &&
	test "$(ls m1 | sort)" = "$(ls m2 | sort)" &&
	cat >only2.json <<-EOF &&
	[{"url": "file://$TRASH/m2"}]
	EOF
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-only2" \
		"multi://$TRASH/only2.json" only2 >/dev/null &&
	diff -r fsrc only2
'

test_expect_success 'onfail=abort: the first failure stops the backup' '
	rm -rf m2 && : >m2 &&
	test_must_fail "$DUPC" full --no-encryption --archive-dir "$TRASH/c-a" fsrc \
		"multi://$TRASH/mirror.json?mode=mirror&onfail=abort" >a.out 2>a.err &&
	grep -q "onfail=abort" a.err &&
	rm m2
'

test_expect_success 'stripe over three stores: every store used, identical restores' '
	backend_cycle "multi://$TRASH/stripe.json" --no-encryption --volsize 1 &&
	test -n "$(ls s1)" && test -n "$(ls s2)" && test -n "$(ls s3)"
'

test_expect_success 'collection-status and verify through multi://' '
	"$DUPC" collection-status --no-encryption --archive-dir "$TRASH/c-st" \
		"multi://$TRASH/stripe.json" >st &&
	grep -q "Number of contained backup sets: 3" st &&
	cp -a cycle.2/at3 verify-tree &&
	"$DUPC" verify --no-encryption --archive-dir "$TRASH/c-st" \
		"multi://$TRASH/stripe.json" verify-tree >ver 2>&1
'

test_expect_success 'a bad configuration is one line naming the store and member' '
	echo "[{\"url\": \"file:///x\", \"prefixes\": [\"a\"]}]" >bad.json &&
	test_expect_code 8 "$DUPC" collection-status --no-encryption \
		"multi://$TRASH/bad.json?mode=stripe" 2>err &&
	test_line_count err = 1 && grep -q "store 1 has \"prefixes\"" err
'

# duplicity's multi backend copies each store's env into the process
# environment (and keeps it); give it only file:// stores.
cat >dmirror.json <<EOF
[{"url": "file://$TRASH/dm1"}, {"url": "file://$TRASH/dm2"}]
EOF

test_expect_success UNSANITIZED,DUPLICITY 'duplicity restores dupc'"'"'s mirror and stripe sets' '
	mkdir isrc && cycle_tree_ isrc 1 &&
	"$DUPC" full --no-encryption --volsize 1 --archive-dir "$TRASH/c-i1" isrc \
		"multi://$TRASH/dmirror.json?mode=mirror" >/dev/null &&
	duplicity restore --no-encryption --archive-dir "$TRASH/cd-i1" \
		"multi://$TRASH/dmirror.json?mode=mirror" dm >/dev/null 2>&1 &&
	diff -r isrc dm &&
	duplicity restore --no-encryption --archive-dir "$TRASH/cd-i2" \
		"multi://$TRASH/stripe.json" ds >/dev/null 2>&1 &&
	diff -r cycle.2/at3 ds
'

test_expect_success UNSANITIZED,DUPLICITY 'dupc restores duplicity'"'"'s mirror and stripe sets' '
	cat >dstripe.json <<-EOF &&
	[{"url": "file://$TRASH/ds1"}, {"url": "file://$TRASH/ds2"},
	 {"url": "file://$TRASH/ds3"}]
	EOF
	duplicity full --no-encryption --volsize 1 --archive-dir "$TRASH/cd-o1" isrc \
		"multi://$TRASH/dstripe.json?mode=stripe" >/dev/null 2>&1 &&
	test -n "$(ls ds1)" && test -n "$(ls ds3)" &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-o1" \
		"multi://$TRASH/dstripe.json?mode=stripe" os >/dev/null &&
	diff -r isrc os &&
	rm -rf dm1 dm2 &&
	duplicity full --no-encryption --volsize 1 --archive-dir "$TRASH/cd-o2" isrc \
		"multi://$TRASH/dmirror.json?mode=mirror" >/dev/null 2>&1 &&
	rm -rf dm1 &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-o2" \
		"multi://$TRASH/dmirror.json?mode=mirror" om >/dev/null &&
	diff -r isrc om
'

test_done
