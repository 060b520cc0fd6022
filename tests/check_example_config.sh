#!/bin/sh
# TAP: the example configuration loads through the module's own loader, as shipped and
# with every commented-out setting uncommented (so no line breaks when an admin enables it).
src=${top_srcdir:-.}
build=${top_builddir:-.}
tool="$build/pam_oauth2-check"
echo "1..2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The secret and map files the example names are replaced by files of the test's own.
printf 'example-secret\n' > "$work/secret" && chmod 600 "$work/secret"
printf 'alice alice\n' > "$work/users"
chmod 644 "$work/users"
sed -e "s|/etc/security/pam_oauth2.secret|$work/secret|" -e "s|/etc/security/pam_oauth2.users|$work/users|" \
	"$src/conf/pam_oauth2.conf.example" > "$work/shipped.conf"
sed -e 's/^#\([a-z_]* = \)/\1/' "$work/shipped.conf" > "$work/all.conf"
# Uncommenting everything sets both scope and require_scope: scope lists ssh:login already.
n=0
for name in shipped all; do
	n=$((n + 1))
	chmod 644 "$work/$name.conf"
	# --list-keys style check without network: load only (an unreachable issuer is fine here).
	out=$("$tool" --config "$work/$name.conf" 2>&1 | head -2)
	if echo "$out" | grep -q '^ok   configuration'; then
		echo "ok $n - the $name example configuration loads"
	else
		echo "not ok $n - the $name example configuration does not load"
		echo "$out" | sed 's/^/# /'
	fi
done
