#!/usr/bin/python3
"""tests/integration/test_cluster.py - doppel cluster, query and export on a generated corpus.

Scans the tests corpus of build/tests/mkfixtures and checks, against the
manifest and against hashes recomputed here from the HDF5 file:
  - exact groups are exactly the rows sharing a SHA-256;
  - the near pairs are exactly the pairs of representatives within 31
    (brute force in Python over the whole-image and border-trimmed hashes),
    each once, with the least distance; a letterbox copy joins its photo
    through the trimmed hash;
  - shot groups never mix two shots of the manifest; copies within 31 of
    their original are with it; photo_6 (another shot of photo_0's scene)
    is not; rows that are not images have label -1; keepers, sizes and
    keeper distances follow their definitions;
  - scene groups nest the shot groups and join photo_0 and photo_6;
  - several named clusterings coexist, a rerun replaces one; -j 1 and -j 2
    give the same datasets;
  - bad input (missing, not HDF5, foreign HDF5, newer format version, hash
    not in the file, unknown hash, bad name) gives a clear error, a non-zero
    exit and leaves the file byte for byte as it was;
  - export --csv / --jsonl round-trip paths (newline and invalid UTF-8
    included) and agree with the HDF5 datasets;
  - query finds a file's copies best first, from an image or a hex hash, and
    --rotations matches a turned image that plain matching misses.

SPDX-License-Identifier: MIT
"""
import csv
import hashlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import ok, done, tmpdir, doppel, make_corpus, manifest, hamming_bytes  # noqa: E402

import h5py  # noqa: E402
import numpy as np  # noqa: E402

work = tmpdir("cluster")
corpus = make_corpus("tests", os.path.join(work, "corpus"))
rows = {os.path.join(corpus.encode(), r["path"]): r for r in manifest(corpus)}
h5 = os.path.join(work, "scan.h5")
r = doppel("scan", corpus, "-o", h5, "-q", "--hashes", "all")
ok(r.returncode == 0, "scan of the tests corpus", r.stderr)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def read(path, name):
    with h5py.File(path, "r") as f:
        g = f["clusters"][name]
        return {k: g[k][()] for k in g}, dict(g.attrs)


r = doppel("cluster", h5)
ok(r.returncode == 0 and b"shot groups" in r.stderr, "cluster exits 0 with a summary", r.stderr)
with h5py.File(h5, "r") as f:
    paths = list(f["images/path"][()])
    status = f["images/status"][()]
    sha = f["images/sha256"][()]
    pdq = f["hashes/pdq"][()]
    qual = f["hashes/pdq_quality"][()]
    trim = f["hashes/pdq_trim"][()]
    trimq = f["hashes/pdq_trim_quality"][()]
    width, height, size = f["images/width"][()], f["images/height"][()], f["images/size"][()]
cl, attrs = read(h5, "shot")
n = len(paths)
label, shot, exact, flags = cl["label"], cl["shot"], cl["exact"], cl["flags"]
ok(all(len(cl[k]) == n for k in ("label", "shot", "exact", "flags", "keeper_distance")),
   "per-row datasets have one entry per row")
ok(attrs["level"] == "shot" and attrs["hash"] == "pdq" and attrs["max_distance"] == 31
   and "medoid" in attrs["method"], "attributes record level, hash, threshold and method", attrs)

# ---- exact groups ---------------------------------------------------------------
read_ok = [i for i in range(n) if any(sha[i])]
same_sha = {(i, j) for i in read_ok for j in read_ok if i < j and bytes(sha[i]) == bytes(sha[j])}
same_exact = {(i, j) for i in read_ok for j in read_ok if i < j and exact[i] == exact[j]}
ok(same_sha == same_exact and len(same_sha) > 0, "exact groups = rows sharing a SHA-256 (%d pairs)"
   % len(same_sha))
ok(all(exact[i] == -1 for i in range(n) if not any(sha[i])), "unread rows have exact label -1")

# ---- near pairs against brute force -------------------------------------------
matchable = [i for i in range(n) if status[i] == 0 and qual[i] >= 50]
reps, seen = [], set()
for i in matchable:
    if bytes(sha[i]) not in seen:
        seen.add(bytes(sha[i]))
        reps.append(i)


def codes(i):
    """The hashes a row is matched on: the whole image, and inside borders if any."""
    out = [pdq[i]]
    if any(trim[i]) and trimq[i] >= 50:
        out.append(trim[i])
    return out


def rowdist(i, j):
    return min(hamming_bytes(a, b) for a in codes(i) for b in codes(j))


def hash_pairs(c):
    """The pairs a clustering matched on hashes (not through the alignment check)."""
    return {(i, j, d) for i, j, d, a in zip(c["pairs_i"].tolist(), c["pairs_j"].tolist(),
                                          c["pairs_distance"].tolist(), c["pairs_match"].tolist()) if not a}


