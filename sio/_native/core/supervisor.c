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
#include "child.h"
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
    struct sio_child child;
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
    struct sio_child *c = &r->child;
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
    pid_t pid = clone(sio_child_main, (char *)stack + CHILD_STACK_SIZE, flags,
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
             * first): its tables are not the old image's. (The old
             * image's own peak RSS is not kept: VmHWM is the new mm's
             * from here on.) */
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
    const char *what = sio_child_stage_name(stage);
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
