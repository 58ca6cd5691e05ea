#!/usr/bin/env bash
# sftp:// through tools/faultproxy in front of the test sshd: connections
# reset in the middle of a volume's upload and of a download, several
# times in one run, still end with a complete backup and identical
# restores, each time on a connection opened again; seeded random resets
# both ways through a whole cycle; a server that stays away ends with
# duplicity's "Giving up after N attempts" and the next run resumes the
# set.
#
# needs-server: sshd
. "$(dirname "$0")/lib.sh"
need_server sshd

H=$DUPC_SSHD_HOST P=$DUPC_SSHD_PORT USR=$DUPC_SSHD_USER
D=t8143-$$
unset SSH_AUTH_SOCK FTP_PASSWORD
RETRY="--num-retries 5 --backend-retry-delay 0.2"
# The rules below that pick connections by number run without the lock on
# the target, whose backend has a connection of its own (opened first).
NOLOCK=--no-remote-lock

mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh" &&
	cp "$DUPC_SSHD_KEY" "$HOME/.ssh/id_ed25519" ||
	test_skip_all "cannot set up ~/.ssh"

# proxy RULES [ARGS]: a fresh faultproxy in front of sshd with RULES (its
# connections are numbered from 1); the server's host keys are known
# under the proxy's port; sets PU, the sftp:// URL through it.
proxy() {
	local rules=$1
	shift
	stop_faultproxy
	rm -f "$TRASH/fp.log"
	if ! start_faultproxy "$H:$P" --faults "$rules" "$@"; then
		# a loaded machine: give the proxy more than lib.sh's 10 s
		for i in $(seq 1 300); do
			grep -q "control on" "$TRASH/fp.out" && break
			sleep 0.1
		done
		FP_ADDR=$(sed -n "s/^faultproxy listening on //p" "$TRASH/fp.out")
		FP_CONTROL=$(sed -n "s/^faultproxy control on /http:\/\//p" "$TRASH/fp.out")
		test -n "$FP_ADDR" && test -n "$FP_CONTROL" || return 1
	fi
	sed "s/^\[$H\]:$P /[$H]:${FP_ADDR##*:} /" "$DUPC_SSHD_KNOWN_HOSTS" \
		>"$HOME/.ssh/known_hosts" &&
	PU=sftp://$USR@$FP_ADDR
}

# faults ACTION: how many faults of ACTION the proxy's log holds
faults() {
	grep -c "\"event\": \"fault\".*\"action\": \"$1\"" "$TRASH/fp.log"
}
# opened: how many connections the proxy accepted
opened() {
	grep -c "\"event\": \"open\"" "$TRASH/fp.log"
}

# direct URL: the same folder without the proxy (for checks)
direct() {
	cp "$DUPC_SSHD_KNOWN_HOSTS" "$HOME/.ssh/known_hosts.direct" &&
	echo "sftp://$USR@$H:$P/$D/$1"
}
DIRECT_OPTS=--ssh-options="-oUserKnownHostsFile=$HOME/.ssh/known_hosts.direct"

test_expect_success 'setup: a tree of about six volumes' '
	mkdir -p src/d && head -c 6000000 /dev/urandom >src/big &&
	for i in $(seq 1 20); do echo "file $i" >"src/d/f$i" || return 1; done
'

# The rules below match every connection and fire a given number of times
# in all: the first connections to carry that many bytes are cut, whichever
# instance (a restore fetches with several) opened them.
test_expect_success 'three resets in the middle of volume uploads: the backup completes' '
	proxy "{\"name\": \"cut uploads\", \"match\": {\"direction\": \"up\"},
		\"action\": \"reset\", \"bytes\": 1500000, \"times\": 3}" &&
	"$DUPC" full --no-encryption --volsize 1 $RETRY src "$PU/$D/up" \
		>out 2>&1 &&
	grep -q "^Errors 0" out &&
	test $(faults reset) = 3 && test $(opened) -ge 4 &&
	"$DUPC" restore --no-encryption "$DIRECT_OPTS" "$(direct up)" r-up \
		>out2 2>&1 &&
	diff -r src r-up &&
	! ls -a "$DUPC_SSHD_HOME/$D/up" | grep "^\.dupc-"
'

