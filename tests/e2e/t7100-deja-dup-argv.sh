#!/usr/bin/env bash
# deja-dup's use of duplicity, replayed with dupc as "duplicity": the same
# argument lists (--verbosity=9 --gpg-options=--no-use-agent --archive-dir=
# --tempdir= --log-fd=N appended last, gio+file:// targets, --dry-run for
# the progress total, --volsize=N, include/exclude lists ending with
# --exclude=**, --force --time= on restore, --rename), stdout and stderr
# thrown away, and only the machine log read, the way deja-dup splits its
# control lines (quoted words joined, Python escapes undone).
. "$(dirname "$0")/lib.sh"

mkdir -p bin && ln -s "$DUPC" bin/duplicity
export PATH="$TRASH/bin:$PATH"
CACHE=$TRASH/home/.cache/deja-dup
mkdir -p "$CACHE" "$TMPDIR/deja"

# dj ARGS...: run duplicity as deja-dup does; the records in log.txt,
# one per line as "WORD|WORD|...<TAB>DATA LINES<TAB>TEXT" (see parse.py)
dj() {
	duplicity "$@" --verbosity=9 --gpg-options=--no-use-agent \
		"--archive-dir=$CACHE" "--tempdir=$TMPDIR/deja" --log-fd=3 \
		3>raw.log >/dev/null 2>&1 </dev/null
	local rc=$?
	python3 parse.py raw.log >log.txt || return 1
	return $rc
}

cat >parse.py <<'PY'
import sys

def unescape(w):
    # the escapes Python's unicode-escape writes, as deja-dup undoes them
    out, i = [], 0
    while i < len(w):
        c = w[i]
        if c == "\\" and i + 1 < len(w):
            n = w[i + 1]
            if n == "x":
                out.append(chr(int(w[i + 2:i + 4], 16))); i += 4; continue
            if n == "u":
                out.append(chr(int(w[i + 2:i + 6], 16))); i += 6; continue
            if n == "U":
                out.append(chr(int(w[i + 2:i + 10], 16))); i += 10; continue
            out.append({"n": "\n", "t": "\t", "r": "\r"}.get(n, n)); i += 2; continue
        out.append(c); i += 1
    return "".join(out)

def split_line(line):
    words, group = [], None
    for w in line.split(" "):
        if group is None and w.startswith("'"):
            group = []
        if group is None:
            words.append(w)
            continue
        group.append(w)
        if w.endswith("'") and not (len(group) == 1 and w == "'"):
            words.append(unescape(" ".join(group))[1:-1])
            group = None
    return words

stanza = []
for line in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if line:
        stanza.append(line)
        continue
    if not stanza:
        continue
    control = split_line(stanza[0])
    data = [l for l in stanza[1:] if not l.startswith(". ")]
    text = [l[2:] for l in stanza[1:] if l.startswith(". ")]
    print("|".join(control) + "\t" + "\\n".join(data) + "\t" + "\\n".join(text))
    stanza = []
PY

test_expect_success 'deja-dup'"'"'s version check: the last token, at least 0.7.14' '
	v=$(duplicity --version | tr " " "\n" | tail -n 1) &&
	test "$v" = 0.8.22
'

test_expect_success 'a home directory to back up' '
	mkdir -p home/me/Documents home/me/.cache home/me/skipped &&
	echo report >home/me/Documents/report.txt &&
	echo "café" >"home/me/Documents/naïve [1].txt" &&
	echo cached >home/me/.cache/junk &&
	: >home/me/skipped/.deja-dup-ignore && echo no >home/me/skipped/x &&
	head -c 1500000 /dev/urandom >home/me/Documents/big.bin
'

# deja-dup puts the excludes below an include before it (first match wins)
SEL="--exclude=$TRASH/home/me/.cache --include=$TRASH/home/me --exclude=** \
--exclude-if-present=CACHEDIR.TAG --exclude-if-present=.deja-dup-ignore"
URL="gio+file://$TRASH/backup"

test_expect_success 'status before the first backup: INFO 3 without chains' '
	dj collection-status $SEL "$URL" --no-encryption &&
	grep -q "^INFO|3|	" log.txt &&
	! grep "^INFO|3|" log.txt | grep -q "chain-complete"
