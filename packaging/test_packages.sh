#!/bin/sh
# TAP: the packages, for real. Builds the .deb, checks it with lintian, installs it on
# this machine with dpkg -i, logs in with pamtester through a temporary /etc/pam.d
# service that names the INSTALLED module by name, against the test IdP (approved as
# alice), removes the package and checks that the admin's edited
# /etc/security/pam_oauth2.conf stays, purges it; then builds the .rpm and checks that
# the configuration is %config(noreplace).
#
# Needs root, and changes the machine while it runs: it puts back everything it touched
# (package, pam.d service, configuration, cache directory, a module installed by
# "make install"), also when a step fails. About 70 s (two package builds); in
# "make check" (skip it with PAM_OAUTH2_SKIP_PACKAGE_TEST=1), or alone with
# "make check-packages" or "sh packaging/test_packages.sh".
# PKGTEST_OUTDIR=DIR keeps the built packages in DIR; PKGTEST_TARBALL=FILE builds the rpm
# from that release tarball instead of running "make dist" in a copy of the tree.
src=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
python=${PYTHON3:-/usr/bin/python3}
[ -x /usr/bin/python3 ] && python=/usr/bin/python3   # Debian's, for pexpect
pkg=libpam-oauth2
service=pam-oauth2-pkgtest
conf=/etc/security/pam_oauth2.conf
cache=/var/cache/pam_oauth2
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
# Where the package puts the module: beside this release's pam_unix.so (debian/rules), in
# /lib/$multiarch/security on Debian 12 and /usr/lib/$multiarch/security on Debian 13.
moddir=$(dpkg -L libpam-modules 2>/dev/null | grep '/security/pam_unix\.so$' | head -n 1)
moddir=${moddir%/pam_unix.so}
module=${moddir:-/usr/lib/$multiarch/security}/pam_oauth2.so
marker="edited by packaging/test_packages.sh $$"
# Every skip below is a failure under CI (tests/tap_skip.sh).
. "$src/tests/tap_skip.sh"

[ -z "${PAM_OAUTH2_IN_PACKAGE_TEST:-}" ] || skip_all "already inside a package test (a package build's own checks)"
PAM_OAUTH2_IN_PACKAGE_TEST=1
export PAM_OAUTH2_IN_PACKAGE_TEST
[ -z "${PAM_OAUTH2_SKIP_PACKAGE_TEST:-}" ] || skip_all "PAM_OAUTH2_SKIP_PACKAGE_TEST is set"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (installs the package)"
for tool in dpkg-buildpackage lintian pamtester rpmbuild; do
	command -v $tool >/dev/null 2>&1 || skip_all "$tool not installed"
done
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'installed\|config-files'; then
	skip_all "$pkg is installed (or its config files remain): not touching it"
fi
[ ! -e "/etc/pam.d/$service" ] || skip_all "/etc/pam.d/$service exists"

work=$(mktemp -d "${TMPDIR:-/tmp}/pam_oauth2-pkgtest.XXXXXX")
out=${PKGTEST_OUTDIR:-$work/out}
mkdir -p "$out" "$work/saved"

# Put aside what a "make install" or an earlier test left, to restore it afterwards.
for path in "$conf" "$module" "$cache"; do
	if [ -e "$path" ]; then
		name=$(echo "$path" | tr / _)
		cp -a "$path" "$work/saved/$name" && echo "$path" >>"$work/saved/list"
	fi
done

