/*
 * supervisor.c - spawn, trace, time and reap one program. See supervisor.h.
 *
 * Threads: the caller of sio_supervise() spawns the program, is its ptrace
 * tracer and reaps it; the process-wide watchdog thread (watchdog.c) reads
 * its CPU clocks and kills it at a limit. Waits name the program's own
 * processes, so the caller's other children are never reaped here.
 */
#define _GNU_SOURCE
#include "supervisor.h"
#include "output_guard.h"
#include "procfs.h"
#include "rules.h"
#include "seccomp_policy.h"
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

#define CHILD_STACK_SIZE (128 * 1024)
#define MAX_WATCH_SLEEP_NS 1000000000ULL      /* 1 s */
#define KILLED_RECHECK_NS 100000000ULL        /* 0.1 s */
#define FOREIGN_POLL_NS 200000L               /* 0.2 ms */

/* Stages of the child's set-up, reported through the error pipe. */
enum child_stage {
    STAGE_SIGNALS = 1, STAGE_SETPGID, STAGE_FDS, STAGE_CHDIR, STAGE_CGROUP,
    STAGE_RLIMIT, STAGE_IDS, STAGE_PDEATHSIG, STAGE_HOOK, STAGE_TRACEME,
    STAGE_STOP, STAGE_NNP, STAGE_SECCOMP, STAGE_EXEC, STAGE_NAMESPACES,
    STAGE_LANDLOCK, STAGE_TSC,
};

static const char *const stage_names[] = {
    "", "resetting signals", "setpgid", "setting up descriptors", "chdir",
    "joining the cgroup", "setrlimit", "switching to the run's uid/gid",
    "PR_SET_PDEATHSIG", "the set-up hook", "PTRACE_TRACEME", "stopping",
    "PR_SET_NO_NEW_PRIVS", "loading seccomp filter", "execve",
    "joining the run's namespaces", "restricting writes (landlock)",
    "PR_SET_TSC",
};

/* Tracer CPU is checked against its budget every this many stops. */
#define TRACER_CHECK_EVERY 64

/* Kernel ABI of the CPU-time clock of a whole process: the scheduler's
 * runtime of all its threads, user + system (CPUCLOCK_SCHED). Precise,
 * unlike the tick-sampled utime/stime split. */
static clockid_t process_cpu_clock(pid_t pid)
{
    return (clockid_t)((~(unsigned)pid << 3) | 2);
}

static uint64_t ts_ns(const struct timespec *t)
{
    return (uint64_t)t->tv_sec * 1000000000ULL + (uint64_t)t->tv_nsec;
}

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return ts_ns(&t);
}

static uint64_t thread_cpu_ns(void)
{
    struct timespec t;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) < 0)
        return 0;
    return ts_ns(&t);
}

static pthread_once_t dumpable_once = PTHREAD_ONCE_INIT;
static int initial_dumpable = -1;

static void read_dumpable(void)
{
    initial_dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
}

uint64_t sio_as_margin_kib(uint64_t mem_limit_kib)
{
    (void)mem_limit_kib;
    return 1024;
}

/* ------------------------------------------------------------------ */
/* The child: only async-signal-safe calls from here to execve.        */

struct child_ctx {
    const struct sio_spec *spec;
    int pin_cpu;              /* >= 0: run the program on this CPU */
    int fds[3];
    int err_fd;
    int nlimits;
    int limit_resource[12];
    struct rlimit limit_value[12];
    sigset_t empty_mask;
};

/* struct sigaction as the kernel's rt_sigaction wants it. */
struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static void __attribute__((noreturn)) child_fail(const struct child_ctx *c,
                                                 int stage)
{
    int msg[2] = {stage, errno};
    ssize_t ignored = write(c->err_fd, msg, sizeof msg);
    (void)ignored;
    _exit(127);
}

/* How long an exec refused with ETXTBSY is tried again: a program file
 * just written is held open for writing, for a moment, by the child of
 * any thread of the host that forked while the file was being written
 * (until that child's exec closes it). */
#define ETXTBSY_RETRIES 2000
#define ETXTBSY_PAUSE_NS 500000L  /* 0.5 ms: 1 s in all */

/* execveat through exe_fd, or execve by path when it is -1; returns only
 * when the exec failed (errno says why). */
static void exec_program(const struct sio_spec *s, int exe_fd)
{
    for (int tries = 0;; tries++) {
        if (exe_fd >= 0)
            syscall(SYS_execveat, exe_fd, "", s->argv, s->envp, AT_EMPTY_PATH);
        else
            execve(s->path, s->argv, s->envp);
        if (errno != ETXTBSY || tries == ETXTBSY_RETRIES)
            return;
        struct timespec pause = {0, ETXTBSY_PAUSE_NS};
        nanosleep(&pause, NULL);
        errno = ETXTBSY;
    }
}

