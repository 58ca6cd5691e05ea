#!/usr/bin/env bash
# Every failure a user can cause ends with exactly one line on stderr that
# names the problem and the fix, duplicity's exit code, and nothing else
# at the default verbosity: bad URLs, refused MediaFire credentials, no
# network (retries stay off the console), a wrong or missing GnuPG
# passphrase or key, a full disk, an interrupted run.
. "$(dirname "$0")/lib.sh"

MF_URL="mf://u%40example.com@mediafire.com/backups"

# one_line FILE PATTERN: FILE is one line matching PATTERN (grep -E).
one_line() {
	test_line_count "$1" = 1 && grep -qE "$2" "$1" || {
		echo "in $1:" >&2
		cat "$1" >&2
		return 1
	}
}

# quiet FILE: standard output holds nothing but duplicity's usual notices.
quiet() {
	! grep -v -e "^Local and Remote metadata are synchronized" \
		-e "^Last full backup date:" -e "^Synchronizing remote metadata" \
		-e "^Copying .* to local cache\.$" "$1"
}

test_expect_success 'a source' '
	mkdir -p src/d && echo one >src/a && echo two >src/d/b &&
	head -c 2500000 /dev/urandom >src/big
'

test_expect_success 'bad URLs: exit 8, one line naming the URL and the forms dupc takes' '
	for u in ftpx://host/p /just/a/path "mf://nobody/x" "gio+sftp://h/p" file:/x; do
		test_expect_code 8 "$DUPC" full --no-encryption src "$u" >out 2>err &&
		one_line err "file://|mf://user%40example.com@mediafire.com" &&
		test_line_count out = 0 || return 1
	done
'

test_expect_success 'start the MediaFire emulator' '
	test -f "$MFEMU" &&
	start_mfemu --account u@example.com:right
'

test_expect_success 'wrong MediaFire password (error 107): exit 51, check FTP_PASSWORD' '
	test_expect_code 51 env DUPC_MF_API_ROOT="$MF_ROOT" FTP_PASSWORD=wrong \
		"$DUPC" full --no-encryption src "$MF_URL" >out 2>err &&
	one_line err "MediaFire error 107 .*; check FTP_PASSWORD and the account in the URL$" &&
	test_line_count out = 0
'

test_expect_success 'no MediaFire password at all: one line naming FTP_PASSWORD' '
	test_must_fail env DUPC_MF_API_ROOT="$MF_ROOT" \
		"$DUPC" full --no-encryption src "$MF_URL" >out 2>err &&
	one_line err "FTP_PASSWORD" &&
	test_line_count out = 0
'

test_expect_success 'the right password works (the emulator is sound)' '
	env DUPC_MF_API_ROOT="$MF_ROOT" FTP_PASSWORD=right \
		"$DUPC" full --no-encryption src "$MF_URL" >out 2>err &&
	test_line_count err = 0
'

test_expect_success 'no network: exit 38, one line, retries kept off the console' '
	test_expect_code 38 env DUPC_MF_API_ROOT=http://127.0.0.1:1 FTP_PASSWORD=right \
		"$DUPC" full --no-encryption --num-retries 3 --backend-retry-delay 0.01 \
		--log-fd 3 src "$MF_URL" 3>net.log >out 2>err &&
	one_line err "Giving up after 3 attempts.*; check the network connection and DUPC_MF_API_ROOT$" &&
	test_line_count out = 0 &&
	# the retries are warnings in the machine log
	test $(grep -c "^WARNING 1$" net.log) -eq 2 &&
	grep -q "^ERROR 38 size .dupc.lock.$" net.log
'

test_expect_success 'no network at -v info: the retries are shown' '
	test_expect_code 38 env DUPC_MF_API_ROOT=http://127.0.0.1:1 FTP_PASSWORD=right \
		"$DUPC" full --no-encryption --num-retries 3 --backend-retry-delay 0.01 \
		-v5 src "$MF_URL" >out 2>err &&
	test $(grep -c "^Attempt [12] failed\. TransientError: " out) -eq 2 &&
	test_line_count err = 1
'

