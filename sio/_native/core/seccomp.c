/*
 * seccomp.c - syscall policies compiled to BPF with libseccomp.
 *
 * See seccomp_policy.h for the model. The lists below are the whole policy: a
 * syscall not named here is forbidden in SIO_POLICY_STATIC and allowed in
 * SIO_POLICY_PERMISSIVE.
 */
#define _GNU_SOURCE
#include "seccomp_policy.h"
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/sockios.h>
#include <termios.h>
#include <unistd.h>

#define X32_SYSCALL_BIT 0x40000000ULL

/* Allowed at full speed by the static policy. */
static const char *const static_allowed[] = {
    /* I/O on descriptors the program already has */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv",
    "preadv2", "pwritev", "lseek", "close", "fstat", "dup",
    "dup2", "dup3", "fsync", "fdatasync",
    "fadvise64", "sendfile", "splice", "tee", "copy_file_range",
    "getdents64", "poll", "ppoll", "select", "pselect6", "pipe", "pipe2",
    /* memory */
    "munmap", "mprotect", "madvise", "mincore", "membarrier",
    /* process bookkeeping that affects nothing outside */
    "exit", "exit_group", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
    "rt_sigpending", "rt_sigtimedwait", "rt_sigsuspend", "sigaltstack",
    "pause", "alarm", "setitimer", "getitimer", "nanosleep",
    "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday",
    "time", "times", "getrusage", "uname", "arch_prctl", "set_tid_address",
    "set_robust_list", "get_robust_list", "rseq", "futex", "sched_yield",
    "sched_getaffinity", "getcpu", "getrandom", "getpid", "gettid", "getppid",
    "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid",
    "getgroups", "getpgrp", "getpgid", "getsid", "getrlimit", "sysinfo",
    "getcwd", "restart_syscall",
};

/* Forbidden even by the permissive policy. */
static const char *const permissive_forbidden[] = {
    "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2",
    "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount",
    "fsconfig", "fspick", "mount_setattr", "reboot", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf",
    "perf_event_open", "keyctl", "add_key", "request_key", "unshare", "setns",
    "swapon", "swapoff", "sethostname", "setdomainname", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "acct", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "open_by_handle_at", "name_to_handle_at", "quotactl", "syslog",
    "vhangup", "iopl", "ioperm", "fanotify_init", "personality", "setrlimit",
    "setpriority", "sched_setscheduler", "sched_setattr", "mknod", "mknodat",
};

/* Path syscalls: decided by the tracer, or by the filter (read-only). */
static const char *const path_syscalls[] = {
    "stat", "lstat", "newfstatat", "statx", "access", "faccessat",
    "faccessat2",
};

/* ioctl requests a static program may make (isatty and friends). */
static const unsigned long allowed_ioctls[] = {TCGETS, TIOCGWINSZ, FIONREAD};

/* fcntl commands a static program may make at full speed. Missing on
 * purpose: the ones that route signals or kernel notifications to another
 * process (F_SETOWN, F_SETOWN_EX, F_SETSIG, F_SETLEASE, F_NOTIFY), that
 * grow kernel buffers (F_SETPIPE_SZ) and F_SETFL, which the tracer decides
 * (clearing O_APPEND would let a program rewrite its output). */
static const unsigned allowed_fcntls[] = {  /* see also add_output_rules */
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_GETLK, F_SETLK,
    F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_GETOWN, F_GETOWN_EX,
    F_GETSIG, F_GETLEASE, F_GETPIPE_SZ, F_GET_SEALS,
};

/* What every policy refuses, even for otherwise unrestricted programs:
 * delivering signals or notifications to a process of the program's
 * choosing through a descriptor (a pid or process group as its owner), and
 * growing pipe buffers past the default. */
static const unsigned refused_fcntls[] = {
    F_SETOWN, F_SETOWN_EX, F_SETSIG, F_SETLEASE, F_NOTIFY, F_SETPIPE_SZ,
};
static const unsigned long refused_ioctls[] = {
    FIOSETOWN, SIOCSPGRP, TIOCSPGRP, TIOCSTI, TIOCSCTTY,
};

/* Memory the kernel would hold for the program outside its address space,
 * and objects that would outlive the run (SysV IPC, message queues). */
static const char *const kernel_memory_syscalls[] = {
    "memfd_create", "memfd_secret", "shmget", "msgget", "semget", "mq_open",
};

