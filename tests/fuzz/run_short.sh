#!/bin/sh
# TAP: a short, bounded libFuzzer run of every target on a copy of its seed corpus
# (the committed corpus is never written). Any crash, leak, UBSan report or broken
# invariant fails that target's line; the input is kept and its path printed.
#   FUZZ_SECONDS  seconds per target (default 15); two targets run at a time.
# Skips (1..0) only when clang or libFuzzer is missing; under CI that is a failure
# (tests/tap_skip.sh).
set -u

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
. "$fuzz_dir/../tap_skip.sh"
if [ -n "${top_builddir:-}" ]; then
	build_dir=$top_builddir/tests/fuzz/build
else
	build_dir=$fuzz_dir/build
fi
seconds=${FUZZ_SECONDS:-15}
CC=${CC_FUZZ:-clang}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pam_oauth2_fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# libFuzzer ships with clang's compiler-rt: try to link a trivial target.
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' >"$tmp/probe.c"
command -v "$CC" >/dev/null 2>&1 || skip_all "$CC not found"
"$CC" -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" >"$tmp/probe.log" 2>&1 ||
	skip_all "$CC cannot link libFuzzer with ASan/UBSan (libclang-rt-dev missing?)"

if ! CC=$CC sh "$fuzz_dir/build.sh" "$build_dir" >"$tmp/build.log" 2>&1; then
	echo "1..1"
	echo "not ok 1 - build the fuzz targets"
	sed 's/^/# /' "$tmp/build.log"
	exit 1
fi

targets=
for source in "$fuzz_dir"/fuzz_*.c; do
	targets="$targets $(basename "$source" .c | sed 's/^fuzz_//')"
done

# Runs one target; its verdict goes to $tmp/NAME.rc, its log to $tmp/NAME.log.
run_target() {
	name=$1
	mkdir -p "$tmp/$name/corpus" "$tmp/$name/artifacts"
	if [ -d "$fuzz_dir/corpus/$name" ]; then
		cp "$fuzz_dir/corpus/$name"/* "$tmp/$name/corpus/" 2>/dev/null
		# Fixed crashers run too, as regression inputs.
		[ -d "$fuzz_dir/crashers/${name#fuzz_}" ] && find "$fuzz_dir/crashers/${name#fuzz_}" -type f ! -name README.md \
			-exec cp {} "$tmp/$name/corpus/" \;
	fi
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$build_dir/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 -artifact_prefix="$tmp/$name/artifacts/" \
		"$tmp/$name/corpus" >"$tmp/$name.log" 2>&1
	echo $? >"$tmp/$name.rc"
}

set -- $targets
echo "1..$#"
number=0
while [ $# -gt 0 ]; do
	first=$1
	shift
	run_target "$first" &
	second=
	if [ $# -gt 0 ]; then
		second=$1
		shift
		run_target "$second" &
	fi
	wait
	for name in $first $second; do
		number=$((number + 1))
		rc=$(cat "$tmp/$name.rc")
		stats=$(grep -E '^#[0-9]+.*DONE' "$tmp/$name.log" | tail -n 1 | sed 's/^#\([0-9]*\)[[:space:]]*DONE[[:space:]]*/\1 runs, /')
		if [ "$rc" = 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$tmp/$name.log"; then
			echo "ok $number - fuzz_$name ${seconds}s: $stats"
		else
			echo "not ok $number - fuzz_$name (exit $rc)"
			grep -E 'ERROR:|SUMMARY:|runtime error:|invariant failed|#[0-9]+ 0x|Test unit written' "$tmp/$name.log" |
				head -n 40 | sed 's/^/# /'
			keep=${TMPDIR:-/tmp}/pam_oauth2_fuzz_$name.crash
			for artifact in "$tmp/$name/artifacts"/*; do
				[ -e "$artifact" ] || continue
				cp "$artifact" "$keep" && echo "# reproducer kept in $keep (run: $build_dir/fuzz_$name $keep)"
			done
		fi
	done
done
