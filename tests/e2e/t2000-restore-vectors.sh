#!/usr/bin/env bash
# dupc restores what Debian's duplicity 0.8.22 wrote: every time of the
# a-plain chain, the multi-volume c-multivol set, and single paths.
. "$(dirname "$0")/lib.sh"

V=$VECTORS/duplicity-0.8.22

for t in 20231114T221320Z 20231114T221500Z 20231114T221640Z; do
	test_expect_success VECTORS "a-plain restores at $t" "
		\"\$DUPC\" restore --no-encryption --archive-dir \"\$TRASH/c-$t\" -t $t \
			\"file://\$V/a-plain/remote\" out-$t >log &&
		listing out-$t >got &&
		test_cmp \"\$V/a-plain/expected/$t.txt\" got
	"
done

test_expect_success VECTORS 'restoring into an empty archive dir prints duplicity'"'"'s sync lines' '
	sed -e "/^\[exit/d" "$V/transcripts/a-plain-restore-20231114T221320Z.txt" >expect &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/fresh" -t 20231114T221320Z \
		"file://$V/a-plain/remote" out-sync >actual &&
	test_cmp expect actual
'

test_expect_success VECTORS 'c-multivol (three volumes, a file across them) restores' '
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/cm" \
		"file://$V/c-multivol/remote" out-mv >/dev/null &&
	listing out-mv >got &&
	test_cmp "$V/c-multivol/expected/20231114T221320Z.txt" got
'

test_expect_success VECTORS '--file-to-restore of a directory equals that subtree' '
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-deep" \
		--file-to-restore deep "file://$V/a-plain/remote" out-deep >/dev/null &&
	listing out-deep >got &&
	awk -F"\t" "NR==1{print; next} \$1==\"deep\"{sub(/^deep/, \".\"); print; next} \
		index(\$1, \"deep/\")==1{sub(/^deep\//, \"\"); print}" \
		"$V/a-plain/expected/20231114T221640Z.txt" >expect &&
	test_cmp expect got
'

test_expect_success VECTORS '--file-to-restore of a file writes that file' '
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-f" -t 20231114T221500Z \
		-r big-text.txt "file://$V/a-plain/remote" one-file >/dev/null &&
	test -f one-file &&
	test "$(stat -c %s one-file)" = 2600000 &&
	grep -P "^big-text.txt\t" "$V/a-plain/expected/20231114T221500Z.txt" | cut -f6 >want &&
	sha256sum one-file | cut -c1-64 >have &&
	test_cmp want have
'

test_expect_success VECTORS 'a path that is not in the archive: exit 19' '
	test_expect_code 19 "$DUPC" restore --no-encryption --archive-dir "$TRASH/c-nf" \
		-r no/such/path "file://$V/a-plain/remote" nf 2>err &&
	grep -q "not found in archive" err
'

test_expect_success VECTORS 'an existing non-empty destination is refused without --force' '
	mkdir -p busy && echo x >busy/keep &&
	test_expect_code 11 "$DUPC" restore --no-encryption --archive-dir "$TRASH/c-b" \
		"file://$V/a-plain/remote" busy 2>err &&
	test_line_count err = 1 &&
	test -f busy/keep &&
	"$DUPC" restore --force --no-encryption --archive-dir "$TRASH/c-b" \
		"file://$V/a-plain/remote" busy >/dev/null &&
	test -f busy/small.txt
'

test_expect_success VECTORS 'restore picks the chain covering the time' '
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c-t" -t 1700000150 \
		"file://$V/a-plain/remote" out-mid >/dev/null &&
	listing out-mid >got &&
	test_cmp "$V/a-plain/expected/20231114T221500Z.txt" got
'

test_done
