/* SPDX-License-Identifier: MIT */
/* Can this process and this kernel trace? Checked before anything is loaded. */
#ifndef SYNCTRACE_PRIVS_H
#define SYNCTRACE_PRIVS_H

#include <stddef.h>

/* 0, or -EPERM with a one-line reason in err. */
int check_privileges(char *err, size_t errlen);
/* 0, or -EOPNOTSUPP with a one-line reason in err. */
int check_kernel(char *err, size_t errlen);

#endif /* SYNCTRACE_PRIVS_H */
