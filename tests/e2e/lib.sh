# tests/e2e/lib.sh — shell test library in the manner of git's t/test-lib.sh.
#
# A script sources this file, then calls test_expect_success 'what' 'cmds'
# for each check (the commands are an &&-chain evaluated in the script's own
# shell, in a private trash directory) and test_done at the end.  Output is
# TAP: "ok N - what" or "not ok N - what" followed by the failing commands
# and their output.
#
# Environment for every test: a private HOME, XDG_CACHE_HOME, TMPDIR and
# GNUPGHOME inside the trash directory; TZ=UTC; $DUPC is the dupc under test.

set -u
TEST_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DUPC_BUILD=${DUPC_BUILD:-$TEST_TOP/build}
DUPC="$DUPC_BUILD/dupc"
export DUPC DUPC_BUILD TEST_TOP

# The shared interop vectors and scripts are read in place, never copied.
if [ -n "${DUPC_SHARED:-}" ]; then
	SHARED=$DUPC_SHARED
elif [ -d "$TEST_TOP/../shared/vectors" ]; then
	SHARED=$(cd "$TEST_TOP/../shared" && pwd)
elif [ -d /work/shared/vectors ]; then
	SHARED=/work/shared
else
	SHARED=
fi
VECTORS=${SHARED:+$SHARED/vectors}
export SHARED VECTORS

test_name=$(basename "$0" .sh)
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/dupc-$test_name.XXXXXX")
chmod 0755 "$TRASH"
export HOME="$TRASH/home" XDG_CACHE_HOME="$TRASH/home/.cache"
export GNUPGHOME="$TRASH/home/.gnupg" TMPDIR="$TRASH/tmp" TZ=UTC
export LC_ALL=C
unset PASSPHRASE SIGN_PASSPHRASE FTP_PASSWORD DUPC_MF_API_ROOT
mkdir -p "$HOME" "$XDG_CACHE_HOME" "$TMPDIR"
mkdir -m 0700 "$GNUPGHOME"
cd "$TRASH" || exit 1

test_count=0
test_failed=0
test_skipped=0

test_log=$TRASH/.test-output

say() { printf '%s\n' "$*"; }

# test_expect_success [PREREQ] 'what' 'commands'
test_expect_success() {
	local prereq= what body
	if [ $# -eq 3 ]; then prereq=$1; shift; fi
	what=$1 body=$2
	test_count=$((test_count + 1))
	if [ -n "$prereq" ] && ! test_have_prereqs "$prereq"; then
		test_skipped=$((test_skipped + 1))
		say "ok $test_count # skip $what (missing $prereq)"
		return 0
	fi
	local rc
	test_eval_ "$body" >"$test_log" 2>&1 </dev/null
	rc=$?
	cd "$TRASH" || exit 1
	if [ $rc -eq 0 ]; then
		say "ok $test_count - $what"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $what"
		sed 's/^/#   /' <<<"$body"
		say "# output:"
		tail -n 60 "$test_log" | sed 's/^/#   /'
	fi
}

# The body runs inside a function, so "return 1" in a loop fails the test
# instead of leaving test_expect_success without a verdict.
test_eval_() {
	eval "$1"
}

# test_expect_failure is not provided on purpose: a known breakage is an
# issue to fix, not a test.

# test_have_prereqs A,B,...: every listed prerequisite holds.
test_have_prereqs() {
	local p
	for p in ${1//,/ }; do
		test_have_prereq "$p" || return 1
	done
}

test_have_prereq() {
	case $1 in
	ROOT) [ "$(id -u)" -eq 0 ] ;;
	DUPLICITY) command -v duplicity >/dev/null 2>&1 ;;
	MFEMU) [ -f "$MFEMU" ] ;;
	VECTORS) [ -n "$VECTORS" ] && [ -d "$VECTORS" ] ;;
	UNSHARE) [ "$(id -u)" -eq 0 ] && unshare -u true 2>/dev/null ;;
	# a private mount namespace (to bind-mount a test /etc/passwd)
	MOUNTNS) [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null ;;
	# $DUPC is (not) built with AddressSanitizer: slow cases pick a size
	SANITIZED) ldd "$DUPC" 2>/dev/null | grep -q libasan ;;
	UNSANITIZED) ! ldd "$DUPC" 2>/dev/null | grep -q libasan ;;
	# files can be made unreadable to a command run through no_dac:
	# chmod is enough for a user; root drops CAP_DAC_* with setpriv
	UNREADABLE) [ "$(id -u)" -ne 0 ] ||
		setpriv --inh-caps=-all --bounding-set=-dac_override,-dac_read_search true 2>/dev/null ;;
	# the file system of the trash directory keeps holes in files
	SPARSE) truncate -s 1M "$TRASH/.sparse-probe" 2>/dev/null &&
		[ "$(du -k "$TRASH/.sparse-probe" | cut -f1)" -eq 0 ] &&
		rm -f "$TRASH/.sparse-probe" ;;
	# a small tmpfs can be mounted in a private mount namespace (to fill
	# a disk without touching the machine's)
	TMPFS) [ "$(id -u)" -eq 0 ] && mkdir -p "$TRASH/.tmpfs-probe" &&
		unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$TRASH/.tmpfs-probe'" 2>/dev/null ;;
	# GNU time, for peak memory (-v: "Maximum resident set size")
	TIME) /usr/bin/time -v true >/dev/null 2>&1 ;;
	# FUSE file systems can be mounted here (dupc mount)
	FUSE) [ -c /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1 ;;
	MOUNT) [ "$(id -u)" -eq 0 ] &&
		unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs \"$TRASH\"" 2>/dev/null ;;
	*) return 1 ;;
	esac
}

