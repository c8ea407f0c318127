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

#endif
