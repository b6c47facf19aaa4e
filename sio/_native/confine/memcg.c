/*
 * memcg.c - memory cgroups for runs. See memcg.h.
 */
#define _GNU_SOURCE
#include "memcg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void cache_after_fork(void);
static int base_version;            /* 0: unusable */
static char base_path[PATH_MAX];    /* SUBTREE/sioworkers */

/* Read a small file at once (NUL-ended); -1 on failure. */
static ssize_t read_text(int fd, char *buf, size_t size)
{
    ssize_t got;
    do {
        got = pread(fd, buf, size - 1, 0);
    } while (got < 0 && errno == EINTR);
    if (got < 0)
        return -1;
    buf[got] = '\0';
    return got;
}

static int write_text(int fd, const char *text)
{
    size_t len = strlen(text);
    ssize_t got;
    do {
        got = pwrite(fd, text, len, 0);
    } while (got < 0 && errno == EINTR);
    return got == (ssize_t)len ? 0 : -1;
}

static ssize_t slurp(const char *path, char **out)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char *data = NULL;
    size_t cap = 0;
    ssize_t len = getdelim(&data, &cap, '\0', f);
    fclose(f);
    if (len < 0) {
        free(data);
        return -1;
    }
    *out = data;
    return len;
}

/* This process's path in the hierarchy (v1: the one with controller
 * "memory"; v2: the unified one). */
static int own_cgroup(int version, char *path, size_t len)
{
    char *text;
    if (slurp("/proc/self/cgroup", &text) < 0)
        return -1;
    int found = -1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *controllers = c1 + 1;
        int match = 0;
        if (version == 2) {
            match = !strcmp(line, "0") && !*controllers;
        } else {
            char *save, *list = strdup(controllers);
            for (char *c = list ? strtok_r(list, ",", &save) : NULL; c;
                 c = strtok_r(NULL, ",", &save))
                match |= !strcmp(c, "memory");
            free(list);
        }
        if (match && (size_t)snprintf(path, len, "%s", c2 + 1) < len) {
            found = 0;
            break;
        }
    }
    free(text);
    return found;
}

/* Where the hierarchy is mounted, and the hierarchy path of its root. */
static int hierarchy_mount(int version, char *mnt, char *root, size_t len)
{
    char *text;
    if (slurp("/proc/self/mountinfo", &text) < 0)
        return -1;
    int found = -1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - FSTYPE SOURCE SUPER */
        char *fields[6] = {0};
        char *save, *p = line;
        for (int i = 0; i < 5; i++) {
            fields[i] = strtok_r(p, " ", &save);
            p = NULL;
        }
        char *dash = strstr(save ? save : "", " - ");
        if (!fields[4] || !dash)
            continue;
        char fstype[32] = "", super[256] = "";
        if (sscanf(dash + 3, "%31s %*s %255s", fstype, super) < 1)
            continue;
        int match;
        if (version == 2) {
            match = !strcmp(fstype, "cgroup2");
        } else {
            match = 0;
            if (!strcmp(fstype, "cgroup")) {
                char *s2, *list = strdup(super);
                for (char *o = list ? strtok_r(list, ",", &s2) : NULL; o;
                     o = strtok_r(NULL, ",", &s2))
                    match |= !strcmp(o, "memory");
                free(list);
            }
        }
        if (match && strlen(fields[4]) < len && strlen(fields[3]) < len) {
            strcpy(mnt, fields[4]);
            strcpy(root, fields[3]);
            found = 0;
            break;
        }
    }
    free(text);
    return found;
}

static int file_has_word(const char *path, const char *word)
{
    char *text;
    if (slurp(path, &text) < 0)
        return 0;
    int found = 0;
    for (char *w = strtok(text, " \n"); w; w = strtok(NULL, " \n"))
        found |= !strcmp(w, word);
    free(text);
    return found;
}

