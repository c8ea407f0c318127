#define _GNU_SOURCE
#include "CTitan.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// Shared with the child, which runs in this process's memory until it execs (CLONE_VM):
// it writes where and why it failed here before _exit, and the parent reads it after.
struct spawn_context {
    const struct titan_spawn_request *request;
    int high;
    int error;
    int stage;
};

// The kernel's struct sigaction (not glibc's, whose mask is 128 bytes).
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask;
};

static int fail(struct spawn_context *context, int stage) {
    context->error = errno;
    context->stage = stage;
    _exit(127);
    return 127;
}

static int spawn_child(void *raw) {
    struct spawn_context *context = raw;
    const struct titan_spawn_request *request = context->request;

    // Until exec the child shares the parent's memory: no handler of the parent's may run
    // here. Every disposition goes back to its default (the mask, inherited fully blocked,
    // keeps signals out until then), ignored ones included, since exec keeps those. The
    // raw call reaches the signals glibc reserves (32, 33) too.
    struct kernel_sigaction defaults = {0};
    defaults.handler = SIG_DFL;
    for (int signal = 1; signal <= 64; signal++) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        syscall(SYS_rt_sigaction, signal, &defaults, NULL, sizeof(defaults.mask));
    }

    if (request->new_process_group && setpgid(0, 0) != 0) {
        return fail(context, TITAN_SPAWN_STAGE_PROCESS_GROUP);
    }
    for (int i = 0; i < request->limit_count; i++) {
        struct rlimit limit = {request->limits[i].soft, request->limits[i].hard};
        if (setrlimit(request->limits[i].resource, &limit) != 0) {
            return fail(context, TITAN_SPAWN_STAGE_LIMITS);
        }
    }

    // Move every source above every number in play first, so that installing one never
    // clobbers another that is still to be installed; the program's descriptor sits at
    // `high`, close-on-exec.
    int high = context->high;
    int exec_fd = request->exec_fd;
    if (exec_fd >= 0) {
        if (dup3(exec_fd, high, O_CLOEXEC) < 0) return fail(context, TITAN_SPAWN_STAGE_DESCRIPTORS);
        exec_fd = high;
    }
    for (int i = 0; i < request->fd_count; i++) {
        if (dup2(request->fds[i].parent_fd, high + 1 + i) < 0) return fail(context, TITAN_SPAWN_STAGE_DESCRIPTORS);
    }
    for (int i = 0; i < request->fd_count; i++) {
        if (dup2(high + 1 + i, request->fds[i].child_fd) < 0) return fail(context, TITAN_SPAWN_STAGE_DESCRIPTORS);
    }
    // Then everything else above 2 goes: sources and stray descriptors below `high`, and
    // the temporary copies above it.
    for (int fd = 3; fd < high; fd++) {
        int installed = 0;
        for (int i = 0; i < request->fd_count; i++) {
            if (request->fds[i].child_fd == fd) installed = 1;
        }
        if (!installed) close(fd);
    }
    int close_from = exec_fd >= 0 ? high + 1 : high;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, (unsigned)close_from, ~0U, 0) != 0)
#endif
    {
        long max = sysconf(_SC_OPEN_MAX);
        for (long fd = close_from; fd < max; fd++) close((int)fd);
    }

    if (request->working_directory != NULL && chdir(request->working_directory) != 0) {
        return fail(context, TITAN_SPAWN_STAGE_DIRECTORY);
    }

    sigset_t empty;
    sigemptyset(&empty);
    sigprocmask(SIG_SETMASK, &empty, NULL);
    if (exec_fd >= 0) {
        syscall(SYS_execveat, exec_fd, "", request->argv, request->envp, AT_EMPTY_PATH);
    } else {
        execve(request->path, request->argv, request->envp);
    }
    return fail(context, TITAN_SPAWN_STAGE_EXEC);
}

int titan_open_path(const char *path) {
    return open(path, O_PATH | O_CLOEXEC);
}

int titan_spawn(const struct titan_spawn_request *request, pid_t *pid, int *stage) {
    struct spawn_context context = {request, 3, 0, 0};
    // Above every descriptor named, so the moves in the child never overlap a source.
    if (request->exec_fd >= context.high) context.high = request->exec_fd + 1;
    for (int i = 0; i < request->fd_count; i++) {
        if (request->fds[i].parent_fd >= context.high) context.high = request->fds[i].parent_fd + 1;
        if (request->fds[i].child_fd >= context.high) context.high = request->fds[i].child_fd + 1;
    }

    const size_t stack_size = 256 * 1024;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        *stage = TITAN_SPAWN_STAGE_CLONE;
        return errno;
    }
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int child = clone(spawn_child, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &context);
    int clone_error = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    munmap(stack, stack_size);

    if (child < 0) {
        *stage = TITAN_SPAWN_STAGE_CLONE;
        return clone_error;
    }
    if (context.error != 0) {
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        *stage = context.stage;
        return context.error;
    }
    *pid = child;
    return 0;
}