'

test_expect_success 'dry run: the last INFO 2 gives the progress total' '
	dj $SEL --dry-run --volsize=1 "$TRASH" "$URL" --no-encryption &&
	total=$(grep "^INFO|2|[0-9]*	" log.txt | tail -n 1 | cut -f1 | cut -d"|" -f3) &&
	test "$total" -gt 1500000 &&
	echo "$total" >total &&
	test_path_is_missing backup
'

test_expect_success 'full backup: file names from INFO 4, INFO 2 never past the total' '
	dj full $SEL --volsize=1 "$TRASH" "$URL" --no-encryption &&
	grep -q "^INFO|4|home/me/Documents/naïve \\[1\\].txt	" log.txt &&
	! grep -q "^INFO|4|.*\\.cache" log.txt &&
	! grep -q "^INFO|4|.*skipped/x" log.txt &&
	grep -q "^INFO|11	" log.txt &&
	for n in $(grep "^INFO|2|[0-9]*		Processed volume" log.txt | cut -f1 | cut -d"|" -f3); do
		test "$n" -le "$(cat total)" || return 1
	done &&
	! grep -q "^ERROR" log.txt
'

test_expect_success 'status after it: the full set, its date and noenc, as deja-dup reads them' '
	dj collection-status $SEL "$URL" --no-encryption &&
	grep "^INFO|3|" log.txt | cut -f2 | tr -d "\n" | sed "s/\\\\n/\n/g" >chains &&
	grep -q "^chain-complete$" chains &&
	grep -qE "^ full [0-9]{8}T[0-9]{6}Z [0-9]+ noenc$" chains
'

test_expect_success 'list-current-files: INFO 10 as date, file, type' '
	dj list-current-files "--time=$(date +%s)" "$URL" --no-encryption &&
	grep -qE "^INFO\\|10\\|[0-9]{8}T[0-9]{6}Z\\|home/me/Documents/naïve \\[1\\]\\.txt\\|reg	" log.txt &&
	grep -qE "^INFO\\|10\\|[0-9]{8}T[0-9]{6}Z\\|home/me/Documents\\|dir	" log.txt
'

test_expect_success 'restore of one file, renamed as deja-dup does for a moved home' '
	mkdir -p out &&
	dj restore --rename home/me home/you \
		"--file-to-restore=home/me/Documents/report.txt" \
		"--time=$(date +%s)" --force "$URL" "$TRASH/out/report.txt" \
		--no-encryption &&
	test "$(cat out/report.txt)" = report &&
	grep -q "^INFO|7|" log.txt
'

test_expect_success 'a --rename target too long for a name: one line, nothing renamed written' '
	long=$(head -c 70000 /dev/zero | tr "\\0" x) &&
	test_must_fail duplicity restore --rename home/me "$long" \
		"--time=$(date +%s)" --archive-dir="$CACHE" "$URL" "$TRASH/long" \
		--no-encryption >rename.out 2>rename.err &&
	test_line_count rename.err = 1 &&
	grep -q "^--rename: the new name of home/me.* is too long" rename.err &&
	test -z "$(ls -A long/home)"
'

test_expect_success 'restore of everything to a new place, volumes counted "N M"' '
	dj restore "--time=$(date +%s)" --force "$URL" "$TRASH/all" --no-encryption &&
	diff -r home/me/Documents all/home/me/Documents &&
	grep -qE "^INFO\\|2\\|1\\|[0-9]+		Processed volume 1 of " log.txt
'

test_expect_success 'an error reaches the log alone: ERROR with the exit code' '
	test_expect_code 19 dj restore "--file-to-restore=home/me/none" --force \
		"$URL" "$TRASH/none" --no-encryption &&
	grep -c "^ERROR|" log.txt >n && test "$(cat n)" = 1 &&
	grep -q "^ERROR|19	" log.txt
'

test_expect_success 'an option dupc does not know still ends in the log' '
	test_expect_code 2 dj collection-status --frobnicate "$URL" &&
	grep -q "^ERROR|2		unknown option --frobnicate" log.txt
'

test_done
