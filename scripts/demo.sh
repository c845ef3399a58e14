#!/bin/sh
# scripts/demo.sh - `make demo`: generate a small image set with libvips,
# scan it, summarise, group and query it.
#
# The set (demo/images, made by build/tests/mkfixtures demo) holds a few
# distinct synthetic photos, copies of them (re-encoded, resized, cropped,
# converted to PNG, exact duplicates) and a couple of broken files. The
# result is demo/hashes.h5, then grouped by doppel cluster (shots, scenes)
# and queried with one of its images.
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
echo "== doppel cluster $out/hashes.h5 (copies of one photo, then scenes)"
"$BUILD/doppel" cluster "$out/hashes.h5"
"$BUILD/doppel" cluster "$out/hashes.h5" --level scene
echo
echo "== groups with more than one file (keeper first)"
"$PYTHON" - "$out/hashes.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    paths = [p.decode("utf-8", "replace") for p in f["images/path"][()]]
    g = f["clusters/shot"]
    label, keeper, size = g["label"][()], g["group_keeper"][()], g["group_size"][()]
    dist = g["keeper_distance"][()]
for k in range(len(size)):
    if size[k] < 2:
        continue
    members = [i for i in range(len(paths)) if label[i] == k]
    members.sort(key=lambda i: (i != keeper[k], dist[i], i))
    print("group %d (%d files)" % (k, size[k]))
    for i in members:
        print("   %s %3d  %s" % ("*" if i == keeper[k] else " ", dist[i], paths[i]))
PY
echo
echo "== doppel query $out/hashes.h5 (the first file of the first group)"
first=$("$PYTHON" -c "import sys,h5py; f=h5py.File(sys.argv[1]); g=f['clusters/shot']; import numpy as np; k=int(np.argmax(g['group_size'][()])); print(f['images/path'][g['group_keeper'][k]].decode())" "$out/hashes.h5")
"$BUILD/doppel" query "$out/hashes.h5" "$first"
echo
echo "== doppel report $out/hashes.h5 --name scene -o $out/report (open it in a browser)"
"$BUILD/doppel" report "$out/hashes.h5" --name scene -o "$out/report"
