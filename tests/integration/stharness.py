"""Two real Syncthing 1.19 instances (Debian's /usr/bin/syncthing) on 127.0.0.1
for the Go tests: A sends N files the test writes, B receives them.

Each instance has its own home (config, keys, database) and folder in one
temporary directory, its GUI/REST on a free loopback port with a known API
key, and its sync protocol on another loopback port. Nothing leaves the host:
no global or local discovery, no relays, NAT, STUN, usage reporting, crash
reporting, upgrade checks or browser. The devices know each other by static
addresses (tcp://127.0.0.1:PORT) and share one send-receive folder that only
scans when the test asks (REST /rest/db/scan): no watcher, no timed rescan.
So every file is hashed once by A and pulled once by B, and Syncthing's own
numbers (database status, ItemFinished and LocalIndexUpdated events) say so.

Each instance runs from its own binary (a private copy, conftest.Private)
as one process: STMONITORED=1 skips the monitor that would otherwise re-exec
Syncthing as a child, so the pid the test starts is the pid that syncs.

    with StPair(private.copy(SYNCTHING, "syncthing-a"),
                private.copy(SYNCTHING, "syncthing-b")) as p:
        p.write_files(100)
        p.scan()
        p.wait_synced(100)
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import free_port, require_installed

SYNCTHING = Path("/usr/bin/syncthing")
FOLDER = "st-test"
API_KEY = "synctrace-test-api-key-0123456789"


def st_unavailable_reason():
    if not SYNCTHING.exists():
        return f"{SYNCTHING} not installed (Debian: syncthing; scripts/deps.sh test)"
    return None


def require_st():
    require_installed("Syncthing", st_unavailable_reason())


class StError(AssertionError):
    pass


def wait_until(what, pred, timeout=30, step=0.05, why=None):
    """pred() until it is true; after timeout, an StError (with why(), if given)."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise StError(f"timed out after {timeout}s waiting for {what}"
                          + (f": {why()}" if why else ""))
        time.sleep(step)


def _set(parent, tag, text):
    el = parent.find(tag)
    if el is None:
        el = ET.SubElement(parent, tag)
    el.text = str(text)


