#!/bin/sh
# format-check: every C file of the project is as clang-format (with the
# .clang-format at the top) would write it.  Prints the files that are not
# and exits 1; `tools/format-check.sh --fix` rewrites them in place.
set -eu
cd "$(dirname "$0")/.."
fmt=${CLANG_FORMAT:-clang-format}
if ! command -v "$fmt" >/dev/null 2>&1; then
	echo "format-check: $fmt not found (scripts/install-deps installs it)" >&2
	exit 1
fi
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src tests tools -name '*.[ch]')
if [ "${1:-}" = "--fix" ]; then
	# shellcheck disable=SC2086
	"$fmt" -i $files
	exit 0
fi
bad=0
for f in $files; do
	[ -f "$f" ] || continue
	if ! "$fmt" --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "format-check: $f is not formatted (tools/format-check.sh --fix)"
		bad=1
	fi
done
exit $bad
