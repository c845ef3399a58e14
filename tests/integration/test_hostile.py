#!/usr/bin/python3
"""tests/integration/test_hostile.py - hostile inputs and conditions: the scan completes, bounded.

Complements test_faults.py (damaged bytes) and test_scan.py (the fixture
corpus with odd names, symlink loops, FIFOs, unreadable files) with:
  - images made by hand here: a palette PNG, an animated GIF (first frame
    hashed), a PNG header claiming 100000 x 100000 pixels;
  - a 2 GB file (sparse) with a JPEG header: digest only, status too_large;
  - files deleted and rewritten while the scan runs (rows, never a crash);
  - --time-limit: decoding stopped, status timeout, the scan goes on;
  - peak resident memory of the scan over all of it, measured (wait4) and
    bounded;
  - the evidence is not touched: content, size, mtime and atime (where the
    file system updates atime) of every input after scan, cluster, query,
    export, verify and report.
The seed is printed; --seed N reproduces a run.

SPDX-License-Identifier: MIT
"""
import os
import struct
import subprocess
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import snapshot, seeded_rng, DOPPEL, ok, done, tmpdir, doppel, make_corpus  # noqa: E402

import h5py  # noqa: E402

rng = seeded_rng()
RSS_LIMIT_MB = 512
work = tmpdir("hostile")
corpus = make_corpus("tests", os.path.join(work, "corpus"))
hostile = os.path.join(work, "hostile")
os.mkdir(hostile)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def palette_png(w, h):
    pal = bytes(c for i in range(16) for c in (i * 16, 255 - i * 16, (i * 37) % 256))
    rows = b"".join(b"\0" + bytes(((x // 8) + (y // 6)) % 16 for x in range(w)) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
            + png_chunk(b"PLTE", pal) + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b""))


def huge_png():
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))


def gif_lzw(pixels):
    """LZW with 8-bit literals only: a clear code every 250 codes keeps the width at 9 bits."""
    codes = []
    for i, p in enumerate(pixels):
        if i % 250 == 0:
            codes.append(256)
        codes.append(p)
    codes.append(257)
    bits = nbits = 0
    out = bytearray()
    for c in codes:
        bits |= c << nbits
        nbits += 9
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 0xFF)
    blocks = b"".join(bytes([len(out[i:i + 255])]) + bytes(out[i:i + 255]) for i in range(0, len(out), 255))
    return b"\x08" + blocks + b"\0"


