#!/usr/bin/env bash
# Runs every libFuzzer harness in a build dir for SECONDS each, from the
# checked-in seed corpus; a crash, leak or sanitizer report fails the run.
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS
set -euo pipefail
dir=$1
secs=$2
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for f in "$dir"/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus=$(mktemp -d)
	seeds="$root/fuzz/corpus/$name"
	[ -d "$seeds" ] && cp "$seeds"/* "$corpus"/ 2>/dev/null || true
	echo "fuzz: $name for ${secs}s"
	if ! "$f" -max_total_time="$secs" -max_len=2048 -seed=1 -print_final_stats=1 \
		-artifact_prefix="$dir/$name-" "$corpus" >"$dir/$name.log" 2>&1; then
		echo "fuzz: $name FAILED; tail of $dir/$name.log:"
		tail -40 "$dir/$name.log"
		status=1
	else
		grep -E 'stat::number_of_executed_units|cov:' "$dir/$name.log" | tail -2 || true
	fi
	rm -rf "$corpus"
done
exit $status
