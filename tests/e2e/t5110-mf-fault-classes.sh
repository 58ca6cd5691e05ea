#!/usr/bin/env bash
# MediaFire, one fault class at a time: for each of the service's known
# faults, at a rate where a client that gives up on the first one (or that
# lets its key chain drift) fails, the whole cycle must succeed through the
# dupc command line: full, incremental, restore at each of the two times
# with an empty cache, equal to the source as it was.  Then a fault that
# never clears must end with the "Giving up" line and a non-zero exit, and
# the next run, once it clears, must complete.  Volumes above the
# simple-upload limit must go through upload/resumable.  One cycle runs
# encrypted (GnuPG symmetric) to show the codec and the backend together.
. "$(dirname "$0")/lib.sh"

if [ ! -f "$MFEMU" ]; then
	test_skip_all "mfemu not found (set MFEMU)"
fi

export FTP_PASSWORD='secret:pass'
export DUPC_MF_POLL_INTERVAL=0.01 DUPC_MF_SIMPLE_MAX=262144
API=

# control METHOD PATH [JSON]: talk to the emulator's control endpoint.
control() {
	python3 - "$API" "$1" "$2" "${3-}" <<-\PY
	import sys, urllib.request
	api, method, path, body = sys.argv[1:5]
	req = urllib.request.Request(api + path, method=method,
	                             data=body.encode() if body else None,
	                             headers={"Content-Type": "application/json"})
	sys.stdout.write(urllib.request.urlopen(req, timeout=10).read().decode())
	PY
}

# fired NAME: how many requests of the log the named fault action hit.
fired() {
	python3 - "$TRASH/mf.log" "$1" <<-\PY
	import json, sys
	n = 0
	for line in open(sys.argv[1]):
	    if json.loads(line).get("fault") == sys.argv[2]:
	        n += 1
	print(n)
	PY
}

dupc_mf() {
	"$DUPC" "$@" --num-retries 5 --backend-retry-delay 0.02 --timeout 10
}

# A tree with one file larger than DUPC_MF_SIMPLE_MAX once compressed, so
# each full backup has a volume that takes the resumable path.
make_source() {
	rm -rf src && mkdir -p src/a src/b &&
	head -c 1500000 /dev/urandom >src/b/random &&
	for i in $(seq 1 30); do
		echo "line $i of a note" >src/a/n$i || return 1
	done &&
	ln -s a/n1 src/link
}

change_source() {
	echo more >>src/a/n2 &&
	rm src/a/n3 &&
	head -c 300000 /dev/urandom >src/b/new &&
	touch -d "+1 minute" src/a/n2
}

# cycle NAME OPTIONS...: full at t1, incremental at t2, restores at t1 and
# t2 from an empty cache, each equal to the source at that time.
cycle() {
	name=$1 && shift &&
	url="mf://u%40example.com@mediafire.com/classes/$name" &&
	make_source &&
	dupc_mf full "$@" --current-time 1700000000 \
		--archive-dir "$TRASH/cache-$name" src "$url" >"$name-full.out" &&
	grep -q "^Errors 0" "$name-full.out" &&
	rm -rf "snap1-$name" && cp -a src "snap1-$name" &&
	change_source &&
	dupc_mf incremental "$@" --current-time 1700003600 \
		--archive-dir "$TRASH/cache-$name" src "$url" >"$name-inc.out" &&
	grep -q "^Errors 0" "$name-inc.out" &&
	dupc_mf restore "$@" -t 1700000000 --archive-dir "$TRASH/empty1-$name" \
		"$url" "r1-$name" >/dev/null &&
	diff -r "snap1-$name" "r1-$name" &&
	dupc_mf restore "$@" --archive-dir "$TRASH/empty2-$name" \
		"$url" "r2-$name" >/dev/null &&
	diff -r src "r2-$name"
}

# with_fault NAME RULE OPTIONS...: run the cycle with only RULE active and
# check from the request log that the fault fired at least twice.
with_fault() {
	name=$1 rule=$2 && shift 2 &&
	control DELETE /_mfemu/faults >/dev/null &&
	control POST /_mfemu/faults "$rule" >/dev/null &&
	action=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])[\"action\"])" "$rule") &&
	before=$(fired "$action") &&
	cycle "$name" --no-encryption "$@" &&
	control DELETE /_mfemu/faults >/dev/null &&
	after=$(fired "$action") &&
	echo "$name: $action x$((after - before))" >>"$TRASH/fired" &&
	test $((after - before)) -ge 2
}