want = {(i, j, rowdist(i, j)) for a, i in enumerate(reps) for j in reps[a + 1:] if rowdist(i, j) <= 31}
sure = {p for p in want if p[2] <= attrs["confirm_distance"]}
got = list(zip(cl["pairs_i"].tolist(), cl["pairs_j"].tolist(), cl["pairs_distance"].tolist()))
band = [m for p, m in zip(got, cl["pairs_match"].tolist()) if p in want - sure]
ok(hash_pairs(cl) == sure and len(got) == len(set(got)) and all(m == 1 for m in band),
   "hash pairs = brute force over representatives within the confirm distance (%d of %d); "
   "the others only as aligned copies (%d)" % (len(sure), len(want), len(band)),
   (sorted(hash_pairs(cl) ^ sure))[:10])
ok(got == sorted(got), "pairs are sorted by (i, j)")

# The alignment check: pairs beyond 31 (or failing the low-information rule)
# within 90, or found by the centre-crop codes, kept because one thumbnail is
# a crop/rescale of the other; beyond 90 only where a file is dated.
with h5py.File(h5, "r") as f:
    dated = [len(t) >= 19 and bool(s or mk or md) for t, s, mk, md in zip(
        *(f["images/" + k][:].tolist() for k in ("capture_time", "camera_serial", "camera_make", "camera_model")))]
aligned = [(i, j, d) for i, j, d, a in zip(cl["pairs_i"].tolist(), cl["pairs_j"].tolist(),
                                           cl["pairs_distance"].tolist(), cl["pairs_match"].tolist()) if a == 1]
ok(attrs["align_distance"] == 90 and attrs["align_nearest"] == 8 and attrs["crop_distance"] == 8
   and attrs["crop_far_distance"] == 14 and 0 <= attrs["n_crop_far"] <= attrs["n_crop_candidates"]
   and attrs["confirm_distance"] == 15
   and attrs["n_candidates"] >= max(attrs["n_aligned"], attrs["n_crop_candidates"])
   and attrs["n_aligned"] == len(aligned) > 0
   and all((d <= 90 or dated[i] or dated[j]) and (i, j, d) not in sure and i in reps and j in reps
           for i, j, d in aligned),
   "aligned pairs: within 90 (beyond, by the crop codes, only with a dated file), not hash pairs, "
   "between representatives (%d)" % len(aligned), aligned)

# One exposure: candidates whose files name one camera and one capture time to
# a fraction of a second (copies that kept their EXIF) are kept as copies.
with h5py.File(h5, "r") as f:
    meta = [tuple(f["images/" + k][:].tolist()) for k in
            ("capture_time", "camera_make", "camera_model", "camera_serial")]
instant = [(i, j, d) for i, j, d, a in zip(cl["pairs_i"].tolist(), cl["pairs_j"].tolist(),
                                           cl["pairs_distance"].tolist(), cl["pairs_match"].tolist()) if a == 3]


def one_exposure(i, j):
    t = meta[0][i]
    return (len(t) > 20 and t[19:20] == b"." and all(m[i] == m[j] for m in meta)
            and any(m[i] for m in meta[1:]))


ok(attrs["n_instant"] == len(instant) > 0 and all((i, j, d) not in sure and one_exposure(i, j) and i in reps
                                                  and j in reps and d == rowdist(i, j) for i, j, d in instant)
   and all(label[i] == label[j] for i, j, d in instant),
   "one-exposure pairs: not hash pairs, one camera and sub-second time, one shot group (%d)"
   % len(instant), instant)

# Low information: with --quality-min 101 every row is low-information, so a
# pair is kept only when dhash agrees within --verify-distance too.
with h5py.File(h5, "r") as f:
    dh = f["hashes/dhash"][()]
r = doppel("cluster", h5, "--quality-min", "101", "--verify-distance", "0", "--name", "lowinfo", "-q")
lo, loattrs = read(h5, "lowinfo")
lo_want = {(i, j, d) for (i, j, d) in want if bin(int(dh[i]) ^ int(dh[j])).count("1") == 0}
lo_got = hash_pairs(lo)
ok(r.returncode == 0 and lo_got == lo_want and 0 < len(lo_want) < len(want),
   "low-information rows: pairs kept only when dhash agrees exactly (%d of %d)" % (len(lo_want), len(want)),
   r.stderr)
ok(loattrs["verify_hash"] == "dhash" and all(lo["flags"][i] & 1 for i in range(n) if status[i] == 0),
   "every image flagged low-information, verified through dhash")
ok(all(bool(lo["flags"][i] & 8) == any(i in (a, b) for a, b, _ in lo_got) for i in reps),
   "flag 8 marks the low-information representatives matched through verification")
r = doppel("cluster", h5, "--quality-min", "101", "--verify-distance", "-1", "--align-distance", "0",
           "--name", "lowinfo", "-q")