cleanup() {
	rm -f "/etc/pam.d/$service"
	if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'installed\|config-files\|half'; then
		dpkg --purge "$pkg" >/dev/null 2>&1
	fi
	rm -f "$conf" "$conf.dpkg-old" "$conf.dpkg-new" "$conf.dpkg-dist"
	rm -rf "$cache" 2>/dev/null
	if [ -f "$work/saved/list" ]; then
		while read -r path; do
			name=$(echo "$path" | tr / _)
			if [ -d "$work/saved/$name" ]; then
				# a directory others may be writing into right now: merge back into it
				mkdir -p "$path" && chmod --reference="$work/saved/$name" "$path"
				cp -a "$work/saved/$name/." "$path/"
			else
				rm -f "$path"
				cp -a "$work/saved/$name" "$path"
			fi
		done <"$work/saved/list"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

echo "1..12"
n=0
result() { # result OK|FAIL DESCRIPTION [DETAIL-FILE]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && [ -f "$3" ] && tail -n 30 "$3" | sed 's/^/# /'
	fi
}
skip_rest() { # skip_rest UNTIL REASON
	while [ "$n" -lt "$1" ]; do n=$((n + 1)); echo "ok $n # SKIP $2"; done
}

# 1: the .deb builds.
started=$(date +%s)
if sh "$src/packaging/build_deb.sh" "$out" >"$work/build_deb.out" 2>&1; then
	result OK "build_deb.sh builds $pkg ($(($(date +%s) - started)) s)"
else
	result FAIL "build_deb.sh builds $pkg" "$work/build_deb.out"
fi
deb=$(ls "$out"/${pkg}_*.deb 2>/dev/null | head -n 1)

if [ -z "$deb" ]; then
	skip_rest 8 "no .deb"
else
	# 2: lintian reports no error (warnings and infos are printed as comments).
	# Its temporary files go into our work directory, which cleanup removes.
	mkdir -p "$work/lintian-tmp"
	TMPDIR="$work/lintian-tmp" lintian -I "$deb" >"$work/lintian.out" 2>&1
	grep -v 'running with root privileges' "$work/lintian.out" | sed 's/^/# lintian: /'
	if grep -q '^E: ' "$work/lintian.out"; then result FAIL "lintian: no errors" "$work/lintian.out"
	else result OK "lintian: no errors"; fi

	# 3: it installs.
	if dpkg -i "$deb" >"$work/dpkg-i.out" 2>&1; then result OK "dpkg -i $(basename "$deb")"
	else result FAIL "dpkg -i $(basename "$deb")" "$work/dpkg-i.out"; fi

	# 4: where the files are, and the configuration is a conffile.
	missing=""
	for f in "$module" "$conf" /usr/sbin/pam_oauth2-check /usr/share/man/man8/pam_oauth2.8.gz \
		/usr/share/man/man5/pam_oauth2.conf.5.gz /usr/share/man/man8/pam_oauth2-check.8.gz; do
		[ -e "$f" ] || missing="$missing $f"
	done
	conffiles=$(dpkg-query -W -f='${Conffiles}' "$pkg" 2>/dev/null)
	if [ -z "$missing" ] && echo "$conffiles" | grep -q " $conf "; then
		result OK "module in ${module%/*}, tool, man pages; $conf is a conffile"
	else
		echo "missing:$missing; conffiles: $conffiles" >"$work/files.out"
		result FAIL "installed files and conffile" "$work/files.out"
	fi

	# 5, 6: a login through the installed module, named by name in /etc/pam.d; the
	# installed check tool accepts the admin's file.
	printf 'auth required pam_oauth2.so\naccount required pam_permit.so\n' >"/etc/pam.d/$service"
	top_srcdir=$src "$python" "$src/packaging/test_packages_login.py" "$service" "$conf" "$marker" \
		>"$work/login.out" 2>"$work/login.err"
	for line_no in 1 2; do
		line=$(grep -E '^(ok|not ok) - ' "$work/login.out" | sed -n "${line_no}p")
		case $line in
		"ok - "*) result OK "${line#ok - }" ;;
		"not ok - "*) result FAIL "${line#not ok - }"
			grep '^# ' "$work/login.out" ;;
		*) result FAIL "login test step $line_no ran" "$work/login.err" ;;
		esac
	done
	rm -f "/etc/pam.d/$service"

	# 7: dpkg -r keeps the admin's edited configuration (and removes the module).
	dpkg -r "$pkg" >"$work/dpkg-r.out" 2>&1
	if grep -q "$marker" "$conf" 2>/dev/null && [ ! -e "$module" ]; then
		result OK "dpkg -r removes the module and keeps the admin's edited $conf"
	else
		{ echo "after dpkg -r:"; ls -l "$conf" "$module" 2>&1; cat "$work/dpkg-r.out"; } >"$work/r.out"
		result FAIL "dpkg -r keeps the edited $conf" "$work/r.out"
	fi

	# 8: dpkg --purge removes it (and the cache: not asserted, as other tests running
	# at the same time may write into /var/cache/pam_oauth2); nothing of the package is left.
	dpkg --purge "$pkg" >"$work/dpkg-purge.out" 2>&1
	[ -e "$cache" ] && echo "# note: $cache exists after purge (recreated by a concurrent login?)"
	if [ ! -e "$conf" ] && ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'installed\|config-files'; then
		result OK "dpkg --purge removes $conf and the package"
	else
		{ ls -ld "$conf" "$cache" 2>&1; dpkg-query -W -f='${Status}\n' "$pkg"; cat "$work/dpkg-purge.out"; } >"$work/purge.out"
		result FAIL "dpkg --purge removes everything" "$work/purge.out"
	fi
fi

# 9: the .rpm builds (rpmbuild --nodeps: see build_rpm.sh).
started=$(date +%s)
if sh "$src/packaging/build_rpm.sh" "$out" ${PKGTEST_TARBALL:+"$PKGTEST_TARBALL"} >"$work/build_rpm.out" 2>&1; then
	result OK "build_rpm.sh builds the rpm ($(($(date +%s) - started)) s)"
else
	result FAIL "build_rpm.sh builds the rpm" "$work/build_rpm.out"
fi
rpmfile=$(ls "$out"/pam_oauth2-[0-9]*.rpm 2>/dev/null | grep -v '\.src\.rpm$' | head -n 1)
if [ -z "$rpmfile" ]; then
	skip_rest 12 "no .rpm"
else
	# 10: the file list.
	rpm -qlp "$rpmfile" >"$work/rpm-ql.out" 2>&1
	missing=""
	for f in /usr/lib64/security/pam_oauth2.so "$conf" /usr/sbin/pam_oauth2-check; do
		grep -qx "$f" "$work/rpm-ql.out" || missing="$missing $f"
	done
	if [ -z "$missing" ]; then result OK "rpm -qlp: module, $conf, pam_oauth2-check"
	else echo "missing:$missing" >>"$work/rpm-ql.out"; result FAIL "rpm -qlp lists the files" "$work/rpm-ql.out"; fi

	# 11: the configuration is a config file...
	if rpm -qp --configfiles "$rpmfile" 2>/dev/null | grep -qx "$conf"; then
		result OK "rpm -qp --configfiles lists $conf"
	else
		rpm -qp --configfiles "$rpmfile" >"$work/rpm-cf.out" 2>&1
		result FAIL "rpm -qp --configfiles lists $conf" "$work/rpm-cf.out"
	fi
	# 12: ...marked noreplace, mode 0644.
	flags=$(rpm -qp --queryformat '[%{FILENAMES} %{FILEFLAGS:fflags} %{FILEMODES:perms}\n]' "$rpmfile" 2>/dev/null |
		awk -v f="$conf" '$1 == f { print $2, $3 }')
	case $flags in
	*c*n*" -rw-r--r--") result OK "$conf is %config(noreplace), -rw-r--r-- (flags: $flags)" ;;
	*) echo "flags and mode of $conf: '$flags'" >"$work/rpm-flags.out"
		result FAIL "$conf is %config(noreplace)" "$work/rpm-flags.out" ;;
	esac
fi
