#!/usr/bin/env bash
# MediaFire end to end: full, incremental and restore through mf:// on the
# bundled emulator, with the service's known faults injected at rates a
# client without recovery would not survive (key desync after HTTP 500,
# lost answers, error 127, cut and corrupted downloads, stuck polls, lost
# upload units).  The restored tree must equal the source.
. "$(dirname "$0")/lib.sh"

if [ ! -f "$MFEMU" ]; then
	test_skip_all "mfemu not found (set MFEMU)"
fi

URL="mf://u%40example.com@mediafire.com/backups/host1"
export FTP_PASSWORD='pass word&1'
export DUPC_MF_POLL_INTERVAL=0.01 DUPC_MF_SIMPLE_MAX=1048576

dupc_mf() {
	"$DUPC" "$@" --no-encryption --num-retries 4 --backend-retry-delay 0.05 \
		--timeout 10
}

cat >faults.json <<'JSON'
[
 {"match": {"probability": 0.08}, "action": "http500_after_advance", "times": -1},
 {"match": {"probability": 0.05}, "action": "drop_after", "times": -1},
 {"match": {"probability": 0.05}, "action": "error", "code": 127, "times": -1},
 {"match": {"probability": 0.25}, "action": "truncate", "times": -1},
 {"match": {"probability": 0.15}, "action": "corrupt", "times": -1},
 {"match": {"probability": 0.3}, "action": "poll_stuck", "status": 5, "polls": 3, "times": -1},
 {"match": {"path": "upload/resumable", "probability": 0.1}, "action": "lose_units", "times": -1}
]
JSON

test_expect_success 'start the emulator with faults' '
	start_mfemu --account "u@example.com:$FTP_PASSWORD" --seed 5 \
		--log "$TRASH/mf.log" --faults faults.json &&
	export DUPC_MF_API_ROOT=$MF_ROOT
'

test_expect_success 'full backup through mf:// under faults' '
	mkdir -p src/docs/notes src/bin "src/with space" &&
	head -c 6000000 /dev/urandom >src/bin/big &&
	for i in $(seq 1 60); do
		echo "note $i" >src/docs/notes/n$i.txt || return 1
	done &&
	echo hello >"src/with space/file" &&
	dupc_mf full --archive-dir "$TRASH/cache" src "$URL" >full.out &&
	grep -q "^Errors 0" full.out
'

test_expect_success 'incremental backup through mf:// under faults' '
	echo changed >>src/docs/notes/n7.txt &&
	rm src/docs/notes/n3.txt &&
	head -c 2000000 /dev/urandom >src/bin/new &&
	touch -d "+1 minute" src/docs/notes/n7.txt &&
	dupc_mf incremental --archive-dir "$TRASH/cache" src "$URL" >inc.out &&
	grep -q "^Errors 0" inc.out
'

test_expect_success 'restore with an empty cache gives the source back' '
	dupc_mf restore --archive-dir "$TRASH/cache2" "$URL" restored >restore.out &&
	diff -r src restored
'

test_expect_success 'the faults fired, through uploads, downloads and listings' '
	python3 - "$TRASH/mf.log" >fired <<-\PY &&
	import json, sys, collections
	c = collections.Counter()
	for line in open(sys.argv[1]):
	    f = json.loads(line).get("fault")
	    if f:
	        c[f] += 1
	for k, v in sorted(c.items()):
	    print(k, v)
	PY
	cat fired &&
	test $(awk "{ n += \$2 } END { print n }" fired) -ge 10 &&
	grep -q "^http500_after_advance " fired &&
	grep -q "^truncate \|^corrupt " fired
'

[ -f fired ] && say "# faults survived: $(tr '\n' ' ' <fired)"

test_expect_success 'stop the emulator' '
	stop_mfemu
'

test_done
