#!/usr/bin/env bash
# t8301-s3-multipart: s3:// on a real Ceph RADOS Gateway: a 60 MB volume
# as a multipart upload with parts in parallel (the ETag's part count); an
# upload killed half-way is resumed by the next run, one interrupted is
# aborted as dupc stops, and none is left behind either way; storage
# classes and server-side encryption reach the server.
#
# needs-server: ceph
. "$(dirname "$0")/lib.sh"

need_server ceph

. "$TEST_TOP/tests/e2e/lib-s3.sh"

mkdir -p big small &&
head -c 63000000 /dev/urandom >big/file &&
head -c 2500000 /dev/urandom >small/file || exit 1

test_expect_success 'a 60 MB volume goes in parts, side by side, and restores' '
	"$DUPC" --no-encryption --volsize 60 --s3-multipart-chunk-size 10 \
		--s3-multipart-max-procs 4 -v9 --archive-dir cache-mp \
		big "s3://$HP/$B/mp" --s3-unencrypted-connection >mp.out 2>&1 &&
	grep "multipart upload of duplicity-full.*vol1" mp.out >mp.line &&
	parts=$(sed -n "s/.*: \([0-9]*\) parts of at most 10485760 bytes, \1 sent, at most [2-4] in flight at once$/\1/p" mp.line) &&
	test "$parts" -ge 6 &&
	s3py heads "$B" mp/ >heads &&
	grep "vol1.difftar.gz" heads | grep -q "\"[0-9a-f]*-$parts\" STANDARD" &&
	"$DUPC" restore --no-encryption --archive-dir cache-mp-r \
		"s3://$HP/$B/mp" big-r --s3-unencrypted-connection &&
	cmp big/file big-r/file
'

test_expect_success 'a killed multipart upload is resumed by the next run and none is left' '
	DUPC_FAULT_POINT=s3-part-uploaded:5 "$DUPC" --no-encryption --volsize 25 \
		--s3-multipart-chunk-size 5 --archive-dir cache-kill big \
		"s3://$HP/$B/kill" --s3-unencrypted-connection >kill1.out 2>&1;
	test $? -eq 137 &&
	test "$(s3py uploads "$B" kill/)" -ge 1 &&
	"$DUPC" --no-encryption --volsize 25 --s3-multipart-chunk-size 5 -v9 \
		--archive-dir cache-kill big "s3://$HP/$B/kill" \
		--s3-unencrypted-connection >kill2.out 2>&1 &&
	grep -q "Found an unfinished multipart upload of kill/" kill2.out &&
	grep -q "^Errors 0" kill2.out &&
	test "$(s3py uploads "$B" kill/)" -eq 0 &&
	"$DUPC" restore --no-encryption --archive-dir cache-kill-r \
		"s3://$HP/$B/kill" kill-r --s3-unencrypted-connection &&
	cmp big/file kill-r/file
'

test_expect_success 'an interrupted multipart upload is aborted as dupc stops' '
	DUPC_FAULT_POINT=s3-part-uploaded:2:stall "$DUPC" --no-encryption \
		--volsize 25 --s3-multipart-chunk-size 5 --archive-dir cache-int \
		big "s3://$HP/$B/int" --s3-unencrypted-connection >int.out 2>&1 &
	pid=$! &&
	for i in $(seq 1 100); do
		test "$(s3py uploads "$B" int/)" -ge 1 && break
		sleep 0.2
	done &&
	sleep 1 &&
	kill -INT $pid &&
	{ wait $pid; test $? -ne 0; } &&
	test "$(s3py uploads "$B" int/)" -eq 0
'

test_expect_success 'storage classes reach the server; manifests and signatures stay STANDARD' '
	for opt in rrs:REDUCED_REDUNDANCY ia:STANDARD_IA onezone-ia:ONEZONE_IA \
	    glacier:GLACIER glacier-ir:GLACIER_IR deep-archive:DEEP_ARCHIVE; do
		o=${opt%%:*} class=${opt#*:}
		"$DUPC" --no-encryption --volsize 1 --archive-dir "cache-sc-$o" \
			--s3-use-$o small "s3://$HP/$B/sc-$o" \
			--s3-unencrypted-connection >sc.out 2>&1 &&
		s3py heads "$B" "sc-$o/" >sc.heads &&
		grep "\.vol" sc.heads >sc.vols &&
		test "$(wc -l <sc.vols)" -eq 3 &&
		! grep -v " $class " sc.vols &&
		grep -E "manifest|signatures" sc.heads >sc.meta &&
		test "$(wc -l <sc.meta)" -eq 2 &&
		! grep -v " STANDARD " sc.meta || return 1
	done &&
	test_expect_code 2 "$DUPC" --no-encryption --archive-dir cache-sc2 small \
		"s3://$HP/$B/sc2" --s3-use-ia --s3-use-glacier >sc2.out 2>&1 &&
	grep -q -- "--s3-use-ia and --s3-use-glacier" sc2.out
'

test_expect_success 'server-side encryption headers reach the server' '
	"$DUPC" --no-encryption --archive-dir cache-kms small "s3://$HP/$B/kms" \
		--s3-unencrypted-connection --s3-use-server-side-kms-encryption \
		--s3-kms-key-id testkey-1 &&
	s3py heads "$B" kms/ >kms.heads &&
	test "$(grep -c " aws:kms testkey-1$" kms.heads)" -eq 3 &&
	"$DUPC" restore --no-encryption --archive-dir cache-kms-r \
		"s3://$HP/$B/kms" kms-r --s3-unencrypted-connection &&
	cmp small/file kms-r/file &&
	"$DUPC" --no-encryption --archive-dir cache-aes small "s3://$HP/$B/aes" \
		--s3-unencrypted-connection --s3-use-server-side-encryption &&
	key=$(s3py keys "$B" aes/ | grep manifest) &&
	radosgw-admin -c "$DUPC_CEPH_CONF" -n client.rgw.a object stat \
		--bucket "$B" --object "$key" >aes.stat 2>/dev/null &&
	grep -q "\"user.rgw.x-amz-server-side-encryption\": \"AES256\"" aes.stat
'

test_done
