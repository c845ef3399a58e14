#!/bin/sh
# tests/fuzz/run.sh - a bounded libFuzzer run: FUZZER SECONDS CORPUS...
#
# Explores from the seed corpora (read-only; new inputs go to a temporary
# folder) for SECONDS with a fixed seed and one worker, and prints a TAP
# line and a closing "Result: PASS|FAIL" like prove's. A crash leaves
# crash-* next to the temporary corpus, named in the output: copy it into
# the target's corpus as a regression and fix the cause.
#
# SPDX-License-Identifier: MIT
set -u
fuzzer=$1 seconds=$2
shift 2
corpus="$*"
work=$(mktemp -d "${TMPDIR:-/tmp}/doppel-fuzz.XXXXXX") || exit 1
log="$work/log"
if "$fuzzer" -seed=1 -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
	-artifact_prefix="$work/" "$work" "$@" >"$log" 2>&1; then
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log")
	echo "ok 1 - ${fuzzer##*/}: ${runs:-?} runs in ${seconds}s from $corpus, no crash"
	echo "1..1"
	echo "Result: PASS"
	rm -rf "$work"
	exit 0
fi
echo "not ok 1 - ${fuzzer##*/}: crash or error, see $work"
tail -n 40 "$log" | sed 's/^/# /'
echo "1..1"
echo "Result: FAIL"
exit 1
