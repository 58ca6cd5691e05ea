#!/usr/bin/env bash
# Full backups to file://: the remote layout, volumes, manifest and
# archive dir duplicity expects; Debian's duplicity 0.8.22 restores them
# identically; the statistics equal duplicity's for the same tree.
. "$(dirname "$0")/lib.sh"

V=$VECTORS/duplicity-0.8.22

test_expect_success VECTORS 'setup: the interop tree with a multi-volume file' '
	make_tree src --with-multivol
'

test_expect_success VECTORS 'full --volsize 1 writes several volumes, manifest and signatures' '
	"$DUPC" full --no-encryption --volsize 1 --archive-dir "$TRASH/cache" \
		--current-time 1700000000 src "file://$TRASH/remote" >out &&
	ls remote >names &&
	cat >expect <<-\EOT &&
	duplicity-full-signatures.20231114T221320Z.sigtar.gz
	duplicity-full.20231114T221320Z.manifest
	duplicity-full.20231114T221320Z.vol1.difftar.gz
	duplicity-full.20231114T221320Z.vol2.difftar.gz
	duplicity-full.20231114T221320Z.vol3.difftar.gz
	EOT
	test_cmp expect names
'

test_expect_success VECTORS 'volume ranges and quoting match duplicity'"'"'s manifest' '
	sed -e "/^Hostname/d" -e "/Hash SHA1/d" remote/duplicity-full.20231114T221320Z.manifest >ours &&
	sed -e "/^Hostname/d" -e "/Hash SHA1/d" "$V/c-multivol/remote/duplicity-full.20231114T221320Z.manifest" >theirs &&
	test_cmp theirs ours
'

test_expect_success VECTORS 'manifest hashes are the SHA-1 of the stored volumes' '
	for n in 1 2 3; do
		sha1sum remote/duplicity-full.20231114T221320Z.vol$n.difftar.gz | cut -c1-40 >want &&
		awk -v n=$n "/^Volume /{v=(\$2==n\":\")} v && /Hash SHA1/{print \$3}" \
			remote/duplicity-full.20231114T221320Z.manifest >got &&
		test_cmp want got || return 1
	done
'

test_expect_success VECTORS 'volumes are gzip with PAX tar entries in duplicity order' '
	python3 - remote >entries <<-\EOP &&
	import gzip, sys, tarfile, os
	d = sys.argv[1]
	for n in (1, 2, 3):
	    p = os.path.join(d, "duplicity-full.20231114T221320Z.vol%d.difftar.gz" % n)
	    with tarfile.open(p, "r:gz", encoding="utf-8", errors="surrogateescape") as t:
	        for m in t:
	            print(m.name + ("/" if m.isdir() and not m.name.endswith("/") else ""))
	EOP
	grep -qx "snapshot/./" entries &&
	grep -qx "multivol_snapshot/multivol.bin/41" entries &&
	grep -qx "multivol_snapshot/exact64k.bin/2" entries &&
	grep -qx "snapshot/emptydir/" entries &&
	test "$(head -n1 entries)" = "snapshot/./"
'

test_expect_success VECTORS 'the archive dir holds the manifest and gzipped signatures, privately' '
	dir=$(echo cache/*) &&
	ls "$dir" | grep -v lockfile >names &&
	cat >expect <<-\EOT &&
	duplicity-full-signatures.20231114T221320Z.sigtar.gz
	duplicity-full.20231114T221320Z.manifest
	EOT
	test_cmp expect names &&
	test "$(stat -c %a "$dir")" = 700 &&
	test "$(stat -c %a "$dir/duplicity-full.20231114T221320Z.manifest")" = 600 &&
	cmp "$dir/duplicity-full.20231114T221320Z.manifest" remote/duplicity-full.20231114T221320Z.manifest
'

test_expect_success VECTORS 'the default archive dir is ~/.cache/duplicity/<md5 of the URL>' '
	"$DUPC" full --no-encryption --current-time 1700000000 src "file://$TRASH/remote2" >/dev/null &&
	md5=$(printf %s "file://$TRASH/remote2" | md5sum | cut -c1-32) &&
	test -f "$XDG_CACHE_HOME/duplicity/$md5/duplicity-full.20231114T221320Z.manifest"
'

test_expect_success VECTORS,DUPLICITY 'Debian duplicity restores the set identically' '
	duplicity restore --no-encryption --archive-dir "$TRASH/dcache" \
		"file://$TRASH/remote" restored >dup.log 2>&1 &&
	listing restored >got &&
	test_cmp "$V/c-multivol/expected/20231114T221320Z.txt" got
'

test_expect_success VECTORS 'dupc restores its own set identically' '
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/c2" \
		"file://$TRASH/remote" restored2 >/dev/null &&
	listing restored2 >got &&
	test_cmp "$V/c-multivol/expected/20231114T221320Z.txt" got
'

test_expect_success VECTORS 'statistics equal duplicity'"'"'s for the same tree' '
	make_tree plain &&
	"$DUPC" full --no-encryption --archive-dir "$TRASH/c3" \
		--current-time 1700000000 plain "file://$TRASH/r3" >out &&
	grep -v -e "^StartTime" -e "^EndTime" -e "^ElapsedTime" \
		-e "^TotalDestinationSizeChange" -e "^\[exit" \
		"$V/transcripts/a-full.txt" >expect &&
	grep -v -e "^StartTime" -e "^EndTime" -e "^ElapsedTime" \
		-e "^TotalDestinationSizeChange" out >actual &&
	test_cmp expect actual &&
	size=$(stat -c %s r3/duplicity-full.20231114T221320Z.vol1.difftar.gz) &&
	grep -qx "TotalDestinationSizeChange $size (.*)" out
'

test_expect_success VECTORS 'the time lines have duplicity'"'"'s shape' '
	grep -Eq "^StartTime [0-9]+\.[0-9]{2} \([A-Z][a-z]{2} [A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} [0-9]{4}\)$" out &&
	grep -Eq "^ElapsedTime [0-9]+\.[0-9]{2} \(.*seconds?\)$" out
'

test_expect_success VECTORS 'a second full starts a new chain' '
	"$DUPC" full --no-encryption --archive-dir "$TRASH/c3" \
		--current-time 1700001000 plain "file://$TRASH/r3" >/dev/null &&
	ls r3 | grep -c "manifest$" >n &&
	echo 2 >expect &&
	test_cmp expect n
'

test_done