test_expect_success 'three resets in the middle of downloads: the restore is identical' '
	proxy "{\"name\": \"cut downloads\", \"match\": {\"direction\": \"down\"},
		\"action\": \"reset\", \"bytes\": 500000, \"times\": 3}" &&
	"$DUPC" restore --no-encryption $RETRY "$PU/$D/up" r-down >out-down 2>&1 &&
	test $(faults reset) = 3 && test $(opened) -ge 4 &&
	diff -r src r-down ||
		{ cat out-down; cat "$TRASH/fp.log"; false; }
'

test_expect_success 'random resets both ways (p=0.4 per connection, seeded): a whole cycle' '
	proxy "{\"name\": \"random\", \"match\": {\"probability\": 0.4},
		\"action\": \"reset\", \"bytes\": 300000, \"times\": \"forever\"}" \
		--seed 3 &&
	backend_cycle "$PU/$D/random" --no-encryption --volsize 1 \
		--num-retries 10 --backend-retry-delay 0.1 &&
	n=$(faults reset) && c=$(opened) &&
	echo "# random resets: $n of $c connections" &&
	test "$n" -ge 2
'

test_expect_success 'a stall in the middle of an upload: after --timeout, a new connection' '
	proxy "{\"name\": \"stall\", \"match\": {\"conn\": 1, \"direction\": \"up\"},
		\"action\": \"stall\", \"bytes\": 1500000}" &&
	"$DUPC" full --no-encryption --volsize 1 --timeout 3 $RETRY $NOLOCK \
		src "$PU/$D/stall" >out 2>&1 &&
	test $(faults stall) = 1 && test $(opened) -ge 2 &&
	"$DUPC" restore --no-encryption "$DIRECT_OPTS" "$(direct stall)" \
		r-stall >out2 2>&1 &&
	diff -r src r-stall
'

test_expect_success 'SIGTERM during a stalled upload stops the run at once' '
	proxy "{\"name\": \"stall\", \"match\": {\"conn\": 1, \"direction\": \"up\"},
		\"action\": \"stall\", \"bytes\": 1500000}" || return 1
	# a simple command in the background: $! is dupc itself
	"$DUPC" full --no-encryption --volsize 1 --timeout 600 $NOLOCK \
		--archive-dir "$TRASH/c-term" src "$PU/$D/term" >out-term 2>&1 &
	pid=$!
	for i in $(seq 1 100); do
		test "$(faults stall 2>/dev/null)" = 1 && break
		sleep 0.1
	done
	sleep 1 && kill -TERM $pid && t0=$(date +%s) &&
	{ wait $pid; rc=$?; } &&
	{ test $rc = 4 && test $(($(date +%s) - t0)) -le 5 ||
		{ echo "exit $rc after $(($(date +%s) - t0)) s"; cat out-term; false; }; } &&
	grep -q "interrupted by signal 15; run the backup again to resume" out-term
'

test_expect_success 'a server that stays away: Giving up after N attempts' '
	proxy "[{\"name\": \"drop\", \"match\": {\"conn\": 1, \"direction\": \"up\"},
		\"action\": \"reset\", \"bytes\": 2500000},
		{\"name\": \"away\", \"match\": {\"conn\": [2, null]},
		\"action\": \"refuse\", \"times\": \"forever\"}]" &&
	test_expect_code 38 "$DUPC" full --no-encryption --volsize 1 $NOLOCK \
		--num-retries 3 --backend-retry-delay 0.1 \
		--archive-dir "$TRASH/c-away" src "$PU/$D/away" >out 2>err &&
	test_line_count err = 1 &&
	grep -q "Giving up after 3 attempts. TransientError: .*cannot connect\|Giving up after 3 attempts. TransientError: .*libssh2" err &&
	ls "$DUPC_SSHD_HOME/$D/away" | grep -q "vol1.difftar.gz" &&
	! ls "$DUPC_SSHD_HOME/$D/away" | grep -q "manifest"
'

test_expect_success 'the next run resumes the set and it restores' '
	python3 -c "import urllib.request as u; u.urlopen(u.Request(\"$FP_CONTROL/_faultproxy/faults\", method=\"DELETE\"))" &&
	"$DUPC" --no-encryption --volsize 1 $RETRY --archive-dir "$TRASH/c-away" \
		src "$PU/$D/away" >out 2>&1 &&
	grep -q "^Last full backup left a partial set, restarting.$" out &&
	grep -q "^Restarting after volume" out &&
	ls "$DUPC_SSHD_HOME/$D/away" | grep -q "manifest" &&
	"$DUPC" restore --no-encryption "$DIRECT_OPTS" "$(direct away)" r-away \
		>out2 2>&1 &&
	diff -r src r-away
'

test_done
