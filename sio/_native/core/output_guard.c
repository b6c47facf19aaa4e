/*
 * output_guard.c - output limits for any stdout. See output_guard.h.
 */
#define _GNU_SOURCE
#include "output_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define RELAY_BUFFER (64 * 1024)
#define STOP_POLL_MS 100

static int is_dev_null(const struct stat *st)
{
    return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

/* The unnamed file this thread's runs write instead of /dev/null, kept
 * for the next run on the same file system. Only a run's program (gone
 * before the next run starts) ever holds it besides this thread; a child
 * process of the worker (fork) makes its own. */
struct kept_file {
    int fd;
    dev_t dev;
    pid_t owner;
};

static pthread_key_t kept_key;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;
static int kept_key_ok;

static void drop_kept(void *arg)
{
    struct kept_file *k = arg;
    if (k->fd >= 0 && k->owner == getpid())
        close(k->fd);
    free(k);
}

static void make_kept_key(void)
{
    kept_key_ok = pthread_key_create(&kept_key, drop_kept) == 0;
}

/* An empty unnamed append-only file in dir for a run's stdout, and whether
 * it is the thread's kept one (not to be closed); -1 with errno. */
static int null_output_file(const char *dir, int *kept)
{
    *kept = 0;
    struct stat where;
    if (stat(dir, &where) < 0)
        return -1;
    pthread_once(&kept_once, make_kept_key);
    struct kept_file *k = kept_key_ok ? pthread_getspecific(kept_key) : NULL;
    pid_t me = getpid();
    if (k && k->fd >= 0 && k->owner == me && k->dev == where.st_dev &&
        ftruncate(k->fd, 0) == 0) {
        *kept = 1;
        return k->fd;
    }
    /* O_EXCL: it can never be given a name (linkat through /proc), so it
     * cannot outlive the runs or be found by anyone. */
    int fd = open(dir, O_TMPFILE | O_EXCL | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 || !kept_key_ok)
        return fd;
    if (!k) {
        k = malloc(sizeof *k);
        if (!k || pthread_setspecific(kept_key, k) != 0) {
            free(k);
            return fd;  /* used once */
        }
    } else if (k->fd >= 0 && k->owner == me) {
        close(k->fd);  /* another file system's */
    }
    k->fd = fd;
    k->dev = where.st_dev;
    k->owner = me;
    *kept = 1;
    return fd;
}

/* Write all of buf to fd unless asked to stop; -1 when the target fails. */
static int write_all(struct sio_output_guard *g, const char *buf, size_t len)
{
    while (len) {
        struct pollfd p = {g->target_fd, POLLOUT, 0};
        int ready = poll(&p, 1, STOP_POLL_MS);
        if (ready < 0 && errno != EINTR)
            return -1;
        if (ready <= 0) {
            if (g->stop)
                return -1;  /* nobody reads it and the program is gone */
            continue;
        }
        ssize_t n = write(g->target_fd, buf, len);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static void *relay_main(void *arg)
{
    struct sio_output_guard *g = arg;
    char *buf = malloc(RELAY_BUFFER);
    int target_ok = 1;
    if (!buf) {
        g->exceeded(g->ctx);  /* cannot count: stop the program */
        return NULL;
    }
    for (;;) {
        struct pollfd p = {g->read_fd, POLLIN, 0};
        int ready = poll(&p, 1, STOP_POLL_MS);
        if (ready < 0 && errno != EINTR)
            break;
        if (ready <= 0) {
            if (g->stop)
                break;
            continue;
        }
        ssize_t n = read(g->read_fd, buf, RELAY_BUFFER);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            break;  /* every writer is gone */
        uint64_t room = g->relayed < g->limit ? g->limit - g->relayed : 0;
        size_t pass = (uint64_t)n > room ? (size_t)room : (size_t)n;
        if (target_ok && pass && write_all(g, buf, pass) < 0)
            target_ok = 0;  /* keep draining: the program must not block */
        g->relayed += (uint64_t)n;
        if (g->relayed > g->limit) {
            g->exceeded(g->ctx);
            break;
        }
    }
    free(buf);
    return NULL;
}

int sio_output_guard_start(struct sio_output_guard *g, int stdout_fd,
                           uint64_t limit, const char *dir,
                           void (*exceeded)(void *ctx), void *ctx, char *err,
                           size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->program_fd = g->read_fd = g->target_fd = -1;
    if (!limit)
        return 0;
    struct stat st;
    if (stdout_fd >= 0) {
        if (fstat(stdout_fd, &st) < 0) {
            snprintf(err, errlen, "fstat of stdout: %s", strerror(errno));
            return -1;
        }
        if (S_ISREG(st.st_mode))
            return 0;  /* RLIMIT_FSIZE holds */
    }
    if (stdout_fd < 0 || is_dev_null(&st)) {
        int fd = null_output_file(dir ? dir : "/tmp", &g->program_fd_kept);
        if (fd >= 0) {
            g->program_fd = fd;
            return 0;
        }
        /* No O_TMPFILE there: relay into /dev/null instead. */
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe2 for the output relay: %s", strerror(errno));
        return -1;
    }
    g->read_fd = p[0];
    g->program_fd = p[1];
    g->target_fd = stdout_fd;
    g->limit = limit;
    g->exceeded = exceeded;
    g->ctx = ctx;
    if (stdout_fd < 0) {
        g->target_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (g->target_fd < 0) {
            snprintf(err, errlen, "cannot open /dev/null: %s", strerror(errno));
            sio_output_guard_finish(g);
            return -1;
        }
    } else {
        g->target_fd = fcntl(stdout_fd, F_DUPFD_CLOEXEC, 3);
        if (g->target_fd < 0) {
            snprintf(err, errlen, "dup of stdout: %s", strerror(errno));
            sio_output_guard_finish(g);
            return -1;
        }
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&g->thread, NULL, relay_main, g);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        snprintf(err, errlen, "cannot start the output relay: %s", strerror(rc));
        sio_output_guard_finish(g);
        return -1;
    }
    g->relay = 1;
    return 0;
}

void sio_output_guard_spawned(struct sio_output_guard *g)
{
    if (g->relay && g->program_fd >= 0) {
        close(g->program_fd);
        g->program_fd = -1;
    }
}

void sio_output_guard_finish(struct sio_output_guard *g)
{
    if (g->relay) {
        if (g->program_fd >= 0) {
            close(g->program_fd);  /* the spawn failed: end the relay */
            g->program_fd = -1;
        }
        g->stop = 1;
        pthread_join(g->thread, NULL);
        g->relay = 0;
    }
    if (g->program_fd_kept) {
        /* The thread's, for its next run; what the program wrote goes now. */
        if (ftruncate(g->program_fd, 0) < 0) {
            struct kept_file *k = pthread_getspecific(kept_key);
            if (k && k->fd == g->program_fd)
                k->fd = -1;  /* closed below, made anew next time */
        } else {
            g->program_fd = -1;
        }
        g->program_fd_kept = 0;
    }
    int *fds[] = {&g->program_fd, &g->read_fd, &g->target_fd};
    for (size_t i = 0; i < sizeof fds / sizeof *fds; i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

int sio_output_guard_kept_fd(void)
{
    pthread_once(&kept_once, make_kept_key);
    struct kept_file *k = kept_key_ok ? pthread_getspecific(kept_key) : NULL;
    return k && k->owner == getpid() ? k->fd : -1;
}
