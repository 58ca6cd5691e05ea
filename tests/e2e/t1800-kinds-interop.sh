#!/usr/bin/env bash
# Every kind of file and its metadata, through dupc and through duplicity in
# both directions.  tests/tools/kinds-tree.py builds the tree: regular files
# with setuid/setgid/sticky and odd modes, directories (sticky, setgid,
# read-only), symlinks with odd targets, a fifo, a socket (skipped, with
# duplicity's notice), hard links (stored as separate files), names of any
# bytes; as root also devices and objects owned by other users, with and
# without names.  tests/tools/tree-listing.py lists modes, owners, times,
# device numbers and contents (holes or not).
#
# Also: owners by name and by number (--numeric-owner) in a mount namespace
# with a test /etc/passwd, --do-not-restore-ownership, incrementals of kind
# changes written by one tool and continued by the other, a path deeper
# than PATH_MAX (dupc only: duplicity names every file by its full path and
# cannot reach it), and a sparse file over 4 GiB (not under
# AddressSanitizer, where it takes too long; t1810 covers 1 GiB there).
. "$(dirname "$0")/lib.sh"

tree() { python3 "$TEST_TOP/tests/tools/kinds-tree.py" "$@"; }
list() { python3 "$TEST_TOP/tests/tools/tree-listing.py" "$@"; }
if test_have_prereq ROOT; then ROOTOPT=--root; else ROOTOPT=; fi
T0=1700000000 T1=1700000100 T2=1700000200

# dupc_backup KIND DIR SRC [options]: dupc full/incremental into file://DIR
dupc_backup() {
	local kind=$1 dir=$2 src=$3; shift 3
	"$DUPC" $kind --no-encryption --archive-dir "$TRASH/cache/dupc-$dir" \
		"$@" "$src" "file://$TRASH/$dir" >"$TRASH/out.$dir.$kind" 2>&1
}
dup_backup() {
	local kind=$1 dir=$2 src=$3; shift 3
	duplicity $kind --no-encryption --archive-dir "$TRASH/cache/dup-$dir" \
		"$@" "$src" "file://$TRASH/$dir" >"$TRASH/out.$dir.$kind" 2>&1
}
# wipe DIR: remove DIR, read-only directories (rodir) and all
wipe() {
	{ test ! -e "$1" || chmod -R u+w "$1"; } && rm -rf "$1"
}
# dupc_restore DIR OUT [options]: a fresh restore of file://DIR into OUT
dupc_restore() {
	local dir=$1 out=$2; shift 2
	wipe "$out" && rm -rf "$TRASH/cache/r-$out" &&
	"$DUPC" restore --no-encryption --archive-dir "$TRASH/cache/r-$out" \
		"$@" "file://$TRASH/$dir" "$out" >/dev/null
}
dup_restore() {
	local dir=$1 out=$2; shift 2
	wipe "$out" && rm -rf "$TRASH/cache/r-$out" &&
	duplicity restore --no-encryption --archive-dir "$TRASH/cache/r-$out" \
		"$@" "file://$TRASH/$dir" "$out" >/dev/null 2>&1
}
# entries DIR TIME: the entry names of the set ending at TIME, sorted
entries() {
	python3 -c '
import glob, sys, tarfile
for v in sorted(glob.glob(sys.argv[1])):
    with tarfile.open(v, "r:gz", encoding="utf-8", errors="surrogateescape") as t:
        for m in t:
            print(repr(m.name))' \
		"$TRASH/$1/duplicity-*.$(date -u -d @$2 +%Y%m%dT%H%M%SZ).vol*.difftar.gz" |
	sort
}
# in_ns NAME CMD...: CMD with /etc/passwd and /etc/group from pw.NAME, gr.NAME
in_ns() {
	local n=$1; shift
	unshare -m sh -c 'mount --bind "$1" /etc/passwd &&
		mount --bind "$2" /etc/group && shift 2 && exec "$@"' \
		sh "$TRASH/pw.$n" "$TRASH/gr.$n" "$@"
}
# users NAME UID GID: a passwd and group where kindsuser/kindsgroup are UID/GID
users() {
	{ cat /etc/passwd; echo "kindsuser:x:$2:$3::/nonexistent:/bin/false"; } >pw.$1 &&
	{ cat /etc/group; echo "kindsgroup:x:$3:"; } >gr.$1
}