static int child_main(void *arg)
{
    const struct child_ctx *c = arg;
    const struct sio_spec *s = c->spec;
    int fds[3] = {c->fds[0], c->fds[1], c->fds[2]};

    /* The host may ignore or handle signals (Python ignores SIGPIPE and
     * SIGXFSZ); the program must start with default dispositions. */
    struct kernel_sigaction dfl = {0};
    for (int sig = 1; sig < 65; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        if (syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8) < 0 &&
            errno != EINVAL)
            child_fail(c, STAGE_SIGNALS);
    }
    if (!s->keep_process_group && setpgid(0, 0) < 0)
        child_fail(c, STAGE_SETPGID);

    /* Move sources out of 0..2 first, so no dup2 clobbers another. */
    for (int i = 0; i < 3; i++) {
        if (fds[i] < 3 && fds[i] != i) {
            fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
            if (fds[i] < 0)
                child_fail(c, STAGE_FDS);
        }
    }
    for (int i = 0; i < 3; i++) {
        if (fds[i] == i) {
            if (fcntl(i, F_SETFD, 0) < 0)
                child_fail(c, STAGE_FDS);
        } else if (dup2(fds[i], i) < 0) {
            child_fail(c, STAGE_FDS);
        }
    }
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) < 0)
            child_fail(c, STAGE_FDS);
        rlim_t top = nofile.rlim_cur == RLIM_INFINITY ? 65536 : nofile.rlim_cur;
        for (rlim_t fd = 3; fd < top; fd++)
            if (fd != (rlim_t)c->err_fd)
                (void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);
    }
    for (size_t i = 0; i < s->nkeep_fds; i++)
        if (s->keep_fds[i] > 2 && fcntl(s->keep_fds[i], F_SETFD, 0) < 0)
            child_fail(c, STAGE_FDS);
    /* Joining a mount namespace moves the cwd to its root: before chdir. */
    if (s->mntns_fd > 0 && setns(s->mntns_fd, CLONE_NEWNS) < 0)
        child_fail(c, STAGE_NAMESPACES);
    if (s->netns_fd > 0 && setns(s->netns_fd, CLONE_NEWNET) < 0)
        child_fail(c, STAGE_NAMESPACES);
    if (s->cwd && chdir(s->cwd) < 0)
        child_fail(c, STAGE_CHDIR);
    /* The program is executed through a descriptor opened here, at a
     * number the static policy knows (SIO_EXEC_FD): under ids of its own it
     * may not be able to reach its file (a private job directory), and the
     * policy lets no other exec through, so a program cannot probe the
     * host's paths with failing execve calls. */
    int exe_fd = open(s->path, O_PATH | O_CLOEXEC);
    if (exe_fd < 0)
        child_fail(c, STAGE_EXEC);
    if (exe_fd != SIO_EXEC_FD && c->err_fd != SIO_EXEC_FD &&
        dup3(exe_fd, SIO_EXEC_FD, O_CLOEXEC) == SIO_EXEC_FD) {
        close(exe_fd);
        exe_fd = SIO_EXEC_FD;
    }
    if (c->pin_cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(c->pin_cpu, &one);
        /* Only a placement hint: a failure costs speed, not correctness. */
        (void)sched_setaffinity(0, sizeof one, &one);
    }
    if (s->cgroup_procs_fd > 0 && write(s->cgroup_procs_fd, "0", 1) != 1)
        child_fail(c, STAGE_CGROUP);
    for (int i = 0; i < c->nlimits; i++)
        if (setrlimit(c->limit_resource[i], &c->limit_value[i]) < 0)
            child_fail(c, STAGE_RLIMIT);
    /* Root may restrict itself as it is; anyone else first gives up gaining
     * privileges by exec, as Landlock requires. */
    if (s->landlock_fd > 0 &&
        syscall(SYS_landlock_restrict_self, s->landlock_fd, 0U) < 0 &&
        (errno != EPERM || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
         syscall(SYS_landlock_restrict_self, s->landlock_fd, 0U) < 0))
        child_fail(c, STAGE_LANDLOCK);
    if (s->switch_ids) {
        /* Raw syscalls: libc's wrappers would signal the other threads of
         * a process this child may share memory with. Leaving uid 0 for
         * good clears every capability. */
        if (syscall(SYS_setgroups, 0, NULL) < 0 ||
            syscall(SYS_setresgid, s->run_gid, s->run_gid, s->run_gid) < 0 ||
            syscall(SYS_setresuid, s->run_uid, s->run_uid, s->run_uid) < 0)
            child_fail(c, STAGE_IDS);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            child_fail(c, STAGE_NNP);
    }
    /* After the identity change, which clears it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        child_fail(c, STAGE_PDEATHSIG);
    if (s->child_hook && s->child_hook(s->child_hook_arg) < 0)
        child_fail(c, STAGE_HOOK);
    /* RDTSC and RDTSCP fault from here on, across exec: the tracer
     * answers them. */
    if (s->fake_time && s->trace && prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) < 0)
        child_fail(c, STAGE_TSC);
    if (s->trace && ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
        child_fail(c, STAGE_TRACEME);
    if (s->spawn_mode == SIO_SPAWN_FORK_STOPPED &&
        kill(getpid(), SIGSTOP) < 0)
        child_fail(c, STAGE_STOP);
    if (sigprocmask(SIG_SETMASK, &c->empty_mask, NULL) < 0)
        child_fail(c, STAGE_SIGNALS);
    if (s->filter) {
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            child_fail(c, STAGE_NNP);
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, s->filter) < 0)
            child_fail(c, STAGE_SECCOMP);
    }
    exec_program(s, exe_fd);
    /* ENOENT: a script, whose interpreter cannot open a descriptor closed
     * at exec; by its path, then (not under the static policy). */
    if (errno != ENOENT)
        child_fail(c, STAGE_EXEC);
    exec_program(s, -1);
    child_fail(c, STAGE_EXEC);
}

/* ------------------------------------------------------------------ */
/* State shared by the tracer thread and the watchdog.                 */

struct tracee {
    pid_t pid;
    int is_process;       /* a thread-group leader: its CPU clock counts */
    int clock_live;       /* CPU not yet folded into dead_cpu_ns */
    int execs;
    int options_set;
    struct sio_memory_state mem;
};

struct run {
    const struct sio_spec *spec;
    struct sio_result *res;
    struct sio_watch watch;   /* first: the watchdog hands it back */

    pthread_mutex_t mu;       /* guards what the watchdog reads and kills */
    pid_t root;
    int root_pidfd;
    int root_reaped;
    uint64_t t0_ns;
    uint64_t dead_cpu_ns;     /* CPU of processes that are gone */
    uint64_t cpu_at_kill_ns;  /* what the watchdog read when it killed */
    uint64_t reaped_cpu_ns;   /* the root's rusage, user + system */
    uint64_t tracer_t0_ns;    /* the tracer's thread CPU clock at start */
    uint64_t tracer_budget_ns;/* 0: none */
    uint64_t cpus;            /* how many CPUs the program can use at once */
    uint64_t tsc_state;       /* the fake time stamp counter's generator */
    struct tracee *tracees;
    size_t ntracees, cap;

