#!/usr/bin/python3
"""tests/integration/test_scan.py - doppel scan end to end on a generated corpus.

Generates the fixture corpus (originals, copies in every format, bad files,
odd names, links, a FIFO) with build/tests/mkfixtures, scans it, and checks
every row against the manifest and the file system: statuses and messages,
SHA-256/size/mtime, stored dimensions, EXIF capture metadata, hash distances
(copies close, different photos far), determinism across thread counts,
the HDF5 contract (datasets, attributes, filters) and that the inputs were
not touched.

SPDX-License-Identifier: MIT
"""
import hashlib
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import (snapshot, ok, done, tmpdir, doppel, make_corpus, manifest, load,  # noqa: E402
                    hamming_bytes, hamming64)

import h5py  # noqa: E402
import numpy as np  # noqa: E402

work = tmpdir("scan")
corpus = make_corpus("tests", os.path.join(work, "corpus"))
rows = manifest(corpus)
by_path = {os.path.join(corpus.encode(), r["path"]): r for r in rows}
root = os.geteuid() == 0

before = snapshot(corpus)
out1 = os.path.join(work, "j1.h5")
r = doppel("scan", corpus, "-o", out1, "-j", "1", "--hashes", "all", "--quiet")
ok(r.returncode == 0, "scan -j1 exits 0", r.stderr.decode(errors="replace"))
ok(r.stderr == b"", "--quiet prints nothing", r.stderr.decode(errors="replace"))
ds, attrs = load(out1)
paths = list(ds["/images/path"])
status = ds["/images/status"]
with h5py.File(out1, "r") as f:
    status_names = {v: k for k, v in h5py.check_enum_dtype(f["images/status"].dtype).items()}
    filters_ok = all(
        f[n].compression == "gzip" and f[n].shuffle and f[n].chunks is not None
        and not f[n].fletcher32 and f[n].scaleoffset is None
        and set(f[n]._filters.keys()) <= {"gzip", "shuffle"}
        for n in ("images/path", "images/sha256", "images/status", "hashes/pdq", "hashes/phash"))
ok(filters_ok, "datasets are chunked and use only shuffle + deflate")


def st_name(i):
    return status_names.get(int(status[i]), "?")


n = len(paths)
ok(all(len(v) == n for v in ds.values()), "every dataset has one row per file")
ok(paths == sorted(paths), "rows are sorted by path bytes")
ok(len(set(paths)) == n, "no path appears twice")
for k in ("format", "format_version", "tool_version", "command", "created", "finished",
          "host", "roots", "hashes", "libraries"):
    ok(k in attrs, "root attribute %s present" % k)
ok(attrs.get("format") == "doppel" and int(attrs.get("format_version", 0)) == 1,
   "format is doppel version 1")
ok(attrs.get("hashes") == "pdq,phash,dhash,ahash,thumb", "hashes attribute lists what was computed",
   attrs.get("hashes"))
ok(list(attrs.get("roots", [])) == [corpus], "roots attribute holds the command-line path",
   attrs.get("roots"))

index = {p: i for i, p in enumerate(paths)}
missing = [p for p in by_path if p not in index]
ok(not missing, "every manifest entry is a row", missing[:5])

# Statuses: ok files ok, bad files with the documented status and a message.
want_bad = {"empty": "empty", "truncated": "truncated", "corrupt": "corrupt",
            "text": "not_image", "bomb": "too_large", "random": "not_image"}
bad_seen = set()
for p, m in by_path.items():
    if p not in index:
        continue
    i = index[p]
    msg = ds["/images/message"][i].decode("utf-8", "replace")
    if m["expect"] == "ok":
        ok(st_name(i) == "ok", "ok file %r is status ok" % p[len(corpus) + 1:],
           "status %s: %s" % (st_name(i), msg))
    elif m["expect"] == "error":
        want = None
        for key, s in want_bad.items():
            if key in m["transform"]:
                want = s
        bad_seen.add(want)
        ok(st_name(i) != "ok" and msg != "", "bad file %r has an error status and a message"
           % p[len(corpus) + 1:], "status %s: %s" % (st_name(i), msg))
        if want:
            ok(st_name(i) == want, "bad file %r is %s" % (p[len(corpus) + 1:], want),
               "status %s: %s" % (st_name(i), msg))
