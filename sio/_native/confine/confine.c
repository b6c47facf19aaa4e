/*
 * confine.c - a run under ids of its own: the pair, its access to the
 * program and the job directory, its memory cgroup. See confine.h.
 */
#define _GNU_SOURCE
#include "confine.h"
#include "landlock.h"
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

int sio_let_others_execute(int dirfd, const char *path)
{
    struct stat st;
    if (geteuid() != 0)
        return 0;
    if (fstatat(dirfd, path, &st, 0) < 0)
        return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
    if (!S_ISREG(st.st_mode) || st.st_uid != 0 || !(st.st_mode & S_IXUSR) ||
        (st.st_mode & S_IXOTH))
        return 0;
    mode_t mode = (st.st_mode & 07777) | S_IXOTH | ((st.st_mode & S_IRUSR) ? S_IROTH : 0);
    return fchmodat(dirfd, path, mode, 0);
}

/* sio_let_others_execute() for the spec's program (relative to its cwd). */
static int let_run_execute(const struct sio_spec *spec)
{
    if (spec->path[0] == '/' || !spec->cwd)
        return sio_let_others_execute(AT_FDCWD, spec->path);
    int dirfd = open(spec->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return errno == ENOENT ? 0 : -1;  /* the run reports a missing cwd */
    int rc = sio_let_others_execute(dirfd, spec->path);
    int saved = errno;
    close(dirfd);
    errno = saved;
    return rc;
}

static int setup_error(struct sio_result *res, const char *err)
{
    memset(res, 0, sizeof *res);
    res->internal_error = 1;
    snprintf(res->detail, sizeof res->detail, "%s", err);
    return -1;
}

/* The namespaces and write scope of a program that sees the host, into
 * spec (the descriptors of the namespaces are kept by netns.c; the
 * Landlock ruleset, *landlock_fd, is the caller's to close). */
static int view_host_confined(struct sio_spec *spec, const struct sio_confinement *c,
                              const struct sio_ids *ids, int *landlock_fd, char *err,
                              size_t errlen)
{
    spec->netns_fd = spec->mntns_fd = spec->landlock_fd = -1;
    if (c->write_only_cwd && spec->cwd) {
        int fd = sio_landlock_for_dir(spec->cwd, err, errlen);
        if (fd == -1)
            return -1;
        spec->landlock_fd = *landlock_fd = fd;  /* -2: no Landlock here */
    }
    if (!spec->switch_ids)
        return 0;  /* not root: no namespace to join, nor a uid of its own */
    if (c->own_network) {
        spec->netns_fd = sio_netns_for_uid(ids->uid, err, errlen);
        if (spec->netns_fd < 0)
            return -1;
    }
    if (c->hide_processes && spec->cwd && spec->cwd[0] == '/') {
        spec->mntns_fd = sio_procns_get(err, errlen);
        if (spec->mntns_fd < 0)
            return -1;
    }
    return 0;
}

int sio_supervise_confined(struct sio_spec *spec, const struct sio_confinement *c,
                           struct sio_result *res)
{
    char err[256];
    struct sio_ids ids = c->ids;
    int leased_here = 0;
    if (c->lease_ids && ids.slot < 0) {
        if (sio_ids_acquire(&ids, err, sizeof err) < 0) {
            sio_close_handed_fds(spec);
            return setup_error(res, err);
        }
        leased_here = ids.slot >= 0;
    }
    int own = ids.slot >= 0;
    spec->switch_ids = own && !c->keep_caller_ids;
    spec->run_uid = ids.uid;
    spec->run_gid = ids.gid;
    if (!spec->switch_ids)
        spec->max_processes = 0;  /* it would count the caller's processes */

    int rc = -1, handed = 0;  /* sio_supervise() closes close_fds */
    if (spec->switch_ids && spec->path && let_run_execute(spec) < 0) {
        snprintf(err, sizeof err, "cannot let the run's ids execute %s: %s", spec->path,
                 strerror(errno));
        setup_error(res, err);
        goto release;
    }
    struct stat lent;
    int lending = own && c->lend_bits && spec->cwd;
    /* A directory that gives its group nothing may keep the pair's group
     * between runs (the next run of the pair then lends it with a chmod
     * alone); one that does gets its own group back. */
    int keep_group = 0;
    if (lending) {
        int regroup = 0, ok = stat(spec->cwd, &lent) == 0;
        if (ok) {
            keep_group = !(lent.st_mode & S_IRWXG);
            regroup = lent.st_gid != ids.gid;
            ok = (!regroup || chown(spec->cwd, (uid_t)-1, ids.gid) == 0) &&
                 chmod(spec->cwd, (lent.st_mode & 07707) | (c->lend_bits & S_IRWXG)) == 0;
        }
        if (!ok) {
            snprintf(err, sizeof err, "cannot lend %s to the run's group: %s",
                     spec->cwd, strerror(errno));
            if (regroup)
                (void)chown(spec->cwd, (uid_t)-1, lent.st_gid);
            setup_error(res, err);
            goto release;
        }
    }
    struct sio_memcg cg;
    sio_memcg_init(&cg);
    if (own && c->memcg && spec->mem_limit_kib &&
        sio_memcg_enter(&cg, ids.uid, spec->mem_limit_kib, err, sizeof err) < 0) {
        setup_error(res, err);
        goto give_back;
    }
    spec->cgroup_procs_fd = cg.version ? cg.procs_fd : -1;
    int landlock_fd = -1;
    if (view_host_confined(spec, c, &ids, &landlock_fd, err, sizeof err) < 0) {
        setup_error(res, err);
        if (landlock_fd >= 0)
            close(landlock_fd);
        spec->netns_fd = spec->mntns_fd = spec->landlock_fd = -1;
        sio_memcg_close(&cg);
        goto give_back;
    }
    rc = sio_supervise(spec, res);
    handed = 1;
    spec->cgroup_procs_fd = -1;
    spec->netns_fd = spec->mntns_fd = spec->landlock_fd = -1;
    if (landlock_fd >= 0)
        close(landlock_fd);
    if (cg.version) {
        uint64_t peak;
        sio_memcg_finish(&cg, &peak, &res->memcg_oom);
        res->memcg_version = cg.version;
        res->memcg_peak_kib = peak / 1024;
    }
    sio_memcg_close(&cg);
give_back:
    if (lending && (chmod(spec->cwd, lent.st_mode & 07777) < 0 ||
                    (!keep_group && lent.st_gid != ids.gid &&
                     chown(spec->cwd, (uid_t)-1, lent.st_gid) < 0)) && rc == 0) {
        snprintf(err, sizeof err, "cannot take %s back from the run's group: %s",
                 spec->cwd, strerror(errno));
        rc = setup_error(res, err);
    }
release:
    if (!handed)
        sio_close_handed_fds(spec);
    if (leased_here)
        sio_ids_release(&ids);
    return rc;
}