lo, loattrs = read(h5, "lowinfo")
ok(r.returncode == 0 and len(lo["pairs_i"]) == 0 and loattrs["align_distance"] == 0,
   "--verify-distance -1 --align-distance 0: low-information rows are never matched")

# ---- shot groups ---------------------------------------------------------------
def man(i):
    return rows.get(paths[i])


mixed = [(paths[i], paths[j]) for i in range(n) for j in range(i + 1, n)
         if label[i] >= 0 and label[i] == label[j] and man(i) and man(j)
         and man(i)["shot"] != man(j)["shot"]]
ok(not mixed, "no shot group mixes two shots of the manifest", mixed[:5])
orig = {m["shot"]: i for i in range(n) for m in [man(i)] if m and m["kind"] == "original"}
together = missed = 0
for i in range(n):
    m = man(i)
    if not m or m["kind"] not in ("copy", "exact") or status[i] != 0 or m["shot"] not in orig:
        continue
    o = orig[m["shot"]]
    if qual[i] >= 50 and qual[o] >= 50 and rowdist(i, o) <= 31:
        if label[i] == label[o]:
            together += 1
        else:
            missed += 1
ok(together > 10 and missed == 0, "copies within 31 of their original share its group (%d)" % together,
   missed)
p0 = paths.index(os.path.join(corpus.encode(), b"originals/photo_0.jpg"))
p6 = paths.index(os.path.join(corpus.encode(), b"originals/photo_6.jpg"))
ok(label[p0] != label[p6], "photo_6 (another shot of the scene) is not in photo_0's shot group")

# Crops of 7-8% per side are 108 bits from their photo here: out of the
# default reach, found by the centre-crop codes (the photos are dated), or
# with --align-distance 120 without them; another shot of the same scene
# (photo_6, turned and zoomed) stays apart even then.
def row(rel):
    return paths.index(os.path.join(corpus.encode(), rel))


crops = [(row(b"copies/photo_1_crop8.jpg"), row(b"originals/photo_1.jpg")),
         (row(b"copies/photo_2_crop7.jpg"), row(b"originals/photo_2.jpg"))]
ok(all(label[c] == label[o] and rowdist(c, o) > 90 for c, o in crops) and attrs["n_crop_candidates"] > 0,
   "7-8% crops are beyond 90 bits and join their photos through the centre-crop codes",
   [rowdist(c, o) for c, o in crops])
r = doppel("cluster", h5, "--crop-distance", "0", "--name", "nocrop", "-q")
nocrop, nattrs = read(h5, "nocrop")
ok(r.returncode == 0 and nattrs["crop_distance"] == 0 and nattrs["n_crop_candidates"] == 0
   and all(nocrop["label"][c] != nocrop["label"][o] for c, o in crops),
   "--crop-distance 0: they stay apart", r.stderr)
r = doppel("cluster", h5, "--crop-far-distance", "8", "--name", "nofar", "-q")
nofar, fattrs = read(h5, "nofar")
ok(r.returncode == 0 and fattrs["crop_far_distance"] == 8 and fattrs["n_crop_far"] == 0
   and fattrs["n_crop_candidates"] == attrs["n_crop_candidates"] - attrs["n_crop_far"],
   "--crop-far-distance 8 (= --crop-distance): no far crop pairs, the others unchanged",
   (fattrs["n_crop_candidates"], attrs["n_crop_candidates"], attrs["n_crop_far"]))
r = doppel("cluster", h5, "--align-distance", "120", "--crop-distance", "0", "--name", "wide", "-q")
wide, wattrs = read(h5, "wide")
wl = wide["label"]
wmixed = [(i, j) for i, j, a in zip(wide["pairs_i"], wide["pairs_j"], wide["pairs_match"])
          if a and man(i) and man(j) and man(i)["shot"] != man(j)["shot"]]
ok(r.returncode == 0 and wattrs["align_distance"] == 120 and all(wl[c] == wl[o] for c, o in crops),
   "--align-distance 120: the 7-8% crops join their photos", r.stderr)
ok(not wmixed and wl[p0] != wl[p6], "no aligned pair joins two shots; photo_6 stays apart", wmixed)
r = doppel("cluster", h5, "--align-distance", "0", "--name", "hashonly", "-q")
ho, hoattrs = read(h5, "hashonly")
ok(r.returncode == 0 and not ho["pairs_match"].any() and hash_pairs(ho) == want
   and hoattrs["n_aligned_checked"] == 0, "--align-distance 0: hash pairs only, no check run")