test_expect_success 'start the emulator' '
	mkdir mfdata &&
	echo "{\"unit_sizes\": [{\"below\": null, \"unit_size\": 131072}]}" \
		>mfdata/config.json || return 1
	start_mfemu --account "u@example.com:$FTP_PASSWORD" --seed 11 \
		--control --log "$TRASH/mf.log" &&
	API=$MF_ROOT &&
	export DUPC_MF_API_ROOT=$API
'

test_expect_success 'encrypted cycle, restored at each time' '
	export PASSPHRASE="cycle phrase" &&
	cycle gpg &&
	ls "$TRASH/mfdata" >/dev/null &&
	grep -q "\\.gpg" "$TRASH/mf.log" || grep -rq "difftar.gpg" "$TRASH/mfdata"
'

test_expect_success 'volumes above the simple limit went through upload/resumable' '
	grep -q "\"path\": *\"upload/resumable\"" "$TRASH/mf.log" &&
	grep -q "\"path\": *\"upload/simple\"" "$TRASH/mf.log" &&
	grep -q "\"unit\": *5," "$TRASH/mf.log"
'

test_expect_success 'HTTP 500 after the key advanced, 1 call in 4' '
	with_fault k500 "{\"match\": {\"probability\": 0.25}, \"action\": \"http500_after_advance\", \"times\": -1}"
'

test_expect_success 'answers dropped after the work was done, 1 call in 5' '
	with_fault drop "{\"match\": {\"probability\": 0.2}, \"action\": \"drop_after\", \"times\": -1}"
'

test_expect_success 'error 127 (bad signature), 1 call in 4' '
	with_fault e127 "{\"match\": {\"probability\": 0.25}, \"action\": \"error\", \"code\": 127, \"times\": -1}"
'

test_expect_success 'downloads cut short, 1 in 2' '
	with_fault cut "{\"match\": {\"path\": \"dl/*\", \"probability\": 0.5}, \"action\": \"truncate\", \"times\": -1}"
'

test_expect_success 'downloads corrupted, 1 in 2' '
	with_fault bad "{\"match\": {\"path\": \"dl/*\", \"probability\": 0.5}, \"action\": \"corrupt\", \"times\": -1}"
'

test_expect_success 'upload polls stuck in progress, 1 in 2' '
	with_fault poll "{\"match\": {\"probability\": 0.5}, \"action\": \"poll_stuck\", \"status\": 5, \"polls\": 4, \"times\": -1}"
'

test_expect_success 'resumable units lost, 3 in 10 (at most 4 times)' '
	with_fault units "{\"match\": {\"path\": \"upload/resumable\", \"probability\": 0.3}, \"action\": \"lose_units\", \"times\": 4}"
'

test_expect_success 'listings paged two files at a time' '
	with_fault page "{\"match\": {\"path\": \"folder/get_content\"}, \"action\": \"force_chunk_size\", \"size\": 2, \"times\": -1}"
'

test_expect_success 'a fault that never clears ends with Giving up and a non-zero exit' '
	make_source &&
	url="mf://u%40example.com@mediafire.com/classes/stuck" &&
	control POST /_mfemu/faults \
		"{\"match\": {\"path\": \"upload/*\"}, \"action\": \"http500_before_advance\", \"times\": -1}" >/dev/null &&
	test_expect_code 50 "$DUPC" full --no-encryption --num-retries 3 \
		--backend-retry-delay 0.01 --archive-dir "$TRASH/cache-stuck" \
		src "$url" >stuck.out 2>stuck.err &&
	grep "Giving up after 3 attempts" stuck.err &&
	test $(wc -l <stuck.err) -le 3
'

test_expect_success 'once it clears, the next run completes and restores' '
	control DELETE /_mfemu/faults >/dev/null &&
	url="mf://u%40example.com@mediafire.com/classes/stuck" &&
	dupc_mf --no-encryption --archive-dir "$TRASH/cache-stuck" \
		src "$url" >after.out &&
	grep -q "^Errors 0" after.out &&
	dupc_mf restore --no-encryption --archive-dir "$TRASH/empty-stuck" \
		"$url" r-stuck >/dev/null &&
	diff -r src r-stuck
'

[ -f "$TRASH/fired" ] && say "# faults survived: $(tr '\n' ';' <"$TRASH/fired")"

test_expect_success 'stop the emulator' '
	stop_mfemu
'

test_done
