#!/usr/bin/env bash
# t8320-s3-faults: s3:// through the fault proxy (tools/faultproxy, HTTP
# mode) in front of a real Ceph RADOS Gateway.  Connections reset in the
# middle of a part, 503 SlowDown answers, downloads cut short, and all of
# them at random rates: every backup ends complete, or in one clean
# "Giving up" line after which the next run finishes it; restores are
# identical to the source; no multipart upload is left behind.
#
# needs-server: ceph
. "$(dirname "$0")/lib.sh"

need_server ceph

. "$TEST_TOP/tests/e2e/lib-s3.sh"

cat >"$TRASH/uploads.py" <<'EOF'
# uploads.py BUCKET: the number of unfinished multipart uploads
import os, sys
import boto3

s3 = boto3.client("s3", endpoint_url=os.environ["DUPC_RGW_ENDPOINT"],
                  region_name="us-east-1",
                  aws_access_key_id=os.environ["DUPC_RGW_ACCESS_KEY"],
                  aws_secret_access_key=os.environ["DUPC_RGW_SECRET_KEY"])
print(len(s3.list_multipart_uploads(Bucket=sys.argv[1]).get("Uploads", [])))
EOF
uploads() { "$PY" "$TRASH/uploads.py" "$B"; }

# faults RULES: replace the proxy's rules (JSON) through its control port.
faults() {
	curl -sf -X DELETE "$FP_CONTROL/_faultproxy/faults" >/dev/null &&
	if [ -n "$1" ]; then
		curl -sf -d "$1" "$FP_CONTROL/_faultproxy/faults" >/dev/null
	fi
}

# fired ACTION: how many faults of ACTION the proxy's log shows so far.
fired() {
	grep -c "\"event\": \"fault\".*\"action\": \"$1\"" "$TRASH/fp.log" || true
}

OPTS=(--s3-unencrypted-connection --volsize 15 --s3-multipart-chunk-size 5
	--num-retries 5 --backend-retry-delay 0.2 --timeout 10)

# backup PREFIX [OPTION...]: a backup of src through the proxy.
backup() {
	local p=$1
	shift
	PASSPHRASE=faults "$DUPC" "${OPTS[@]}" "$@" --archive-dir "cache-$p" \
		src "s3://$FP_ADDR/$B/$p"
}

# restored PREFIX: a restore through the proxy, equal to src.
restored() {
	rm -rf "r-$1" "cache-r-$1" &&
	PASSPHRASE=faults "$DUPC" restore "${OPTS[@]}" --archive-dir "cache-r-$1" \
		"s3://$FP_ADDR/$B/$1" "r-$1" >"r-$1.out" 2>&1 &&
	diff -r src "r-$1"
}

test_expect_success 'the proxy in front of radosgw; a source of three volumes' '
	start_faultproxy "$DUPC_RGW_HOST:$DUPC_RGW_PORT" --http --seed 8320 &&
	mkdir -p src/d &&
	head -c 32000000 /dev/urandom >src/d/big &&
	for i in $(seq 1 40); do echo "small $i" >"src/d/s$i"; done
'

test_expect_success 'connections reset in the middle of parts: the backup completes' '
	faults "{\"match\": {\"method\": \"PUT\", \"query\": \"partNumber=*\"},
		\"action\": \"cut_request\", \"bytes\": 1500000, \"times\": 3}" &&
	backup reset >reset.out 2>&1 &&
	grep -q "^Errors 0" reset.out &&
	test "$(fired cut_request)" -eq 3 &&
	test "$(uploads)" -eq 0 &&
	faults "" && restored reset
'

test_expect_success '503 SlowDown answers: the backup completes' '
	before=$(fired respond) &&
	faults "{\"match\": {\"method\": \"PUT\"}, \"action\": \"respond\",
		\"preset\": \"s3_slowdown\", \"times\": 4}" &&
	backup slow >slow.out 2>&1 &&
	grep -q "^Errors 0" slow.out &&
	test $(( $(fired respond) - before )) -ge 1 &&
	test "$(uploads)" -eq 0 &&
	faults "" && restored slow
'

test_expect_success 'downloads cut short: the restore resumes them' '
	before=$(fired cut_response) &&
	faults "{\"match\": {\"method\": \"GET\", \"path\": \"*.difftar.gpg\"},
		\"action\": \"cut_response\", \"bytes\": 3000000, \"times\": 3}" &&
	restored slow &&
	test $(( $(fired cut_response) - before )) -ge 1
'

# The rates of the random run (per request or connection the rule sees).
RANDOM_FAULTS='[
 {"name": "part cut", "match": {"method": "PUT", "query": "partNumber=*", "probability": 0.35},
  "action": "cut_request", "times": "forever"},
 {"name": "slow down", "match": {"method": "PUT", "probability": 0.1},
  "action": "respond", "preset": "s3_slowdown", "times": "forever"},
 {"name": "internal error", "match": {"method": "POST", "probability": 0.2},
  "action": "respond", "preset": "s3_internal_error", "times": "forever"},
 {"name": "download cut", "match": {"method": "GET", "probability": 0.15},
  "action": "cut_response", "times": "forever"},
 {"name": "reset", "match": {"probability": 0.1}, "action": "reset",
  "bytes": 200000, "times": "forever"}
]'

test_expect_success 'faults at random rates: complete, or given up cleanly and finished by the next run once the network heals; the restore under the same faults' '
	before=$(grep -c "\"event\": \"fault\"" "$TRASH/fp.log") &&
	faults "$RANDOM_FAULTS" &&
	backup random --num-retries 4 >random1.out 2>random1.err;
	rc=$? &&
	if [ $rc -ne 0 ]; then
		grep -q "Giving up after 4 attempts" random1.err &&
		test "$(grep -c . random1.err)" -eq 1 &&
		curl -sf "$FP_CONTROL/_faultproxy/faults" >rules.json &&
		faults "" &&
		backup random >random2.out 2>&1 &&
		grep -q "^Errors 0" random2.out
	else
		grep -q "^Errors 0" random1.out
	fi &&
	test "$(uploads)" -eq 0 &&
	if [ $rc -eq 0 ]; then
		curl -sf "$FP_CONTROL/_faultproxy/faults" >rules.json
	fi &&
	faults "$RANDOM_FAULTS" &&
	restored random &&
	"$PY" -c "
import json
for r in json.load(open(\"rules.json\"))[\"rules\"]:
    print(\"%-15s matched %4d fired %3d\" % (r[\"name\"], r[\"matched\"], r[\"hits\"]))
" >"$TRASH/rates" &&
	echo "first run: exit $rc" >>"$TRASH/rates" &&
	test $(( $(grep -c "\"event\": \"fault\"" "$TRASH/fp.log") - before )) -ge 3
'

# what the random run drew, for the log
[ -f "$TRASH/rates" ] && sed 's/^/# /' "$TRASH/rates"

test_done
