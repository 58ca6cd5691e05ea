#!/usr/bin/env bash
# duplicity 0.8.22 on a target that holds dupc's lock: the object's name
# is none of duplicity's, so duplicity passes it over as an unknown file
# ("Ignoring file (rejected by backup set)"); its full and incremental
# backups, listings, restores, verify, cleanup and removals all work and
# never touch the lock.  The same with the lock of a dupc run holding it
# while duplicity reads.
. "$(dirname "$0")/lib.sh"

T=$TRASH/target
URL=file://$T

dup() {
	duplicity "$@" --no-encryption --archive-dir "$TRASH/dc" >>dup.log 2>&1 ||
		{ echo "duplicity $* failed:"; tail -20 dup.log; return 1; }
}

# bg_dupc ARGS...: dupc in the background, its own pid in $bg
bg_dupc() {
	"$DUPC" "$@" --no-encryption &
	bg=$!
}

# A live lock of a dupc run on another host, as dupc writes it.
plant_lock() {
	mkdir -p "$T" &&
	cat >"$T/dupc.lock" <<-EOF
	dupc lock 1
	host: elsewhere
	user: backup
	pid: 4242
	command: full
	instance: -
	started: $(date -u +%Y%m%dT%H%M%SZ)
	refreshed: $(date -u +%Y%m%dT%H%M%SZ)
	interval: 60
	token: 0123456789abcdef0123456789abcdef
	EOF
	cp "$T/dupc.lock" lock.planted
}

test_expect_success DUPLICITY,UNSANITIZED 'setup: a tree and a locked target' '
	mkdir -p src/sub &&
	head -c 300000 /dev/urandom >src/sub/blob &&
	echo hello >src/hello &&
	plant_lock
'

test_expect_success DUPLICITY,UNSANITIZED 'duplicity backs up full and incrementally beside the lock' '
	dup full --current-time 1700000000 src "$URL" &&
	echo more >>src/hello &&
	# a change within the second of the full goes unseen by duplicity
	touch -d "@$(($(date +%s) + 5))" src/hello &&
	dup incremental --current-time 1700000100 src "$URL" &&
	test_cmp lock.planted "$T/dupc.lock" &&
	ls "$T" | grep -c "manifest$" >n && echo 2 >two && test_cmp two n
'

test_expect_success DUPLICITY,UNSANITIZED 'duplicity sees the lock as a file of no set and lists the chain' '
	duplicity collection-status -v9 --no-encryption --archive-dir "$TRASH/dc" \
		"$URL" >st.out 2>&1 &&
	grep -q "Ignoring file (rejected by backup set) .dupc.lock." st.out &&
	grep -q "Found primary backup chain with matching signature chain" st.out &&
	grep -q "No orphaned or incomplete backup sets found." st.out &&
	duplicity list-current-files --no-encryption --archive-dir "$TRASH/dc" \
		"$URL" >ls.out 2>&1 &&
	grep -q " sub/blob$" ls.out &&
	test_cmp lock.planted "$T/dupc.lock"
'

test_expect_success DUPLICITY,UNSANITIZED 'duplicity restores and verifies beside the lock' '
	dup restore -t 1700000000 "$URL" r0 &&
	dup restore "$URL" r1 &&
	diff -r src r1 &&
	test_must_fail cmp -s src/hello r0/hello &&
	dup verify --compare-data "$URL" src &&
	test_cmp lock.planted "$T/dupc.lock"
'

test_expect_success DUPLICITY,UNSANITIZED 'duplicity cleanup and removals leave the lock alone' '
	dup cleanup --force "$URL" &&
	dup full --current-time 1700000200 src "$URL" &&
	dup remove-all-but-n-full 1 --force "$URL" &&
	dup remove-older-than 1D --force "$URL" &&
	test_cmp lock.planted "$T/dupc.lock" &&
	ls "$T" | grep -c "manifest$" >n && echo 1 >one && test_cmp one n &&
	dup restore "$URL" r2 && diff -r src r2
'

test_expect_success DUPLICITY,UNSANITIZED 'dupc, meanwhile, still refuses the target' '
	test_expect_code 23 "$DUPC" full --no-encryption \
		--archive-dir "$TRASH/cc" src "$URL" 2>refused.err &&
	grep -q "^the target is locked by backup@elsewhere (pid 4242, full" refused.err &&
	rm "$T/dupc.lock" &&
	"$DUPC" --no-encryption --archive-dir "$TRASH/cc" src "$URL" >dupc.out &&
	grep -q "^Errors 0" dupc.out
'

test_expect_success DUPLICITY,UNSANITIZED 'duplicity reads while a dupc backup holds the lock' '
	head -c 1500000 /dev/urandom >src/big &&
	bg_dupc --limit-upload 200 --archive-dir "$TRASH/cc" src "$URL" \
		>held.out 2>&1 &&
	p=$bg &&
	for i in $(seq 1 100); do
		[ -f "$T/dupc.lock" ] && break
		sleep 0.1
	done &&
	grep -q "^pid: $p$" "$T/dupc.lock" &&
	dup collection-status "$URL" &&
	dup restore -t 1700000200 "$URL" r3 &&
	kill -0 $p &&
	wait $p &&
	grep -q "^Errors 0" held.out &&
	test_path_is_missing "$T/dupc.lock" &&
	dup restore "$URL" r4 && diff -r src r4
'

test_done
