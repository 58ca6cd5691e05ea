#!/usr/bin/env bash
# Command-line basics: version, help, and one-line errors with duplicity's
# exit codes for bad input.
. "$(dirname "$0")/lib.sh"

test_expect_success '--version prints dupc X.Y.Z' '
	"$DUPC" --version >out &&
	grep -E "^dupc [0-9]+\.[0-9]+\.[0-9]+$" out
'

test_expect_success '--help lists the commands' '
	"$DUPC" --help >out &&
	grep -q "collection-status" out &&
	grep -q "remove-older-than" out &&
	grep -q "file:///path" out
'

test_expect_success 'help COMMAND gives details, unknown topics fail' '
	"$DUPC" help restore >out &&
	grep -q "file-to-restore\|-r PATH" out &&
	test_expect_code 2 "$DUPC" help frobnicate 2>err
'

test_expect_success 'unknown option: one line, exit 2' '
	test_expect_code 2 "$DUPC" --frobnicate src file:///tmp/x 2>err &&
	test_line_count err = 1 &&
	grep -q "unknown option --frobnicate" err
'

test_expect_success 'missing source directory: one line, exit 13' '
	test_expect_code 13 "$DUPC" full --no-encryption nosuchdir file://$TRASH/t 2>err &&
	test_line_count err = 1 &&
	grep -q "nosuchdir" err
'

test_expect_success 'unknown scheme: one line naming it, exit 8' '
	mkdir -p src &&
	test_expect_code 8 "$DUPC" full --no-encryption src ftpx://host/path 2>err &&
	test_line_count err = 1 &&
	grep -q "ftpx" err
'

test_expect_success 'not a URL: exit 8' '
	test_expect_code 8 "$DUPC" collection-status /just/a/path 2>err &&
	test_line_count err = 1
'

test_expect_success 'a password in a URL never shows in an error' '
	test_expect_code 8 "$DUPC" collection-status "ftpx://user:s3cr3t@host/p" 2>err &&
	! grep -q s3cr3t err
'

test_expect_success 'wrong argument count: exit 2' '
	test_expect_code 2 "$DUPC" full src 2>err &&
	test_line_count err = 1
'

test_expect_success 'bad --volsize and -t values: exit 2' '
	test_expect_code 2 "$DUPC" full --no-encryption --volsize 0 src file://$TRASH/t 2>err &&
	grep -q "volsize" err &&
	test_expect_code 2 "$DUPC" restore --no-encryption -t yesterdayish file://$TRASH/t out 2>err &&
	grep -q "bad time string" err
'

test_expect_success 'unwritable target: one line, non-zero exit' '
	mkdir -p src ro && echo x >src/f && chmod 0555 ro &&
	if [ "$(id -u)" -eq 0 ]; then
		# root ignores modes; a file in the way of the target dir instead
		: >blocker && target=file://$TRASH/blocker/sub
	else
		target=file://$TRASH/ro/sub
	fi &&
	test_must_fail "$DUPC" full --no-encryption --archive-dir $TRASH/c src "$target" 2>err &&
	test_line_count err = 1
'

test_expect_success 'encryption without a passphrase fails before touching the target' '
	mkdir -p src && echo x >src/f &&
	test_must_fail "$DUPC" full --archive-dir $TRASH/c src file://$TRASH/enc 2>err </dev/null &&
	test_line_count err = 1 &&
	grep -qi passphrase err &&
	test_path_is_missing enc
'

test_done
