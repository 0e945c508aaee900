#!/usr/bin/env python3
"""Seeds for tests/fuzz/fuzz_btf.c: small BTF files.

  btf_seeds.py OUTDIR [VMLINUX_BTF]

Writes a hand-made BTF (always), and, when the kernel's BTF is readable,
cuts of it: its first types, and the types synctrace looks up
(bpf_session_cookie, task_struct) among a few others, each with a string
section holding just the names those types use.
"""
import os
import struct
import sys

MAGIC = 0xEB9F
HDR = struct.Struct("<HBBIIIII")
TYPE = struct.Struct("<III")

# bytes after struct btf_type, by kind; None: per vlen (bytes per item)
FIXED = {1: 4, 14: 4, 17: 4, 3: 12, 2: 0, 7: 0, 8: 0, 9: 0, 10: 0, 11: 0, 12: 0,
         16: 0, 18: 0}
PER_ITEM = {4: 12, 5: 12, 15: 12, 19: 12, 6: 8, 13: 8}
# kinds whose items start with a name_off: struct, union, enum, enum64, func_proto
NAMED_ITEMS = {4, 5, 6, 19, 13}


class Strings:
    def __init__(self):
        self.data = bytearray(b"\0")
        self.at = {"": 0}

    def add(self, s):
        if s not in self.at:
            self.at[s] = len(self.data)
            self.data += s.encode() + b"\0"
        return self.at[s]


def btf(types, strings):
    """types: list of (info, name_off, size_or_type, trailing bytes)."""
    body = b"".join(TYPE.pack(n, i, s) + t for i, n, s, t in types)
    hdr = HDR.pack(MAGIC, 1, 0, HDR.size, 0, len(body), len(body), len(strings.data))
    return hdr + body + bytes(strings.data)


def info(kind, vlen=0, kflag=0):
    return (kflag << 31) | (kind << 24) | vlen


def handmade():
    s = Strings()
    types = [
        (info(1), s.add("int"), 4, struct.pack("<I", 32)),
        (info(4, 3, 1), s.add("task_struct"), 64,
         struct.pack("<III", s.add("state"), 1, 0) +
         struct.pack("<III", s.add("real_parent"), 1, 8 * 40) +
         struct.pack("<III", s.add("tgid"), 1, (3 << 24) | 8 * 48 + 2)),
        (info(6, 1), s.add("e"), 4, struct.pack("<Ii", s.add("A"), 1)),
        (info(13, 1), 0, 1, struct.pack("<II", s.add("x"), 1)),
        (info(12), s.add("bpf_session_cookie"), 4, b""),
        (info(4, 2), s.add("pair"), 8,
         struct.pack("<III", s.add("tgid"), 1, 0) +
         struct.pack("<III", s.add("real_parent"), 1, 32)),
    ]
    return btf(types, s)


def parse(data):
    magic, _, _, hdr_len, type_off, type_len, str_off, str_len = HDR.unpack_from(data)
    assert magic == MAGIC
    tbase, sbase = hdr_len + type_off, hdr_len + str_off
    strs = data[sbase:sbase + str_len]
    out, at = [], 0
    while at < type_len:
        name_off, inf, size = TYPE.unpack_from(data, tbase + at)
        kind, vlen = (inf >> 24) & 0x1F, inf & 0xFFFF
        n = FIXED[kind] if kind in FIXED else PER_ITEM[kind] * vlen
        out.append([name_off, inf, size, bytearray(data[tbase + at + 12:tbase + at + 12 + n])])
        at += 12 + n
    return out, strs


def name_at(strs, off):
    return strs[off:strs.index(b"\0", off)].decode()


def cut(types, strs, ids):
    """The types of ids (1-based), their names moved into a fresh string section."""
    s = Strings()
    out = []
    for i in ids:
        name_off, inf, size, tail = types[i - 1]
        kind, vlen = (inf >> 24) & 0x1F, inf & 0xFFFF
        tail = bytearray(tail)
        if kind in NAMED_ITEMS:
            step = PER_ITEM[kind]
            for k in range(vlen):
                (off,) = struct.unpack_from("<I", tail, k * step)
                struct.pack_into("<I", tail, k * step, s.add(name_at(strs, off)))
        out.append((inf, s.add(name_at(strs, name_off)), size, bytes(tail)))
    return btf(out, s)


def main():
    outdir = sys.argv[1]
    vmlinux = sys.argv[2] if len(sys.argv) > 2 else "/sys/kernel/btf/vmlinux"
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "handmade"), "wb") as f:
        f.write(handmade())
    try:
        with open(vmlinux, "rb") as f:
            data = f.read()
        types, strs = parse(data)
    except (OSError, AssertionError, KeyError, struct.error) as e:
        print(f"btf_seeds: no cut of {vmlinux} ({e}); hand-made seed only", file=sys.stderr)
        return
    wanted = {"bpf_session_cookie": 12, "task_struct": 4, "schedule": 12, "vfs_read": 12}
    found = [i + 1 for i, t in enumerate(types)
             if wanted.get(name_at(strs, t[0])) == (t[1] >> 24) & 0x1F]
    seeds = {"vmlinux_head": range(1, 200), "vmlinux_lookups": list(range(1, 30)) + found}
    for name, ids in seeds.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(cut(types, strs, ids))


if __name__ == "__main__":
    main()
