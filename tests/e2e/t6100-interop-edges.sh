#!/usr/bin/env bash
# Edge cases in both directions: chunk boundaries (0, 65535, 65536, 65537,
# 131072 bytes), a delta over 64 KiB, type changes file<->dir<->symlink,
# mode-only and mtime-only changes, a deleted directory with contents, and
# names with quotes, backslashes, newlines and non-UTF-8 bytes.  Each chain
# is written by one tool and restored at every time by the other.
. "$(dirname "$0")/lib.sh"

rnd() { # FILE SIZE SEED
	python3 -c "
import hashlib, sys
p, n, s = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = bytearray(); i = 0
while len(out) < n:
    out += hashlib.sha256(('%s:%d' % (s, i)).encode()).digest(); i += 1
open(p, 'wb').write(bytes(out[:n]))" "$1" "$2" "$3"
}

stamp() { # fix every mtime so listings are reproducible
	find "$1" ! -type l -exec touch -m -d @"$2" {} + &&
	find "$1" -type l -exec touch -h -m -d @"$2" {} +
}

make_edges() {
	mkdir -p "$1" && (
	cd "$1" &&
	: >size0 && rnd size65535 65535 a && rnd size65536 65536 b &&
	rnd size65537 65537 c && rnd size131072 131072 d &&
	rnd bigdelta 300000 e &&
	echo f >file2dir && mkdir dir2file && echo in >dir2file/x &&
	echo l >file2link && ln -s size0 link2file &&
	echo m >modeonly && echo t >mtimeonly &&
	mkdir -p gone/deeper && echo g >gone/a && echo h >gone/deeper/b &&
	echo q >"q\"uote'\\back" && echo n >"$(printf "new\nline")" &&
	echo x >"$(printf "bin-\377\376")"
	) && stamp "$1" 1690000000
}

mutate_edges() {
	(
	cd "$1" &&
	rnd size65536 65536 b2 && rnd size131072 131073 d2 &&
	python3 -c "
d = bytearray(open('bigdelta','rb').read())
d[100000:100100] = b'X' * 100
d[250000:250000] = b'inserted' * 20
open('bigdelta','wb').write(bytes(d))" &&
	rm file2dir && mkdir file2dir && echo now-dir >file2dir/y &&
	rm -r dir2file && echo now-file >dir2file &&
	rm file2link && ln -s size65535 file2link &&
	rm link2file && echo now-file >link2file &&
	chmod 0600 modeonly && rm -r gone &&
	echo q2 >>"q\"uote'\\back"
	) && stamp "$1" 1690001000 &&
	touch -m -d @1690000000 "$1/modeonly" && touch -m -d @1690005000 "$1/mtimeonly"
}

test_expect_success VECTORS 'setup: edge tree and its mutation' '
	make_edges src && listing src >L0 &&
	cp -a src pristine && mutate_edges src && listing src >L1 &&
	rm -rf src && cp -a pristine src && ! test_cmp L0 L1 >/dev/null
'

test_expect_success VECTORS,DUPLICITY 'dupc writes the chain, duplicity restores both times' '
	"$DUPC" full --no-encryption --archive-dir "$TRASH/c1" --current-time 1700000000 \
		src "file://$TRASH/r1" >/dev/null &&
	mutate_edges src &&
	"$DUPC" --no-encryption --archive-dir "$TRASH/c1" --current-time 1700000100 \
		src "file://$TRASH/r1" >inc.out &&
	grep -q "^ChangedFiles [1-9]" inc.out &&
	grep -q "^DeletedFiles [1-9]" inc.out &&
	for t in 1700000000:L0 1700000100:L1; do
		rm -rf out &&
		duplicity restore --no-encryption --archive-dir "$TRASH/d-${t%%:*}" \
			-t ${t%%:*} "file://$TRASH/r1" out >/dev/null 2>&1 &&
		listing out >got && test_cmp ${t#*:} got || return 1
	done
'

test_expect_success VECTORS,DUPLICITY 'the incremental carries a multivol delta' '
	python3 -c "
import sys, tarfile
t = tarfile.open(sys.argv[1], \"r:gz\", encoding=\"utf-8\", errors=\"surrogateescape\")
print(\"\n\".join(m.name for m in t))" r1/duplicity-inc.*.vol1.difftar.gz >names &&
	grep -q "^diff/bigdelta$\|^multivol_diff/bigdelta/1$" names &&
	grep -q "^diff/modeonly$" names && grep -q "^diff/mtimeonly$" names &&
	grep -q "^deleted/gone/deeper/b$" names
'

test_expect_success VECTORS,DUPLICITY 'duplicity writes the chain, dupc restores both times' '
	rm -rf src && cp -a pristine src &&
	duplicity full --no-encryption --archive-dir "$TRASH/c2" --current-time 1700000000 \
		src "file://$TRASH/r2" >/dev/null 2>&1 &&
	mutate_edges src &&
	duplicity incremental --no-encryption --archive-dir "$TRASH/c2" \
		--current-time 1700000100 src "file://$TRASH/r2" >/dev/null 2>&1 &&
	for t in 1700000000:L0 1700000100:L1; do
		rm -rf out &&
		"$DUPC" restore --no-encryption --archive-dir "$TRASH/e-${t%%:*}" \
			-t ${t%%:*} "file://$TRASH/r2" out >/dev/null &&
		listing out >got && test_cmp ${t#*:} got || return 1
	done
'

test_expect_success VECTORS,DUPLICITY 'dupc continues duplicity'"'"'s chain on the edge tree' '
	echo more >>src/size0 && touch -m -d @1690009000 src/size0 &&
	listing src >L2 &&
	"$DUPC" --no-encryption --archive-dir "$TRASH/c2" --current-time 1700000200 \
		src "file://$TRASH/r2" >/dev/null &&
	rm -rf out &&
	duplicity restore --no-encryption --archive-dir "$TRASH/d-last" \
		"file://$TRASH/r2" out >/dev/null 2>&1 &&
	listing out >got && test_cmp L2 got
'

test_done
