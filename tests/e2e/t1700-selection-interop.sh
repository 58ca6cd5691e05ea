#!/usr/bin/env bash
# t1700: file selection interop.  For each rule set, the paths that dupc's
# selection picks from one test tree (tests/tools/select-list, in walk
# order) must be the paths duplicity 0.8.22 backs up with the same rules
# (a full backup, then list-current-files), and where duplicity refuses the
# rules, dupc must fail with the same exit status.
. "$(dirname "$0")/lib.sh"

SELECT_LIST="$DUPC_BUILD/tests/tools/select-list"
S="$TRASH/Tree"   # a capital letter for the ignorecase: check
OLD=1000000000     # 2001-09-09: older files get this mtime
LIMIT=1500000000   # the --exclude-older-than time

# dup_list ROOT RULES...: duplicity's selection into "expect", its exit
# status into dup.rc.
dup_list() {
	local root=$1 rc
	shift
	rm -rf "$TRASH/arch" "$TRASH/tgt"
	duplicity full --no-encryption --archive-dir "$TRASH/arch" "$@" \
	    "$root" "file://$TRASH/tgt" >dup.log 2>&1
	rc=$?
	echo "$rc" >dup.rc
	: >expect
	[ "$rc" -eq 0 ] || return 0
	duplicity list-current-files --archive-dir "$TRASH/arch" \
	    "file://$TRASH/tgt" >dup.lst 2>&1 || return 1
	# drop the header and the date column
	sed -n '/^Last full backup date/,$p' dup.lst | sed 1d | cut -c26- >expect
}

# same_selection ROOT RULES...: dupc selects what duplicity selects.
same_selection() {
	local root=$1
	shift
	dup_list "$root" "$@" || return 1
	"$SELECT_LIST" "$@" "$root" >actual 2>dupc.err
	echo $? >dupc.rc
	if ! test_cmp dup.rc dupc.rc; then
		tail -5 dup.log
		cat dupc.err
		return 1
	fi
	test_cmp expect actual
}

test_expect_success DUPLICITY 'set up the tree' '
	mkdir -p "$S/dir1/sub" "$S/dir2/keep" "$S/dir2/skip" "$S/cache" \
	    "$S/Mixed" "$S/space dir" "$S/weird[1]" "$S/old" "$S/empty" \
	    "$S/dir2/keep/cache2" &&
	for f in a.txt b.py UPPER.TXT dir1/f1.txt dir1/f2.py \
	    dir1/sub/deep.py dir1/sub/deep.txt dir2/keep/k.txt \
	    dir2/skip/s.txt cache/c.bin Mixed/CaSe.Py "space dir/x y.txt" \
	    "weird[1]/x" old/new.txt dir2/keep/cache2/c2.txt \
	    "café.txt" "cafe.txt"; do
		echo "$f" >"$S/$f" || return 1
	done &&
	echo old >"$S/old/old.txt" &&
	touch -d "@$OLD" "$S/old/old.txt" "$S/dir1/f1.txt" "$S/old" &&
	: >"$S/cache/.exclude-me" &&
	: >"$S/dir2/keep/cache2/.exclude-me" &&
	ln -s a.txt "$S/link" &&
	ln -s dir1 "$S/dirlink" &&
	mkfifo "$S/fifo" &&
	python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\"$S/sock\")" &&
	if [ "$(id -u)" -eq 0 ]; then
		mknod "$S/dir1/chardev" c 1 3 && mknod "$S/blockdev" b 7 200
	fi &&
	printf "%s\n" "$S/dir1/sub" "- $S/dir2/skip" "  # a comment" "" \
	    "+ $S/dir2" "\"$S/space dir\"" >list1 &&
	printf "%s\r\n" "$S/dir1/f2.py" "- $S/dir1" "+ $S/cache" >list-crlf &&
	printf "%s\n" "+ $S/dir1/sub" "$S/dir1" "$S/*.txt" >list2 &&
	printf "%s\0" "$S/dir1/sub/deep.py" "- $S/dir2/**" "$S/dir2" \
	    "ignorecase:$S/mixed" >list0 &&
	printf "%s\n" "**.py" "- **" >list-rel &&
	printf "%s\n" "$S/dir1" "$S/dir1//sub" >list-bad
'

# name|ROOT|rules, one rule set per line; $S is the tree.
while IFS='|' read -r name root rules; do
	[ -n "$name" ] || continue
	test_expect_success DUPLICITY "$name" '
		printf "rules: %s\n" "$rules" &&
		eval "set -- $rules" &&
		same_selection "$root" "$@"
	'
