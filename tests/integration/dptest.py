"""tests/integration/dptest.py - shared helpers of the Python integration tests.

TAP output (ok/not ok lines and the closing plan), running the doppel binary
and the fixture generator, reading the fixture manifest and result files.
Paths come from the environment that tests/run.sh sets: DOPPEL, MKFIXTURES,
DP_TEST_TMP.

SPDX-License-Identifier: MIT
"""
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

DOPPEL = os.environ.get("DOPPEL", os.path.abspath("build/doppel"))
MKFIXTURES = os.environ.get("MKFIXTURES", os.path.abspath("build/tests/mkfixtures"))
TMP_ROOT = os.environ.get("DP_TEST_TMP", tempfile.gettempdir())

_n = 0
_failed = 0


def ok(cond, name, diag=None):
    """One TAP check; returns cond so callers can chain diagnostics."""
    global _n, _failed
    _n += 1
    if not cond:
        _failed += 1
    print(("ok" if cond else "not ok"), _n, "-", name.replace("\n", "\\n"))
    lines = str(diag).splitlines()[:40] if not cond and diag is not None else []
    for line in lines:
        print("#", line)
    sys.stdout.flush()
    if not cond:   # prove shows a test's stderr, not its stdout: say there what failed
        print("# failed %d - %s" % (_n, name.replace("\n", "\\n")), file=sys.stderr)
        for line in lines:
            print("#", line, file=sys.stderr)
        sys.stderr.flush()
    return cond


def skip_all(reason):
    print("1..0 # SKIP", reason)
    sys.exit(0)


def done():
    print("1..%d" % _n)
    sys.exit(1 if _failed else 0)


def seeded_rng(default=None):
    """The run's random generator: seed from --seed N, else default, else the
    clock; the seed is printed so that a failing run can be reproduced."""
    seed = default if default is not None else int(time.time()) % 100000
    if "--seed" in sys.argv:
        seed = int(sys.argv[sys.argv.index("--seed") + 1])
    print("# seed", seed)
    return random.Random(seed)


def tmpdir(name):
    """A fresh directory for one test program."""
    return tempfile.mkdtemp(prefix=name + ".", dir=TMP_ROOT)


def run(args, **kw):
    """Run a command; returns CompletedProcess with bytes stdout/stderr."""
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def doppel(*args, **kw):
    return run([DOPPEL] + [a if isinstance(a, (bytes, str)) else str(a) for a in args], **kw)


def unescape(s):
    """Undo the C-style escaping of manifest paths (\\n, \\t, \\\\, \\xHH) into bytes."""
    out = bytearray()
    b = s.encode("utf-8")
    i = 0
    while i < len(b):
        c = b[i]
        if c == 0x5C and i + 1 < len(b):
            n = chr(b[i + 1])
            if n == "n":
                out.append(10); i += 2; continue
            if n == "t":
                out.append(9); i += 2; continue
            if n == "\\":
                out.append(0x5C); i += 2; continue
            if n == "x":
                out.append(int(b[i + 2:i + 4], 16)); i += 4; continue
        out.append(c)
        i += 1
    return bytes(out)


def manifest(corpus):
    """Rows of corpus/manifest.tsv as dicts; 'path' is bytes relative to corpus."""
    rows = []
    with open(os.path.join(corpus, "manifest.tsv"), encoding="utf-8") as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if header is None:
                header = fields
                continue
            r = dict(zip(header, fields))
            r["path"] = unescape(r["path"])
            rows.append(r)
    return rows


def make_corpus(mode, where, *extra):
    """Generate a fixture corpus with build/tests/mkfixtures; returns its path."""
    r = run([MKFIXTURES, mode, where] + list(extra))
    if r.returncode != 0:
        print("# mkfixtures failed:", r.stderr.decode(errors="replace"))
        sys.exit(1)
    return where


def load(h5path):
    """All datasets of a result file as {'/group/name': numpy array}, plus attrs."""
    import h5py
    out = {}
    with h5py.File(h5path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out["/" + name] = obj[()]
        f.visititems(visit)
        attrs = {k: f.attrs[k] for k in f.attrs}
    return out, attrs


def hamming_bytes(a, b):
    return sum(bin(x ^ y).count("1") for x, y in zip(bytes(a), bytes(b)))


def hamming64(a, b):
    return bin(int(a) ^ int(b)).count("1")


def snapshot(top):
    """(size, mtime_ns, sha256) of every regular file under top, by path bytes."""
    snap = {}
    for dirpath, dirs, files in os.walk(os.fsencode(top)):
        for name in files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if not os.path.isfile(p) or os.path.islink(p):
                continue
            try:
                with open(p, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                digest = None
            snap[p] = (st.st_size, st.st_mtime_ns, digest)
    return snap


def photo_folders(corpus, work, n, prefix):
    """n copies of the corpus's originals/ and copies/ (enough work for a scan
    to be interrupted); returns their paths."""
    out = []
    for k in range(n):
        d = os.path.join(work, "%s%d" % (prefix, k))
        shutil.copytree(os.path.join(corpus, "originals"), d)
        shutil.copytree(os.path.join(corpus, "copies"), os.path.join(d, "copies"))
        out.append(d)
    return out

