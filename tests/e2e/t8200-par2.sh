#!/usr/bin/env bash
# par2+URL: recovery files beside every stored file, laid out as
# duplicity's par2 backend lays them out.  A chain with bytes flipped in
# several places of a volume and of a signature file, and a volume cut
# short by a few percent, still restores identically at every time, with
# one line per repair; damage beyond the redundancy is named; duplicity
# 0.8.22 restores dupc's damaged par2 backup and dupc duplicity's; the
# commands that read a target work through the wrapper; a plain file://
# reading of a par2 target passes the recovery files over with a warning.
. "$(dirname "$0")/lib.sh"

# flip FILE OFFSET: overwrite 32 bytes at OFFSET.
flip() {
	printf 'this is not what was written!!!!' |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# one_chain DIR TREE: a full and two incrementals of a changing tree at
# --volsize 1, the tree kept at each time as TREE.1, TREE.2, TREE.3.
one_chain() {
	local url=$1 tree=$2 step
	mkdir -p "$tree" &&
	for step in 1 2 3; do
		cycle_tree_ "$tree" $step &&
		rm -rf "$tree.$step" && cp -a "$tree" "$tree.$step" &&
		"$DUPC" --no-encryption --volsize 1 --archive-dir "$TRASH/c-$(basename "$tree")" \
			--current-time $((1700000000 + step * 100)) "$tree" "$url" \
			>/dev/null || return 1
	done
}

# restores_all URL TREE NAME: restore every time with an empty archive dir;
# each equals TREE.N; what the run says goes to NAME.N.out.
restores_all() {
	local url=$1 tree=$2 name=$3 step
	for step in 1 2 3; do
		rm -rf "$name.$step" &&
		"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-$name-$step" \
			-t $((1700000000 + step * 100)) "$url" "$name.$step" \
			>"$name.$step.out" 2>&1 &&
		diff -r "$tree.$step" "$name.$step" || return 1
	done
}

test_expect_success 'full, incrementals and restores through par2+file://' '
	backend_cycle "par2+file://$TRASH/cycle" --no-encryption --volsize 1 &&
	PASSPHRASE=p backend_cycle "par2+file://$TRASH/cycle-enc"
'

test_expect_success 'the layout is duplicity'"'"'s: NAME, NAME.par2, NAME.volA+B.par2' '
	one_chain "par2+file://$TRASH/t" "$TRASH/tree" &&
	ls t >names &&
	for f in $(grep -v "\.par2$" names); do
		grep -qx "$f.par2" names &&
		grep -q "^$f\.vol[0-9]*+[0-9]*\.par2$" names || return 1
	done
'

test_expect_success 'flipped bytes and a cut tail are repaired, one line each' '
	vol1=$(ls t | grep "^duplicity-full\..*\.vol1\.difftar\.gz$") &&
	vol2=$(ls t | grep "^duplicity-full\..*\.vol2\.difftar\.gz$") &&
	sig=$(ls t | grep "^duplicity-full-signatures\..*\.sigtar\.gz$") &&
	flip "t/$vol1" 1000 && flip "t/$vol1" 300000 && flip "t/$vol1" 700000 &&
	flip "t/$sig" 2000 &&
	size=$(stat -c %s "t/$vol2") &&
	truncate -s $((size * 97 / 100)) "t/$vol2" &&
	restores_all "par2+file://$TRASH/t" "$TRASH/tree" r &&
	cat r.1.out &&
	test $(grep -c "repaired from its PAR2 recovery files" r.1.out) -eq 3 &&
	grep -q "^Warning: $vol1 was damaged; repaired" r.1.out &&
	grep -q "^Warning: $vol2 was damaged; repaired" r.1.out &&
	grep -q "^Warning: $sig was damaged; repaired" r.1.out
'

test_expect_success 'collection-status and verify work through the wrapper' '
	"$DUPC" collection-status --no-encryption --archive-dir "$TRASH/c-st" \
		"par2+file://$TRASH/t" >st &&
	grep -q "Chain start time" st && ! grep -q "\\.par2" st &&
	"$DUPC" verify --no-encryption --archive-dir "$TRASH/c-st" \
		"par2+file://$TRASH/t" tree.3 >ver 2>&1 ||
	{ cat ver; false; }
'

test_expect_success 'damage beyond the redundancy is one line naming the file' '
	cp -a t t2 &&
	size=$(stat -c %s "t2/$vol1") &&
	truncate -s $((size / 2)) "t2/$vol1" &&
	test_must_fail "$DUPC" restore --no-encryption --archive-dir "$TRASH/c-bad" \
		-t 1700000100 "par2+file://$TRASH/t2" bad 2>err &&
	test_line_count err = 1 &&
	grep "$vol1 is damaged beyond what its" err ||
	{ cat err; false; }
'

test_expect_success 'read without the wrapper, the .par2 files are passed over with a warning' '
	"$DUPC" collection-status --no-encryption --archive-dir "$TRASH/c-plain" \
		"file://$TRASH/t" >plain 2>plain.err &&
	test $(grep -c "PAR2 recovery files" plain plain.err | awk -F: "{n += \$2} END {print n}") -eq 1 &&
	grep -q "use par2+file://" plain plain.err
'

test_expect_success UNSANITIZED,DUPLICITY 'duplicity restores dupc'"'"'s par2 backup after damage' '
	for step in 1 3; do
		rm -rf d$step &&
		duplicity restore --no-encryption --archive-dir "$TRASH/cd-$step" \
			-t $((1700000000 + step * 100)) "par2+file://$TRASH/t" d$step \
			>/dev/null 2>&1 &&
		diff -r tree.$step d$step || return 1
	done
'

test_expect_success UNSANITIZED,DUPLICITY 'dupc restores duplicity'"'"'s par2 backup after damage' '
	mkdir dsrc && cycle_tree_ dsrc 1 &&
	duplicity full --no-encryption --volsize 1 --archive-dir "$TRASH/cdup" \
		dsrc "par2+file://$TRASH/dt" >/dev/null 2>&1 &&
	ls dt >dnames &&
	grep -q "\.vol1\.difftar\.gz\.vol[0-9]*+[0-9]*\.par2$" dnames &&
	dvol=$(grep "\.vol1\.difftar\.gz$" dnames) &&
	flip "dt/$dvol" 5000 && flip "dt/$dvol" 600000 &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-fromdup" \
		"par2+file://$TRASH/dt" fromdup >fromdup.out 2>&1 &&
	diff -r dsrc fromdup &&
	grep -q "$dvol was damaged; repaired" fromdup.out
'

test_done
