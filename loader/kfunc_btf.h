/* SPDX-License-Identifier: MIT */
/*
 * The BTF type id of a kernel function (a kfunc), or a few struct member
 * offsets, found by streaming the kernel's BTF through a small buffer.
 * libbpf would parse all of vmlinux BTF into memory for this (~11 MB of
 * RSS, ~8 ms); we need a few numbers.
 */
#ifndef SYNCTRACE_KFUNC_BTF_H
#define SYNCTRACE_KFUNC_BTF_H

/* Id of the BTF FUNC named name in the BTF file at path (normally
 * /sys/kernel/btf/vmlinux): > 0, -ENOENT if absent, -errno on error. */
int kfunc_btf_id(const char *path, const char *name);

/*
 * Byte offsets of n (at most 8) members of the struct named name (e.g.
 * task_struct's real_parent and tgid) in the same BTF file, into offsets.
 * 0, -ENOENT if the struct or a member is absent, -errno on error.
 */
int kstruct_btf_offsets(const char *path, const char *name, const char *const *members,
			int *offsets, int n);

/*
 * The same, from BTF in an open file (a memfd, for the fuzz harness); read
 * with pread() in 64 KiB chunks, never all at once. -EINVAL also when a
 * section lies outside the file or a type's kind cannot be sized.
 */
int kfunc_btf_id_fd(int fd, const char *name);
int kstruct_btf_offsets_fd(int fd, const char *name, const char *const *members,
			   int *offsets, int n);

#endif /* SYNCTRACE_KFUNC_BTF_H */