test_expect_success 'an encrypted backup' '
	PASSPHRASE=right "$DUPC" full --archive-dir "$TRASH/cg" src \
		"file://$TRASH/tg" >/dev/null
'

test_expect_success 'wrong passphrase on restore: exit 31, check PASSPHRASE' '
	test_expect_code 31 env PASSPHRASE=wrong "$DUPC" restore \
		--archive-dir "$TRASH/cg" "file://$TRASH/tg" r1 >out 2>err &&
	one_line err "^gpg: bad passphrase for duplicity-full\..*\.vol1\.difftar\.gpg \(check PASSPHRASE\)$" &&
	quiet out
'

test_expect_success 'wrong passphrase on an incremental: exit 31 before anything is written' '
	ls tg >before && ls -aR cg >before-cache &&
	echo more >>src/a &&
	test_expect_code 31 env PASSPHRASE=wrong "$DUPC" incremental \
		--archive-dir "$TRASH/cg" src "file://$TRASH/tg" >out 2>err &&
	one_line err "^gpg: bad passphrase for duplicity-full\..*\.manifest\.gpg \(check PASSPHRASE\)$" &&
	quiet out &&
	ls tg >after && ls -aR cg >after-cache &&
	test_cmp before after &&
	test_cmp before-cache after-cache
'

test_expect_success 'no passphrase: exit 31, set PASSPHRASE' '
	test_expect_code 31 "$DUPC" restore --archive-dir "$TRASH/cg" \
		"file://$TRASH/tg" r2 >out 2>err &&
	one_line err "set PASSPHRASE" &&
	test_line_count out = 0
'

test_expect_success 'a public key that is not in the keyring: exit 31, import it' '
	test_expect_code 31 "$DUPC" full --encrypt-key 0xDEADBEEFDEADBEEF \
		--archive-dir "$TRASH/ck" src "file://$TRASH/tk" >out 2>err &&
	one_line err "public key .*DEADBEEFDEADBEEF. not found \(import it or check --encrypt-key\)" &&
	quiet out
'

test_expect_success 'a missing secret key on restore: exit 31, import it' '
	gpg --batch --quiet --passphrase "" --quick-gen-key "dupc test <t@example.com>" \
		default default never 2>/dev/null &&
	fpr=$(gpg --batch --with-colons --list-keys t@example.com | sed -n "s/^fpr:::::::::\\([0-9A-F]*\\):$/\\1/p" | head -n 1) &&
	test -n "$fpr" &&
	"$DUPC" full --encrypt-key "$fpr" --archive-dir "$TRASH/cs" src \
		"file://$TRASH/ts" >/dev/null &&
	gpg --batch --yes --quiet --delete-secret-keys "$fpr" 2>/dev/null &&
	test_expect_code 31 env PASSPHRASE=x "$DUPC" restore --archive-dir "$TRASH/cs" \
		"file://$TRASH/ts" r3 >out 2>err &&
	one_line err "no secret key to decrypt .*import the secret key into .*GNUPGHOME)$" &&
	quiet out
'

test_expect_success 'an incremental without a chain: exit 17, run a full backup first' '
	test_expect_code 17 "$DUPC" incremental --no-encryption \
		--archive-dir "$TRASH/ci" src "file://$TRASH/ti" >out 2>err &&
	one_line err "Old signatures not found and incremental specified; run a full backup first$" &&
	quiet out
'

test_expect_success 'restoring over a non-empty directory: exit 11, use --force' '
	mkdir -p busy && : >busy/x &&
	test_expect_code 11 env PASSPHRASE=right "$DUPC" restore \
		--archive-dir "$TRASH/cg" "file://$TRASH/tg" busy >out 2>err &&
	one_line err "busy already exists.*\(use --force\)$" &&
	test_line_count out = 0
'

test_expect_success MOUNT 'a full target: exit 53, free space there' '
	mkdir -p small &&
	test_expect_code 53 unshare -m sh -c "mount -t tmpfs -o size=1m tmpfs small &&
		exec \"$DUPC\" full --no-encryption --archive-dir \"$TRASH/cf\" src \
		file://$TRASH/small/t" >out 2>err &&
	one_line err "No space left on device; the target is full: free space there or back up elsewhere$" &&
	quiet out
