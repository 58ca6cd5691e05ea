#!/usr/bin/env bash
# sftp:// on OpenSSH's sshd (tests/servers/sshd): the shared backend cycle
# (full, two incrementals, a restore of each time with an empty archive
# dir) through sftp://, scp:// and paramiko+scp:// --use-scp, relative
# and absolute paths, encrypted (one cycle: GnuPG is the slow part) and
# not, with a key of ~/.ssh and the password from FTP_PASSWORD; then a backup and its restore for each
# other way of logging in: the password in the URL, a key and known
# hosts named in --ssh-options, ~/.ssh/config, a key with a passphrase.
#
# needs-server: sshd
. "$(dirname "$0")/lib.sh"
need_server sshd

H=$DUPC_SSHD_HOST P=$DUPC_SSHD_PORT USR=$DUPC_SSHD_USER
U=sftp://$USR@$H:$P
# the server is shared: everything goes under a folder of this run
D=t8140-$$
unset SSH_AUTH_SOCK

# with_key: the test key and the server's host keys in ~/.ssh
with_key() {
	mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh" &&
	cp "$DUPC_SSHD_KEY" "$HOME/.ssh/id_ed25519" &&
	cp "$DUPC_SSHD_KNOWN_HOSTS" "$HOME/.ssh/known_hosts"
}
# without_key: only the host keys
without_key() {
	with_key && rm -f "$HOME/.ssh/id_ed25519"
}

# round_trip NAME URL OPTION...: one backup of a small tree through URL
# and its restore, equal to the tree (for the ways of logging in; the
# cycles above prove the chains)
round_trip() {
	local n=$1 url=$2
	shift 2
	mkdir -p "rt-$n/d" && echo "$n" >"rt-$n/d/f" &&
	head -c 100000 /dev/urandom >"rt-$n/bin" &&
	"$DUPC" full --no-encryption "$@" "rt-$n" "$url" >"rt-$n.out" 2>&1 &&
	"$DUPC" restore --no-encryption "$@" "$url" "rt-$n.r" >>"rt-$n.out" 2>&1 &&
	diff -r "rt-$n" "rt-$n.r" || { cat "rt-$n.out"; return 1; }
}

# no_temporaries DIR: nothing of dupc's own left in the server's folder
no_temporaries() {
	! ls -a "$DUPC_SSHD_HOME/$1" | grep "^\.dupc-"
}

test_expect_success 'sftp://, a key from ~/.ssh, a relative path, several volumes' '
	with_key &&
	backend_cycle "$U/$D/rel/sub" --no-encryption --volsize 1 &&
	ls "$DUPC_SSHD_HOME/$D/rel/sub" | grep -q "vol3.difftar.gz" &&
	no_temporaries "$D/rel/sub"
'

test_expect_success 'sftp:// with an absolute path, encrypted' '
	with_key &&
	PASSPHRASE="cycle pass" backend_cycle "$U/$DUPC_SSHD_HOME/$D/abs" &&
	ls "$DUPC_SSHD_HOME/$D/abs" | grep -q "difftar.gpg$"
'

test_expect_success 'scp://, the password from FTP_PASSWORD, several volumes' '
	without_key &&
	FTP_PASSWORD=$DUPC_SSHD_PASSWORD \
		backend_cycle "scp://$USR@$H:$P/$D/scp" --no-encryption --volsize 1
'

test_expect_success 'the password in the URL, percent-encoded' '
	without_key &&
	enc=$(printf "%s" "$DUPC_SSHD_PASSWORD" | od -An -tx1 | tr -d " \n" |
		sed "s/../%&/g") &&
	round_trip urlpw "sftp://$USR:$enc@$H:$P/$D/urlpw" &&
	test -n "$(ls "$DUPC_SSHD_HOME/$D/urlpw")"
'

test_expect_success 'paramiko+scp:// with --use-scp' '
	with_key &&
	backend_cycle "paramiko+scp://$USR@$H:$P/$D/usescp" --no-encryption \
		--use-scp --volsize 1 &&
	no_temporaries "$D/usescp"
'

test_expect_success 'pexpect+sftp:// with the key and known hosts named in --ssh-options' '
	rm -rf "$HOME/.ssh" &&
	round_trip opts "pexpect+sftp://$USR@$H:$P/$D/opts" \
		--ssh-options="-i $DUPC_SSHD_KEY" \
		--ssh-options="-oUserKnownHostsFile=$DUPC_SSHD_KNOWN_HOSTS" &&
	test ! -e "$HOME/.ssh/known_hosts"
'

test_expect_success '~/.ssh/config gives HostName, Port, User and IdentityFile' '
	without_key &&
	cp "$DUPC_SSHD_KEY" "$HOME/cfgkey" &&
	cat >"$HOME/.ssh/config" <<-EOF &&
	Host other
	    Port 1
	Host backup-*
	    HostName $H
	    Port $P
	    User $USR
	    IdentityFile %d/cfgkey
	EOF
	round_trip cfg "sftp://backup-box/$D/cfg" &&
	rm "$HOME/.ssh/config"
'

test_expect_success 'a key with a passphrase, from FTP_PASSWORD' '
	without_key &&
	pp=$(cat "$DUPC_SSHD_KEY_PASSPHRASE_FILE") &&
	FTP_PASSWORD=$pp round_trip pp "$U/$D/pp" \
		--ssh-options="-oIdentitiesOnly=yes -i $DUPC_SSHD_KEY_PROTECTED" &&
	! grep -F "$pp" rt-pp.out
'

test_expect_success 'the ssh-agent of SSH_AUTH_SOCK holds the only good key' '
	without_key &&
	ssh-keygen -q -t ed25519 -N "" -C "" -f "$HOME/.ssh/id_ed25519" </dev/null &&
	eval "$(ssh-agent -s -a "$TRASH/agent.sock")" >/dev/null &&
	ssh-add -q "$DUPC_SSHD_KEY" 2>/dev/null &&
	{ round_trip agent "$U/$D/agent"; rc=$?; } &&
	kill "$SSH_AGENT_PID" && unset SSH_AUTH_SOCK SSH_AGENT_PID &&
	test $rc = 0
'

test_expect_success 'ssh options dupc does not use are named in one warning' '
	with_key &&
	"$DUPC" collection-status --ssh-options="-oProxyCommand=nc -4 -c aes128-ctr" \
		--ssh-options="-oStrictHostKeyChecking=yes" \
		"$U/$D/rel/sub" >out 2>&1 &&
	grep -x "Warning: --ssh-options: dupc does not use -oProxyCommand=nc -4 -c aes128-ctr; ignored" out &&
	test $(grep -c "ssh-options" out) = 1 &&
	grep -q "Chain start time" out
'

test_expect_success 'dupc help sftp names every spelling and the options' '
	"$DUPC" help sftp >h &&
	grep -q "sftp://\[USER\[:PASSWORD\]@\]HOST\[:PORT\]//absolute/path" h &&
	grep -q "pexpect+scp://" h && grep -q -- "--ssh-options" h &&
	grep -q -- "--use-scp" h &&
	"$DUPC" help scp >h2 && test_cmp h h2
'

test_done
