#!/usr/bin/env bash
# A first backup killed half-way, then "cleanup --force" with the same
# archive dir, as a new user would do it: dupc drops the interrupted set
# (its volumes on the target, its .part manifest and signatures in the
# archive dir) as duplicity 0.8.22 does, leaves exactly the files
# duplicity leaves, and says "Last full backup date: none" as duplicity
# does.  The same for an interrupted incremental, and for sets
# interrupted by either tool.  No command names an interrupted set as
# the last full backup.
. "$(dirname "$0")/lib.sh"

# bg_duplicity ARGS...: duplicity in the background, its pid in $bg
bg_duplicity() {
	duplicity "$@" &
	bg=$!
}

# twin NAME: the interrupted state in two copies, one for each tool
twin() {
	rm -rf "$1-d" "$1-c" "$1-dc" "$1-cc" &&
	cp -a state "$1-d" && cp -a state "$1-c" &&
	cp -a state-cache "$1-dc" && cp -a state-cache "$1-cc"
}

# cleanup_both NAME: duplicity's cleanup on one copy, dupc's on the other
cleanup_both() {
	duplicity cleanup --force --no-encryption --name x \
		--archive-dir "$TRASH/$1-dc" "file://$TRASH/$1-d" >"$1-dup.out" 2>&1 &&
	"$DUPC" cleanup --force --no-encryption --name x \
		--archive-dir "$TRASH/$1-cc" "file://$TRASH/$1-c" >"$1-dupc.out" 2>&1
}

# same_files NAME: the same files are left on both targets (but the lock
# of a killed dupc run, which duplicity does not know) and archive dirs
same_files() {
	(cd "$1-d" && ls -A | { grep -vx dupc.lock || true; }) >left-d &&
	(cd "$1-c" && ls -A) >left-c &&
	test_cmp left-d left-c &&
	(cd "$1-dc/x" && ls -A) >cache-d &&
	(cd "$1-cc/x" && ls -A) >cache-c &&
	test_cmp cache-d cache-c
}

# same_last_full NAME: the "Last full backup date" lines are the same
same_last_full() {
	grep "^Last full backup date" "$1-dup.out" >last-d &&
	grep "^Last full backup date" "$1-dupc.out" >last-c &&
	test_cmp last-d last-c
}

test_expect_success DUPLICITY,UNSANITIZED 'setup: a tree of several volumes' '
	mkdir -p src &&
	head -c 6000000 /dev/urandom >src/big &&
	echo small >src/small
'

test_expect_success DUPLICITY,UNSANITIZED 'a first full backup of dupc killed half-way' '
	DUPC_FAULT_POINT=volume-uploaded:2 "$DUPC" full --no-encryption \
		--volsize 1 --name x --archive-dir "$TRASH/state-cache" \
		src "file://$TRASH/state" >/dev/null 2>&1
	test $? -eq 137 &&
	ls state/duplicity-full.*.vol2.difftar.gz &&
	ls state-cache/x/duplicity-full.*.manifest.part &&
	test_path_is_missing "$(echo state/duplicity-full.*.manifest)"
'

test_expect_success DUPLICITY,UNSANITIZED 'no command names the interrupted set as the last full backup' '
	cp -a state-cache status-cache &&
	"$DUPC" collection-status --no-encryption --name x \
		--archive-dir "$TRASH/status-cache" "file://$TRASH/state" >st.out 2>&1 &&
	grep -qx "Last full backup date: none" st.out &&
	"$DUPC" collection-status --json --no-encryption --name x \
		--archive-dir "$TRASH/status-cache" "file://$TRASH/state" >st.json &&
	python3 -c "import json; assert json.load(open(\"st.json\"))[\"last_full_time\"] is None"
'

test_expect_success DUPLICITY,UNSANITIZED 'cleanup drops it as duplicity does' '
	twin first &&
	cleanup_both first &&
	cat first-dupc.out &&
	grep -qx "Cleaning up previous partial cleanup backup set, restarting." first-dup.out &&
	grep -qx "Cleaning up previous partial cleanup backup set, restarting." first-dupc.out &&
	same_files first &&
	same_last_full first &&
	grep -qx "Last full backup date: none" first-dupc.out &&
	test -z "$(ls -A first-c)" &&
	grep -qx "No extraneous files found, nothing deleted in cleanup." first-dupc.out
'

test_expect_success DUPLICITY,UNSANITIZED 'without --force too, as duplicity does' '
	twin noforce &&
	duplicity cleanup --no-encryption --name x --archive-dir "$TRASH/noforce-dc" \
		"file://$TRASH/noforce-d" >noforce-dup.out 2>&1 &&
	"$DUPC" cleanup --no-encryption --name x --archive-dir "$TRASH/noforce-cc" \
		"file://$TRASH/noforce-c" >noforce-dupc.out 2>&1 &&
	same_files noforce &&
	same_last_full noforce
'

test_expect_success DUPLICITY,UNSANITIZED 'a first full backup of duplicity killed half-way' '
	rm -rf state state-cache &&
	mkdir state &&
	bg_duplicity full --no-encryption --volsize 1 --name x \
		--archive-dir "$TRASH/state-cache" src "file://$TRASH/state" \
		>dupfull.out 2>&1 &&
	p=$bg &&
	for i in $(seq 1 300); do
		ls state/*.vol2.difftar.gz >/dev/null 2>&1 && break
		sleep 0.05
	done &&
	kill -9 $p && { wait $p; true; } &&
	ls state/duplicity-full.*.vol2.difftar.gz &&
	test_path_is_missing "$(echo state/duplicity-full.*.manifest)" &&
	twin dup &&
	cleanup_both dup &&
	same_files dup &&
	same_last_full dup &&
	grep -qx "Last full backup date: none" dup-dupc.out
'

test_expect_success DUPLICITY,UNSANITIZED 'an interrupted incremental: dropped, the full stays the last' '
	rm -rf state state-cache &&
	"$DUPC" full --no-encryption --volsize 1 --name x --current-time 1700000000 \
		--archive-dir "$TRASH/state-cache" src "file://$TRASH/state" >/dev/null &&
	head -c 4000000 /dev/urandom >src/more &&
	DUPC_FAULT_POINT=volume-uploaded:2 "$DUPC" incremental --no-encryption \
		--volsize 1 --name x --current-time 1700000100 \
		--archive-dir "$TRASH/state-cache" src "file://$TRASH/state" \
		>/dev/null 2>&1
	test $? -eq 137 &&
	ls state-cache/x/duplicity-inc.*.manifest.part &&
	twin inc &&
	cleanup_both inc &&
	grep -qx "Cleaning up previous partial cleanup backup set, restarting." inc-dupc.out &&
	same_files inc &&
	same_last_full inc &&
	grep -qx "Last full backup date: Tue Nov 14 22:13:20 2023" inc-dupc.out &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/r-cache" \
		"file://$TRASH/inc-c" restored &&
	test_path_is_missing restored/more
'

test_done
