/*
 * memcg.h - a memory cgroup per run: a hard bound on everything the kernel
 * holds for a program, its address space and what lies outside it (pipe
 * buffers, memfds and tmpfs pages, socket and page-table memory).
 *
 * Used where the worker may create cgroups: the cgroup v1 memory
 * controller, or cgroup v2 with the memory controller enabled for the
 * worker's subtree. The cgroups are SUBTREE/sioworkers/run-ID, where
 * SUBTREE is the worker's own memory cgroup and ID the run's leased uid
 * (uidpool.h), so one exists per uid in use and is reused by its next run;
 * a process keeps the control files of the cgroups it used open.
 * Where none can be made, runs go on without one and say so
 * (sio_memcg_open sets version 0).
 */
#ifndef SIO_MEMCG_H
#define SIO_MEMCG_H

#include <stddef.h>
#include <stdint.h>

struct sio_memcg {
    int version;       /* 1 or 2; 0: no cgroup for this run */
    int procs_fd;      /* v1 tasks, v2 cgroup.procs: the program writes "0"
                          there to join (moving one thread is several times
                          cheaper than moving a process in v1) */
    int limit_fd;      /* memory.limit_in_bytes | memory.max */
    int swap_fd;       /* memory.memsw.limit_in_bytes | memory.swap.max; -1 */
    int peak_fd;       /* memory.max_usage_in_bytes | memory.peak; -1 */
    int events_fd;     /* memory.oom_control | memory.events */
    uint64_t oom_kills_before;
    int cached;        /* the descriptors belong to the process-wide cache */
};

/* Kernel memory a run may hold beyond its limit and address-space margin. */
#define SIO_MEMCG_SLACK_KIB (4 * 1024)

/* No cgroup (what sio_memcg_close accepts at any time). */
void sio_memcg_init(struct sio_memcg *cg);

/* The cgroup for run id (version 0 and 0 when cgroups cannot be used
 * here; -1 with err only for a cgroup that exists but cannot be set up). */
int sio_memcg_open(struct sio_memcg *cg, unsigned id, char *err, size_t errlen);

/* Remove run id's cgroup (what it still holds goes to its parent): for a
 * cgroup whose leftover charges (e.g. tmpfs files a program left) keep
 * it above the next limit. 0 or -1. */
int sio_memcg_discard(unsigned id);

/* Before a run: set the limit (bytes) and reset the peak. 0 or -1 with err. */
int sio_memcg_prepare(struct sio_memcg *cg, uint64_t limit_bytes, char *err,
                      size_t errlen);

/* After a run: its peak (bytes, 0 when unknown) and whether the kernel
 * killed a process of the run for going over the limit. */
void sio_memcg_finish(struct sio_memcg *cg, uint64_t *peak_bytes, int *oom_killed);

void sio_memcg_close(struct sio_memcg *cg);

/* Which cgroup version runs get here (1, 2), or 0 for none. */
int sio_memcg_available(void);

/* The value of "key N" in a text of such lines (memory.events,
 * memory.oom_control); 0 when absent. Exposed for tests. */
uint64_t sio_memcg_parse_counter(const char *text, const char *key);

#endif
