#!/bin/sh
# TAP: what "make check" needs so that no suite skips. A missing one is a failure under
# CI=true (a suite that skips there would hide a missing install step: the project's rule),
# and elsewhere a skip that names what to install. tests/quickstart.sh test installs it all.
# PAM_OAUTH2_HAVE_CMOCKA and PAM_OAUTH2_SYSTEM_TESTS come from configure (Makefile.am).
n=0
missing=0
report() { # report OK|MISSING WHAT INSTALL
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	elif [ "${CI:-}" = true ]; then
		missing=$((missing + 1))
		echo "not ok $n - $2: missing under CI=true (Debian: apt-get install $3)"
	else
		echo "ok $n - $2 # SKIP missing (Debian: apt-get install $3): the suites that need it skip"
	fi
}
have() { command -v "$1" >/dev/null 2>&1; }
check_tool() { # check_tool PROGRAM PACKAGE [WHAT]
	if have "$1"; then report OK "${3:-$1}"; else report MISSING "${3:-$1}" "$2"; fi
}

finish() { # the plan comes last (TAP allows it), after the checks that apply
	echo "1..$n"
	[ "$missing" = 0 ]
	exit $?
}
system=${PAM_OAUTH2_SYSTEM_TESTS:-yes}
if [ "${PAM_OAUTH2_HAVE_CMOCKA:-no}" = yes ]; then
	report OK "cmocka (configure found it: the unit tests are built)"
else
	report MISSING "cmocka (configure did not find it: the unit tests are left out; re-run configure after installing)" libcmocka-dev
fi
python=${PYTHON3:-/usr/bin/python3}
if [ -x "$python" ]; then report OK "python3 ($python)"; else report MISSING "python3 ($python)" python3; fi
check_tool openssl openssl "openssl (the test IdP's certificates)"
if have node && [ "$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p')" -ge 18 ] 2>/dev/null; then
	report OK "node $(node --version) (18 or newer, for the test IdP)"
else
	report MISSING "node 18 or newer for the test IdP (found: $(node --version 2>/dev/null || echo none))" nodejs
fi
modules=${PAM_OAUTH2_IDP_MODULES:-${top_srcdir:-.}/tests/idp/node_modules}
if [ -d "$modules/oidc-provider" ]; then
	report OK "the test IdP's npm packages ($modules)"
else
	report MISSING "the test IdP's npm packages in $modules (cd tests/idp && npm ci)" npm
fi
if [ "$(id -u)" = 0 ]; then
	report OK "root (the module trusts only root-owned files)"
else
	report MISSING "root: the integration suites need it" "nothing (run as root)"
fi
[ "$system" = yes ] || finish

for tool in sshd:openssh-server ssh:openssh-client ssh-keygen:openssh-client sudo:sudo zbarimg:zbar-tools \
	pamtester:pamtester valgrind:valgrind clang:clang clang-format:clang-format expect:expect tmux:tmux \
	dpkg-buildpackage:dpkg-dev lintian:lintian fakeroot:fakeroot dh:debhelper rpmbuild:rpm mandoc:mandoc \
	groff:groff-base make:make; do
	program=${tool%%:*}
	package=${tool#*:}
	PATH=$PATH:/usr/sbin:/sbin check_tool "$program" "$package"
done
# dpkg-buildpackage refuses to start without build-essential (Unmet build dependencies).
if dpkg-query -W -f='${Status}' build-essential 2>/dev/null | grep -q "ok installed"; then
	report OK "build-essential (dpkg-buildpackage checks it)"
else
	report MISSING "build-essential (dpkg-buildpackage checks it)" build-essential
fi
for module in paramiko:python3-paramiko pexpect:python3-pexpect authlib:python3-authlib; do
	if [ -x "$python" ] && "$python" -c "import ${module%%:*}" 2>/dev/null; then
		report OK "python module ${module%%:*}"
	else
		report MISSING "python module ${module%%:*} for $python" "${module#*:}"
	fi
done
# libFuzzer and the sanitizer runtimes: clang links them only with libclang-rt-dev.
probe=$(mktemp -d)
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$probe/f.c"
if have clang && clang -fsanitize=fuzzer,address,undefined -o "$probe/f" "$probe/f.c" >/dev/null 2>&1; then
	report OK "clang links libFuzzer with ASan and UBSan"
else
	report MISSING "clang linking libFuzzer with ASan and UBSan" libclang-rt-dev
fi
rm -rf "$probe"
finish
