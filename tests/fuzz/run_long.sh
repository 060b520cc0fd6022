#!/bin/sh
# The longer run behind RESULTS.md: every target for SECONDS (default 120), JOBS at a
# time (default 2), each on a copy of its seed corpus kept in OUT_DIR/NAME/corpus.
# Prints one Markdown table row per target; crashes stay in OUT_DIR/NAME/artifacts.
#   sh tests/fuzz/run_long.sh OUT_DIR [SECONDS] [JOBS]
set -eu
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
out_dir=${1:?usage: run_long.sh OUT_DIR [SECONDS] [JOBS]}
seconds=${2:-120}
jobs=${3:-2}
build_dir=$fuzz_dir/build
sh "$fuzz_dir/build.sh" "$build_dir" >/dev/null
mkdir -p "$out_dir"

for source in "$fuzz_dir"/fuzz_*.c; do
	basename "$source" .c | sed 's/^fuzz_//'
done | xargs -P "$jobs" -I NAME sh -c '
	mkdir -p "$1/NAME/corpus" "$1/NAME/artifacts"
	cp "$2/corpus/NAME"/* "$1/NAME/corpus/"
	"$3/fuzz_NAME" -max_total_time="$4" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
		-print_final_stats=1 -artifact_prefix="$1/NAME/artifacts/" "$1/NAME/corpus" >"$1/NAME.log" 2>&1
	echo $? >"$1/NAME.rc"' sh "$out_dir" "$fuzz_dir" "$build_dir" "$seconds"

echo "| target | executions | exec/s | cov | ft | corpus (files / bytes) | exit | crashes |"
echo "|---|---|---|---|---|---|---|---|"
for source in "$fuzz_dir"/fuzz_*.c; do
	name=$(basename "$source" .c | sed 's/^fuzz_//')
	log=$out_dir/$name.log
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	files=$(ls "$out_dir/$name/corpus" | wc -l)
	bytes=$(cat "$out_dir/$name/corpus"/* | wc -c)
	crashes=$(ls "$out_dir/$name/artifacts" | wc -l)
	echo "| fuzz_$name | $runs | $speed | $cov | $ft | $files / $bytes | $(cat "$out_dir/$name.rc") | $crashes |"
done