/* Clone and unshare flags that make a namespace, where a program would hold
 * every capability (clone's low byte is the exit signal, so CLONE_NEWTIME,
 * 0x80, is checked for unshare only). */
#define NAMESPACE_CLONE_FLAGS                                                  \
    (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |             \
     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x00000020
#endif

/* prctl options with no effect outside the program. */
static const int allowed_prctls[] = {
    PR_GET_NAME, PR_SET_NAME, PR_GET_DUMPABLE, PR_GET_TIMERSLACK,
    PR_GET_PDEATHSIG,
};

/* Open flags that make an open writing. */
/* glibc's __O_TMPFILE includes O_DIRECTORY; only the kernel's own bit
 * means "create an unnamed file", O_DIRECTORY alone is opendir(). */
#define KERNEL_O_TMPFILE 020000000
#define OPEN_WRITE_BITS \
    (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | KERNEL_O_TMPFILE)

struct builder {
    scmp_filter_ctx ctx;
    uint32_t default_action;
    char *err;
    size_t errlen;
};

static int fail(struct builder *b, const char *what, const char *name, int rc)
{
    snprintf(b->err, b->errlen, "seccomp: %s %s: %s", what,
             name ? name : "", strerror(rc < 0 ? -rc : rc));
    return -1;
}

static int resolve(struct builder *b, const char *name, int *nr)
{
    *nr = seccomp_syscall_resolve_name(name);
    if (*nr == __NR_SCMP_ERROR) {
        snprintf(b->err, b->errlen, "seccomp: unknown syscall %s", name);
        return -1;
    }
    return 0;
}

static int add(struct builder *b, uint32_t action, const char *name,
               unsigned argc, const struct scmp_arg_cmp *cmp)
{
    int nr;
    if (resolve(b, name, &nr) < 0)
        return -1;
    if (action == b->default_action)
        return 0;  /* libseccomp refuses rules that repeat the default */
    int rc = seccomp_rule_add_array(b->ctx, action, nr, argc, cmp);
    if (rc < 0)
        return fail(b, "cannot add rule for", name, rc);
    return 0;
}

static int add_plain(struct builder *b, uint32_t action, const char *name)
{
    return add(b, action, name, 0, NULL);
}

/* action when (arg & mask) == 0, other_action otherwise (one rule per bit,
 * since libseccomp has no "masked not equal"). */
static int add_by_mask(struct builder *b, const char *name, unsigned arg,
                       uint64_t mask, uint32_t action, uint32_t other_action)
{
    struct scmp_arg_cmp zero = SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, mask, 0);
    if (add(b, action, name, 1, &zero) < 0)
        return -1;
    for (unsigned bit = 0; bit < 64; bit++) {
        uint64_t m = 1ULL << bit;
        if (!(mask & m))
            continue;
        struct scmp_arg_cmp set = SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, m, m);
        if (add(b, other_action, name, 1, &set) < 0)
            return -1;
    }
    return 0;
}

/* action when the low 32 bits of arg equal value (the kernel reads these
 * arguments as int: the upper half must not be a way around the rule). */
static int add_by_value(struct builder *b, const char *name, unsigned arg,
                        uint64_t value, uint32_t action)
{
    struct scmp_arg_cmp eq = SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, 0xffffffffULL,
                                      value & 0xffffffffULL);
    return add(b, action, name, 1, &eq);
}

/* What no program may do under any policy, since it would take the
 * program out of its policy: install a seccomp filter of its own (whose
 * SECCOMP_RET_TRACE tags or USER_NOTIF answers would outrank ours) or make
 * a namespace by clone (unshare and setns: see each policy). refuse: how
 * the policy says no (errno, or RV). */
static int add_self_rules(struct builder *b, uint32_t refuse, uint64_t namespace_flags)
{
    struct scmp_arg_cmp set_seccomp = SCMP_CMP(0, SCMP_CMP_EQ, PR_SET_SECCOMP);
    if (add_plain(b, refuse, "seccomp") < 0 ||
        add(b, refuse, "prctl", 1, &set_seccomp) < 0)
        return -1;
    for (unsigned bit = 0; bit < 32; bit++) {
        uint64_t m = 1ULL << bit;
        if (!(namespace_flags & m))
            continue;
        struct scmp_arg_cmp ns = SCMP_CMP(0, SCMP_CMP_MASKED_EQ, m, m);
        if (add(b, refuse, "clone", 1, &ns) < 0)
            return -1;
    }
    return 0;
}

