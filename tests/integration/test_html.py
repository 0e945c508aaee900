"""`--html FILE`: the report page of a real traced run, opened in headless
Chromium with the network disabled. Its numbers (the embedded JSON and the
visible tables) must equal the run's own: each process's ground truth and
synctrace's --json summary of the same run. Screenshots are kept under
build/test-artifacts/."""
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

from conftest import (BUILD, RELAY, ROOT, Tracer, labels, require_installed, rows, total,
                      traced, traced_relay_demo)

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = BUILD / "test-artifacts"
HOSTILE = "</script><img src=x onerror=alert(1)><!--<script>&\"'"


def chromium(page, *args):
    """Run headless Chromium on the file page with every fetch refused: no
    proxy that answers, no name that resolves, a fresh profile."""
    require_installed("chromium", None if os.access(CHROMIUM, os.X_OK) else
                      f"{CHROMIUM} not installed (scripts/deps.sh test)")
    profile = tempfile.mkdtemp(prefix="synctrace-chromium-")
    try:
        p = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                            "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
                            "--no-first-run", "--disable-extensions", "--disable-sync",
                            f"--user-data-dir={profile}", *args, Path(page).as_uri()],
                           capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def screenshot(page, name):
    """A screenshot of page, kept as build/test-artifacts/NAME.png (with the page)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = ARTIFACTS / f"{name}.png"
    png.unlink(missing_ok=True)
    shutil.copy(page, ARTIFACTS / f"{name}.html")
    chromium(page, "--window-size=1000,1400", "--hide-scrollbars", f"--screenshot={png}")
    return png


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG, with zlib only."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and not interlace, (depth, colour)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev, out = zlib.decompress(idat), width * bpp, bytearray(width * bpp), []
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif f == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - bpp] if i >= bpp else 0) + prev[i]) // 2) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.append(bytes(line))
        prev = line
    return width, height, bpp, out


def assert_not_blank(png):
    """The screenshot shows a page: many colours (the heat map's ramp), much not white."""
    width, height, bpp, lines = png_pixels(png)
    colours, inked = set(), 0
    for line in lines[::2]:
        for x in range(0, width * bpp, 2 * bpp):
            px = line[x:x + 3]
            colours.add(px)
            inked += px != b"\xff\xff\xff"
    sampled = len(lines[::2]) * len(range(0, width * bpp, 2 * bpp))
    assert len(colours) >= 20 and inked / sampled >= 0.05, \
        f"{png}: {len(colours)} colours, {inked / sampled:.1%} not white: a blank page?"


def page_data(text):
    """The page's embedded numbers (one application/json script element)."""
    blocks = re.findall(r'<script type="application/json" id="synctrace-data">(.*?)</script>',
                        text, re.S)
    assert len(blocks) == 1, f"{len(blocks)} data blocks"
    return json.loads(blocks[0])


class Tables(html.parser.HTMLParser):
    """From a page or its DOM: the summary table's rows as {(op, label): {key:
    (data-v, text)}}, every element's tag and attribute name, and the text."""

    def __init__(self):
        super().__init__()
        self.rows, self.tags, self.text, self.attrs = {}, [], [], set()
        self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.attrs |= set(a)
        if tag == "tr" and "data-op" in a:
            self._row = self.rows.setdefault((a["data-op"], a["data-label"]), {})
        elif tag == "td" and self._row is not None and "data-k" in a:
            self._cell = [a["data-k"], a.get("data-v"), ""]

    def handle_endtag(self, tag):
        if tag == "td" and self._cell:
            self._row[self._cell[0]] = (self._cell[1], self._cell[2])
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell:
            self._cell[2] += data


def dom_of(page):
    t = Tables()
    t.feed(chromium(page, "--dump-dom"))
    return t


def label_text(row):
    """A label as the page's tables show it."""
    if "label" not in row:
        return ""
    return "none" if row["label"] is None else str(row["label"])


def assert_page_shows_summary(dom, summary):
    """Each summary row of --json is a row of the visible table, with the same numbers."""
    assert len(dom.rows) == len(summary["ops"]), (sorted(dom.rows), summary["ops"])
    for r in summary["ops"]:
        cells = dom.rows[(r["op"], label_text(r))]
        assert cells["count"] == (str(r["count"]), str(r["count"])), (r, cells)
        if "errors" in r:
            assert cells["errors"] == (str(r["errors"]), str(r["errors"])), (r, cells)
        for p in ("p50", "p95", "p99"):
            if "latency_ns" in r:
                assert cells[p][0] == str(r["latency_ns"][p]), (p, r, cells)


def assert_columns_add_up(data, summary):
    """Every series' time columns add up to the summary's count exactly."""
    for s in data["series"]:
        if s.get("target"):
            want = [r["count"] for r in summary["ops"] if r["op"] == s["op"]]
        elif "label" in s:
            want = [r["count"] for r in rows(summary, s["op"]) if r.get("label") == s["label"]]
        else:
            want = [total(summary, s["op"])]
        assert want and sum(s["count"]) == sum(want), (s["op"], s.get("label"), s["count"], want)
        lat = s.get("latency_ns")
        if lat:
            assert sum(b[2] for col in lat["buckets"] for b in col) == sum(s["count"]), s["op"]


def assert_self_contained(text):
    """Nothing to fetch: no element with a src or href, no url() or @import in
    the style, one script element and it holds data, not code."""
    page = Tables()
    page.feed(text)
    assert not page.attrs & {"src", "href", "srcset", "data", "action"}, page.attrs
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    assert "url(" not in style and "@import" not in style
    assert re.findall(r"<script\b[^>]*>", text) == \
        ['<script type="application/json" id="synctrace-data">']


def test_watch_relay_page_numbers_equal_the_run_and_its_json(private, tmp_path):
    relay = private.copy(RELAY)
    ops = private.ops(ROOT / "examples" / "syncrelay.ops", {"build/examples/syncrelay": relay})
    out = tmp_path / "relay.html"
    t = Tracer("watch", "--json", "-i", "0.5", "--html", out, "--ops", ops).wait_tracing()
    procs = traced_relay_demo(t, relay)
    s = t.summary()
    assert sorted(os.listdir(tmp_path)) == ["relay.html"], os.listdir(tmp_path)  # no temp left
    text = out.read_text()
    assert_self_contained(text)
    data = page_data(text)
    assert data["summary"] == s                       # the --json summary of this very run
    server = next(x for x in procs if x["role"] == "server")
    clients = [x for x in procs if x["role"] == "client"]
    (push,) = rows(data["summary"], "push")
    assert push["count"] == sum(c["push"] for c in clients)
    assert push["errors"] == sum(c["conflicts_seen"] for c in clients) > 0
    assert total(data["summary"], "apply") == server["apply"]
    assert labels(data["summary"], "pulled") == {c["pid"]: c["apply_remote"] for c in clients}
    assert data["command"] == "watch" and str(out) in data["argv"]
    assert data["intervals"] >= 2 and len(data["columns"]) == data["intervals"]
    assert_columns_add_up(data, s)
    conn = {st["pid"]: st for st in data["states"] if st["machine"] == "conn"}
    assert set(conn) == {c["pid"] for c in clients}
    assert all(st["names"][st["state"][-1]] == "closed" for st in conn.values())
    dom = dom_of(out)
    assert_page_shows_summary(dom, s)
    assert "svg" in dom.tags and "rect" in dom.tags and "polyline" in dom.tags
    assert_not_blank(screenshot(out, "html_watch_relay"))


def test_lat_page_counts_equal_the_fixture(tmp_path):
    out = tmp_path / "lat.html"
    truth, t = traced("lat", ["--html", out, "fx_work"], ["--calls", 400])
    s = t.summary()
    data = page_data(out.read_text())
    (row,) = data["summary"]["ops"]
    assert row["count"] == truth["work"]["count"] == 400
    assert data["summary"] == s
    assert data["command"] == "lat"
    assert_columns_add_up(data, s)
    assert_page_shows_summary(dom_of(out), s)
    assert_not_blank(screenshot(out, "html_lat"))


ENV_CALLER = """
import ctypes, json, os, sys
libc = ctypes.CDLL("libc.so.6")
libc.getenv.restype = ctypes.c_char_p
n, label = int(sys.argv[1]), sys.argv[2].encode()
print("ready", os.getpid(), flush=True)
sys.stdin.readline()
for i in range(n):
    libc.getenv(label)
print(json.dumps({"calls": n}), flush=True)
sys.stdin.read()
"""


def test_hostile_label_from_a_traced_process_renders_as_text(tmp_path):
    """A process asks getenv() for a name that is markup; labelled by that string,
    the page shows it as text and the browser builds no element from it."""
    out = tmp_path / "hostile.html"
    p = subprocess.Popen([sys.executable, "-c", ENV_CALLER, "77", HOSTILE], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().startswith("ready ")
        with open(f"/proc/{p.pid}/maps") as f:
            libc = next(l.split()[-1] for l in f if "/libc.so" in l)
        t = Tracer("watch", "-p", p.pid, "--json", "--html", out, "--op",
                   f"env {libc}:getenv count by=str(arg0)").wait_tracing()
        p.stdin.write("go\n")
        p.stdin.flush()
        truth = json.loads(p.stdout.readline())
        p.stdin.close()
        p.wait(timeout=30)
    finally:
        p.kill()
    assert t.wait() == 0, t.stderr
    assert labels(t.summary(), "env")[HOSTILE] == truth["calls"] == 77
    text = out.read_text()
    assert "<img" not in text and "<!--" not in text
    assert_self_contained(text)
    data = page_data(text)
    assert labels(data["summary"], "env")[HOSTILE] == 77
    assert [s["label"] for s in data["series"] if s.get("label") == HOSTILE] == [HOSTILE]
    dom = dom_of(out)
    assert "img" not in dom.tags and dom.tags.count("script") == 1
    assert dom.rows[("env", HOSTILE)]["count"] == ("77", "77")
    assert HOSTILE in "".join(dom.text)               # shown, as text
