/*
 * child.h - the supervised program's side of a run, from clone() to
 * execve(): its descriptors, namespaces, cgroup, rlimits, Landlock,
 * identity, trace and seccomp filter. Everything here runs in a child
 * that may share the supervisor's memory (vfork), so it makes only
 * async-signal-safe calls and raw syscalls, and reports a failure as
 * (stage, errno) on a pipe.
 */
#ifndef SIO_CHILD_H
#define SIO_CHILD_H

#include <signal.h>
#include <sys/resource.h>

#include "supervisor.h"

/* Stages of the child's set-up, reported through the error pipe. */
enum sio_child_stage {
    STAGE_SIGNALS = 1, STAGE_SETPGID, STAGE_FDS, STAGE_CHDIR, STAGE_CGROUP,
    STAGE_RLIMIT, STAGE_IDS, STAGE_PDEATHSIG, STAGE_HOOK, STAGE_TRACEME,
    STAGE_STOP, STAGE_NNP, STAGE_SECCOMP, STAGE_EXEC, STAGE_NAMESPACES,
    STAGE_LANDLOCK, STAGE_TSC,
};

/* The most rlimits the parent prepares for the child. */
#define SIO_CHILD_MAX_LIMITS 12

/* What the child needs, all prepared by the parent before clone(). */
struct sio_child {
    const struct sio_spec *spec;
    int pin_cpu;              /* >= 0: run the program on this CPU */
    int fds[3];
    int err_fd;
    int nlimits;
    int limit_resource[SIO_CHILD_MAX_LIMITS];
    struct rlimit limit_value[SIO_CHILD_MAX_LIMITS];
    sigset_t empty_mask;
};

/* clone()'s entry point (arg: a struct sio_child); never returns. */
int sio_child_main(void *arg);

/* What a stage reported by the child was doing, for the error message. */
const char *sio_child_stage_name(int stage);

#endif
