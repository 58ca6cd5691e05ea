#!/usr/bin/env bash
# Debian's duply 2.4.1 drives dupc as its duplicity: a "duplicity" link to
# dupc first in PATH, a private HOME with two profiles targeting file://
# (GnuPG with GPG_PW, and GPG_KEY='disabled'), and duply's backup (full,
# then incremental), status, list, verify, fetch and restore.
. "$(dirname "$0")/lib.sh"

if ! command -v duply >/dev/null 2>&1; then
	test_skip_all "duply is not installed (scripts/install-deps installs it)"
fi

mkdir -p bin && ln -s "$DUPC" bin/duplicity
export PATH="$TRASH/bin:$PATH"
# duply's own gpg test starts an agent in the private GNUPGHOME
trap 'gpgconf --kill gpg-agent >/dev/null 2>&1' EXIT

# profile NAME GPG-LINE: a duply profile backing up src to t-NAME
profile() {
	duply "$1" create >/dev/null &&
	cat >"$HOME/.duply/$1/conf" <<-EOF
	$2
	TARGET='file://$TRASH/t-$1'
	SOURCE='$TRASH/src'
	TEMP_DIR='$TMPDIR'
	MAX_FULLBKP_AGE=1M
	DUPL_PARAMS="\$DUPL_PARAMS --full-if-older-than \$MAX_FULLBKP_AGE "
	VOLSIZE=1
	DUPL_PARAMS="\$DUPL_PARAMS --volsize \$VOLSIZE "
	EOF
}

# run_duply NAME ARGS...: duply must finish every command with state OK
run_duply() {
	local name=$1; shift
	duply "$name" "$@" >out 2>&1 || { cat out; return 1; }
	! grep -q "FAILED" out || { cat out; return 1; }
	grep -q "Finished state OK" out
}

test_expect_success 'a source tree and two duply profiles' '
	mkdir -p src/docs "src/with space" &&
	echo "first" >src/docs/a.txt &&
	echo "spaced" >"src/with space/b.txt" &&
	head -c 1500000 /dev/urandom >src/big.bin &&
	profile enc "GPG_PW='"'"'duply pass'"'"'" &&
	profile plain "GPG_KEY='"'"'disabled'"'"'" &&
	printf "%s\n" "- **/*.tmp" >"$HOME/.duply/enc/exclude" &&
	echo scratch >src/docs/skip.tmp
'

test_expect_success 'duply sees duplicity 0.8.22' '
	duply enc version >out 2>&1 || true &&
	grep -q "duplicity version 0.8.22" out &&
	! grep -q "version check failed" out
'

test_expect_success 'duply backup: a full backup through dupc, encrypted with GPG_PW' '
	run_duply enc backup &&
	grep -q "^Errors 0$" out &&
	ls t-enc/duplicity-full.*.vol1.difftar.gpg &&
	ls t-enc/duplicity-full.*.manifest.gpg &&
	test -d "$HOME/.cache/duplicity/duply_enc" &&
	date +%s >full-time
'

test_expect_success 'duply backup again: an incremental' '
	sleep 2 &&
	echo "second" >>src/docs/a.txt &&
	touch -d "+1 minute" src/docs/a.txt &&
	run_duply enc backup &&
	grep -q "^ChangedFiles 1$" out &&
	ls t-enc/duplicity-inc.*.manifest.gpg
'

test_expect_success 'duply status: the chain with its full and incremental set' '
	run_duply enc status &&
	grep -q "Found primary backup chain with matching signature chain" out &&
	grep -q "^ *Full " out &&
	grep -q "^ *Incremental " out
'

test_expect_success 'duply list: the files, without the excluded one' '
	run_duply enc list &&
	grep -q " docs/a.txt$" out &&
	grep -q " with space/b.txt$" out &&
	! grep -q "skip.tmp" out
'

test_expect_success 'duply verify: the backup matches the source' '
	rm src/docs/skip.tmp &&
	run_duply enc verify &&
	grep -q "Verify complete" out
'

test_expect_success 'duply fetch: one file' '
	run_duply enc fetch docs/a.txt "$TRASH/fetched.txt" &&
	printf "first\nsecond\n" >expect &&
	test_cmp expect fetched.txt
'

test_expect_success 'duply restore: the whole tree' '
	run_duply enc restore "$TRASH/restored" &&
	diff -r src restored
'

test_expect_success 'duply fetch of the version in the full backup (age as epoch seconds)' '
	run_duply enc fetch docs/a.txt "$TRASH/old.txt" "$(cat full-time)" &&
	echo first >expect &&
	test_cmp expect old.txt
'

test_expect_success 'the unencrypted profile: backup, list, restore' '
	run_duply plain backup &&
	ls t-plain/duplicity-full.*.vol1.difftar.gz &&
	run_duply plain list &&
	grep -q " big.bin$" out &&
	run_duply plain restore "$TRASH/restored2" &&
	diff -r src restored2
'

test_done
