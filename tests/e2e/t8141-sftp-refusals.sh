#!/usr/bin/env bash
# sftp:// refusals on the test sshd, as a cron job sees them: one error
# line that names the cause and the fix, duplicity's exit code (23, as its
# SSH backend exits), no prompt, no secret.  A wrong password or key, no
# password at all; an unknown host (and the ssh-keyscan line it suggests
# then works), accept-new adding it, a changed key refused whatever the
# options; the known-hosts files of --ssh-options.
#
# needs-server: sshd
. "$(dirname "$0")/lib.sh"
need_server sshd

H=$DUPC_SSHD_HOST P=$DUPC_SSHD_PORT USR=$DUPC_SSHD_USER
U=sftp://$USR@$H:$P
D=t8141-$$
unset SSH_AUTH_SOCK FTP_PASSWORD

mkdir -p src && echo data >src/f
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"

# refused LINE-PATTERN DUPC-ARGS...: exit 23, one line on stderr matching
# the pattern (grep -E), nothing asked, nothing secret
refused() {
	local want=$1
	shift
	test_expect_code 23 timeout 60 "$DUPC" full --no-encryption \
		--num-retries 2 --backend-retry-delay 0.1 "$@" \
		src "$U/$D/x" </dev/null >out 2>err &&
	test_line_count err = 1 &&
	grep -E "$want" err || { cat err; return 1; }
	! grep -F "$DUPC_SSHD_PASSWORD" err out
}

test_expect_success 'a wrong password: one line, exit 23, no password' '
	cp "$DUPC_SSHD_KNOWN_HOSTS" "$HOME/.ssh/known_hosts" &&
	FTP_PASSWORD=wrong-$$ refused "cannot log in to .* as $USR \(tried the password: refused; the server allows publickey,password\)" &&
	! grep -q "wrong-$$" err
'

test_expect_success 'no key and no password, not on a terminal: says where to give it' '
	refused "no password: none given.*give the password or passphrase in FTP_PASSWORD or the URL"
'

test_expect_success 'a key the server does not know' '
	ssh-keygen -q -t ed25519 -N "" -C "" -f "$TRASH/stranger" </dev/null &&
	refused "cannot log in .*stranger: refused" --ssh-options="-i $TRASH/stranger"
'

test_expect_success 'a key whose passphrase is wrong' '
	FTP_PASSWORD=wrong refused "cannot log in .*id_ed25519_protected: wrong passphrase" \
		--ssh-options="-oIdentitiesOnly=yes -i $DUPC_SSHD_KEY_PROTECTED"
'

# the fingerprint as a regular expression (base64 has '+')
fp=$(printf "%s" "$DUPC_SSHD_HOSTKEY_SHA256" | sed 's/[+.]/\\&/g')

test_expect_success 'an unknown host: refused with its fingerprint and the fix' '
	rm -f "$HOME/.ssh/known_hosts" &&
	refused "^.*the host key of \[$H\]:$P is not known \(ED25519 key $fp\); if that is the server.s key, add it with: ssh-keyscan -p $P $H >> ~/.ssh/known_hosts" \
		--ssh-options="-i $DUPC_SSHD_KEY" &&
	test ! -e "$HOME/.ssh/known_hosts"
'

test_expect_success 'the ssh-keyscan line of the refusal lets the next run in' '
	cmd=$(sed -n "s/.*add it with: \(ssh-keyscan [^>]*\) >> .*/\1/p" err) &&
	test -n "$cmd" &&
	$cmd >>"$HOME/.ssh/known_hosts" 2>/dev/null &&
	"$DUPC" full --no-encryption --ssh-options="-i $DUPC_SSHD_KEY" \
		src "$U/$D/scanned" </dev/null >out 2>&1
'

test_expect_success 'accept-new adds an unknown host and goes on' '
	rm -f "$HOME/.ssh/known_hosts" &&
	"$DUPC" full --no-encryption \
		--ssh-options="-i $DUPC_SSHD_KEY -oStrictHostKeyChecking=accept-new" \
		src "$U/$D/new" </dev/null >out 2>&1 &&
	grep -x "Warning: Permanently added .\[$H\]:$P. (ED25519) to the list of known hosts." out &&
	grep -q "^\[$H\]:$P ssh-ed25519 " "$HOME/.ssh/known_hosts" &&
	"$DUPC" restore --no-encryption --ssh-options="-i $DUPC_SSHD_KEY" \
		"$U/$D/new" r-new </dev/null >out 2>&1 &&
	diff -r src r-new && ! grep -q "Permanently added" out
'

test_expect_success 'a changed host key is refused, even with accept-new or no' '
	ssh-keygen -q -t ed25519 -N "" -C "" -f "$TRASH/otherhost" </dev/null &&
	printf "[%s]:%s %s\n" "$H" "$P" "$(cut -d" " -f1,2 "$TRASH/otherhost.pub")" \
		>"$HOME/.ssh/known_hosts" &&
	for strict in yes accept-new no; do
		refused "the host key of \[$H\]:$P has changed \(now ED25519 key $fp\).*ssh-keygen -R .\[$H\]:$P." \
			--ssh-options="-i $DUPC_SSHD_KEY -oStrictHostKeyChecking=$strict" ||
			return 1
	done
'

test_expect_success 'known hosts from -oUserKnownHostsFile and -oGlobalKnownHostsFile' '
	refused "has changed" --ssh-options="-i $DUPC_SSHD_KEY" &&
	"$DUPC" full --no-encryption --ssh-options="-i $DUPC_SSHD_KEY" \
		--ssh-options="-oUserKnownHostsFile=$DUPC_SSHD_KNOWN_HOSTS" \
		src "$U/$D/user-kh" </dev/null >out 2>&1 &&
	"$DUPC" full --no-encryption --ssh-options="-i $DUPC_SSHD_KEY" \
		--ssh-options="-oUserKnownHostsFile=none -oGlobalKnownHostsFile=$DUPC_SSHD_KNOWN_HOSTS" \
		src "$U/$D/global-kh" </dev/null >out 2>&1 &&
	refused "is not known" --ssh-options="-i $DUPC_SSHD_KEY -oUserKnownHostsFile=$TRASH/none-here"
'

test_expect_success 'a bad --ssh-options value is a command-line error' '
	test_expect_code 2 "$DUPC" full --no-encryption \
		--ssh-options="-oStrictHostKeyChecking=maybe" src "$U/$D/x" \
		</dev/null >out 2>err &&
	test_line_count err = 1 &&
	grep -q "bad --ssh-options value .maybe. for StrictHostKeyChecking: expected yes, accept-new or no" err
'

test_done
