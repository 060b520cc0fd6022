#!/bin/sh
# The README's two commands, for a fresh Debian 12 (bookworm) or 13 (trixie), as root:
#   tests/quickstart.sh demo [--manual] [--port N]
#       install what the demo needs, build, log in once against a local test IdP
#   tests/quickstart.sh test
#       install what the tests need, build, run the whole test suite and make distcheck
# Installs Debian packages with apt-get (where a name differs between releases, the one
# the release has) and the test IdP's npm packages from the committed lockfile; downloads
# nothing else. It changes the machine by the packages it installs (it lists them first)
# and builds in this checkout; the demo and the suites take away everything else they
# add (users, /etc/pam.d and sudoers files, processes, cache entries, temporary files).
# tests/fresh/run.sh runs both commands in fresh debootstrap roots of both releases.
set -eu
mode=${1:-}
case "$mode" in
demo | test) ;;
*)
	echo "usage: $0 demo [--manual] [--port N] | test" >&2
	exit 2
	;;
esac
shift
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

die() {
	echo "quickstart: $*" >&2
	exit 1
}
[ "$(id -u)" = 0 ] || die "run it as root: it installs Debian packages, and the module trusts only root-owned files"
command -v apt-get >/dev/null 2>&1 || die "this script is for Debian (12 or 13): apt-get not found"

# What each mode needs. "a|b" takes the first name the release has (trixie has no
# libclang-rt-14-dev; libclang-rt-dev is on both).
build_packages="autoconf automake libtool pkg-config make gcc libc6-dev libpam0g-dev libcurl4-openssl-dev
	libjson-c-dev libqrencode-dev libssl-dev"
demo_packages="python3 openssl"
test_packages="libcmocka-dev pamtester python3-authlib valgrind openssh-server openssh-client sudo python3-paramiko
	python3-pexpect expect tmux zbar-tools clang clang-format libclang-rt-dev|libclang-rt-14-dev
	build-essential dpkg-dev debhelper fakeroot lintian rpm groff-base mandoc"
wanted="$build_packages $demo_packages"
[ "$mode" = test ] && wanted="$wanted $test_packages"

is_installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"
}

# Node.js for the test IdP (oidc-provider 8.8.1: Node 18 or newer). Debian's nodejs is
# 18.20 on Debian 12 and 20.19 on Debian 13; a node from elsewhere on PATH is used as it
# is, if it is new enough and has its npm.
node_major() {
	node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p'
}
check_node() { # $1: "before" (may still install Debian's) or "after"
	if ! command -v node >/dev/null 2>&1; then
		[ "$1" = before ] || die "node is still missing after installing nodejs"
		wanted="$wanted nodejs npm"
		return 0
	fi
	major=$(node_major)
	if [ -z "$major" ] || [ "$major" -lt 18 ]; then
		die "the test IdP needs Node.js 18 or newer; the node on PATH ($(command -v node)) is $(node --version 2>&1).
Remove it from PATH to use Debian's nodejs (18.20 on Debian 12, 20.19 on Debian 13), or put Node 18+ first on PATH."
	fi
	if ! command -v npm >/dev/null 2>&1; then
		if dpkg-query -S "$(readlink -f "$(command -v node)")" 2>/dev/null | grep -q '^nodejs:'; then
			wanted="$wanted npm"
		else
			die "$(command -v node) ($(node --version)) is not Debian's and has no npm on PATH: install its npm, or remove it from PATH to use Debian's nodejs and npm"
		fi
	fi
}
check_node before

missing=
alternatives=
for package in $wanted; do
	case "$package" in
	*"|"*)
		found=no
		for name in $(echo "$package" | tr '|' ' '); do
			is_installed "$name" && found=yes
		done
		[ "$found" = yes ] || alternatives="$alternatives $package"
		;;
	*) is_installed "$package" || missing="$missing $package" ;;
	esac
done
if [ -n "$missing$alternatives" ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	for choice in $alternatives; do
		picked=
		for name in $(echo "$choice" | tr '|' ' '); do
			if apt-cache show --no-all-versions "$name" >/dev/null 2>&1; then
				picked=$name
				break
			fi
		done
		[ -n "$picked" ] || die "this release has none of: $(echo "$choice" | tr '|' ' ')"
		missing="$missing $picked"
	done
	echo "== installing Debian packages:$missing"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
	installed_now=yes
fi
check_node after
echo "== Node.js $(node --version) ($(command -v node)), npm $(npm --version)"

echo "== installing the test IdP's npm packages (from tests/idp/package-lock.json)"
(cd tests/idp && npm ci --no-audit --no-fund --no-update-notifier --loglevel=error)

echo "== building"
[ -x configure ] || autoreconf -fi
# Configure again after installing packages (the demo's build found no cmocka, say), and
# when an earlier configure found no cmocka: configure decides which tests are built.
if [ ! -f Makefile ] || [ "${installed_now:-no}" = yes ] || grep -q '^HAVE_CMOCKA_TEXT = no' Makefile; then
	./configure --enable-werror
fi
make -j"$(nproc)"

if [ "$mode" = demo ]; then
	make tests/pam_drive tests/syslog_capture.la >/dev/null
	exec /usr/bin/python3 tests/demo.py "$@"
fi

# The log of every test that failed or erred, under DIR.
show_failures() {
	find "$1" -name '*.trs' 2>/dev/null | sort | while read -r trs; do
		grep -q '^:test-result: \(FAIL\|ERROR\)' "$trs" || continue
		echo "== ${trs%.trs}.log (last 80 lines)"
		tail -80 "${trs%.trs}.log"
	done
}

echo "== running the test suite"
make -j"$(nproc)" check || {
	show_failures .
	exit 1
}
echo "== make distcheck (the tarball builds, installs and passes the same tests)"
make -j"$(nproc)" distcheck || {
	show_failures pam_oauth2-*/
	exit 1
}
