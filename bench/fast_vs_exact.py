#!/usr/bin/python3
"""bench/fast_vs_exact.py - how far the default (fast) PDQ is from the reference-exact PDQ.

Scans DIR twice with the same threads: default fast mode (JPEG DCT scaling,
shrink-on-load) and --exact (the PDQ reference tool's decoding), and for
every file hashed in both prints the distribution of Hamming distances
between its two PDQ hashes, plus both scan times:

  bench=fast_vs_exact files=1995 quality_min=50 mean=1.23 median=1 p90=3 p99=6 max=14 over31=0 target_mean=2 target_p99=8 target_max=31 pass=yes
  bench=fast_vs_exact_shrunk files=1210 mean=... (only files fast mode shrank: shorter side >= 2 min_side)
  bench=fast_vs_exact_format format=jpeg files=... mean=... p99=... max=...
  bench=fast_vs_exact_time fast_s=... exact_s=... speedup=...

usage: bench/fast_vs_exact.py DIR [-j N] [--min-side N] [--quality-min 50] [--worst 10]

SPDX-License-Identifier: MIT
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOPPEL = os.path.join(TOP, "build", "doppel")


def scan(src, out, threads, extra):
    t0 = time.monotonic()
    r = subprocess.run([DOPPEL, "scan", src, "-o", out, "-f", "-q", "-j", str(threads),
                        "--hashes", "pdq"] + extra, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise SystemExit("bench: scan failed: " + r.stderr.decode(errors="replace"))
    secs = time.monotonic() - t0
    with h5py.File(out, "r") as f:
        small = np.minimum(f["images/width"][()], f["images/height"][()])
        return (secs, f["images/path"][()], f["images/status"][()], f["hashes/pdq"][()],
                f["hashes/pdq_quality"][()], f["images/format"][()],
                small >= 2 * int(f.attrs["min_side"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("-j", "--threads", type=int, default=os.cpu_count())
    ap.add_argument("--min-side", type=int, default=None, help="fast mode --min-side")
    ap.add_argument("--quality-min", type=int, default=50)
    ap.add_argument("--worst", type=int, default=5)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="doppel-fve.")
    fast_opts = ["--min-side", str(args.min_side)] if args.min_side else []
    tf, paths, st_f, pdq_f, q_f, fmt, shrunk = scan(args.dir, os.path.join(tmp, "fast.h5"), args.threads, fast_opts)
    te, paths_e, st_e, pdq_e, q_e, _, _ = scan(args.dir, os.path.join(tmp, "exact.h5"), args.threads, ["--exact"])
    assert list(paths) == list(paths_e)
    keep = (st_f == 0) & (st_e == 0) & (q_e >= args.quality_min)
    d = np.unpackbits(pdq_f[keep] ^ pdq_e[keep], axis=1).sum(axis=1)
    if len(d) == 0:
        raise SystemExit("bench: no image hashed in both modes")
    p90, p99 = np.percentile(d, 90), np.percentile(d, 99)
    ok = d.mean() <= 2 and p99 <= 8 and d.max() <= 31
    print("bench=fast_vs_exact files=%d quality_min=%d mean=%.2f median=%d p90=%.0f p99=%.1f max=%d "
          "over31=%d target_mean=2 target_p99=8 target_max=31 pass=%s"
          % (len(d), args.quality_min, d.mean(), int(statistics.median(d)), p90, p99, d.max(),
             int((d > 31).sum()), "yes" if ok else "no"))
    sel = d[shrunk[keep]]
    if len(sel):
        print("bench=fast_vs_exact_shrunk files=%d mean=%.2f median=%d p99=%.1f max=%d over31=%d"
              % (len(sel), sel.mean(), int(statistics.median(sel)), np.percentile(sel, 99),
                 sel.max(), int((sel > 31).sum())))
    fmts = fmt[keep]
    for f in sorted(set(fmts)):
        sel = d[fmts == f]
        print("bench=fast_vs_exact_format format=%s files=%d mean=%.2f p99=%.1f max=%d"
              % (f.decode() or "unknown", len(sel), sel.mean(), np.percentile(sel, 99), sel.max()))
    print("bench=fast_vs_exact_time threads=%d fast_s=%.2f exact_s=%.2f speedup=%.2f"
          % (args.threads, tf, te, te / tf))
    idx = np.nonzero(keep)[0]
    for k in np.argsort(d)[::-1][:args.worst]:
        print("# worst: %d bits  q=%d  %s" % (d[k], q_e[idx[k]], paths[idx[k]].decode("utf-8", "replace")))
    for f in ("fast.h5", "exact.h5"):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
