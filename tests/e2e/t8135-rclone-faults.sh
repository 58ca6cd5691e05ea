#!/usr/bin/env bash
# rclone:// through the fault proxy (tools/faultproxy): the sftp remote
# of tests/servers/rclone pointed at the proxy in front of the run's
# sshd.  Connections reset mid-upload and mid-download end in a complete
# backup and an identical restore; a server that stays away ends in
# "Giving up" and the next run resumes and completes.
#
# needs-server: rclone
. "$(dirname "$0")/lib.sh"
need_server rclone

[ -f "$FAULTPROXY" ] || test_skip_all "faultproxy not found (set FAULTPROXY)"

u=t8135-$$

dupc_rc() {
	"$DUPC" "$@" --no-encryption --num-retries 8 --backend-retry-delay 0.05 \
		--timeout 10
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

test_expect_success 'start the proxy in front of sshd' '
	start_faultproxy "$RCLONE_CONFIG_DUPCSFTP_HOST:$RCLONE_CONFIG_DUPCSFTP_PORT" \
		--seed 11 &&
	echo "${FP_ADDR##*:}" >port &&
	sed "s/^\[[^]]*\]:$RCLONE_CONFIG_DUPCSFTP_PORT /[127.0.0.1]:${FP_ADDR##*:} /" \
		"$RCLONE_CONFIG_DUPCSFTP_KNOWN_HOSTS_FILE" >known_hosts &&
	grep -q "${FP_ADDR##*:}" known_hosts
'
export RCLONE_CONFIG_DUPCSFTP_PORT=$(cat port 2>/dev/null)
export RCLONE_CONFIG_DUPCSFTP_KNOWN_HOSTS_FILE=$TRASH/known_hosts
URL="rclone://$DUPC_RCLONE_SFTP_REMOTE:$u"

test_expect_success 'full backup while connections are reset mid-upload' '
	control POST /_faultproxy/faults "[
	  {\"match\": {\"direction\": \"up\"},
	   \"action\": \"reset\", \"bytes\": 600000, \"times\": 2}]" >/dev/null &&
	mkdir -p src/bin src/notes &&
	head -c 3000000 /dev/urandom >src/bin/big &&
	for i in $(seq 1 20); do
		echo "note $i" >src/notes/n$i.txt || return 1
	done &&
	dupc_rc full --volsize 1 --archive-dir "$TRASH/cache" src "$URL" >full.out &&
	grep -q "^Errors 0" full.out &&
	test $(fired reset) -eq 2 &&
	control DELETE /_faultproxy/faults >/dev/null
'

test_expect_success 'restore while connections are reset mid-download' '
	control POST /_faultproxy/faults "[
	  {\"match\": {\"direction\": \"down\"},
	   \"action\": \"reset\", \"bytes\": 500000, \"times\": 2}]" >/dev/null &&
	n=$(fired reset) &&
	dupc_rc restore --archive-dir "$TRASH/empty" "$URL" restored >/dev/null &&
	diff -r src restored &&
	test $(fired reset) -eq $((n + 2)) &&
	control DELETE /_faultproxy/faults >/dev/null
'

test_expect_success 'a server that stays away: Giving up, then the next run resumes' '
	head -c 2500000 /dev/urandom >src/bin/new &&
	control POST /_faultproxy/faults \
		"{\"action\": \"refuse\", \"times\": \"forever\"}" >/dev/null &&
	test_must_fail "$DUPC" incremental --no-encryption --num-retries 2 \
		--backend-retry-delay 0.05 --timeout 10 --volsize 1 \
		--archive-dir "$TRASH/cache" src "$URL" >inc.out 2>inc.err &&
	grep -q "Giving up after 2 attempts" inc.err &&
	control DELETE /_faultproxy/faults >/dev/null &&
	dupc_rc incremental --volsize 1 --archive-dir "$TRASH/cache" src "$URL" >inc2.out &&
	grep -q "^Errors 0" inc2.out &&
	dupc_rc restore --archive-dir "$TRASH/empty2" "$URL" restored2 >/dev/null &&
	diff -r src restored2
'

test_done
