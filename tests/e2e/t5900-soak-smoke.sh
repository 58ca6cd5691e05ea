#!/usr/bin/env bash
# A short run of the fault soak (tests/soak/soak.py, `make soak`): a full
# backup and an incremental killed at a crash point and resumed, then
# ten seconds of random backups, kills, faults and restores, with every
# backup time restored and compared with its saved listing.
. "$(dirname "$0")/lib.sh"

SOAK="$TEST_TOP/tests/soak/soak.py"

test_expect_success 'soak smoke: kill, resume, faulty restore, every time restores' '
	python3 "$SOAK" --smoke --build "$DUPC_BUILD" --seed 7 \
		--workdir "$TRASH/smoke" >out 2>&1 ||
	{ cat out; false; } &&
	grep "^soak: kills SIGKILL  *1$" out
'

test_expect_success 'soak: ten seconds of random steps' '
	python3 "$SOAK" --time 10 --build "$DUPC_BUILD" --seed 11 \
		--workdir "$TRASH/random" >out 2>&1 ||
	{ cat out; false; } &&
	cat out
'

test_done
