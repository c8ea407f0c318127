#define _GNU_SOURCE
#include "CTitan.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

// A handler that only writes a byte: the work a SIGHUP asks for runs on a thread that reads
// the other end of the pipe, where any code may run.
static volatile sig_atomic_t hangup_fd = -1;
static struct sigaction hangup_previous;

static void hangup_handler(int sig) {
    (void)sig;
    int saved = errno;
    char byte = 1;
    if (hangup_fd >= 0) (void)write(hangup_fd, &byte, 1);
    errno = saved;
}

int titan_hangup_install(int fd) {
    if (hangup_fd >= 0) {
        errno = EBUSY;
        return -1;
    }
    hangup_fd = fd;
    struct sigaction action = {0};
    action.sa_handler = hangup_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGHUP, &action, &hangup_previous) != 0) {
        hangup_fd = -1;
        return -1;
    }
    return 0;
}

int titan_hangup_restore(void) {
    if (hangup_fd < 0) return 0;
    int rc = sigaction(SIGHUP, &hangup_previous, NULL);
    hangup_fd = -1;
    return rc;
}