class Syncthing:
    """One instance: `generate`d home, edited config, the serve process, REST."""

    def __init__(self, name, base, binary):
        self.name = name
        self.binary = Path(binary)
        self.home = base / name
        self.folder = base / f"{name}-folder"
        self.log = base / f"{name}.log"
        self.proc = None
        self.gui_port = self.sync_port = None
        self.device_id = None
        self._logf = None

    # -- setup ----------------------------------------------------------------------
    def generate(self):
        p = subprocess.run([str(self.binary), "generate", f"--home={self.home}",
                            "--no-default-folder", "--skip-port-probing"],
                           capture_output=True, text=True, timeout=60, env=self.env())
        if p.returncode != 0:
            raise StError(f"{self.name}: syncthing generate: {p.stdout}{p.stderr}")
        root = ET.parse(self.home / "config.xml").getroot()
        self.device_id = root.find("device").get("id")
        self.folder.mkdir()
        (self.folder / ".stfolder").mkdir()      # the folder marker Syncthing checks

    def pick_ports(self):
        self.gui_port, self.sync_port = free_port(), free_port()

    def configure(self, peer):
        """This instance's config: loopback only, nothing external, peer as the
        only other device at its static address, the shared folder. Both
        instances have their ports (pick_ports) before either is configured."""
        path = self.home / "config.xml"
        tree = ET.parse(path)
        root = tree.getroot()
        me = root.find("device")
        me.set("name", self.name)
        gui = root.find("gui")
        gui.set("tls", "false")
        _set(gui, "address", f"127.0.0.1:{self.gui_port}")
        _set(gui, "apikey", API_KEY)
        o = root.find("options")
        for tag in ("listenAddress", "globalAnnounceServer"):
            for el in o.findall(tag):
                o.remove(el)
        _set(o, "listenAddress", f"tcp://127.0.0.1:{self.sync_port}")
        for tag, val in (("globalAnnounceEnabled", "false"), ("localAnnounceEnabled", "false"),
                         ("relaysEnabled", "false"), ("natEnabled", "false"),
                         ("startBrowser", "false"), ("urAccepted", "-1"),
                         ("autoUpgradeIntervalH", "0"), ("crashReportingEnabled", "false"),
                         ("announceLANAddresses", "false"), ("setLowPriority", "false"),
                         ("reconnectionIntervalS", "1"), ("stunKeepaliveStartS", "0"),
                         ("stunKeepaliveMinS", "0"), ("progressUpdateIntervalS", "-1")):
            _set(o, tag, val)
        dev = ET.SubElement(root, "device", id=peer.device_id, name=peer.name,
                            compression="metadata", introducer="false",
                            skipIntroductionRemovals="false", introducedBy="")
        _set(dev, "address", f"tcp://127.0.0.1:{peer.sync_port}")
        _set(dev, "paused", "false")
        _set(dev, "autoAcceptFolders", "false")
        f = ET.SubElement(root, "folder", id=FOLDER, label=FOLDER, path=str(self.folder),
                          type="sendreceive", rescanIntervalS="0", fsWatcherEnabled="false",
                          fsWatcherDelayS="10", ignorePerms="false", autoNormalize="true")
        _set(f, "filesystemType", "basic")
        for d in (self.device_id, peer.device_id):
            ET.SubElement(f, "device", id=d, introducedBy="")
        _set(f, "order", "alphabetic")
        _set(f, "markerName", ".stfolder")
        _set(f, "paused", "false")
        tree.write(path)

    def env(self):
        env = dict(os.environ, HOME=str(self.home), STNODEFAULTFOLDER="1", STNOUPGRADE="1",
                   STNORESTART="1", STMONITORED="1")
        for k in ("STTRACE", "STGUIADDRESS", "STGUIAPIKEY", "GOMAXPROCS", "GODEBUG"):
            env.pop(k, None)
        return env

    def start(self):
        self._logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [str(self.binary), "serve", f"--home={self.home}", "--no-browser",
             "--no-restart", "--no-upgrade", "--no-default-folder", "--logflags=3"],
            stdin=subprocess.DEVNULL, stdout=self._logf, stderr=subprocess.STDOUT,
            env=self.env(), start_new_session=True)

    @property
    def pid(self):
        return self.proc.pid

    def log_tail(self, n=3000):
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    # -- REST -----------------------------------------------------------------------
    def rest(self, path, method="GET", http_timeout=10, **params):
        url = f"http://127.0.0.1:{self.gui_port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        req = urllib.request.Request(url, method=method, headers={"X-API-Key": API_KEY},
                                     data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=http_timeout) as r:
            body = r.read()
        return json.loads(body) if body.strip() else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def up(self):
        """REST answers (False while it starts; StError if the process died)."""
        if not self.alive():
            raise StError(f"{self.name}: syncthing exited ({self.proc.returncode}):\n"
                          f"{self.log_tail()}")
        try:
            return self.rest("/rest/system/ping", http_timeout=2) == {"ping": "pong"}
        except (urllib.error.URLError, ConnectionError, OSError):
            return False

    def connected_to(self, peer):
        c = self.rest("/rest/system/connections")["connections"].get(peer.device_id)
        return bool(c and c.get("connected"))

    def status(self):
        return self.rest("/rest/db/status", folder=FOLDER)

    def idle(self):
        return self.status()["state"] == "idle"

    def scan(self):
        """Scan the folder now; returns when the scan is done."""
        self.rest("/rest/db/scan", method="POST", http_timeout=120, folder=FOLDER)

    # -- stop -----------------------------------------------------------------------
    def stop(self, timeout=15):
        """REST shutdown, SIGKILL after timeout; never raises."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                self.rest("/rest/system/shutdown", method="POST", http_timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        if self._logf:
            self._logf.close()
            self._logf = None


class EventLog:
    """Syncthing's own per-file record: /rest/events of the given types from
    the moment this is made (a subscription of the instance's own, for this
    mask; the first request creates it). Polled without waiting each time
    events are read: Syncthing keeps the last 1000 events of a subscription,
    and numbers them consecutively, so a loss shows as a gap, counted."""

    def __init__(self, st, types):
        self.st = st
        self.types = ",".join(types)
        self.events = []
        self.gaps = 0
        self.last = None
        self.poll()                             # subscribe; earlier events are skipped
        self.events = []
        if self.last is None:                   # a new subscription: its ids start at 1
            self.last = 0

    def poll(self):
        evs = self.st.rest("/rest/events", events=self.types, since=self.last or 0, timeout=0)
        for e in evs or []:
            if self.last is not None:
                if e["id"] <= self.last:
                    continue
                self.gaps += e["id"] - self.last - 1
            self.last = e["id"]
            self.events.append(e)

    def of(self, type_):
        self.poll()
        return [e for e in self.events if e["type"] == type_]


def item_finished(evlog, names):
    """{name: times} for the files of names that B finished pulling without
    error (ItemFinished, type file, action update), as Syncthing's events say."""
    want, out = set(names), {}
    for e in evlog.of("ItemFinished"):
        d = e["data"]
        if d.get("folder") == FOLDER and d.get("type") == "file" and \
                d.get("action") == "update" and not d.get("error") and d["item"] in want:
            out[d["item"]] = out.get(d["item"], 0) + 1
    return out


