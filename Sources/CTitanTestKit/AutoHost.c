// A test runner owns `main`, so a test binary cannot call `ProcessManager.bootstrap()` first.
// When a ProcessManager re-executes the test binary as a child, this constructor runs before
// the runner and hands the process to TitanPM, which hosts the service and never returns.
// In any other process it does nothing.
#include <stdlib.h>

extern void titan_pm_host_if_child(void);

__attribute__((constructor)) static void titan_pm_testkit_auto_host(void) {
    if (getenv("TITAN_PM_ROLE") != NULL) {
        titan_pm_host_if_child();
    }
}
