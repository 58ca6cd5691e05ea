#!/usr/bin/env bash
# check without any key (PASSPHRASE unset, GNUPGHOME empty): a clean
# target is reported clean; a deleted volume, a truncated one and a
# flipped byte are each found (with --read-data, with --read-data-subset
# 100%, and with K/M groups that together cover every volume) and named
# with the sets they break; so are a missing manifest and signature file.
# Through mf:// (which reports content hashes) volumes are checked
# against the hashes recorded at backup time without a download.
. "$(dirname "$0")/lib.sh"

T1=1700000000 T2=1700000100
P1="Tue Nov 14 22:13:20 2023" P2="Tue Nov 14 22:15:00 2023"
FULL=duplicity-full.20231114T221320Z
INC=duplicity-inc.20231114T221320Z.to.20231114T221500Z

# check_at NAME [OPTION...]: check the copy NAME (target t-NAME, archive
# dir c-NAME, named chk) with no key at hand; output in NAME.out, exit code in rc
check_at() {
	local name=$1; shift
	env -u PASSPHRASE GNUPGHOME="$TRASH/nokeys" "$DUPC" check "$@" \
		--name chk --archive-dir "$TRASH/c-$name" "file://$TRASH/t-$name" \
		>"$name.out" 2>&1
	rc=$?
	cat "$name.out"
}

# copy NAME: a fresh copy of the backed-up target and archive dir
copy() {
	rm -rf "t-$1" "c-$1" &&
	cp -a target "t-$1" && cp -a cache "c-$1"
}

# found_in_every_mode NAME LINE: each way of reading finds LINE (a
# fixed string), exit 1, and the groups 1/3..3/3 find it together
found_in_every_mode() {
	local name=$1 line=$2 k hits=0
	for mode in --read-data --read-data-subset=100%; do
		check_at "$name" $mode >/dev/null
		test $rc -eq 1 && grep -qF "$line" "$name.out" ||
			{ echo "$mode did not find it"; cat "$name.out"; return 1; }
	done
	for k in 1 2 3; do
		check_at "$name" --read-data-subset $k/3 >/dev/null
		grep -qF "$line" "$name.out" && hits=$((hits + 1))
	done
	test $hits -ge 1 || { echo "no group found it"; return 1; }
}

test_expect_success 'setup: an encrypted full and incremental' '
	mkdir -m 0700 nokeys &&
	mkdir -p src/sub &&
	head -c 3500000 /dev/urandom >src/sub/big &&
	echo hello >src/hello &&
	PASSPHRASE=secret "$DUPC" full --volsize 1 --current-time $T1 \
		--name chk --archive-dir "$TRASH/cache" src "file://$TRASH/target" \
		>/dev/null &&
	echo more >>src/hello &&
	PASSPHRASE=secret "$DUPC" incremental --current-time $T2 \
		--name chk --archive-dir "$TRASH/cache" src "file://$TRASH/target" \
		>/dev/null &&
	ls target/$FULL.vol*.difftar.gpg >vols && test_line_count vols = 4
'

test_expect_success 'a clean target is clean, and no key was needed' '
	copy clean &&
	check_at clean && test $rc -eq 0 &&
	grep -q "^No errors were found: 9 files of 2 backup sets are on the target$" clean.out &&
	check_at clean --read-data && test $rc -eq 0 &&
	grep -q "^Reading 5 of 5 volumes$" clean.out &&
	grep -q "^No errors were found: 9 files of 2 backup sets are on the target, 5 volumes read and intact$" clean.out &&
	check_at clean --read-data-subset 10% && test $rc -eq 0 &&
	grep -q "^Reading 1 of 5 volumes$" clean.out &&
	n=0 && for k in 1 2 3; do
		check_at clean --read-data-subset $k/3 >/dev/null && test $rc -eq 0 &&
		r=$(sed -n "s/^Reading \([0-9]*\) of 5 volumes$/\1/p" clean.out) &&
		n=$((n + r)) || return 1
	done &&
	test $n -eq 5 &&
	test -z "$(ls -A nokeys)" &&
	test_path_is_missing "t-clean/dupc.lock"
'

test_expect_success 'a deleted volume is named with the sets it breaks' '
	copy del &&
	rm "t-del/$FULL.vol2.difftar.gpg" &&
	line="$FULL.vol2.difftar.gpg: missing from the target; it breaks the backups of $P1 and $P2" &&
	check_at del && test $rc -eq 1 &&
	grep -qxF "$line" del.out &&
	grep -q "^Found 1 missing or damaged files$" del.out &&
	found_in_every_mode del "$line"
'

