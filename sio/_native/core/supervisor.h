/*
 * supervisor.h - run one program to completion under supervision.
 *
 * This is the single implementation of process supervision shared by the
 * Python binding (supervise.pyx), the sio2jail-compatible jail and the
 * exec-sandbox `supervisor` helper.  One call of sio_supervise():
 *
 *   - spawns the program (CLONE_VM|CLONE_VFORK by default, so that a large
 *     host process does not pay for copying its page tables; nothing but
 *     async-signal-safe calls runs between clone and execve),
 *   - applies rlimits (address space, stack, file size, core),
 *   - optionally installs a seccomp filter and traces the program with
 *     ptrace, stopping it only on syscalls the filter marks for a decision,
 *   - enforces the CPU-time and wall-time limits from a watchdog running in
 *     the calling thread while a dedicated tracer thread waits for events,
 *   - kills every process the program left behind, and
 *   - fills a struct sio_result with what happened.
 *
 * The calling thread may hold no locks the program could need; the function
 * blocks until the program and all its traced descendants are gone.
 */
#ifndef SIO_SUPERVISOR_H
#define SIO_SUPERVISOR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/filter.h>

#include "sio_limits.h"

/* How the program is started. */
enum sio_spawn_mode {
    /* clone(CLONE_VM|CLONE_VFORK): cheap in a big host; the tracer first
     * sees the program stopped right after its execve. */
    SIO_SPAWN_VFORK = 0,
    /* fork() and stop before execve, so that hooks.child_stopped can set up
     * things that must exist before the exec (e.g. perf counters that
     * start counting at execve). */
    SIO_SPAWN_FORK_STOPPED = 1,
};



struct sio_result;

/* sio2jail's --fake-time modes. */
enum sio_fake_time {
    SIO_FAKE_TIME_OFF = 0,
    SIO_FAKE_TIME_RANDOM = 1,  /* RDTSC answers random values */
    SIO_FAKE_TIME_ZERO = 2,    /* RDTSC answers 0 */
};

/* Extension points for the jail (instruction counting). All optional. */
struct sio_hooks {
    void *ctx;
    /* FORK_STOPPED mode: called in the tracer thread while the child is
     * stopped before execve. Return 0, or -1 with a message in err. */
    int (*child_stopped)(void *ctx, pid_t pid, char *err, size_t errlen);
    /* Called by the watchdog on every wake-up. Return a kill reason or 0;
     * may lower *sleep_ns to be woken sooner. */
    int (*watch)(void *ctx, uint64_t *sleep_ns);
    /* Called once after the program is gone, before the verdict. */
    void (*finished)(void *ctx, struct sio_result *res);
};

struct sio_spec {
    const char *path;             /* passed to execve (relative to cwd) */
    char *const *argv;
    char *const *envp;
    const char *cwd;              /* NULL: inherit */
    int stdin_fd, stdout_fd, stderr_fd;   /* -1: /dev/null */

    uint64_t mem_limit_kib;       /* 0: none. RLIMIT_AS = limit + margin */
    uint64_t time_limit_ms;       /* CPU time of the whole run, user + system,
                                     as the scheduler counts it; 0: none */
    uint64_t real_time_limit_ms;  /* wall clock; 0: none */
    uint64_t output_limit_bytes;  /* RLIMIT_FSIZE; 0: none */

    int trace;                    /* ptrace the program (needed for filter) */
    int follow_forks;             /* also trace (and kill) descendants */
    const struct sock_fprog *filter;  /* seccomp filter or NULL */
    int exec_freely;              /* under a filter, a process may execve
                                     again (trusted programs: wrappers such
                                     as env, shells that exec); otherwise its
                                     second execve is RV before the new
                                     image runs */
    int files_mode;               /* enum sio_files_mode */
    const char *local_root;       /* for SIO_FILES_LOCAL_READONLY */
    int proc_dirfd;               /* dirfd of a procfs, or -1 for /proc */
    int spawn_mode;               /* enum sio_spawn_mode */
    int single_threaded;          /* program cannot use more than one CPU;
                                     traced, it then runs on the caller's
                                     CPU and the caller stays there */
    int keep_process_group;       /* do not make the program a group leader */