    int foreign_child;        /* the caller has children of its own */
    int err_pipe[2];
    int devnull;
    struct child_ctx child;
};

static void set_error(struct run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct run *r, const char *fmt, ...)
{
    if (r->res->internal_error)
        return;
    r->res->internal_error = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->res->detail, sizeof r->res->detail, fmt, ap);
    va_end(ap);
}

static struct tracee *find_tracee(struct run *r, pid_t pid)
{
    for (size_t i = 0; i < r->ntracees; i++)
        if (r->tracees[i].pid == pid)
            return &r->tracees[i];
    return NULL;
}

/* Called with mu held. */
static struct tracee *add_tracee(struct run *r, pid_t pid, int options_set)
{
    if (r->ntracees == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        struct tracee *t = realloc(r->tracees, cap * sizeof *t);
        if (!t)
            return NULL;
        r->tracees = t;
        r->cap = cap;
    }
    struct tracee *t = &r->tracees[r->ntracees++];
    memset(t, 0, sizeof *t);
    t->pid = pid;
    t->options_set = options_set;
    t->mem.statm_fd = -1;
    struct timespec probe;
    /* Only thread-group leaders have a process CPU clock. */
    t->is_process = clock_gettime(process_cpu_clock(pid), &probe) == 0;
    t->clock_live = t->is_process;
    return t;
}

/* Called with mu held. */
static void remove_tracee(struct run *r, pid_t pid)
{
    struct tracee *t = find_tracee(r, pid);
    if (!t)
        return;
    if (t->mem.statm_fd >= 0)
        close(t->mem.statm_fd);
    *t = r->tracees[--r->ntracees];
}

/* Called with mu held: CPU (user + system, precise) of every live process
 * plus what the dead ones used. */
static uint64_t tree_cpu_ns(struct run *r)
{
    uint64_t total = r->dead_cpu_ns;
    for (size_t i = 0; i < r->ntracees; i++) {
        struct tracee *t = &r->tracees[i];
        struct timespec ts;
        if (t->clock_live &&
            clock_gettime(process_cpu_clock(t->pid), &ts) == 0)
            total += ts_ns(&ts);
    }
    return total;
}

/* Called with mu held. Record the reason (first wins) and kill the root
 * and its process group. Safe from either thread: the root is signalled
 * through its pidfd and the group only while the root is not reaped. */
static void kill_program_locked(struct run *r, int reason)
{
    if (reason && !r->res->kill_reason)
        r->res->kill_reason = reason;
    if (r->root <= 0 || r->root_reaped)
        return;
    if (r->root_pidfd >= 0)
        (void)syscall(SYS_pidfd_send_signal, r->root_pidfd, SIGKILL, NULL, 0);
    else
        (void)kill(r->root, SIGKILL);
    if (!r->spec->keep_process_group)
        (void)kill(-r->root, SIGKILL);
}

/* Tracer only: kill the program and every traced descendant. */
static void kill_everything(struct run *r, int reason)
{
    pthread_mutex_lock(&r->mu);
    kill_program_locked(r, reason);
    for (size_t i = 0; i < r->ntracees; i++)
        if (r->tracees[i].pid != r->root || !r->root_reaped)
            (void)kill(r->tracees[i].pid, SIGKILL);
    pthread_mutex_unlock(&r->mu);
}

static void note_memory(struct run *r, pid_t pid)
{
    uint64_t peak, hwm;
    if (sio_proc_memory_peaks(r->spec->proc_dirfd, pid, &peak, &hwm) < 0)
        return;
    if (peak > r->res->peak_vm_kib)
        r->res->peak_vm_kib = peak;
    if (hwm > r->res->peak_rss_kib)
        r->res->peak_rss_kib = hwm;
}

/* ------------------------------------------------------------------ */
/* Spawning.                                                           */

static int prepare_child(struct run *r)
{
    const struct sio_spec *s = r->spec;
    struct child_ctx *c = &r->child;
    c->spec = s;
    c->err_fd = r->err_pipe[1];
    c->pin_cpu = -1;
    if (s->trace && s->single_threaded) {
        /* Every ptrace stop wakes the supervisor: on one CPU that is a
         * plain switch, across CPUs a wake-up of an idle CPU, several
         * times slower. A single-threaded program loses nothing by running
         * where its supervisor runs. */
        int cpu = sched_getcpu();
        if (cpu >= 0 && cpu < CPU_SETSIZE)
            c->pin_cpu = cpu;
    }
    int want_null = s->stdin_fd < 0 || s->stdout_fd < 0 || s->stderr_fd < 0;
    if (want_null) {
        r->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (r->devnull < 0) {
            set_error(r, "cannot open /dev/null: %s", strerror(errno));
            return -1;
        }
    }
    c->fds[0] = s->stdin_fd >= 0 ? s->stdin_fd : r->devnull;
    c->fds[1] = s->stdout_fd >= 0 ? s->stdout_fd : r->devnull;
    c->fds[2] = s->stderr_fd >= 0 ? s->stderr_fd : r->devnull;
    sigemptyset(&c->empty_mask);

    struct { int resource; uint64_t value; int wanted; } want[] = {
        {RLIMIT_AS, (s->mem_limit_kib + sio_as_margin_kib(s->mem_limit_kib))
                        * 1024, s->mem_limit_kib != 0},
        /* The stack may grow as far as the address-space limit lets it;
         * a finite RLIMIT_STACK would also become every thread's stack
         * size in glibc. */
        {RLIMIT_STACK, RLIM_INFINITY, s->mem_limit_kib != 0},
        {RLIMIT_FSIZE, s->output_limit_bytes, s->output_limit_bytes != 0},
        {RLIMIT_CORE, 0, 1},
        /* Backstop only: the watchdog kills far more precisely. */
        {RLIMIT_CPU, (s->time_limit_ms + 999) / 1000 + 1, s->time_limit_ms != 0},
        {RLIMIT_NOFILE, s->max_open_files, s->max_open_files != 0},
        {RLIMIT_NPROC, s->max_processes, s->max_processes != 0},
        {RLIMIT_SIGPENDING, SIO_QUOTA_SIGPENDING, s->confine_quotas},
        {RLIMIT_MSGQUEUE, SIO_QUOTA_MSGQUEUE, s->confine_quotas},
        {RLIMIT_MEMLOCK, SIO_QUOTA_MEMLOCK, s->confine_quotas},
    };
    c->nlimits = 0;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (!want[i].wanted)
            continue;
        struct rlimit cur;
        if (getrlimit(want[i].resource, &cur) < 0) {
            set_error(r, "getrlimit: %s", strerror(errno));
            return -1;
        }
        rlim_t v = (rlim_t)want[i].value;
        /* Never ask for more than the host may grant. */
        if (cur.rlim_max != RLIM_INFINITY && v > cur.rlim_max)
            v = cur.rlim_max;
        struct rlimit nl = {v, v};
        if (want[i].resource == RLIMIT_CPU && v != RLIM_INFINITY &&
            (cur.rlim_max == RLIM_INFINITY || v + 1 <= cur.rlim_max))
            nl.rlim_max = v + 1;  /* SIGXCPU first, SIGKILL a second later */
        c->limit_resource[c->nlimits] = want[i].resource;
        c->limit_value[c->nlimits] = nl;
        c->nlimits++;
    }
    return 0;
}