nothumb = os.path.join(work, "nothumb.h5")
r = doppel("scan", corpus, "-o", nothumb, "-q", "--hashes", "pdq,dhash")
r2 = doppel("cluster", nothumb, "-q")
nt, ntattrs = read(nothumb, "shot")
r4 = doppel("query", nothumb, os.path.join(corpus, "originals", "photo_0.jpg"), "--align-distance", "90")
ok(r4.returncode == 2 and b"thumbnails" in r4.stderr, "query --align-distance on a scan without thumbnails exits 2",
   r4.stderr)
r4 = doppel("query", h5, os.path.join(corpus, "originals", "photo_0.jpg"), "--align-distance", "90", "--rotations")
ok(r4.returncode == 2 and b"--align-distance" in r4.stderr, "query --align-distance with --rotations exits 2")
r3 = doppel("cluster", nothumb, "--align-distance", "90", "--name", "x")
ok(r.returncode == 0 and r2.returncode == 0 and ntattrs["align_distance"] == 0 and hash_pairs(nt) == want
   and ntattrs["confirm_distance"] == 31, "a scan without thumbnails clusters on hashes alone", r2.stderr)
ok(r3.returncode == 2 and b"thumbnails" in r3.stderr, "--align-distance on a scan without thumbnails exits 2",
   r3.stderr)
nothumbs = os.path.join(work, "lost-thumbs.h5")
shutil.copy(h5, nothumbs)
with h5py.File(nothumbs, "a") as f:
    del f["hashes/thumb"]
before = digest(nothumbs)
r = doppel("cluster", nothumbs, "-q")
ok(r.returncode == 1 and b"/hashes/thumb" in r.stderr and digest(nothumbs) == before,
   "a file that lists thumb but lost /hashes/thumb: exit 1 naming it, file unchanged", r.stderr)
ok(all((label[i] == -1) == (status[i] != 0) for i in range(n)), "label -1 exactly on rows that are not images")
ok(all(((flags[i] & 4) != 0) == (status[i] != 0) for i in range(n)), "flag 4 marks rows that are not images")
ok(all(((flags[i] & 1) != 0) == (status[i] == 0 and qual[i] < 50) for i in range(n)),
   "flag 1 marks low-information hashes (quality < 50)")
sizes, keeper = cl["group_size"], cl["group_keeper"]
ok(len(sizes) == label.max() + 1 and all(sizes[g] == (label == g).sum() for g in range(len(sizes))),
   "group_size counts the members of each label")
first = [min(i for i in range(n) if label[i] == g) for g in range(len(sizes))]
ok(first == sorted(first), "labels are numbered by their first row")


def best(members):
    return sorted(members, key=lambda i: (-int(width[i]) * int(height[i]), -int(size[i]), i))[0]


bad_keeper = [g for g in range(len(sizes)) if keeper[g] != best([i for i in range(n) if label[i] == g])]
ok(not bad_keeper, "keeper = largest resolution, then largest file, then first path", bad_keeper[:5])
ok(all(((flags[i] & 2) != 0) == (label[i] >= 0 and keeper[label[i]] == i) for i in range(n)),
   "flag 2 marks exactly the keepers")
kd = cl["keeper_distance"]
ok(all(kd[i] == (rowdist(i, keeper[label[i]]) if label[i] >= 0 else -1) for i in range(n)),
   "keeper_distance is the PDQ distance to the keeper")
lb = paths.index(os.path.join(corpus.encode(), b"copies/photo_0_letterbox.jpg"))
ok(any(trim[lb]) and hamming_bytes(pdq[lb], pdq[p0]) > 31 and label[lb] == label[p0],
   "the letterbox copy (whole-image PDQ %d from photo_0) joins it through its border-trimmed hash"
   % hamming_bytes(pdq[lb], pdq[p0]))

# ---- scenes, names, determinism ---------------------------------------------------
before = digest(h5)
r = doppel("cluster", h5, "--level", "scene", "-q")
ok(r.returncode == 0, "cluster --level scene", r.stderr)
sc, sattrs = read(h5, "scene")
ok(sc["label"][p0] == sc["label"][p6], "scene level joins photo_0 and photo_6 (same camera, 2 s apart)")
nest = {}
for i in range(n):
    if sc["shot"][i] >= 0:
        nest.setdefault(sc["shot"][i], set()).add(sc["label"][i])
ok(all(len(v) == 1 for v in nest.values()), "every shot group lies inside one scene group")
ok(np.array_equal(sc["shot"], label), "the scene clustering's shot labels are the shot clustering's")
cl2, _ = read(h5, "shot")
ok(all(np.array_equal(cl2[k], cl[k]) for k in cl), "adding /clusters/scene kept /clusters/shot")
sm = sc["pairs_match"]
ok(set(sm.tolist()) <= {0, 1, 2, 3} and all(man(i)["scene"] == man(j)["scene"] for i, j, m in
                                            zip(sc["pairs_i"], sc["pairs_j"], sm) if m == 2 and man(i) and man(j)),
   "scene pairs_match is 0 to 3; scene links (2) join rows of one manifest scene")
