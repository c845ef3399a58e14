#!/bin/sh
# tests/fuzz/mkseeds.sh - make the result-file seeds of fuzz_store: DOPPEL OUTDIR.
#
# Result files are build outputs, so they are made here rather than kept in
# git: scan.h5 (a scan of a few seed images of corpus/decode and a text file,
# every hash), clustered.h5 (the same after cluster at shot and scene level)
# and truncated.h5 (its first 3000 bytes). The replay test and make fuzz
# read them next to the committed regressions in corpus/store/.
#
# SPDX-License-Identifier: MIT
set -eu
doppel=$1 out=$2
src=$(dirname "$0")/corpus/decode
tmp=$(mktemp -d "${TMPDIR:-/tmp}/doppel-seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/in" "$out"
cp "$src/rgb.jpg" "$src/rgb.png" "$src/text.txt" "$tmp/in/"
cp "$src/rgb.jpg" "$tmp/in/copy.jpg"
"$doppel" scan "$tmp/in" -o "$out/scan.h5" -q -f --hashes all
cp "$out/scan.h5" "$out/clustered.h5"
"$doppel" cluster "$out/clustered.h5" -q
"$doppel" cluster "$out/clustered.h5" -q --level scene
head -c 3000 "$out/scan.h5" > "$out/truncated.h5"