def animated_gif(w, h, frames):
    table = bytes(c for i in range(256) for c in (i, (i * 7) % 256, 255 - i))
    out = b"GIF89a" + struct.pack("<HHBBB", w, h, 0xF7, 0, 0) + table
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for k in range(frames):
        pix = [((x + 13 * k) // 4 * 16 + y // 4) % 256 for y in range(h) for x in range(w)]
        out += b"\x21\xf9\x04\x04\x0a\x00\x00\x00"      # 0.1 s per frame
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, w, h, 0) + gif_lzw(pix)
    return out + b"\x3b"


def put(name, data):
    with open(os.path.join(hostile, name), "wb") as f:
        f.write(data)


put("palette.png", palette_png(96, 64))
put("animated.gif", animated_gif(80, 60, 3))
put("huge_header.png", huge_png())
jpeg = open(os.path.join(corpus, "originals", "photo_0.jpg"), "rb").read()
with open(os.path.join(hostile, "two_gigabytes.jpg"), "wb") as f:
    f.write(jpeg[:2000])
    f.truncate(2 * 1024 ** 3)       # sparse: costs no disk


def scan_measured(args, during=None):
    """Run doppel scan; returns (returncode, stderr, peak RSS in MB) via wait4."""
    p = subprocess.Popen([DOPPEL, "scan"] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t = threading.Thread(target=during, args=(p,)) if during else None
    if t:
        t.start()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if t:
        t.join()
    return p.returncode, err.decode(errors="replace"), usage.ru_maxrss / 1024.0


def rows_of(h5):
    with h5py.File(h5, "r") as f:
        names = {v: k for k, v in h5py.check_enum_dtype(f["images/status"].dtype).items()}
        return {os.path.basename(p).decode(errors="surrogateescape"):
                (names[int(s)], m.decode(errors="replace"), int(w), int(h), bytes(sha), bytes(pdq))
                for p, s, m, w, h, sha, pdq in zip(f["images/path"], f["images/status"], f["images/message"],
                                                   f["images/width"], f["images/height"],
                                                   f["images/sha256"], f["hashes/pdq"])}


# ---- odd but valid images, a claimed bomb, a 2 GB file ------------------------
out = os.path.join(work, "hostile.h5")
rc, err, rss = scan_measured([hostile, "-o", out, "-q", "-j", "2"])
ok(rc == 0, "scan of the hand-made files exits 0", err)
rows = rows_of(out)
st = {k: v[0] for k, v in rows.items()}
ok(st.get("palette.png") == "ok" and rows["palette.png"][2:4] == (96, 64) and rows["palette.png"][5] != bytes(32),
   "palette PNG: ok, 96x64, hashed", rows.get("palette.png"))
ok(st.get("animated.gif") == "ok" and rows["animated.gif"][2:4] == (80, 60),
   "animated GIF: ok, 80x60 (the first frame)", rows.get("animated.gif"))
ok(st.get("huge_header.png") == "too_large" and rows["huge_header.png"][2] == 100000
   and "max-pixels" in rows["huge_header.png"][1],
   "PNG claiming 100000x100000: too_large before decoding, the claimed size recorded", rows.get("huge_header.png"))
big = rows.get("two_gigabytes.jpg", ("missing", "", 0, 0, b"", b""))
ok(big[0] == "too_large" and big[4] != bytes(32) and "max-file-size" in big[1],
   "2 GB file: too_large, still identified by SHA-256", big[:2])
print("# peak RSS, hand-made files incl. 2 GB: %.0f MB" % rss)
ok(rss < RSS_LIMIT_MB, "peak RSS %.0f MB < %d MB with a 2 GB input" % (rss, RSS_LIMIT_MB))

# ---- files deleted and rewritten during the scan --------------------------------
moving = os.path.join(work, "moving")
os.mkdir(moving)
N = 240
for i in range(N):
    with open(os.path.join(moving, "f%04d.jpg" % i), "wb") as f:
        f.write(jpeg)
names = sorted(os.listdir(moving))
doomed = set(names[N // 2:])                         # the later half, deleted
rewritten = set(rng.sample(names[N // 4:N // 2], 20))  # rewritten shorter
out_moving = os.path.join(work, "moving.h5")


def vandal(p):
    deadline = time.time() + 30
    tmp = "%s.tmp-%d" % (out_moving, p.pid)         # created after the walk
    while not os.path.exists(tmp) and time.time() < deadline and p.poll() is None:
        time.sleep(0.001)
    for n in sorted(doomed, reverse=True):
        os.unlink(os.path.join(moving, n))
    for n in rewritten:
        with open(os.path.join(moving, n), "wb") as f:
            f.write(jpeg[:len(jpeg) // 3])


rc, err, rss2 = scan_measured([moving, "-o", out_moving, "-q", "-j", "2", "--exact"], during=vandal)
ok(rc == 0, "scan while files vanish and change exits 0", err)
rows = rows_of(out_moving)
ok(sorted(rows) == names, "one row per file the walk found (%d)" % len(rows))
allowed = {"ok", "unreadable", "changed", "truncated", "corrupt"}
odd = {n: v[:2] for n, v in rows.items() if v[0] not in allowed or (v[0] != "ok" and not v[1])}
ok(not odd, "every row is ok or says why it is not", list(odd.items())[:3])
gone = [n for n in doomed if rows[n][0] == "unreadable"]
print("# %d of %d deleted files were recorded as unreadable (the rest were read before)" % (len(gone), len(doomed)))
ok(all("No such file" in rows[n][1] for n in gone), "vanished files: message names the cause",
   [rows[n][1] for n in gone[:2]])
ok(all(rows[n][0] in ("ok", "unreadable") for n in doomed), "deleted files: hashed before, or unreadable")
ok(len(gone) >= len(doomed) // 2, "most deleted files vanished before they were read (%d)" % len(gone))

# ---- per-file time limit --------------------------------------------------------
out_tl = os.path.join(work, "limit.h5")
rc, err, _ = scan_measured([os.path.join(corpus, "originals"), os.path.join(corpus, "copies"),
                            "-o", out_tl, "-q", "--time-limit", "0.00001"])
rows = rows_of(out_tl)
timeouts = [n for n, v in rows.items() if v[0] == "timeout"]
ok(rc == 0 and len(timeouts) >= len(rows) // 2, "--time-limit 10 us: the scan completes, decodes stopped "
   "(%d of %d timeout)" % (len(timeouts), len(rows)), err)
ok(all("--time-limit" in rows[n][1] and rows[n][5] == bytes(32) and rows[n][4] != bytes(32) for n in timeouts),
   "timeout rows: message names the option, no hash, SHA-256 kept")
r = doppel("scan", os.path.join(corpus, "originals"), "-o", os.path.join(work, "nolimit.h5"), "-q",
           "--time-limit", "0")
ok(r.returncode == 0 and all(v[0] == "ok" for v in rows_of(os.path.join(work, "nolimit.h5")).values()),
   "--time-limit 0: no limit")
r = doppel("scan", corpus, "-o", os.path.join(work, "x.h5"), "--time-limit", "-1")
ok(r.returncode == 2 and b"--time-limit" in r.stderr, "--time-limit -1: usage error", r.stderr)
print("# peak RSS, moving files: %.0f MB" % rss2)

# ---- the evidence is not touched --------------------------------------------------


def atimes(top):
    return {os.path.join(d, n): os.lstat(os.path.join(d, n)).st_atime_ns
            for d, _, files in os.walk(top) for n in files}


evidence = os.path.join(corpus, "originals")
old = 1400000000 * 10 ** 9          # 2014: an atime relatime would refresh on any read
for n in os.listdir(evidence):
    p = os.path.join(evidence, n)
    os.utime(p, ns=(old, os.stat(p).st_mtime_ns))
probe = os.path.join(work, "atime_probe")
with open(probe, "wb") as f:
    f.write(b"x" * 100)
os.utime(probe, ns=(old, old))
with open(probe, "rb") as f:        # an ordinary read, without O_NOATIME
    f.read()
fs_keeps_atime = os.stat(probe).st_atime_ns != old
before, a_before = snapshot(evidence), atimes(evidence)
res = os.path.join(work, "evidence.h5")
steps = [("scan", doppel("scan", evidence, "-o", res, "-q")),
         ("cluster", doppel("cluster", res, "-q")),
         ("query", doppel("query", res, os.path.join(evidence, "photo_1.jpg"))),
         ("export", doppel("export", res, "--csv", os.path.join(work, "csv"))),
         ("verify", doppel("verify", res, "-q")),
         ("report", doppel("report", res, "-o", os.path.join(work, "report"), "-q"))]
ok(all(r.returncode == 0 for _, r in steps), "scan, cluster, query, export, verify, report succeed",
   [(n, r.stderr[:200]) for n, r in steps if r.returncode])
ok(snapshot(evidence) == before, "inputs unchanged after all of them: content, size, mtime")
if fs_keeps_atime:
    ok(atimes(evidence) == a_before, "atime unchanged too (files opened with O_NOATIME)")
else:
    print("# this file system does not update atime on reads: atime check not applicable")
done()