# photo_0 and photo_6 are 2 s apart: with --scene-gap 1 only their thumbnails can join them
# (--scene-link-gap 10), and without the alignment check nothing does.
r = doppel("cluster", h5, "--level", "scene", "--scene-gap", "1", "--scene-link-gap", "10", "--name", "s1", "-q")
s1, s1attrs = read(h5, "s1")
links = [(i, j) for i, j, m in zip(s1["pairs_i"], s1["pairs_j"], s1["pairs_match"]) if m == 2]
ok(r.returncode == 0 and s1["label"][p0] == s1["label"][p6] and s1attrs["scene_link_gap_s"] == 10
   and s1attrs["n_scene_links"] == len(links) >= 1,
   "--scene-gap 1 --scene-link-gap 10: photo_0 and photo_6 joined by their thumbnails", links)
r = doppel("cluster", h5, "--level", "scene", "--scene-gap", "1", "--scene-link-gap", "10", "--align-distance", "0",
           "--name", "s1", "-q")
s1, _ = read(h5, "s1")
ok(r.returncode == 0 and s1["label"][p0] != s1["label"][p6] and not (s1["pairs_match"] == 2).any(),
   "... and apart without the alignment check")
with h5py.File(h5, "a") as f:
    del f["clusters/s1"]
# A scene clustering with hash pairs but no candidate to check (nothing to align): it
# once dereferenced the absent match column.
few = os.path.join(work, "few")
os.makedirs(few)
for rel in ("originals/photo_1.jpg", "copies/photo_1.png", "originals/photo_3.jpg"):
    shutil.copy(os.path.join(corpus, rel), few)
fewh5 = os.path.join(work, "few.h5")
r = doppel("scan", few, "-o", fewh5, "-q")
r2 = doppel("cluster", fewh5, "--level", "scene", "-q")
fc, fattrs = read(fewh5, "scene")
ok(r.returncode == 0 and r2.returncode == 0 and len(fc["pairs_i"]) == 1 and fattrs["n_aligned_checked"] == 0
   and fc["label"][0] == fc["label"][1] != fc["label"][2],
   "scene level with a hash pair and no candidate: exit 0, the pair kept", r2.stderr)
r = doppel("cluster", h5, "--name", "one", "-j", "1", "-q")
r2 = doppel("cluster", h5, "--name", "two", "-j", "2", "-q")
a, _ = read(h5, "one")
b, _ = read(h5, "two")
ok(r.returncode == 0 and r2.returncode == 0 and all(np.array_equal(a[k], b[k]) for k in a),
   "-j 1 and -j 2 give identical datasets")
r = doppel("cluster", h5, "--name", "one", "--max-distance", "0", "-q")
a2, at2 = read(h5, "one")
with h5py.File(h5, "r") as f:
    names = sorted(f["clusters"].keys())
ok(r.returncode == 0 and at2["max_distance"] == 0 and names == ["hashonly", "lowinfo", "nocrop", "nofar", "one", "scene", "shot", "two", "wide"],
   "a rerun replaces its own name and keeps the others", names)
r = doppel("cluster", h5, "--hash", "dhash", "--name", "d", "-q")
d, dattrs = read(h5, "d")
ok(r.returncode == 0 and dattrs["hash"] == "dhash" and dattrs["max_distance"] == 8,
   "cluster on dhash (64-bit, default distance 8)", r.stderr)
ok(not [x for x in os.listdir(work) if ".tmp-" in x], "no temporary file left next to the result")
r = doppel("info", h5)
ok(r.returncode == 0 and b"clusters:   d, hashonly, lowinfo, nocrop, nofar, one, scene, shot, two, wide" in r.stdout, "info lists the clusterings",
   r.stdout)

# ---- rotations: stored pixels (--no-orient) turned by 90 and 180 degrees ----------
rot = os.path.join(work, "rot.h5")
r = doppel("scan", corpus, "-o", rot, "-q", "--no-orient", "--hashes", "pdq,dhash,pdqdih")
with h5py.File(rot, "r") as f:
    rpaths = list(f["images/path"][()])
    dih = f["hashes/pdq_dihedral"][()]
    ok(r.returncode == 0 and dih.shape == (len(rpaths), 256)
       and (dih[:, :32] == f["hashes/pdq"][()]).all(), "scan --hashes pdqdih stores the 8 variants, [0] = pdq")
r1 = doppel("cluster", rot, "-q", "--name", "plain")
r2 = doppel("cluster", rot, "-q", "--name", "rot", "--rotations")
pl, _ = read(rot, "plain")
rt, rattrs = read(rot, "rot")
turned = [rpaths.index(os.path.join(corpus.encode(), b)) for b in
          (b"copies/photo_0_orient6.jpg", b"copies/photo_1_orient3.jpg")]
