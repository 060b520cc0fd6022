#!/bin/sh
# TAP: pam_oauth2.conf(5) documents exactly the keys of the loader's table, as
# `pam_oauth2-check --list-keys` prints it (the table is the one source), each with the
# table's type and default. A key entry in the page's KEYS section is ".TP", then
# ".B name", then lines "Type: TYPE ..." and "Default: \fBVALUE\fP ..." (or
# "Default: unset ..." when the table has no default).
src=${top_srcdir:-.}
build=${top_builddir:-.}
page="$src/man/pam_oauth2.conf.5"
check_tool=${PAM_OAUTH2_CHECK:-$build/pam_oauth2-check}
# Keys whose built default comes from a configure option: the page shows configure.ac's
# default (cache_dir: --with-cachedir, [cachedir=...]).
configured_keys="cache_dir"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

[ -x "$check_tool" ] || { echo "Bail out! $check_tool is not built"; exit 1; }
"$check_tool" --list-keys >"$tmp/list" 2>"$tmp/list.err" || {
	echo "Bail out! $check_tool --list-keys failed: $(head -n 1 "$tmp/list.err")"
	exit 1
}
# "name<TAB>type<TAB>default": choice(a|b) -> choice; no default -> "-".
: >"$tmp/table"
while IFS='	' read -r name type default help; do
	type=${type%%(*}
	[ -n "$default" ] || default=-
	for configured in $configured_keys; do
		if [ "$name" = "$configured" ]; then
			lower=$(echo "$name" | tr -d _)
			default=$(sed -n "s/.*\[$lower=\([^]\$]*\)\]).*/\1/p" "$src/configure.ac" | head -n 1)
			[ -n "$default" ] || default="(no default for $lower in configure.ac)"
		fi
	done
	printf '%s\t%s\t%s\n' "$name" "$type" "$default" >>"$tmp/table"
done <"$tmp/list"
count=$(wc -l <"$tmp/table")
[ "$count" -gt 0 ] || { echo "Bail out! $check_tool --list-keys printed no key"; exit 1; }
[ -r "$page" ] || { echo "Bail out! $page not found"; exit 1; }

# The page's key entries, in the same form.
awk '
	/^\.SH / { in_keys = ($0 ~ /^\.SH "?KEYS"?$/); if (key != "") emit(); next }
	!in_keys { next }
	/^\.TP/ { if (key != "") emit(); after_tp = 1; next }
	after_tp && /^\.B [a-z_]+$/ { key = $2; type = "?"; def = "?"; after_tp = 0; next }
	{ after_tp = 0 }
	key != "" && /^Type: / { t = $2; sub(/[.;,]$/, "", t); type = t; next }
	key != "" && /^Default: / {
		line = $0
		if (line ~ /^Default: unset/) def = "-"
		else if (match(line, /\\fB[^\\]*(\\-[^\\]*)*\\f[PR]/)) {
			def = substr(line, RSTART + 3, RLENGTH - 6)
			gsub(/\\-/, "-", def)
		}
		next
	}
	function emit() { printf "%s\t%s\t%s\n", key, type, def; key = "" }
	END { if (key != "") emit() }
' "$page" >"$tmp/page"

echo "1..$((count * 3 + 1))"
n=0
while IFS='	' read -r name type default; do
	entry=$(awk -F '\t' -v k="$name" '$1 == k' "$tmp/page")
	n=$((n + 1))
	if [ -n "$entry" ]; then echo "ok $n - $name has an entry in pam_oauth2.conf.5"
	else echo "not ok $n - $name has no '.TP/.B $name' entry in the KEYS section of pam_oauth2.conf.5"; fi
	seen_type=$(printf '%s\n' "$entry" | cut -f 2)
	n=$((n + 1))
	if [ "$seen_type" = "$type" ]; then echo "ok $n - $name: type $type"
	else echo "not ok $n - $name: table says type '$type', man page says '$seen_type'"; fi
	seen_default=$(printf '%s\n' "$entry" | cut -f 3)
	n=$((n + 1))
	if [ "$seen_default" = "$default" ]; then echo "ok $n - $name: default '$default'"
	else printf '%s\n' "not ok $n - $name: table default '$default', man page says '$seen_default' (write 'Default: \\fBVALUE\\fP' or 'Default: unset')"; fi
done <"$tmp/table"

cut -f 1 "$tmp/table" | sort >"$tmp/names.table"
cut -f 1 "$tmp/page" | sort >"$tmp/names.page"
unknown=$(comm -13 "$tmp/names.table" "$tmp/names.page" | tr '\n' ' ')
dups=$(uniq -d "$tmp/names.page" | tr '\n' ' ')
n=$((n + 1))
if [ -z "$unknown$dups" ]; then echo "ok $n - pam_oauth2.conf.5 documents no other key, none twice"
else echo "not ok $n - pam_oauth2.conf.5 documents keys not in the table: '$unknown', twice: '$dups'"; fi
