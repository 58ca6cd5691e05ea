# tests/servers/common.sh — sourced by every server script in this folder
# (sshd, ceph, webdav, ftp, rclone).  See README.md for the interface.
#
# A server script sets SERVER and DAEMONS (the names of its daemons),
# defines server_start, server_stop, server_probe and server_logs (and
# optionally server_requires, and extra commands through server_command),
# then calls server_main "$@".  This file gives them:
# the command-line dispatch, free loopback ports, detached daemons tracked
# by pid (and by private mount namespace for daemons that fork), the
# env file, the throwaway CA and the test account files for a private
# mount namespace.
#
# Layout: STATEDIR is ROOT/NAME.  Servers started for one test run are
# siblings under ROOT: they share ROOT/ca (one throwaway CA) and rclone
# reads ROOT/sshd/env.

set -u
HOST=127.0.0.1
# Debian's interpreter: it has python3-boto3 and python3-paramiko, which a
# python3 found first in PATH (pyenv, a venv) may lack.
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
# The test account of sshd and vsftpd (see write_account_files).
TEST_USER=dupctest

say() { printf '%s: %s\n' "$SERVER" "$*" >&2; }
die() {
	say "$*"
	exit 1
}

# need_root WHAT: the server cannot run without root (namespaces, user
# switch); say so instead of failing obscurely later.
need_root() {
	[ "$(id -u)" -eq 0 ] || die "needs root ($1)"
}

# need_cmd CMD...: each command exists, or die naming its package.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			die "$c not found (scripts/install-deps installs it)"
	done
}

# check_traversable DIR USER: USER can reach DIR (DIR and every parent
# have x for others), since the daemons drop to USER.
check_traversable() {
	local d=$1
	while :; do
		case $(stat -c %A "$d" | cut -c10) in
		x | t) ;;
		*) die "$d is not searchable by others, so $2 cannot reach $1 (chmod o+x, or use another TMPDIR)" ;;
		esac
		[ "$d" != / ] || break
		d=$(dirname "$d")
	done
}

