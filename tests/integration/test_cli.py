#!/usr/bin/python3
"""tests/integration/test_cli.py - doppel's command line: exit codes, messages, info, load.py.

Wrong arguments exit 2 with a message that says what to do; an output that
cannot be written exits 1 and leaves nothing behind; a foreign, damaged or
non-HDF5 file given to info exits 1 without being modified; an interrupted
scan exits 130 and leaves no file under the output name; unreadable files
are rows (checked as an unprivileged user when the tests run as root); and
examples/load.py reads a result, non-UTF-8 names included.

SPDX-License-Identifier: MIT
"""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import ok, done, tmpdir, doppel, make_corpus, run, DOPPEL  # noqa: E402

import h5py  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PY = os.environ.get("PYTHON", "/usr/bin/python3")
work = tmpdir("cli")
corpus = make_corpus("tests", os.path.join(work, "corpus"))
good = os.path.join(work, "good.h5")
r = doppel("scan", corpus, "-o", good, "-q")
ok(r.returncode == 0 and os.path.exists(good), "scan of the corpus succeeds", r.stderr)


def err_text(r):
    return r.stderr.decode("utf-8", "replace")


# ---- usage errors: exit 2 and a message naming the fix ----------------------
cases = [
    (["scan", corpus], "no output", "-o"),
    (["scan", "-o", os.path.join(work, "x.h5")], "no input", "file"),
    (["scan", corpus, "-o", os.path.join(work, "x.h5"), "--bogus"], "unknown option", "help"),
    (["scan", corpus, "-o", os.path.join(work, "x.h5"), "--hashes", "md5"], "unknown hash", "md5"),
    (["scan", corpus, "-o", os.path.join(work, "x.h5"), "-j", "0"], "bad -j", "-j"),
    (["scan", corpus, "-o", os.path.join(work, "x.h5"), "--max-file-size", "lots"], "bad size", "max-file-size"),
    (["scan", os.path.join(work, "does-not-exist"), "-o", os.path.join(work, "x.h5")], "missing input", "does-not-exist"),
    (["scan", corpus, "-o", good], "existing output without --force", "--force"),
    (["scan", corpus, "-o", work], "output is a directory", "directory"),
    (["info"], "info without a file", "info"),
    (["frobnicate"], "unknown command", "help"),
    ([], "no command", "usage"),
]
for args, what, hint in cases:
    r = doppel(*args)
    ok(r.returncode == 2 and hint in err_text(r), "usage error (%s) exits 2 and says '%s'" % (what, hint),
       "rc=%d %s" % (r.returncode, err_text(r)))
ok(not os.path.exists(os.path.join(work, "x.h5")), "no output file after usage errors")

r = doppel("help", "scan")
ok(r.returncode == 0 and b"--hashes" in r.stdout and b"--no-orient" in r.stdout, "help scan lists the options")
r = doppel("version")
ok(r.returncode == 0 and b"libvips" in r.stdout and b"HDF5" in r.stdout, "version names the libraries")

# ---- output that cannot be written: exit 1, nothing left -------------------
ro = os.path.join(work, "readonly")
os.mkdir(ro)
os.chmod(ro, 0o555)
target = os.path.join(ro, "out.h5")
if os.geteuid() == 0:
    # root writes anywhere; a missing parent directory fails for everyone
    target = os.path.join(work, "no", "such", "dir", "out.h5")
r = doppel("scan", corpus, "-o", target, "-q")
ok(r.returncode == 1 and "cannot create" in err_text(r), "unwritable output exits 1 with a message",
   "rc=%d %s" % (r.returncode, err_text(r)))
ok(not os.path.exists(target) and not [f for f in os.listdir(ro)], "nothing left after a failed create")

# ---- info ------------------------------------------------------------------
r = doppel("info", good)
out = r.stdout.decode("utf-8", "replace")
ok(r.returncode == 0 and "complete" in out and "status:" in out and "exact dups:" in out,
   "info summarises a result file", out + err_text(r))
with h5py.File(good, "r") as f:
    n = f["images/path"].shape[0]
ok("rows:       %d files" % n in out, "info reports the row count", out)


def info_fails(path, what, hint):
    before = open(path, "rb").read() if os.path.exists(path) else None
    r = doppel("info", path)
    after = open(path, "rb").read() if os.path.exists(path) else None
    ok(r.returncode == 1 and hint in err_text(r), "info on %s exits 1 (%s)" % (what, hint),
       "rc=%d %s" % (r.returncode, err_text(r)))
    ok(before == after, "info leaves %s unmodified" % what)


info_fails(os.path.join(work, "missing.h5"), "a missing file", "No such file")
txt = os.path.join(work, "notes.h5")
with open(txt, "w") as f:
    f.write("not hdf5\n")
info_fails(txt, "a text file", "not an HDF5 file")
foreign = os.path.join(work, "foreign.h5")
with h5py.File(foreign, "w") as f:
    f["data"] = [1, 2, 3]
info_fails(foreign, "a foreign HDF5 file", "not a doppel file")
future = os.path.join(work, "future.h5")
shutil.copy(good, future)
with h5py.File(future, "a") as f:
    f.attrs["format_version"] = 99
