/*
 * uidpool.c - leases of uid/gid pairs for supervised programs. See uidpool.h.
 */
#define _GNU_SOURCE
#include "uidpool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct held {
    unsigned uid;
    int fd;        /* the locked file */
    int in_use;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct held *held;
static size_t nheld, capheld;
static unsigned next_try;   /* offset into the range where the search goes on */

/* A child of fork() shares the parent's locks (same open files): it must
 * not use them as its own. */
static void forget_after_fork(void)
{
    pthread_mutex_init(&lock, NULL);
    for (size_t i = 0; i < nheld; i++)
        close(held[i].fd);
    nheld = 0;
}

static void init_once(void)
{
    pthread_atfork(NULL, NULL, forget_after_fork);
    next_try = (unsigned)getpid() * 2654435761u;
}

int sio_ids_available(void)
{
    return geteuid() == 0;
}

int sio_ids_parse_range(const char *text, unsigned *first, unsigned *count)
{
    char *end;
    if (!text || text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    unsigned long long a = strtoull(text, &end, 10);
    if (errno || *end != '-' || end[1] < '0' || end[1] > '9')
        return -1;
    const char *second = end + 1;
    unsigned long long b = strtoull(second, &end, 10);
    if (errno || *end)
        return -1;
    /* 0 is root; (uid_t)-1 means "unchanged" to setresuid; 65534 is
     * nobody, shared by design. */
    if (a == 0 || a > b || b >= 0xfffffffeULL || (a <= 65534 && 65534 <= b))
        return -1;
    *first = (unsigned)a;
    *count = (unsigned)(b - a + 1);
    return 0;
}

static int config(unsigned *first, unsigned *count, const char **dir, char *err,
                  size_t errlen)
{
    const char *range = getenv("SIO_RUN_UIDS");
    *first = SIO_RUN_UIDS_DEFAULT_FIRST;
    *count = SIO_RUN_UIDS_DEFAULT_COUNT;
    if (range && *range && sio_ids_parse_range(range, first, count) < 0) {
        snprintf(err, errlen, "bad SIO_RUN_UIDS %.100s: expected FIRST-LAST, two uids "
                 "above 0 that do not include nobody (65534)", range);
        return -1;
    }
    *dir = getenv("SIO_RUN_UIDS_DIR");
    if (!*dir || !**dir)
        *dir = SIO_RUN_UIDS_DIR_DEFAULT;
    return 0;
}

/* mkdir -p, private to root. */
static int make_dir(const char *path, char *err, size_t errlen)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        snprintf(err, errlen, "SIO_RUN_UIDS_DIR is too long");
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) < 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s (SIO_RUN_UIDS_DIR): %s", buf,
                     strerror(errno));
            return -1;
        }
        *p = c;
        if (!c)
            return 0;
    }
}

/* Lock a pair no one else holds; -1 with err when none is free. */
static int lock_new(unsigned first, unsigned count, const char *dir,
                    struct held *out, char *err, size_t errlen)
{
    if (make_dir(dir, err, errlen) < 0)
        return -1;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    for (unsigned tried = 0; tried < count; tried++) {
        unsigned uid = first + (next_try++ % count);
        int taken_here = 0;
        for (size_t i = 0; i < nheld; i++)
            taken_here |= held[i].uid == uid;
        if (taken_here)
            continue;
        char name[16];
        snprintf(name, sizeof name, "%u", uid);
        int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open %s/%s: %s", dir, name, strerror(errno));
            close(dirfd);
            return -1;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            close(dirfd);
            out->uid = uid;
            out->fd = fd;
            out->in_use = 1;
            return 0;
        }
        int saved = errno;
        close(fd);
        if (saved != EWOULDBLOCK && saved != EINTR) {
            snprintf(err, errlen, "cannot lock %s/%s: %s", dir, name, strerror(saved));
            close(dirfd);
            return -1;
        }
    }
    close(dirfd);
    snprintf(err, errlen, "every uid of SIO_RUN_UIDS (%u-%u) is in use: allow more",
             first, first + count - 1);
    return -1;
}

int sio_ids_acquire(struct sio_ids *ids, char *err, size_t errlen)
{
    ids->slot = -1;
    ids->uid = (uid_t)-1;
    ids->gid = (gid_t)-1;
    if (!sio_ids_available())
        return 0;
    pthread_once(&once, init_once);
    unsigned first, count;
    const char *dir;
    if (config(&first, &count, &dir, err, errlen) < 0)
        return -1;
    pthread_mutex_lock(&lock);
    int rc = 0;
    size_t slot;
    for (slot = 0; slot < nheld; slot++) {
        /* A pair outside a range changed since it was locked stays idle. */
        if (!held[slot].in_use && held[slot].uid >= first &&
            held[slot].uid - first < count)
            break;
    }
    if (slot == nheld) {
        if (nheld == capheld) {
            size_t cap = capheld ? capheld * 2 : 4;
            struct held *h = realloc(held, cap * sizeof *h);
            if (!h) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
                goto out;
            }
            held = h;
            capheld = cap;
        }
        if (lock_new(first, count, dir, &held[nheld], err, errlen) < 0) {
            rc = -1;
            goto out;
        }
        nheld++;
    }
    held[slot].in_use = 1;
    ids->slot = (int)slot;
    ids->uid = held[slot].uid;
    ids->gid = held[slot].uid;
out:
    pthread_mutex_unlock(&lock);
    return rc;
}

void sio_ids_release(struct sio_ids *ids)
{
    if (ids->slot < 0)
        return;
    pthread_mutex_lock(&lock);
    if ((size_t)ids->slot < nheld && held[ids->slot].uid == ids->uid)
        held[ids->slot].in_use = 0;
    pthread_mutex_unlock(&lock);
    ids->slot = -1;
}
