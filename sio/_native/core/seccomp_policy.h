/*
 * seccomp_policy.h - named syscall policies compiled to classic BPF with libseccomp.
 *
 * A policy is a list of syscalls the program may make at full speed
 * (SECCOMP_RET_ALLOW), a few answered by the filter itself (ERRNO), and a
 * few that stop the program for the tracer to decide (SECCOMP_RET_TRACE with
 * a tag saying which rule fired). Every other syscall, and every syscall made
 * through a foreign ABI (int 0x80, x32), is traced with SIO_TAG_FORBIDDEN /
 * SIO_TAG_BADARCH so the supervisor can name it and kill the program.
 *
 * Filters are built in the parent, before any fork, and exported as a
 * struct sock_fprog that the child installs with a raw seccomp(2) call, so
 * nothing in the child allocates.
 */
#ifndef SIO_SECCOMP_POLICY_H
#define SIO_SECCOMP_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

enum sio_policy {
    /* For statically linked contest solutions: no files (unless traced
     * decisions allow them), no processes, no sockets, no exec after the
     * first. The `default` policy of the jail. */
    SIO_POLICY_STATIC = 0,
    /* Anything but a list of dangerous syscalls (ptrace, mount, module and
     * namespace calls, limit raising, io_uring, memfd and SysV IPC, ...)
     * and the containment rules below. For programs that are
     * otherwise isolated (the jail's `permissive`: untrusted checkers,
     * sandboxed generators and verifiers); files are left to the jail's
     * mount namespace. */
    SIO_POLICY_PERMISSIVE = 1,
    /* Everything but the containment rules every policy has: no signal
     * routing through descriptors (EPERM), no untraced children (EPERM;
     * clone3 ENOSYS), no seccomp filter and no namespace of the program's
     * own (EPERM), O_APPEND kept (the tracer decides F_SETFL and
     * ftruncate; RWF_NOAPPEND is EPERM), no memfd and no SysV IPC object
     * (EPERM), no foreign ABI (ENOSYS); with
     * SIO_PF_TRACE_MEMORY the memory rules. For unprotected runs that are
     * still measured. */
    SIO_POLICY_OBSERVE = 2,
    SIO_POLICY_COUNT
};

/* Policy flags. */
#define SIO_PF_TRACE_FILES  0x1u  /* path syscalls go to the tracer; without
                                     it read-only opens are allowed by the
                                     filter and writing opens get EPERM */
#define SIO_PF_TRACE_MEMORY 0x2u  /* big or placed mmap/mremap go to the tracer */
/* For the observe policy, which runs at every compiler and checker start:
 * leave out rules a run does not need (a filter costs its load time). */
#define SIO_PF_OWN_UID      0x4u  /* the program has a uid of its own: the
                                     kernel refuses its signals to anyone
                                     else, so the routing rules can go */
#define SIO_PF_NO_OUTPUT    0x8u  /* no output limit: the O_APPEND rules
                                     have nothing to keep */
#define SIO_PF_FAKE_TIME    0x10u /* the clock syscalls are EPERM (with
                                     sio_spec.fake_time: the program
                                     cannot read the time at all) */
#define SIO_PF_COUNT 32u

/* The data value of SECCOMP_RET_TRACE: which rule stopped the program. */
enum sio_trace_tag {
    SIO_TAG_FORBIDDEN = 1,
    SIO_TAG_BADARCH = 2,
    SIO_TAG_FILE = 3,
    SIO_TAG_MEMORY = 4,
    SIO_TAG_SIGNAL = 5,
    SIO_TAG_FDFLAGS = 6,  /* fcntl(F_SETFL): may not clear O_APPEND */

};

/* Whether a SECCOMP_RET_TRACE stop with this tag can come from our filter
 * for this syscall: a tag on any other syscall was forged by a filter the
 * program installed (which no policy lets it do) and is treated as
 * forbidden. */
int sio_tag_fits(unsigned tag, uint32_t arch, uint64_t nr);

/* Policy by its command-line name ("default"/"static"/"supervised",
 * "permissive", "observe"); -1 when unknown. */
int sio_policy_by_name(const char *name);

/* Build a filter. On success fills out (free out->filter with free()) and
 * returns 0; on failure returns -1 with a message in err. */
int sio_policy_build(int policy, unsigned flags, struct sock_fprog *out,
                     char *err, size_t errlen);

/* A filter compiled when a helper executable was built. */
struct sio_prebuilt_filter {
    int policy;                       /* -1 ends the table */
    unsigned flags;
    unsigned short len;
    const struct sock_filter *insns;
};

/* The helpers' table (seccomp_prebuilt.c, written by seccomp_gen); NULL
 * in programs built without it, which compile their filters. */
extern const struct sio_prebuilt_filter sio_prebuilt_filters[]
    __attribute__((weak));

/* 0 when every prebuilt filter is what libseccomp compiles here (or there
 * are none); else -1 with the first difference in err. */
int sio_policy_check_prebuilt(unsigned *count, char *err, size_t errlen);

/* The filter for (policy, flags): the prebuilt one, else built on first
 * use and cached; thread-safe. NULL with a message in err on failure. */
const struct sock_fprog *sio_policy_get(int policy, unsigned flags,
                                        char *err, size_t errlen);

/* Human name of a syscall as the program made it: "clone", or
 * "write (i386 ABI)", "read (x32 ABI)", "#1234" when unknown. */
void sio_syscall_name(uint32_t audit_arch, uint64_t nr, char *buf, size_t len);

#endif
