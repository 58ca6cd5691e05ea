# tests/e2e/lib-s3.sh: what the s3:// scripts share, sourced after
# need_server ceph.  Sets $PY, the run's own bucket $B (named after the
# script and $$: the server is shared with other scripts and with the
# other build's pass), $HP and $EP (the radosgw as host:port and as its
# endpoint URL), the server's credentials in the AWS variables with every
# other AWS setting unset, and s3py CMD BUCKET PREFIX, which reads what
# the server holds with boto3 (tests/e2e/s3objects.py: heads, uploads,
# keys).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
B=$(basename "$0" .sh | cut -d- -f1)-$$
HP=127.0.0.1:$DUPC_RGW_PORT
EP=$DUPC_RGW_ENDPOINT
export AWS_ACCESS_KEY_ID=$DUPC_RGW_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$DUPC_RGW_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION \
    AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3

s3py() { "$PY" "$TEST_TOP/tests/e2e/s3objects.py" "$@"; }
