#!/usr/bin/env bash
# rclone:// through Debian's rclone, on a local remote and on an sftp
# remote pointed at the run's sshd (tests/servers/rclone): the backup
# cycle, encrypted and not; deja-dup 46's form, rclone://dejadupdrive:
# FOLDER with only RCLONE_CONFIG_DEJADUPDRIVE_* in the environment (a
# local remote standing in for Drive); the path passed as written; an
# unknown remote and a missing rclone in one line; interop with duplicity
# 0.8.22's rclone backend, mixed chains included.
#
# needs-server: rclone
. "$(dirname "$0")/lib.sh"
. "$TEST_TOP/tests/e2e/lib-interop.sh"
need_server rclone

L=$DUPC_RCLONE_LOCAL_REMOTE
S=$DUPC_RCLONE_SFTP_REMOTE
u=t8130-$$

test_expect_success 'local remote, unencrypted, several volumes' '
	backend_cycle "rclone://$L:$u/plain" --no-encryption --volsize 2 &&
	test $(ls -A "$DUPC_RCLONE_LOCAL_DIR/$u/plain" | grep -c "^\.") = 0
'

test_expect_success 'sftp remote, encrypted' '
	PASSPHRASE=cycle backend_cycle "rclone://$S:$u/enc"
'

test_expect_success "deja-dup's rclone://dejadupdrive:FOLDER, the remote in the environment only" '
	(
		for v in $(env | sed -n "s/^\(RCLONE_CONFIG_[A-Z_]*\)=.*/\1/p"); do
			unset "$v"
		done &&
		export RCLONE_CONFIG=$TRASH/no-such-rclone.conf \
			RCLONE_CONFIG_DEJADUPDRIVE_TYPE=local &&
		mkdir -p "$TRASH/drive" && cd "$TRASH/drive" &&
		PASSPHRASE=deja backend_cycle "rclone://dejadupdrive:DejaDup" &&
		ls "$TRASH/drive/DejaDup" | grep -q "^duplicity-full.*manifest.gpg$"
	)
'
# the subshell's backend_cycle took a serial the shell here did not see
cycle_serial_=$((cycle_serial_ + 1))

test_expect_success 'rclone://r:/abs is r:/abs, as written' '
	backend_cycle "rclone://$L:/$u/abs" --no-encryption &&
	ls "$DUPC_RCLONE_LOCAL_DIR/$u/abs" | grep -q manifest
'

test_expect_success 'an unknown remote: one line, exit 8' '
	mkdir -p src && echo x >src/x &&
	test_expect_code 8 "$DUPC" --no-encryption src "rclone://nosuch:x" \
		>out 2>err &&
	test_line_count err = 1 &&
	grep -q "RCLONE_CONFIG_" err
'

test_expect_success 'no rclone program: one line naming --rclone-executable' '
	test_expect_code 54 "$DUPC" --no-encryption \
		--rclone-executable "$TRASH/none/rclone" \
		src "rclone://$L:$u/none" >out 2>err &&
	test_line_count err = 1 &&
	grep -q -- "--rclone-executable" err
'

test_have_prereq UNSANITIZED || {
	test_done
	exit 0
}

test_expect_success DUPLICITY 'duplicity full, dupc incremental, duplicity incremental (local remote)' '
	interop_cycle duplicity "rclone://$L:$u/mixed1" --no-encryption
'

test_expect_success DUPLICITY 'dupc full, duplicity incremental, dupc incremental (sftp remote, encrypted)' '
	PASSPHRASE=mixed interop_cycle dupc "rclone://$S:$u/mixed2"
'

test_done