/* The rules every policy shares; refused calls fail with errno in the
 * permissive and observe policies and are RV in the static one (whose
 * default action already forbids most of them). */
static int add_containment_rules(struct builder *b, uint32_t refuse)
{
    size_t i;
    for (i = 0; i < sizeof refused_fcntls / sizeof *refused_fcntls; i++)
        if (add_by_value(b, "fcntl", 1, refused_fcntls[i], refuse) < 0)
            return -1;
    for (i = 0; i < sizeof refused_ioctls / sizeof *refused_ioctls; i++)
        if (add_by_value(b, "ioctl", 1, refused_ioctls[i], refuse) < 0)
            return -1;
    return 0;
}

/* An output file opened for appending stays so and is never cut: its size
 * is then all the program wrote, which RLIMIT_FSIZE limits. The tracer
 * looks at the descriptor (sio_rule_fd_flags). */
static int add_output_rules(struct builder *b, uint32_t refuse)
{
    uint32_t trace = SCMP_ACT_TRACE(SIO_TAG_FDFLAGS);
    if (add_by_value(b, "fcntl", 1, F_SETFL, trace) < 0)
        return -1;
    /* pwritev2's RWF_NOAPPEND writes at an offset of an O_APPEND file. */
    if (add_by_mask(b, "pwritev2", 5, RWF_NOAPPEND, SCMP_ACT_ALLOW, refuse) < 0)
        return -1;
    return add_plain(b, trace, "ftruncate");
}

/* Processes the tracer cannot lose: a child made with CLONE_UNTRACED would
 * escape ptrace's auto-attach (and with it time accounting and the final
 * kill). clone3 passes its flags in memory a filter cannot read: ENOSYS
 * makes libc fall back to clone. */
static int add_process_rules(struct builder *b)
{
    struct scmp_arg_cmp untraced = SCMP_CMP(0, SCMP_CMP_MASKED_EQ,
                                            CLONE_UNTRACED, CLONE_UNTRACED);
    if (add(b, SCMP_ACT_ERRNO(EPERM), "clone", 1, &untraced) < 0)
        return -1;
    return add_plain(b, SCMP_ACT_ERRNO(ENOSYS), "clone3");
}

static int add_memory_rules(struct builder *b, unsigned flags)
{
    /* The break grows next to the image, one block: the address-space
     * limit bounds it, its page tables are a 512th of it, and the memory
     * rule reads the size the program has at every traced allocation. A
     * stop at each move cost a run about 30 us (glibc moves it three
     * times before main). */
    if (add_plain(b, SCMP_ACT_ALLOW, "brk") < 0)
        return -1;
    if (!(flags & SIO_PF_TRACE_MEMORY)) {
        if (add_plain(b, SCMP_ACT_ALLOW, "mmap") < 0)
            return -1;
        return add_plain(b, SCMP_ACT_ALLOW, "mremap");
    }
    uint32_t trace = SCMP_ACT_TRACE(SIO_TAG_MEMORY);
    /* Big mappings, and small ones the program places itself (an address,
     * or mremap's MREMAP_FIXED): spread out, those make the kernel hold
     * page tables several times their size (sio_table_bound_kib). */
    struct scmp_arg_cmp map_big = SCMP_CMP(1, SCMP_CMP_GE, SIO_TRACED_MAP_MIN);
    struct scmp_arg_cmp map_placed[] = {
        SCMP_CMP(1, SCMP_CMP_LT, SIO_TRACED_MAP_MIN), SCMP_CMP(0, SCMP_CMP_NE, 0)};
    struct scmp_arg_cmp map_small[] = {
        SCMP_CMP(1, SCMP_CMP_LT, SIO_TRACED_MAP_MIN), SCMP_CMP(0, SCMP_CMP_EQ, 0)};
    struct scmp_arg_cmp remap_big = SCMP_CMP(2, SCMP_CMP_GE, SIO_TRACED_MAP_MIN);
    struct scmp_arg_cmp remap_placed[] = {
        SCMP_CMP(2, SCMP_CMP_LT, SIO_TRACED_MAP_MIN),
        SCMP_CMP(3, SCMP_CMP_MASKED_EQ, MREMAP_FIXED, MREMAP_FIXED)};
    struct scmp_arg_cmp remap_small[] = {
        SCMP_CMP(2, SCMP_CMP_LT, SIO_TRACED_MAP_MIN),
        SCMP_CMP(3, SCMP_CMP_MASKED_EQ, MREMAP_FIXED, 0)};
    if (add(b, trace, "mmap", 1, &map_big) < 0 ||
        add(b, trace, "mmap", 2, map_placed) < 0 ||
        add(b, SCMP_ACT_ALLOW, "mmap", 2, map_small) < 0 ||
        add(b, trace, "mremap", 1, &remap_big) < 0 ||
        add(b, trace, "mremap", 2, remap_placed) < 0)
        return -1;
    return add(b, SCMP_ACT_ALLOW, "mremap", 2, remap_small);
}

