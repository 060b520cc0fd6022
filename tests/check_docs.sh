#!/bin/sh
# TAP: every configuration key in the loader's table (as pam_oauth2-check --list-keys
# prints it) is documented in the README and in the example configuration.
src=${top_srcdir:-.}
tool=${PAM_OAUTH2_CHECK:-${top_builddir:-.}/pam_oauth2-check}
[ -x "$tool" ] || { echo "Bail out! $tool is not built"; exit 1; }
keys=$("$tool" --list-keys | cut -f 1)
count=$(echo "$keys" | wc -w)
[ "$count" -gt 0 ] || { echo "Bail out! $tool --list-keys printed no key"; exit 1; }
echo "1..$((count * 2))"
n=0
for key in $keys; do
	n=$((n + 1))
	if grep -q "^| \`$key\` |" "$src/README.md"; then echo "ok $n - README documents $key"; else echo "not ok $n - README lacks a row for $key"; fi
	n=$((n + 1))
	if grep -Eq "^#?$key = " "$src/conf/pam_oauth2.conf.example"; then echo "ok $n - example config shows $key"; else echo "not ok $n - example config lacks $key"; fi
done
