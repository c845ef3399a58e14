#!/usr/bin/python3
"""tests/integration/test_environ.py - no command changes the environment while its threads run.

libjpeg reads the environment (getenv "JPEGMEM") in every
jpeg_CreateDecompress; a setenv on another thread at that moment can move
the array under it and crash the decode. libvips sets VIPSHOME when it
starts, and it starts on the worker that first meets a file that is not a
JPEG, so doppel sets it up before the workers start (dp_decode_prepare).

Runs scan, cluster, query, hash and report with 2 threads on the fixture
corpus (JPEG, PNG, TIFF, WebP, GIF, PPM and damaged files) under
build/tests/envguard.so, which prints one "envguard:" line for every
environment change made while the process has more than one thread. First
checks that the guard sees such a change in a process that makes one.

SPDX-License-Identifier: MIT
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import ok, done, skip_all, tmpdir, doppel, run, make_corpus  # noqa: E402

GUARD = os.environ.get("ENVGUARD", os.path.abspath("build/tests/envguard.so"))
if not os.path.exists(GUARD):
    skip_all("no %s (make check builds it)" % GUARD)
# A sanitizer build wants its runtime first among the preloaded libraries.
env = dict(os.environ, LD_PRELOAD=GUARD,
           ASAN_OPTIONS=":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0"])))
env.pop("VIPSHOME", None)   # libvips' start sets it when unset: the case under test

# The guard itself: a process that sets a variable while a second thread runs.
r = run([sys.executable, "-c", "import os, threading, time\n"
         "t = threading.Thread(target=time.sleep, args=(0.5,)); t.start()\n"
         "os.environ['DP_GUARD_PROBE'] = '1'; t.join()"], env=env)
ok(r.returncode == 0 and b"(DP_GUARD_PROBE) with 2 threads" in r.stderr,
   "the guard reports a change made with 2 threads", r.stderr)

work = tmpdir("environ")
corpus = make_corpus("tests", os.path.join(work, "corpus"))
h5 = os.path.join(work, "scan.h5")
photo = os.path.join(corpus, "originals", "photo_0.jpg")
steps = [
    ("scan", ["scan", corpus, "-o", h5, "-q", "-j", "2", "--hashes", "all"]),
    ("cluster", ["cluster", h5, "-q", "-j", "2"]),
    ("cluster --level scene", ["cluster", h5, "-q", "-j", "2", "--level", "scene", "--name", "scene"]),
    ("query", ["query", h5, photo] + [os.path.join(corpus, "copies", f)
                                      for f in sorted(os.listdir(os.path.join(corpus, "copies")))]),
    ("hash", ["hash"] + [os.path.join(corpus, "copies", f)
                                    for f in sorted(os.listdir(os.path.join(corpus, "copies")))]),
    ("report", ["report", h5, "-o", os.path.join(work, "report"), "-j", "2"]),
]
for name, args in steps:
    r = doppel(*args, env=env)
    guard = [line for line in r.stderr.splitlines() if line.startswith(b"envguard:")]
    ok(not guard, "%s: no environment change with threads running" % name, b"\n".join(guard))
    # query and hash exit 1 when something did not match or decode; never a crash
    ok(r.returncode in (0, 1), "%s: exits normally (%d)" % (name, r.returncode), r.stderr)
done()