/* Each supervising thread keeps its child stack for its next run: a new
 * mapping per run costs page faults, and unmapping it in a multithreaded
 * process a TLB shootdown on every CPU. Reuse is safe: clone returns once
 * the child has exec'd (vfork) or has a copy of it (fork). */
static pthread_key_t stack_key;
static pthread_once_t stack_key_once = PTHREAD_ONCE_INIT;
static int stack_key_ok;

static void free_child_stack(void *stack)
{
    (void)munmap(stack, CHILD_STACK_SIZE);  /* thread exit: nothing to report to */
}

static void make_stack_key(void)
{
    stack_key_ok = pthread_key_create(&stack_key, free_child_stack) == 0;
}

static void *child_stack(void)
{
    pthread_once(&stack_key_once, make_stack_key);
    void *stack = stack_key_ok ? pthread_getspecific(stack_key) : NULL;
    if (stack)
        return stack;
    stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return NULL;
    if (stack_key_ok)
        (void)pthread_setspecific(stack_key, stack);  /* if refused: used once */
    return stack;
}

static void release_child_stack(void *stack)
{
    if (!stack_key_ok || pthread_getspecific(stack_key) != stack)
        (void)munmap(stack, CHILD_STACK_SIZE);
}

static pid_t spawn_child(struct run *r)
{
    void *stack = child_stack();
    if (!stack) {
        set_error(r, "cannot allocate the child stack: %s", strerror(errno));
        return -1;
    }
    sigset_t all, old;
    sigfillset(&all);
    /* No handler of the host may run in the child before execve. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    r->t0_ns = mono_ns();
    int flags = SIGCHLD;
    if (r->spec->spawn_mode == SIO_SPAWN_VFORK)
        flags |= CLONE_VM | CLONE_VFORK;
    pid_t pid = clone(child_main, (char *)stack + CHILD_STACK_SIZE, flags,
                      &r->child);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    release_child_stack(stack);
    if (pid < 0)
        set_error(r, "clone: %s", strerror(saved));
    return pid;
}

/* ------------------------------------------------------------------ */
/* Tracing.                                                            */

static long ptrace_options(const struct sio_spec *s)
{
    long o = PTRACE_O_EXITKILL | PTRACE_O_TRACEEXIT | PTRACE_O_TRACEEXEC;
    if (s->filter)
        o |= PTRACE_O_TRACESECCOMP;
    if (s->follow_forks)
        o |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE;
    return o;
}

static void resume(struct run *r, pid_t pid, int sig)
{
    if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig) < 0 &&
        errno != ESRCH)
        set_error(r, "PTRACE_CONT: %s", strerror(errno));
}

/* A SIGSEGV that a faked time stamp counter raised: the faulting RDTSC or
 * RDTSCP is answered here (EDX:EAX, and ECX = 0 for RDTSCP's processor id)
 * and stepped over. 1 when it was one, 0 for a real fault. */
static int answer_tsc_read(struct run *r, pid_t pid)
{
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
        return 0;
    errno = 0;
    long word = ptrace(PTRACE_PEEKTEXT, pid, (void *)regs.rip, NULL);
    if (errno)
        return 0;
    unsigned char b0 = word & 0xff, b1 = (word >> 8) & 0xff, b2 = (word >> 16) & 0xff;
    unsigned length;
    if (b0 == 0x0f && b1 == 0x31)
        length = 2;  /* rdtsc */
    else if (b0 == 0x0f && b1 == 0x01 && b2 == 0xf9)
        length = 3;  /* rdtscp */
    else
        return 0;
    uint64_t value = 0;
    if (r->spec->fake_time == SIO_FAKE_TIME_RANDOM) {
        /* xorshift64*: the tracer's own, never the host's time. */
        r->tsc_state ^= r->tsc_state >> 12;
        r->tsc_state ^= r->tsc_state << 25;
        r->tsc_state ^= r->tsc_state >> 27;
        value = r->tsc_state * 2685821657736338717ULL;
    }
    regs.rax = value & 0xffffffffULL;
    regs.rdx = value >> 32;
    if (length == 3)
        regs.rcx = 0;
    regs.rip += length;
    return ptrace(PTRACE_SETREGS, pid, NULL, &regs) == 0;
}

/* Skip the syscall the tracee is stopped in; it returns -err. */
static int deny_syscall(pid_t pid, int err)
{
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
        return -1;
    regs.orig_rax = (unsigned long long)-1;
    regs.rax = (unsigned long long)-err;
    return (int)ptrace(PTRACE_SETREGS, pid, NULL, &regs);
}

