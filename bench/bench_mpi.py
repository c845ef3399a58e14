#!/usr/bin/python3
"""bench/bench_mpi.py - scan scaling over MPI ranks x OpenMP threads, and the cost of the MPI layer.

Scans DIR with the plain program (build/doppel) and the MPI build
(build-mpi/doppel, `make mpi`) under mpirun, for each ranks x threads
combination, REPS times each (round-robin over the combinations, so that a
slow spell of a shared machine hits all alike), and prints the median wall time:

  bench=mpi_scan impl=plain ranks=1 threads=1 files=500 reps=3 median_s=... files_s=... speedup=1.00 efficiency=1.00 check=ok
  bench=mpi_scan impl=mpi ranks=2 threads=1 ...
  bench=mpi_overhead threads=1 plain_s=... mpi_s=... overhead_pct=... target_pct=3 pass=yes

speedup and efficiency are against the plain program on 1 thread in the same
run (efficiency = speedup / (ranks x threads)). mpi_overhead compares the MPI
build under `mpirun -n 1` with the plain program at the same thread count:
the whole cost of the MPI layer (start-up, the part file and its merge).
check=ok means the result's datasets equal the plain 1-thread scan's.

usage: bench/bench_mpi.py DIR [--reps 3] [--max-ranks 2] [--max-threads 2]

SPDX-License-Identifier: MIT
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAIN = os.path.join(TOP, "build", "doppel")
MPI = os.path.join(TOP, "build-mpi", "doppel")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def datasets(path):
    import h5py
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


def same(a, b):
    import numpy
    da, db = datasets(a), datasets(b)
    return set(da) == set(db) and all(numpy.array_equal(da[k], db[k]) for k in da)


def timed(cmd, out):
    if os.path.exists(out):
        os.unlink(out)
    t = time.perf_counter()
    r = subprocess.run(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit("bench: %s failed: %s" % (" ".join(cmd[:4]), r.stderr.decode(errors="replace")))
    return dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--max-ranks", type=int, default=2)
    ap.add_argument("--max-threads", type=int, default=2)
    args = ap.parse_args()
    mpirun = shutil.which("mpirun")
    if not (os.access(PLAIN, os.X_OK) and os.access(MPI, os.X_OK) and mpirun):
        sys.exit("bench: needs build/doppel, build-mpi/doppel (make mpi) and mpirun")
    work = tempfile.mkdtemp(prefix="doppel-bench-mpi.")
    ref = os.path.join(work, "ref.h5")
    subprocess.run([PLAIN, "scan", args.dir, "-o", ref, "-q", "-j", "1"], check=True)
    import h5py
    with h5py.File(ref, "r") as f:
        nfiles = len(f["images/path"])
    rev = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                         text=True).stdout.strip()
    print("bench=context git=%s cores=%d files=%d dir=%s" % (rev, os.cpu_count(), nfiles, args.dir))
    out = os.path.join(work, "out.h5")
    # The fixed cost of the MPI layer: starting one rank that does nothing.
    t = [timed([mpirun, "-n", "1", MPI, "version"], out) for _ in range(args.reps)]
    print("bench=mpi_startup median_s=%.3f" % statistics.median(t))
    results = {}
    runs = [("plain", 1, t) for t in range(1, args.max_threads + 1)]
    runs += [("mpi", r, t) for r in range(1, args.max_ranks + 1) for t in range(1, args.max_threads + 1)]
    cmds = {}
    for impl, ranks, threads in runs:
        if impl == "plain":
            cmds[(impl, ranks, threads)] = [PLAIN, "scan", args.dir, "-o", out, "-q", "-j", str(threads)]
        else:
            # --bind-to none: Open MPI binds each rank to one core by default,
            # which would put all of a rank's OpenMP threads on that core.
            cmds[(impl, ranks, threads)] = [mpirun, "--oversubscribe", "--bind-to", "none", "-n",
                                            str(ranks), MPI, "scan", args.dir, "-o", out, "-q",
                                            "-j", str(threads)]
    # Repetitions round-robin over the configurations, so that a slow spell
    # of a shared machine hits all of them alike; the cache is warm.
    times = {k: [] for k in runs}
    checks = {}
    for _ in range(args.reps):
        for k in runs:
            times[k].append(timed(cmds[k], out))
            checks[k] = checks.get(k, True) and same(ref, out)
    base = statistics.median(times[("plain", 1, 1)])
    for k in runs:
        impl, ranks, threads = k
        med = results[k] = statistics.median(times[k])
        print("bench=mpi_scan impl=%s ranks=%d threads=%d files=%d reps=%d median_s=%.3f files_s=%.1f "
              "speedup=%.2f efficiency=%.2f check=%s" %
              (impl, ranks, threads, nfiles, args.reps, med, nfiles / med, base / med,
               base / med / (ranks * threads), "ok" if checks[k] else "DIFFERENT"))
        sys.stdout.flush()
    for threads in range(1, args.max_threads + 1):
        p, m = results[("plain", 1, threads)], results[("mpi", 1, threads)]
        pct = 100.0 * (m - p) / p
        print("bench=mpi_overhead threads=%d plain_s=%.3f mpi_s=%.3f overhead_pct=%.1f target_pct=3 pass=%s"
              % (threads, p, m, pct, "yes" if pct <= 3 else "no"))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
