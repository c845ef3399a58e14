#!/usr/bin/python3
"""tests/integration/test_report.py - the HTML report: counts, pages, escaping, offline, blur.

Scans the fixture corpus (duplicates, odd names such as "<script>", a
newline and invalid UTF-8, damaged files), clusters it at shot and scene
level and writes reports. Checks against the HDF5 content: one group page
per group of two or more files, one card per member, a thumbnail for every
member that decoded, one error row per file that did not; every link and
image is a relative path to a file of the report; no script anywhere; data
shown as text. Then loads the pages in headless Chromium (Debian's
chromium): the rendered cards and thumbnails are counted, no console
message (CSP violation, error) may appear, and network names do not
resolve, so nothing could leave the file system unnoticed. Screenshots of
the index and a group page are kept in $DP_ARTEFACTS (default
build/artefacts). The Chromium part is skipped when chromium is missing.

SPDX-License-Identifier: MIT
"""
import html.parser
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dptest import ok, done, tmpdir, doppel, make_corpus  # noqa: E402

import h5py  # noqa: E402
import numpy  # noqa: E402

work = tmpdir("report")
corpus = make_corpus("tests", os.path.join(work, "corpus"))
os.mkdir(os.path.join(corpus, "empty"))
for k in range(7):              # errors enough for two error pages at --page-size 1
    open(os.path.join(corpus, "empty", "e%d.jpg" % k), "wb").close()
h5 = os.path.join(work, "r.h5")
r = doppel("scan", corpus, "-o", h5, "-q")
ok(r.returncode == 0, "scan", r.stderr)
for level in ("shot", "scene"):
    r = doppel("cluster", h5, "-q", "--level", level)
    ok(r.returncode == 0, "cluster --level %s" % level, r.stderr)
with h5py.File(h5, "r") as f:
    names = {v: k for k, v in h5py.check_enum_dtype(f["images/status"].dtype).items()}
    status = [names[int(s)] for s in f["images/status"]]
    paths = list(f["images/path"])
    labels = {lv: f["clusters/%s/label" % lv][()] for lv in ("shot", "scene")}
    shots = f["clusters/scene/shot"][()]
    exact = f["clusters/shot/exact"][()]
    pairs = {lv: list(zip(f["clusters/%s/pairs_i" % lv][()].tolist(), f["clusters/%s/pairs_j" % lv][()].tolist(),
                          f["clusters/%s/pairs_match" % lv][()].tolist())) for lv in ("shot", "scene")}