# no_dac CMD...: run CMD without root's power to read any file (see
# UNREADABLE), so a mode 000 file cannot be read.
no_dac() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --inh-caps=-all \
			--bounding-set=-dac_override,-dac_read_search -- "$@"
	else
		"$@"
	fi
}

test_path_is_missing() {
	[ ! -e "$1" ] || { echo "$1 exists" >&2; return 1; }
}

test_cmp() {
	diff -u "$1" "$2"
}

# test_must_fail CMD...: CMD exits non-zero (and was not killed by a signal).
test_must_fail() {
	"$@"
	local rc=$?
	if [ $rc -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ $rc -gt 128 ] && [ $rc -ne 255 ]; then
		echo "test_must_fail: '$*' died of signal $((rc - 128))" >&2
		return 1
	fi
	return 0
}

# test_expect_code CODE CMD...: CMD exits with exactly CODE.
test_expect_code() {
	local want=$1; shift
	"$@"
	local rc=$?
	if [ $rc -ne "$want" ]; then
		echo "test_expect_code: '$*' exited $rc, wanted $want" >&2
		return 1
	fi
	return 0
}

# test_line_count FILE OP N: the number of lines compares as given.
test_line_count() {
	local n
	n=$(wc -l <"$1")
	if ! [ "$n" "$2" "$3" ]; then
		echo "test_line_count: $1 has $n lines, expected $2 $3" >&2
		cat "$1" >&2
		return 1
	fi
}

# listing DIR: the canonical tree listing of the shared vectors.
listing() {
	python3 "$VECTORS/listing.py" "$1"
}

# make_tree DIR [--with-multivol]: the interop source tree.
make_tree() {
	sh "$VECTORS/make-tree.sh" "$@" >/dev/null
}

# strip_stats FILE: drop the time-dependent lines of a statistics block.
strip_stats() {
	grep -v -e '^StartTime ' -e '^EndTime ' -e '^ElapsedTime ' "$1"
}

# Any gpg-agent a test started for its private GNUPGHOME ends with it.
stop_test_agent_() {
	[ -S "$GNUPGHOME/S.gpg-agent" ] &&
		gpgconf --kill gpg-agent >/dev/null 2>&1
	return 0
}

# The bundled MediaFire emulator.  start_mfemu ARGS... runs it on a free
# loopback port with its data in $TRASH/mfdata and ARGS (accounts, seed,
# faults, log...), and sets MF_ROOT to its API root; stop_mfemu stops it,
# and runs at exit as well.
MFEMU=${MFEMU:-$TEST_TOP/tools/mf-emulator/mfemu.py}
mf_pid=
start_mfemu() {
	python3 "$MFEMU" --listen 127.0.0.1:0 --data "$TRASH/mfdata" \
		--no-fsync "$@" >"$TRASH/mf.out" 2>"$TRASH/mf.err" &
	mf_pid=$!
	for i in $(seq 1 100); do
		grep -q "listening on" "$TRASH/mf.out" && break
		sleep 0.1
	done
	MF_ROOT=$(sed -n "s/^mfemu listening on //p" "$TRASH/mf.out")
	test -n "$MF_ROOT"
}
stop_mfemu() {
	if [ -n "$mf_pid" ]; then
		kill "$mf_pid" 2>/dev/null
		wait "$mf_pid" 2>/dev/null
		mf_pid=
	fi
}

