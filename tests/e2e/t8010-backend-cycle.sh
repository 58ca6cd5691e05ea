#!/usr/bin/env bash
# The shared backend cycle (lib.sh backend_cycle: full, two incrementals,
# a restore of each time with an empty archive dir) over the local
# backends: file://, plain and encrypted, in one and in several volumes,
# and mf:// on the bundled emulator.  Every network backend's own script
# runs the same cycle against its real server.
. "$(dirname "$0")/lib.sh"

test_expect_success 'file://, unencrypted, several volumes' '
	backend_cycle "file://$TRASH/plain" --no-encryption --volsize 1
'

test_expect_success 'file://, encrypted' '
	PASSPHRASE="cycle pass" backend_cycle "file://$TRASH/enc"
'

test_expect_success 'file:// with a relative path' '
	backend_cycle "file://rel/target" --no-encryption
'

if [ -f "$MFEMU" ]; then
	test_expect_success 'mf:// on the emulator, encrypted, several volumes' '
		start_mfemu --account "u@example.com:pw" &&
		export DUPC_MF_API_ROOT=$MF_ROOT DUPC_MF_POLL_INTERVAL=0.01 &&
		FTP_PASSWORD=pw PASSPHRASE=x backend_cycle \
			"mf://u%40example.com@mediafire.com/cycle" --volsize 1
	'
fi

test_done
