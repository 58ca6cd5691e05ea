#!/usr/bin/env bash
# check-deps.sh — hold the source tree to ARCHITECTURE.md's layering:
#   cli -> mount -> engine -> {select, delta, format, codec, cache, backend}
#   -> util
# Nothing includes a module above itself; siblings do not include each
# other (except cache/ may use format/); each third-party header has one
# home.  Also refuses the banned unsafe C functions.  Prints every
# violation and exits 1 when there is one.
set -u
cd "$(dirname "$0")/.." || exit 1
fail=0

allowed() { # MODULE -> allowed project include prefixes
	case $1 in
	util) echo "util" ;;
	format) echo "format util" ;;
	delta) echo "delta util" ;;
	codec) echo "codec util" ;;
	select) echo "select util" ;;
	cache) echo "cache format util" ;;
	backend) echo "backend util" ;;
	engine) echo "engine select delta format codec cache backend util" ;;
	mount) echo "mount engine select delta format codec cache backend util" ;;
	cli) echo "cli mount engine select delta format codec cache backend util" ;;
	*) echo "" ;;
	esac
}

# third-party header -> the folders under src/ that may include it (one,
# except jansson: backend/ parses replies with it, util/json.c writes
# reports; libssh2 belongs to backend/sftp/ alone)
# home_ok FILE HOMES: FILE lies under src/H/ for one of HOMES
home_ok() {
	local h
	for h in $2; do
		[[ $1 == src/$h/* ]] && return 0
	done
	return 1
}

home_of() {
	case $1 in
	librsync.h) echo delta ;;
	archive.h|archive_entry.h) echo format ;;
	zlib.h|libdeflate.h|gpgme.h|gcrypt.h|rnp/*) echo codec ;;
	curl/*|libxml/*) echo backend ;;
	jansson.h) echo "backend util" ;;
	libssh2.h|libssh2_*.h) echo backend/sftp ;;
	fuse*.h|fuse3/*) echo mount ;;
	openssl/*) echo util ;;
	*) echo "" ;;
	esac
}

while IFS= read -r f; do
	mod=$(echo "$f" | cut -d/ -f2)
	ok=$(allowed "$mod")
	while IFS= read -r inc; do
		case $inc in
		\"*\")
			p=${inc#\"}; p=${p%\"}
			case $p in
			*/*)
				top=${p%%/*}
				if ! echo " $ok " | grep -q " $top "; then
					echo "layering: $f includes \"$p\" ($mod may use: $ok)"
					fail=1
				fi ;;
			esac ;;
		\<*\>)
			h=${inc#<}; h=${h%>}
			home=$(home_of "$h")
			if [ -n "$home" ] && ! home_ok "$f" "$home"; then
				echo "third-party: $f includes <$h>, which belongs to $home/"
				fail=1
			fi ;;
		esac
	done < <(sed -n 's/^#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p' "$f")
done < <(find src -name '*.[ch]' | sort)

banned='\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|tmpnam|system|atoi)[[:space:]]*\('
if grep -nE "$banned" $(find src -name '*.[ch]') | grep -v '^\s*\*' ; then
	echo "banned function used (see STYLE: strcpy, strcat, sprintf, vsprintf, gets, strtok, tmpnam, system, atoi)"
	fail=1
fi

[ $fail -eq 0 ] && echo "check-deps: layering and banned functions OK"
exit $fail
