/*
 * confine.c - a run inside its memory cgroup. See confine.h.
 */
#include "confine.h"

#include <stdio.h>
#include <string.h>

uint64_t sio_memcg_limit_bytes(uint64_t mem_limit_kib)
{
    return (mem_limit_kib + sio_as_margin_kib(mem_limit_kib) + SIO_MEMCG_SLACK_KIB) *
           1024;
}

int sio_memcg_enter(struct sio_memcg *cg, unsigned id, uint64_t mem_limit_kib,
                    char *err, size_t errlen)
{
    uint64_t limit = sio_memcg_limit_bytes(mem_limit_kib);
    int ok = sio_memcg_open(cg, id, err, errlen) == 0 &&
             sio_memcg_prepare(cg, limit, err, errlen) == 0;
    if (!ok && cg->version) {
        /* Charges an earlier run left (files in a tmpfs) keep the cgroup
         * above the new limit: start from a fresh one. */
        sio_memcg_close(cg);
        ok = sio_memcg_discard(id) == 0 &&
             sio_memcg_open(cg, id, err, errlen) == 0 &&
             sio_memcg_prepare(cg, limit, err, errlen) == 0;
    }
    if (!ok)
        sio_memcg_close(cg);
    return ok ? 0 : -1;
}

int sio_supervise_confined(struct sio_spec *spec, unsigned id, struct sio_result *res)
{
    struct sio_memcg cg;
    char err[256];
    sio_memcg_init(&cg);
    if (spec->mem_limit_kib &&
        sio_memcg_enter(&cg, id, spec->mem_limit_kib, err, sizeof err) < 0) {
        memset(res, 0, sizeof *res);
        res->internal_error = 1;
        snprintf(res->detail, sizeof res->detail, "%s", err);
        return -1;
    }
    spec->cgroup_procs_fd = cg.version ? cg.procs_fd : -1;
    int rc = sio_supervise(spec, res);
    spec->cgroup_procs_fd = -1;
    if (cg.version) {
        uint64_t peak;
        sio_memcg_finish(&cg, &peak, &res->memcg_oom);
        res->memcg_version = cg.version;
        res->memcg_peak_kib = peak / 1024;
    }
    sio_memcg_close(&cg);
    return rc;
}
