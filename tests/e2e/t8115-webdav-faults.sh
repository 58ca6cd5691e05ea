#!/usr/bin/env bash
# webdav:// through the fault proxy (tools/faultproxy) in front of the
# real Apache of tests/servers/webdav: uploads and downloads cut mid-body
# end in a complete backup and an identical restore; a server that stays
# away ends in "Giving up" and the next run resumes and completes.
#
# needs-server: webdav
. "$(dirname "$0")/lib.sh"
need_server webdav

[ -f "$FAULTPROXY" ] || test_skip_all "faultproxy not found (set FAULTPROXY)"

export FTP_PASSWORD=$DUPC_WEBDAV_PASSWORD
u=t8115-$$

dupc_dav() {
	"$DUPC" "$@" --no-encryption --num-retries 8 --backend-retry-delay 0.05 \
		--timeout 3
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

test_expect_success 'start the proxy in front of Apache' '
	start_faultproxy "$DUPC_WEBDAV_HOST:$DUPC_WEBDAV_PORT" --seed 5 --http &&
	URL="webdav://dupc@$FP_ADDR/dav/$u" &&
	echo "$URL" >url
'
URL=$(cat url 2>/dev/null)

test_expect_success 'full backup while uploads are cut mid-body' '
	control POST /_faultproxy/faults "[
	  {\"match\": {\"method\": \"PUT\", \"probability\": 0.4},
	   \"action\": \"cut_request\", \"times\": \"forever\"}]" >/dev/null &&
	mkdir -p src/bin src/notes &&
	head -c 3000000 /dev/urandom >src/bin/big &&
	for i in $(seq 1 30); do
		echo "note $i" >src/notes/n$i.txt || return 1
	done &&
	dupc_dav full --volsize 1 --archive-dir "$TRASH/cache" src "$URL" >full.out &&
	grep -q "^Errors 0" full.out &&
	test $(fired cut_request) -ge 2 &&
	! ls -A "$DUPC_WEBDAV_ROOT/$u" | grep -q "^\.dupc-part" &&
	control DELETE /_faultproxy/faults >/dev/null
'

test_expect_success 'restore while downloads are cut mid-body' '
	control POST /_faultproxy/faults "[
	  {\"match\": {\"method\": \"GET\", \"probability\": 0.5},
	   \"action\": \"cut_response\", \"bytes\": 70000, \"times\": \"forever\"}]" >/dev/null &&
	dupc_dav restore --archive-dir "$TRASH/empty" "$URL" restored >/dev/null &&
	diff -r src restored &&
	test $(fired cut_response) -ge 1 &&
	control DELETE /_faultproxy/faults >/dev/null
'

test_expect_success 'a server that stays away: Giving up, then the next run resumes' '
	head -c 2500000 /dev/urandom >src/bin/new &&
	control POST /_faultproxy/faults \
		"{\"action\": \"refuse\", \"times\": \"forever\"}" >/dev/null &&
	test_must_fail "$DUPC" incremental --no-encryption --num-retries 2 \
		--backend-retry-delay 0.05 --timeout 3 --volsize 1 \
		--archive-dir "$TRASH/cache" src "$URL" >inc.out 2>inc.err &&
	grep -q "Giving up after 2 attempts" inc.err &&
	control DELETE /_faultproxy/faults >/dev/null &&
	dupc_dav incremental --volsize 1 --archive-dir "$TRASH/cache" src "$URL" >inc2.out &&
	grep -q "^Errors 0" inc2.out &&
	dupc_dav restore --archive-dir "$TRASH/empty2" "$URL" restored2 >/dev/null &&
	diff -r src restored2
'

test_done
