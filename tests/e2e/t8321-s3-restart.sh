#!/usr/bin/env bash
# t8321-s3-restart: radosgw restarted in the middle of a backup (its own
# Ceph cluster, since the restart would disturb the other scripts).  The
# uploads go through the fault proxy with a bandwidth cap, so the restart
# falls in the middle of the volumes' parts.  The backup ends complete, or
# in one clean "Giving up" line after which the next run finishes it; the
# restore is identical and no multipart upload is left.
#
# needs-server: ceph
. "$(dirname "$0")/lib.sh"

# its own cluster (lib.sh starts it in $TRASH/servers)
need_server --private ceph

. "$TEST_TOP/tests/e2e/lib-s3.sh"

OPTS=(--s3-unencrypted-connection --volsize 12 --s3-multipart-chunk-size 5
	--num-retries 5 --backend-retry-delay 0.5 --timeout 10
	--archive-dir cache)

test_expect_success 'a source, and the proxy with a bandwidth cap' '
	mkdir -p src &&
	head -c 40000000 /dev/urandom >src/big &&
	start_faultproxy "$DUPC_RGW_HOST:$DUPC_RGW_PORT" --http \
		--faults "{\"match\": {\"direction\": \"up\"}, \"action\": \"bandwidth\",
			\"rate\": 8000000, \"scope\": \"shared\"}"
'

# backup FILE: a backup through the proxy, its output in FILE.out/.err.
backup() {
	PASSPHRASE=restart "$DUPC" "${OPTS[@]}" src "s3://$FP_ADDR/$B/p" \
		>"$1.out" 2>"$1.err"
}

test_expect_success 'radosgw restarts while a backup uploads its parts' '
	{ backup b1 & } &&
	pid=$! &&
	for i in $(seq 1 100); do
		grep -q "\"method\": \"PUT\".*partNumber" "$TRASH/fp.log" && break
		sleep 0.1
	done &&
	sleep 1 &&
	"$TEST_TOP/tests/servers/ceph" restart-rgw "$TRASH/servers/ceph" \
		>restart.out 2>&1 &&
	{ wait $pid; rc=$?; } &&
	echo "first run: exit $rc" >"$TRASH/outcome" &&
	if [ $rc -ne 0 ]; then
		grep -q "Giving up after" b1.err &&
		test "$(grep -c . b1.err)" -eq 1 &&
		backup b2 && grep -q "^Errors 0" b2.out
	else
		grep -q "^Errors 0" b1.out
	fi &&
	grep -q "\"event\": \"close\".*\"reason\": \"\\(target\\|client\\|fault\\)" "$TRASH/fp.log"
'

[ -f "$TRASH/outcome" ] && sed 's/^/# /' "$TRASH/outcome"

test_expect_success 'the restore is identical and no upload is left' '
	PASSPHRASE=restart "$DUPC" restore --s3-unencrypted-connection \
		--archive-dir cache-r "s3://$FP_ADDR/$B/p" r >r.out 2>&1 &&
	cmp src/big r/big &&
	"$PY" -c "
import os, boto3
s3 = boto3.client(\"s3\", endpoint_url=os.environ[\"DUPC_RGW_ENDPOINT\"],
    region_name=\"us-east-1\", aws_access_key_id=os.environ[\"DUPC_RGW_ACCESS_KEY\"],
    aws_secret_access_key=os.environ[\"DUPC_RGW_SECRET_KEY\"])
print(len(s3.list_multipart_uploads(Bucket=\"$B\").get(\"Uploads\", [])))
" >uploads &&
	echo 0 >expect && test_cmp expect uploads
'

test_done