info_fails(future, "a newer format version", "unsupported format version 99")
broken = os.path.join(work, "broken.h5")
shutil.copy(good, broken)
with h5py.File(broken, "a") as f:
    del f["images/status"]
info_fails(broken, "a file missing a dataset", "/images/status")
trunc = os.path.join(work, "trunc.h5")
data = open(good, "rb").read()
with open(trunc, "wb") as f:
    f.write(data[:len(data) // 2])
info_fails(trunc, "a truncated file", "info:")

# ---- interrupt: exit 130, no output, no temporary file, a checkpoint ----------
big = os.path.join(work, "big")
os.mkdir(big)
src = [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(corpus, "originals")) for f in fs]
for i in range(400):
    os.link(src[i % len(src)], os.path.join(big, "p%04d.jpg" % i))
out_int = os.path.join(work, "interrupted.h5")
p = subprocess.Popen([DOPPEL, "scan", big, "-o", out_int, "-j", "1", "--exact"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
time.sleep(0.4)
p.send_signal(signal.SIGINT)
_, e = p.communicate(timeout=60)
left = [f for f in os.listdir(work) if f.startswith("interrupted.h5")]
ok(p.returncode == 130 and left == ["interrupted.h5.checkpoint"],
   "SIGINT: exit 130, nothing under the output name but the checkpoint (test_resume.py)",
   "rc=%s left=%s %s" % (p.returncode, left, e.decode(errors="replace")))
ok(b"interrupted" in e, "SIGINT: says it was interrupted", e)

# ---- unreadable files, as an unprivileged user ------------------------------
locked_dir = os.path.join(work, "perm")
os.mkdir(locked_dir)
shutil.copy(src[0], os.path.join(locked_dir, "readable.jpg"))
shutil.copy(src[1], os.path.join(locked_dir, "locked.jpg"))
os.mkdir(os.path.join(locked_dir, "closed"))
shutil.copy(src[2], os.path.join(locked_dir, "closed", "inside.jpg"))
os.chmod(os.path.join(locked_dir, "locked.jpg"), 0)
os.chmod(os.path.join(locked_dir, "closed"), 0)
out_perm = os.path.join(work, "perm-out")
os.mkdir(out_perm)
cmd = [DOPPEL, "scan", locked_dir, "-o", os.path.join(out_perm, "p.h5"), "-q"]
if os.geteuid() == 0:
    setpriv = shutil.which("setpriv")
    os.chmod(out_perm, 0o777)
    for d in (work, os.path.dirname(work)):
        os.chmod(d, os.stat(d).st_mode | 0o011)
    cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd if setpriv else None
if cmd:
    r = run(cmd)
    ok(r.returncode == 0, "scan with unreadable files exits 0", err_text(r))
    with h5py.File(os.path.join(out_perm, "p.h5"), "r") as f:
        names = {v: k for k, v in h5py.check_enum_dtype(f["images/status"].dtype).items()}
        rows = {os.path.basename(p): (names[int(s)], m.decode())
                for p, s, m in zip(f["images/path"], f["images/status"], f["images/message"])}
    ok(rows.get(b"readable.jpg", ("",))[0] == "ok", "readable file is ok", rows)
    ok(rows.get(b"locked.jpg", ("",))[0] == "unreadable" and "Permission denied" in rows[b"locked.jpg"][1],
       "chmod 000 file is a row: unreadable, Permission denied", rows)
    ok(rows.get(b"closed", ("",))[0] == "unreadable" and "directory" in rows[b"closed"][1],
       "unreadable folder is a row naming the folder", rows)
else:
    ok(True, "# SKIP setpriv not available to drop root")
os.chmod(os.path.join(locked_dir, "closed"), 0o755)

# ---- examples/load.py --------------------------------------------------------
r = run([PY, os.path.join(TOP, "examples", "load.py"), good, "--csv", os.path.join(work, "t.csv")])
ok(r.returncode == 0 and b"files, scanned by doppel" in r.stdout, "examples/load.py reads the result",
   r.stdout + r.stderr)
sys.path.insert(0, os.path.join(TOP, "examples"))
import load  # noqa: E402
df = load.load_dataframe(good)
ok(len(df) == n, "load_dataframe has one row per file")
weird = [p for p in df.path if "\n" in p]
ok(weird and all(os.path.exists(p) for p in weird),
   "non-UTF-8 name with a newline round-trips to an openable path", weird)
ok(all(len(h) == 64 for h in df.sha256) and set(df.status.cat.categories) >= {"ok"},
   "digests are hex, statuses are names")
row = df[df.status == "ok"].iloc[0]
with open(row.path, "rb") as f:
    ok(hashlib.sha256(f.read()).hexdigest() == row.sha256, "a digest from load.py matches the file")
r = run([PY, os.path.join(TOP, "examples", "load.py"), foreign])
ok(r.returncode == 1 and b"not a doppel result" in r.stderr, "load.py refuses a foreign file", r.stderr)

done()
