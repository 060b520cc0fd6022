#!/bin/sh
# TAP: pam_oauth2.conf(5) documents exactly the keys of the loader's table
# (pam_oauth2/oauth2_config.c, oauth2_config_keys[]), each with the table's type and
# default. A key entry in the page's KEYS section is ".TP", then ".B name", then
# lines "Type: TYPE ..." and "Default: \fBVALUE\fP ..." (or "Default: unset ..." when
# the table has no default).
# pam_oauth2-check's --list-keys output must agree with the table too (skipped when the
# tool is not built; under CI that fails, tests/tap_skip.sh).
src=${top_srcdir:-.}
build=${top_builddir:-.}
. "$src/tests/tap_skip.sh"
table_src="$src/pam_oauth2/oauth2_config.c"
page="$src/man/pam_oauth2.conf.5"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The table: "name<TAB>type<TAB>default", default "-" for NULL or "".
sed -n 's/^[[:space:]]*{ *"\([a-z_]*\)", *CONFIG_\([A-Z]*\), *FIELD([a-z_]*), *\([^,]*\),.*/\1	\2	\3/p' \
	"$table_src" >"$tmp/raw"
: >"$tmp/table"
: >"$tmp/macro_keys"
while IFS='	' read -r name type default; do
	type=$(echo "$type" | tr '[:upper:]' '[:lower:]')
	case $default in
	NULL | '""') default=- ;;
	\"*\") default=${default#\"}; default=${default%\"} ;;
	*) # a macro: from a header (#define NAME "value"), else configure.ac's default for
		# the lower-case variable of that name (AC_ARG_WITH ... [name=value])
		macro=$default
		echo "$name" >>"$tmp/macro_keys"   # its built value follows configure options
		lower=$(echo "$macro" | tr '[:upper:]' '[:lower:]')
		default=$(sed -n "s/^#define $macro \"\(.*\)\"\$/\1/p" "$src"/pam_oauth2/*.h | head -n 1)
		[ -n "$default" ] || default=$(sed -n "s/.*\[$lower=\([^]\$]*\)\]).*/\1/p" "$src/configure.ac" | head -n 1)
		[ -n "$default" ] || default="(unresolved macro $macro)" ;;
	esac
	printf '%s\t%s\t%s\n' "$name" "$type" "$default" >>"$tmp/table"
done <"$tmp/raw"
count=$(wc -l <"$tmp/table")
[ "$count" -gt 0 ] || { echo "Bail out! no keys found in $table_src"; exit 1; }
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

check_tool=${PAM_OAUTH2_CHECK:-}
if [ -z "$check_tool" ]; then
	for candidate in "$build/pam_oauth2-check" "$build/tools/pam_oauth2-check" "$build/check/pam_oauth2-check"; do
		if [ -x "$candidate" ]; then check_tool=$candidate; break; fi
	done
fi
echo "1..$((count * 3 + 2))"
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

n=$((n + 1))
if [ -z "$check_tool" ]; then
	skip_test $n "pam_oauth2-check --list-keys agrees with the table" "pam_oauth2-check is not built"
else
	if "$check_tool" --list-keys >"$tmp/list" 2>"$tmp/list.err"; then
		# choice(a|b) -> choice, to compare with the table's type names
		# A default from a configure option (cache_dir: --with-cachedir) is compared by
		# name and type only.
		awk -F '\t' 'NR == FNR { macro[$1] = 1; next }
			{ t = $2; sub(/\(.*$/, "", t); d = ($3 == "") ? "-" : $3; if ($1 in macro) d = "(configured)"
			  printf "%s\t%s\t%s\n", $1, t, d }' "$tmp/macro_keys" "$tmp/list" >"$tmp/list.norm"
		awk -F '\t' 'NR == FNR { macro[$1] = 1; next }
			{ d = $3; if ($1 in macro) d = "(configured)"; printf "%s\t%s\t%s\n", $1, $2, d }' \
			"$tmp/macro_keys" "$tmp/table" >"$tmp/table.norm"
		if diff "$tmp/table.norm" "$tmp/list.norm" >"$tmp/list.diff"; then
			echo "ok $n - $check_tool --list-keys agrees with the table"
		else
			echo "not ok $n - $check_tool --list-keys differs from the table (< table, > tool)"
			sed 's/^/# /' "$tmp/list.diff"
		fi
	else
		echo "not ok $n - $check_tool --list-keys failed"
		sed 's/^/# /' "$tmp/list.err"
	fi
fi