ok({"empty", "truncated", "corrupt", "not_image", "too_large"} <= bad_seen,
   "the corpus exercised every kind of bad file", bad_seen)

# Special entries: not followed, not opened.
for p, m in by_path.items():
    if m["kind"] != "special" or p not in index:
        continue
    i = index[p]
    name = os.path.basename(p)
    if os.path.islink(p):
        ok(st_name(i) == "symlink", "symlink %r is listed, not followed" % name, st_name(i))
    elif name == b"pipe.jpg":
        ok(st_name(i) == "not_regular", "FIFO is not_regular (never opened)", st_name(i))
    elif name == b"locked.jpg":
        ok(st_name(i) == ("ok" if root else "unreadable"),
           "chmod 000 file is %s" % ("readable by root" if root else "unreadable"), st_name(i))

# Identity columns against the file system.
bad_id = []
for i, p in enumerate(paths):
    if st_name(i) in ("symlink", "not_regular", "loop") or not os.path.isfile(p):
        continue
    st = os.stat(p)
    try:
        with open(p, "rb") as f:
            digest = hashlib.sha256(f.read()).digest()
    except OSError:
        continue
    if st_name(i) == "unreadable":
        continue
    if (bytes(ds["/images/sha256"][i]) != digest or int(ds["/images/size"][i]) != st.st_size
            or int(ds["/images/mtime"][i]) != st.st_mtime_ns):
        bad_id.append(p)
ok(not bad_id, "sha256, size and mtime match the files", bad_id[:5])

# Dimensions and EXIF capture metadata as written by the generator.
dim_bad, exif_bad = [], []
for p, m in by_path.items():
    if p not in index or m["expect"] != "ok" or not m.get("width"):
        continue
    i = index[p]
    if (int(ds["/images/width"][i]), int(ds["/images/height"][i])) != (int(m["width"]), int(m["height"])):
        dim_bad.append((p, ds["/images/width"][i], ds["/images/height"][i], m["width"], m["height"]))
    if m.get("capture_time"):
        got = (ds["/images/capture_time"][i].decode(), ds["/images/camera_make"][i].decode(),
               ds["/images/camera_model"][i].decode(), ds["/images/camera_serial"][i].decode())
        want = (m["capture_time"], m["make"], m["model"], m["serial"])
        if got != want:
            exif_bad.append((p, got, want))
ok(not dim_bad, "width/height are the stored dimensions", dim_bad[:5])
ok(not exif_bad, "capture time, make, model and serial read from EXIF", exif_bad[:5])
ok(any(m.get("capture_time") for m in by_path.values()), "the corpus has EXIF capture metadata")

# Format column from content, not name.
fmt_bad = [(p, ds["/images/format"][index[p]], m["format"]) for p, m in by_path.items()
           if p in index and m["expect"] == "ok" and m.get("format")
           and ds["/images/format"][index[p]].decode() != m["format"]]
ok(not fmt_bad, "format column says what the content is, whatever the name", fmt_bad[:5])

# Hash distances: copies close to their original, different photos far apart.
originals = {}
for p, m in by_path.items():
    if m["kind"] == "original" and p in index:
        originals[int(m["shot"])] = index[p]
pdq = ds["/hashes/pdq"]
phash = ds["/hashes/phash"]
quality = ds["/hashes/pdq_quality"]
ok(all(quality[i] >= 50 for i in originals.values()), "originals have PDQ quality >= 50",
   [int(quality[i]) for i in originals.values()])
far = [(a, b, hamming_bytes(pdq[originals[a]], pdq[originals[b]]))
       for a in originals for b in originals if a < b]
ok(far and min(d for _, _, d in far) > 64, "different photos are far apart (PDQ > 64)", far)
far_p = [hamming64(phash[originals[a]], phash[originals[b]]) for a in originals for b in originals if a < b]
ok(min(far_p) > 12, "different photos are far apart (pHash > 12)", far_p)
close_bad = []
for p, m in by_path.items():
    if m["kind"] not in ("copy", "exact") or m["expect"] != "ok" or p not in index:
        continue
    if "crop" in m["transform"] or "letterbox" in m["transform"]:
        continue        # global hashes do not survive crops or borders (DESIGN.md)
    o = originals.get(int(m["shot"]))
    if o is None:
        continue
    d = hamming_bytes(pdq[index[p]], pdq[o])
    dp = hamming64(phash[index[p]], phash[o])
    if d > 31 or dp > 10:
        close_bad.append((m["transform"], d, dp))
