#!/usr/bin/env bash
# t8330-s3-scale: many hosts, one bucket.  Eight dupc processes back up
# eight different trees at the same time to eight prefixes of one bucket
# of a real Ceph RADOS Gateway (the bucket's root among them, and
# prefixes that are string prefixes or parents of each other), each then
# restores its own tree at each time, and neither a retention command nor
# a cleanup on one prefix touches an object of another.
#
# needs-server: ceph
. "$(dirname "$0")/lib.sh"

# eight processes at once: a load test of the same code t8300-t8321 run
# under AddressSanitizer
test_have_prereq UNSANITIZED ||
	test_skip_all "eight dupc at once: runs in the non-ASan pass"
need_server ceph

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
B=t8330-$$
HP=127.0.0.1:$DUPC_RGW_PORT
export AWS_ACCESS_KEY_ID=$DUPC_RGW_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$DUPC_RGW_SECRET_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION \
    AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3

# The eight hosts' prefixes ("-" is the bucket's root): "host1" is a
# string prefix of "host10", "deep/h2" is the parent of "deep/h2/sub".
HOSTS="- host1 host10 deep/h2 deep/h2/sub h5 h6 h7"
url_of() { if [ "$1" = - ]; then echo "s3://$HP/$B"; else echo "s3://$HP/$B/$1"; fi; }
id_of() { if [ "$1" = - ]; then echo root; else echo "$1" | tr / _; fi; }

cat >"$TRASH/keys.py" <<'EOF'
# keys.py BUCKET: every key of the bucket, one a line, sorted
# keys.py BUCKET KEY: store a small object KEY (with boto3, not dupc)
import os, sys
import boto3

s3 = boto3.client("s3", endpoint_url=os.environ["DUPC_RGW_ENDPOINT"],
                  region_name="us-east-1",
                  aws_access_key_id=os.environ["DUPC_RGW_ACCESS_KEY"],
                  aws_secret_access_key=os.environ["DUPC_RGW_SECRET_KEY"])
if len(sys.argv) > 2:
    s3.put_object(Bucket=sys.argv[1], Key=sys.argv[2], Body=b"left over")
    sys.exit(0)
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=sys.argv[1]):
    keys += [o["Key"] for o in page.get("Contents", [])]
print("\n".join(sorted(keys)))
EOF

# tree DIR SEED STEP: a host's tree, different for each seed.
tree() {
	local d=$1 seed=$2 i
	mkdir -p "$d/etc" "$d/var/data" &&
	case $3 in
	1)
		for i in $(seq 1 20); do
			echo "host $seed file $i" >"$d/etc/f$i" || return 1
		done &&
		head -c $((1000000 + seed * 70000)) /dev/urandom >"$d/var/data/blob"
		;;
	2)
		echo "changed on $seed" >>"$d/etc/f3" &&
		rm "$d/etc/f4" &&
		head -c 300000 /dev/urandom >"$d/var/data/new-$seed" &&
		touch -d "+1 minute" "$d/etc/f3"
		;;
	esac
}

# all STEP: every host backs up at once; fails when one of them did.
all() {
	local h n=0 id t=$((1700000000 + $1 * 100)) pids=() rc=0
	for h in $HOSTS; do
		n=$((n + 1))
		id=$(id_of "$h")
		tree "src-$id" $n "$1" &&
		rm -rf "at-$id-$1" && cp -a "src-$id" "at-$id-$1" || return 1
		PASSPHRASE="pass $id" "$DUPC" --volsize 1 --archive-dir "cache-$id" \
			--current-time $t "src-$id" "$(url_of "$h")" \
			--s3-unencrypted-connection >"b-$id-$1.out" 2>&1 &
		pids+=($!)
	done
	for n in "${pids[@]}"; do
		wait "$n" || rc=1
	done
	[ $rc -eq 0 ] || { tail -n 5 b-*-"$1".out; return 1; }
}

test_expect_success 'eight hosts back up to one bucket at the same time, twice' '
	all 1 && all 2 &&
	for h in $HOSTS; do
		grep -q "^Errors 0" "b-$(id_of "$h")-2.out" || return 1
	done
'

test_expect_success 'each host restores its own tree at each time' '
	pids=() &&
	for h in $HOSTS; do
		id=$(id_of "$h")
		for step in 1 2; do
			PASSPHRASE="pass $id" "$DUPC" restore -t $((1700000000 + step * 100)) \
				--archive-dir "cache-r-$id-$step" "$(url_of "$h")" \
				"r-$id-$step" --s3-unencrypted-connection \
				>"r-$id-$step.out" 2>&1 &
			pids+=($!)
		done
	done &&
	rc=0 && for p in "${pids[@]}"; do wait $p || rc=1; done &&
	test $rc -eq 0 &&
	for h in $HOSTS; do
		id=$(id_of "$h")
		for step in 1 2; do
			diff -r "at-$id-$step" "r-$id-$step" || return 1
		done
	done
'

test_expect_success 'each host sees its own chain only' '
	for h in $HOSTS; do
		id=$(id_of "$h")
		PASSPHRASE="pass $id" "$DUPC" collection-status --archive-dir "cache-$id" \
			"$(url_of "$h")" --s3-unencrypted-connection >"st-$id.out" 2>&1 &&
		grep -q "^Found 0 secondary backup chains" "st-$id.out" &&
		grep -q "^Number of contained backup sets: 2" "st-$id.out" &&
		grep -q "^No orphaned or incomplete backup sets found" "st-$id.out" || {
			cat "st-$id.out"; return 1; }
	done
'

test_expect_success 'retention on one host and cleanup on the root touch nothing else' '
	leftover=duplicity-full.20200101T000000Z.vol1.difftar.gpg &&
	"$PY" "$TRASH/keys.py" "$B" "$leftover" &&
	"$PY" "$TRASH/keys.py" "$B" >before &&
	grep -q "^$leftover$" before &&
	PASSPHRASE="pass host1" "$DUPC" full --volsize 1 --archive-dir cache-host1 \
		--current-time 1700000300 src-host1 "$(url_of host1)" \
		--s3-unencrypted-connection >full3.out 2>&1 &&
	PASSPHRASE="pass host1" "$DUPC" remove-all-but-n-full 1 --force \
		--archive-dir cache-host1 "$(url_of host1)" \
		--s3-unencrypted-connection >rm.out 2>&1 &&
	PASSPHRASE="pass root" "$DUPC" cleanup --force --archive-dir cache-root \
		"$(url_of -)" --s3-unencrypted-connection >cleanup.out 2>&1 &&
	"$PY" "$TRASH/keys.py" "$B" >after &&
	grep -v -e "^host1/" -e "^$leftover$" before >others.before &&
	grep -v "^host1/" after >others.after &&
	test_cmp others.before others.after &&
	grep "^host1/" after >host1.after &&
	! grep -q -e T221500Z -e T221640Z host1.after &&
	grep -q "^host1/duplicity-full.20231114T221820Z.manifest" host1.after
'

test_done