# The TCP fault proxy.  start_faultproxy TARGET ARGS... puts it in front of
# TARGET (HOST:PORT) on a free loopback port, with its control endpoint on
# and its event log in $TRASH/fp.log, plus ARGS (--faults, --seed, --http);
# it sets FP_ADDR (127.0.0.1:PORT, where clients connect) and FP_CONTROL
# (http://127.0.0.1:PORT, the control endpoint).  stop_faultproxy stops it,
# and runs at exit as well.
FAULTPROXY=${FAULTPROXY:-$TEST_TOP/tools/faultproxy/faultproxy.py}
fp_pid=
start_faultproxy() {
	local target=$1
	shift
	python3 "$FAULTPROXY" --listen 127.0.0.1:0 --target "$target" \
		--control 127.0.0.1:0 --log "$TRASH/fp.log" "$@" \
		>"$TRASH/fp.out" 2>"$TRASH/fp.err" &
	fp_pid=$!
	for i in $(seq 1 100); do
		grep -q "control on" "$TRASH/fp.out" && break
		sleep 0.1
	done
	FP_ADDR=$(sed -n "s/^faultproxy listening on //p" "$TRASH/fp.out")
	FP_CONTROL=$(sed -n "s/^faultproxy control on /http:\/\//p" "$TRASH/fp.out")
	test -n "$FP_ADDR" && test -n "$FP_CONTROL"
}
stop_faultproxy() {
	if [ -n "$fp_pid" ]; then
		kill "$fp_pid" 2>/dev/null
		wait "$fp_pid" 2>/dev/null
		fp_pid=
	fi
}

# bg_as_host HOST CMD...: CMD in the background as another host would run
# it: with its own host name, in a private UTS namespace (needs UNSHARE).
# It is exec'd, so $bg is CMD's own pid (what a lock names).
bg_as_host() {
	local h=$1
	shift
	unshare -u sh -c 'hostname "$0" && exec "$@"' "$h" "$@" &
	bg=$!
}

# tree_listing DIR: every path under DIR with its type, mode, size,
# mtime (whole seconds; not for symlinks, whose times duplicity does not
# keep) and link target, sorted: two trees with equal listings and equal
# contents (diff -r) are the same backup.
tree_listing() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %s %TY%Tm%Td%TH%TM%TS %l\n' |
		sed -e 's/\.[0-9]* / /' -e 's/^\(.* l [0-7]* [0-9]*\) [0-9]* /\1 - /' |
		LC_ALL=C sort)
}

# cycle_tree_ DIR STEP: the source tree of backend_cycle at step 1, 2, 3.
cycle_tree_() {
	local d=$1 i
	case $2 in
	1)
		mkdir -p "$d/docs/deep/er" "$d/bin" "$d/with space" "$d/empty" &&
		for i in $(seq 1 30); do
			echo "note $i" >"$d/docs/n$i.txt" || return 1
		done &&
		head -c 3000000 /dev/urandom >"$d/bin/big" &&
		head -c 65537 /dev/urandom >"$d/bin/odd" &&
		: >"$d/docs/zero" &&
		echo deep >"$d/docs/deep/er/file" &&
		echo spaced >"$d/with space/a file" &&
		ln -s ../docs/n1.txt "$d/bin/link" &&
		chmod 0640 "$d/docs/n2.txt"
		;;
	2)
		echo changed >>"$d/docs/n7.txt" &&
		rm "$d/docs/n3.txt" &&
		head -c 1000000 /dev/urandom >"$d/bin/new" &&
		dd if=/dev/urandom of="$d/bin/big" bs=1 count=100 seek=1500000 \
			conv=notrunc 2>/dev/null &&
		touch -d "+1 minute" "$d/docs/n7.txt" "$d/bin/big"
		;;
	3)
		rm -r "$d/docs/deep" &&
		ln -sf n2.txt "$d/docs/n5.txt" &&
		chmod 0600 "$d/docs/n4.txt" &&
		echo again >"$d/docs/n3.txt"
		;;
	esac
}

