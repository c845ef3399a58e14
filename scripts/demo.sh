#!/bin/sh
# scripts/demo.sh - `make demo`: generate a small image set with libvips,
# scan it, and summarise the result.
#
# The set (demo/images, made by build/tests/mkfixtures demo) holds a few
# distinct synthetic photos, copies of them (re-encoded, resized, cropped,
# converted to PNG, exact duplicates) and a couple of broken files. The
# result is demo/hashes.h5.
#
# SPDX-License-Identifier: MIT
set -eu
BUILD=${BUILD:-build}
PYTHON=${PYTHON:-/usr/bin/python3}
out=demo
mkdir -p "$out"
rm -rf "$out/images"
"$BUILD/tests/mkfixtures" demo "$out/images"
echo "== doppel scan $out/images -o $out/hashes.h5 --hashes all"
"$BUILD/doppel" scan "$out/images" -o "$out/hashes.h5" --force --hashes all
echo
echo "== doppel info $out/hashes.h5"
"$BUILD/doppel" info "$out/hashes.h5"
echo
echo "== examples/load.py $out/hashes.h5"
"$PYTHON" examples/load.py "$out/hashes.h5"
echo
echo "== near-duplicate pairs (PDQ distance <= 31, quality >= 50)"
"$PYTHON" - "$out/hashes.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    paths = [p.decode("utf-8", "replace") for p in f["images/path"][()]]
    ok = f["images/status"][()] == 0
    pdq = f["hashes/pdq"][()]
    q = f["hashes/pdq_quality"][()]
idx = [i for i in range(len(paths)) if ok[i] and q[i] >= 50]
bits = np.unpackbits(pdq[idx], axis=1)
for a in range(len(idx)):
    d = (bits[a] != bits[a + 1:]).sum(axis=1)
    for k in np.nonzero(d <= 31)[0]:
        print("%3d  %s  %s" % (d[k], paths[idx[a]], paths[idx[a + 1 + k]]))
PY
