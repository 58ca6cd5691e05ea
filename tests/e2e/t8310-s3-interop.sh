#!/usr/bin/env bash
# t8310-s3-interop: dupc and Debian's duplicity 0.8.22 (its boto3 backend,
# boto3+s3://) share backups in one bucket of a real Ceph RADOS Gateway:
# duplicity restores at each time what dupc wrote (multipart volumes
# included) and dupc what duplicity wrote, and chains that mix the two
# tools restore with both, encrypted and not.
#
# needs-server: ceph
. "$(dirname "$0")/lib.sh"

test_have_prereq UNSANITIZED ||
	test_skip_all "several runs of real duplicity: runs in the non-ASan pass"
test_have_prereq DUPLICITY || test_skip_all "duplicity is not installed"
need_server ceph

. "$TEST_TOP/tests/e2e/lib-s3.sh"

# dupc through the duplicity 0.8 spelling of the same place, duplicity
# through its boto3 one: PREFIX is the key prefix in bucket $B.
dupc_url() { echo "s3://$HP/$B/$1"; }
dup_url() { echo "boto3+s3://$B/$1"; }

# run TOOL STEP PREFIX [OPTION...]: back up the tree of step STEP (lib.sh's
# cycle_tree_, which changes src in place) at a fixed time, with TOOL.
run() {
	local tool=$1 step=$2 prefix=$3 t
	shift 3
	t=$((1700000000 + step * 100))
	cycle_tree_ "src-$prefix" "$step" &&
	touch -d @$((t - 50)) "src-$prefix" &&
	rm -rf "at-$prefix-$step" && cp -a "src-$prefix" "at-$prefix-$step" ||
		return 1
	if [ "$tool" = dupc ]; then
		"$DUPC" "$@" --archive-dir "cache-dupc-$prefix" --current-time $t \
			--allow-source-mismatch "src-$prefix" "$(dupc_url "$prefix")" \
			--s3-unencrypted-connection --volsize 6 -v9 \
			--s3-multipart-chunk-size 5 >"run-$prefix-$step.out" 2>&1
	else
		duplicity "$@" --archive-dir "$TRASH/cache-dup-$prefix" \
			--current-time $t --allow-source-mismatch --volsize 2 \
			--s3-endpoint-url "$EP" "src-$prefix" "$(dup_url "$prefix")" \
			>"run-$prefix-$step.out" 2>&1
	fi || { cat "run-$prefix-$step.out"; return 1; }
}

# restored TOOL PREFIX STEP [OPTION...]: TOOL restores PREFIX as of step
# STEP with an empty archive dir, equal to the tree it was.
restored() {
	local tool=$1 prefix=$2 step=$3 t d
	shift 3
	t=$((1700000000 + step * 100))
	d=r-$tool-$prefix-$step
	rm -rf "$d" "cache-r-$d"
	if [ "$tool" = dupc ]; then
		"$DUPC" restore "$@" --archive-dir "cache-r-$d" -t $t \
			"$(dupc_url "$prefix")" "$d" --s3-unencrypted-connection \
			>"$d.out" 2>&1
	else
		duplicity restore "$@" --archive-dir "$TRASH/cache-r-$d" -t $t \
			--s3-endpoint-url "$EP" "$(dup_url "$prefix")" "$d" \
			>"$d.out" 2>&1
	fi || { cat "$d.out"; return 1; }
	diff -r "at-$prefix-$step" "$d" &&
	tree_listing "at-$prefix-$step" >"$d.want" &&
	tree_listing "$d" >"$d.got" &&
	test_cmp "$d.want" "$d.got"
}

test_expect_success 'dupc: a full and two incrementals, volumes in parts' '
	mkdir -p src-a &&
	run dupc 1 a --no-encryption &&
	head -c 6000000 /dev/urandom >src-a/bin/six &&
	run dupc 2 a --no-encryption &&
	run dupc 3 a --no-encryption &&
	grep -q "^Errors 0" run-a-3.out &&
	grep -q "S3 multipart upload of duplicity-inc.*: 2 parts" run-a-2.out
'

for step in 1 2 3; do
	test_expect_success "duplicity restores dupc's backup as of step $step" "
		restored duplicity a $step --no-encryption
	"
done

test_expect_success 'duplicity: a full and two incrementals, encrypted' '
	mkdir -p src-b &&
	PASSPHRASE=interop run duplicity 1 b &&
	PASSPHRASE=interop run duplicity 2 b &&
	PASSPHRASE=interop run duplicity 3 b
'

for step in 1 2 3; do
	test_expect_success "dupc restores duplicity's backup as of step $step" "
		PASSPHRASE=interop restored dupc b $step
	"
done

test_expect_success 'a mixed chain: duplicity full, dupc incremental, duplicity incremental' '
	mkdir -p src-c &&
	PASSPHRASE=mix run duplicity 1 c &&
	PASSPHRASE=mix run dupc 2 c &&
	PASSPHRASE=mix run duplicity 3 c
'

for step in 1 2 3; do
	test_expect_success "both tools restore the mixed chain as of step $step" "
		PASSPHRASE=mix restored dupc c $step &&
		PASSPHRASE=mix restored duplicity c $step
	"
done

test_expect_success 'a mixed chain: dupc full, duplicity incremental, dupc incremental' '
	mkdir -p src-d &&
	run dupc 1 d --no-encryption &&
	run duplicity 2 d --no-encryption &&
	run dupc 3 d --no-encryption
'

for step in 1 2 3; do
	test_expect_success "both tools restore the other mixed chain as of step $step" "
		restored dupc d $step --no-encryption &&
		restored duplicity d $step --no-encryption
	"
done

test_done
