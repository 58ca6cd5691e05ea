#!/usr/bin/env bash
# ftp:// through the fault proxy (tools/faultproxy) in front of the
# control port of the real vsftpd of tests/servers/ftp (data connections
# go to the server's passive ports directly).  Control connections reset
# while volumes go up and come down end in a complete backup and an
# identical restore; a server that stays away ends in "Giving up" and the
# next run resumes and completes.
#
# needs-server: ftp
. "$(dirname "$0")/lib.sh"
need_server ftp

[ -f "$FAULTPROXY" ] || test_skip_all "faultproxy not found (set FAULTPROXY)"

export FTP_PASSWORD=$DUPC_FTP_PASSWORD
u=t8125-$$

dupc_ftp() {
	"$DUPC" "$@" --no-encryption --num-retries 8 --backend-retry-delay 0.05 \
		--timeout 5
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

test_expect_success 'start the proxy in front of vsftpd' '
	start_faultproxy "$DUPC_FTP_HOST:$DUPC_FTP_PORT" --seed 3 &&
	echo "ftp://$DUPC_FTP_USER@$FP_ADDR/$u" >url
'
URL=$(cat url 2>/dev/null)

test_expect_success 'full backup while control connections are reset' '
	control POST /_faultproxy/faults "[
	  {\"match\": {\"direction\": \"down\"},
	   \"action\": \"reset\", \"bytes\": 700, \"times\": 3}]" >/dev/null &&
	mkdir -p src/bin src/notes &&
	head -c 3000000 /dev/urandom >src/bin/big &&
	for i in $(seq 1 20); do
		echo "note $i" >src/notes/n$i.txt || return 1
	done &&
	dupc_ftp full --volsize 1 --archive-dir "$TRASH/cache" src "$URL" >full.out &&
	grep -q "^Errors 0" full.out &&
	test $(fired reset) -ge 2 &&
	control DELETE /_faultproxy/faults >/dev/null
'

test_expect_success 'restore while control connections are reset' '
	control POST /_faultproxy/faults "[
	  {\"match\": {\"direction\": \"down\"},
	   \"action\": \"reset\", \"bytes\": 250, \"times\": 3}]" >/dev/null &&
	n=$(fired reset) &&
	dupc_ftp restore --archive-dir "$TRASH/empty" "$URL" restored >/dev/null &&
	diff -r src restored &&
	test $(fired reset) -ge $((n + 2)) &&
	control DELETE /_faultproxy/faults >/dev/null
'

test_expect_success 'a server that stays away: Giving up, then the next run resumes' '
	head -c 2500000 /dev/urandom >src/bin/new &&
	control POST /_faultproxy/faults \
		"{\"action\": \"refuse\", \"times\": \"forever\"}" >/dev/null &&
	test_must_fail "$DUPC" incremental --no-encryption --num-retries 2 \
		--backend-retry-delay 0.05 --timeout 5 --volsize 1 \
		--archive-dir "$TRASH/cache" src "$URL" >inc.out 2>inc.err &&
	grep -q "Giving up after 2 attempts" inc.err &&
	control DELETE /_faultproxy/faults >/dev/null &&
	dupc_ftp incremental --volsize 1 --archive-dir "$TRASH/cache" src "$URL" >inc2.out &&
	grep -q "^Errors 0" inc2.out &&
	dupc_ftp restore --archive-dir "$TRASH/empty2" "$URL" restored2 >/dev/null &&
	diff -r src restored2 &&
	test $(ls -A "$DUPC_FTP_HOME/$u" | grep -c "^\.") = 0
'

test_done
