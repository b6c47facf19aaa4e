/*
 * watchdog.h - one process-wide thread that enforces time limits.
 *
 * Every supervised run with a time limit registers a struct sio_watch; the
 * watchdog thread calls its check function when it may be due and sleeps
 * until the earliest next check of all runs. A run therefore needs no thread
 * of its own: the thread that called sio_supervise() traces and reaps, the
 * watchdog only reads clocks and kills.
 */
#ifndef SIO_WATCHDOG_H
#define SIO_WATCHDOG_H

#include <stdint.h>

struct sio_watch {
    struct sio_watch *prev, *next;   /* owned by the watchdog */
    /* Called by the watchdog thread, never concurrently with itself and
     * never after sio_watch_remove() returned. Sets *sleep_ns to when it
     * wants to be called again (it is called at least that late). */
    void (*check)(struct sio_watch *w, uint64_t *sleep_ns);
};

/* Start watching; check() is first due in first_check_ns. 0, or -1 with
 * errno when the thread cannot start. */
int sio_watch_add(struct sio_watch *w, uint64_t first_check_ns);

/* Stop watching; after it returns check() is not running and will not run. */
void sio_watch_remove(struct sio_watch *w);

#endif
