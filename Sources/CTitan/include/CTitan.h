#ifndef CTITAN_H
#define CTITAN_H

// epoll: the one thread that reads every child's output pipes (Glibc's module does not export it).
#include <sys/epoll.h>
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

/// Sets the calling thread's nice value (Linux nice is per thread): background work such as
/// handling children's log lines yields to the threads that serve calls.
int titan_set_thread_nice(int nice);

/// open(path, O_PATH | O_CLOEXEC): a descriptor that names a file without opening it for
/// reading (enough for fstat and execveat); -1 with errno on failure.
int titan_open_path(const char *path);

/// A descriptor to install in a child: `parent_fd` of the caller becomes `child_fd`.
struct titan_spawn_fd {
    int parent_fd;
    int child_fd;
};

/// A resource limit to set in a child before it runs its program (setrlimit).
struct titan_spawn_limit {
    int resource;
    unsigned long long soft;
    unsigned long long hard;
};

/// What `titan_spawn` starts.
struct titan_spawn_request {
    /// The program's path: executed when `exec_fd` < 0, and `argv[0]`'s usual value.
    const char *path;
    /// When >= 0, the program is this open file (execveat with AT_EMPTY_PATH): what the
    /// descriptor names, even if the path now names another file or none.
    int exec_fd;
    char *const *argv;
    char *const *envp;
    const struct titan_spawn_fd *fds;
    int fd_count;
    /// NULL keeps the caller's.
    const char *working_directory;
    /// Non-zero: the child leads a new process group.
    int new_process_group;
    const struct titan_spawn_limit *limits;
    int limit_count;
};

/// Where `titan_spawn` failed, with the errno it returns.
enum titan_spawn_stage {
    TITAN_SPAWN_STAGE_CLONE = 1,
    TITAN_SPAWN_STAGE_PROCESS_GROUP = 2,
    TITAN_SPAWN_STAGE_LIMITS = 3,
    TITAN_SPAWN_STAGE_DESCRIPTORS = 4,
    TITAN_SPAWN_STAGE_DIRECTORY = 5,
    TITAN_SPAWN_STAGE_EXEC = 6,
};

/// Starts a child as posix_spawn would (clone with CLONE_VM|CLONE_VFORK, so the caller is
/// suspended until the child has exec'd or failed), but can also execute an open file.
/// In the child: every signal handler reset to default, own process group if asked, limits,
/// descriptors installed and every other descriptor above 2 closed, working directory, an
/// empty signal mask, exec. Returns 0 with *pid set, or an errno with *stage saying where it
/// failed; a child that failed has been reaped.
int titan_spawn(const struct titan_spawn_request *request, pid_t *pid, int *stage);

/// Installs a SIGHUP handler that writes one byte to `fd` (non-blocking, async-signal-safe)
/// and keeps the handler it replaces for `titan_hangup_restore`. Returns 0, or -1 with errno
/// (EBUSY when one is installed already).
int titan_hangup_install(int fd);

/// Puts back the SIGHUP handler `titan_hangup_install` replaced. Returns 0, or -1 with errno.
int titan_hangup_restore(void);

#endif
