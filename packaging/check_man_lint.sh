#!/bin/sh
# TAP: the man pages are clean for mandoc's linter (warnings and worse) and for groff
# with every warning on. Any output counts as a failure.
src=${top_srcdir:-.}
. "$src/tests/tap_skip.sh"
pages="man/pam_oauth2.8 man/pam_oauth2.conf.5 man/pam_oauth2-check.8"
echo "1..6"
n=0
for page in $pages; do
	n=$((n + 1))
	if ! command -v mandoc >/dev/null 2>&1; then
		skip_test $n "mandoc -T lint -W warning $page" "mandoc is not installed"
	else
		out=$(mandoc -T lint -W warning "$src/$page" 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && [ -z "$out" ]; then echo "ok $n - mandoc -T lint -W warning $page"
		else echo "not ok $n - mandoc -T lint -W warning $page (exit $rc)"; printf '%s\n' "$out" | sed 's/^/# /'; fi
	fi
	n=$((n + 1))
	if ! command -v groff >/dev/null 2>&1; then
		skip_test $n "groff -man -ww -z $page" "groff is not installed"
	else
		out=$(LC_ALL=C groff -man -ww -z "$src/$page" 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && [ -z "$out" ]; then echo "ok $n - groff -man -ww -z $page"
		else echo "not ok $n - groff -man -ww -z $page (exit $rc)"; printf '%s\n' "$out" | sed 's/^/# /'; fi
	fi
done