test_expect_success 'setup: a tree of every kind' '
	tree $ROOTOPT src && list src >L.all && list --no-sockets src >L0 &&
	grep -q "^sock sock " L.all && ! grep -q "^sock " L0 &&
	grep -q "^fifo fifo 0640 " L0 && grep -q "^setuid reg 4755 " L0 &&
	grep -q "^link-newline sym .* -> new\\\\nline$" L0
'

test_expect_success ROOT 'setup: devices and other owners are in the tree' '
	grep -q "^chr-big chr 0600 0:0 [0-9]* 259,1048575$" L0 &&
	grep -q "^blk blk 0660 " L0 &&
	grep -q "^owned-big reg 0644 3000000:3000001 " L0 &&
	grep -q "^owned-link sym 4242:4343 -> plain$" L0
'

test_expect_success 'dupc stores every kind and restores it' '
	dupc_backup full r1 src --current-time $T0 -v5 --log-fd 3 3>log.r1 &&
	grep -q "^Errors 0$" out.r1.full &&
	dupc_restore r1 o1 && list o1 >got && test_cmp L0 got
'

test_expect_success 'the socket is skipped with duplicity'"'"'s notice' '
	grep -A1 "^INFO 15 " log.r1 >sock.dupc &&
	printf "%s\n" "INFO 15 '"'"'src/sock'"'"'" ". Skipping socket src/sock" >expect &&
	test_cmp expect sock.dupc &&
	grep -q "^Skipping socket src/sock$" out.r1.full
'

test_expect_success 'hard links come back as separate files with the content' '
	for f in hard1 hard2 hl/hard3; do
		test "$(stat -c %h o1/$f)" = 1 && cmp o1/hard1 o1/$f || return 1
	done &&
	test "$(stat -c %i o1/hard1)" != "$(stat -c %i o1/hard2)" &&
	entries r1 $T0 >names && grep -q "^.snapshot/hl/hard3.$" names &&
	grep -q "^.snapshot/hard2.$" names
'

test_expect_success DUPLICITY 'duplicity restores every kind dupc stored' '
	dup_restore r1 o2 && list o2 >got && test_cmp L0 got
'

test_expect_success DUPLICITY 'dupc restores every kind duplicity stored' '
	dup_backup full r2 src --current-time $T0 -v5 --log-fd 3 3>log.r2 &&
	grep -q "^Errors 0$" out.r2.full &&
	grep -A1 "^INFO 15 " log.r2 >sock.dup && test_cmp sock.dup sock.dupc &&
	dupc_restore r2 o3 && list o3 >got && test_cmp L0 got
'

test_expect_success ROOT,MOUNTNS,DUPLICITY 'setup: owners with names, stored by both tools' '
	users A 4242 4343 && users B 5252 5353 &&
	in_ns A "$DUPC" full --no-encryption --archive-dir "$TRASH/cache/r4" \
		src "file://$TRASH/r4" >/dev/null &&
	in_ns A duplicity full --no-encryption --archive-dir "$TRASH/cache/r5" \
		src "file://$TRASH/r5" >/dev/null 2>&1 &&
	for r in r4 r5; do
		python3 -c "
