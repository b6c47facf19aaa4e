/*
 * child.c - the supervised program's side of a run. See child.h.
 */
#define _GNU_SOURCE
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

static const char *const stage_names[] = {
    "", "resetting signals", "setpgid", "setting up descriptors", "chdir",
    "joining the cgroup", "setrlimit", "switching to the run's uid/gid",
    "PR_SET_PDEATHSIG", "the set-up hook", "PTRACE_TRACEME", "stopping",
    "PR_SET_NO_NEW_PRIVS", "loading seccomp filter", "execve",
    "joining the run's namespaces", "restricting writes (landlock)",
    "PR_SET_TSC",
};

const char *sio_child_stage_name(int stage)
{
    return stage > 0 && stage <= STAGE_TSC ? stage_names[stage] : "?";
}

/* struct sigaction as the kernel's rt_sigaction wants it. */
struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static void __attribute__((noreturn)) child_fail(const struct sio_child *c,
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

int sio_child_main(void *arg)
{
    const struct sio_child *c = arg;
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