static int add_file_rules(struct builder *b, unsigned flags)
{
    size_t i;
    /* glibc's static start-up asks for /proc/self/exe; a missing link is
     * harmless to it and reveals nothing. */
    if (add_plain(b, SCMP_ACT_ERRNO(ENOENT), "readlink") < 0 ||
        add_plain(b, SCMP_ACT_ERRNO(ENOENT), "readlinkat") < 0)
        return -1;
    if (flags & SIO_PF_TRACE_FILES) {
        uint32_t trace = SCMP_ACT_TRACE(SIO_TAG_FILE);
        static const char *const opens[] = {"open", "openat", "openat2",
                                            "creat"};
        for (i = 0; i < sizeof opens / sizeof *opens; i++)
            if (add_plain(b, trace, opens[i]) < 0)
                return -1;
        for (i = 0; i < sizeof path_syscalls / sizeof *path_syscalls; i++)
            if (add_plain(b, trace, path_syscalls[i]) < 0)
                return -1;
        return 0;
    }
    /* The program sees an isolated file system: reading is fine. */
    if (add_by_mask(b, "open", 1, OPEN_WRITE_BITS, SCMP_ACT_ALLOW,
                    SCMP_ACT_ERRNO(EPERM)) < 0 ||
        add_by_mask(b, "openat", 2, OPEN_WRITE_BITS, SCMP_ACT_ALLOW,
                    SCMP_ACT_ERRNO(EPERM)) < 0 ||
        add_plain(b, SCMP_ACT_ERRNO(EPERM), "creat") < 0 ||
        add_plain(b, SCMP_ACT_ERRNO(ENOSYS), "openat2") < 0)
        return -1;
    for (i = 0; i < sizeof path_syscalls / sizeof *path_syscalls; i++)
        if (add_plain(b, SCMP_ACT_ALLOW, path_syscalls[i]) < 0)
            return -1;
    return 0;
}

/* The syscalls that read the clock (the vDSO's fast paths read the time
 * stamp counter, which sio_spec.fake_time traps). */
static const char *const clock_syscalls[] = {
    "clock_gettime", "clock_getres", "gettimeofday", "time",
};

static int is_clock_syscall(const char *name)
{
    for (size_t i = 0; i < sizeof clock_syscalls / sizeof *clock_syscalls; i++)
        if (!strcmp(name, clock_syscalls[i]))
            return 1;
    return 0;
}

/* With SIO_PF_FAKE_TIME, a program may not read the clock: EPERM, as
 * sio2jail's --fake-time answers. */
static int add_clock_rules(struct builder *b, unsigned flags)
{
    if (!(flags & SIO_PF_FAKE_TIME))
        return 0;
    for (size_t i = 0; i < sizeof clock_syscalls / sizeof *clock_syscalls; i++)
        if (add_plain(b, SCMP_ACT_ERRNO(EPERM), clock_syscalls[i]) < 0)
            return -1;
    return 0;
}