# backend_cycle URL [OPTION...]: a full backup and two incrementals of a
# changing tree through URL (any scheme), then a restore of each of the
# three times with an empty archive dir, each equal to the tree as it was
# (contents and metadata).  OPTIONs go to every run (--no-encryption, or
# set PASSPHRASE; --volsize 1 makes several volumes).  Works in its own
# folder under $TRASH; a failure says which step.
backend_cycle() {
	local url=$1; shift
	local d=$TRASH/cycle.$((++cycle_serial_)) step t
	# a fresh folder even after a call in a subshell, which kept its
	# count to itself
	while [ -e "$d" ]; do
		d=$TRASH/cycle.$((++cycle_serial_))
	done
	mkdir -p "$d/src" || return 1
	for step in 1 2 3; do
		t=$((1700000000 + step * 100))
		cycle_tree_ "$d/src" $step &&
		touch -d @$((t - 50)) "$d/src" &&
		cp -a "$d/src" "$d/at$step" &&
		"$DUPC" "$@" --archive-dir "$d/cache" --current-time $t \
			"$d/src" "$url" >"$d/backup$step.out" 2>&1 ||
			{ echo "backend_cycle: backup $step failed:"; cat "$d/backup$step.out"; return 1; }
	done
	for step in 1 2 3; do
		t=$((1700000000 + step * 100))
		"$DUPC" restore "$@" --archive-dir "$d/cache-r$step" -t $t \
			"$url" "$d/r$step" >"$d/restore$step.out" 2>&1 ||
			{ echo "backend_cycle: restore $step failed:"; cat "$d/restore$step.out"; return 1; }
		diff -r "$d/at$step" "$d/r$step" &&
		tree_listing "$d/at$step" >"$d/at$step.ls" &&
		tree_listing "$d/r$step" >"$d/r$step.ls" &&
		test_cmp "$d/at$step.ls" "$d/r$step.ls" ||
			{ echo "backend_cycle: time $step differs"; return 1; }
	done
	grep -q "^Errors 0" "$d/backup1.out" && grep -q "^Errors 0" "$d/backup3.out"
}
cycle_serial_=0

trap 'stop_mounts_; stop_mfemu; stop_faultproxy; stop_servers_' EXIT

# The test servers of tests/servers/ (sshd, ceph, webdav, ftp, rclone;
# see tests/servers/README.md).  A script declares the ones it uses on a
# line "# needs-server: NAME..." (tests/run reads it and starts them once
# for the whole run, in $DUPC_SERVERS_DIR) and calls need_server NAME...
# before its tests: that sources each server's env file, every variable
# exported (DUPC_SSHD_PORT, DUPC_RGW_ENDPOINT, RCLONE_CONFIG_..., ...).
# Run alone (no DUPC_SERVERS_DIR), or with --private, the script gets its
# own servers in $TRASH/servers, stopped when it ends; --private is for
# tests that stop or restart a server, which must not disturb the shared
# ones other scripts are using at the same time.  A server that cannot
# start fails the script, with the reason.
need_server() {
	local private= name root
	if [ "${1:-}" = --private ]; then
		private=1
		shift
	fi
	if [ -z "$private" ] && [ -n "${DUPC_SERVERS_DIR:-}" ] &&
	    [ "$DUPC_SERVERS_DIR" != "$TRASH/servers" ]; then
		root=$DUPC_SERVERS_DIR
	else
		# all at once: they start in parallel
		root=$TRASH/servers
		start_servers "$root" "$@" >>"$TRASH/servers.log" 2>&1
		[ -n "$private" ] || export DUPC_SERVERS_DIR=$root
	fi
	for name in "$@"; do
		if [ -f "$root/$name/failed" ]; then
			test_fail_all "test server $name did not start:" \
			    "$(cat "$root/$name/failed")"
		elif [ ! -f "$root/$name/env" ]; then
			test_fail_all "test server $name was not started by" \
			    "tests/run: declare it in $(basename "$0") with a line" \
			    "'# needs-server: $name'"
		fi
		set -a
		# shellcheck disable=SC1090
		. "$root/$name/env"
		set +a
	done
}

