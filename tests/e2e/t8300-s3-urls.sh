#!/usr/bin/env bash
# t8300-s3-urls: s3:// on a real Ceph RADOS Gateway, through every URL
# spelling duplicity has used: the backend cycle (full, two incrementals,
# a restore of each time) for each, unencrypted (t8304 encrypted), with
# the endpoint, the credentials and the addressing each spelling goes
# with.
#
# needs-server: ceph
. "$(dirname "$0")/lib.sh"

need_server ceph

. "$TEST_TOP/tests/e2e/lib-s3.sh"

test_expect_success 'dupc help s3 states which part of the URL is the bucket' '
	"$DUPC" help s3 >help &&
	grep -q "s3://HOST\[:PORT\]/BUCKET/PREFIX" help &&
	grep -q "has a :port, is an IP address or localhost" help &&
	grep -q "AWS_ENDPOINT_URL" help &&
	grep -q "manifests and signatures" help &&
	"$DUPC" help backends >backends &&
	grep -q -- "--s3-multipart-chunk-size" backends
'

# cycle NAME URL [OPTION...]: backend_cycle unencrypted (t8304 runs the
# same spellings encrypted).
cycle() {
	local name=$1 url=$2
	shift 2
	backend_cycle "$url/$name" --no-encryption "$@"
}

test_expect_success 's3://HOST:PORT/BUCKET/PREFIX (duplicity 0.8), plain HTTP' '
	cycle host "s3://$HP/$B/a" --s3-unencrypted-connection
'

test_expect_success 's3://localhost:PORT/BUCKET/PREFIX (a host name with a port)' '
	cycle localhost "s3://localhost:$DUPC_RGW_PORT/$B/b" \
		--s3-unencrypted-connection
'

test_expect_success 's3://BUCKET/PREFIX (duplicity 2.x/3.x) with --s3-endpoint-url' '
	cycle bucket "s3://$B/c" --s3-endpoint-url "$EP"
'

test_expect_success 's3:///BUCKET/PREFIX with AWS_ENDPOINT_URL' '
	AWS_ENDPOINT_URL=$EP cycle slashes "s3:///$B/d"
'

test_expect_success 'boto3+s3://BUCKET/PREFIX with AWS_ENDPOINT_URL_S3' '
	AWS_ENDPOINT_URL_S3=$EP AWS_ENDPOINT_URL=http://127.0.0.1:1 \
		cycle boto3 "boto3+s3://$B/e"
'

test_expect_success 's3+http://BUCKET/PREFIX with --s3-endpoint-url' '
	cycle s3http "s3+http://$B/f" --s3-endpoint-url "$EP"
'

test_expect_success 'boto+s3://HOST:PORT/BUCKET/PREFIX' '
	cycle boto "boto+s3://$HP/$B/g" --s3-unencrypted-connection
'

test_expect_success 'gs://BUCKET/PREFIX with GS_ACCESS_KEY_ID, at the given endpoint' '
	GS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID GS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
	AWS_ACCESS_KEY_ID=unused AWS_SECRET_ACCESS_KEY=unused \
		cycle gs "gs://$B/h" --s3-endpoint-url "$EP"
'

test_expect_success 'a bucket name with dots, virtual-host addressing' '
	cycle vhost "s3://$B.dots/i" --s3-endpoint-url "http://localhost:$DUPC_RGW_PORT" \
		--s3-use-new-style &&
	s3py keys "$B.dots" i/vhost/ >keys &&
	grep -q "^i/vhost/duplicity-full\." keys
'

test_expect_success 'the profile: keys, region and endpoint from ~/.aws' '
	mkdir -p "$HOME/.aws" &&
	printf "[rgw]\naws_access_key_id = %s\naws_secret_access_key = %s\n" \
		"$DUPC_RGW_ACCESS_KEY" "$DUPC_RGW_SECRET_KEY" >"$HOME/.aws/credentials" &&
	printf "[profile rgw]\nregion = us-east-1\ns3 =\n    endpoint_url = %s\n    addressing_style = path\n" \
		"$EP" >"$HOME/.aws/config" &&
	(
		unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY &&
		AWS_PROFILE=rgw cycle profile "s3://$B/j"
	)
'

test_done
