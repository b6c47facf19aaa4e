/*
 * sio_limits.h - what the core's parts share about limits and verdicts:
 * kill reasons, file modes and the arithmetic of the memory limit. A
 * header of its own so that the rules, verdicts and confinement need
 * nothing of the supervisor's.
 */
#ifndef SIO_LIMITS_H
#define SIO_LIMITS_H

#include <stdint.h>

/* Why the supervisor killed the program (first reason wins). */
enum sio_kill_reason {
    SIO_KILL_NONE = 0,
    SIO_KILL_CPU_TIME,
    SIO_KILL_REAL_TIME,
    SIO_KILL_MEMORY,
    SIO_KILL_OUTPUT,
    SIO_KILL_OPEN,          /* a file access forbidden by the policy */
    SIO_KILL_SYSCALL,       /* a syscall forbidden by the policy */
    SIO_KILL_INSTRUCTIONS,  /* instruction limit (jail with perf counters) */
    SIO_KILL_SUPERVISOR,    /* supervision itself failed */
};

/* How file-access syscalls are decided (only with a filter that traces them). */
enum sio_files_mode {
    SIO_FILES_FORBID = 0,      /* any path access kills the program (RV) */
    SIO_FILES_LOCAL_READONLY,  /* read-only inside local_root, else EPERM/EACCES */
};

/* Extra address space granted above the memory limit, so that a program
 * that goes over it is seen doing so rather than failing inside malloc. */
static inline uint64_t sio_as_margin_kib(uint64_t mem_limit_kib)
{
    (void)mem_limit_kib;
    return 1024;
}

/* The wall-clock limit of a run given a CPU-time limit alone: 64 times
 * the CPU time and a second (the checking executors' default and
 * exec-sandbox's supervisor's HARD_LIMIT); none (0) without a CPU limit.
 * Saturates instead of wrapping. */
#define SIO_REAL_TIME_FACTOR 64
#define SIO_REAL_TIME_SLACK_MS 1000
static inline uint64_t sio_default_real_time_ms(uint64_t time_limit_ms)
{
    if (!time_limit_ms)
        return 0;
    if (time_limit_ms > (UINT64_MAX - SIO_REAL_TIME_SLACK_MS) / SIO_REAL_TIME_FACTOR)
        return UINT64_MAX;
    return SIO_REAL_TIME_FACTOR * time_limit_ms + SIO_REAL_TIME_SLACK_MS;
}

/* Smallest mmap/mremap length the memory rules trace (bytes). */
#define SIO_TRACED_MAP_MIN (64 * 1024)

#endif
