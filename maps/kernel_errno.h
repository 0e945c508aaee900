/* SPDX-License-Identifier: MIT */
/* Error numbers the kernel returns to user space that errno.h lacks. */
#ifndef SYNCTRACE_KERNEL_ERRNO_H
#define SYNCTRACE_KERNEL_ERRNO_H

/* ENOTSUPP, the kernel-internal "operation not supported": uprobe attach
 * returns it for an instruction it cannot probe, map batch ops for a map
 * type without them. */
#define KERNEL_ENOTSUPP 524

#endif /* SYNCTRACE_KERNEL_ERRNO_H */
