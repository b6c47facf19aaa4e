/*
 * perf.h - counting the user-space instructions of a process tree.
 *
 * Instructions are what makes sio2jail's time reproducible: the same
 * program on the same input executes the same number of instructions
 * whatever else the machine does. Time is reported as instructions at
 * 2*10^9 per second.
 *
 * The counter is opened on the stopped child before its execve with
 * enable_on_exec, so it counts from the first instruction of the program,
 * and with inherit, so it counts the program's children too. On hybrid
 * CPUs (cpu_core + cpu_atom PMUs) one counter per PMU is opened and summed.
 * A limit is enforced during the run: the counter overflows at the limit
 * and the kernel signals the supervisor.
 */
#ifndef SIO_PERF_H
#define SIO_PERF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SIO_PERF_MAX_PMUS 4
#define SIO_INSTRUCTIONS_PER_MS 2000000ULL

struct sio_pmu {
    char name[32];
    uint32_t type;         /* perf_event_attr.type of this PMU */
};

/* The PMUs that count CPU instructions, found under
 * SYSFS_ROOT/bus/event_source/devices (SYSFS_ROOT is normally "/sys"):
 * "cpu", or the hybrid "cpu_core" and "cpu_atom". Returns how many were
 * found (0: none, e.g. a VM without PMU passthrough). */
int sio_pmu_discover(const char *sysfs_root, struct sio_pmu *pmus, int max);

struct sio_perf {
    int nfds;
    int fds[SIO_PERF_MAX_PMUS];
    uint64_t limit;        /* 0: none */
};

/* Open the counters for a stopped child. 0, or -1 with a message in err
 * (naming the likely cause: perf_event_paranoid, no PMU...). When limit is
 * non-zero, signal `signo` is delivered to thread `notify_tid` when the
 * counted instructions reach it. */
int sio_perf_open(struct sio_perf *perf, const struct sio_pmu *pmus, int npmus,
                  pid_t child, uint64_t limit, int signo, pid_t notify_tid,
                  char *err, size_t errlen);

/* Instructions counted so far (all PMUs summed). */
int sio_perf_read(const struct sio_perf *perf, uint64_t *instructions);

void sio_perf_close(struct sio_perf *perf);

/* Instructions to milliseconds and back (2*10^9 instructions a second). */
uint64_t sio_instructions_to_ms(uint64_t instructions);
uint64_t sio_ms_to_instructions(uint64_t ms);

/* Can this process count instructions at all? 0, or -1 with the reason
 * and the fix in err. */
int sio_perf_probe(char *err, size_t errlen);

#endif
