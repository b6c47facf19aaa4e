/*
 * confine.h - what a run gets besides ptrace and seccomp: its own memory
 * cgroup (memcg.h) around sio_supervise(), for callers that already hold
 * the run's ids (uidpool.h).
 */
#ifndef SIO_CONFINE_H
#define SIO_CONFINE_H

#include "memcg.h"
#include "supervisor.h"

/* The cgroup limit for a memory limit: limit, address-space margin and
 * kernel slack, in bytes. */
uint64_t sio_memcg_limit_bytes(uint64_t mem_limit_kib);

/* sio_supervise() inside run id's memory cgroup when spec->mem_limit_kib is
 * set and cgroups can be used (spec->cgroup_procs_fd is filled in here).
 * Fills res->memcg_*. Same return as sio_supervise(). */
int sio_supervise_confined(struct sio_spec *spec, unsigned id, struct sio_result *res);

#endif