static int build_static(struct builder *b, unsigned flags)
{
    size_t i;
    for (i = 0; i < sizeof static_allowed / sizeof *static_allowed; i++)
        if (!((flags & SIO_PF_FAKE_TIME) && is_clock_syscall(static_allowed[i])) &&
            add_plain(b, SCMP_ACT_ALLOW, static_allowed[i]) < 0)
            return -1;
    if (add_clock_rules(b, flags) < 0)
        return -1;
    for (i = 0; i < sizeof allowed_ioctls / sizeof *allowed_ioctls; i++) {
        struct scmp_arg_cmp c = SCMP_CMP(1, SCMP_CMP_EQ, allowed_ioctls[i]);
        if (add(b, SCMP_ACT_ALLOW, "ioctl", 1, &c) < 0)
            return -1;
    }
    for (i = 0; i < sizeof allowed_fcntls / sizeof *allowed_fcntls; i++)
        if (add_by_value(b, "fcntl", 1, allowed_fcntls[i], SCMP_ACT_ALLOW) < 0)
            return -1;
    /* The one exec: the supervisor's, through its descriptor (the program
     * cannot have that descriptor: it is closed at exec and above its
     * descriptor limit). Any other execve/execveat is RV before it runs,
     * so failing ones tell nothing about the host's files; a second exec
     * that got through anyway is refused at its exec event. */
    struct scmp_arg_cmp exec_fd[] = {
        SCMP_CMP(0, SCMP_CMP_MASKED_EQ, 0xffffffffULL, SIO_EXEC_FD),
        SCMP_CMP(4, SCMP_CMP_MASKED_EQ, 0xffffffffULL, AT_EMPTY_PATH),
    };
    if (add(b, SCMP_ACT_ALLOW, "execveat", 2, exec_fd) < 0)
        return -1;
    if (add_output_rules(b, b->default_action) < 0)
        return -1;
    for (i = 0; i < sizeof allowed_prctls / sizeof *allowed_prctls; i++) {
        struct scmp_arg_cmp c = SCMP_CMP(0, SCMP_CMP_EQ,
                                         (uint64_t)allowed_prctls[i]);
        if (add(b, SCMP_ACT_ALLOW, "prctl", 1, &c) < 0)
            return -1;
    }
    /* Reading limits is fine; changing them is not. */
    struct scmp_arg_cmp read_only = SCMP_CMP(2, SCMP_CMP_EQ, 0);
    if (add(b, SCMP_ACT_ALLOW, "prlimit64", 1, &read_only) < 0)
        return -1;
    static const char *const signals[] = {"kill", "tkill", "tgkill",
                                          "rt_sigqueueinfo",
                                          "rt_tgsigqueueinfo"};
    for (i = 0; i < sizeof signals / sizeof *signals; i++)
        if (add_plain(b, SCMP_ACT_TRACE(SIO_TAG_SIGNAL), signals[i]) < 0)
            return -1;
    if (add_memory_rules(b, flags) < 0)
        return -1;
    return add_file_rules(b, flags);
}

static int build_permissive(struct builder *b, unsigned flags)
{
    size_t i;
    uint32_t forbid = SCMP_ACT_TRACE(SIO_TAG_FORBIDDEN);
    for (i = 0; i < sizeof permissive_forbidden / sizeof *permissive_forbidden;
         i++)
        if (add_plain(b, forbid, permissive_forbidden[i]) < 0)
            return -1;
    struct scmp_arg_cmp raising = SCMP_CMP(2, SCMP_CMP_NE, 0);
    if (add(b, forbid, "prlimit64", 1, &raising) < 0)
        return -1;
    for (i = 0; i < sizeof kernel_memory_syscalls / sizeof *kernel_memory_syscalls;
         i++)
        if (add_plain(b, SCMP_ACT_ERRNO(EPERM), kernel_memory_syscalls[i]) < 0)
            return -1;
    if (add_containment_rules(b, SCMP_ACT_ERRNO(EPERM)) < 0 ||
        add_self_rules(b, SCMP_ACT_ERRNO(EPERM), NAMESPACE_CLONE_FLAGS) < 0 ||
        add_process_rules(b) < 0 || add_output_rules(b, SCMP_ACT_ERRNO(EPERM)) < 0)
        return -1;
    if (flags & SIO_PF_TRACE_MEMORY) {
        if (add_memory_rules(b, flags) < 0)
            return -1;
    }
    if (add_clock_rules(b, flags) < 0)
        return -1;
    /* Files are the mount namespace's business: read-only binds refuse
     * writing (EROFS), writable ones (a generator's directory) take it. */
    if (flags & SIO_PF_TRACE_FILES)
        return add_file_rules(b, flags);
    return 0;
}

