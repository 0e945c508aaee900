/* SPDX-License-Identifier: MIT */
/*
 * The BTF type id of a kernel function (a kfunc), found by streaming the
 * kernel's BTF through a small buffer. libbpf would parse all of vmlinux
 * BTF into memory for this (~11 MB of RSS, ~8 ms); we need one number.
 */
#ifndef SYNCTRACE_KFUNC_BTF_H
#define SYNCTRACE_KFUNC_BTF_H

/* Id of the BTF FUNC named name in the BTF file at path (normally
 * /sys/kernel/btf/vmlinux): > 0, -ENOENT if absent, -errno on error. */
int kfunc_btf_id(const char *path, const char *name);

#endif /* SYNCTRACE_KFUNC_BTF_H */
