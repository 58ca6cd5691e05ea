#!/usr/bin/env bash
# t8302-s3-errors: s3:// failures a user causes, on a real Ceph RADOS
# Gateway: refused credentials, a bucket the user may not create, an
# endpoint that does not answer, TLS to a plain-HTTP port, a KMS key not
# given.  Each ends in one line that names the fix, with duplicity's exit
# code, and no secret anywhere.
#
# needs-server: ceph
. "$(dirname "$0")/lib.sh"

need_server ceph

. "$TEST_TOP/tests/e2e/lib-s3.sh"

mkdir -p small && head -c 100000 /dev/urandom >small/file || exit 1

test_expect_success 'KMS encryption without a key id: one line, duplicity code 49' '
	test_expect_code 49 "$DUPC" --no-encryption --archive-dir cache-nokms small \
		"s3://$HP/$B/nokms" --s3-unencrypted-connection \
		--s3-use-server-side-kms-encryption >nokms.out 2>nokms.err &&
	grep -q -- "--s3-kms-key-id" nokms.err &&
	test "$(grep -c . nokms.err)" -eq 1
'

test_expect_success 'no secret nor session token in a debug log' '
	"$DUPC" --no-encryption -v9 --log-file debug.log --archive-dir cache-dbg \
		small "s3://$HP/$B/dbg" --s3-unencrypted-connection >dbg.out 2>&1 &&
	grep -q "S3 PUT" dbg.out &&
	! grep -q "$DUPC_RGW_SECRET_KEY" dbg.out debug.log &&
	AWS_SESSION_TOKEN=the-session-token-0123456789 \
	"$DUPC" collection-status -v9 --archive-dir cache-tok \
		"s3://$HP/$B/dbg" --s3-unencrypted-connection >tok.out 2>&1 &&
	! grep -q "the-session-token" tok.out &&
	! grep -q "$DUPC_RGW_SECRET_KEY" tok.out
'

test_expect_success 'a wrong secret key: one line, exit 51, no secret' '
	AWS_SECRET_ACCESS_KEY=wrong-secret-0123456789-wrong-secret \
	test_expect_code 51 "$DUPC" --no-encryption --archive-dir cache-bad small \
		"s3://$HP/$B/bad" --s3-unencrypted-connection >bad.out 2>bad.err &&
	grep "SignatureDoesNotMatch" bad.err >bad.line &&
	grep -q "AWS_SECRET_ACCESS_KEY" bad.line &&
	test "$(grep -c . bad.err)" -eq 1 &&
	! grep -q wrong-secret bad.err &&
	! grep -q "$DUPC_RGW_SECRET_KEY" bad.out bad.err
'

test_expect_success 'an unknown access key: one line, exit 51' '
	AWS_ACCESS_KEY_ID=NOSUCHACCESSKEY00000 \
	test_expect_code 51 "$DUPC" collection-status --archive-dir cache-nokey \
		"s3://$HP/$B/bad" --s3-unencrypted-connection >nokey.out 2>nokey.err &&
	grep -q "InvalidAccessKeyId" nokey.err &&
	test "$(grep -c . nokey.err)" -eq 1
'

test_expect_success 'another user'"'"'s bucket: access denied, exit 51' '
	"$DUPC" --no-encryption --archive-dir cache-mine small \
		"s3://$HP/$B/mine" --s3-unencrypted-connection >mine.out &&
	AWS_ACCESS_KEY_ID=$DUPC_RGW_OTHER_ACCESS_KEY \
	AWS_SECRET_ACCESS_KEY=$DUPC_RGW_OTHER_SECRET_KEY \
	test_expect_code 51 "$DUPC" collection-status --archive-dir cache-other \
		"s3://$HP/$B/mine" --s3-unencrypted-connection >other.out 2>other.err &&
	grep -q "AccessDenied" other.err &&
	test "$(grep -c . other.err)" -eq 1
'