ok(not close_bad, "copies (re-encode, resize, formats, orientation) within PDQ 31 / pHash 10",
   close_bad)
trim = ds["/hashes/pdq_trim"]
lb = [index[p] for p, m in by_path.items() if "letterbox" in m["transform"] and p in index]
ok(len(lb) == 1 and hamming_bytes(trim[lb[0]], pdq[originals[0]]) <= 8
   and hamming_bytes(pdq[lb[0]], pdq[originals[0]]) > 31,
   "letterbox copy: whole-image PDQ far, border-trimmed PDQ within 8 of the original",
   [(hamming_bytes(trim[i], pdq[originals[0]]), hamming_bytes(pdq[i], pdq[originals[0]])) for i in lb])
ok(all(not any(trim[i]) for i in originals.values()), "originals (no border) have no trimmed hash")
exact = [p for p, m in by_path.items() if m["kind"] == "exact" and p in index]
ok(exact and all(hamming_bytes(pdq[index[p]], pdq[originals[int(by_path[p]["shot"])]]) == 0
                 for p in exact), "exact copies have identical hashes")

# `doppel hash` (the public API) prints exactly what scan stored.
orig_paths = sorted(p for p, m in by_path.items() if m["kind"] == "original" and p in index)
r = doppel("hash", "--hashes", "all", *orig_paths)
lines = r.stdout.decode().splitlines()
want = []
for p in orig_paths:
    i = index[p]
    want.append("%s\t%d\t%016x\t%016x\t%016x\t%s" % (bytes(pdq[i]).hex(), quality[i], int(phash[i]),
                int(ds["/hashes/dhash"][i]), int(ds["/hashes/ahash"][i]), p.decode()))
ok(r.returncode == 0 and lines == want, "doppel hash prints the hashes scan stored",
   "\n".join(lines[:2] + want[:2]))

# Same content whatever the thread count.
out2 = os.path.join(work, "j2.h5")
r = doppel("scan", corpus, "-o", out2, "-j", "2", "--hashes", "all", "--quiet")
ok(r.returncode == 0, "scan -j2 exits 0", r.stderr)
ds2, attrs2 = load(out2)
same = set(ds) == set(ds2) and all(np.array_equal(ds[k], ds2[k]) for k in ds)
ok(same, "-j1 and -j2 give identical datasets",
   [k for k in ds if k not in ds2 or not np.array_equal(ds[k], ds2[k])])

# Roots given in another order, and twice, give the same rows.
sub = sorted(d for d in os.listdir(corpus) if os.path.isdir(os.path.join(corpus, d)))
if len(sub) >= 2:
    out3 = os.path.join(work, "order.h5")
    args = [os.path.join(corpus, d) for d in reversed(sub)] + [os.path.join(corpus, sub[0])]
    r = doppel("scan", *args, "-o", out3, "--quiet")
    ds3, _ = load(out3)
    want_paths = sorted(p for p in paths if any(p.startswith(os.path.join(corpus, d).encode() + b"/") for d in sub))
    ok(r.returncode == 0 and list(ds3["/images/path"]) == want_paths,
       "root order and repeated roots do not change the rows")

# The file system's directory order: the same files created in opposite
# orders (tmpfs and ext4 list them differently) give the same datasets.
fwd, rev = os.path.join(work, "order-a", "set"), os.path.join(work, "order-b", "set")
src = [os.path.join(corpus, "originals", f) for f in sorted(os.listdir(os.path.join(corpus, "originals")))]
for d, files in ((fwd, src), (rev, list(reversed(src)))):
    os.makedirs(d)
    for f in files:
        shutil.copyfile(f, os.path.join(d, os.path.basename(f)))
        os.utime(os.path.join(d, os.path.basename(f)), ns=(10 ** 18, 10 ** 18))
