/*
 * netns.c - see netns.h.
 */
#define _GNU_SOURCE
#include "netns.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif

/* In a raw child: close every descriptor but a and b. It holds copies of
 * all the parent's, among them another thread's holding pipe when two
 * namespaces are made at once; kept, that pipe's child would never read
 * end-of-file, nor would this one (each holding the other's), and the
 * host's stdout would stay open in it. */
static void keep_only(int a, int b)
{
    int lo = a < b ? a : b, hi = a < b ? b : a;
    int ok = (lo == 0 || syscall(SYS_close_range, 0, lo - 1, 0) == 0) &&
             (hi == lo + 1 || syscall(SYS_close_range, lo + 1, hi - 1, 0) == 0) &&
             syscall(SYS_close_range, hi + 1, ~0U, 0) == 0;
    if (ok)
        return;
    /* A kernel before 5.9: one by one (EBADF for most: nothing open). */
    for (int fd = 0; fd < 65536; fd++)
        if (fd != a && fd != b)
            syscall(SYS_close, fd);
}

/* A descriptor of a new namespace of kind flags (CLONE_NEWNET, ...), held
 * by a child made in it that first runs setup (raw syscalls only: it may
 * share nothing with the host's threads), kept open after the child is
 * gone. */
static int hold_new_namespace(int flags, const char *kind, int (*setup)(void),
                              char *err, size_t errlen)
{
    int hold[2], ready[2];
    if (pipe2(hold, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe2: %s", strerror(errno));
        return -1;
    }
    if (pipe2(ready, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe2: %s", strerror(errno));
        close(hold[0]);
        close(hold[1]);
        return -1;
    }
    sigset_t all, old;
    sigfillset(&all);
    /* No handler of the host may run in the child. */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* A raw clone is a fork that runs no atfork handlers: the child makes
     * only raw syscalls. It lives in the new namespace until the pipe says
     * the namespace is held. */
    long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0L);
    if (pid == 0) {
        char byte = 0;
        keep_only(hold[0], ready[1]);
        int failed = setup && setup() < 0;
        int why = errno;
        syscall(SYS_write, ready[1], failed ? (char *)&why : &byte,
                failed ? sizeof why : 1);
        syscall(SYS_close, ready[1]);
        while (syscall(SYS_read, hold[0], &byte, 1) < 0 && errno == EINTR)
            ;
        syscall(SYS_exit, 0);
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(hold[0]);
    close(ready[1]);
    if (pid < 0) {
        close(hold[1]);
        close(ready[0]);
        snprintf(err, errlen, "cannot create a %s namespace: %s", kind, strerror(saved));
        return -1;
    }
    int why = 0;
    ssize_t got;
    do {
        got = read(ready[0], &why, sizeof why);
    } while (got < 0 && errno == EINTR);
    close(ready[0]);
    int fd = -1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/ns/%s", pid, kind);
    if (got == 1) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        saved = errno;
    }
    close(hold[1]);  /* the child reads end-of-file and exits */
    int status;
    while (waitpid((pid_t)pid, &status, __WALL) < 0 && errno == EINTR)
        ;
    if (got != 1) {
        snprintf(err, errlen, "cannot set up a %s namespace: %s", kind,
                 got == (ssize_t)sizeof why ? strerror(why) : "its maker died");
        return -1;
    }
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(saved));
        return -1;
    }
    return fd;
}

int sio_netns_create(char *err, size_t errlen)
{
    return hold_new_namespace(CLONE_NEWNET, "net", NULL, err, errlen);
}

/* Kept for the process's lifetime: one per uid that ran. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    unsigned uid;
    int fd;
} *cache;
static size_t ncache, capcache;

/* A child of fork() keeps the descriptors (the namespaces are still
 * empty and its own uids' leases exclude the parent's), but not a lock
 * another thread of the parent may have held. */
static void cache_after_fork(void)
{
    pthread_mutex_init(&cache_lock, NULL);
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, cache_after_fork);
}

int sio_netns_for_uid(unsigned uid, char *err, size_t errlen)
{
    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&cache_lock);
    for (size_t i = 0; i < ncache; i++) {
        if (cache[i].uid == uid) {
            int fd = cache[i].fd;
            pthread_mutex_unlock(&cache_lock);
            return fd;
        }
    }
    int fd = -1;
    if (ncache == capcache) {
        size_t cap = capcache ? capcache * 2 : 8;
        void *grown = realloc(cache, cap * sizeof *cache);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            goto out;
        }
        cache = grown;
        capcache = cap;
    }
    fd = sio_netns_create(err, errlen);
    if (fd >= 0) {
        cache[ncache].uid = uid;
        cache[ncache].fd = fd;
        ncache++;
    }
out:
    pthread_mutex_unlock(&cache_lock);
    return fd;
}

static int procns_fd = -1;

size_t sio_netns_kept(int *fds, size_t max)
{
    pthread_mutex_lock(&cache_lock);
    size_t n = 0;
    for (; n < ncache && n < max; n++)
        fds[n] = cache[n].fd;
    pthread_mutex_unlock(&cache_lock);
    if (procns_fd >= 0 && n < max)
        fds[n++] = procns_fd;
    return n;
}

/* In the mount namespace's first process: its /proc shows a program the
 * processes of its own uid alone (hidepid), and mounts of the host still
 * reach it (slave propagation) while its own stay in it. */
static int hide_other_processes(void)
{
    const unsigned long flags = MS_NOSUID | MS_NODEV | MS_NOEXEC;
    if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return -1;
    if (syscall(SYS_mount, "proc", "/proc", "proc", flags, "hidepid=invisible") < 0 &&
        syscall(SYS_mount, "proc", "/proc", "proc", flags, "hidepid=2") < 0)
        return -1;
    return 0;
}

static pthread_once_t procns_once = PTHREAD_ONCE_INIT;
static char procns_err[256];

static void make_procns(void)
{
    procns_fd = hold_new_namespace(CLONE_NEWNS, "mnt", hide_other_processes,
                                   procns_err, sizeof procns_err);
}

int sio_procns_get(char *err, size_t errlen)
{
    pthread_once(&procns_once, make_procns);
    if (procns_fd < 0)
        snprintf(err, errlen, "%s", procns_err);
    return procns_fd;
}

int sio_netns_is_other(int fd, char *err, size_t errlen)
{
    int type = ioctl(fd, NS_GET_NSTYPE);
    if (type < 0) {
        snprintf(err, errlen, "not a namespace: %s", strerror(errno));
        return -1;
    }
    if (type != CLONE_NEWNET)
        return 0;
    struct stat given, own;
    if (fstat(fd, &given) < 0 || stat("/proc/self/ns/net", &own) < 0) {
        snprintf(err, errlen, "cannot stat a network namespace: %s", strerror(errno));
        return -1;
    }
    return given.st_dev != own.st_dev || given.st_ino != own.st_ino;
}
