"""Raw targets: BINARY:0xADDR and SYMBOL+OFF, for code no symbol names."""
import subprocess

from conftest import FX_CALLS, op, run, traced


def nm_addr(path, name):
    out = subprocess.run(["nm", str(path)], capture_output=True, text=True, check=True).stdout
    (addr,) = [int(l.split()[0], 16) for l in out.splitlines() if l.split()[-1] == name]
    return addr


def instruction_offsets(path, name):
    """Offsets of fx_work's instructions past its entry, from objdump (the truth)."""
    start = nm_addr(path, name)
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", str(path),
                          f"--start-address={start:#x}", f"--stop-address={start + 32:#x}"],
                         capture_output=True, text=True, check=True).stdout
    return [int(l.split(":")[0], 16) - start for l in out.splitlines()
            if l.startswith(" ") and ":" in l]


def test_raw_address_of_an_entry_counts_its_calls_exact():
    addr = nm_addr(FX_CALLS, "fx_work")
    truth, t = traced("count", [f"{FX_CALLS}:{addr:#x}"], ["--calls", 70], link="multi")
    assert op(t.summary(), f"{addr:#x}")["count"] == truth["calls"]["fx_work"] == 70
    assert f"is fx_work's entry: you vouch for the address" in t.stderr


def test_symbol_plus_offset_counts_each_call_once_and_warns():
    off = instruction_offsets(FX_CALLS, "fx_work")[2]      # the third instruction
    truth, t = traced("count", [f"{FX_CALLS}:fx_work+{off}"], ["--calls", 55], link="multi")
    assert op(t.summary(), f"fx_work+{off:#x}")["count"] == truth["calls"]["fx_work"] == 55
    assert "you vouch that an instruction starts there" in t.stderr
    addr = nm_addr(FX_CALLS, "fx_work") + off
    truth, t = traced("count", [f"{FX_CALLS}:{addr:#x}"], ["--calls", 9], link="multi")
    assert op(t.summary(), f"{addr:#x}")["count"] == 9
    assert f"is fx_work+{off:#x}: you vouch" in t.stderr


def test_raw_target_errors_are_one_line():
    size = int(subprocess.run(["nm", "-S", str(FX_CALLS)], capture_output=True, text=True)
               .stdout.split("fx_work\n")[0].splitlines()[-1].split()[1], 16)
    for target, rc_want, text in (
            (f"{FX_CALLS}:fx_work+{size}", 2, f"past the end of fx_work ({size} bytes)"),
            (f"{FX_CALLS}:fx_*+4", 2, "needs one"),
            (f"{FX_CALLS}:0x10", 1, "0x10 is not in its code"),
    ):
        rc, out, err = run("count", target)
        assert rc == rc_want and len(err.strip().splitlines()) == 1, (target, rc, err)
        assert text in err, err


def test_lat_on_a_mid_function_target_is_refused():
    off = instruction_offsets(FX_CALLS, "fx_work")[1]
    rc, out, err = run("lat", f"{FX_CALLS}:fx_work+{off}")
    assert rc == 2 and "is not a function's entry" in err and "use count" in err, err