static void forbid_syscall(struct run *r, uint32_t arch, uint64_t nr)
{
    if (!r->res->kill_reason)
        sio_syscall_name(arch, nr, r->res->detail, sizeof r->res->detail);
    kill_everything(r, SIO_KILL_SYSCALL);
}

static void on_seccomp_stop(struct run *r, struct tracee *t)
{
    struct __ptrace_syscall_info info;
    memset(&info, 0, sizeof info);
    long got = ptrace(PTRACE_GET_SYSCALL_INFO, t->pid, sizeof info, &info);
    if (got <= 0 || info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
        if (got < 0 && errno == ESRCH)
            return;
        /* A program being killed (by the watchdog, say) may leave its
         * seccomp stop before we look: its exit follows. */
        pthread_mutex_lock(&r->mu);
        int dying = r->res->kill_reason != SIO_KILL_NONE;
        pthread_mutex_unlock(&r->mu);
        if (dying)
            return;
        set_error(r, "PTRACE_GET_SYSCALL_INFO failed");
        kill_everything(r, SIO_KILL_SUPERVISOR);
        return;
    }
    if (++r->res->syscalls % TRACER_CHECK_EVERY == 0 && r->tracer_budget_ns &&
        thread_cpu_ns() - r->tracer_t0_ns >= r->tracer_budget_ns) {
        /* The program makes the supervisor work for it: what it costs the
         * worker is bounded like its own time. */
        kill_everything(r, SIO_KILL_CPU_TIME);
        return;
    }
    struct sio_syscall sc = {.nr = info.seccomp.nr};
    memcpy(sc.args, info.seccomp.args, sizeof sc.args);
    struct sio_decision d = {0};
    if (!sio_tag_fits(info.seccomp.ret_data, info.arch, sc.nr)) {
        forbid_syscall(r, info.arch, sc.nr);
        return;
    }
    switch (info.seccomp.ret_data) {
    case SIO_TAG_FILE:
        sio_rule_file(t->pid, &sc, r->spec->files_mode, r->spec->local_root,
                      &d);
        break;
    case SIO_TAG_MEMORY: {
        struct sio_memory_limits lim = {r->spec->mem_limit_kib,
                                        r->spec->proc_dirfd};
        sio_rule_memory(t->pid, &sc, &lim, &t->mem, &r->res->peak_vm_kib, &d);
        break;
    }
    case SIO_TAG_SIGNAL:
        sio_rule_signal(t->pid, &sc, &d);
        break;
    case SIO_TAG_FDFLAGS:
        sio_rule_fd_flags(t->pid, &sc, r->spec->proc_dirfd, &d);
        break;
    default:  /* SIO_TAG_FORBIDDEN, SIO_TAG_BADARCH */
        forbid_syscall(r, info.arch, sc.nr);
        return;
    }
    switch (d.action) {
    case SIO_ALLOW:
        resume(r, t->pid, 0);
        return;
    case SIO_DENY:
        if (deny_syscall(t->pid, d.deny_errno) < 0 && errno != ESRCH) {
            set_error(r, "cannot deny a syscall: %s", strerror(errno));
            kill_everything(r, SIO_KILL_SUPERVISOR);
            return;
        }
        resume(r, t->pid, 0);
        return;
    default:
        if (d.kill_reason == SIO_KILL_SYSCALL)
            forbid_syscall(r, info.arch, sc.nr);
        else
            kill_everything(r, d.kill_reason);
        return;
    }
}

static void on_exit_event(struct run *r, struct tracee *t)
{
    note_memory(r, t->pid);
    if (t->pid == r->root && !r->spec->follow_forks) {
        /* The root still holds its pid and group: kill the group now, and
         * nothing after (the pid may be reaped and reused any moment). */
        pthread_mutex_lock(&r->mu);
        if (!r->spec->keep_process_group)
            (void)kill(-r->root, SIGKILL);
        r->root_reaped = 1;
        pthread_mutex_unlock(&r->mu);
    }
    if (t->is_process && t->clock_live) {
        struct timespec ts;
        pthread_mutex_lock(&r->mu);
        if (clock_gettime(process_cpu_clock(t->pid), &ts) == 0)
            r->dead_cpu_ns += ts_ns(&ts);
        t->clock_live = 0;
        pthread_mutex_unlock(&r->mu);
    }
}

static void on_first_stop(struct run *r, struct tracee *t, int sig)
{
    if (ptrace(PTRACE_SETOPTIONS, t->pid, NULL,
               (void *)ptrace_options(r->spec)) < 0) {
        set_error(r, "PTRACE_SETOPTIONS: %s", strerror(errno));
        kill_everything(r, SIO_KILL_SUPERVISOR);
        return;
    }
    t->options_set = 1;
    if (sig == SIGTRAP) {
        /* VFORK mode: the legacy post-execve trap; the exec is done. */
        t->execs = 1;
    } else if (r->spec->hooks && r->spec->hooks->child_stopped) {
        char err[200] = "";
        if (r->spec->hooks->child_stopped(r->spec->hooks->ctx, t->pid, err,
                                          sizeof err) < 0) {
            set_error(r, "%s", err[0] ? err : "set-up hook failed");
            kill_everything(r, SIO_KILL_SUPERVISOR);
            return;
        }
    }
    resume(r, t->pid, 0);
}

