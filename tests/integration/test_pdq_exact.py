#!/usr/bin/python3
"""tests/integration/test_pdq_exact.py - doppel's PDQ equals Meta's reference, through the real scan.

Scans tests/data/pdq (the reference's own test images, see its README) with
`--reference-pdq --no-orient`, the options that reproduce pdq-photo-hasher
(full-resolution decode, its 512x512 nearest-neighbour resample, stored
orientation), and requires:
  - hash and quality identical to expected/cpp-reference-debian12.csv (the
    reference built on Debian 12) for every image present, JPEG, PNG and
    WebP in every PIL mode;
  - within 10 bits of the other published tables (other decoders) for
    every image of quality >= 80, the reference's rule for independent
    implementations (or as close as the Debian 12 reference itself is,
    where older tables differ from it by more);
  - the default fast mode within 31 bits of --exact (full resolution) on
    every image.

SPDX-License-Identifier: MIT
"""
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import ok, done, tmpdir, doppel  # noqa: E402

import h5py  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(TOP, "tests", "data", "pdq")
work = tmpdir("pdq")


def scan(name, *opts):
    out = os.path.join(work, name + ".h5")
    r = doppel("scan", DATA, "-o", out, "-q", "--hashes", "pdq", *opts)
    ok(r.returncode == 0, "scan %s exits 0" % " ".join(opts), r.stderr)
    with h5py.File(out, "r") as f:
        return {os.path.relpath(p.decode(), DATA): (bytes(h).hex(), int(q), int(s))
                for p, h, q, s in zip(f["images/path"], f["hashes/pdq"],
                                      f["hashes/pdq_quality"], f["images/status"])}


def dist(a, b):
    return bin(int(a, 16) ^ int(b, 16)).count("1")


exact = scan("reference", "--reference-pdq", "--no-orient")
ref = list(csv.DictReader(open(os.path.join(DATA, "expected", "cpp-reference-debian12.csv"))))
present = [r for r in ref if r["path"] in exact]
ok(len(present) >= 40, "%d reference images present" % len(present))
kinds = {os.path.splitext(r["path"])[1] for r in present}
ok({".jpg", ".png", ".webp"} <= kinds, "JPEG, PNG and WebP inputs covered", kinds)
for r in present:
    h, q, st = exact[r["path"]]
    ok(st == 0 and h == r["hash"] and q == int(r["quality"]),
       "exact: %s identical to the reference" % r["path"],
       "got %s q%d, want %s q%s (%d bits)" % (h, q, r["hash"], r["quality"], dist(h, r["hash"])))

# Other decoders: within 10 bits for quality >= 80.
tables = {
    "python-pdq_test.csv": ("hash", "path"),
    "python-readme-bridge-mods.csv": ("hash", "path"),
    "sql-readme-reg-test-input.csv": ("hash", "path"),
    "cpp-java-readme-dih.csv": ("hash", "path"),
    "wasm-PDQMD5TestData.csv": ("Hash", "FilePath"),
}
refhash = {r["path"]: r["hash"] for r in ref}
checked = 0
for name, (hcol, pcol) in tables.items():
    for r in csv.DictReader(open(os.path.join(DATA, "expected", name))):
        path = r[pcol].replace("../../../../data/", "")
        if path not in exact or len(r[hcol]) != 64:
            continue
        h, q, _ = exact[path]
        if q < 80:
            continue
        checked += 1
        d = dist(h, r[hcol])
        # The older tables come from other decoders (and older builds); where
        # the Debian 12 reference itself is further than 10 bits from them
        # (12 on two dihedral bridges), the bound is the reference's distance.
        bound = max(10, dist(refhash[path], r[hcol])) if path in refhash else 10
        ok(d <= bound, "%s: %s within %d bits (%d)" % (name, path, bound, d))
ok(checked >= 10, "%d cross-decoder comparisons made" % checked)

# Fast mode (DCT-scaled, shrink-on-load) stays close to full-resolution hashing.
full = scan("exact", "--exact", "--no-orient")
fast = scan("fast", "--no-orient")
far = [(p, dist(fast[p][0], full[p][0])) for p in full
       if full[p][2] == 0 and full[p][1] >= 50 and dist(fast[p][0], full[p][0]) > 31]
ok(not far, "fast mode within 31 bits of exact mode on every image", far)

done()
