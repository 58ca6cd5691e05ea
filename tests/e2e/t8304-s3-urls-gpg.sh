#!/usr/bin/env bash
# t8304-s3-urls-gpg: t8300's backend cycle through every URL spelling,
# encrypted with GnuPG (a script of its own, so that the two run side by
# side).
#
# needs-server: ceph
. "$(dirname "$0")/lib.sh"

need_server ceph

. "$TEST_TOP/tests/e2e/lib-s3.sh"

# cycle NAME URL [OPTION...]: backend_cycle encrypted.  The
# AddressSanitizer pass, which runs the same code for each spelling in
# t8300, runs the first spelling only (the others need UNSANITIZED): gpg
# there is slow and adds nothing the first one does not check.
cycle() {
	local name=$1 url=$2
	shift 2
	PASSPHRASE="s3 $name" backend_cycle "$url/$name-enc" "$@"
}

test_expect_success 's3://HOST:PORT/BUCKET/PREFIX (duplicity 0.8), plain HTTP' '
	cycle host "s3://$HP/$B/a" --s3-unencrypted-connection
'

test_expect_success UNSANITIZED 's3://localhost:PORT/BUCKET/PREFIX (a host name with a port)' '
	cycle localhost "s3://localhost:$DUPC_RGW_PORT/$B/b" \
		--s3-unencrypted-connection
'

test_expect_success UNSANITIZED 's3://BUCKET/PREFIX (duplicity 2.x/3.x) with --s3-endpoint-url' '
	cycle bucket "s3://$B/c" --s3-endpoint-url "$EP"
'

test_expect_success UNSANITIZED 's3:///BUCKET/PREFIX with AWS_ENDPOINT_URL' '
	AWS_ENDPOINT_URL=$EP cycle slashes "s3:///$B/d"
'

test_expect_success UNSANITIZED 'boto3+s3://BUCKET/PREFIX with AWS_ENDPOINT_URL_S3' '
	AWS_ENDPOINT_URL_S3=$EP AWS_ENDPOINT_URL=http://127.0.0.1:1 \
		cycle boto3 "boto3+s3://$B/e"
'

test_expect_success UNSANITIZED 's3+http://BUCKET/PREFIX with --s3-endpoint-url' '
	cycle s3http "s3+http://$B/f" --s3-endpoint-url "$EP"
'

test_expect_success UNSANITIZED 'boto+s3://HOST:PORT/BUCKET/PREFIX' '
	cycle boto "boto+s3://$HP/$B/g" --s3-unencrypted-connection
'

test_expect_success UNSANITIZED 'gs://BUCKET/PREFIX with GS_ACCESS_KEY_ID, at the given endpoint' '
	GS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID GS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY \
	AWS_ACCESS_KEY_ID=unused AWS_SECRET_ACCESS_KEY=unused \
		cycle gs "gs://$B/h" --s3-endpoint-url "$EP"
'

test_expect_success UNSANITIZED 'a bucket name with dots, virtual-host addressing' '
	cycle vhost "s3://$B.dots/i" --s3-endpoint-url "http://localhost:$DUPC_RGW_PORT" \
		--s3-use-new-style
'

test_expect_success UNSANITIZED 'the profile: keys, region and endpoint from ~/.aws' '
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
