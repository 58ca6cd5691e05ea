# tests/e2e/lib-interop.sh — sourced after lib.sh by the scripts of the
# network backends: one chain written in turns by dupc and Debian's
# duplicity 0.8.22 through the same URL, each backend of duplicity's its
# own (webdavbackend, lftpbackend, rclonebackend), then every time of the
# chain restored by both tools.

# interop_cycle FIRST URL [OPTION...]: three backups of a changing tree
# (lib.sh's cycle_tree_) to URL, taking turns, FIRST (dupc or duplicity)
# making the full and the second incremental, the other tool the first
# incremental; then both tools restore each of the three times with an
# empty archive dir, each equal to the tree as it was.  OPTIONs go to
# every run of both tools (--no-encryption, --ssl-cacert-file; set
# PASSPHRASE to encrypt, FTP_PASSWORD for the server).
interop_cycle() {
	local first=$1 url=$2
	shift 2
	local d=$TRASH/interop.$((++interop_serial_)) step t tool kind
	mkdir -p "$d/src" || return 1
	for step in 1 2 3; do
		t=$((1700000000 + step * 100))
		tool=$first
		if [ $step = 2 ]; then
			[ "$first" = dupc ] && tool=duplicity || tool=dupc
		fi
		kind=incremental
		[ $step = 1 ] && kind=full
		cycle_tree_ "$d/src" $step &&
		touch -d @$((t - 50)) "$d/src" &&
		cp -a "$d/src" "$d/at$step" || return 1
		if [ $tool = dupc ]; then
			"$DUPC" $kind "$@" --archive-dir "$d/cache-dupc" \
			    --current-time $t "$d/src" "$url" \
			    >"$d/backup$step.out" 2>&1
		else
			duplicity $kind "$@" --archive-dir "$d/cache-dup" \
			    --allow-source-mismatch --current-time $t \
			    "$d/src" "$url" >"$d/backup$step.out" 2>&1
		fi || {
			echo "interop_cycle: $tool's backup $step failed:"
			cat "$d/backup$step.out"
			return 1
		}
	done
	for step in 1 2 3; do
		t=$((1700000000 + step * 100))
		for tool in dupc duplicity; do
			if [ $tool = dupc ]; then
				"$DUPC" restore "$@" --archive-dir "$d/rc-$tool$step" \
				    -t $t "$url" "$d/r-$tool$step" \
				    >"$d/restore-$tool$step.out" 2>&1
			else
				duplicity restore "$@" --archive-dir "$d/rc-$tool$step" \
				    -t $t "$url" "$d/r-$tool$step" \
				    >"$d/restore-$tool$step.out" 2>&1
			fi || {
				echo "interop_cycle: $tool's restore of time $step failed:"
				cat "$d/restore-$tool$step.out"
				return 1
			}
			diff -r "$d/at$step" "$d/r-$tool$step" &&
			tree_listing "$d/at$step" >"$d/at$step.ls" &&
			tree_listing "$d/r-$tool$step" >"$d/r-$tool$step.ls" &&
			test_cmp "$d/at$step.ls" "$d/r-$tool$step.ls" || {
				echo "interop_cycle: $tool's restore of time $step differs"
				return 1
			}
		done
	done
}
interop_serial_=0