static void on_stop(struct run *r, pid_t pid, int status)
{
    pthread_mutex_lock(&r->mu);
    struct tracee *t = find_tracee(r, pid);
    if (!t)  /* an auto-attached child whose stop beat its parent's event */
        t = add_tracee(r, pid, 1);
    pthread_mutex_unlock(&r->mu);
    if (!t) {
        set_error(r, "out of memory tracking processes");
        kill_everything(r, SIO_KILL_SUPERVISOR);
        (void)kill(pid, SIGKILL);
        return;
    }
    int sig = WSTOPSIG(status);
    int event = (unsigned)status >> 16;
    if (!t->options_set) {
        on_first_stop(r, t, sig);
        return;
    }
    if (sig == SIGTRAP && event) {
        unsigned long msg = 0;
        switch (event) {
        case PTRACE_EVENT_SECCOMP:
            on_seccomp_stop(r, t);
            return;
        case PTRACE_EVENT_EXIT:
            on_exit_event(r, t);
            break;
        case PTRACE_EVENT_EXEC:
            if (++t->execs > 1 && r->spec->filter && !r->spec->exec_freely) {
                /* Stopped before the new image ran a single instruction. */
                forbid_syscall(r, 0xc000003eU /* AUDIT_ARCH_X86_64 */,
                               SYS_execve);
                return;
            }
            /* A new image (a trusted wrapper's exec, a forked child's
             * first): its break and size are not the old image's. (The
             * old image's own peak RSS is not kept: VmHWM is the new mm's
             * from here on.) */
            t->mem.brk_known = 0;
            t->mem.estimate_known = 0;
            t->mem.tables_kib = 0;
            break;
        case PTRACE_EVENT_FORK:
        case PTRACE_EVENT_VFORK:
        case PTRACE_EVENT_CLONE:
            if (ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg) == 0) {
                pthread_mutex_lock(&r->mu);
                if (!find_tracee(r, (pid_t)msg) &&
                    !add_tracee(r, (pid_t)msg, 1))
                    set_error(r, "out of memory tracking processes");
                pthread_mutex_unlock(&r->mu);
            }
            break;
        default:
            break;
        }
        resume(r, pid, 0);
        return;
    }
    switch (sig) {
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        /* A supervised program may not stop itself (nor does an
         * auto-attached child's initial SIGSTOP mean anything). */
        resume(r, pid, 0);
        return;
    case SIGSEGV:
        if (r->spec->fake_time && answer_tsc_read(r, pid)) {
            resume(r, pid, 0);
            return;
        }
        break;
    case SIGXFSZ:
        if (r->spec->output_limit_bytes) {
            kill_everything(r, SIO_KILL_OUTPUT);
            return;
        }
        break;
    default:
        break;
    }
    resume(r, pid, sig);
}

static void on_exited(struct run *r, pid_t pid, int status,
                      const struct rusage *ru)
{
    if (pid == r->root) {
        struct sio_result *res = r->res;
        res->wall_us = (mono_ns() - r->t0_ns) / 1000;
        pthread_mutex_lock(&r->mu);
        struct tracee *t = find_tracee(r, pid);
        /* Traced, the first stop comes right after execve completes; a
         * root killed by a signal before it never ran its image. */
        res->died_in_exec = r->spec->trace && t && t->execs == 0 &&
                            WIFSIGNALED(status);
        pthread_mutex_unlock(&r->mu);
        if (WIFEXITED(status)) {
            res->exited = 1;
            res->exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            res->signaled = 1;
            res->term_signal = WTERMSIG(status);
        }
        if (ru) {
            res->user_us = (uint64_t)ru->ru_utime.tv_sec * 1000000 +
                           (uint64_t)ru->ru_utime.tv_usec;
            res->sys_us = (uint64_t)ru->ru_stime.tv_sec * 1000000 +
                          (uint64_t)ru->ru_stime.tv_usec;
            /* The split is tick-sampled, the sum is the precise runtime. */
            r->reaped_cpu_ns = (res->user_us + res->sys_us) * 1000;
        }
    }
    pthread_mutex_lock(&r->mu);
    remove_tracee(r, pid);
    pthread_mutex_unlock(&r->mu);
    if (pid == r->root)
        kill_everything(r, SIO_KILL_NONE);  /* whatever it left behind */
}

/* The next event of one of the run's processes, not consumed (WNOWAIT).
 * 0, or -1 when there is nothing left to wait for or waiting failed. */
static int peek_event(struct run *r, siginfo_t *si)
{
    const int flags = WEXITED | __WALL | WNOWAIT |
                      (r->spec->trace ? WSTOPPED : 0);
    for (;;) {
        memset(si, 0, sizeof *si);
        int rc;
        if (!r->spec->follow_forks) {
            rc = waitid(P_PID, (id_t)r->root, si, flags);
        } else if (!r->foreign_child) {
            /* Any child or tracee of this thread. */
            rc = waitid(P_ALL, 0, si, flags | __WNOTHREAD);
            if (rc == 0 && si->si_code != CLD_TRAPPED &&
                !find_tracee(r, si->si_pid)) {
                /* The caller's own child: not ours to reap. From now on
                 * ask for the run's processes one by one. */
                r->foreign_child = 1;
                continue;
            }
        } else {
            rc = 0;
            for (size_t i = 0; i < r->ntracees && !si->si_pid; i++) {
                if (waitid(P_PID, (id_t)r->tracees[i].pid, si,
                           flags | WNOHANG) < 0 && errno != ECHILD)
                    rc = -1;
            }
            if (rc == 0 && !si->si_pid) {
                if (!r->ntracees) {
                    errno = ECHILD;
                    return -1;
                }
                struct timespec nap = {0, FOREIGN_POLL_NS};
                nanosleep(&nap, NULL);
                continue;
            }
        }
        if (rc < 0 && errno == EINTR)
            continue;
        return rc;
    }
}

static int is_exit(const siginfo_t *si)
{
    return si->si_code == CLD_EXITED || si->si_code == CLD_KILLED ||
           si->si_code == CLD_DUMPED;
}

/* Handle one event of a process of the run; true once everything is gone. */
static int dispatch(struct run *r, pid_t pid, int status, const struct rusage *ru)
{
    if (WIFSTOPPED(status)) {
        on_stop(r, pid, status);
        return 0;
    }
    on_exited(r, pid, status, ru);
    return r->root_reaped && (!r->spec->follow_forks || !r->ntracees);
}

/* A traced program that cannot fork: wait for it alone, one syscall per
 * event (its group was killed at its exit event). */