static int try_base(int version)
{
    char mnt[PATH_MAX], root[PATH_MAX], own[PATH_MAX], subtree[PATH_MAX];
    if (hierarchy_mount(version, mnt, root, sizeof mnt) < 0 ||
        own_cgroup(version, own, sizeof own) < 0)
        return -1;
    const char *rel = own;
    size_t rl = strlen(root);
    if (strcmp(root, "/") != 0 && !strncmp(own, root, rl))
        rel = own + rl;
    if (snprintf(subtree, sizeof subtree, "%s%s", mnt,
                 strcmp(rel, "/") ? rel : "") >= (int)sizeof subtree)
        return -1;
    if (version == 2) {
        /* Children get a memory controller only where the parent hands
         * it down (a delegated subtree, or the root). */
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/cgroup.subtree_control", subtree);
        if (!file_has_word(path, "memory"))
            return -1;
    }
    if (snprintf(base_path, sizeof base_path, "%s/sioworkers", subtree) >=
        (int)sizeof base_path)
        return -1;
    if (mkdir(base_path, 0755) < 0 && errno != EEXIST)
        return -1;
    if (version == 2) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/cgroup.subtree_control", base_path);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        int rc = file_has_word(path, "memory") ? 0 : write_text(fd, "+memory");
        close(fd);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void find_base(void)
{
    pthread_atfork(NULL, NULL, cache_after_fork);
    if (geteuid() != 0)
        return;  /* only root (or a delegated owner) may make them */
    if (try_base(2) == 0)
        base_version = 2;
    else if (try_base(1) == 0)
        base_version = 1;
}

int sio_memcg_available(void)
{
    pthread_once(&once, find_base);
    return base_version;
}

static int open_in(const char *dir, const char *name, int flags)
{
    char path[PATH_MAX + 64];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return open(path, flags | O_CLOEXEC);
}

static int fail(char *err, size_t errlen, const char *what, const char *where)
{
    snprintf(err, errlen, "memory cgroup: %s %s: %s", what, where, strerror(errno));
    return -1;
}

void sio_memcg_init(struct sio_memcg *cg)
{
    memset(cg, 0, sizeof *cg);
    cg->procs_fd = cg->limit_fd = cg->swap_fd = cg->peak_fd = cg->events_fd = -1;
}

static int open_uncached(struct sio_memcg *cg, unsigned id, char *err, size_t errlen)
{
    sio_memcg_init(cg);
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/run-%u", base_path, id);
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return fail(err, errlen, "cannot create", dir);
    int v1 = base_version == 1;
    cg->procs_fd = open_in(dir, v1 ? "tasks" : "cgroup.procs", O_WRONLY);
    cg->limit_fd = open_in(dir, v1 ? "memory.limit_in_bytes" : "memory.max", O_RDWR);
    cg->events_fd = open_in(dir, v1 ? "memory.oom_control" : "memory.events", O_RDONLY);
    if (cg->procs_fd < 0 || cg->limit_fd < 0 || cg->events_fd < 0) {
        int saved = errno;
        sio_memcg_close(cg);
        errno = saved;
        return fail(err, errlen, "cannot open the control files of", dir);
    }
    /* Optional: swap accounting may be off, memory.peak is new in v2. */
    cg->swap_fd = open_in(dir, v1 ? "memory.memsw.limit_in_bytes" : "memory.swap.max",
                          O_RDWR);
    cg->peak_fd = open_in(dir, v1 ? "memory.max_usage_in_bytes" : "memory.peak",
                          O_RDWR);
    cg->version = base_version;
    return 0;
}

/* The control files of the cgroups this process used, kept open: opening
 * them costs more than a whole run's use of them. */
struct cached {
    unsigned id;
    struct sio_memcg cg;
};
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached *cache;
static size_t ncache, capcache;

static void forget_cache(void)
{
    for (size_t i = 0; i < ncache; i++) {
        cache[i].cg.cached = 0;
        sio_memcg_close(&cache[i].cg);
    }
    ncache = 0;
}

/* A child of fork() shares the descriptors but not the runs. */
static void cache_after_fork(void)
{
    pthread_mutex_init(&cache_lock, NULL);
    forget_cache();
}

int sio_memcg_open(struct sio_memcg *cg, unsigned id, char *err, size_t errlen)
{
    sio_memcg_init(cg);
    pthread_once(&once, find_base);
    if (!base_version)
        return 0;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < ncache; i++) {
        if (cache[i].id == id) {
            *cg = cache[i].cg;
            pthread_mutex_unlock(&cache_lock);
            return 0;
        }
    }
    int rc = open_uncached(cg, id, err, errlen);
    if (rc == 0) {
        if (ncache == capcache) {
            size_t cap = capcache ? capcache * 2 : 4;
            struct cached *c = realloc(cache, cap * sizeof *c);
            if (c) {
                cache = c;
                capcache = cap;
            }
        }
        if (ncache < capcache) {
            cg->cached = 1;
            cache[ncache].id = id;
            cache[ncache].cg = *cg;
            ncache++;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return rc;
}

int sio_memcg_discard(unsigned id)
{
    pthread_once(&once, find_base);
    if (!base_version)
        return -1;
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < ncache; i++) {
        if (cache[i].id == id) {
            cache[i].cg.cached = 0;
            sio_memcg_close(&cache[i].cg);
            cache[i] = cache[--ncache];
            break;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    char dir[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/run-%u", base_path, id);
    return rmdir(dir);
}

uint64_t sio_memcg_parse_counter(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (!strncmp(p, key, kl) && p[kl] == ' ')
            return strtoull(p + kl + 1, NULL, 10);
    }
    return 0;
}

static uint64_t oom_kills(struct sio_memcg *cg)
{
    char buf[1024];
    if (read_text(cg->events_fd, buf, sizeof buf) < 0)
        return 0;
    return sio_memcg_parse_counter(buf, "oom_kill");
}

int sio_memcg_prepare(struct sio_memcg *cg, uint64_t limit_bytes, char *err,
                      size_t errlen)
{
    if (!cg->version)
        return 0;
    char value[32];
    snprintf(value, sizeof value, "%" PRIu64, limit_bytes);
    /* v1 keeps memory <= memory+swap: lower the first before the second,
     * raise the second before the first; trying both orders does either. */
    int rc = write_text(cg->limit_fd, value);
    if (cg->swap_fd >= 0) {
        if (cg->version == 2) {
            (void)write_text(cg->swap_fd, "0");
        } else if (write_text(cg->swap_fd, value) == 0 && rc < 0) {
            rc = write_text(cg->limit_fd, value);
        }
    }
    if (rc < 0)
        return fail(err, errlen, "cannot set the limit", value);
    if (cg->peak_fd >= 0)
        (void)write_text(cg->peak_fd, "0");  /* reset; older v2 cannot */
    cg->oom_kills_before = oom_kills(cg);
    return 0;
}

void sio_memcg_finish(struct sio_memcg *cg, uint64_t *peak_bytes, int *oom_killed)
{
    *peak_bytes = 0;
    *oom_killed = 0;
    if (!cg->version)
        return;
    char buf[64];
    if (cg->peak_fd >= 0 && read_text(cg->peak_fd, buf, sizeof buf) > 0)
        *peak_bytes = strtoull(buf, NULL, 10);
    *oom_killed = oom_kills(cg) > cg->oom_kills_before;
}

void sio_memcg_close(struct sio_memcg *cg)
{
    if (cg->cached) {  /* the cache keeps them for the next run */
        sio_memcg_init(cg);
        return;
    }
    int *fds[] = {&cg->procs_fd, &cg->limit_fd, &cg->swap_fd, &cg->peak_fd,
                  &cg->events_fd};
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
    cg->version = 0;
}