class Page(html.parser.HTMLParser):
    """Tags, attributes and text of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.refs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        for k in ("src", "href"):
            if k in a:
                self.refs.append(a[k])

    def handle_data(self, data):
        self.text.append(data)


def parse(path):
    p = Page()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    return p


def expected(level):
    lab = labels[level]
    groups = {}
    for i, g in enumerate(lab):
        if g >= 0:
            groups.setdefault(int(g), []).append(i)
    return {g: rows for g, rows in groups.items() if len(rows) >= 2}


def expected_match(level):
    """Rows tied to their group only by aligned thumbnails or their capture instant:
    row -> "instant", "copy" or "scene"."""
    lab, how = labels[level], {}
    for i, j, m in pairs[level]:
        if lab[i] == lab[j]:
            how.setdefault(i, set()).add(m)
            how.setdefault(j, set()).add(m)
    return {i: "instant" if 3 in ms else "copy" if 1 in ms else "scene"
            for i, ms in how.items() if 0 not in ms}


def check_report(out, level):
    exp = expected(level)
    matched = {}
    pages = sorted(os.listdir(os.path.join(out, "g")))
    ok(pages == sorted("%d.html" % g for g in exp), "%s: one page per group of two or more files (%d)"
       % (level, len(exp)), (pages[:5], sorted(exp)[:5]))
    cards = thumbs = 0
    bad_refs, scripts, rows_seen = [], 0, {}
    for g, rows in exp.items():
        p = parse(os.path.join(out, "g", "%d.html" % g))
        got = sorted(int(a["data-row"]) for t, a in p.tags if t == "figure")
        matched.update((int(a["data-row"]), a["data-match"]) for t, a in p.tags
                       if t == "figure" and "data-match" in a)
        rows_seen[g] = got
        cards += len(got)
        thumbs += sum(1 for t, a in p.tags if t == "img")
        scripts += sum(1 for t, a in p.tags if t == "script")
        bad_refs += [x for x in p.refs if ":" in x or x.startswith("/")
                     or not os.path.exists(os.path.normpath(os.path.join(out, "g", x)))]
        if level == "scene":
            secs = [int(a["data-shot"]) for t, a in p.tags if t == "section" and "data-shot" in a]
            ok(sorted(secs) == sorted(set(int(shots[i]) for i in rows)),
               "scene group %d: its shot groups nested" % g)
    ok(all(rows_seen[g] == sorted(rows) for g, rows in exp.items()),
       "%s: every group page shows exactly its members" % level)
    want = expected_match(level)
    ok(matched == want and (level == "scene" or want),
       "%s: cards tied only by aligned thumbnails or their capture instant say so (%d)"
       % (level, len(want)), (matched, want))
    want_thumbs = sum(1 for rows in exp.values() for i in rows if status[i] == "ok")
    ok(thumbs == want_thumbs, "%s: a thumbnail for each member that decoded (%d)" % (level, thumbs))
    for name in ["index.html", "errors.html"]:
        p = parse(os.path.join(out, name))
        scripts += sum(1 for t, a in p.tags if t == "script")
        bad_refs += [x for x in p.refs if ":" in x or x.startswith("/")
                     or not os.path.exists(os.path.normpath(os.path.join(out, x)))]
    ok(not bad_refs, "%s: every link and image is a relative path to a report file" % level, bad_refs[:5])
    ok(scripts == 0, "%s: no script element on any page" % level)
    return cards, thumbs


out = os.path.join(work, "report")
r = doppel("report", h5, "-o", out)
ok(r.returncode == 0 and b"index.html" in r.stderr, "report exits 0 and names the index", r.stderr)
cards, thumbs = check_report(out, "shot")
errs = parse(os.path.join(out, "errors.html"))
err_rows = sorted(int(a["data-row"]) for t, a in errs.tags if t == "tr" and "data-row" in a)
ok(err_rows == [i for i, s in enumerate(status) if s != "ok"],
   "errors page: one row per file not read or not decoded (%d)" % len(err_rows))
index = open(os.path.join(out, "index.html"), encoding="utf-8").read()
ok('class="blur"' in index, "thumbnails blurred by default")
ok(re.search(r"<td>files</td><td>%s</td>" % format(len(paths), ","), index) is not None,
   "index: the file count")
ex = numpy.unique(exact[exact >= 0], return_counts=True)[1]
ok("<td>%d files in %d groups</td>" % (ex[ex >= 2].sum(), (ex >= 2).sum()) in index,
   "index: exact duplicates as in /clusters/shot/exact (%d files, %d groups)" % (ex[ex >= 2].sum(), (ex >= 2).sum()))
ok(re.search(r"errors \(not read or not decoded\)</td><td><a href=\"errors.html\">%d</a>"
             % sum(s != "ok" for s in status), index) is not None, "index: the error count")

# Odd names shown as text: "<script>", a newline, invalid UTF-8.
all_html = ""
for d, _, fs in os.walk(out):
    for n in fs:
        if n.endswith(".html"):
            all_html += open(os.path.join(d, n), encoding="utf-8").read()
ok("&lt;script&gt;" in all_html and "<script" not in all_html.replace("&lt;script", ""),
   "a file named with <script> is escaped text")
ok('<span class="esc">\\n</span>' in all_html and '<span class="esc">\\xFF</span>' in all_html,
   "a newline and invalid UTF-8 in a name are shown as escapes")

r = doppel("report", h5, "-o", out)
ok(r.returncode == 0 and b" 0 new" in r.stderr, "second report: thumbnails reused, none made again", r.stderr)
shutil.rmtree(os.path.join(out, "g"))
os.mkdir(os.path.join(out, "g"))
r = doppel("report", h5, "-o", out, "--name", "scene", "--no-blur")
check_report(out, "scene")
ok('class="clear"' in open(os.path.join(out, "index.html"), encoding="utf-8").read(), "--no-blur: not blurred")

# Paging: 1 group per index page, 10 files per error page.
paged = os.path.join(work, "paged")
r = doppel("report", h5, "-o", paged, "--page-size", "1", "-q")
idx = sorted(n for n in os.listdir(paged) if n.startswith("index"))
errp = sorted(n for n in os.listdir(paged) if n.startswith("errors"))
ngroups = len(expected("shot"))
nerr = sum(s != "ok" for s in status)
ok(r.returncode == 0 and len(idx) == ngroups and len(errp) == (nerr + 9) // 10 and len(errp) >= 2,
   "--page-size 1: %d index pages, %d error pages" % (len(idx), len(errp)), (idx, errp))
erows = sum(1 for n in errp for t, a in parse(os.path.join(paged, n)).tags if t == "tr" and "data-row" in a)
ok(erows == nerr, "the error pages list every error once (%d)" % erows)
listed = sum(1 for n in idx for t, a in parse(os.path.join(paged, n)).tags
             if t == "section" and "data-group" in a)
ok(listed == ngroups, "the index pages list every group once (%d)" % listed)
r = doppel("report", h5, "-o", paged, "--page-size", "0")
ok(r.returncode == 2, "--page-size 0: usage error")

# A report killed half-way leaves temporary files; the next run removes them.
def dead_pid():
    pid = 4000000
    while True:
        try:
            os.kill(pid, 0)
            pid -= 1
        except ProcessLookupError:
            return pid
        except PermissionError:
            pid -= 1


killed = os.path.join(work, "killed")
p = subprocess.Popen([os.environ.get("DOPPEL", "build/doppel"), "report", h5, "-o", killed, "-j", "1"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.15)
p.kill()
p.wait()
os.makedirs(os.path.join(killed, "thumbs"), exist_ok=True)
pid = dead_pid()
for stale in ("index.html.tmp-%d" % pid, "thumbs/%s.jpg.tmp-%d-0x1" % ("0" * 64, pid)):
    open(os.path.join(killed, stale), "w").close()
r = doppel("report", h5, "-o", killed, "-q")
left = [os.path.join(d, n) for d, _, fs in os.walk(killed) for n in fs if ".tmp-" in n]
ok(r.returncode == 0 and not left, "a rerun after a killed report completes and removes its temporary files",
   left)

# Bad input.
r = doppel("report", h5, "-o", os.path.join(work, "x"), "--name", "nope")
ok(r.returncode == 1 and b"nope" in r.stderr, "a clustering that does not exist: exit 1", r.stderr)
r = doppel("report", h5)
ok(r.returncode == 2, "no -o: usage error")
r = doppel("report", os.path.join(work, "missing.h5"), "-o", os.path.join(work, "x"))
ok(r.returncode == 1, "a missing result file: exit 1")

# ---- Chromium -----------------------------------------------------------------
chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if not chromium:
    print("# chromium not installed: rendering checks skipped (scripts/deps.sh --browser)")
    done()
out = os.path.join(work, "report2")
r = doppel("report", h5, "-o", out, "--name", "scene")
BASE = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--user-data-dir=" + os.path.join(work, "chrome-profile"), "--enable-logging=stderr", "--v=0",
        "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=4000"]


def render(page, *extra):
    r = subprocess.run(BASE + list(extra) + ["file://" + page], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    log = r.stderr.decode(errors="replace")
    console = [ln for ln in log.splitlines() if ":CONSOLE" in ln or "Refused to" in ln or "net::ERR" in ln]
    return r.returncode, r.stdout.decode(errors="replace"), console


exp = expected("scene")
rendered_cards = rendered_imgs = 0
console_all = []
for g in exp:
    rc, dom, console = render(os.path.join(out, "g", "%d.html" % g), "--dump-dom")
    rendered_cards += dom.count('<figure class="card')
    rendered_imgs += len(re.findall(r"<img ", dom))
    console_all += console
want_cards = sum(len(v) for v in exp.values())
want_imgs = sum(1 for rows in exp.values() for i in rows if status[i] == "ok")
ok(rendered_cards == want_cards, "Chromium renders one card per group member (%d)" % rendered_cards)
ok(rendered_imgs == want_imgs, "Chromium renders one thumbnail per member that decoded (%d)" % rendered_imgs)
rc, dom, console = render(os.path.join(out, "index.html"), "--dump-dom")
console_all += console
ok(dom.count('class="group"') == len(exp), "Chromium renders every group on the index (%d)" % len(exp))
rc, dom, console = render(os.path.join(out, "errors.html"), "--dump-dom")
console_all += console
with_name = [os.path.join(d, n) for d, _, fs in os.walk(out) for n in fs
             if n.endswith(".html") and "&lt;script&gt;" in open(os.path.join(d, n), encoding="utf-8").read()]
ok(with_name, "a page shows the file named <script>")
for page in with_name[:2]:
    rc, dom, console = render(page, "--dump-dom")
    console_all += console
    ok("&lt;script&gt;" in dom and not re.search(r"<script", dom),
       "%s: the <script> name renders as text, no script element" % os.path.relpath(page, out))
ok(not console_all, "no console message, CSP violation or network error on any page", console_all[:5])

art = os.environ.get("DP_ARTEFACTS", os.path.abspath("build/artefacts"))
os.makedirs(art, exist_ok=True)
biggest = max(exp, key=lambda g: len(exp[g]))
shots_ok = True
for name, page in (("report-index.png", os.path.join(out, "index.html")),
                   ("report-group.png", os.path.join(out, "g", "%d.html" % biggest))):
    target = os.path.join(art, name)
    if os.path.exists(target):
        os.unlink(target)
    render(page, "--screenshot=" + target, "--window-size=1280,1400", "--hide-scrollbars")
    shots_ok &= os.path.exists(target) and os.path.getsize(target) > 5000
ok(shots_ok, "screenshots of the index and a group page kept in %s" % art)
done()
