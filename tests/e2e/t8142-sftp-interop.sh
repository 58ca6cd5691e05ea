#!/usr/bin/env bash
# Interop over SFTP with Debian's duplicity 0.8.22 (its paramiko backend)
# on the test sshd: duplicity restores at each time what dupc wrote, dupc
# restores what duplicity wrote, and a chain the two tools take turns on
# restores with both at every time.
#
# needs-server: sshd
. "$(dirname "$0")/lib.sh"

# several seconds of real duplicity per run: once, in the plain pass
test_have_prereq UNSANITIZED ||
	test_skip_all "duplicity interop runs in the non-ASan pass"
test_have_prereq DUPLICITY || test_skip_all "duplicity is not installed"
need_server sshd

H=$DUPC_SSHD_HOST P=$DUPC_SSHD_PORT USR=$DUPC_SSHD_USER
U=sftp://$USR@$H:$P
D=t8142-$$
unset SSH_AUTH_SOCK FTP_PASSWORD

# both tools log in with ~/.ssh/id_ed25519 and check ~/.ssh/known_hosts
mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh" &&
	cp "$DUPC_SSHD_KEY" "$HOME/.ssh/id_ed25519" &&
	cp "$DUPC_SSHD_KNOWN_HOSTS" "$HOME/.ssh/known_hosts" ||
	test_skip_all "cannot set up ~/.ssh"

T1=1700000100 T2=1700000200 T3=1700000300 T4=1700000400

# step N TOOL URL: change the tree as backend_cycle does (step 1 makes
# it), keep a copy at@TIME, back it up with TOOL at that time
step() {
	local n=$1 tool=$2 url=$3 t
	eval "t=\$T$n"
	cycle_tree_ src "$n" && touch -d @$((t - 50)) src &&
	rm -rf "at$t" && cp -a src "at$t" &&
	case $tool in
	dupc)
		"$DUPC" --no-encryption --archive-dir "$TRASH/c-$url_id" \
			--current-time "$t" src "$url" >"b$t.out" 2>&1 ;;
	duplicity)
		duplicity --no-encryption --archive-dir "$TRASH/d-$url_id" \
			--current-time "$t" src "$url" >"b$t.out" 2>&1 ;;
	esac || { cat "b$t.out"; return 1; }
}

# same_at TIME DIR: DIR is the tree as it was at TIME
same_at() {
	diff -r "at$1" "$2" &&
	tree_listing "at$1" >want.ls && tree_listing "$2" >got.ls &&
	test_cmp want.ls got.ls
}

# restored TOOL URL TIME: TOOL restores TIME from URL (empty archive dir)
restored() {
	local out=r-$1-$3-$RANDOM
	case $1 in
	dupc)
		"$DUPC" restore --no-encryption --archive-dir "$TRASH/rc-$out" \
			-t "$3" "$2" "$out" >"$out.log" 2>&1 ;;
	duplicity)
		duplicity restore --no-encryption --archive-dir "$TRASH/rd-$out" \
			-t "$3" "$2" "$out" >"$out.log" 2>&1 ;;
	esac || { cat "$out.log"; return 1; }
	same_at "$3" "$out"
}

test_expect_success 'dupc writes a chain over sftp://; duplicity restores each time' '
	url_id=a && rm -rf src && mkdir src &&
	step 1 dupc "$U/$D/a" && step 2 dupc "$U/$D/a" && step 3 dupc "$U/$D/a" &&
	restored duplicity "$U/$D/a" $T1 &&
	restored duplicity "paramiko+sftp://$USR@$H:$P/$D/a" $T2 &&
	restored duplicity "$U/$D/a" $T3
'

test_expect_success 'duplicity writes a chain over sftp://; dupc restores each time' '
	url_id=b && rm -rf src && mkdir src &&
	step 1 duplicity "$U/$D/b" && step 2 duplicity "$U/$D/b" &&
	step 3 duplicity "$U/$D/b" &&
	restored dupc "$U/$D/b" $T1 &&
	restored dupc "scp://$USR@$H:$P/$D/b" $T2 &&
	restored dupc "$U/$D/b" $T3
'

test_expect_success 'a chain the two tools take turns on, absolute path' '
	url_id=m && rm -rf src && mkdir src && M=$U/$DUPC_SSHD_HOME/$D/m &&
	step 1 duplicity "$M" && step 2 dupc "$M" && step 3 duplicity "$M" &&
	echo last >src/docs/n9.txt && touch -d @$((T4 - 80)) src/docs/n9.txt &&
	touch -d @$((T4 - 50)) src && cp -a src "at$T4" &&
	"$DUPC" --no-encryption --archive-dir "$TRASH/c-m" --current-time $T4 \
		src "$M" >b4.out 2>&1 &&
	ls "$DUPC_SSHD_HOME/$D/m" | grep -c "manifest$" >n && echo 4 >four &&
	test_cmp four n
'

for t in $T1 $T2 $T3 $T4; do
	test_expect_success "both tools restore the mixed chain at $t" "
		restored duplicity \"\$U/\$DUPC_SSHD_HOME/\$D/m\" $t &&
		restored dupc \"\$U/\$DUPC_SSHD_HOME/\$D/m\" $t
	"
done

test_done