origs = [rpaths.index(os.path.join(corpus.encode(), b)) for b in
         (b"originals/photo_0.jpg", b"originals/photo_1.jpg")]
ok(r1.returncode == 0 and r2.returncode == 0 and rattrs["rotations"] == 1
   and all(pl["label"][t] != pl["label"][o] for t, o in zip(turned, origs))
   and all(rt["label"][t] == rt["label"][o] for t, o in zip(turned, origs)),
   "--rotations groups copies stored turned by 90 and 180 degrees with their photo; without it they stay apart")
rm = [(rpaths[i], rpaths[j]) for i in range(len(rpaths)) for j in range(i + 1, len(rpaths))
      if rt["label"][i] >= 0 and rt["label"][i] == rt["label"][j] and rows.get(rpaths[i]) and rows.get(rpaths[j])
      and rows[rpaths[i]]["shot"] != rows[rpaths[j]]["shot"]]
ok(not rm, "--rotations merges no two shots", rm[:3])
r = doppel("cluster", h5, "--rotations")
ok(r.returncode == 2 and b"pdqdih" in r.stderr, "--rotations without stored variants: exit 2 naming pdqdih", r.stderr)
before = digest(h5)
for args, what in ((["--align-distance", "x"], b"--align-distance"), (["--align-distance", "300"], b"--align-distance"),
                   (["--align-nearest", "-1"], b"--align-nearest"), (["--align-nearest", "8x"], b"--align-nearest"),
                   (["--crop-distance", "64"], b"--crop-distance"), (["--crop-distance", "-1"], b"--crop-distance"),
                   (["--crop-far-distance", "64"], b"--crop-far-distance"),
                   (["--crop-far-distance", "x"], b"--crop-far-distance"),
                   (["--confirm-distance", "257"], b"--confirm-distance"),
                   (["--confirm-distance", "-1"], b"--confirm-distance"),
                   (["--confirm-distance", "10", "--align-distance", "0"], b"alignment check"),
                   (["--scene-link-gap", "-1"], b"--scene-link-gap"), (["--scene-link-gap", "soon"], b"--scene-link-gap"),
                   (["--hash", "dhash", "--align-distance", "20"], b"PDQ")):
    r = doppel("cluster", h5, *args)
    ok(r.returncode == 2 and what in r.stderr and digest(h5) == before,
       "cluster %s: exit 2, file unchanged" % " ".join(args), r.stderr)

# ---- bad input: clear error, non-zero exit, file untouched ----------------------
foreign = os.path.join(work, "foreign.h5")
with h5py.File(foreign, "w") as f:
    f["x"] = np.arange(3)
newer = os.path.join(work, "newer.h5")
shutil.copy(h5, newer)
with h5py.File(newer, "a") as f:
    f.attrs["format_version"] = 99
pdqonly = os.path.join(work, "pdqonly.h5")
doppel("scan", os.path.join(corpus, "originals"), "-o", pdqonly, "-q", "--hashes", "pdq")
text = os.path.join(work, "text.h5")
with open(text, "w") as f:
    f.write("not hdf5\n")
cases = [
    ([os.path.join(work, "missing.h5")], 1, "No such file", None),
    ([text], 1, "not an HDF5 file", text),
    ([foreign], 1, "not a doppel file", foreign),
    ([newer], 1, "unsupported format version 99", newer),
    ([pdqonly, "--hash", "dhash"], 2, "no dhash hashes", pdqonly),
    ([h5, "--hash", "md5"], 2, "--hash", h5),
    ([h5, "--name", "a/b"], 2, "--name", h5),
    ([h5, "--level", "victim"], 2, "--level", h5),
    ([], 2, "exactly one result file", None),
]
for args, code, hint, target in cases:
    before = digest(target) if target else None
    r = doppel("cluster", *args)
    msg = r.stderr.decode("utf-8", "replace")
    ok(r.returncode == code and hint in msg and (target is None or digest(target) == before),
       "cluster %s: exit %d, says '%s', file unchanged" % (" ".join(os.path.basename(a) for a in args), code, hint),
       "rc=%d %s" % (r.returncode, msg))
if os.geteuid() != 0:
    ro = os.path.join(work, "ro")
    os.mkdir(ro)
    shutil.copy(h5, os.path.join(ro, "r.h5"))
    os.chmod(ro, 0o555)
    before = digest(os.path.join(ro, "r.h5"))
    r = doppel("cluster", os.path.join(ro, "r.h5"), "--name", "x")
    os.chmod(ro, 0o755)
    ok(r.returncode == 1 and digest(os.path.join(ro, "r.h5")) == before,
       "a read-only folder: exit 1, file unchanged", r.stderr)