test_expect_success 'a missing bucket the user may not create: one line naming it, exit 52' '
	keys=$(radosgw-admin -c "$DUPC_CEPH_CONF" -n client.rgw.a user create \
		--uid "t8302-nobucket-$$" --display-name nobucket --max-buckets=-1 \
		2>/dev/null | "$PY" -c "import json,sys; k=json.load(sys.stdin)[\"keys\"][0]; print(k[\"access_key\"], k[\"secret_key\"])") &&
	AWS_ACCESS_KEY_ID=${keys% *} AWS_SECRET_ACCESS_KEY=${keys#* } \
	test_expect_code 52 "$DUPC" --no-encryption --archive-dir cache-nob small \
		"s3://$HP/$B-not-there/p" --s3-unencrypted-connection >nob.out 2>nob.err &&
	grep "does not exist" nob.err >nob.line &&
	grep -q "'"'"'$B-not-there'"'"'" nob.line &&
	grep -q "may not create it" nob.line &&
	test "$(grep -c . nob.err)" -eq 1
'

test_expect_success 'a new bucket is made in the region given; one the server lacks: one line' '
	"$DUPC" --no-encryption --archive-dir cache-reg small \
		"s3://$HP/$B-region/p" --s3-unencrypted-connection \
		--s3-region-name default >reg.out 2>&1 &&
	"$PY" -c "
import boto3, os
s3 = boto3.client(\"s3\", endpoint_url=os.environ[\"DUPC_RGW_ENDPOINT\"],
    region_name=\"us-east-1\", aws_access_key_id=os.environ[\"DUPC_RGW_ACCESS_KEY\"],
    aws_secret_access_key=os.environ[\"DUPC_RGW_SECRET_KEY\"])
print(s3.get_bucket_location(Bucket=\"$B-region\")[\"LocationConstraint\"])
" >reg.location &&
	echo default >expect && test_cmp expect reg.location &&
	test_expect_code 50 "$DUPC" --no-encryption --archive-dir cache-reg2 small \
		"s3://$HP/$B-region2/p" --s3-unencrypted-connection \
		--s3-region-name eu-west-1 >reg2.out 2>reg2.err &&
	grep -q "makes no bucket in region eu-west-1" reg2.err &&
	test "$(grep -c . reg2.err)" -eq 1
'

test_expect_success 'an endpoint nobody listens on: Giving up, exit 38' '
	test_expect_code 38 "$DUPC" --no-encryption --num-retries 2 \
		--backend-retry-delay 0.1 --archive-dir cache-down small \
		"s3://127.0.0.1:1/$B/p" --s3-unencrypted-connection >down.out 2>down.err &&
	grep -q "Giving up after 2 attempts" down.err &&
	grep -q "s3-endpoint-url" down.err &&
	test "$(grep -c . down.err)" -eq 1
'

test_expect_success 'TLS to the plain-HTTP port fails at once, exit 38' '
	test_expect_code 38 timeout 60 "$DUPC" collection-status --num-retries 1 \
		--timeout 5 --archive-dir cache-tls "s3://$HP/$B/p" >tls.out 2>tls.err &&
	grep -q "s3-unencrypted-connection" tls.err &&
	test "$(grep -c . tls.err)" -eq 1
'

test_expect_success 'TLS to a port that never answers times out, exit 38' '
	"$PY" -c "
import socket, sys, time
s = socket.socket(); s.bind((\"127.0.0.1\", 0)); s.listen(5)
print(s.getsockname()[1], flush=True)
c = []
while True:
    c.append(s.accept()[0])
" >silent.port &
	silent=$! &&
	for i in $(seq 1 50); do test -s silent.port && break; sleep 0.1; done &&
	start=$(date +%s) &&
	test_expect_code 38 timeout 60 "$DUPC" collection-status --num-retries 1 \
		--timeout 3 --archive-dir cache-silent \
		"s3://127.0.0.1:$(cat silent.port)/$B/p" >silent.out 2>silent.err;
	rc=$?; kill $silent; test $rc -eq 0 &&
	test $(( $(date +%s) - start )) -lt 30 &&
	test "$(grep -c . silent.err)" -eq 1
'

test_done
