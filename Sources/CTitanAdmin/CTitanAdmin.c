#define _GNU_SOURCE
#include "CTitanAdmin.h"
#include <stdint.h>

// One record of the Swift runtime's accessible-function table (swift/ABI/Metadata.h,
// TargetAccessibleFunctionRecord): relative pointers to the name, generic environment,
// function type and function, then flags.
typedef struct {
    int32_t name;
    int32_t genericEnvironment;
    int32_t functionType;
    int32_t function;
    uint32_t flags;
} AccessibleFunctionRecord;

// The linker defines these for a section whose name is a C identifier; weak, so an
// executable without distributed functions still links.
extern const char __start_swift5_accessible_functions[] __attribute__((weak));
extern const char __stop_swift5_accessible_functions[] __attribute__((weak));

size_t titan_accessible_function_count(void) {
    if (!__start_swift5_accessible_functions || !__stop_swift5_accessible_functions) return 0;
    return (size_t)(__stop_swift5_accessible_functions - __start_swift5_accessible_functions) / sizeof(AccessibleFunctionRecord);
}

const char *titan_accessible_function_name(size_t index) {
    const AccessibleFunctionRecord *record = (const AccessibleFunctionRecord *)__start_swift5_accessible_functions + index;
    return (const char *)&record->name + record->name;
}
