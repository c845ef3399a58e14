#!/usr/bin/python3
"""tests/integration/test_verify.py - doppel verify: is the evidence still what was scanned?

Scans a generated corpus, then checks that verify:
  - exits 0 when nothing changed, and leaves every input file as it was
    (content, size, mtime);
  - reports a file with one byte appended as changed, a deleted file as
    missing, a file whose mtime alone moved as touched (not a failure on
    its own), and exits 1 when something changed or is missing;
  - counts rows the scan never read (links not followed, FIFO) apart;
  - gives one valid JSON object per reported file with --json;
  - refuses a foreign file (exit 1) and wrong arguments (exit 2).

SPDX-License-Identifier: MIT
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import ok, done, tmpdir, doppel, make_corpus  # noqa: E402

import h5py  # noqa: E402

work = tmpdir("verify")
corpus = make_corpus("tests", os.path.join(work, "corpus"))
h5 = os.path.join(work, "scan.h5")
r = doppel("scan", corpus, "-o", h5, "-q")
ok(r.returncode == 0, "scan of the corpus", r.stderr)


def snapshot(top):
    out = {}
    for d, dirs, files in os.walk(top):
        for f in files:
            p = os.path.join(d, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            st = os.stat(p)
            with open(p, "rb") as fh:
                out[p] = (fh.read(), st.st_size, st.st_mtime_ns)
    return out


before = snapshot(corpus)
r = doppel("verify", h5)
msg = r.stderr.decode("utf-8", "replace")
ok(r.returncode == 0 and r.stdout == b"" and " 0 changed, 0 missing" in msg,
   "nothing changed: exit 0, nothing listed", msg)
ok(snapshot(corpus) == before, "verify leaves every input file as it was (content, size, mtime)")
with h5py.File(h5, "r") as f:
    unread = int(sum(1 for s in f["images/sha256"][()] if not any(s)))
ok(("%d never read by the scan" % unread) in msg and unread > 0, "rows the scan never read are counted apart", msg)

changed = os.path.join(corpus, "originals", "photo_1.jpg")
missing = os.path.join(corpus, "copies", "photo_2.tif")
touched = os.path.join(corpus, "originals", "photo_3.jpg")
with open(changed, "ab") as f:
    f.write(b"\0")
os.unlink(missing)
st = os.stat(touched)
os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10 ** 9))
r = doppel("verify", h5)
lines = [l.split(b"\t") for l in r.stdout.splitlines()]
got = {(l[0], l[1]) for l in lines}
ok(r.returncode == 1, "a changed or missing file: exit 1", r.stderr)
ok(got == {(b"changed", changed.encode()), (b"missing", missing.encode()), (b"touched", touched.encode())},
   "changed, missing and touched files are each reported once", r.stdout)
ok(any(b"SHA-256 differs" in l[2] for l in lines if l[0] == b"changed"), "the change names the digest")
os.unlink(changed)
shutil.copy(touched, changed)   # a different file under the old name
r = doppel("verify", h5, "--json", "-q")
objs = [json.loads(l) for l in r.stdout.splitlines()]
ok(r.returncode == 1 and r.stderr == b"" and {o["result"] for o in objs} == {"changed", "missing", "touched"},
   "--json: one object per reported file; -q: no summary", r.stdout)

# Only a new mtime is reported but is not a failure.
os.unlink(changed)
h5b = os.path.join(work, "only_touched.h5")
one = os.path.join(work, "one")
os.mkdir(one)
shutil.copy2(os.path.join(corpus, "originals", "photo_0.jpg"), os.path.join(one, "a.jpg"))
doppel("scan", one, "-o", h5b, "-q")
st = os.stat(os.path.join(one, "a.jpg"))
os.utime(os.path.join(one, "a.jpg"), ns=(st.st_atime_ns, st.st_mtime_ns + 5 * 10 ** 9))
r = doppel("verify", h5b)
ok(r.returncode == 0 and r.stdout.startswith(b"touched\t"), "only a new mtime: reported, exit 0", r.stdout + r.stderr)

foreign = os.path.join(work, "foreign.h5")
with h5py.File(foreign, "w") as f:
    f["x"] = [1]
r = doppel("verify", foreign)
ok(r.returncode == 1 and b"not a doppel file" in r.stderr, "a foreign file: exit 1", r.stderr)
r = doppel("verify")
ok(r.returncode == 2, "no file: exit 2")
r = doppel("verify", h5, "--bogus")
ok(r.returncode == 2, "unknown option: exit 2")
done()
