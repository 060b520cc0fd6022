#!/bin/sh
# build_rpm.sh OUTDIR [TARBALL]: builds the binary RPM of pam_oauth2 with "rpmbuild -bb"
# and a temporary _topdir, from the release tarball TARBALL, or from one made here
# ("make dist" in a temporary copy of the tree). The .rpm files go to OUTDIR.
#
# On Debian, rpmbuild's BuildRequires are looked up in the (empty) rpm database, never in
# dpkg's: they cannot be satisfied, so the build runs with --nodeps and uses the Debian
# -dev packages that configure finds. Debian's rpm has no find-debuginfo, so no
# -debuginfo package is made (debug_package is %{nil}).
set -eu
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 OUTDIR [TARBALL]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
# Run from "make check", the calling make's flags and command-line variables (TESTS=...)
# would reach the package's own make through the environment: start clean.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES MAKE_TERMOUT MAKE_TERMERR
src=$(cd "$here/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pam_oauth2-rpm.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
version=$(sed -n 's/^Version:[[:space:]]*//p' "$here/pam_oauth2.spec")
mkdir -p "$work/top/SOURCES" "$work/top/SPECS"
if [ $# -eq 2 ]; then
	cp "$2" "$work/top/SOURCES/pam_oauth2-$version.tar.gz"
else
	sh "$here/copy_tree.sh" "$src" "$work/tree"
	(cd "$work/tree" && autoreconf -fi && ./configure && make dist) >"$work/dist.log" 2>&1 || {
		tail -n 40 "$work/dist.log" >&2
		echo "build_rpm.sh: making the tarball failed" >&2
		exit 1
	}
	[ -f "$work/tree/pam_oauth2-$version.tar.gz" ] || {
		echo "build_rpm.sh: no pam_oauth2-$version.tar.gz: does the spec's Version match configure.ac?" >&2
		exit 1
	}
	cp "$work/tree/pam_oauth2-$version.tar.gz" "$work/top/SOURCES/"
fi
cp "$here/pam_oauth2.spec" "$work/top/SPECS/"
rpmbuild -bb --nodeps \
	--define "_topdir $work/top" \
	--define "debug_package %{nil}" \
	--define "_smp_mflags -j$(nproc)" \
	"$work/top/SPECS/pam_oauth2.spec" >"$work/rpmbuild.log" 2>&1 || {
	cp "$work/rpmbuild.log" "$out/build_rpm.log"
	tail -n 60 "$work/rpmbuild.log" >&2
	echo "build_rpm.sh: rpmbuild failed" >&2
	exit 1
}
find "$work/top/RPMS" -name '*.rpm' -exec cp {} "$out"/ \;
cp "$work/rpmbuild.log" "$out/build_rpm.log"
ls "$out"/*.rpm