# ---- export -------------------------------------------------------------------------
out = os.path.join(work, "csv")
r = doppel("export", h5, "--csv", out)
ok(r.returncode == 0, "export --csv", r.stderr)
with open(os.path.join(out, "files.csv"), newline="", encoding="utf-8", errors="surrogateescape") as f:
    frows = list(csv.DictReader(f))
ok(len(frows) == n and [os.fsencode(x["path"]) for x in frows] == paths,
   "files.csv: one row per file, paths (newline, invalid UTF-8) intact")
ok(all(int(x["shot.label"]) == label[i] and x["sha256"] == bytes(sha[i]).hex() for i, x in enumerate(frows)),
   "files.csv labels and digests equal the HDF5 datasets")
with open(os.path.join(out, "pairs.csv"), newline="", encoding="utf-8", errors="surrogateescape") as f:
    prows = [x for x in csv.DictReader(f) if x["clustering"] == "shot"]
ok(sorted((int(x["i"]), int(x["j"]), int(x["distance"])) for x in prows) == sorted(got),
   "pairs.csv holds the shot pairs")
ok([x["match"] for x in prows] == [("hash", "copy", "scene", "instant")[m] for m in cl["pairs_match"]],
   "pairs.csv: match says hash, copy or instant as pairs_match does")
with open(os.path.join(out, "groups.csv"), newline="", encoding="utf-8", errors="surrogateescape") as f:
    grows = [x for x in csv.DictReader(f) if x["clustering"] == "shot"]
ok(len(grows) == len(sizes) and all(int(x["size"]) == sizes[k] and int(x["keeper_row"]) == keeper[k]
                                    for k, x in enumerate(grows)), "groups.csv holds sizes and keepers")
jl = os.path.join(work, "all.jsonl")
r = doppel("export", h5, "--jsonl", jl, "--name", "shot")
objs = [json.loads(line) for line in open(jl, encoding="utf-8")]
files = [o for o in objs if o["type"] == "file"]
ok(r.returncode == 0 and len(files) == n and
   [os.fsencode(o["path"]) for o in files] == paths, "export --jsonl: every file, paths round-trip via surrogateescape")
ok(sum(o["type"] == "pair" for o in objs) == len(got) and sum(o["type"] == "group" for o in objs) == len(sizes),
   "export --jsonl: groups and pairs")
r = doppel("export", h5, "--jsonl", jl, "--name", "nope")
ok(r.returncode == 1 and b"no clustering named" in r.stderr, "export of an unknown clustering exits 1")
r = doppel("export", h5)
ok(r.returncode == 2, "export without --csv/--jsonl exits 2")
damaged = os.path.join(work, "damaged.h5")
shutil.copy(h5, damaged)
with h5py.File(damaged, "a") as f:
    f["clusters/shot/label"][0] = 10 ** 6
    del f["clusters/scene/pairs_j"]
for name in ("shot", "scene"):
    r = doppel("export", damaged, "--jsonl", os.path.join(work, "d.jsonl"), "--name", name)
    ok(r.returncode == 1 and b"damaged" in r.stderr, "export of a damaged /clusters/%s exits 1" % name,
       r.stderr)

# ---- examples/load.py picks the clusterings up -------------------------------------
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                "examples"))
import load  # noqa: E402
df = load.load_dataframe(h5)
ok(list(df["shot.label"]) == list(label) and int(df["shot.keeper"].sum()) == len(sizes),
   "examples/load.py: shot.label and shot.keeper columns equal the datasets")

# ---- query --------------------------------------------------------------------------
q = os.path.join(corpus, "originals", "photo_0.jpg")
r = doppel("query", h5, q)
lines = [l.split(b"\t") for l in r.stdout.splitlines() if not l.startswith(b"#")]
ok(r.returncode == 0 and lines and lines[0][0] == b"0", "query: the image itself first, at distance 0", r.stdout)
ok([int(l[0]) for l in lines] == sorted(int(l[0]) for l in lines), "query: best first")
found = {int(l[1]) for l in lines}
ok({i for i in range(n) if label[i] == label[p0] and rowdist(i, p0) <= 31} <= found,
   "query: every member of photo_0's shot group within 31 is listed")
r2 = doppel("query", h5, bytes(pdq[p0]).hex())
ok(r2.returncode == 0 and [l.split(b"\t")[:2] for l in r2.stdout.splitlines()[1:]] ==
   [l[:2] for l in lines if l[-1] != b"(aligned copy)"],
   "query by hex hash gives the same hash matches (a hex hash has no thumbnail to align)")
# Low information (--quality-min 101: every stored row): an image query lists
# a row within 31 only when dhash agrees within 3 too (as cluster), or when
# the thumbnails align; a hex hash, having neither, lists none.
r = doppel("query", h5, q, "--quality-min", "101")
low = [l.split(b"\t") for l in r.stdout.splitlines() if not l.startswith(b"#")]
hashed = [int(l[1]) for l in low if l[-1] != b"(aligned copy)"]
ok(r.returncode == 0 and low and low[0][0] == b"0" and p0 in hashed and
   all(bin(int(dh[i]) ^ int(dh[p0])).count("1") <= 3 for i in hashed),
   "query, low-information rows: hash matches are those whose dhash agrees within 3 (%d)" % len(hashed), low)
