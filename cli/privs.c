// SPDX-License-Identifier: MIT
/* Capability and kernel-feature checks; see privs.h. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "cli/privs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int has_cap(const struct __user_cap_data_struct *d, int cap)
{
	return !!(d[cap / 32].effective & (1U << (cap % 32)));
}

int check_privileges(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	/* root in a container may lack them: ask for the capabilities themselves */
	if (syscall(SYS_capget, &hdr, data) == 0 &&
	    (has_cap(data, CAP_SYS_ADMIN) ||
	     (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON))))
		return 0;
	snprintf(err, errlen, "need root (or CAP_BPF and CAP_PERFMON, and CAP_SYS_PTRACE for -p) "
		 "to trace; try sudo");
	return -EPERM;
}

int check_kernel(char *err, size_t errlen)
{
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK)) {
		snprintf(err, errlen, "this kernel has no uprobe support (CONFIG_UPROBE_EVENTS)");
		return -EOPNOTSUPP;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen, "this kernel has no BTF (CONFIG_DEBUG_INFO_BTF), which BPF task storage needs");
		return -EOPNOTSUPP;
	}
	return 0;
}