# pick_ports N [WIDTH]: N distinct free TCP ports on 127.0.0.1, one a line;
# with WIDTH, the first ports of N disjoint runs of WIDTH free ports.
# Ports are drawn at random below the kernel's ephemeral range, so an
# outgoing connection cannot take them between the check and the bind.
pick_ports() {
	"$PY" - "$1" "${2:-1}" <<'EOF'
import random, socket, sys

count, width = int(sys.argv[1]), int(sys.argv[2])
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        eph = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    eph = 32768
lo, hi = 20000, eph - 1
if hi - lo < 1000:
    lo, hi = 10000, 65535 - width


def free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


got = []
for _ in range(2000):
    p = random.randint(lo, hi - width)
    if any(abs(p - q) < width for q in got):
        continue
    if all(free(p + i) for i in range(width)):
        got.append(p)
        if len(got) == count:
            print("\n".join(str(q) for q in got))
            sys.exit(0)
sys.exit("no free port found")
EOF
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
	(exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# gen_secret [N]: N (default 24) random alphanumeric characters.
gen_secret() {
	local s
	s=$(openssl rand -base64 48 | tr -dc 'A-Za-z0-9')
	printf '%s' "${s:0:${1:-24}}"
}

# ---- daemons --------------------------------------------------------------

# spawn NAME LOG [--ns] CMD...: start CMD detached (its own session, stdin
# from /dev/null, output appended to LOG) and keep "PID STARTTIME" in
# $STATE/NAME.pid.  With --ns it runs in a private mount namespace where
# the files listed in $STATE/NAME.binds ("SOURCE TARGET" lines) are bound
# over their targets.  SPAWN_STDIN names a file to open read-write as
# stdin instead of /dev/null, for daemons that report on fd 0.  Every
# process in a private namespace is ours, which is how stop finds the
# children a forking server left (sshd and vsftpd sessions call setsid,
# so process groups do not hold them).
spawn() {
	local name=$1 log=$2 pid
	shift 2
	if [ "${1:-}" = --ns ]; then
		shift
		local binds=$STATE/$name.binds
		[ -f "$binds" ] || : >"$binds"
		# setsid does not fork here (the background job is not a group
		# leader) and unshare without --fork execs: $! is the daemon.
		setsid unshare --mount --propagation private -- bash -c '
			while read -r src dst; do
				mount --bind "$src" "$dst" || exit 111
			done <"$1"
			shift
			exec "$@"' spawn "$binds" "$@" \
		    <>"${SPAWN_STDIN:-/dev/null}" >>"$log" 2>&1 &
	else
		setsid "$@" <>"${SPAWN_STDIN:-/dev/null}" >>"$log" 2>&1 &
	fi
	pid=$!
	echo "$pid $(proc_field "$pid" 22)" >"$STATE/$name.pid"
}

# proc_field PID N: field N of /proc/PID/stat (3 is the state, 22 the
# start time); fields are counted after the command name, which may hold
# spaces and parentheses.
proc_field() {
	local st rest n=$2
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	rest=${st##*) }
	# shellcheck disable=SC2086
	set -- $rest
	shift $((n - 3))
	echo "$1"
}

# alive PID [START]: PID exists, is not a zombie and (with START) is the
# process that started at START, not a later one that got the same pid.
alive() {
	local st
	st=$(proc_field "$1" 3) || return 1
	[ "$st" != Z ] || return 1
	[ -z "${2:-}" ] || [ "$(proc_field "$1" 22)" = "$2" ]
}

# daemon_pid NAME: print the pid of daemon NAME when it runs.
daemon_pid() {
	local pid start
	[ -f "$STATE/$1.pid" ] || return 1
	read -r pid start <"$STATE/$1.pid" || return 1
	[ -n "$pid" ] && [ -n "$start" ] && alive "$pid" "$start" && echo "$pid"
}

# record_ns NAME: remember the mount namespace daemon NAME runs in (called
# once it answers, so unshare has certainly run).
record_ns() {
	local pid ns
	pid=$(daemon_pid "$1") || return 1
	ns=$(readlink "/proc/$pid/ns/mnt") || return 1
	if [ "$ns" = "$(readlink /proc/self/ns/mnt)" ] ||
	    [ "$ns" = "$(readlink /proc/1/ns/mnt 2>/dev/null)" ]; then
		say "daemon $1 is not in a private mount namespace"
		return 1
	fi
	echo "$ns" >"$STATE/$1.mntns"
}

# ns_pids NS: every process in mount namespace NS (one stat for all).
ns_pids() {
	stat -c %N /proc/[0-9]*/ns/mnt 2>/dev/null | grep -F "'$1'" |
		sed 's#^.*/proc/\([0-9]*\)/ns/mnt.*#\1#'
	return 0
}

# wait_gone SECONDS PID...: wait until no PID is alive; 1 on timeout.
wait_gone() {
	local n=$(($1 * 20)) p left
	shift
	while :; do
		left=
		for p in "$@"; do
			alive "$p" && left="$left $p"
		done
		[ -z "$left" ] && return 0
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 0.05
	done
}

# stop_daemon NAME [SECONDS]: SIGTERM daemon NAME, SIGKILL it after
# SECONDS (default 10), then the same for whatever is left in its private
# mount namespace.  Returns once nothing is left.
stop_daemon() {
	local name=$1 secs=${2:-10} pid ns left
	if pid=$(daemon_pid "$name"); then
		kill -TERM "$pid" 2>/dev/null
		if ! wait_gone "$secs" "$pid"; then
			say "$name (pid $pid) ignored SIGTERM for ${secs}s: SIGKILL"
			kill -KILL "$pid" 2>/dev/null
			wait_gone 5 "$pid"
		fi
	fi
	ns=$(cat "$STATE/$name.mntns" 2>/dev/null) || ns=
	if [ -n "$ns" ] && [ "$ns" != "$(readlink /proc/self/ns/mnt)" ]; then
		left=$(ns_pids "$ns")
		if [ -n "$left" ]; then
			# shellcheck disable=SC2086
			kill -TERM $left 2>/dev/null
			# shellcheck disable=SC2086
			if ! wait_gone 5 $left; then
				# shellcheck disable=SC2086
				kill -KILL $left 2>/dev/null
				# shellcheck disable=SC2086
				wait_gone 5 $left
			fi
		fi
	fi
	rm -f "$STATE/$name.pid" "$STATE/$name.mntns"
}

# wait_for SECONDS WHAT CMD...: run CMD every 0.1 s until it succeeds; on
# timeout, or when a daemon listed in $WATCH (names) dies, say why and
# return 1.
wait_for() {
	local n=$(($1 * 10)) what=$2 d
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		for d in ${WATCH:-}; do
			if ! daemon_pid "$d" >/dev/null; then
				say "$d exited while waiting for $what"
				return 1
			fi
		done
		if [ "$n" -le 0 ]; then
			say "timed out waiting for $what"
			return 1
		fi
		n=$((n - 1))
		sleep 0.1
	done
}

# ---- the env file ---------------------------------------------------------

# env_set KEY VALUE: add "KEY='VALUE'" to the env file being written.
# Values are generated here and never hold a quote or a newline.
env_set() {
	case $2 in
	*"'"* | *$'\n'*) die "internal: value of $1 holds a quote or newline" ;;
	esac
	printf "%s='%s'\n" "$1" "$2" >>"$STATE/env.new"
}

# env_commit: publish the env file (atomically: readers see all or none).
env_commit() {
	chmod 0600 "$STATE/env.new"
	mv -f "$STATE/env.new" "$STATE/env"
}

# ---- the throwaway CA -----------------------------------------------------

# make_ca: ROOT/ca/ca.pem (a CA made for this run) and ROOT/ca/server.pem,
# server.key (a certificate for 127.0.0.1 and localhost signed by it),
# made once per ROOT under a lock, since servers start in parallel.
# Sets CA_DIR.
make_ca() {
	CA_DIR=$(dirname "$STATE")/ca
	mkdir -p "$CA_DIR"
	(
		flock 9
		[ -s "$CA_DIR/server.pem" ] && exit 0
		cd "$CA_DIR" || exit 1
		umask 077
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout ca.key -out ca.pem -days 30 \
		    -subj "/CN=dupc test CA $(gen_secret 8)" \
		    -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign \
		    2>ca.log || exit 1
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout server.key \
		    -out server.csr -subj "/CN=127.0.0.1" 2>>ca.log || exit 1
		printf '%s\n' 'basicConstraints=CA:FALSE' \
		    'keyUsage=critical,digitalSignature' \
		    'extendedKeyUsage=serverAuth' \
		    'subjectAltName=IP:127.0.0.1,DNS:localhost' >server.ext
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		    -CAcreateserial -days 30 -extfile server.ext \
		    -out server.pem.new 2>>ca.log || exit 1
		chmod 0644 ca.pem server.pem.new
		mv server.pem.new server.pem
	) 9>"$CA_DIR/.lock" || die "could not make the test CA: $(tail -n 3 "$CA_DIR/ca.log" 2>/dev/null)"
}

# ---- the test account -----------------------------------------------------

# free_uid: the first id from 30000 up that is neither a user nor a group
# on this machine, for the test account.
free_uid() {
	local id=30000
	while cut -d: -f3 /etc/passwd /etc/group | grep -qx "$id"; do
		id=$((id + 1))
	done
	echo "$id"
}

# write_account_files PASSWORD HOME: $STATE/etc/{passwd,group,shadow}
# for the private mount namespace: the machine's users and groups plus
# $TEST_USER (home HOME, shell /bin/sh, that password), and a shadow file
# that holds $TEST_USER alone (the machine's hashes are never copied).
# Writes $STATE/NAME.binds lines for the daemon NAME given as $3.  Sets
# TEST_UID.
write_account_files() {
	local pw=$1 home=$2 name=$3 hash
	TEST_UID=$(free_uid)
	mkdir -p "$STATE/etc"
	{
		grep -v "^$TEST_USER:" /etc/passwd
		echo "$TEST_USER:x:$TEST_UID:$TEST_UID:dupc test account:$home:/bin/sh"
	} >"$STATE/etc/passwd"
	{
		grep -v "^$TEST_USER:" /etc/group
		echo "$TEST_USER:x:$TEST_UID:"
	} >"$STATE/etc/group"
	hash=$(printf '%s\n' "$pw" | openssl passwd -6 -stdin) ||
		die "openssl passwd failed"
	(
		umask 077
		echo "$TEST_USER:$hash:19000:0:99999:7:::" >"$STATE/etc/shadow"
	)
	chmod 0644 "$STATE/etc/passwd" "$STATE/etc/group"
	printf '%s %s\n' "$STATE/etc/passwd" /etc/passwd \
	    "$STATE/etc/group" /etc/group \
	    "$STATE/etc/shadow" /etc/shadow >"$STATE/$name.binds"
}

# ---- dispatch -------------------------------------------------------------

usage() {
	echo "usage: tests/servers/$SERVER start|stop|status${SERVER_EXTRA_USAGE:-} STATEDIR" >&2
	echo "       tests/servers/$SERVER requires" >&2
	exit 2
}

# show_logs FILE...: the last lines of each log, for a failed start.
show_logs() {
	local f
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "---- tail of $f ----" >&2
		tail -n 15 "$f" >&2
	done
}

server_main() {
	local cmd=${1:-}
	if [ "$cmd" = requires ]; then
		declare -F server_requires >/dev/null && server_requires
		exit 0
	fi
	[ $# -eq 2 ] || usage
	[ -n "$2" ] || usage
	if [ "$cmd" = start ]; then
		mkdir -p "$2" || die "cannot create $2"
	elif [ ! -d "$2" ]; then
		[ "$cmd" = stop ] && exit 0
		echo "$SERVER: not running (no $2)"
		exit 1
	fi
	STATE=$(cd "$2" && pwd)
	# the daemons' users must reach their files (the secrets are 0600)
	chmod o+x "$STATE"
	case $cmd in
	start)
		if server_status >/dev/null 2>&1; then
			die "already running in $STATE (stop it first)"
		fi
		rm -f "$STATE/env" "$STATE/env.new" "$STATE/failed"
		local t0 t1
		t0=$(date +%s%N)
		if ! (server_start); then
			# shellcheck disable=SC2046
			show_logs $(server_logs)
			(server_stop) >/dev/null 2>&1
			exit 1
		fi
		t1=$(date +%s%N)
		env_commit
		say "ready in $(((t1 - t0) / 1000000)) ms ($STATE)"
		;;
	stop)
		server_stop
		rm -f "$STATE/env"
		;;
	status)
		server_status
		;;
	*)
		if declare -F server_command >/dev/null; then
			server_command "$cmd"
		else
			usage
		fi
		;;
	esac
}

# server_status: every daemon in $DAEMONS runs and the probe answers (a
# server without daemons is up when its env file is there).
server_status() {
	local d pid out=
	if [ -z "$DAEMONS" ] && [ ! -f "$STATE/env" ]; then
		echo "$SERVER: not started"
		return 1
	fi
	for d in $DAEMONS; do
		pid=$(daemon_pid "$d") || {
			echo "$SERVER: $d not running"
			return 1
		}
		out="$out $d=$pid"
	done
	if ! server_probe >/dev/null 2>&1; then
		echo "$SERVER: running (${out# }) but not answering"
		return 1
	fi
	if [ -n "$out" ]; then
		echo "$SERVER: running (${out# })"
	else
		echo "$SERVER: ready"
	fi
}
