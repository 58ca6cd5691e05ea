#!/usr/bin/env bash
# The fault proxy with a real client: dupc's mf:// backend talks to the
# MediaFire emulator through tools/faultproxy, and network faults must
# cost retries, not data: answers and uploads cut in the middle, refused
# connections, a stall longer than --timeout, latency with a bandwidth
# cap.  The proxy's log and control endpoint are used from the shell as
# the network backends' scripts use them (start_faultproxy in lib.sh).
. "$(dirname "$0")/lib.sh"

if [ ! -f "$MFEMU" ] || [ ! -f "$FAULTPROXY" ]; then
	test_skip_all "mfemu or faultproxy not found (set MFEMU, FAULTPROXY)"
fi

URL="mf://u%40example.com@mediafire.com/through/proxy"
export FTP_PASSWORD='fp secret'
export DUPC_MF_POLL_INTERVAL=0.01 DUPC_MF_SIMPLE_MAX=262144

dupc_mf() {
	"$DUPC" "$@" --no-encryption --num-retries 8 --backend-retry-delay 0.05 \
		--timeout 2
}

# control METHOD PATH [JSON]: talk to the proxy's control endpoint.
control() {
	python3 - "$FP_CONTROL" "$1" "$2" "${3-}" <<-\PY
	import sys, urllib.request
	base, method, path, body = sys.argv[1:5]
	req = urllib.request.Request(base + path, method=method,
	                             data=body.encode() if body else None,
	                             headers={"Content-Type": "application/json"})
	sys.stdout.write(urllib.request.urlopen(req, timeout=10).read().decode())
	PY
}

# fired ACTION: how many times the proxy's log says ACTION fired.
fired() {
	python3 - "$TRASH/fp.log" "$1" <<-\PY
	import json, sys
	print(sum(1 for line in open(sys.argv[1])
	          if json.loads(line).get("event") == "fault"
	          and json.loads(line).get("action") == sys.argv[2]))
	PY
}

test_expect_success 'start the emulator and the proxy in front of it' '
	mkdir mfdata &&
	echo "{\"unit_sizes\": [{\"below\": null, \"unit_size\": 131072}]}" \
		>mfdata/config.json &&
	start_mfemu --account "u@example.com:$FTP_PASSWORD" --seed 4 &&
	start_faultproxy "${MF_ROOT#http://}" --seed 9 --http &&
	export DUPC_MF_API_ROOT="http://$FP_ADDR"
'

test_expect_success 'full backup while answers and uploads are cut mid-body' '
	control POST /_faultproxy/faults "[
	  {\"match\": {\"probability\": 0.15}, \"action\": \"cut_response\",
	   \"bytes\": 20, \"times\": \"forever\"},
	  {\"match\": {\"method\": \"POST\", \"path\": \"/api/*/upload/*\",
	   \"probability\": 0.3}, \"action\": \"cut_request\", \"times\": \"forever\"}]" &&
	mkdir -p src/notes src/bin &&
	head -c 900000 /dev/urandom >src/bin/big &&
	for i in $(seq 1 40); do
		echo "note $i" >src/notes/n$i.txt || return 1
	done &&
	dupc_mf full --archive-dir "$TRASH/cache" src "$URL" >full.out &&
	grep -q "^Errors 0" full.out &&
	test $(fired cut_response) -ge 2 &&
	test $(fired cut_request) -ge 2 &&
	control DELETE /_faultproxy/faults >/dev/null
'

test_expect_success 'incremental backup past refused connections' '
	control POST /_faultproxy/faults \
		"{\"action\": \"refuse\", \"times\": 3}" >/dev/null &&
	echo changed >>src/notes/n5.txt &&
	head -c 300000 /dev/urandom >src/bin/new &&
	touch -d "+1 minute" src/notes/n5.txt &&
	dupc_mf incremental --archive-dir "$TRASH/cache" src "$URL" >inc.out &&
	grep -q "^Errors 0" inc.out &&
	test $(fired refuse) -eq 3 &&
	control GET /_faultproxy/faults >rules.json &&
	grep -q "\"remaining\": 0" rules.json &&
	control DELETE /_faultproxy/faults >/dev/null
'

test_expect_success 'a stall longer than --timeout is given up and retried' '
	n=$(control GET /_faultproxy/counters |
		python3 -c "import json,sys; print(json.load(sys.stdin)[\"connections\"])") &&
	control POST /_faultproxy/faults "{\"match\": {\"conn\": $((n + 1)),
	  \"direction\": \"down\"}, \"action\": \"stall\", \"bytes\": 100}" >/dev/null &&
	dupc_mf collection-status --archive-dir "$TRASH/cache" "$URL" >status.out &&
	grep -q "Chain start time" status.out &&
	test $(fired stall) -eq 1 &&
	grep "\"conn\": $((n + 1)), \"reason\"" fp.log >closed &&
	grep -q "gave up during a stall" closed &&
	control DELETE /_faultproxy/faults >/dev/null
'

test_expect_success 'restore over a slow, distant link gives the source back' '
	control POST /_faultproxy/faults "[
	  {\"action\": \"delay\", \"ms\": 20},
	  {\"match\": {\"direction\": \"down\"}, \"action\": \"bandwidth\",
	   \"rate\": 2000000, \"scope\": \"shared\"}]" >/dev/null &&
	dupc_mf restore --archive-dir "$TRASH/empty" "$URL" restored >/dev/null &&
	diff -r src restored &&
	test $(fired delay) -ge 1 &&
	test $(fired bandwidth) -ge 1
'

test_expect_success 'the log has an open and a close line per connection' '
	stop_faultproxy &&
	python3 - "$TRASH/fp.log" <<-\PY
	import json, sys
	recs = [json.loads(line) for line in open(sys.argv[1])]
	opened = [r["conn"] for r in recs if r["event"] == "open"]
	closed = [r["conn"] for r in recs if r["event"] == "close"]
	assert opened and opened == sorted(opened), opened
	assert sorted(closed) == opened, (opened, closed)
	PY
'

test_done
