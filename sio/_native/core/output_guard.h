/*
 * output_guard.h - the output limit wherever stdout goes.
 *
 * RLIMIT_FSIZE limits what a program writes to a regular file (and an
 * append-only one cannot be rewritten), but nothing it writes to a pipe,
 * a socket or a device. With an output limit and such a stdout, the
 * program gets instead:
 *   - for /dev/null: an unnamed append-only temporary file (O_TMPFILE),
 *     which RLIMIT_FSIZE limits like any other and which disappears with
 *     its last descriptor; each thread keeps its file for its next run
 *     (emptied then), since making one costs an inode and journal updates;
 *   - otherwise: a pipe, relayed by a thread to the real stdout, counting;
 *     past the limit the thread calls back to kill the program.
 */
#ifndef SIO_OUTPUT_GUARD_H
#define SIO_OUTPUT_GUARD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct sio_output_guard {
    int program_fd;           /* what the program gets as stdout; -1: keep */
    int program_fd_kept;      /* program_fd is the thread's kept file */
    int relay;                /* a relay thread runs */
    int read_fd;              /* the relay's pipe */
    int target_fd;            /* the real stdout */
    uint64_t limit;
    uint64_t relayed;
    volatile int stop;        /* set when the program is gone */
    pthread_t thread;
    void (*exceeded)(void *ctx);
    void *ctx;
};

/* Decide and set up. stdout_fd -1 means /dev/null; dir is where a
 * temporary file may go (NULL: /tmp). 0, or -1 with err. */
int sio_output_guard_start(struct sio_output_guard *g, int stdout_fd,
                           uint64_t limit, const char *dir,
                           void (*exceeded)(void *ctx), void *ctx, char *err,
                           size_t errlen);

/* After the spawn: drop this process's copy of the program's end. */
void sio_output_guard_spawned(struct sio_output_guard *g);

/* After the program and its descendants are gone: finish relaying what is
 * already written (as far as the target takes it) and release all. */
void sio_output_guard_finish(struct sio_output_guard *g);

/* The descriptor of the file this thread keeps for /dev/null output, or
 * -1 (for tests that account for every descriptor). */
int sio_output_guard_kept_fd(void);

#endif