def local_index_updated(evlog, names):
    """{name: times} for the files of names in this instance's own index
    updates (LocalIndexUpdated, which lists every file): on A, the files its
    scans found new or changed."""
    want, out = set(names), {}
    for e in evlog.of("LocalIndexUpdated"):
        if e["data"].get("folder") == FOLDER:
            for name in e["data"]["filenames"]:
                if name in want:
                    out[name] = out.get(name, 0) + 1
    return out


def file_content(name):
    """Deterministic, distinct, small (one block) content of file name."""
    return (f"synctrace syncthing test file {name}\n" * 20).encode()


class SyncTruth:
    """What Syncthing itself says about one batch of files."""

    def __init__(self, names, finished, indexed, b_local_delta, b_pull_errors, event_gaps):
        self.names = names
        self.finished = finished            # B: {name: ItemFinished events}
        self.indexed = indexed              # A: {name: LocalIndexUpdated mentions}
        self.b_local_delta = b_local_delta  # B: /rest/db/status localFiles, after - before
        self.b_pull_errors = b_pull_errors
        self.event_gaps = event_gaps

    def assert_each_file_once(self):
        """Every file pulled once and indexed once, nothing lost or failed."""
        n = len(self.names)
        assert self.event_gaps == 0, f"{self.event_gaps} Syncthing events lost"
        assert self.b_pull_errors == 0, f"B has {self.b_pull_errors} pull errors"
        twice = {k: v for k, v in self.finished.items() if v != 1}
        assert len(self.finished) == n and not twice, \
            f"B finished {len(self.finished)} of {n} files, some more than once: {twice}"
        twice = {k: v for k, v in self.indexed.items() if v != 1}
        assert len(self.indexed) == n and not twice, \
            f"A indexed {len(self.indexed)} of {n} files, some more than once: {twice}"
        assert self.b_local_delta == n, f"B's localFiles grew by {self.b_local_delta}, not {n}"

    @property
    def files(self):
        """Files B pulled, by its ItemFinished events."""
        return sum(self.finished.values())


