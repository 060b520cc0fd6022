#!/bin/sh
# TAP: every C source and header is formatted with the committed .clang-format.
src=${top_srcdir:-.}
. "$src/tests/tap_skip.sh"
command -v clang-format >/dev/null 2>&1 || skip_all "clang-format is not installed"
files=$(cd "$src" && find pam_oauth2 tests -name '*.[ch]' ! -path '*/node_modules/*' | sort)
count=$(echo "$files" | wc -l)
echo "1..$count"
n=0
for f in $files; do
	n=$((n + 1))
	if (cd "$src" && clang-format --dry-run --Werror "$f" >/dev/null 2>&1); then
		echo "ok $n - $f"
	else
		echo "not ok $n - $f is not clang-formatted"
	fi
done
