/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Following a process tree (-p PID --children), for every BPF program that
 * has it: the probes are attached for every process, and a hit counts only
 * in follow_root and its descendants, present and future. Included once by
 * a .bpf.c file, before its programs.
 */
#ifndef SYNCTRACE_FOLLOW_H
#define SYNCTRACE_FOLLOW_H

/* With follow_root, only that process and its descendants are traced (the
 * probes are attached for every process); the task_struct offsets come
 * from the kernel's BTF. Set before load. */
const volatile __u32 follow_root = 0;
const volatile __u32 task_real_parent_off = 0;
const volatile __u32 task_tgid_off = 0;

/* Per thread: 1 in follow_root's tree, 2 not, 0 not known yet. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} in_tree SEC(".maps");

/*
 * Is the current thread's process follow_root or one of its descendants?
 * Walked up the real_parent chain once per thread, then remembered in task
 * storage (which goes with the thread: a recycled pid is a new task).
 */
static __always_inline int traced_here(void)
{
	__u32 *verdict, tgid, i;
	__u64 task;

	if (!follow_root)
		return 1;
	verdict = bpf_task_storage_get(&in_tree, bpf_get_current_task_btf(), 0,
				       BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!verdict)
		return 0;
	if (*verdict)
		return *verdict == 1;
	*verdict = 2;
	task = bpf_get_current_task();
	for (i = 0; i < 64; i++) {
		if (bpf_probe_read_kernel(&tgid, sizeof(tgid), (void *)(task + task_tgid_off)))
			break;
		if (tgid == follow_root) {
			*verdict = 1;
			break;
		}
		if (tgid <= 1 || bpf_probe_read_kernel(&task, sizeof(task),
						       (void *)(task + task_real_parent_off)))
			break;
	}
	return *verdict == 1;
}

#endif /* SYNCTRACE_FOLLOW_H */