static void wait_single(struct run *r)
{
    for (;;) {
        int status;
        struct rusage ru;
        pid_t got = wait4(r->root, &status, __WALL, &ru);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            set_error(r, "wait4: %s", strerror(errno));
            kill_everything(r, SIO_KILL_SUPERVISOR);
            return;
        }
        if (!WIFSTOPPED(status)) {
            pthread_mutex_lock(&r->mu);
            r->root_reaped = 1;
            pthread_mutex_unlock(&r->mu);
        }
        if (dispatch(r, got, status, &ru))
            return;
    }
}

/* Wait until the program and every traced descendant are gone. */
static void wait_loop(struct run *r)
{
    if (r->spec->trace && !r->spec->follow_forks) {
        wait_single(r);
        return;
    }
    for (;;) {
        siginfo_t si;
        if (peek_event(r, &si) < 0) {
            if (errno != ECHILD) {
                set_error(r, "waitid: %s", strerror(errno));
                kill_everything(r, SIO_KILL_SUPERVISOR);
            }
            return;
        }
        pid_t pid = si.si_pid;
        if (pid == r->root && is_exit(&si)) {
            /* The root is a zombie, still holding its pid and its group:
             * the last moment its group can be killed without risk of
             * hitting a reused id. */
            pthread_mutex_lock(&r->mu);
            if (!r->spec->keep_process_group)
                (void)kill(-r->root, SIGKILL);
            r->root_reaped = 1;
            pthread_mutex_unlock(&r->mu);
        }
        int status;
        struct rusage ru;
        pid_t got = wait4(pid, &status, __WALL, &ru);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ECHILD) {  /* a tracee that went to its parent */
                pthread_mutex_lock(&r->mu);
                remove_tracee(r, pid);
                pthread_mutex_unlock(&r->mu);
                continue;
            }
            set_error(r, "wait4: %s", strerror(errno));
            kill_everything(r, SIO_KILL_SUPERVISOR);
            return;
        }
        if (dispatch(r, got, status, &ru))
            return;
    }
}

static void read_child_error(struct run *r)
{
    int msg[2];
    ssize_t got;
    do {
        got = read(r->err_pipe[0], msg, sizeof msg);
    } while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof msg)
        return;
    int stage = msg[0], err = msg[1];
    const char *what = stage > 0 && stage <= STAGE_TSC ? stage_names[stage]
                                                        : "?";
    if (stage == STAGE_EXEC) {
        r->res->exec_failed = 1;
        r->res->exec_errno = err;
        snprintf(r->res->detail, sizeof r->res->detail, "%s: %s",
                 r->spec->path, strerror(err));
    } else {
        set_error(r, "child set-up failed at %s: %s", what, strerror(err));
    }
}

/* The output relay saw more than the limit. */
static void output_exceeded(void *ctx)
{
    struct run *r = ctx;
    pthread_mutex_lock(&r->mu);
    kill_program_locked(r, SIO_KILL_OUTPUT);
    pthread_mutex_unlock(&r->mu);
}

/* ------------------------------------------------------------------ */
/* Time limits: the watchdog thread calls this.                         */

static uint64_t first_check_ns(const struct sio_spec *s)
{
    uint64_t due = MAX_WATCH_SLEEP_NS;
    if (s->real_time_limit_ms && s->real_time_limit_ms * 1000000ULL < due)
        due = s->real_time_limit_ms * 1000000ULL;
    if (s->time_limit_ms && s->time_limit_ms * 1000000ULL < due)
        due = s->time_limit_ms * 1000000ULL;
    if (s->hooks && s->hooks->watch)
        due = 0;
    return due;
}

static void check_limits(struct sio_watch *w, uint64_t *sleep_ns)
{
    struct run *r = (struct run *)((char *)w - offsetof(struct run, watch));
    const struct sio_spec *s = r->spec;
    const uint64_t cpu_limit = s->time_limit_ms * 1000000ULL;
    const uint64_t wall_limit = s->real_time_limit_ms * 1000000ULL;

    pthread_mutex_lock(&r->mu);
    if (r->res->kill_reason) {
        /* Killed already; repeat it now and then in case it raced with
         * the program joining its group. */
        kill_program_locked(r, 0);
        *sleep_ns = KILLED_RECHECK_NS;
        goto out;
    }
    uint64_t sleep = MAX_WATCH_SLEEP_NS;
    uint64_t elapsed = mono_ns() - r->t0_ns;
    if (wall_limit) {
        if (elapsed >= wall_limit) {
            kill_program_locked(r, SIO_KILL_REAL_TIME);
            *sleep_ns = KILLED_RECHECK_NS;
            goto out;
        }
        if (wall_limit - elapsed < sleep)
            sleep = wall_limit - elapsed;
    }
    if (cpu_limit) {
        /* User and system time alike: where the scheduler's ticks land
         * must not decide how much of the work counts. */
        uint64_t total = tree_cpu_ns(r);
        if (total >= cpu_limit) {
            r->cpu_at_kill_ns = total;
            kill_program_locked(r, SIO_KILL_CPU_TIME);
            *sleep_ns = KILLED_RECHECK_NS;
            goto out;
        }
        /* The program cannot burn CPU faster than cpus seconds a second. */
        uint64_t left = (cpu_limit - total) / r->cpus;
        if (left < sleep)
            sleep = left;
    }
    if (s->hooks && s->hooks->watch) {
        int reason = s->hooks->watch(s->hooks->ctx, &sleep);
        if (reason) {
            kill_program_locked(r, reason);
            sleep = KILLED_RECHECK_NS;
        }
    }
    *sleep_ns = sleep;
out:
    pthread_mutex_unlock(&r->mu);
}

/* ------------------------------------------------------------------ */

void sio_close_handed_fds(const struct sio_spec *spec)
{
    for (size_t i = 0; i < spec->nclose_fds; i++)
        (void)close(spec->close_fds[i]);  /* handed over; nothing to report */
}

