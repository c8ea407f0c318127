#ifndef CTITAN_ADMIN_H
#define CTITAN_ADMIN_H

#include <stddef.h>
#include <sys/types.h>

/// The number of records in this executable's table of distributed functions: the
/// `swift5_accessible_functions` section the Swift runtime reads to run a remote call by
/// name. 0 when the executable has none.
size_t titan_accessible_function_count(void);

/// The mangled name of record `index` (a distributed thunk, `$s...TE`), NUL-terminated.
const char *titan_accessible_function_name(size_t index);

/// The peer of connected Unix socket `fd` (SO_PEERCRED): 0 and the peer's uid, gid and pid,
/// or -1 with errno.
int titan_peer_credentials(int fd, uid_t *uid, gid_t *gid, pid_t *pid);

#endif
