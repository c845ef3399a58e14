#!/usr/bin/python3
"""tests/integration/test_resume.py - interrupted scans resume to the same file; cluster survives kills.

Scans a fixture corpus (copied into several folders so that a scan takes a
second or so) once without interruption as the reference. Then, many times,
starts the scan, kills it with SIGKILL after a random delay, resumes with
--resume (which may be killed again) until it finishes, and checks:
every dataset equals the reference's; every row the checkpoint held when the
scan died was reused, not scanned again; nothing is left next to the output.
Also: Ctrl-C (SIGINT) stops with exit 130 and a resumable checkpoint; a torn
or garbage tail of the checkpoint is cut off; a file changed since the
checkpoint is scanned again; every refusal (checkpoint without --resume,
other options, --resume with --force, a foreign checkpoint, a second scan of
the same output) exits non-zero with a message; and `doppel cluster` killed at
random points leaves the result file either unchanged or with the complete new
clustering. The seed is printed; --seed N reproduces a run.

SPDX-License-Identifier: MIT
"""
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import seeded_rng, DOPPEL, ok, done, tmpdir, doppel, make_corpus, load  # noqa: E402

import numpy  # noqa: E402

rng = seeded_rng()
KILLS = int(os.environ.get("DP_KILLS", "12"))   # more for a longer campaign

work = tmpdir("resume")
base = make_corpus("tests", os.path.join(work, "base"))
shutil.rmtree(os.path.join(base, "special"))   # FIFO, chmod 000: covered by test_scan
roots = []
for k in range(6):
    d = os.path.join(work, "in%d" % k)
    shutil.copytree(base, d)
    roots.append(d)
out = os.path.join(work, "out.h5")
ckpt = out + ".checkpoint"


def scan(*extra, **kw):
    return doppel("scan", *roots, "-o", out, "-q", *extra, **kw)


def same_datasets(a, b):
    da, _ = load(a)
    db, _ = load(b)
    diff = [k for k in sorted(set(da) | set(db))
            if k not in da or k not in db or not numpy.array_equal(da[k], db[k])]
    return diff


def leftovers():
    return sorted(f for f in os.listdir(work) if f.startswith("out.h5") and f != "out.h5")


def checkpoint_rows():
    r = doppel("info", ckpt)
    m = re.search(rb"rows:\s+(\d+) finished", r.stdout)
    return int(m.group(1)) if r.returncode == 0 and m else None


ref = os.path.join(work, "ref.h5")
t_ref = {}                  # an uninterrupted scan's time by thread count
for j in (2, 1):
    t0 = time.time()
    r = doppel("scan", *roots, "-o", ref, "-q", "-f", "-j", str(j))
    t_ref[j] = time.time() - t0
    ok(r.returncode == 0, "reference scan -j %d (%.2f s)" % (j, t_ref[j]), r.stderr)
nrows = len(load(ref)[0]["/images/path"])