static int build_observe(struct builder *b, unsigned flags)
{
    if (flags & SIO_PF_TRACE_FILES) {
        snprintf(b->err, b->errlen, "seccomp: the observe policy has no file rules");
        return -1;
    }
    if (!(flags & SIO_PF_OWN_UID) && add_containment_rules(b, SCMP_ACT_ERRNO(EPERM)) < 0)
        return -1;
    /* The observe policy's programs hold no capability (a uid of their
     * own, or a worker's that is not root): the kernel refuses them every
     * namespace but a user namespace, which would give them all the rest. */
    if (add_process_rules(b) < 0 ||
        add_self_rules(b, SCMP_ACT_ERRNO(EPERM), CLONE_NEWUSER) < 0 ||
        add_plain(b, SCMP_ACT_ERRNO(EPERM), "setns") < 0 ||
        add_by_mask(b, "unshare", 0, CLONE_NEWUSER, SCMP_ACT_ALLOW,
                    SCMP_ACT_ERRNO(EPERM)) < 0 ||
        (!(flags & SIO_PF_NO_OUTPUT) && add_output_rules(b, SCMP_ACT_ERRNO(EPERM)) < 0))
        return -1;
    /* Trusted programs, but memory outside the address space is still
     * memory no limit would see, and SysV objects and the uid's keyring
     * would outlive the run (for the next run of the same uid to find). */
    static const char *const refused[] = {"memfd_create", "shmget", "msgget",
                                          "semget", "add_key", "request_key",
                                          "keyctl"};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
        if (add_plain(b, SCMP_ACT_ERRNO(EPERM), refused[i]) < 0)
            return -1;
    if (add_clock_rules(b, flags) < 0)
        return -1;
    return add_memory_rules(b, flags);
}

/*
 * What goes before every filter: a no-op for the program, which steers the
 * kernel's per-filter cache of always-allowed syscalls.
 *
 * When a filter is attached the kernel emulates it, under the process's
 * signal lock, for every syscall number of every architecture, to find the
 * numbers it allows whatever their arguments; those then skip the filter.
 * The emulation walks the filter's comparisons for each number (about
 * 4 ns a step here), which made attaching the observe policy's 18
 * instructions cost 55 us and the static policy's 250 cost 145 us, most of
 * it for numbers a program calls a few times if at all. The emulation
 * stops at the first load it cannot know in advance (an argument, the
 * instruction pointer): numbers above write go through such a load, so
 * read and write, the syscalls a program makes millions of, stay cached
 * and every other number costs the emulation three steps. The loaded
 * value is never used: the policy's own filter begins with its load.
 */
static const struct sock_filter cache_prefix[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, SYS_write, 0, 1),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
             offsetof(struct seccomp_data, instruction_pointer)),
};
#define CACHE_PREFIX_LEN (sizeof cache_prefix / sizeof *cache_prefix)

static int export_filter(struct builder *b, struct sock_fprog *out)
{
    int fd = memfd_create("sio-seccomp-bpf", MFD_CLOEXEC);
    if (fd < 0)
        return fail(b, "memfd_create", NULL, errno);
    int rc = seccomp_export_bpf(b->ctx, fd);
    if (rc < 0) {
        close(fd);
        return fail(b, "export", NULL, rc);
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % sizeof(struct sock_filter) != 0 ||
        size / sizeof(struct sock_filter) > BPF_MAXINSNS - CACHE_PREFIX_LEN) {
        close(fd);
        snprintf(b->err, b->errlen, "seccomp: bad exported filter size %lld",
                 (long long)size);
        return -1;
    }
    struct sock_filter *insns = malloc(sizeof cache_prefix + (size_t)size);
    if (!insns) {
        close(fd);
        return fail(b, "malloc", NULL, ENOMEM);
    }
    memcpy(insns, cache_prefix, sizeof cache_prefix);
    ssize_t got = pread(fd, insns + CACHE_PREFIX_LEN, (size_t)size, 0);
    int saved = errno;
    close(fd);
    if (got != size) {
        free(insns);
        return fail(b, "reading exported filter", NULL, got < 0 ? saved : EIO);
    }
    /* The prefix leaves a value in the accumulator that only a filter
     * beginning with a load of its own ignores (jumps are relative, so
     * the rest needs no change). */
    unsigned first_code = insns[CACHE_PREFIX_LEN].code;
    if (first_code != (BPF_LD | BPF_W | BPF_ABS)) {
        free(insns);
        snprintf(b->err, b->errlen, "seccomp: exported filter does not begin "
                 "with a load (code 0x%04x)", first_code);
        return -1;
    }
    out->len = (unsigned short)(CACHE_PREFIX_LEN + (size_t)size /
                                sizeof(struct sock_filter));
    out->filter = insns;
    return 0;
}

