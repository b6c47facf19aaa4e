/*
 * rules.h - the decisions the tracer makes when the seccomp filter stops a
 * program: one small rule per concern (file access, memory growth, signals).
 *
 * A rule looks at the syscall (number and arguments as the tracee made it)
 * and answers allow, deny with an errno (the syscall is skipped and returns
 * -errno), or kill with a reason.
 */
#ifndef SIO_RULES_H
#define SIO_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum sio_action { SIO_ALLOW = 0, SIO_DENY, SIO_KILL };

struct sio_decision {
    int action;        /* enum sio_action */
    int deny_errno;    /* SIO_DENY */
    int kill_reason;   /* SIO_KILL: enum sio_kill_reason */
};

struct sio_syscall {
    uint64_t nr;
    uint64_t args[6];
};

/* What the memory rule keeps per process. */
struct sio_memory_state {
    int statm_fd;          /* /proc/PID/statm, opened on first use; -1 */
    uint64_t size_kib;     /* its size at the last traced allocation,
                              plus what that allocation was allowed */
    uint64_t tables_kib;   /* upper bound of the page tables that mappings
                              the program placed itself may cost: the last
                              VmPTE reading plus bounds allowed since */
};

struct sio_memory_limits {
    uint64_t mem_limit_kib;   /* 0: none */
    int proc_dirfd;
};

/* File access: open/openat/creat/openat2 and path-taking stat/access.
 * files_mode is enum sio_files_mode; local_root may be NULL. */
void sio_rule_file(pid_t pid, const struct sio_syscall *sc, int files_mode,
                   const char *local_root, struct sio_decision *d);

/* mmap/mremap growth. Updates *peak_vm_kib with what the process will
 * have after the call and kills when that is over the memory limit. */
void sio_rule_memory(pid_t pid, const struct sio_syscall *sc,
                     const struct sio_memory_limits *lim,
                     struct sio_memory_state *st, uint64_t *peak_vm_kib,
                     struct sio_decision *d);

/* Page-table memory (KiB) a mapping of [addr, addr + len) can make the
 * kernel hold. Exposed for unit tests. */
uint64_t sio_table_bound_kib(uint64_t addr, uint64_t len);

/* kill/tkill/tgkill/rt_(tg)sigqueueinfo: only to the program itself. */
void sio_rule_signal(pid_t pid, const struct sio_syscall *sc,
                     struct sio_decision *d);

/* fcntl(F_SETFL) and ftruncate: refused with EPERM when they would clear
 * O_APPEND from a descriptor or cut a file open for appending (its size
 * stays all the program ever wrote to it). */
void sio_rule_fd_flags(pid_t pid, const struct sio_syscall *sc, int proc_dirfd,
                       struct sio_decision *d);

/* Is path (as the program passed it, relative to local_root when not
 * absolute) inside local_root without going through ".."? Exposed for
 * unit tests. */
int sio_path_is_local(const char *path, const char *local_root);

#endif
