#ifndef CTITAN_H
#define CTITAN_H

#include <spawn.h>
#include <sys/types.h>

/// prctl(PR_SET_PDEATHSIG, sig): deliver `sig` to this process when its parent thread exits.
int titan_set_parent_death_signal(int sig);

/// prctl(PR_SET_DUMPABLE, dumpable): with 0, processes of the same user can no longer ptrace
/// this one, read its memory or take its descriptors (pidfd_getfd); /proc/<pid>/ is root's.
int titan_set_dumpable(int dumpable);

/// getsockopt(SO_PEERCRED): the process, user and group at the other end of a connected Unix
/// socket, as the kernel recorded them at connect time; -1 with errno on failure.
int titan_peer_credentials(int fd, pid_t *pid, uid_t *uid, gid_t *gid);

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

#endif