    /* Identity: with switch_ids the program runs as run_uid/run_gid with no
     * supplementary groups, no capabilities and no_new_privs (the caller
     * must be able to setuid; see uidpool.h for where the ids come from). */
    int switch_ids;
    uid_t run_uid;
    gid_t run_gid;
    /* Per-run quotas of what the kernel would otherwise let a program take
     * from the resources its uid shares: open files (hence pipe buffers),
     * processes of its uid, pending signals, POSIX message queues, locked
     * memory. 0: leave the limit inherited. */
    uint64_t max_open_files;      /* RLIMIT_NOFILE */
    uint64_t max_processes;       /* RLIMIT_NPROC (counts the run's uid) */
    int confine_quotas;           /* SIGPENDING, MSGQUEUE, MEMLOCK small */
    /* Descriptors (besides 0-2) the program keeps, at the same numbers
     * (an interactor's pipes); every other one is closed at exec. */
    const int *keep_fds;
    size_t nkeep_fds;
    /* Descriptors of the caller's that only the program needs: closed in
     * the caller as soon as the program has them (so that it alone holds
     * its pipe ends, and the other side sees EOF when it ends), and closed
     * however the call ends: the caller hands them over with the call and
     * never closes them itself (their numbers may be another thread's by
     * then). */
    const int *close_fds;
    size_t nclose_fds;
    /* A descriptor of the cgroup.procs file the program joins before exec
     * (a memory cgroup that bounds kernel-held memory too); 0 or -1: none. */
    int cgroup_procs_fd;
    /* Namespaces the program joins before anything else (the caller must
     * hold CAP_SYS_ADMIN; see netns.h): a network namespace, and a mount
     * namespace (which needs an absolute cwd). 0 or -1: none. */
    int netns_fd;
    int mntns_fd;
    /* A Landlock ruleset the program is restricted by (landlock.h); 0 or
     * -1: none. */
    int landlock_fd;
    /* enum sio_fake_time: the time stamp counter the program reads. With
     * a fake time, RDTSC/RDTSCP fault (PR_SET_TSC) and the tracer answers
     * them (the filter should refuse the clock syscalls too: see
     * SIO_PF_FAKE_TIME), so a program cannot time itself. Traced runs only. */
    int fake_time;
    const struct sio_hooks *hooks;
    /* Extra set-up in the child right before tracing starts (e.g. dropping
     * capabilities). Only async-signal-safe calls; return 0, or -1 with
     * errno set. */
    int (*child_hook)(const void *arg);
    const void *child_hook_arg;
};

struct sio_result {
    int exited;                   /* exit_code is valid */
    int exit_code;
    int signaled;                 /* term_signal is valid */
    int term_signal;

    uint64_t user_us, sys_us;     /* CPU of the program and waited children
                                     (the split is tick-sampled) */
    uint64_t cpu_us;              /* precise CPU time of every process and
                                     thread of the run, user + system: what
                                     time limits are judged on */
    uint64_t tracer_us;           /* CPU the supervisor spent on its stops */
    uint64_t wall_us;
    uint64_t peak_vm_kib;         /* VmPeak (or traced estimate) */
    uint64_t peak_rss_kib;        /* VmHWM */
    uint64_t syscalls;            /* syscalls the supervisor inspected */

    int kill_reason;              /* enum sio_kill_reason */
    int alloc_over_limit;         /* an allocation hit the address-space limit */
    int exec_failed;              /* the program could not be started */
    int died_in_exec;             /* killed by the kernel inside execve (e.g.
                                     its image did not fit the limit) */
    int exec_errno;
    int internal_error;           /* supervision failed: see detail */
    int memcg_version;            /* the run's memory cgroup (1, 2); 0: none */
    int memcg_oom;                /* the kernel killed it at the cgroup limit */
    uint64_t memcg_peak_kib;      /* peak of everything the cgroup charged */
    char detail[256];             /* forbidden syscall name or error text */
};



/* The descriptor the program is executed through (execveat with
 * AT_EMPTY_PATH): the one exec the static policy allows. Above every
 * descriptor limit a static program gets, so it can never make it again. */
#define SIO_EXEC_FD 200

/* Quotas set by confine_quotas. */
#define SIO_QUOTA_SIGPENDING 64
#define SIO_QUOTA_MSGQUEUE 0
#define SIO_QUOTA_MEMLOCK (64 * 1024)

/* Run the program. Returns 0 when res describes a supervised run (whatever
 * its outcome), -1 when supervision failed (res->internal_error set). */
int sio_supervise(const struct sio_spec *spec, struct sio_result *res);

/* Close spec->close_fds: for a caller that ends before sio_supervise(). */
void sio_close_handed_fds(const struct sio_spec *spec);

#endif
