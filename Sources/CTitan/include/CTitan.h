#ifndef CTITAN_H
#define CTITAN_H

// epoll: the one thread that reads every child's output pipes (Glibc's module does not export it).
#include <sys/epoll.h>
#include <spawn.h>
#include <sys/types.h>

/// prctl(PR_SET_PDEATHSIG, sig): deliver `sig` to this process when its parent thread exits.
int titan_set_parent_death_signal(int sig);

/// pipe2(fds, O_CLOEXEC).
int titan_pipe_cloexec(int fds[2]);

/// accept4(fd, NULL, NULL, SOCK_CLOEXEC).
int titan_accept_cloexec(int fd);

/// pidfd_open(pid, 0) through syscall(2); -1 with errno on failure.
int titan_pidfd_open(pid_t pid);

/// pidfd_send_signal(pidfd, sig, NULL, 0): signals exactly the process the pidfd names, never
/// a later process that reused its pid; -1 with errno (ESRCH once it has been reaped).
int titan_pidfd_send_signal(int pidfd, int sig);

/// posix_spawn_file_actions_addclosefrom_np: close every fd >= `from` in the child.
int titan_spawn_add_closefrom(posix_spawn_file_actions_t *actions, int from);

/// posix_spawn_file_actions_addchdir_np: change directory in the child before exec.
int titan_spawn_add_chdir(posix_spawn_file_actions_t *actions, const char *path);

/// sched_setaffinity to exactly one CPU (pid 0 = the calling thread).
int titan_pin_to_cpu(pid_t pid, int cpu);

/// pthread_setname_np for the calling thread (at most 15 bytes are kept).
int titan_set_thread_name(const char *name);

/// Waits for child `pid` (blocking, retrying on EINTR) and decodes how it ended:
/// returns 0 with *value = exit code, 1 with *value = signal number, or -1 with errno set.
int titan_reap(pid_t pid, int *value);

/// Makes stdout line-buffered, so a child's output interleaves sensibly with its parent's.
void titan_line_buffer_stdout(void);

/// Sets the calling thread's nice value (Linux nice is per thread): background work such as
/// handling children's log lines yields to the threads that serve calls.
int titan_set_thread_nice(int nice);

#endif
