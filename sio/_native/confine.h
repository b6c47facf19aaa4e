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

/* Open and prepare run id's cgroup for a memory limit (a fresh one when
 * the old one cannot take the limit). cg->version 0 when cgroups cannot be
 * used here. 0, or -1 with err. */
int sio_memcg_enter(struct sio_memcg *cg, unsigned id, uint64_t mem_limit_kib,
                    char *err, size_t errlen);

/* sio_supervise() inside run id's memory cgroup when spec->mem_limit_kib is
 * set and cgroups can be used (spec->cgroup_procs_fd is filled in here).
 * Fills res->memcg_*. Same return as sio_supervise(). */
int sio_supervise_confined(struct sio_spec *spec, unsigned id, struct sio_result *res);

#endif
