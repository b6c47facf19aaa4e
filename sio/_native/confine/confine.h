/*
 * confine.h - a run under ids of its own: what the program gets besides
 * ptrace and seccomp. Around sio_supervise(): the uid/gid pair (uidpool.h),
 * the working directory lent to the pair's group, and a memory cgroup
 * (memcg.h), each given back when the run is over.
 */
#ifndef SIO_CONFINE_H
#define SIO_CONFINE_H

#include <sys/stat.h>

#include "memcg.h"
#include "core/supervisor.h"
#include "uidpool.h"

struct sio_confinement {
    /* Lease a pair for the run when this process can switch ids; or use
     * the one given in ids (ids.slot >= 0). */
    int lease_ids;
    struct sio_ids ids;
    /* Lend spec->cwd to the pair's group with these permission bits
     * (S_IRWXG subsets; 0: not at all) for the run. */
    mode_t lend_bits;
    /* Run in the pair's memory cgroup when spec->mem_limit_kib is set. */
    int memcg;
    /* Lend the directory to the pair but run the program with the caller's
     * ids (a jail, which applies the pair itself). */
    int keep_caller_ids;
    /* For a program that sees the host (unprotected runs), with a pair of
     * its own: the pair's empty network namespace (netns.h); the mount
     * namespace where /proc hides other users' processes; writing only
     * beneath spec->cwd (landlock.h, where the kernel has it). */
    int own_network;
    int hide_processes;
    int write_only_cwd;
};

/* The cgroup limit for a memory limit: limit, address-space margin and
 * kernel slack, in bytes. */
uint64_t sio_memcg_limit_bytes(uint64_t mem_limit_kib);

/* Open and prepare run id's cgroup for a memory limit (a fresh one when
 * the old one cannot take the limit). cg->version 0 when cgroups cannot be
 * used here. 0, or -1 with err. */
int sio_memcg_enter(struct sio_memcg *cg, unsigned id, uint64_t mem_limit_kib,
                    char *err, size_t errlen);

/* A program its owner, this (root) process, made executable for itself
 * only (chmod 0700, as upstream's callers leave them) is made executable,
 * and readable if it was, by everyone: exec checks the ids the program
 * runs as, which are the run's own. Its private job directory still keeps
 * everyone else out. Does nothing for other files or another caller.
 * path is relative to dirfd (AT_FDCWD); 0, or -1 with errno (a program
 * that is not there is left to its exec to report). */
int sio_let_others_execute(int dirfd, const char *path);

/* sio_supervise() confined as c says (spec's identity fields are filled
 * in here). Fills res->memcg_*. Same return as sio_supervise(); a
 * confinement that cannot be set up is an internal error. */
int sio_supervise_confined(struct sio_spec *spec, const struct sio_confinement *c,
                           struct sio_result *res);

#endif