oa, ob = os.path.join(work, "order-a.h5"), os.path.join(work, "order-b.h5")
ra = doppel("scan", os.path.join(work, "order-a", "set"), "-o", oa, "-q")
rb = doppel("scan", os.path.join(work, "order-b", "set"), "-o", ob, "-q", "-j", "1")
da, _ = load(oa)
db, _ = load(ob)
da["/images/path"] = [p.replace(b"order-a", b"order-b") for p in da["/images/path"]]
diff = [k for k in da if k not in db or not np.array_equal(np.asarray(da[k]), np.asarray(db[k]))]
ok(ra.returncode == 0 and rb.returncode == 0 and not diff and len(db["/images/path"]) == len(src),
   "files created in opposite orders (directory order) give identical datasets", diff)

# Default hashes: pdq, phash, dhash (cluster verifies low-information PDQ
# matches with dhash) and the thumbnails of the alignment check.
out4 = os.path.join(work, "default.h5")
r = doppel("scan", corpus, "-o", out4, "--quiet")
ds4, attrs4 = load(out4)
ok(r.returncode == 0 and "/hashes/pdq" in ds4 and "/hashes/phash" in ds4
   and "/hashes/dhash" in ds4 and "/hashes/ahash" not in ds4
   and "/hashes/thumb" in ds4 and attrs4.get("hashes") == "pdq,phash,dhash,thumb",
   "default hashes are pdq, phash, dhash and thumb", sorted(ds4))
th, st4 = ds4["/hashes/thumb"], ds4["/images/status"]
ok(th.shape == (len(st4), 4096) and th.dtype == np.uint8, "thumbnails are N x 4096 bytes", th.shape)
ok(all(th[i].any() == (st4[i] == 0) for i in range(len(st4))),
   "a thumbnail exactly for every decoded file (zeros otherwise)")
tg, to = ds4.get("/hashes/thumb_gain"), ds4.get("/hashes/thumb_offset")
with h5py.File(out4, "r") as f:
    tone_types = [f["hashes/" + k].dtype for k in ("thumb_gain", "thumb_offset")]
ok(tg is not None and to is not None and tg.shape == to.shape == (len(st4),)
   and tone_types == [np.float32, np.float32], "thumb_gain and thumb_offset: one float32 per row", tone_types)
dec = st4 == 0
ok(dec.any() and np.all((tg[dec] >= 1) & (tg[dec] <= 16)) and not tg[~dec].any() and not to[~dec].any(),
   "the stretch's gain is 1..16 for every decoded file, gain and offset 0 otherwise",
   sorted(set(np.round(tg, 2)))[:8])
span = th.max(axis=1).astype(int) - th.min(axis=1)
ok(all(span[i] >= 254 or tg[i] == 16 or span[i] == 0 for i in np.flatnonzero(dec)),
   "each thumbnail spans the full range unless its gain reached 16 (or it is flat)",
   [(int(span[i]), float(tg[i])) for i in np.flatnonzero(dec) if span[i] < 254 and tg[i] != 16][:5])

# --follow-symlinks: the file link is read, the loop is detected.
out5 = os.path.join(work, "follow.h5")
r = doppel("scan", corpus, "-o", out5, "--follow-symlinks", "--quiet")
ok(r.returncode == 0, "scan --follow-symlinks terminates and exits 0", r.stderr)
ds5, _ = load(out5)
with h5py.File(out5, "r") as f:
    names5 = {v: k for k, v in h5py.check_enum_dtype(f["images/status"].dtype).items()}
st5 = {p: names5[int(s)] for p, s in zip(ds5["/images/path"], ds5["/images/status"])}
links = [p for p, m in by_path.items() if m["kind"] == "special" and os.path.islink(p)
         and os.path.isfile(p)]
ok(links and all(st5.get(p) == "ok" for p in links), "followed symlink to a photo is hashed",
   [(p, st5.get(p)) for p in links])
ok("loop" in st5.values(), "symlink loop reported as status loop", sorted(set(st5.values())))

# The evidence was not touched.
after = snapshot(corpus)
ok(before == after, "input files unchanged (content, size, mtime)",
   [p for p in before if before[p] != after.get(p)][:5])
leftovers = [f for f in os.listdir(work) if ".tmp-" in f]
ok(not leftovers, "no temporary files left next to the outputs", leftovers)

done()