'

test_expect_success MOUNT 'too little temporary space: exit 35 before starting' '
	mkdir -p small &&
	test_expect_code 35 unshare -m sh -c "mount -t tmpfs -o size=1m tmpfs small &&
		exec \"$DUPC\" full --no-encryption --tempdir \"$TRASH/small\" \
		--archive-dir \"$TRASH/ct\" src file://$TRASH/tt" >out 2>err &&
	one_line err "^not enough temporary space in .*/small: .* free, about 260 MB needed .*--tempdir" &&
	test_line_count out = 0 &&
	test_path_is_missing tt
'

test_expect_success MOUNT 'a full restore directory: one line saying a local disk is full' '
	mkdir -p small &&
	test_must_fail unshare -m sh -c "mount -t tmpfs -o size=1m tmpfs small &&
		exec env PASSPHRASE=right \"$DUPC\" restore --archive-dir \"$TRASH/cg\" \
		file://$TRASH/tg small/r" >out 2>err &&
	one_line err "No space left on device; a local disk is full: free space in the restore directory" &&
	quiet out
'

test_expect_success 'SIGINT during a backup: exit 4, one line, and the next run resumes' '
	sh -c "echo \$\$ >pid; exec env DUPC_FAULT_POINT=volume-uploaded:1:stall \
		\"\$0\" full --no-encryption --volsize 1 --archive-dir cint src \
		file://$TRASH/tint" "$DUPC" >out 2>err &
	job=$! &&
	for i in $(seq 1 200); do
		ls tint/*.difftar.gz >/dev/null 2>&1 && break
		sleep 0.05
	done &&
	sleep 0.2 &&
	kill -INT "$(cat pid)" &&
	{ wait $job; rc=$?; } &&
	test $rc -eq 4 &&
	one_line err "^interrupted after volume [1-9][0-9]*; run the backup again to resume$" &&
	n=$(sed -n "s/^interrupted after volume \([0-9]*\);.*/\1/p" err) &&
	quiet out &&
	"$DUPC" full --no-encryption --volsize 1 --archive-dir cint src \
		"file://$TRASH/tint" >out2 &&
	grep -q "^Restarting after volume $n" out2
'

test_expect_success 'SIGINT during a restore: exit 4, one line' '
	sh -c "echo \$\$ >pid; exec env DUPC_FAULT_POINT=volume-download:2:stall \
		\"\$0\" restore --no-encryption --archive-dir crint \
		file://$TRASH/tint rint" "$DUPC" >out 2>err &
	job=$! &&
	for i in $(seq 1 200); do
		[ -d rint ] && break
		sleep 0.05
	done &&
	sleep 0.3 &&
	kill -INT "$(cat pid)" &&
	{ wait $job; rc=$?; } &&
	test $rc -eq 4 &&
	one_line err "^interrupted by signal 2; what is restored is incomplete: run the command again \(with --force to overwrite\)$" &&
	quiet out
'

test_expect_success 'diff, mount and --json misused: exit 2 (or 1), one line naming the fix' '
	test_expect_code 2 "$DUPC" diff --no-encryption now "file://$TRASH/tint" \
		>out 2>err &&
	one_line err "wrong number of arguments \(2, expected 3\); see dupc --help" &&
	test_expect_code 2 "$DUPC" diff --no-encryption 1D sometime \
		"file://$TRASH/tint" >out 2>err &&
	one_line err "sometime" &&
	test_expect_code 2 "$DUPC" cleanup --json "file://$TRASH/tint" >out 2>err &&
	one_line err "^--json is for collection-status, list-current-files, diff and backups; leave it out here$" &&
	test_line_count out = 0 &&
	echo file >notadir &&
	test_expect_code 1 "$DUPC" mount --no-encryption "file://$TRASH/tint" \
		notadir >out 2>err &&
	one_line err "^cannot mount at notadir: it must be an existing directory$" &&
	test_line_count out = 0 &&
	test_expect_code 2 "$DUPC" mount --mount-cache-mb 0 --no-encryption \
		"file://$TRASH/tint" . >out 2>err &&
	one_line err "mount-cache-mb"
'

test_done
