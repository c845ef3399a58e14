#!/usr/bin/python3
"""tests/integration/test_diskfull.py - a full disk or a read-only folder: clean failure, nothing complete lost.

Mounts a small tmpfs (root only; skipped otherwise) and checks that:
  - a scan that runs out of space exits 1 naming the cause, leaves the
    previous complete result byte-identical and no temporary file, and keeps
    a checkpoint from which --resume finishes once space is freed, with the
    datasets of an uninterrupted scan;
  - cluster on a full disk exits 1 and leaves the result file unchanged;
  - scan and cluster into a read-only file system exit 1 with a message and
    change nothing.

SPDX-License-Identifier: MIT
"""
import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import ok, done, skip_all, tmpdir, doppel, make_corpus, load  # noqa: E402

import numpy  # noqa: E402

if os.geteuid() != 0:
    skip_all("needs root to mount a small tmpfs")
work = tmpdir("diskfull")
disk = os.path.join(work, "disk")
os.mkdir(disk)
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", disk],
                  stderr=subprocess.DEVNULL).returncode != 0:
    skip_all("cannot mount a tmpfs here")

try:
    corpus = make_corpus("tests", os.path.join(work, "corpus"))
    shutil.rmtree(os.path.join(corpus, "special"))
    inputs = []
    for k in range(8):          # enough rows that the result outgrows the space left
        d = os.path.join(work, "in%d" % k)
        shutil.copytree(corpus, d)
        inputs.append(d)
    ref = os.path.join(work, "ref.h5")
    r = doppel("scan", *inputs, "-o", ref, "-q", "--hashes", "all,pdqdih")
    ok(r.returncode == 0, "reference scan on an ordinary disk", r.stderr)
    out = os.path.join(disk, "out.h5")
    r = doppel("scan", os.path.join(corpus, "originals"), "-o", out, "-q")
    ok(r.returncode == 0, "a first, small result on the small disk", r.stderr)

    def digest(p):
        return hashlib.sha256(open(p, "rb").read()).hexdigest()

    def fill(leave):
        """Fill the disk up to `leave` bytes free."""
        filler = os.path.join(disk, "filler")
        st = os.statvfs(disk)
        free = st.f_bavail * st.f_frsize
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, free - leave))
        return filler

    first = digest(out)
    filler = fill(96 * 1024)
    r = doppel("scan", *inputs, "-o", out, "-q", "-f", "--hashes", "all,pdqdih")
    err = r.stderr.decode(errors="replace")
    ok(r.returncode == 1 and ("No space left" in err or "disk full" in err),
       "scan onto a full disk: exit 1, the cause named", "rc=%d %s" % (r.returncode, err))
    ok(digest(out) == first, "the previous complete result is byte-identical")
    ok(not [f for f in os.listdir(disk) if ".tmp-" in f], "no temporary file left", os.listdir(disk))
    ok("--resume" in err, "the message says how to go on", err)

    # Cluster on the full disk: the copy it writes cannot be made.
    r = doppel("cluster", out, "-q")
    ok(r.returncode == 1 and r.stderr, "cluster on a full disk: exit 1 with a message", r.stderr)
    ok(digest(out) == first and not [f for f in os.listdir(disk) if ".tmp-" in f],
       "cluster on a full disk: the file unchanged, nothing left behind")

    os.unlink(filler)
    r = doppel("scan", *inputs, "-o", out, "-q", "--resume", "--hashes", "all,pdqdih")
    ok(r.returncode == 0, "space freed: --resume finishes", r.stderr)
    da, db = load(ref)[0], load(out)[0]
    diff = [k for k in sorted(set(da) | set(db)) if k not in da or k not in db or not numpy.array_equal(da[k], db[k])]
    ok(not diff, "the resumed result equals an uninterrupted scan", diff)
    ok(not os.path.exists(out + ".checkpoint"), "the checkpoint is gone")

    # A read-only file system.
    subprocess.run(["mount", "-o", "remount,ro", disk], check=True)
    done_digest = digest(out)
    r = doppel("scan", os.path.join(corpus, "originals"), "-o", os.path.join(disk, "new.h5"), "-q")
    ok(r.returncode == 1 and b"Read-only file system" in r.stderr, "scan into a read-only folder: exit 1, "
       "the cause named", r.stderr)
    r = doppel("cluster", out, "-q")
    ok(r.returncode == 1 and r.stderr, "cluster of a file on a read-only file system: exit 1", r.stderr)
    ok(digest(out) == done_digest and sorted(os.listdir(disk)) == ["out.h5"], "nothing changed on it")
finally:
    subprocess.run(["umount", disk])
done()
