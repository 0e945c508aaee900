"""The USDT contract's sites (include/synctrace/sdt.h) on x86-64: each is the
5-byte nop the kernel optimizes into a call (no trap per hit), its note is the
`.note.stapsdt` every tracer reads, bpftrace and synctrace count every hit and
read its arguments, and a traced site leaves the red zone below rsp intact."""
import ctypes
import errno
import json
import re
import shutil
import signal
import subprocess
import time

from conftest import BUILD, Tracer, op, require_installed

FX_SDT = BUILD / "fixtures" / "procs" / "fx_sdt"
NOP5 = bytes.fromhex("0f1f440000")
CALL = 0xE8     # the optimized site: a call into the kernel's uprobe trampoline
N = 20000
__NR_uprobe = 336


def kernel_optimizes_nop5():
    """The uprobe syscall exists (ENXIO when called from outside the
    trampoline; ENOSYS before 6.18): the kernel optimizes 5-byte nops."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.syscall(__NR_uprobe) == -1 and ctypes.get_errno() == errno.ENXIO


def notes(path):
    """[(provider, name, address, arguments)] of path's .note.stapsdt."""
    out = subprocess.run(["readelf", "-n", "--wide", str(path)], capture_output=True,
                         text=True, check=True).stdout
    return [(m.group(1), m.group(2), int(m.group(3), 16), m.group(4).strip())
            for m in re.finditer(r"Provider: (\S+)\s+Name: (\S+)\s+Location: (0x[0-9a-f]+),"
                                 r".*?\n\s+Arguments: ([^\n]*)", out)]


def load_base(pid, path):
    """Where path's first mapping (file offset 0) is in pid: a PIE's note
    addresses are relative to it."""
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and parts[5] == str(path) and int(parts[2], 16) == 0:
                return int(parts[0].split("-")[0], 16)
    raise AssertionError(f"{path} is not mapped in {pid}")


def site_bytes(pid, addr, n=5):
    with open(f"/proc/{pid}/mem", "rb") as f:
        f.seek(addr)
        return f.read(n)


class Fixture:
    def __init__(self, *args):
        self.p = subprocess.Popen([str(FX_SDT), *map(str, args)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        words = self.p.stdout.readline().split()
        assert words[:1] == ["ready"], words
        self.pid = int(words[1])
        self.base = load_base(self.pid, FX_SDT.resolve())

    def go(self):
        """Run; the fixture's truth, read while it stays alive (and traced)."""
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        self.p.stdin.close()
        assert self.p.wait(timeout=10) == 0


def contract_sites():
    sites = [n for n in notes(FX_SDT.resolve()) if n[0] == "synctrace"]
    assert sorted(n[1] for n in sites) == ["conflict", "op_done", "op_start", "state"], sites
    return sites


def test_every_contract_site_is_the_5_byte_nop_in_a_stapsdt_note():
    fx = Fixture(1)
    try:
        for _, name, addr, args in contract_sites():
            assert site_bytes(fx.pid, fx.base + addr) == NOP5, name
            # the argument specs sys/sdt.h writes for the contract's types
            want = {"op_done": r"8@\S+ 8@\S+ -8@\S+", "state": r"8@\S+ -8@\S+"}
            assert re.fullmatch(want.get(name, r"8@\S+ 8@\S+"), args), (name, args)
        fx.go()
    finally:
        fx.close()


def state_site(fx):
    (addr,) = [a for _, name, a, _ in contract_sites() if name == "state"]
    return fx.base + addr


def check_traced_run(fx, truth, traced_first_byte):
    assert truth["redzone"], "leaf() no longer keeps its data below rsp: nothing is tested"
    assert truth["calls"] == truth["fired"] == N, truth   # traced from the first call
    assert truth["bad"] == 0, f"{truth['bad']} calls found their red-zone data changed"
    if kernel_optimizes_nop5():
        assert traced_first_byte == CALL, f"site not optimized: {traced_first_byte:#x}"


def test_bpftrace_counts_every_hit_of_an_optimized_contract_site():
    require_installed("bpftrace", None if shutil.which("bpftrace") else "bpftrace is not installed")
    fx = Fixture(N, "--wait-traced")
    site = state_site(fx)
    prog = (f"usdt:{FX_SDT.resolve()}:synctrace:state "
            f"{{ @hits = count(); @sum = sum(arg1); @leaf = count(); "
            f"if (str(arg0) != \"leaf\") {{ @wrong = count(); }} }} "
            # 0.17 may sleep on after a SIGINT until it has something to print
            f"interval:ms:100 {{ printf(\"tick\\n\"); }}")
    bt = subprocess.Popen(["bpftrace", "-p", str(fx.pid), "-e", prog], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    try:
        # bpftrace raises the semaphore itself, then plants its int3, then
        # gives its program to the probe: attached once it sleeps in its
        # event loop (where a SIGINT also ends it: 0.17 loses one before)
        end = time.monotonic() + 60
        while site_bytes(fx.pid, site, 1) == NOP5[:1] or \
                open(f"/proc/{bt.pid}/wchan").read().strip() != "do_epoll_wait":
            assert bt.poll() is None, f"bpftrace exited: {bt.stderr.read()}"
            assert time.monotonic() < end, "bpftrace did not attach within 60 s"
            time.sleep(0.01)
        truth = fx.go()
        first = site_bytes(fx.pid, site, 1)[0]
        bt.send_signal(signal.SIGINT)
        out, err = bt.communicate(timeout=60)
    finally:
        if bt.poll() is None:
            bt.kill()
            bt.wait()
        fx.close()
    maps = {m.group(1): int(m.group(2)) for m in re.finditer(r"^@(\w+): (\d+)$", out, re.M)}
    check_traced_run(fx, truth, first)
    assert maps.get("hits") == N and maps.get("sum") == truth["fired_sum"], (maps, err)
    assert maps.get("wrong", 0) == 0, maps   # arg0, the machine's name, read right


def test_synctrace_counts_every_hit_of_an_optimized_contract_site():
    fx = Fixture(N, "--wait-traced")
    site = state_site(fx)
    t = Tracer("count", "-p", fx.pid, "--json", "usdt:synctrace:state").wait_tracing()
    try:
        truth = fx.go()
        first = site_bytes(fx.pid, site, 1)[0]
        assert t.stop() == 0, t.stderr
    finally:
        fx.close()
    check_traced_run(fx, truth, first)
    assert op(t.summary(), "synctrace:state")["count"] == N
