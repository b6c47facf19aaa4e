/*
 * scratch.h - the private TMPDIR of a job directory's unprotected runs.
 *
 * A measured unprotected program (a compiler, a generator) gets a TMPDIR
 * of its own inside the job directory, kept between the job's runs and
 * emptied after each. Before a run the worker checks that the directory
 * there is still the one it made (a program of an earlier run could have
 * put a link or a FIFO in its place); after it, that the run left nothing
 * in it. Both are a few syscalls on a descriptor, never following a link
 * nor blocking on a FIFO; anything but "ours, empty" is left to the
 * caller's careful path (which removes what it finds without following
 * links).
 *
 * "Ours" is the rule sio.workers.jobfiles.private_directory makes and
 * keeps directories by (a directory of this euid, mode 01777). The two
 * are meant to agree (a test checks it); where they did not, the careful
 * path would only run more often, never less.
 */
#ifndef SIO_SCRATCH_H
#define SIO_SCRATCH_H

enum sio_scratch_state {
    SIO_SCRATCH_EMPTY = 0,   /* a directory of ours (euid, mode 01777), empty */
    SIO_SCRATCH_USED,        /* a directory of ours with entries in it */
    SIO_SCRATCH_MISSING,     /* nothing of that name */
    SIO_SCRATCH_FOREIGN,     /* anything else: a link, a FIFO, a file, a
                                directory of another owner or mode */
};

/* The state of the directory at path: enum sio_scratch_state, or -1 with
 * errno when it cannot be told (the caller then takes its careful path). */
int sio_scratch_state(const char *path);

/* The same without looking inside (one lstat): SIO_SCRATCH_USED for any
 * directory of ours, empty or not. Before a run, which needs no more. */
int sio_scratch_kind(const char *path);

#endif
