#!/usr/bin/python3
"""tests/integration/test_shard.py - scan --shard K/N + merge equals one scan; merge refuses strangers.

For N = 1, 2, 3, 7 (and more shards than files) the fixture corpus is
scanned in N shards, the parts are merged in a shuffled order, and every
dataset of the result must equal that of a single scan. Shards must cover
the file list contiguously and about evenly by bytes. merge refuses: a
missing or repeated shard, shards of another scan (other inputs, other
options), a whole scan, a damaged part, an existing output; none of these
creates the output. A shard scan resumes like any other scan. The seed is
printed; --seed N reproduces a run.

SPDX-License-Identifier: MIT
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import photo_folders, seeded_rng, DOPPEL, ok, done, tmpdir, doppel, make_corpus, load  # noqa: E402

import h5py  # noqa: E402
import numpy  # noqa: E402

rng = seeded_rng()
work = tmpdir("shard")
corpus = make_corpus("tests", os.path.join(work, "corpus"))
ref = os.path.join(work, "ref.h5")
r = doppel("scan", corpus, "-o", ref, "-q", "--hashes", "all,pdqdih")
ok(r.returncode == 0, "reference scan", r.stderr)
ref_ds = load(ref)[0]
nrows = len(ref_ds["/images/path"])


def differs(path):
    ds = load(path)[0]
    return [k for k in sorted(set(ds) | set(ref_ds))
            if k not in ds or k not in ref_ds or not numpy.array_equal(ds[k], ref_ds[k])]


def shards(n, tag, *extra, roots=(corpus,)):
    parts = []
    for k in rng.sample(range(1, n + 1), n):       # any order
        p = os.path.join(work, "%s_%d_of_%d.h5" % (tag, k, n))
        r = doppel("scan", *roots, "-o", p, "-q", "-f", "--shard", "%d/%d" % (k, n), *extra)
        if r.returncode != 0:
            print("# shard %d/%d failed: %s" % (k, n, r.stderr.decode(errors="replace")))
        parts.append(p)
    return parts


def attrs(p):
    with h5py.File(p, "r") as f:
        return {k: f.attrs[k] for k in f.attrs}


for n in (1, 2, 3, 7, nrows + 5):
    parts = shards(n, "s", "--hashes", "all,pdqdih")
    info = sorted((int(attrs(p)["shard_first_row"]), len(load(p)[0]["/images/path"]), p) for p in parts)
    contiguous = all(a[0] + a[1] == b[0] for a, b in zip(info, info[1:])) and info[0][0] == 0 \
        and info[-1][0] + info[-1][1] == nrows
    ok(contiguous, "N=%d: the shards cover rows 0..%d contiguously" % (n, nrows),
       [(a, b) for a, b, _ in info])
    if n in (2, 3):
        sizes = ref_ds["/images/size"]
        cost = [int(sum(sizes[a:a + c])) + 65536 * c for a, c, _ in info]
        print("# N=%d: bytes+cost per shard %s" % (n, cost))
        ok(max(cost) <= 2 * sum(cost) / n + int(max(sizes)),
           "N=%d: shards balanced by bytes (largest within a file of the fair share)" % n)
    out = os.path.join(work, "merged_%d.h5" % n)
    rng.shuffle(parts)
    r = doppel("merge", *parts, "-o", out)
    ok(r.returncode == 0, "N=%d: merge exits 0" % n, r.stderr)
    ok(r.returncode == 0 and not differs(out), "N=%d: every dataset equals the single scan's" % n,
       differs(out) if r.returncode == 0 else None)
    a = attrs(out)
    ok("shard_count" not in a and int(a["n_rows"]) == nrows, "N=%d: the result is a whole scan" % n)

# ---- refusals ------------------------------------------------------------------
parts = shards(3, "r", "--hashes", "all,pdqdih")
parts.sort()
out = os.path.join(work, "refused.h5")


def refused(args, what, code=2, needle=None):
    r = doppel("merge", *args, "-o", out)
    good = r.returncode == code and r.stderr and not os.path.exists(out) and \
        (needle is None or needle.encode() in r.stderr)
    ok(good, "merge refuses %s (exit %d)" % (what, code), r.stderr)


refused(parts[:2], "a missing shard", needle="all 3 shards")
refused([parts[0], parts[0], parts[1]], "a shard given twice", needle="twice")
other = shards(3, "o", "--hashes", "all,pdqdih", roots=(os.path.join(corpus, "originals"),))
refused([parts[0], other[1], parts[2]], "a shard of a scan of other inputs", needle="different scans")
opts = shards(3, "p", "--hashes", "pdq")
refused([parts[0], opts[1], parts[2]], "a shard of a scan with other options", needle="different scans")
refused([ref], "a whole scan", needle="not a shard")
damaged = os.path.join(work, "damaged.h5")
data = open(parts[1], "rb").read()
with open(damaged, "wb") as f:
    f.write(data[:len(data) // 2])
refused([parts[0], damaged, parts[2]], "a damaged part", code=1)
refused([parts[0], os.path.join(work, "nope.h5"), parts[2]], "a missing part", code=1)
r = doppel("merge", *parts, "-o", ref)
ok(r.returncode == 2 and b"exists" in r.stderr, "merge will not overwrite without --force", r.stderr)
r = doppel("merge", "-o", out)
ok(r.returncode == 2, "merge without parts: usage error")
for bad in ("0/3", "4/3", "1/0", "x", "1/3/4", "2"):
    r = doppel("scan", corpus, "-o", os.path.join(work, "bad.h5"), "--shard", bad)
    ok(r.returncode == 2 and b"--shard" in r.stderr, "--shard %s: usage error" % bad, r.stderr)

# ---- a shard scan resumes ---------------------------------------------------------
big = photo_folders(corpus, work, 4, "in")
whole = os.path.join(work, "big_whole.h5")
doppel("scan", *big, "-o", whole, "-q")
ref_ds = load(whole)[0]
part = os.path.join(work, "big_1_of_2.h5")
p = subprocess.Popen([DOPPEL, "scan", *big, "-o", part, "-j", "1", "--exact", "--shard", "1/2",
                      "--checkpoint-interval", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
deadline = time.time() + 30
while time.time() < deadline and p.poll() is None and \
        (not os.path.exists(part + ".checkpoint") or os.path.getsize(part + ".checkpoint") < 3000):
    time.sleep(0.005)
p.send_signal(signal.SIGINT)
p.communicate()
ok(p.returncode == 130, "shard 1/2 interrupted (exit %s)" % p.returncode)
r = doppel("scan", *big, "-o", part, "--exact", "--shard", "2/2", "--resume")
ok(r.returncode == 2 and b"different scan" in r.stderr, "--resume of shard 1/2 as shard 2/2 is refused",
   r.stderr)
r = doppel("scan", *big, "-o", part, "--exact", "--shard", "1/2", "--resume", "-q")
r2 = doppel("scan", *big, "-o", part.replace("1_of", "2_of"), "--exact", "--shard", "2/2", "-q")
merged = os.path.join(work, "big_merged.h5")
r3 = doppel("merge", part, part.replace("1_of", "2_of"), "-o", merged, "-q")
exact_whole = os.path.join(work, "big_exact.h5")
doppel("scan", *big, "-o", exact_whole, "-q", "--exact")
ref_ds = load(exact_whole)[0]
ok(r.returncode == 0 and r2.returncode == 0 and r3.returncode == 0
   and not differs(merged), "an interrupted shard resumes; the merge equals the single scan",
   (p.returncode, r.stderr, r3.stderr))
done()
