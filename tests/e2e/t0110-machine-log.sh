#!/usr/bin/env bash
# --log-fd and --log-file: every record parses with a reader written from
# the format description (tests/tools/logfd-read.py), carries duplicity's
# codes and extras, and a --log-file of the interop incremental equals
# duplicity's own record for record where the content is deterministic.
. "$(dirname "$0")/lib.sh"

READ="python3 $TEST_TOP/tests/tools/logfd-read.py"
V=$VECTORS/duplicity-0.8.22

backup() { # ARGS...: a backup of src to the local target
	"$DUPC" "$@" --no-encryption --archive-dir "$TRASH/cache" src \
		"file://$TRASH/remote"
}

# has FILE LEVEL CODE EXTRA [TEXT]: FILE (logfd-read.py output) holds a
# record with exactly these fields ("-" for no extra).
has() {
	L=$2 C=$3 E=$4 T=${5-} ANY=${5+no} awk -F '\t' '
		$1 == ENVIRON["L"] && $2 == ENVIRON["C"] && $3 == ENVIRON["E"] &&
		    (ENVIRON["ANY"] != "no" || $4 == ENVIRON["T"]) { found = 1 }
		END { exit !found }' "$1" || {
		echo "no record: $2 $3 $4 ${5-}" >&2
		return 1
	}
}

on_target() { # COMMAND ARGS...: a command that takes only the target
	"$DUPC" "$@" --no-encryption --archive-dir "$TRASH/cache" \
		"file://$TRASH/remote"
}

test_expect_success VECTORS 'the interop tree, full backup at -v9 into --log-fd' '
	make_tree src &&
	backup full --current-time 1700000000 -v9 --log-fd 3 3>full.log >full.out &&
	$READ full.log >full.rec &&
	test $(wc -l <full.rec) -gt 30
'

test_expect_success VECTORS 'new files: INFO 4 with the quoted path, as duplicity escapes it' '
	has full.rec INFO 4 "'"'"'small.txt'"'"'" "A small.txt" &&
	has full.rec INFO 4 "'"'"'dir with spaces/na\xefve caf\xe9 \u2615.txt'"'"'" \
		"A dir with spaces/naïve café ☕.txt" &&
	has full.rec INFO 4 "'"'"'weird \"quote\" \x27apos\x27 back\\\\slash.txt'"'"'" \
		"A weird \"quote\" '"'"'apos'"'"' back\\slash.txt" &&
	# a name that is not UTF-8: exact in the extra, U+FFFD in the text
	has full.rec INFO 4 "'"'"'latin1-\udce9.txt'"'"'" "A latin1-$(printf "\357\277\275").txt"
'

test_expect_success VECTORS 'volumes: INFO 11 and 13 around the upload, INFO 2 with the bytes examined' '
	has full.rec INFO 11 - "Writing duplicity-full.20231114T221320Z.vol1.difftar.gz" &&
	has full.rec INFO 13 - &&
	grep -q "^INFO	2	[0-9][0-9]*	Processed volume 1$" full.rec &&
	bytes=$(sed -n "s/^INFO	2	\\([0-9]*\\)	Processed volume 1$/\\1/p" full.rec) &&
	grep -q "^SourceFileSize $bytes " full.out
'

test_expect_success VECTORS 'the statistics are one NOTICE record ending with an empty line' '
	grep "^NOTICE	1	-	--------------\\[ Backup Statistics \\]" full.rec >stats &&
	test_line_count stats = 1 &&
	grep -q "\\\\nErrors 0\\\\n-------------------------------------------------\\\\n$" stats
'

test_expect_success VECTORS 'changed and deleted files: INFO 5 and 6' '
	sh "$VECTORS/mutate-1.sh" src &&
	backup incremental --current-time 1700000100 -v5 --log-fd 3 3>inc.log >/dev/null &&
	$READ inc.log >inc.rec &&
	has inc.rec INFO 5 "'"'"'small.txt'"'"'" "M small.txt" &&
	has inc.rec INFO 6 "'"'"'medium-100k.bin'"'"'" "D medium-100k.bin" &&
	! grep -q "^DEBUG" inc.rec
'

test_expect_success VECTORS '--log-file of an incremental equals duplicity'"'"'s (a-inc1.log-file.txt)' '
	rm -rf remote cache src &&
	make_tree src &&
	backup full --current-time 1700000000 >/dev/null &&
	sh "$VECTORS/mutate-1.sh" src &&
	backup incremental --current-time 1700000100 --log-file "$TRASH/inc1.log" >/dev/null &&
	$READ inc1.log >/dev/null &&
	$READ "$V/transcripts/a-inc1.log-file.txt" >/dev/null &&
	strip() {
		grep -v -e "^\\. StartTime " -e "^\\. EndTime " -e "^\\. ElapsedTime " \
			-e "^\\. TotalDestinationSizeChange " "$1"
	} &&
	strip "$V/transcripts/a-inc1.log-file.txt" >expect &&
	strip inc1.log >actual &&
	test_cmp expect actual
'

test_expect_success VECTORS '--log-file appends, and --log-fd with --log-file get the same records' '
	on_target collection-status --log-fd 3 --log-file "$TRASH/inc1.log" 3>both.log >/dev/null &&
	$READ both.log >both.rec &&
	$READ inc1.log >file.rec &&
	n=$(wc -l <both.rec) &&
	tail -n "$n" file.rec >file-tail.rec &&
	test_cmp both.rec file-tail.rec &&
	test $(wc -l <file.rec) -gt "$n"
'

