#!/bin/sh
# Builds every libFuzzer target (tests/fuzz/fuzz_*.c) with ASan and UBSan against the
# pure core sources, into BUILD_DIR (default: tests/fuzz/build).
#   sh tests/fuzz/build.sh [BUILD_DIR]
# CC (default clang) must support -fsanitize=fuzzer. Incremental: an object is rebuilt
# only when its source or a header changed.
set -eu

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
src_dir=$(cd "$fuzz_dir/../../pam_oauth2" && pwd)
build_dir=${1:-$fuzz_dir/build}
CC=${CC:-clang}
mkdir -p "$build_dir/obj"
build_dir=$(cd "$build_dir" && pwd)

# The core: every source but the two with an entry point of their own (the PAM module's
# pam_sm_* and the config checker's main). The I/O shell (curl, PAM, syslog) comes along
# and is linked but never called: the tree may grow files without this list changing.
core=
# Sources sit in one folder per layer (ARCHITECTURE.md); NAME is LAYER/FILE.
for source in "$src_dir"/*/*.c; do
	core="$core ${source#"$src_dir"/}"
done

sanitize="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
cflags="-g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter $sanitize"
pkgs="libcurl json-c libqrencode libcrypto libssl"
pkg_cflags=$(pkg-config --cflags $pkgs 2>/dev/null || true)
libs="$(pkg-config --libs $pkgs 2>/dev/null || echo "-lcurl -ljson-c -lqrencode -lcrypto -lssl") -lpam"

# config.h as configure would write it, as far as the core uses it.
cat >"$build_dir/config.h.new" <<'EOH'
/* Written by tests/fuzz/build.sh for the fuzz build. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#define HAVE_EXPLICIT_BZERO 1
#define PACKAGE_NAME "pam_oauth2"
#define PACKAGE_VERSION "fuzz"
#define VERSION "fuzz"
EOH
if cmp -s "$build_dir/config.h.new" "$build_dir/config.h"; then
	rm -f "$build_dir/config.h.new"
else
	mv "$build_dir/config.h.new" "$build_dir/config.h"
fi

includes="-I$build_dir -I$src_dir -I$fuzz_dir -DSECUREDIR=\"/etc/security\" -DCACHEDIR=\"/nonexistent/pam_oauth2-cache\""
newest_header=$(ls -t "$src_dir"/*/*.h "$fuzz_dir"/*.h "$build_dir/config.h" | head -n 1)

# Rebuilds $2 from $1 when it is missing or older than $1 or the newest header.
stale() {
	[ ! -e "$2" ] || [ "$1" -nt "$2" ] || [ "$newest_header" -nt "$2" ]
}

objects=
for name in $core; do
	obj="$build_dir/obj/$(echo "${name%.c}" | tr / _).o"
	if stale "$src_dir/$name" "$obj"; then
		echo "  CC      $name"
		# -fsanitize=fuzzer-no-link: coverage for the core, libFuzzer's main only in targets.
		$CC $(echo "$cflags" | sed 's/fuzzer,/fuzzer-no-link,/') $includes $pkg_cflags \
			-c "$src_dir/$name" -o "$obj"
	fi
	objects="$objects $obj"
done

for source in "$fuzz_dir"/fuzz_*.c; do
	target=$(basename "$source" .c)
	out="$build_dir/$target"
	if stale "$source" "$out" || [ -n "$(find $objects -newer "$out" 2>/dev/null | head -n 1)" ]; then
		echo "  CCLD    $target"
		$CC $cflags $includes $pkg_cflags "$source" $objects $libs -o "$out"
	fi
done
echo "fuzz targets in $build_dir"