# ---- kill -9 at random points, resume until done ---------------------------
kills = reused_ok = 0
for trial in range(KILLS):
    for f in leftovers():
        os.unlink(os.path.join(work, f))
    if os.path.exists(out):
        os.unlink(out)
    interval = rng.choice(["0", "0.02", "10"])
    threads = rng.choice([1, 2])
    p = subprocess.Popen([DOPPEL, "scan", *roots, "-o", out, "-j", str(threads),
                          "--checkpoint-interval", interval],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # A random point inside the scan: it takes about t_ref[threads].
    time.sleep(rng.uniform(0.05, 0.8) * t_ref[threads])
    killed = p.poll() is None
    if killed:
        p.send_signal(signal.SIGKILL)
    _, err = p.communicate()
    if killed:
        kills += 1
        held = checkpoint_rows() if os.path.exists(ckpt) else 0
        r = doppel("scan", *roots, "-o", out, "-j", "2", "--resume")
        m = re.search(rb"(\d+) rows kept from the checkpoint", r.stderr)
        kept = int(m.group(1)) if m else 0
        if r.returncode == 0 and kept == (held or 0):
            reused_ok += 1
        elif r.returncode == 0:
            print("# trial %d: checkpoint held %s rows, resume kept %d" % (trial, held, kept))
    ok(p.returncode in (0, -signal.SIGKILL) and os.path.exists(out) and not same_datasets(ref, out),
       "trial %d (interval %s): killed and resumed, every dataset equals the reference" % (trial, interval),
       err)
    ok(not leftovers(), "trial %d: no checkpoint or temporary file left" % trial, leftovers())
print("# %d kills in %d trials; %d resumes reused every checkpointed row" % (kills, KILLS, reused_ok))
ok(kills >= KILLS // 2, "most trials were really killed mid-scan (%d)" % kills)
ok(reused_ok == kills, "each resume reused all rows the checkpoint held (%d of %d)" % (reused_ok, kills))


def interrupted_scan(sig=signal.SIGINT, delay=None):
    """Start a fresh scan, stop it with sig once its checkpoint holds rows (and
    `delay` seconds more); returns (returncode, stderr). A scan that finished
    before the signal (a machine faster now than when t_ref was measured) is
    run again with a shorter delay: the tests are about the stop, not the time."""
    delay = t_ref[1] / 4 if delay is None else delay
    for attempt in range(4):
        for f in leftovers() + (["out.h5"] if os.path.exists(out) else []):
            os.unlink(os.path.join(work, f))
        p = subprocess.Popen([DOPPEL, "scan", *roots, "-o", out, "-j", "1", "--checkpoint-interval", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.time() + 30
        while checkpoint_rows() in (None, 0) and time.time() < deadline and p.poll() is None:
            time.sleep(0.01)
        time.sleep(delay)
        p.send_signal(sig)
        _, err = p.communicate()
        if p.returncode != 0:
            break
        print("# the scan finished before the signal; again with a delay of %.3f s" % (delay / 4))
        delay /= 4
    return p.returncode, err.decode(errors="replace")


# ---- Ctrl-C -----------------------------------------------------------------
rc, err = interrupted_scan(signal.SIGINT)
ok(rc == 130 and "--resume" in err and "interrupted after" in err,
   "SIGINT: exit 130, says how many files were done and how to resume", (rc, err))
ok(not os.path.exists(out) and os.path.exists(ckpt) and
   not [f for f in leftovers() if ".tmp-" in f], "SIGINT: no output, no temporary file, a checkpoint")
held = checkpoint_rows()
ok(held is not None and 0 < held < nrows, "SIGINT: the checkpoint holds the finished rows (%s)" % held)
r = doppel("info", out)
ok(r.returncode != 0 and b"--resume" in r.stderr, "info OUT after an interrupted scan points to --resume",
   r.stderr)

# ---- refusals, the checkpoint untouched by each ---------------------------
before = open(ckpt, "rb").read()
r = scan()
ok(r.returncode == 2 and b"--resume" in r.stderr, "a new scan onto a checkpoint is refused", r.stderr)
r = scan("--resume", "--hashes", "all")
ok(r.returncode == 2 and b"different scan" in r.stderr, "--resume with other options is refused", r.stderr)
r = doppel("scan", *roots[:3], "-o", out, "-q", "--resume")
ok(r.returncode == 2 and b"different scan" in r.stderr, "--resume with other inputs is refused", r.stderr)
r = scan("--resume", "--force")
ok(r.returncode == 2, "--resume with --force is a usage error", r.stderr)
ok(open(ckpt, "rb").read() == before, "refused scans leave the checkpoint byte-identical")

# A second scan while one runs.
p = subprocess.Popen([DOPPEL, "scan", *roots, "-o", out, "-j", "1", "--resume"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
deadline = time.time() + 30
while not os.path.exists("%s.tmp-%d" % (out, p.pid)) and time.time() < deadline:
    time.sleep(0.002)
p.send_signal(signal.SIGSTOP)
r = scan("--resume")
p.send_signal(signal.SIGCONT)
p.communicate()
ok(r.returncode == 1 and b"another doppel scan" in r.stderr, "a second scan of the same output is refused",
   r.stderr)
ok(p.returncode == 0 and not same_datasets(ref, out), "the first scan still completes correctly")

# ---- a torn tail and garbage after the last record -------------------------
for how in ("torn", "garbage"):
    rc, err = interrupted_scan(signal.SIGKILL)
    size = os.path.getsize(ckpt)
    with open(ckpt, "r+b") as f:
        if how == "torn":
            f.truncate(size - rng.randrange(1, 400))
        else:
            f.seek(0, 2)
            f.write(bytes(rng.randrange(256) for _ in range(300)))
    r = scan("--resume")
    ok(r.returncode == 0 and not same_datasets(ref, out), "%s checkpoint tail: cut off, result equals the reference"
       % how, r.stderr)

# ---- a file changed after it was checkpointed --------------------------------
rc, err = interrupted_scan(signal.SIGINT, delay=t_ref[1] / 2)
first = load(ref)[0]["/images/path"][0].decode(errors="surrogateescape")
victim = os.fsencode(first)
saved = open(victim, "rb").read()
st = os.stat(victim)
with open(victim, "ab") as f:
    f.write(b"appended after the checkpoint")
r = scan("--resume")
fresh = os.path.join(work, "fresh.h5")
r2 = doppel("scan", *roots, "-o", fresh, "-q", "-f")
ok(r.returncode == 0 and r2.returncode == 0 and not same_datasets(fresh, out),
   "a file changed since the checkpoint is scanned again (result equals a fresh scan)")
with open(victim, "wb") as f:
    f.write(saved)
os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))

# ---- a foreign file where the checkpoint should be ------------------------
os.unlink(out)
with open(ckpt, "wb") as f:
    f.write(b"not a checkpoint at all\n" * 10)
r = scan("--resume")
ok(r.returncode == 1 and b"not a doppel checkpoint" in r.stderr and not os.path.exists(out),
   "a foreign checkpoint file is refused, never overwritten", r.stderr)
ok(open(ckpt, "rb").read() == b"not a checkpoint at all\n" * 10, "the foreign file is left as it was")
r = scan("--force")
ok(r.returncode == 0 and not os.path.exists(ckpt) and not same_datasets(ref, out),
   "--force starts over and removes the checkpoint")
r = scan("--resume")
ok(r.returncode == 0 and b"nothing to resume" in r.stderr, "--resume of a finished scan: nothing to do",
   r.stderr)

# ---- doppel cluster killed at random points ------------------------------------
r = doppel("cluster", out, "--name", "base", "-q")
ok(r.returncode == 0, "cluster before the kills", r.stderr)


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


t0 = time.time()
r = doppel("cluster", out, "--name", "timing", "-q", "--level", "scene")
t_cluster = time.time() - t0
unchanged = replaced = 0
for k in range(10):
    before = digest(out)
    p = subprocess.Popen([DOPPEL, "cluster", out, "--name", "k", "-q"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(rng.uniform(0, t_cluster * 0.9))
    p.send_signal(signal.SIGKILL)
    p.communicate()
    info = doppel("info", out)
    names = re.search(rb"clusters:\s+(.*)", info.stdout)
    names = names.group(1).split(b" (")[0].split(b", ") if names else []
    if digest(out) == before:
        unchanged += 1
        good = info.returncode == 0 and b"complete" in info.stdout
    else:
        replaced += 1
        ex = doppel("export", out, "--name", "k", "--jsonl", os.path.join(work, "k.jsonl"))
        good = info.returncode == 0 and b"k" in names and ex.returncode == 0
    ok(good, "cluster kill %d: the file is unchanged or holds the complete new clustering" % k,
       info.stdout + info.stderr)
    doppel("cluster", out, "--name", "k", "-q")     # a clean rerun always works
print("# cluster kills: %d left the file unchanged, %d after the rename" % (unchanged, replaced))
stale = [f for f in leftovers() if ".tmp-" in f]
print("# %d temporary copies left by killed cluster runs (removable by hand)" % len(stale))
r = doppel("info", out)
ok(r.returncode == 0 and b"complete" in r.stdout and b"base" in r.stdout,
   "after all kills the file is complete and keeps the earlier clustering", r.stdout + r.stderr)
done()
