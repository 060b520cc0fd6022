#!/bin/sh
# The README's two commands, for a fresh Debian 12 machine, as root:
#   tests/quickstart.sh demo   install what is needed, build, run a demo login
#   tests/quickstart.sh test   install what is needed, build, run the whole test suite
# Installs Debian packages with apt-get and the test IdP's npm packages from the
# committed lockfile; downloads nothing else.
set -eu
mode=${1:-}
case "$mode" in
demo | test) ;;
*)
	echo "usage: $0 demo|test" >&2
	exit 2
	;;
esac
shift
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

build_packages="autoconf automake libtool pkg-config make gcc libpam0g-dev libcurl4-openssl-dev
	libjson-c-dev libqrencode-dev libssl-dev"
test_packages="libcmocka-dev pamtester python3 python3-authlib openssl
	nodejs npm valgrind openssh-server openssh-client sudo python3-paramiko python3-pexpect expect tmux
	zbar-tools clang clang-format libclang-rt-14-dev dpkg-dev debhelper fakeroot lintian rpm groff-base mandoc"

missing=
for package in $build_packages $test_packages; do
	dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing="$missing $package"
done
# Node.js may come from elsewhere than Debian (it is on these machines already).
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
fi
if [ -n "$(echo "$missing" | tr -d ' ')" ]; then
	echo "== installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

echo "== installing the test IdP's npm packages (from tests/idp/package-lock.json)"
(cd tests/idp && npm ci --no-audit --no-fund --loglevel=error)

echo "== building"
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure --enable-werror
make -j"$(nproc)"

if [ "$mode" = demo ]; then
	make tests/pam_drive tests/syslog_capture.la >/dev/null
	exec /usr/bin/python3 tests/demo.py "$@"
fi

echo "== running the test suite"
make -j"$(nproc)" check || {
	for log in tests/*.log tests/*/*.log; do
		grep -q '^not ok\|^Bail out\|^# ERROR\|^ERROR:' "$log" 2>/dev/null && { echo "== $log"; tail -80 "$log"; }
	done
	exit 1
}
echo "== make distcheck (the tarball builds, installs and passes the same tests)"
make -j"$(nproc)" distcheck