done <<EOF
no rules|$S|
exclude a directory|$S|--exclude '$S/dir1'
include a directory, exclude the rest|$S|--include '$S/dir1/sub' --exclude '**'
** crosses slashes|$S|--include '$S/**.py' --exclude '**'
* does not cross slashes|$S|--include '$S/*.txt' --exclude '**'
exclude by extension everywhere|$S|--exclude '$S/**.txt'
? matches one character|$S|--include '$S/dir?' --exclude '**'
character class and **|$S|--include '$S/dir[12]/**' --exclude '**'
negated character class|$S|--include '$S/dir[!1]' --exclude '**'
literal [ in a class|$S|--include '$S/weird[[]1]' --exclude '**'
? matches one UTF-8 character|$S|--include '$S/caf?.txt' --exclude '**'
ignorecase: prefix|$S|--include 'ignorecase:**/mixed/*.PY' --include 'IgnoreCase:**/upper.txt' --exclude '**'
include-regexp does not scan directories|$S|--include-regexp '\\.py\$' --exclude '**'
exclude-regexp|$S|--exclude-regexp '/sub(/|\$)' --exclude-regexp '[0-9]\\.'
regexp search semantics|$S|--include-regexp 'deep' --include-regexp 'dir1\$' --exclude '**'
first match wins|$S|--include '$S/dir1' --exclude '$S/dir1/sub' --exclude '**'
exclude nested in include|$S|--exclude '$S/dir1/sub' --include '$S/dir1' --exclude '**'
include nested in exclude|$S|--include '$S/dir1/sub/deep.py' --exclude '$S/dir1'
trailing slash matches directories only|$S|--exclude '$S/*/'
trailing slash on a file matches nothing|$S|--include '$S/dir1/f1.txt/' --include '$S/dir2/keep/' --exclude '**'
root with a trailing slash glob|$S|--include '$S/' --exclude '**'
exclude everything|$S|--exclude '**'
include-filelist with +, -, comments, quotes|$S|--include-filelist list1 --exclude '**'
filelist with CRLF line ends|$S|--include-filelist list-crlf --exclude '**'
exclude-filelist with + lines|$S|--exclude-filelist list2
NUL-separated filelist|$S|--null-separator --include-filelist list0 --exclude '**'
null-separator after the filelist|$S|--include-filelist list0 --null-separator --exclude '**'
relative patterns in a filelist|$S|--exclude '$S/dir2' --include-filelist list-rel
exclude-if-present|$S|--exclude-if-present .exclude-me
exclude-if-present goes first|$S|--include '$S/cache' --exclude-if-present .exclude-me --exclude '**'
exclude-device-files|$S|--exclude-device-files
exclude-older-than|$S|--exclude-older-than $LIMIT
symlinks, fifos and spaces|$S|--exclude '$S/link' --exclude '$S/fifo' --include '$S/space dir/x y.txt' --exclude '$S/space dir'
relative source directory|Tree|--include Tree/dir2 --exclude 'Tree/dir1/**' --exclude Tree/a.txt
source directory with ./ and a trailing slash|./Tree/|--include 'Tree/dir1/*' --exclude '**'
the glob / includes everything|$S|--include / --exclude '**'
error: absolute pattern, relative root|Tree|--include '$S/dir1' --exclude '**'
error: pattern outside the root|$S|--exclude /nonexistent
error: ignorecase: prefix checked with case|$S|--include 'ignorecase:$S/DIR1' --exclude '**'
error: consecutive slashes|$S|--include '$S//dir1' --exclude '**'
error: consecutive slashes in a filelist|$S|--include-filelist list-bad --exclude '**'
error: redundant inclusion|$S|--include '$S/dir1'
error: last rule is a filelist include|$S|--exclude '$S/dir2' --include-filelist list-rel --include '$S/dir1'
error: exclude-if-present does not end the list|$S|--include '$S/dir1' --exclude-if-present .exclude-me
error: missing filelist|$S|--include-filelist nonexistent --exclude '**'
error: bad regular expression|$S|--include-regexp '(' --exclude '**'
error: reversed range|$S|--include '$S/[z-a]' --exclude '**'
error: empty glob|$S|--exclude ''
EOF

test_expect_success UNSHARE 'exclude-other-filesystems' '
	mkdir -p "$S/mnt" &&
	unshare -m sh -c "
		mount -t tmpfs none \"$S/mnt\" &&
		echo in >\"$S/mnt/inside\" &&
		mkdir -p \"$S/mnt/deeper\" &&
		duplicity full --no-encryption --archive-dir \"$TRASH/arch2\" \
		    --exclude-other-filesystems \"$S\" \"file://$TRASH/tgt2\" \
		    >dup.log 2>&1 &&
		\"$SELECT_LIST\" --exclude-other-filesystems \"$S\" >actual &&
		\"$SELECT_LIST\" \"$S\" >all
	" &&
	duplicity list-current-files --archive-dir "$TRASH/arch2" \
	    "file://$TRASH/tgt2" >dup.lst &&
	sed -n "/^Last full backup date/,\$p" dup.lst | sed 1d | cut -c26- >expect &&
	test_cmp expect actual &&
	! grep "^mnt" actual &&
	grep "^mnt/inside" all
'

test_done