test_expect_success 'a truncated volume: found by its recorded size, or by reading it' '
	copy cut &&
	truncate -s 400000 "t-cut/$FULL.vol3.difftar.gpg" &&
	check_at cut && test $rc -eq 1 &&
	grep -q "^$FULL.vol3.difftar.gpg: 400000 bytes, stored with [0-9]*; it breaks the backups of $P1 and $P2$" cut.out &&
	found_in_every_mode cut "$FULL.vol3.difftar.gpg: 400000 bytes, stored with" &&
	rm c-cut/*/.dupc-checksums &&
	check_at cut && test $rc -eq 0 &&
	found_in_every_mode cut "$FULL.vol3.difftar.gpg: its SHA-1 differs from the manifest'"'"'s (damaged); it breaks the backups of $P1 and $P2"
'

test_expect_success 'a flipped byte: found by reading the volume' '
	copy flip &&
	printf "\\377" | dd of="t-flip/$FULL.vol1.difftar.gpg" bs=1 seek=100000 \
		conv=notrunc 2>/dev/null &&
	test_must_fail cmp -s target/$FULL.vol1.difftar.gpg t-flip/$FULL.vol1.difftar.gpg &&
	check_at flip && test $rc -eq 0 &&
	found_in_every_mode flip "$FULL.vol1.difftar.gpg: its SHA-1 differs from the manifest'"'"'s (damaged); it breaks the backups of $P1 and $P2"
'

test_expect_success 'a missing manifest and a missing signature file are named' '
	copy meta &&
	rm "t-meta/$INC.manifest.gpg" \
		t-meta/duplicity-full-signatures.20231114T221320Z.sigtar.gpg &&
	check_at meta && test $rc -eq 1 &&
	grep -qxF "$INC.manifest: its copy on the target is missing; it breaks the backup of $P2" meta.out &&
	grep -qxF "the signature file of the backup of $P1: missing from the target (the next backup will be a full one); it breaks the backups of $P1 and $P2" meta.out &&
	grep -q "^Found 2 missing or damaged files$" meta.out
'

test_expect_success 'bad --read-data-subset values are refused' '
	for v in 0% 101% 10 x% 0/3 4/3 3/0 1/2/3 -5%; do
		test_expect_code 2 "$DUPC" check --read-data-subset "$v" \
			file:///nowhere 2>err &&
		grep -q "^bad value .* for --read-data-subset" err || return 1
	done &&
	test_expect_code 2 "$DUPC" check 2>err &&
	grep -q "wrong number of arguments" err
'

# --- mf:// -----------------------------------------------------------------

URL="mf://u%40example.com@mediafire.com/checked"
mf_env() {
	env -u PASSPHRASE GNUPGHOME="$TRASH/nokeys" FTP_PASSWORD=pw \
		DUPC_MF_API_ROOT="$MF_ROOT" DUPC_MF_POLL_INTERVAL=0.01 "$@"
}

# downloads_since N: GET /dl/ requests of volumes in the emulator's log
# after its line N
downloads_since() {
	tail -n +$(($1 + 1)) "$TRASH/mf.log" | grep -c '"GET".*"/dl/[^"]*difftar'
}

test_expect_success MFEMU 'mf://: every volume checked by its hash there, none downloaded' '
	start_mfemu --account "u@example.com:pw" --log "$TRASH/mf.log" &&
	mf_env "$DUPC" full --no-encryption --volsize 1 --current-time $T1 \
		--archive-dir "$TRASH/mfc" src "$URL" >/dev/null &&
	grep -c " [0-9a-f]\{64\} $FULL.vol" mfc/*/.dupc-checksums >n &&
	echo 4 >four && test_cmp four n &&
	mark=$(wc -l <mf.log) &&
	mf_env "$DUPC" check --read-data --archive-dir "$TRASH/mfc" "$URL" >mf.out &&
	grep -q "4 volumes read and intact$" mf.out &&
	test "$(downloads_since $mark)" = 0
'

test_expect_success MFEMU 'mf://: a volume altered there is found without a download' '
	stop_mfemu &&
	python3 - "$TRASH/mfdata" "$FULL.vol2.difftar.gz" <<-\PY &&
	import glob, hashlib, json, os, sys
	data, name = sys.argv[1], sys.argv[2]
	for p in glob.glob(os.path.join(data, "state/files/*.json")):
	    f = json.load(open(p))
	    if f["filename"] == name and f["state"] == "live":
	        break
	blob = open(os.path.join(data, "blobs", f["hash"][:2], f["hash"]), "rb").read()
	blob = blob[:5000] + bytes([blob[5000] ^ 1]) + blob[5001:]
	h = hashlib.sha256(blob).hexdigest()
	os.makedirs(os.path.join(data, "blobs", h[:2]), exist_ok=True)
	open(os.path.join(data, "blobs", h[:2], h), "wb").write(blob)
	f["hash"] = h
	json.dump(f, open(p, "w"))
	PY
	start_mfemu --log "$TRASH/mf.log" &&
	mark=$(wc -l <mf.log) &&
	test_expect_code 1 mf_env "$DUPC" check --read-data \
		--archive-dir "$TRASH/mfc" "$URL" >mf2.out 2>&1 &&
	grep -qxF "$FULL.vol2.difftar.gz: its content hash on the target differs from the one recorded when it was stored; it breaks the backup of $P1" mf2.out &&
	test "$(downloads_since $mark)" = 0 &&
	rm mfc/*/.dupc-checksums &&
	test_expect_code 1 mf_env "$DUPC" check --read-data \
		--archive-dir "$TRASH/mfc" "$URL" >mf3.out 2>&1 &&
	grep -qxF "$FULL.vol2.difftar.gz: its SHA-1 differs from the manifest'"'"'s (damaged); it breaks the backup of $P1" mf3.out &&
	test "$(downloads_since $mark)" = 4 &&
	stop_mfemu
'

test_done
