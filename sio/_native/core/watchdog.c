/*
 * watchdog.c - the process-wide time-limit thread. See watchdog.h.
 */
#define _GNU_SOURCE
#include "watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

#define MIN_SLEEP_NS 200000ULL          /* 0.2 ms between checks at most */
#define IDLE_SLEEP_NS 3600000000000ULL  /* nothing to watch */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static struct sio_watch *watches;
static int thread_running;
static uint64_t wake_at_ns;   /* when the sleeping thread will wake */

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static void init_cond(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wake, &attr);
    pthread_condattr_destroy(&attr);
}

/* fork() copies this state but not the thread: start from scratch in the
 * child (whatever the parent was watching is not the child's business). */
static void prepare_fork(void) { pthread_mutex_lock(&lock); }
static void parent_after_fork(void) { pthread_mutex_unlock(&lock); }
static void child_after_fork(void)
{
    pthread_mutex_init(&lock, NULL);
    init_cond();
    watches = NULL;
    thread_running = 0;
    wake_at_ns = 0;
}

static void init_once(void)
{
    init_cond();
    pthread_atfork(prepare_fork, parent_after_fork, child_after_fork);
}

static void *watchdog_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        uint64_t sleep_ns = IDLE_SLEEP_NS;
        for (struct sio_watch *w = watches; w; w = w->next) {
            uint64_t want = IDLE_SLEEP_NS;
            w->check(w, &want);
            if (want < sleep_ns)
                sleep_ns = want;
        }
        if (sleep_ns < MIN_SLEEP_NS)
            sleep_ns = MIN_SLEEP_NS;
        uint64_t until = mono_ns() + sleep_ns;
        wake_at_ns = until;
        struct timespec ts = {(time_t)(until / 1000000000ULL),
                              (long)(until % 1000000000ULL)};
        int rc = pthread_cond_timedwait(&wake, &lock, &ts);
        (void)rc;  /* a timeout and a signal both mean: check again */
    }
    return NULL;
}

static int start_thread_locked(void)
{
    pthread_attr_t attr;
    pthread_t thread;
    sigset_t all, old;
    if (pthread_attr_init(&attr) != 0)
        return -1;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    /* The host's signals are not this thread's business. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&thread, &attr, watchdog_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (err) {
        errno = err;
        return -1;
    }
    thread_running = 1;
    return 0;
}

int sio_watch_add(struct sio_watch *w, uint64_t first_check_ns)
{
    pthread_once(&once, init_once);
    pthread_mutex_lock(&lock);
    if (!thread_running && start_thread_locked() < 0) {
        int saved = errno;
        pthread_mutex_unlock(&lock);
        errno = saved;
        return -1;
    }
    w->prev = NULL;
    w->next = watches;
    if (watches)
        watches->prev = w;
    watches = w;
    /* Wake the thread only if the new run is due before it would wake
     * anyway: most runs end long before their first check. */
    if (mono_ns() + first_check_ns < wake_at_ns)
        pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    return 0;
}

void sio_watch_remove(struct sio_watch *w)
{
    pthread_mutex_lock(&lock);
    if (w->prev)
        w->prev->next = w->next;
    else if (watches == w)
        watches = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->prev = w->next = NULL;
    pthread_mutex_unlock(&lock);
}