class StPair:
    """A (sender) and B (receiver), configured to share FOLDER, started, up,
    connected and idle. Module-scoped in tests; files names are unique per
    call of write_files (a prefix), so one pair serves several tests."""

    def __init__(self, binary_a=SYNCTHING, binary_b=SYNCTHING, base=None):
        self._own_base = base is None
        self.base = Path(base or tempfile.mkdtemp(prefix="synctrace-st-"))
        self.a = Syncthing("A", self.base, binary_a)
        self.b = Syncthing("B", self.base, binary_b)
        self._batch = 0

    def start(self, timeout=60):
        for st in (self.a, self.b):
            st.generate()
        for attempt in range(3):               # a free port taken meanwhile: new ports
            for st in (self.a, self.b):
                st.pick_ports()
            self.a.configure(self.b)
            self.b.configure(self.a)
            for st in (self.a, self.b):
                st.start()
            try:
                for st in (self.a, self.b):
                    wait_until(f"{st.name} REST up", st.up, timeout)
                break
            except StError:
                for st in (self.a, self.b):
                    st.stop()
                if attempt == 2:
                    raise
                for st in (self.a, self.b):     # back to the generated config
                    self._reset_config(st)
        wait_until("A and B connected",
                   lambda: self.a.connected_to(self.b) and self.b.connected_to(self.a),
                   timeout, step=0.1, why=self._logs)
        for st in (self.a, self.b):
            wait_until(f"{st.name} folder idle", st.idle, timeout, why=self._logs)
        return self

    def _reset_config(self, st):
        tree = ET.parse(st.home / "config.xml")
        root = tree.getroot()
        for el in root.findall("device")[1:] + root.findall("folder"):
            root.remove(el)
        tree.write(st.home / "config.xml")

    def _logs(self):
        return "\n".join(f"--- {st.name} log:\n{st.log_tail()}" for st in (self.a, self.b))

    def stop(self):
        for st in (self.a, self.b):
            st.stop()
        if self._own_base:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()

    # -- the workload ----------------------------------------------------------------
    def write_files(self, n):
        """n new files in A's folder (not scanned yet); their names."""
        self._batch += 1
        names = [f"b{self._batch:03d}-f{i:04d}.txt" for i in range(n)]
        for name in names:
            (self.a.folder / name).write_bytes(file_content(name))
        return names

    def scan(self):
        """A scans its folder: it hashes the new files and announces them to B."""
        self.a.scan()

    def files_on_b(self, names):
        """How many of names B has, with the right content."""
        ok = 0
        for name in names:
            try:
                if (self.b.folder / name).read_bytes() == file_content(name):
                    ok += 1
            except OSError:
                pass
        return ok

    def in_sync(self, total):
        """Both sides agree on `total` files and B needs nothing."""
        sa, sb = self.a.status(), self.b.status()
        return (sa["localFiles"] == total and sb["globalFiles"] == total and
                sb["localFiles"] == total and sb["needFiles"] == 0 and
                sb["state"] == "idle" and sa["state"] == "idle")

    def wait_synced(self, names, total=None, timeout=60):
        """B has every file of names with its content, and the folder's
        status on both sides says `total` files (default len(names)) and
        nothing needed. Returns (A's status, B's status)."""
        total = len(names) if total is None else total
        wait_until(f"B in sync with {total} files", lambda: self.in_sync(total), timeout,
                   step=0.05, why=lambda: f"A {self.a.status()} B {self.b.status()}")
        got = self.files_on_b(names)
        if got != len(names):
            raise StError(f"B has {got} of {len(names)} files with the right content")
        return self.a.status(), self.b.status()

    def sync(self, n, timeout=60):
        """One batch: n new files written in A's folder, A scans, B pulls
        them. Waits until B has them all and Syncthing's events account for
        each; returns Syncthing's own numbers for the batch (SyncTruth)."""
        before = self.b.status()["localFiles"]
        ev_b = EventLog(self.b, ["ItemFinished"])
        ev_a = EventLog(self.a, ["LocalIndexUpdated"])
        names = self.write_files(n)
        self.scan()
        _, sb = self.wait_synced(names, total=before + n, timeout=timeout)
        wait_until("B's ItemFinished for every file",
                   lambda: len(item_finished(ev_b, names)) == n, timeout)
        wait_until("A's LocalIndexUpdated for every file",
                   lambda: len(local_index_updated(ev_a, names)) == n, timeout)
        return SyncTruth(names, item_finished(ev_b, names), local_index_updated(ev_a, names),
                         sb["localFiles"] - before, sb["pullErrors"], ev_a.gaps + ev_b.gaps)

    def completion(self):
        """A's view of B's completion of the folder (100 when B has everything)."""
        return self.a.rest("/rest/db/completion", folder=FOLDER, device=self.b.device_id)