int sio_tag_fits(unsigned tag, uint32_t arch, uint64_t nr)
{
    static const long file_nrs[] = {SYS_open, SYS_openat, SYS_openat2, SYS_creat,
                                    SYS_stat, SYS_lstat, SYS_newfstatat, SYS_statx,
                                    SYS_access, SYS_faccessat, SYS_faccessat2};
    static const long memory_nrs[] = {SYS_mmap, SYS_mremap};
    static const long signal_nrs[] = {SYS_kill, SYS_tkill, SYS_tgkill,
                                      SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo};
    static const long fdflags_nrs[] = {SYS_fcntl, SYS_ftruncate};
    const long *nrs;
    size_t n;
    switch (tag) {
    case SIO_TAG_FORBIDDEN:
    case SIO_TAG_BADARCH:
        return 1;  /* any syscall: these only ever kill */
    case SIO_TAG_FILE:
        nrs = file_nrs, n = sizeof file_nrs / sizeof *file_nrs;
        break;
    case SIO_TAG_MEMORY:
        nrs = memory_nrs, n = sizeof memory_nrs / sizeof *memory_nrs;
        break;
    case SIO_TAG_SIGNAL:
        nrs = signal_nrs, n = sizeof signal_nrs / sizeof *signal_nrs;
        break;
    case SIO_TAG_FDFLAGS:
        nrs = fdflags_nrs, n = sizeof fdflags_nrs / sizeof *fdflags_nrs;
        break;
    default:
        return 0;
    }
    if (arch != AUDIT_ARCH_X86_64)
        return 0;  /* foreign ABIs only ever get SIO_TAG_BADARCH */
    for (size_t i = 0; i < n; i++)
        if ((uint64_t)nrs[i] == nr)
            return 1;
    return 0;
}

int sio_policy_by_name(const char *name)
{
    if (!strcmp(name, "default") || !strcmp(name, "static") ||
        !strcmp(name, "supervised"))
        return SIO_POLICY_STATIC;
    if (!strcmp(name, "permissive"))
        return SIO_POLICY_PERMISSIVE;
    if (!strcmp(name, "observe"))
        return SIO_POLICY_OBSERVE;
    return -1;
}

int sio_policy_build(int policy, unsigned flags, struct sock_fprog *out,
                     char *err, size_t errlen)
{
    struct builder b = {.err = err, .errlen = errlen};
    if (policy < 0 || policy >= SIO_POLICY_COUNT || flags >= SIO_PF_COUNT) {
        snprintf(err, errlen, "seccomp: bad policy %d/%u", policy, flags);
        return -1;
    }
    uint32_t def = policy == SIO_POLICY_STATIC
                       ? SCMP_ACT_TRACE(SIO_TAG_FORBIDDEN)
                       : SCMP_ACT_ALLOW;
    /* Isolated runs are killed for a foreign ABI (int 0x80, x32); measured
     * unprotected runs get ENOSYS, since their rules (no signal routing, no
     * untraced children) would not hold for the i386 syscall numbers. */
    uint32_t badarch = policy == SIO_POLICY_OBSERVE
                           ? SCMP_ACT_ERRNO(ENOSYS)
                           : SCMP_ACT_TRACE(SIO_TAG_BADARCH);
    b.default_action = def;
    b.ctx = seccomp_init(def);
    if (!b.ctx) {
        snprintf(err, errlen, "seccomp: seccomp_init failed");
        return -1;
    }
    int rc = seccomp_attr_set(b.ctx, SCMP_FLTATR_ACT_BADARCH, badarch);
    if (rc < 0) {
        seccomp_release(b.ctx);
        return fail(&b, "setting bad-arch action", NULL, rc);
    }
    /* The child sets no_new_privs itself before loading the raw filter. */
    rc = seccomp_attr_set(b.ctx, SCMP_FLTATR_CTL_NNP, 0);
    if (rc < 0) {
        seccomp_release(b.ctx);
        return fail(&b, "clearing NNP attribute", NULL, rc);
    }
    /* A binary tree over syscall numbers: an allowed syscall costs a few
     * comparisons instead of a walk down the whole list. */
    rc = seccomp_attr_set(b.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc < 0) {
        seccomp_release(b.ctx);
        return fail(&b, "enabling the binary-tree layout", NULL, rc);
    }
    if (policy == SIO_POLICY_STATIC)
        rc = build_static(&b, flags);
    else if (policy == SIO_POLICY_PERMISSIVE)
        rc = build_permissive(&b, flags);
    else
        rc = build_observe(&b, flags);
    if (rc == 0)
        rc = export_filter(&b, out);
    seccomp_release(b.ctx);
    return rc;
}