test_expect_success VECTORS 'collection-status: INFO 3 with the chain summary as extra lines' '
	# duplicity logs it at level 8 (INFO), forced: deja-dup reads INFO 3
	grep "^INFO	3	" both.rec >cs &&
	test_line_count cs = 1 &&
	grep -F "\\nchain-complete\\n full 20231114T221320Z 1 noenc\\n inc 20231114T221500Z 1 noenc\\norphaned-sets-num 0\\nincomplete-sets-num 0	Collection Status" cs &&
	grep -q "^INFO 3 $" both.log
'

test_expect_success VECTORS 'list-current-files: INFO 10 records with time, quoted path and type' '
	on_target list-current-files -v5 --log-fd 3 3>ls.log >ls.out &&
	$READ ls.log >ls.rec &&
	has ls.rec INFO 10 "20230722T042640Z '"'"'deep'"'"' dir" \
		"Sat Jul 22 04:26:40 2023 deep" &&
	has ls.rec INFO 10 "20230722T044320Z '"'"'.'"'"' dir" \
		"Sat Jul 22 04:43:20 2023 ." &&
	grep -v -e "^Local and Remote" -e "^Last full backup" ls.out >listed &&
	test $(grep -c "^INFO	10	" ls.rec) -eq $(wc -l <listed)
'

test_expect_success VECTORS 'restore: INFO 7 with path and type, INFO 2 "N M" per volume' '
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/rcache" -v5 \
		--log-fd 3 "file://$TRASH/remote" r 3>r.log >/dev/null &&
	$READ r.log >r.rec &&
	has r.rec INFO 7 "'"'"'small.txt'"'"' reg" "Writing small.txt of type reg" &&
	has r.rec INFO 7 "'"'"'link-to-small'"'"' sym" &&
	has r.rec INFO 8 "'"'"'small.txt'"'"'" "Patching small.txt" &&
	has r.rec INFO 2 "1 2" "Processed volume 1 of 2" &&
	has r.rec INFO 2 "2 2" "Processed volume 2 of 2"
'

test_expect_success VECTORS 'a dry run ends with an INFO 2 record holding the total and no message' '
	touch -d "+1 minute" src/small.txt &&
	backup --dry-run -v5 --log-fd 3 3>dry.log >dry.out &&
	$READ dry.log >dry.rec &&
	bytes=$(sed -n "s/^SourceFileSize \\([0-9]*\\) .*/\\1/p" dry.out) &&
	has dry.rec INFO 2 "$bytes" "" &&
	grep -q "^INFO 2 $bytes$" dry.log
'

test_expect_success VECTORS 'with --progress: NOTICE 16 records, the last one at 100%' '
	backup --progress --log-fd 3 3>p.log >/dev/null &&
	$READ p.log >p.rec &&
	grep "^NOTICE	16	" p.rec >p16 &&
	tail -n 1 p16 | grep -qE "^NOTICE	16	[0-9]+ [0-9]+ 100 0 [0-9]+ 0	.*\\] 100% ETA 0sec$" &&
	! grep -q "ETA" p.log.console 2>/dev/null
'

test_expect_success 'an error is one ERROR record whose code is the exit status' '
	test_expect_code 19 "$DUPC" restore --no-encryption --archive-dir "$TRASH/rcache" \
		-r no/such/file --log-fd 3 "file://$TRASH/remote" r2 3>e.log 2>e.err >/dev/null &&
	$READ e.log >e.rec &&
	grep "^ERROR" e.rec >errs &&
	test_line_count errs = 1 &&
	has errs ERROR 19 - "no/such/file not found in archive - no files restored." &&
	test_line_count e.err = 1
'

test_expect_success 'a backend failure carries the operation and the file as extra' '
	mkdir -p src2 ro && echo x >src2/f &&
	: >blocker &&
	test_must_fail "$DUPC" full --no-encryption --archive-dir "$TRASH/c2" \
		--log-fd 3 src2 "file://$TRASH/blocker/sub" 3>b.log 2>/dev/null >/dev/null &&
	$READ b.log >b.rec &&
	grep -qE "^ERROR	5[0-9]	(list|put .*|size .dupc.lock.)	" b.rec
'

test_expect_success 'warnings carry their codes (WARNING 5 for an interrupted set)' '
	mkdir -p src3 && head -c 2500000 /dev/urandom >src3/big &&
	# the pid of dupc itself: a background job of this shell ignores SIGINT
	sh -c "echo \$\$ >pid; exec env DUPC_FAULT_POINT=volume-uploaded:1:stall \
		\"\$0\" full --no-encryption --volsize 1 --archive-dir c3 src3 \
		file://$TRASH/t3" "$DUPC" >/dev/null 2>&1 &
	job=$! &&
	for i in $(seq 1 200); do
		ls t3/*.difftar.gz >/dev/null 2>&1 && break
		sleep 0.05
	done &&
	sleep 0.2 && kill -INT "$(cat pid)" && { wait $job; test $? -eq 4; } &&
	"$DUPC" collection-status --no-encryption --archive-dir "$TRASH/c3b" \
		--log-fd 3 "file://$TRASH/t3" 3>w.log >/dev/null &&
	$READ w.log >w.rec &&
	has w.rec WARNING 5 - \
		"Warning, found incomplete backup sets, probably left from aborted session"
'

test_expect_success 'a command-line error reaches --log-fd given after it' '
	test_expect_code 2 "$DUPC" --frobnicate --log-fd=3 3>c.log 2>/dev/null &&
	$READ c.log >c.rec &&
	has c.rec ERROR 2 - "unknown option --frobnicate; see dupc --help"
'

test_expect_success 'bad --log-fd values: exit 2 with one line' '
	test_expect_code 2 "$DUPC" collection-status --log-fd 0 file:///x 2>err &&
	test_line_count err = 1 &&
	test_expect_code 2 "$DUPC" collection-status --log-fd 9 file:///x 2>err 9>&- &&
	test_line_count err = 1 &&
	grep -q "not an open file descriptor" err
'

test_done
