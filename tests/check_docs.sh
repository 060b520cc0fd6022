#!/bin/sh
# TAP: every configuration key in the loader's table is documented in the README and
# in the example configuration.
src=${top_srcdir:-.}
keys=$(sed -n 's/^[[:space:]]*{ *"\([a-z_]*\)", CONFIG_.*/\1/p' "$src/pam_oauth2/oauth2_config.c")
count=$(echo "$keys" | wc -w)
[ "$count" -gt 0 ] || { echo "Bail out! no keys found in oauth2_config.c"; exit 1; }
echo "1..$((count * 2))"
n=0
for key in $keys; do
	n=$((n + 1))
	if grep -q "^| \`$key\` |" "$src/README.md"; then echo "ok $n - README documents $key"; else echo "not ok $n - README lacks a row for $key"; fi
	n=$((n + 1))
	if grep -Eq "^#?$key = " "$src/conf/pam_oauth2.conf.example"; then echo "ok $n - example config shows $key"; else echo "not ok $n - example config lacks $key"; fi
done
