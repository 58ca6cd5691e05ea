#!/usr/bin/env bash
# duplicity's command line as front-ends send it (0.8 and 3.x spellings,
# abbreviations, --rename, gio+file:// URLs), the version as dupc and as
# "duplicity", the help texts, and make install: the manual page renders
# without a warning and the bash completion loads.
. "$(dirname "$0")/lib.sh"

test_expect_success 'a source and a backup' '
	mkdir -p src/home/old/docs src/etc &&
	echo a >src/home/old/docs/a && echo b >src/etc/b &&
	"$DUPC" full --no-encryption --archive-dir "$TRASH/c" src \
		"file://$TRASH/t" >/dev/null
'

test_expect_success '--version: dupc X.Y.Z; run as duplicity: duplicity 0.8.22' '
	"$DUPC" --version >v && grep -qxE "dupc [0-9]+\.[0-9]+\.[0-9]+" v &&
	"$DUPC" -V >v && grep -qxE "dupc [0-9]+\.[0-9]+\.[0-9]+" v &&
	mkdir -p bin && ln -s "$DUPC" bin/duplicity &&
	bin/duplicity --version >v && echo "duplicity 0.8.22" >expect &&
	test_cmp expect v &&
	# duply: awk /^duplicity /{print $2}; deja-dup: the last token
	test "$(bin/duplicity --version | awk "/^duplicity /{print \$2; exit}")" = 0.8.22 &&
	test_expect_code 2 bin/duplicity --frobnicate 2>err &&
	grep -q "see duplicity --help" err
'

test_expect_success 'long options abbreviate to a unique prefix; ambiguous ones fail' '
	"$DUPC" collection-status --no-enc --archive-d "$TRASH/c" "file://$TRASH/t" >out &&
	grep -q "^Collection Status" out &&
	test_expect_code 2 "$DUPC" collection-status --no "file://$TRASH/t" 2>err &&
	test_line_count err = 1 &&
	grep -q "ambiguous option --no (could be --no-compression, --no-encryption" err
'

test_expect_success 'duplicity 0.8 and 3.x spellings of restore options' '
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c" --restore-time now \
		--file-to-restore home/old/docs/a --do-not-restore-ownership \
		--tempdir "$TMPDIR" --timeout 30 "file://$TRASH/t" r1 >/dev/null &&
	test "$(cat r1)" = a &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c" --time=now \
		--path-to-restore=etc/b --no-restore-ownership "file://$TRASH/t" r2 >/dev/null &&
	test "$(cat r2)" = b
'

test_expect_success '-r of a file in a later volume than a big file'"'"'s first chunks' '
	mkdir -p mv && head -c 2500000 /dev/urandom >mv/big && echo z >mv/zz &&
	"$DUPC" full --no-encryption --volsize 1 --archive-dir "$TRASH/cmv" mv \
		"file://$TRASH/tmv" >/dev/null &&
	test $(ls tmv | grep -c difftar) -ge 3 &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/cmv" -r zz \
		"file://$TRASH/tmv" zz.out >/dev/null &&
	test "$(cat zz.out)" = z
'

test_expect_success '--rename FROM TO restores FROM (and below) as TO' '
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c" \
		--rename home/old/ home/new --rename ./etc/b etc/b.renamed \
		"file://$TRASH/t" r3 >/dev/null &&
	test "$(cat r3/home/new/docs/a)" = a &&
	test "$(cat r3/etc/b.renamed)" = b &&
	test_path_is_missing r3/home/old &&
	test_path_is_missing r3/etc/b
'

test_expect_success '--rename may not leave the restore directory' '
	test_expect_code 2 "$DUPC" restore --no-encryption --rename etc ../x \
		"file://$TRASH/t" r4 2>err &&
	test_line_count err = 1 &&
	grep -q "bad --rename etc ../x" err &&
	test_expect_code 2 "$DUPC" restore --no-encryption "file://$TRASH/t" r4 \
		--rename etc 2>err &&
	grep -q "needs two values" err
'

test_expect_success 'gio+file:// is file://, with duplicity'"'"'s archive dir name' '
	"$DUPC" full --no-encryption src "gio+file://$TRASH/tg" >/dev/null &&
	ls tg/duplicity-full.*.manifest &&
	name=$(printf "%s" "gio+file://$TRASH/tg" | md5sum | cut -d" " -f1) &&
	test -d "$XDG_CACHE_HOME/duplicity/$name" &&
	"$DUPC" restore --no-encryption "gio+file://$TRASH/tg" r5 >/dev/null &&
	diff -r src r5 &&
	test_expect_code 8 "$DUPC" full --no-encryption src "gio+sftp://u:pw@h/p" 2>err &&
	! grep -q pw err
