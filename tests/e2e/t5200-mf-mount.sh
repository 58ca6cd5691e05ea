#!/usr/bin/env bash
# dupc mount over mf:// on the bundled emulator: listing the mount
# downloads no volume (the emulator's request log says so), a file read
# downloads only its volumes, once (the mount keeps them), and every file
# equals what a restore through mf:// gives, also while downloads fail.
. "$(dirname "$0")/lib.sh"

test_have_prereq FUSE ||
	test_skip_all "FUSE is not usable here (dupc mount needs /dev/fuse and fusermount3)"
if [ ! -f "$MFEMU" ]; then
	test_skip_all "mfemu not found (set MFEMU)"
fi

URL="mf://u%40example.com@mediafire.com/backups/mount"
export FTP_PASSWORD='mount pass'
export DUPC_MF_POLL_INTERVAL=0.01 DUPC_MF_SIMPLE_MAX=1048576
MF_OPTS="--no-encryption --num-retries 4 --backend-retry-delay 0.05 --timeout 10"

# volume_downloads: the data volumes the emulator has sent so far, sorted
# (a restore's fetch workers download several at once).
volume_downloads_() {
	python3 - "$TRASH/mf.log" <<-\PY
	import json, re, sys
	for line in open(sys.argv[1]):
	    r = json.loads(line)
	    p = r.get("path") or ""
	    m = re.search(r"\.vol(\d+)\.difftar", p)
	    if p.startswith("dl/") and m and r.get("status") == 200:
	        print(re.sub(r"^.*/", "", p))
	PY
}

volume_downloads() {
	volume_downloads_ | LC_ALL=C sort
}

read_all() {
	find "$1" -type f -exec cat {} + >/dev/null
}

# same_as_restore MOUNTED RESTORED: equal contents and metadata.
same_as_restore() {
	read_all "$1" &&
	python3 "$TEST_TOP/tests/tools/tree-listing.py" "$1" >m.lst &&
	python3 "$TEST_TOP/tests/tools/tree-listing.py" "$2" >r.lst &&
	test_cmp r.lst m.lst
}

test_expect_success 'a full and an incremental through mf://' '
	start_mfemu --account "u@example.com:$FTP_PASSWORD" --seed 7 \
		--log "$TRASH/mf.log" &&
	export DUPC_MF_API_ROOT=$MF_ROOT &&
	mkdir -p src/docs src/bin "src/with space" &&
	for i in $(seq 1 40); do
		echo "note $i" >src/docs/n$i.txt || return 1
	done &&
	head -c 2500000 /dev/urandom >src/bin/a &&
	head -c 2500000 /dev/urandom >src/bin/b &&
	echo hello >"src/with space/file" && ln -s docs src/link &&
	"$DUPC" full $MF_OPTS --volsize 1 --current-time 1700000000 \
		--archive-dir "$TRASH/cache" src "$URL" >/dev/null &&
	echo changed >>src/docs/n7.txt && rm src/docs/n3.txt &&
	head -c 100000 /dev/urandom >>src/bin/a &&
	"$DUPC" incremental $MF_OPTS --volsize 1 --current-time 1700000100 \
		--archive-dir "$TRASH/cache" src "$URL" >/dev/null
'

test_expect_success 'listing the whole mount downloads no volume' '
	volume_downloads >before &&
	mount_start "$TRASH/mnt" "$URL" $MF_OPTS --archive-dir "$TRASH/fresh" &&
	ls -lR "$TRASH/mnt" >ls.out &&
	test_line_count ls.out -gt 50 &&
	volume_downloads >after &&
	test_cmp before after
'

test_expect_success 'a file read downloads only its volumes, and only once' '
	f="$TRASH/mnt/2023-11-14T22:13:20Z/bin/b" &&
	sha256sum <"$f" >/dev/null &&
	volume_downloads >after1 &&
	comm -13 after after1 >new &&
	test_line_count new -ge 1 &&
	test_line_count new -le 4 &&
	! grep -q "inc\." new &&
	sha256sum <"$f" >/dev/null &&
	cat "$TRASH/mnt/2023-11-14T22:13:20Z/docs/n1.txt" >/dev/null &&
	volume_downloads >after2 &&
	test_cmp after1 after2
'

test_expect_success 'every file of both times equals a restore through mf://' '
	for t in 1700000000 1700000100; do
		"$DUPC" restore $MF_OPTS --archive-dir "$TRASH/cache-r" -t $t \
			"$URL" r-$t >/dev/null &&
		same_as_restore "$TRASH/mnt/$(date -u -d @$t +%Y-%m-%dT%H:%M:%SZ)" r-$t ||
		return 1
	done &&
	mount_stop "$TRASH/mnt"
'

test_expect_success 'reading through a mount while downloads are cut and corrupted' '
	stop_mfemu &&
	cat >faults.json <<-\JSON &&
	[
	 {"match": {"path": "dl/*", "probability": 0.3}, "action": "truncate", "times": -1},
	 {"match": {"path": "dl/*", "probability": 0.2}, "action": "corrupt", "times": -1}
	]
	JSON
	start_mfemu --account "u@example.com:$FTP_PASSWORD" --seed 8 \
		--log "$TRASH/mf2.log" --faults faults.json &&
	export DUPC_MF_API_ROOT=$MF_ROOT &&
	mount_start "$TRASH/mnt2" "$URL" $MF_OPTS --archive-dir "$TRASH/fresh2" &&
	same_as_restore "$TRASH/mnt2/2023-11-14T22:15:00Z" r-1700000100 &&
	mount_stop "$TRASH/mnt2" &&
	grep -q "\"fault\": \"\(truncate\|corrupt\)\"" "$TRASH/mf2.log"
'

test_done