int sio_supervise(const struct sio_spec *spec, struct sio_result *res)
{
    memset(res, 0, sizeof *res);
    struct run r;
    memset(&r, 0, sizeof r);
    r.spec = spec;
    r.res = res;
    r.root_pidfd = -1;
    r.devnull = -1;
    r.err_pipe[0] = r.err_pipe[1] = -1;
    r.watch.check = check_limits;
    r.cpus = 1;
    if (!spec->single_threaded) {
        /* The CPUs the program may run on are this thread's (it inherits
         * them); one syscall, where sysconf would read sysfs. */
        cpu_set_t allowed;
        if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 &&
            CPU_COUNT(&allowed) > 0)
            r.cpus = (uint64_t)CPU_COUNT(&allowed);
    }

    if (!spec->path || !spec->argv || !spec->envp) {
        set_error(&r, "no program given");
        sio_close_handed_fds(spec);
        return -1;
    }
    if (spec->filter && !spec->trace) {
        set_error(&r, "a seccomp filter needs tracing");
        sio_close_handed_fds(spec);
        return -1;
    }
    if (spec->follow_forks && !spec->trace) {
        set_error(&r, "following forks needs tracing");
        sio_close_handed_fds(spec);
        return -1;
    }
    int handed = 0;  /* close_fds closed */
    pthread_mutex_init(&r.mu, NULL);
    int watching = 0;
    struct sio_output_guard guard;
    int guarded = 0;
    cpu_set_t saved_affinity;
    int pinned = 0;
    if (pipe2(r.err_pipe, O_CLOEXEC) < 0) {
        set_error(&r, "pipe2: %s", strerror(errno));
        goto out;
    }
    if (prepare_child(&r) < 0)
        goto out;
    char guard_err[200];
    if (sio_output_guard_start(&guard, spec->stdout_fd, spec->output_limit_bytes,
                               spec->cwd, output_exceeded, &r, guard_err,
                               sizeof guard_err) < 0) {
        set_error(&r, "%s", guard_err);
        goto out;
    }
    guarded = 1;
    if (guard.program_fd >= 0) {
        if (spec->stderr_fd >= 0 && spec->stderr_fd == spec->stdout_fd)
            r.child.fds[2] = guard.program_fd;
        r.child.fds[1] = guard.program_fd;
    }
    /* Keep the supervising thread on the program's CPU while it runs. */
    /* sched_*affinity(0) is this thread; pthread_self() would be wrong in
     * a process made by a raw clone() (the jail). */
    pinned = r.child.pin_cpu >= 0 &&
             sched_getaffinity(0, sizeof saved_affinity, &saved_affinity) == 0;
    if (pinned) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(r.child.pin_cpu, &one);
        pinned = sched_setaffinity(0, sizeof one, &one) == 0;
    }
    r.tracer_t0_ns = thread_cpu_ns();
    r.tsc_state = mono_ns() | 1;  /* never 0: xorshift would stay there */
    if (spec->trace)
        r.tracer_budget_ns = spec->time_limit_ms * 1000000ULL;
    /* A child sharing our memory (vfork) that switches ids marks that
     * memory, hence this process, non-dumpable: restore what the process
     * had before its first run once the child has its own (execve is done
     * when clone returns). Concurrent runs each restore after theirs. */
    int restore_dumpable = spec->switch_ids && spec->spawn_mode == SIO_SPAWN_VFORK;
    if (restore_dumpable)
        pthread_once(&dumpable_once, read_dumpable);
    pid_t pid = spawn_child(&r);
    if (restore_dumpable && initial_dumpable > 0)
        (void)prctl(PR_SET_DUMPABLE, initial_dumpable, 0, 0, 0);  /* best effort */
    /* Our copy of the write end must go before the pipe is read. */
    close(r.err_pipe[1]);
    r.err_pipe[1] = -1;
    sio_output_guard_spawned(&guard);
    sio_close_handed_fds(spec);
    handed = 1;
    if (pid < 0)
        goto out;

    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    pthread_mutex_lock(&r.mu);
    r.root = pid;
    r.root_pidfd = pidfd;
    if (!add_tracee(&r, pid, !spec->trace))
        set_error(&r, "out of memory tracking processes");
    pthread_mutex_unlock(&r.mu);
    if (spec->time_limit_ms || spec->real_time_limit_ms ||
        (spec->hooks && spec->hooks->watch)) {
        if (sio_watch_add(&r.watch, first_check_ns(spec)) == 0) {
            watching = 1;
        } else {
            set_error(&r, "cannot start the watchdog: %s", strerror(errno));
            kill_everything(&r, SIO_KILL_SUPERVISOR);
        }
    }
    wait_loop(&r);
    if (watching)
        sio_watch_remove(&r.watch);
    sio_output_guard_finish(&guard);
    guarded = 0;
    res->tracer_us = (thread_cpu_ns() - r.tracer_t0_ns) / 1000;
    {
        /* Every process's runtime was read at its exit event; the root's
         * rusage adds children it reaped itself; a kill may have come
         * after a reading the events missed. The largest is the truth. */
        uint64_t cpu = r.dead_cpu_ns;
        if (r.reaped_cpu_ns > cpu)
            cpu = r.reaped_cpu_ns;
        if (r.cpu_at_kill_ns > cpu)
            cpu = r.cpu_at_kill_ns;
        res->cpu_us = cpu / 1000;
    }
    read_child_error(&r);
    if (spec->hooks && spec->hooks->finished)
        spec->hooks->finished(spec->hooks->ctx, res);
out:
    if (!handed)
        sio_close_handed_fds(spec);
    if (guarded)
        sio_output_guard_finish(&guard);
    if (pinned)
        (void)sched_setaffinity(0, sizeof saved_affinity, &saved_affinity);
    for (size_t i = 0; i < r.ntracees; i++)
        if (r.tracees[i].mem.statm_fd >= 0)
            close(r.tracees[i].mem.statm_fd);
    free(r.tracees);
    if (r.root_pidfd >= 0)
        close(r.root_pidfd);
    if (r.devnull >= 0)
        close(r.devnull);
    if (r.err_pipe[0] >= 0)
        close(r.err_pipe[0]);
    if (r.err_pipe[1] >= 0)
        close(r.err_pipe[1]);
    pthread_mutex_destroy(&r.mu);
    return res->internal_error ? -1 : 0;
}
