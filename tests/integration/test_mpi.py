#!/usr/bin/python3
"""tests/integration/test_mpi.py - mpirun scans and clusters give exactly the one-process result.

Uses the MPI build (make MPI=1 -> build-mpi/doppel; DOPPEL_MPI overrides)
under `mpirun --oversubscribe` (allowed as root through Open MPI's
environment switches). Checks, dataset by dataset against the plain binary:
a scan with 2 and 3 ranks (bad files included), the MPI binary without
mpirun, and `doppel cluster` with 2 ranks. A rank killed mid-scan makes the
job fail; the same command with --resume then finishes with the same
datasets. --shard under mpirun and an existing output are refused. Skipped
when there is no MPI build or no mpirun.

SPDX-License-Identifier: MIT
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import photo_folders, DOPPEL, ok, done, skip_all, tmpdir, doppel, run, make_corpus, load  # noqa: E402

import numpy  # noqa: E402

MPI_DOPPEL = os.path.abspath(os.environ.get("DOPPEL_MPI", "build-mpi/doppel"))
MPIRUN = shutil.which("mpirun")
if not os.access(MPI_DOPPEL, os.X_OK) or not MPIRUN:
    skip_all("no MPI build (make MPI=1) or no mpirun (scripts/deps.sh --mpi installs Open MPI)")
env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")


def mpirun(n, *args, **kw):
    return run([MPIRUN, "--oversubscribe", "-n", str(n), MPI_DOPPEL] + [str(a) for a in args],
               env=env, timeout=300, **kw)


def differs(a, b, prefix="/"):
    da, db = load(a)[0], load(b)[0]
    keys = [k for k in set(da) | set(db) if k.startswith(prefix)]
    return sorted(k for k in keys if k not in da or k not in db or not numpy.array_equal(da[k], db[k]))


work = tmpdir("mpi")
corpus = make_corpus("tests", os.path.join(work, "corpus"))
roots = [corpus]                     # with special/: FIFO, symlink loop, unreadable file
for k in range(2):
    d = os.path.join(work, "in%d" % k)
    shutil.copytree(corpus, d, ignore=shutil.ignore_patterns("special"))
    roots.append(d)
ref = os.path.join(work, "ref.h5")
r = doppel("scan", *roots, "-o", ref, "-q", "--hashes", "all")
ok(r.returncode == 0, "one-process reference scan", r.stderr)

for n in (2, 3):
    out = os.path.join(work, "mpi%d.h5" % n)
    r = mpirun(n, "scan", *roots, "-o", out, "-j", "1", "--hashes", "all")
    ok(r.returncode == 0, "mpirun -n %d scan exits 0" % n, r.stderr)
    ok(r.returncode == 0 and not differs(ref, out), "mpirun -n %d: every dataset equals the one-process scan"
       % n, differs(ref, out) if r.returncode == 0 else None)
    ok(not [f for f in os.listdir(work) if ".part-" in f], "mpirun -n %d: no part left" % n)

single = os.path.join(work, "single.h5")
r = run([MPI_DOPPEL, "scan", *roots, "-o", single, "-q", "--hashes", "all"], env=env)
ok(r.returncode == 0 and not differs(ref, single), "the MPI build without mpirun: same datasets", r.stderr)

# ---- cluster ----------------------------------------------------------------
r1 = doppel("cluster", ref, "-q", "--name", "c", "--max-distance", "40")
out = os.path.join(work, "mpi2.h5")
r2 = mpirun(2, "cluster", out, "-q", "--name", "c", "--max-distance", "40", "-j", "1")
ok(r1.returncode == 0 and r2.returncode == 0, "cluster: one process and mpirun -n 2", r2.stderr)
ok(not differs(ref, out, "/clusters/c/"), "mpirun -n 2 cluster: /clusters/c equals the one-process result",
   differs(ref, out, "/clusters/c/"))

# ---- refusals ---------------------------------------------------------------
r = mpirun(2, "scan", *roots, "-o", os.path.join(work, "x.h5"), "--shard", "1/2")
ok(r.returncode == 2 and b"--shard" in r.stderr, "--shard under mpirun: usage error", r.stderr)
r = mpirun(2, "scan", *roots, "-o", out)
ok(r.returncode == 2 and b"exists" in r.stderr, "an existing output without --force: usage error", r.stderr)

# ---- a rank dies: the job fails clearly; --resume finishes it ----------------
big = photo_folders(corpus, work, 4, "big")
bigref = os.path.join(work, "bigref.h5")
doppel("scan", *big, "-o", bigref, "-q", "--exact")
killed = os.path.join(work, "killed.h5")
p = subprocess.Popen([MPIRUN, "--oversubscribe", "-n", "2", MPI_DOPPEL, "scan", *big, "-o", killed, "-j", "1",
                      "--exact", "--checkpoint-interval", "0"], env=env,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
ckpt = killed + ".part-2-of-2.checkpoint"
deadline = time.time() + 60
while time.time() < deadline and p.poll() is None and \
        (not os.path.exists(ckpt) or os.path.getsize(ckpt) < 3000):
    time.sleep(0.005)
victims = subprocess.run(["pgrep", "-f", "doppel scan .*%s" % killed], stdout=subprocess.PIPE).stdout.split()
victim = None
for pid in victims:
    try:
        cmd = open("/proc/%s/cmdline" % pid.decode(), "rb").read()
    except OSError:
        continue
    if cmd.startswith(MPI_DOPPEL.encode()):
        victim = int(pid)
if victim:
    os.kill(victim, signal.SIGKILL)
_, err = p.communicate(timeout=120)
ok(victim is not None and p.returncode != 0, "a rank killed with SIGKILL: mpirun exits non-zero (%s)" % p.returncode,
   err[-600:])
ok(not os.path.exists(killed), "no result file after the failed job")
r = mpirun(2, "scan", *big, "-o", killed, "-j", "1", "--exact", "--resume")
ok(r.returncode == 0 and not differs(bigref, killed), "the same command with --resume finishes: same datasets",
   r.stderr[-600:])
done()
