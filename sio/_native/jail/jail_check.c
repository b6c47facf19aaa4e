/*
 * jail_check.c - sio2jail --check: which of the jail's mechanisms work on
 * this machine, and how to fix the ones that do not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail_config.h"
#include "jail_ns.h"
#include "core/perf.h"
#include "core/seccomp_policy.h"

#define STACK_SIZE (256 * 1024)

struct probe {
    int flags;        /* namespaces to create */
    int what;         /* what to try inside */
    int pipe_fd;      /* the child waits here until its maps are written */
};

enum { TRY_NOTHING, TRY_MOUNT, TRY_PID, TRY_SECCOMP };

static int probe_child(void *arg)
{
    const struct probe *p = arg;
    char go;
    if (p->pipe_fd >= 0 && read(p->pipe_fd, &go, 1) != 1)
        return 10;
    switch (p->what) {
    case TRY_MOUNT:
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("probe", "/tmp", "tmpfs", 0, "size=64k") < 0)
            return 11;
        return 0;
    case TRY_PID:
        return getpid() == 1 ? 0 : 12;
    case TRY_SECCOMP: {
        char err[256];
        const struct sock_fprog *f = sio_policy_get(SIO_POLICY_STATIC, 0, err,
                                                    sizeof err);
        if (!f || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, f) < 0)
            return 13;
        return 0;
    }
    default:
        return 0;
    }
}

/* Run probe_child in new namespaces; 0 when it succeeded, else errno. */
static int run_probe(int flags, int what)
{
    int fds[2] = {-1, -1};
    if ((flags & CLONE_NEWUSER) && pipe2(fds, O_CLOEXEC) < 0)
        return errno;
    struct probe p = {flags, what, fds[0]};
    void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return errno;
    pid_t pid = clone(probe_child, (char *)stack + STACK_SIZE, flags | SIGCHLD, &p);
    int err = pid < 0 ? errno : 0;
    if (pid > 0 && (flags & CLONE_NEWUSER)) {
        char msg[256];
        if (jail_write_id_maps(pid, getuid(), getgid(), (uid_t)-1, (gid_t)-1, msg,
                               sizeof msg) < 0)
            err = EPERM;
        if (write(fds[1], "g", 1) != 1 && !err)
            err = EPIPE;
    }
    if (fds[0] >= 0) {
        close(fds[0]);
        close(fds[1]);
    }
    if (pid > 0) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (!err && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
            err = EPERM;
    }
    munmap(stack, STACK_SIZE);
    return err;
}

static int check_ptrace(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return errno;
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
            _exit(20);
        raise(SIGSTOP);
        _exit(0);
    }
    int status, err = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status))
        err = EPERM;
    else if (ptrace(PTRACE_CONT, pid, NULL, NULL) < 0)
        err = errno;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        err = err ? err : EPERM;
    return err;
}

static int report(const char *what, int err, int needed, const char *fix)
{
    if (!err) {
        printf("%-22s ok\n", what);
        return 0;
    }
    printf("%-22s %s: %s\n%-22s   fix: %s\n", what, needed ? "FAILED" : "unavailable",
           strerror(err), "", fix);
    return needed;
}

int jail_check(const struct jail_config *cfg)
{
    int failures = 0;
    int userns = cfg->ns_user ? CLONE_NEWUSER : 0;
    const char *userns_fix =
        "enable unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1 "
        "and user.max_user_namespaces > 0 (or run as root)";
    if (cfg->ns_user)
        failures += report("user namespace", run_probe(CLONE_NEWUSER, TRY_NOTHING), 1,
                           userns_fix);
    if (cfg->ns_mount)
        failures += report("mount namespace",
                           run_probe(userns | CLONE_NEWNS, TRY_MOUNT), 1,
                           "mount namespaces and tmpfs are needed; in a container, "
                           "allow unshare/mount (e.g. --privileged or a seccomp "
                           "profile that permits them)");
    if (cfg->ns_pid)
        failures += report("pid namespace", run_probe(userns | CLONE_NEWPID, TRY_PID),
                           1, "allow CLONE_NEWPID (containers: permit unshare)");
    if (cfg->ns_net)
        failures += report("net namespace", run_probe(userns | CLONE_NEWNET,
                                                      TRY_NOTHING),
                           1, "allow CLONE_NEWNET (containers: permit unshare)");
    if (cfg->ns_ipc || cfg->ns_uts)
        failures += report("ipc/uts namespaces",
                           run_probe(userns | (cfg->ns_ipc ? CLONE_NEWIPC : 0) |
                                         (cfg->ns_uts ? CLONE_NEWUTS : 0),
                                     TRY_NOTHING),
                           1, "allow CLONE_NEWIPC and CLONE_NEWUTS");
    if (cfg->seccomp)
        failures += report("seccomp", run_probe(0, TRY_SECCOMP), 1,
                           "a kernel with CONFIG_SECCOMP_FILTER; containers: do not "
                           "forbid seccomp()");
    unsigned nfilters;
    char filter_err[256];
    if (sio_policy_check_prebuilt(&nfilters, filter_err, sizeof filter_err) == 0) {
        printf("%-22s ok (%u built in)\n", "seccomp filters", nfilters);
    } else {
        printf("%-22s FAILED: %s\n", "seccomp filters", filter_err);
        failures++;
    }
    failures += report("ptrace", check_ptrace(), 1,
                       "allow ptrace of own children (kernel.yama.ptrace_scope <= 1; "
                       "containers: CAP_SYS_PTRACE or a permissive seccomp profile)");
    char why[512];
    const char *require = getenv("SIO2JAIL_REQUIRE_PERF");
    int perf_needed = require && !strcmp(require, "1");
    if (sio_perf_probe(why, sizeof why) == 0) {
        printf("%-22s ok\n", "perf instructions");
    } else {
        printf("%-22s %s: %s\n", "perf instructions",
               perf_needed ? "FAILED" : "unavailable", why);
        if (!perf_needed)
            printf("%-22s   sio2jail-exec falls back to CPU time (--perf off); "
                   "SIO2JAIL_REQUIRE_PERF=1 makes that an error\n", "");
        failures += perf_needed;
    }
    if (failures)
        printf("sio2jail cannot run here (%d problem%s)\n", failures,
               failures == 1 ? "" : "s");
    else
        printf("sio2jail can run here\n");
    return failures ? 2 : 0;
}
