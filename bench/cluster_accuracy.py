#!/usr/bin/python3
"""bench/cluster_accuracy.py - shot and scene accuracy of doppel cluster on a labelled corpus.

Scans CORPUS/images (made by the corpus generator `mkcorpus`, which also
writes CORPUS/truth.csv), clusters at shot and scene level with the given
options, and scores each clustering with the generator's `evaluate` tool
(pairwise precision/recall/F1, ARI, groups merging two truth groups). The
scene level is also scored without capture metadata: on a copy of the result
whose capture times and camera names are blanked, so that scenes come from
the shot groups and the thumbnails' scene links alone (what happens when a
dump's EXIF was stripped); the shot level too, since a copy that kept its
capture time joins its shot by that time.

  bench=cluster_accuracy level=shot images=5000 precision=... recall=... f1=... ari=...
        false_merge_groups=... predicted_groups=... false_merge_share=... target_f1=0.98 pass=no
  bench=cluster_accuracy level=scene ...            target_f1=0.90
  bench=cluster_accuracy level=shot_without_metadata ...
  bench=cluster_accuracy level=scene_without_metadata ...
  bench=cluster_family family=crop copies=922 with_original=0.17

  (each line also gives cluster_s: the wall time of that doppel cluster run)

usage: bench/cluster_accuracy.py CORPUS --evaluate PATH/evaluate [-j N] [--keep FILE.h5]
       [--scan SCAN.h5] [--also CORPUS2 ...] [-- extra doppel cluster options]

--scan takes an earlier `doppel scan CORPUS/images` result instead of scanning
again (it is copied; the file itself is not changed). --also (repeatable)
adds another corpus: all are scanned as one dump (CORPUS/images CORPUS2/images
...) and scored against their truth tables joined, each corpus's groups kept
apart; a larger dump of the same kind, whose candidates between unrelated
pictures grow as it does. DOPPEL_BIN names another doppel build to run
(default: build/doppel of this tree).

SPDX-License-Identifier: MIT
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import h5py

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOPPEL = os.environ.get("DOPPEL_BIN") or os.path.join(TOP, "build", "doppel")


def run(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise SystemExit("bench: %s failed: %s" % (args[:2], r.stderr.decode(errors="replace")))
    return r.stdout


def score(evaluate, truth, h5, name, level):
    out = run([sys.executable, evaluate, "--truth", truth, "--labels", h5, "--h5-paths",
               "images/path", "--h5-labels", "clusters/%s/label" % name, "--level", level, "--json"])
    return json.loads(out)


def joined_truth(corpora, out):
    """One truth table for several corpora: absolute paths, group ids prefixed by the corpus."""
    writer = None
    with open(out, "w", newline="", encoding="utf-8", errors="surrogateescape") as fo:
        for k, corpus in enumerate(corpora):
            with open(os.path.join(corpus, "truth.csv"), newline="", encoding="utf-8",
                      errors="surrogateescape") as fi:
                rows = csv.DictReader(fi)
                for r in rows:
                    if writer is None:
                        writer = csv.DictWriter(fo, fieldnames=rows.fieldnames)
                        writer.writeheader()
                    r["path"] = os.path.abspath(os.path.join(corpus, r["path"]))
                    for col in ("scene_id", "shot_id"):
                        if r[col] != "":
                            r[col] = "%d:%s" % (k, r[col])
                    writer.writerow(r)


def cluster(h5, level, args):
    t0 = time.monotonic()
    run([DOPPEL, "cluster", h5, "--level", level, "-q", "-j", str(args.threads)] + args.extra)
    return time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--evaluate", required=True, help="the corpus generator's evaluate tool")
    ap.add_argument("-j", "--threads", type=int, default=os.cpu_count())
    ap.add_argument("--keep", help="keep the result file here")
    ap.add_argument("--scan", help="an earlier scan of CORPUS/images to cluster (copied)")
    ap.add_argument("--also", action="append", default=[], metavar="CORPUS2",
                    help="another corpus, scanned and scored with CORPUS as one dump")
    argv = sys.argv[1:]   # after "--": options for doppel cluster, wherever the rest is
    cut = argv.index("--") if "--" in argv else len(argv)
    args = ap.parse_args(argv[:cut])
    args.extra = argv[cut + 1:]
    corpora = [args.corpus] + args.also
    work = tempfile.mkdtemp(prefix="doppel-acc.")
    truth = os.path.join(args.corpus, "truth.csv")
    if args.also:
        truth = os.path.join(work, "truth.csv")
        joined_truth(corpora, truth)
    h5 = args.keep or os.path.join(work, "scan.h5")
    if args.scan:
        shutil.copyfile(args.scan, h5)
    else:
        run([DOPPEL, "scan"] + [os.path.join(c, "images") for c in corpora] +
            ["-o", h5, "-f", "-q", "-j", str(args.threads)])
    secs = {}
    for level in ("shot", "scene"):
        secs[(h5, level)] = cluster(h5, level, args)
    bare = h5 + ".no-exif.h5"
    shutil.copyfile(h5, bare)
    with h5py.File(bare, "a") as f:
        for col in ("capture_time", "camera_make", "camera_model", "camera_serial"):
            f["images/" + col][...] = b""
    for level in ("shot", "scene"):
        secs[(bare, level)] = cluster(bare, level, args)
    rows = [("shot", h5, "shot", "shot", 0.98), ("scene", h5, "scene", "scene", 0.90),
            ("shot_without_metadata", bare, "shot", "shot", 0.98),
            ("scene_without_metadata", bare, "scene", "scene", 0.90)]
    for label, path, name, level, target in rows:
        d = score(args.evaluate, truth, path, name, level)
        share = d["false_merge_clusters"] / max(1, d["predicted_clusters"])
        print("bench=cluster_accuracy level=%s images=%d precision=%.4f recall=%.4f f1=%.4f ari=%.4f "
              "false_merge_groups=%d predicted_groups=%d false_merge_share=%.4f cluster_s=%.2f "
              "target_f1=%.2f pass=%s"
              % (label, d["images"], d["precision"], d["recall"], d["f1"], d["ari"],
                 d["false_merge_clusters"], d["predicted_clusters"], share, secs[(path, level)], target,
                 "yes" if d["f1"] >= target and (level != "shot" or share <= 0.005) else "no"))
        if label == "shot":
            for fam, v in sorted(d.get("copy_recall_by_family", {}).items()):
                print("bench=cluster_family family=%s copies=%d with_original=%.3f"
                      % (fam, v["copies"], v["with_original"]))
        sys.stdout.flush()
    os.unlink(bare)
    shutil.rmtree(work)   # the scan too, unless --keep put it elsewhere
    return 0


if __name__ == "__main__":
    sys.exit(main())
