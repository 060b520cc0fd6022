#!/bin/sh
# build_deb.sh OUTDIR: builds the Debian binary package libpam-oauth2 from this tree with
# "dpkg-buildpackage -us -uc -b", in a temporary copy (packaging/debian becomes debian/
# there; the source tree is not touched), and puts the .deb, .buildinfo and .changes into
# OUTDIR. DEB_BUILD_OPTIONS is honoured (default: parallel=<number of CPUs>).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
# Run from "make check", the calling make's flags and command-line variables (TESTS=...)
# would reach the package's own make through the environment: start clean.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES MAKE_TERMOUT MAKE_TERMERR
src=$(cd "$here/.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pam_oauth2-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
version=$(sed -n 's/^pam-oauth2 (\([^)]*\)).*/\1/p' "$here/debian/changelog" | head -n 1)
tree="$work/pam-oauth2-$version"
sh "$here/copy_tree.sh" "$src" "$tree"
cp -R "$here/debian" "$tree/debian"
chmod +x "$tree/debian/rules"
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$(nproc)}"
(cd "$tree" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 || {
	cp "$work/build.log" "$out/build_deb.log"
	grep -E '^(FAIL|ERROR):' "$work/build.log" >&2 || true
	tail -n 40 "$work/build.log" >&2
	echo "build_deb.sh: dpkg-buildpackage failed (whole log: $out/build_deb.log)" >&2
	exit 1
}
cp "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
cp "$work/build.log" "$out/build_deb.log"
ls "$out"/*.deb
