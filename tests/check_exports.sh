#!/bin/sh
# TAP: the module exports the PAM entry points and nothing else.
module=${PAM_OAUTH2_MODULE:?}
echo "1..2"
exported=$(nm -D --defined-only "$module" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sort)
expected=$(printf '%s\n' pam_sm_acct_mgmt pam_sm_authenticate pam_sm_setcred)
if [ "$exported" = "$expected" ]; then
	echo "ok 1 - only pam_sm_* symbols are exported"
else
	echo "not ok 1 - exported symbols differ"
	echo "$exported" | sed 's/^/# /'
fi
# The module must load with every symbol it needs resolved.
if ldd -r "$module" 2>&1 | grep -q 'undefined symbol'; then
	echo "not ok 2 - undefined symbols"
	ldd -r "$module" 2>&1 | sed 's/^/# /'
else
	echo "ok 2 - no undefined symbols"
fi