static const struct sio_prebuilt_filter *find_prebuilt(int policy, unsigned flags)
{
    if (!sio_prebuilt_filters)
        return NULL;
    for (const struct sio_prebuilt_filter *p = sio_prebuilt_filters; p->policy >= 0;
         p++)
        if (p->policy == policy && p->flags == flags)
            return p;
    return NULL;
}

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sock_fprog cache[SIO_POLICY_COUNT][SIO_PF_COUNT];

const struct sock_fprog *sio_policy_get(int policy, unsigned flags, char *err,
                                        size_t errlen)
{
    if (policy < 0 || policy >= SIO_POLICY_COUNT || flags >= SIO_PF_COUNT) {
        snprintf(err, errlen, "seccomp: bad policy %d/%u", policy, flags);
        return NULL;
    }
    const struct sock_fprog *result = NULL;
    pthread_mutex_lock(&cache_lock);
    struct sock_fprog *slot = &cache[policy][flags];
    if (!slot->filter) {
        const struct sio_prebuilt_filter *p = find_prebuilt(policy, flags);
        if (p) {
            /* The kernel only reads the program. */
            slot->len = p->len;
            slot->filter = (struct sock_filter *)p->insns;
        }
    }
    if (slot->filter || sio_policy_build(policy, flags, slot, err, errlen) == 0)
        result = slot;
    pthread_mutex_unlock(&cache_lock);
    return result;
}

int sio_policy_check_prebuilt(unsigned *count, char *err, size_t errlen)
{
    *count = 0;
    if (!sio_prebuilt_filters)
        return 0;
    for (const struct sio_prebuilt_filter *p = sio_prebuilt_filters; p->policy >= 0;
         p++) {
        struct sock_fprog fresh;
        if (sio_policy_build(p->policy, p->flags, &fresh, err, errlen) < 0)
            return -1;
        int same = fresh.len == p->len &&
                   !memcmp(fresh.filter, p->insns, p->len * sizeof *p->insns);
        free(fresh.filter);
        if (!same) {
            snprintf(err, errlen, "the filter for policy %d, flags %u differs from "
                     "what libseccomp compiles here (rebuild the helpers)",
                     p->policy, p->flags);
            return -1;
        }
        (*count)++;
    }
    return 0;
}

void sio_syscall_name(uint32_t audit_arch, uint64_t nr, char *buf, size_t len)
{
    uint32_t token = SCMP_ARCH_X86_64;
    const char *abi = "";
    if (audit_arch == AUDIT_ARCH_I386) {
        token = SCMP_ARCH_X86;
        abi = " (i386 ABI)";
    } else if (audit_arch == AUDIT_ARCH_X86_64 && (nr & X32_SYSCALL_BIT)) {
        token = SCMP_ARCH_X32;
        abi = " (x32 ABI)";
    } else if (audit_arch != AUDIT_ARCH_X86_64) {
        abi = " (foreign ABI)";
    }
    if ((int64_t)(int32_t)nr < 0 || nr > 0xffffffffULL) {
        /* Not a syscall of any ABI (e.g. syscall(-1)). */
        snprintf(buf, len, "#%lld", (long long)(int32_t)nr);
        return;
    }
    char *name = NULL;
    if (nr <= 0x7fffffffULL)
        name = seccomp_syscall_resolve_num_arch(token, (int)nr);
    if (name)
        snprintf(buf, len, "%s%s", name, abi);
    else
        snprintf(buf, len, "#%llu%s",
                 (unsigned long long)(nr & ~X32_SYSCALL_BIT), abi);
    free(name);
}
