#!/usr/bin/python3
"""examples/load.py - load a doppel result file into NumPy arrays and a pandas DataFrame.

Uses plain h5py (no plugin, no doppel module): the layout is documented in
docs/FORMAT.md.

    /usr/bin/python3 examples/load.py hashes.h5            # summary
    /usr/bin/python3 examples/load.py hashes.h5 --csv out.csv

In a notebook:

    from load import load_dataframe
    df = load_dataframe("hashes.h5")
    df[df.status == "ok"].groupby("sha256").size().sort_values()
    df.groupby("shot.label").path.apply(list)      # after `doppel cluster`

SPDX-License-Identifier: MIT
"""
import argparse
import os
import sys

import h5py
import numpy as np
import pandas as pd


def load_arrays(path):
    """Every dataset as a NumPy array, keyed 'images/size', 'hashes/pdq'...,
    plus the root attributes. Raises ValueError for a file that is not a
    doppel result."""
    with h5py.File(path, "r") as f:
        if f.attrs.get("format") != "doppel":
            raise ValueError("%s is not a doppel result file" % path)
        arrays = {}
        for group in ("images", "hashes"):
            for name, ds in f.get(group, {}).items():
                arrays[group + "/" + name] = ds[()]
        status_names = {v: k for k, v in h5py.check_enum_dtype(f["images/status"].dtype).items()}
        attrs = dict(f.attrs)
    arrays["status_names"] = status_names
    return arrays, attrs


def load_dataframe(path):
    """One row per file: paths as str (os.fsdecode keeps non-UTF-8 names
    usable with open()), times as datetimes, digests and PDQ as hex strings,
    64-bit hashes as unsigned integers, status as a category."""
    a, _ = load_arrays(path)
    df = pd.DataFrame({
        "path": [os.fsdecode(p) for p in a["images/path"]],
        "size": a["images/size"],
        "mtime": pd.to_datetime(a["images/mtime"], unit="ns", utc=True),
        "sha256": [bytes(d).hex() for d in a["images/sha256"]],
        "status": pd.Categorical([a["status_names"][int(s)] for s in a["images/status"]]),
        "message": [m.decode("utf-8", "replace") for m in a["images/message"]],
        "format": [x.decode() for x in a["images/format"]],
        "width": a["images/width"],
        "height": a["images/height"],
        "orientation": a["images/orientation"],
        "capture_time": [t.decode() for t in a["images/capture_time"]],
        "camera_make": [t.decode("utf-8", "replace") for t in a["images/camera_make"]],
        "camera_model": [t.decode("utf-8", "replace") for t in a["images/camera_model"]],
        "camera_serial": [t.decode("utf-8", "replace") for t in a["images/camera_serial"]],
    })
    if "hashes/pdq" in a:
        df["pdq"] = [bytes(h).hex() for h in a["hashes/pdq"]]
        df["pdq_quality"] = a["hashes/pdq_quality"]
    if "hashes/pdq_trim" in a:
        df["pdq_trim"] = [bytes(h).hex() if any(h) else "" for h in a["hashes/pdq_trim"]]
    for name in ("phash", "dhash", "ahash"):
        if "hashes/" + name in a:
            df[name] = a["hashes/" + name].astype(np.uint64)
    # Groups written by `doppel cluster`: NAME.label, NAME.shot, NAME.keeper per clustering.
    with h5py.File(path, "r") as f:
        for name, g in f.get("clusters", {}).items():
            df[name + ".label"] = g["label"][()]
            df[name + ".shot"] = g["shot"][()]
            df[name + ".keeper"] = (g["flags"][()] & 2) != 0
    return df


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--csv", help="also write the table as CSV")
    args = ap.parse_args()
    try:
        df = load_dataframe(args.file)
    except (OSError, ValueError, KeyError) as e:
        print("load.py: %s" % e, file=sys.stderr)
        return 1
    _, attrs = load_arrays(args.file)
    print("%s: %d files, scanned by %s on %s" % (args.file, len(df), attrs.get("tool_version"),
                                                attrs.get("created")))
    print(df["status"].value_counts().to_string())
    ok = df[df.status == "ok"]
    dups = ok[ok.duplicated("sha256", keep=False)]
    print("exact duplicates: %d files in %d groups" % (len(dups), dups["sha256"].nunique()))
    for col in [c for c in df.columns if c.endswith(".label")]:
        sizes = df[df[col] >= 0].groupby(col).size()
        print("%s: %d groups, %d with more than one file" % (col[:-6], len(sizes), int((sizes > 1).sum())))
    if args.csv:
        # surrogateescape writes non-UTF-8 file names back as their original bytes
        df.to_csv(args.csv, index=False, errors="surrogateescape")
    return 0


if __name__ == "__main__":
    sys.exit(main())
