#!/usr/bin/env bash
# Volume sizes: at --volsize 1, 5 and 25, encrypted (symmetric and to a
# public key) and not, every volume dupc writes stays within --volsize
# plus the 64 KiB margin that duplicity's own volumes keep to on the same
# data, and the chains restore with duplicity.  Slow (real duplicity over
# tens of MB), so only in the build without sanitizers.
. "$(dirname "$0")/lib.sh"

PW=volsize-pass
MARGIN=65536

# max_vol DIR: the size of the largest volume in DIR.
max_vol() {
	stat -c %s "$1"/*.difftar.* | sort -n | tail -n 1
}

test_expect_success UNSANITIZED,DUPLICITY 'setup: random and compressible data, a key' '
	gpg --batch --pinentry-mode loopback --passphrase "" \
		--quick-gen-key "volsize <vs@dupc.invalid>" default default never 2>/dev/null &&
	gpg --with-colons --list-keys vs@dupc.invalid | awk -F: "/^fpr/{print \$10; exit}" >fpr &&
	mkdir small large &&
	head -c 9000000 /dev/urandom >small/rand.bin &&
	python3 -c "
import random
random.seed(7)
with open(\"small/text.txt\", \"w\") as w:
    for i in range(150000):
        w.write(\"line %d %s\n\" % (i, random.choice([\"alpha\", \"beta\", \"gamma\"]) * random.randint(1, 5)))
" &&
	head -c 56000000 /dev/urandom >large/rand.bin && cp small/text.txt large/
'

for vs in 1 5 25; do
	if [ $vs = 25 ]; then data=large; else data=small; fi
	for enc in gz sym pk; do
		test_expect_success UNSANITIZED,DUPLICITY "--volsize $vs, $enc: every volume within --volsize + 64 KiB, as duplicity's" "
			case $enc in
			gz) eo=--no-encryption ;;
			sym) eo= ;;
			pk) eo=\"--encrypt-key \$(cat fpr)\" ;;
			esac &&
			PASSPHRASE=\$PW \"\$DUPC\" full --volsize $vs \$eo --archive-dir \"\$TRASH/c-$vs-$enc\" \
				$data \"file://\$TRASH/t-$vs-$enc\" >/dev/null &&
			PASSPHRASE=\$PW duplicity full --volsize $vs \$eo --archive-dir \"\$TRASH/d-$vs-$enc\" \
				$data \"file://\$TRASH/u-$vs-$enc\" >/dev/null 2>&1 &&
			bound=\$(($vs * 1048576 + MARGIN)) &&
			mine=\$(max_vol t-$vs-$enc) && theirs=\$(max_vol u-$vs-$enc) &&
			echo \"dupc \$mine duplicity \$theirs bound \$bound\" &&
			test \$theirs -le \$bound && test \$mine -le \$bound &&
			n=\$(ls t-$vs-$enc/*.difftar.* | wc -l) && test \$n -ge 2 &&
			PASSPHRASE=\$PW duplicity restore \$eo --archive-dir \"\$TRASH/r-$vs-$enc\" \
				\"file://\$TRASH/t-$vs-$enc\" out-$vs-$enc >/dev/null 2>&1 &&
			diff -r $data out-$vs-$enc && rm -rf out-$vs-$enc u-$vs-$enc t-$vs-$enc
		"
	done
done

test_done