qdist = {i: min(hamming_bytes(pdq[p0], c) for c in [pdq[i]] + ([trim[i]] if any(trim[i]) else []))
         for i in range(n) if status[i] == 0 and any(pdq[i])}
ok(set(hashed) == {i for i, d in qdist.items() if d <= 31 and bin(int(dh[i]) ^ int(dh[p0])).count("1") <= 3},
   "query, low-information rows: ... and all of them", sorted(hashed))
r = doppel("query", h5, bytes(pdq[p0]).hex(), "--quality-min", "101")
ok(r.returncode == 0 and not [l for l in r.stdout.splitlines() if not l.startswith(b"#")],
   "query by hex hash: low-information rows are not listed (no second hash to verify)", r.stdout)
# The alignment check: the 8% crop is 108 bits from its photo, found as an
# aligned copy with --align-distance 120 only; --json says how it matched.
crop8 = os.path.join(corpus, "copies", "photo_1_crop8.jpg")
r = doppel("query", h5, crop8, "--align-distance", "120")
r0 = doppel("query", h5, crop8, "--align-distance", "0")
r90 = doppel("query", h5, crop8)
hit = [l.split(b"\t") for l in r.stdout.splitlines() if b"originals/photo_1.jpg" in l]
ok(r.returncode == 0 and hit and int(hit[0][0]) > 90 and hit[0][-1] == b"(aligned copy)"
   and b"originals/photo_1.jpg" not in r0.stdout + r90.stdout,
   "query --align-distance 120: the 8% crop finds its photo as an aligned copy (not at 90, not with 0)",
   r.stdout + r0.stdout)
js = [json.loads(line) for line in doppel("query", h5, crop8, "--align-distance", "120", "--json").stdout.splitlines()]
ok([j["match"] for j in js if j["path"].endswith("originals/photo_1.jpg")] == ["copy"] and
   all(j["match"] == "hash" for j in js if j["distance"] <= 31), "query --json: \"match\" is copy or hash")
other = [l for l in r.stdout.splitlines() if b"(aligned copy)" in l]
ok(all(b"/photo_1" in l for l in other), "query: every aligned copy is one of photo_1 (%d)" % len(other), other)
# ... and with --crop-distance 8 at the default reach, by the centre-crop codes.
rc8 = doppel("query", h5, crop8, "--crop-distance", "8")
hit = [l.split(b"\t") for l in rc8.stdout.splitlines() if b"originals/photo_1.jpg" in l]
ok(rc8.returncode == 0 and hit and int(hit[0][0]) > 90 and hit[0][-1] == b"(aligned copy)"
   and b"or by their crop codes" in rc8.stdout
   and all(b"/photo_1" in l for l in rc8.stdout.splitlines() if b"(aligned copy)" in l),
   "query --crop-distance 8: the 8% crop finds its photo by the crop codes, and only copies of it",
   rc8.stdout)
for args in (["--crop-distance", "64"], ["--crop-distance", "8", "--align-distance", "0"],
             ["--crop-distance", "8", "--rotations"]):
    r = doppel("query", h5, crop8, *args)
    ok(r.returncode == 2 and b"--" in r.stderr, "query %s: exit 2" % " ".join(args), r.stderr)
r = doppel("query", h5, q, "--json")
js = [json.loads(line) for line in r.stdout.splitlines()]
ok(r.returncode == 0 and js and js[0]["distance"] == 0 and "sha256" in js[0], "query --json")
r = doppel("query", h5, os.path.join(work, "nothing.jpg"))
ok(r.returncode == 1 and b"nothing.jpg" in r.stderr, "query of a missing image exits 1 and names it")
# Rotations: hash stored pixels (--no-orient); the orientation-6 copy's stored
# pixels are photo_0 turned, which only --rotations matches.
noor = os.path.join(work, "noorient.h5")
doppel("scan", os.path.join(corpus, "originals"), "-o", noor, "-q", "--no-orient")
turned = os.path.join(corpus, "copies", "photo_0_orient6.jpg")
plain = doppel("query", noor, turned, "--max-distance", "40")
rot = doppel("query", noor, turned, "--rotations", "--max-distance", "40")
hit = [l for l in rot.stdout.splitlines() if l.endswith(b"photo_0.jpg") or b"photo_0.jpg\t(" in l]
ok(rot.returncode == 0 and hit and b"photo_0.jpg" not in plain.stdout,
   "query --rotations matches a turned copy that plain matching misses", rot.stdout + plain.stdout)
done()
