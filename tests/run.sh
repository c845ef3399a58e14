#!/bin/sh
# tests/run.sh - run the whole suite under prove(1); its closing lines
# ("Files=.., Tests=..", "Result: PASS|FAIL") are the summary CI reads.
#
# Unit tests are the C programs build/tests/test_* (run a second and third
# time under DP_DISABLE_CPU_FEATURES, see below); integration tests are the
# executable scripts tests/integration/test_*. Each prints TAP. A test that
# cannot run here prints "1..0 # SKIP why". Scratch files go under a fresh
# temporary directory that is removed afterwards.
#
# SPDX-License-Identifier: MIT
set -u
BUILD=${BUILD:-build}
top=$(pwd)
DOPPEL="$top/$BUILD/doppel"
MKFIXTURES="$top/$BUILD/tests/mkfixtures"
ENVGUARD="$top/$BUILD/tests/envguard.so"           # LD_PRELOAD for test_environ.py
DOPPEL_MPI=${DOPPEL_MPI:-$top/build-mpi/doppel}   # make mpi; test_mpi.py skips without it
DP_ARTEFACTS=${DP_ARTEFACTS:-$top/$BUILD/artefacts} # screenshots test_report.py keeps
DP_TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/doppel-test.XXXXXX") || exit 1
export DOPPEL MKFIXTURES ENVGUARD DOPPEL_MPI DP_ARTEFACTS DP_TEST_TMP
export PYTHON="${PYTHON:-/usr/bin/python3}"
trap 'chmod -R u+rwx "$DP_TEST_TMP" 2>/dev/null; rm -rf "$DP_TEST_TMP"' EXIT INT TERM

# The unit tests again with CPU features masked, newest first, so that every
# dispatch level of the kernels runs on this machine: one wrapper per test
# and mask under $BUILD/tests/disable-<mask>/, all in the same prove run.
set --
for mask in avx512 avx512,avx2; do
	dir="$BUILD/tests/disable-$(printf %s "$mask" | tr , -)"
	rm -rf "$dir" && mkdir -p "$dir" || exit 1
	for t in "$BUILD"/tests/test_*; do
		w="$dir/${t##*/}"
		printf '#!/bin/sh\nDP_DISABLE_CPU_FEATURES=%s exec "%s" "$@"\n' "$mask" "$top/$t" >"$w" &&
			chmod +x "$w" || exit 1
		set -- "$@" "$w"
	done
done

prove --exec '' ${PROVE_FLAGS:-} "$BUILD"/tests/test_* "$@" tests/integration/test_*