'

test_expect_success 'duplicity 0.7 filelist options and ignored backend options' '
	printf "%s\n" "- **/etc" >xl &&
	"$DUPC" full --no-encryption --exclude-globbing-filelist xl --gio \
		--ssh-askpass --ftp-passive --config-dir /nowhere \
		--archive-dir "$TRASH/c6" src "file://$TRASH/t6" >out &&
	grep -q "deprecated; use --exclude-filelist" out &&
	"$DUPC" list-current-files --no-encryption --archive-dir "$TRASH/c6" \
		"file://$TRASH/t6" >ls &&
	! grep -q " etc" ls && grep -q " home/old/docs/a$" ls &&
	printf "%s\n" "- **/docs" | "$DUPC" full --no-encryption --exclude-filelist-stdin \
		--archive-dir "$TRASH/c7" src "file://$TRASH/t7" >/dev/null &&
	"$DUPC" list-current-files --no-encryption --archive-dir "$TRASH/c7" \
		"file://$TRASH/t7" >ls &&
	! grep -q "docs" ls && grep -q " etc/b$" ls
'

test_expect_success '--help is grouped and short; help COMMAND gives details' '
	"$DUPC" --help >h &&
	test $(wc -l <h) -lt 50 &&
	grep -q "^Encryption:" h && grep -q "^Output:" h && grep -q -- "--progress" h &&
	grep -q -- "--log-fd" h &&
	"$DUPC" help restore >r && grep -q -- "--rename" r && grep -q "Example:" r &&
	"$DUPC" help inc >i && grep -q "^dupc incremental" i &&
	test_expect_code 2 "$DUPC" help re 2>err && test_line_count err = 1
'

test_expect_success 'make install puts the program, the manual page and the completion under PREFIX' '
	make -s -C "$TEST_TOP" BUILD="$DUPC_BUILD" -o "$DUPC" install PREFIX="$TRASH/inst" >/dev/null &&
	test -x inst/bin/dupc &&
	test -f inst/share/man/man1/dupc.1 &&
	test -f inst/share/bash-completion/completions/dupc &&
	test_path_is_missing inst/bin/duplicity &&
	make -s -C "$TEST_TOP" BUILD="$DUPC_BUILD" -o "$DUPC" install-duplicity-compat \
		PREFIX="$TRASH/inst" >/dev/null &&
	test "$(readlink inst/bin/duplicity)" = dupc &&
	test "$(inst/bin/duplicity --version)" = "duplicity 0.8.22"
'

test_expect_success 'the manual page renders without a warning' '
	MANWIDTH=80 man --warnings -l "$TEST_TOP/docs/dupc.1" >man.out 2>man.err &&
	test_line_count man.err = 0 &&
	grep -q "EXIT STATUS" man.out &&
	grep -q "EXAMPLES" man.out &&
	grep -q "ENVIRONMENT" man.out
'

test_expect_success 'the manual page documents every long option dupc accepts' '
	sed -n "/^} options\[\] = {/,/^};/p" "$TEST_TOP/src/cli/options.c" |
		sed -n "s/^	{ \"\\([a-z0-9-]*\\)\",.*/\\1/p" >opts &&
	test $(wc -l <opts) -gt 60 &&
	"$DUPC" help backends | sed -n "s/^    --\\([a-z0-9-]*\\).*/\\1/p" >beopts &&
	grep -qx "ssl-cacert-file" beopts && grep -qx "mf-purge" beopts &&
	cat beopts >>opts &&
	MANWIDTH=200 man -l "$TEST_TOP/docs/dupc.1" 2>/dev/null | col -b >man.txt &&
	while read -r o; do
		grep -q -- "--$o\\b" man.txt || { echo "--$o undocumented"; return 1; }
	done <opts
'

test_expect_success 'the bash completion completes commands and options' '
	test -f /usr/share/bash-completion/bash_completion &&
	bash -c ". /usr/share/bash-completion/bash_completion &&
		. \"$TEST_TOP/contrib/dupc.bash-completion\" &&
		COMP_WORDS=(dupc --no-enc); COMP_CWORD=1; COMP_LINE=\"dupc --no-enc\";
		COMP_POINT=\${#COMP_LINE}; _dupc; echo \"\${COMPREPLY[*]}\";
		COMP_WORDS=(dupc coll); COMP_CWORD=1; COMP_LINE=\"dupc coll\";
		COMP_POINT=\${#COMP_LINE}; _dupc; echo \"\${COMPREPLY[*]}\"" >comp &&
	grep -qx -- "--no-encryption" comp &&
	grep -q "^collection-status" comp
'

test_done