import glob, sys, tarfile
t = tarfile.open(glob.glob(sys.argv[1])[0], \"r:gz\")
m = {i.name: i for i in t}
f, l = m[\"snapshot/owned-numeric\"], m[\"snapshot/owned-link\"]
b = m[\"snapshot/owned-big\"]
assert (f.uname, f.gname, f.uid, f.gid) == (\"kindsuser\", \"kindsgroup\", 4242, 4343), f
assert (l.uname, l.gname) == (\"kindsuser\", \"kindsgroup\"), l
assert (b.uname, b.uid, b.gid) == (\"\", 3000000, 3000001), b
assert m[\"snapshot/owned-named\"].uname == \"daemon\"
" "$r/duplicity-full.*.difftar.gz" || return 1
	done &&
	sed -e "s/ 4242:/ 5252:/" -e "s/:4343 /:5353 /" L0 >L0.B &&
	! test_cmp L0 L0.B >/dev/null
'

test_expect_success ROOT,MOUNTNS,DUPLICITY 'owners are restored by name, or by number with --numeric-owner' '
	for r in r4 r5; do
		for tool in dupc dup; do
			if test $tool = dupc; then
				in_ns B "$DUPC" restore --no-encryption \
					--archive-dir "$TRASH/cache/x.$r.$tool" \
					"file://$TRASH/$r" o.$r.$tool >/dev/null &&
				in_ns B "$DUPC" restore --no-encryption --numeric-owner \
					--archive-dir "$TRASH/cache/x.$r.$tool" \
					"file://$TRASH/$r" o.$r.$tool.n >/dev/null
			else
				in_ns B duplicity restore --no-encryption \
					--archive-dir "$TRASH/cache/x.$r.$tool" \
					"file://$TRASH/$r" o.$r.$tool >/dev/null 2>&1 &&
				in_ns B duplicity restore --no-encryption --numeric-owner \
					--archive-dir "$TRASH/cache/x.$r.$tool" \
					"file://$TRASH/$r" o.$r.$tool.n >/dev/null 2>&1
			fi &&
			list o.$r.$tool >got && test_cmp L0.B got &&
			list o.$r.$tool.n >got && test_cmp L0 got || return 1
		done
	done
'

test_expect_success ROOT,DUPLICITY 'ownership is left alone with --do-not-restore-ownership' '
	list --no-owner --no-sockets src >L0.noowner &&
	dupc_restore r2 o5 --do-not-restore-ownership &&
	dupc_restore r2 o6 --no-restore-ownership &&
	dup_restore r1 o7 --do-not-restore-ownership &&
	for o in o5 o6 o7; do
		list --no-owner $o >got && test_cmp L0.noowner got &&
		list $o >got && ! grep -v " 0:0 " got || return 1
	done
'

# change every kind: type, mode, owner, device numbers, link target, links
# (not a symlink's owner: duplicity compares only the targets of links)
mutate() {
	(
	cd src &&
	rm fifo && echo now-a-file >fifo &&
	chmod u-s setuid && chmod 1755 stickydir &&
	rm link-dot && ln -s "$(printf "other\377")" link-dot &&
	rm hard2 && echo "no longer a link" >hard2 && echo more >>hard1 &&
	chmod 0755 rodir && rm rodir/inside && chmod 0555 rodir &&
	mkfifo newfifo &&
	if test -n "$ROOTOPT"; then
		rm chr-big && mknod -m 0600 chr-big c 259 7 &&
		chown 4343 owned-numeric &&
		rm blk && mkdir blk
	fi
	)
}
mutate2() {
	(
	cd src && rm -r newfifo hl && ln -s newfifo hl && chmod 0604 plain &&
	if test -n "$ROOTOPT"; then
		rm owned-fifo && mknod -m 0644 owned-fifo b 7 201
	fi
	)
}

test_expect_success DUPLICITY 'incrementals of kind changes have the same entries from both tools' '
	mutate && list --no-sockets src >L1 &&
	dupc_backup incremental r1 src --current-time $T1 &&
	dup_backup incremental r2 src --current-time $T1 &&
	entries r1 $T1 >e.dupc && entries r2 $T1 >e.dup &&
	test_cmp e.dup e.dupc &&
	grep -q "^.snapshot/fifo.$" e.dupc && grep -q "^.diff/setuid.$" e.dupc &&
	grep -q "^.snapshot/link-dot.$" e.dupc &&
	grep -q "^.deleted/rodir/inside.$" e.dupc &&
	! grep -q "plain\|empty" e.dupc
'

test_expect_success ROOT,DUPLICITY 'root: device numbers and owners are changes too' '
	grep -q "^.snapshot/chr-big.$" e.dupc && grep -q "^.diff/owned-numeric.$" e.dupc &&
	grep -q "^.snapshot/blk.$" e.dupc
'

test_expect_success DUPLICITY 'each tool restores the other'"'"'s chain at every time' '
	for t in $T0:L0 $T1:L1; do
		dup_restore r1 o -t ${t%%:*} && list o >got && test_cmp ${t#*:} got &&
		dupc_restore r2 o -t ${t%%:*} && list o >got && test_cmp ${t#*:} got ||
		return 1
	done
'

test_expect_success DUPLICITY 'each tool continues the other'"'"'s chain' '
	mutate2 && list --no-sockets src >L2 &&
	dupc_backup incremental r2 src --current-time $T2 &&
	dup_backup incremental r1 src --current-time $T2 &&
	test_cmp <(entries r2 $T2) <(entries r1 $T2) &&
	dup_restore r2 o && list o >got && test_cmp L2 got &&
	dupc_restore r1 o && list o >got && test_cmp L2 got &&
	dupc_restore r2 o -t $T1 && list o >got && test_cmp L1 got
'

test_expect_success 'a path deeper than PATH_MAX: backup, incremental, restore' '
	tree --deep deep &&
	python3 -c "
import os
fd, length = os.open(\"deep/deep\", os.O_RDONLY | os.O_DIRECTORY), len(\"deep/deep\")
while True:
    names = sorted(os.listdir(fd))
    if \"bottom\" in names:
        break
    fd = os.open(names[0], os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    length += 1 + len(names[0])
print(length + len(\"/bottom\"))
" >pathlen && test "$(cat pathlen)" -gt 4096 &&
	list --no-sockets deep >D0 &&
	dupc_backup full rd deep --current-time $T0 && grep -q "^Errors 0$" out.rd.full &&
	dupc_restore rd od && list od >got && test_cmp D0 got &&
	python3 -c "
import os
fd = os.open(\"deep/deep\", os.O_RDONLY | os.O_DIRECTORY)
while True:
    names = os.listdir(fd)
    if \"bottom\" in names:
        break
    fd = os.open(names[0], os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
w = os.open(\"bottom\", os.O_WRONLY | os.O_APPEND, dir_fd=fd)
os.write(w, b\"changed at the bottom\\n\")
os.utime(\"bottom\", (1690000500, 1690000500), dir_fd=fd)
" && list --no-sockets deep >D1 &&
	dupc_backup incremental rd deep --current-time $T1 &&
	grep -q "^ChangedFiles 1$" out.rd.incremental &&
	dupc_restore rd od && list od >got && test_cmp D1 got &&
	dupc_restore rd od -t $T0 && list od >got && test_cmp D0 got
'

BIG=$((4 * 1024 * 1024 * 1024 + 8192))
test_expect_success UNSANITIZED,DUPLICITY,SPARSE 'a sparse file over 4 GiB, both directions' '
	tree --big $BIG big && list big >B0 &&
	test "$(du -k big/big | cut -f1)" -lt 1024 &&
	dupc_backup full rb1 big && grep -q "^Errors 0$" out.rb1.full &&
	dup_restore rb1 ob && list ob >got && test_cmp B0 got && rm -rf ob &&
	dup_backup full rb2 big && dupc_restore rb2 ob &&
	list ob >got && test_cmp B0 got &&
	test "$(du -k ob/big | cut -f1)" -lt 1024 && rm -rf ob &&
	dupc_restore rb1 ob && list ob >got && test_cmp B0 got &&
	test "$(du -k ob/big | cut -f1)" -lt 1024 && rm -rf ob
'

chmod -R u+w "$TRASH" 2>/dev/null # read-only directories, for test_done
test_done