# start_servers ROOT NAME...: start servers in ROOT/NAME with
# tests/servers/up (its report on stdout), for a script that manages
# servers itself; they are stopped by stop_servers ROOT, or when the
# script ends.
servers_roots_=()
start_servers() {
	local root=$1
	shift
	[[ " ${servers_roots_[*]} " == *" $root "* ]] ||
		servers_roots_+=("$root")
	trap 'exit 130' INT
	trap 'exit 143' TERM
	"$TEST_TOP/tests/servers/up" "$root" "$@"
}

# stop_servers ROOT: stop the servers in ROOT (tests/servers/down).
stop_servers() {
	local r keep=()
	for r in "${servers_roots_[@]}"; do
		[ "$r" = "$1" ] || keep+=("$r")
	done
	servers_roots_=("${keep[@]}")
	"$TEST_TOP/tests/servers/down" "$1"
}

# stop_servers_: stop every server this script started.
stop_servers_() {
	local r
	for r in "${servers_roots_[@]}"; do
		"$TEST_TOP/tests/servers/down" "$r" >>"$TRASH/servers.log" 2>&1
	done
	servers_roots_=()
	return 0
}

# test_fail_all REASON...: the whole script cannot run (a server it needs
# is missing): one failed test with the reason, and exit 1.
test_fail_all() {
	say "not ok 1 - $(basename "$0" .sh) cannot run"
	printf '%s\n' "$*" | sed 's/^/#   /'
	say "1..1"
	stop_servers_
	stop_test_agent_
	say "# trash kept in $TRASH"
	exit 1
}

# dupc mount.  mount_start DIR URL [OPTIONS...] runs "dupc mount" in the
# background at DIR (created) until its "latest" link appears, its output
# in DIR.out and its pid in MOUNT_PID (MOUNT_WRAPPER, when set, is a
# command run with dupc's as its arguments, e.g. strace); mount_stop DIR
# [SIGNAL] unmounts DIR (or sends dupc SIGNAL) and checks that dupc exits
# 0 with DIR no longer mounted.  Mounts still up at exit are taken down.
mounts_=
mount_start() {
	local dir=$1 url=$2 i
	shift 2
	mkdir -p "$dir" || return 1
	${MOUNT_WRAPPER:-} "$DUPC" mount "$@" "$url" "$dir" >"$dir.out" 2>&1 &
	MOUNT_PID=$!
	mounts_="$mounts_ $MOUNT_PID:$dir"
	for i in $(seq 1 300); do
		[ -L "$dir/latest" ] && return 0
		kill -0 "$MOUNT_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$dir.out" >&2
	return 1
}
mount_stop() {
	local dir=$1 m pid= rc
	for m in $mounts_; do
		[ "${m#*:}" = "$dir" ] && pid=${m%%:*}
	done
	[ -n "$pid" ] || { echo "mount_stop: $dir is not mounted here" >&2; return 1; }
	if [ $# -gt 1 ]; then
		kill -s "$2" "$pid" || return 1
	else
		fusermount3 -u "$dir" || return 1
	fi
	wait "$pid"
	rc=$?
	mounts_=$(printf '%s\n' $mounts_ | grep -v "^$pid:" | tr '\n' ' ')
	[ $rc -eq 0 ] || { echo "dupc mount exited $rc" >&2; cat "$dir.out" >&2; return 1; }
	! mountpoint -q "$dir" || { echo "$dir is still mounted" >&2; return 1; }
}
stop_mounts_() {
	local m
	for m in $mounts_; do
		fusermount3 -u -z "${m#*:}" 2>/dev/null
		kill "${m%%:*}" 2>/dev/null
		wait "${m%%:*}" 2>/dev/null
	done
	mounts_=
}


# test_skip_all REASON: the whole script does not apply here.
test_skip_all() {
	stop_mounts_
	say "ok 1 # skip $*"
	say "1..1"
	stop_servers_
	cd / && rm -rf "$TRASH"
	exit 0
}

test_done() {
	stop_mounts_
	stop_test_agent_
	stop_servers_
	say "1..$test_count"
	if [ "$test_failed" -eq 0 ]; then
		cd / && rm -rf "$TRASH"
		exit 0
	fi
	say "# failed $test_failed of $test_count; trash kept in $TRASH"
	exit 1
}
