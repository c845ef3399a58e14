#!/usr/bin/python3
"""tests/integration/test_faults.py - damaged files in every way: rows with a status, never a crash.

Starts from the generated corpus's good files and damages them on purpose:
JPEGs truncated at many offsets and with random bytes (with and without
0xFF) written into the scan data, PNG/WebP/GIF/TIFF truncated, a JPEG header
claiming a huge size, files over --max-file-size. Every file must become a
row with the expected status and a message; the scan must exit 0. The seed
is printed; --seed N reproduces a run.

SPDX-License-Identifier: MIT
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import seeded_rng, ok, done, tmpdir, doppel, make_corpus  # noqa: E402

import h5py  # noqa: E402

rng = seeded_rng(20141120)
work = tmpdir("faults")
corpus = make_corpus("tests", os.path.join(work, "corpus"))
faults = os.path.join(work, "faults")
os.mkdir(faults)
expect = {}     # file name -> set of acceptable statuses


def put(name, data, statuses):
    with open(os.path.join(faults, name), "wb") as f:
        f.write(data)
    expect[name] = set(statuses)


def read(rel):
    with open(os.path.join(corpus, rel), "rb") as f:
        return f.read()


jpeg = read("originals/photo_0.jpg")
sos = jpeg.index(b"\xff\xda")
scan = sos + 2 + int.from_bytes(jpeg[sos + 2:sos + 4], "big")
# Truncations: inside the headers, at the scan start, throughout the scan.
for k, cut in enumerate([2, 20, sos, scan + 10] + sorted(rng.sample(range(scan + 20, len(jpeg) - 2), 8))):
    put("jpeg_cut_%02d_%d.jpg" % (k, cut), jpeg[:cut], {"truncated", "corrupt"})
# Random bytes in the scan data, never 0xFF (no fake markers). Huffman codes
# resynchronise, so some such damage decodes without any decoder complaint
# and cannot be told from a real picture: those may be ok, but most must be
# caught (checked below).
NOISE = 16
for k in range(NOISE):
    at = rng.randrange(scan + (len(jpeg) - scan) // 5, len(jpeg) - 200)
    junk = bytes(rng.randrange(0, 255) for _ in range(64))
    put("jpeg_noise_%02d.jpg" % k, jpeg[:at] + junk + jpeg[at + 64:], {"corrupt", "truncated", "ok"})
for k in range(4):
    at = rng.randrange(scan + 100, len(jpeg) - 200)
    put("jpeg_marker_%d.jpg" % k, jpeg[:at] + b"\xff\xd9" + jpeg[at + 2:], {"corrupt", "truncated"})
# A JPEG header that claims 60000 x 60000 pixels: refused before decoding.
sof = max(jpeg.find(b"\xff\xc0"), jpeg.find(b"\xff\xc2"))
big = bytearray(jpeg)
big[sof + 5:sof + 9] = (60000).to_bytes(2, "big") + (60000).to_bytes(2, "big")
put("jpeg_huge_header.jpg", bytes(big), {"too_large"})
# Other formats truncated.
for rel in ("copies/photo_1.png", "copies/photo_1.webp", "copies/photo_2.gif", "copies/photo_2.tif"):
    data = read(rel)
    name = "cut_" + os.path.basename(rel)
    put(name, data[:len(data) // 2], {"truncated", "corrupt"})
# Only the first bytes of formats: the header cannot even be read.
for rel in ("copies/photo_1.png", "copies/photo_1.webp"):
    data = read(rel)
    put("stub_" + os.path.basename(rel), data[:12], {"truncated", "corrupt", "not_image"})

out = os.path.join(work, "faults.h5")
r = doppel("scan", faults, "-o", out, "-q", "--hashes", "all")
ok(r.returncode == 0, "scan of %d damaged files exits 0" % len(expect), r.stderr)
with h5py.File(out, "r") as f:
    names = {v: k for k, v in h5py.check_enum_dtype(f["images/status"].dtype).items()}
    rows = {os.path.basename(p).decode(): (names[int(s)], m.decode("utf-8", "replace"), bytes(h))
            for p, s, m, h in zip(f["images/path"], f["images/status"], f["images/message"],
                                  f["hashes/pdq"])}
ok(set(rows) == set(expect), "one row per damaged file")
for name, statuses in sorted(expect.items()):
    st, msg, h = rows.get(name, ("missing", "", b""))
    if st == "ok" and "ok" in statuses:
        ok(h != bytes(32), "%s: undetectable damage, hashed like a picture" % name)
        continue
    ok(st in statuses and msg != "" and h == bytes(32),
       "%s: %s with a message, no hash" % (name, "/".join(sorted(statuses))), "%s: %s" % (st, msg))
caught = sum(rows[n][0] != "ok" for n in expect if n.startswith("jpeg_noise"))
print("# random scan damage detected in %d of %d files" % (caught, NOISE))
ok(caught >= NOISE * 3 // 4, "most random scan-data damage is detected (%d/%d)" % (caught, NOISE))

# --max-file-size: digest only, status too_large for images.
out2 = os.path.join(work, "limit.h5")
r = doppel("scan", os.path.join(corpus, "originals"), "-o", out2, "-q", "--max-file-size", "10K")
with h5py.File(out2, "r") as f:
    st = [names[int(s)] for s in f["images/status"]]
    sha = f["images/sha256"][()]
    msgs = [m.decode() for m in f["images/message"]]
ok(r.returncode == 0 and st and all(s == "too_large" for s in st), "--max-file-size: too_large rows", st)
ok(all(any(row) for row in sha), "--max-file-size: every file still gets its SHA-256")
ok(all("max-file-size" in m for m in msgs), "--max-file-size: message names the option", msgs[:2])

# --max-pixels below the photos' size: too_large, dimensions still recorded.
out3 = os.path.join(work, "pixels.h5")
r = doppel("scan", os.path.join(corpus, "originals"), "-o", out3, "-q", "--max-pixels", "1000")
with h5py.File(out3, "r") as f:
    st = [names[int(s)] for s in f["images/status"]]
    w = f["images/width"][()]
ok(r.returncode == 0 and all(s == "too_large" for s in st) and all(w > 0),
   "--max-pixels: too_large rows with the stored size", st)

done()
