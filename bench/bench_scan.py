#!/usr/bin/python3
"""bench/bench_scan.py - doppel scan throughput against the decode limit, same run, same files.

For a folder of JPEG photos: warms the page cache, then alternates
`build/bench/decode_only` (libjpeg-turbo scaled decode alone, same scale
choice, same threads) and `build/doppel scan` for --reps repetitions, and
prints one machine-readable line per measurement and the medians:

  bench=context cpu=... threads=2 files=1000 bytes=... git=...
  bench=scan rep=1 seconds=... images_s=... mb_s=... peak_rss_mb=...
  bench=decode_only rep=1 seconds=... images_s=... mb_s=... peak_rss_mb=...
  bench=scan_vs_decode median_scan_images_s=... median_decode_images_s=... ratio=0.93 target=0.85 pass=yes

usage: bench/bench_scan.py DIR [-j N] [--reps 5] [--hashes pdq,phash,dhash] [--out FILE.h5]
Build first: make bench. Make a corpus with:
  build/tests/mkfixtures bench DIR --count 1000        (synthetic 2-5 MP JPEGs)
or ../shared/tools/mkcorpus (real photos; see data/README).

SPDX-License-Identifier: MIT
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOPPEL = os.path.join(TOP, "build", "doppel")
DECODE = os.path.join(TOP, "build", "bench", "decode_only")


def jpeg_files(top):
    out = []
    for d, _, files in os.walk(top):
        for f in files:
            p = os.path.join(d, f)
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as fh:
                    if fh.read(3) == b"\xff\xd8\xff":
                        out.append(p)
    return sorted(out)


def run_rss(cmd, stdin_path=None):
    """Run cmd with os.fork/execv and wait4 to get its own peak RSS."""
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            if stdin_path:
                fd = os.open(stdin_path, os.O_RDONLY)
                os.dup2(fd, 0)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.execv(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    secs = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit("bench: %s exited with %d" % (" ".join(cmd[:3]), code))
    return secs, ru.ru_maxrss / 1024.0


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip().replace(" ", "_")
    except OSError:
        pass
    return platform.processor() or "unknown"


def main():
    ap = argparse.ArgumentParser(description="scan throughput vs libjpeg-turbo decode alone")
    ap.add_argument("dir")
    ap.add_argument("-j", "--threads", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--hashes", default="pdq,phash,dhash")
    ap.add_argument("--out", default=None, help="result file (default: a temporary file)")
    args = ap.parse_args()
    for exe in (DOPPEL, DECODE):
        if not os.access(exe, os.X_OK):
            raise SystemExit("bench: %s missing: run 'make bench' first" % exe)
    # Both sides get the same JPEG files (the scan by name, so that PNG or
    # TIFF files in DIR do not count against it).
    files = jpeg_files(args.dir)
    if not files:
        raise SystemExit("bench: no JPEG files under %s" % args.dir)
    nbytes = 0
    for p in files:             # warm the page cache: both sides read from memory
        with open(p, "rb") as f:
            nbytes += len(f.read())
    tmp = tempfile.mkdtemp(prefix="doppel-bench.")
    listing = os.path.join(tmp, "files.txt")
    with open(listing, "w") as f:
        f.write("\n".join(files) + "\n")
    out = args.out or os.path.join(tmp, "bench.h5")
    git = subprocess.run(["git", "-C", TOP, "rev-parse", "--short", "HEAD"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode().strip()
    print("bench=context cpu=%s cores=%d threads=%d files=%d bytes=%d mean_mb=%.2f hashes=%s git=%s"
          % (cpu_model(), os.cpu_count(), args.threads, len(files), nbytes,
             nbytes / 1e6 / len(files), args.hashes, git or "unknown"))
    scan_s, dec_s, scan_rss, dec_rss = [], [], [], []
    for r in range(1, args.reps + 1):
        s, rss = run_rss([DECODE, "-j", str(args.threads), "-r", "1", "-"], stdin_path=listing)
        dec_s.append(s)
        dec_rss.append(rss)
        print("bench=decode_only rep=%d seconds=%.3f images_s=%.1f mb_s=%.1f peak_rss_mb=%.0f"
              % (r, s, len(files) / s, nbytes / 1e6 / s, rss))
        s, rss = run_rss([DOPPEL, "scan", "-o", out, "-f", "-q", "-j", str(args.threads),
                          "--hashes", args.hashes] + files)
        scan_s.append(s)
        scan_rss.append(rss)
        print("bench=scan rep=%d seconds=%.3f images_s=%.1f mb_s=%.1f peak_rss_mb=%.0f"
              % (r, s, len(files) / s, nbytes / 1e6 / s, rss))
        sys.stdout.flush()
    ms, md = statistics.median(scan_s), statistics.median(dec_s)
    ratio = md / ms
    print("bench=scan_vs_decode threads=%d files=%d median_scan_images_s=%.1f "
          "median_decode_images_s=%.1f ratio=%.3f target=0.85 pass=%s scan_peak_rss_mb=%.0f "
          "rss_target_mb=300"
          % (args.threads, len(files), len(files) / ms, len(files) / md, ratio,
             "yes" if ratio >= 0.85 else "no", max(scan_rss)))
    if not args.out:
        os.unlink(out) if os.path.exists(out) else None
    os.unlink(listing)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
