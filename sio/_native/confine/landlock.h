/*
 * landlock.h - where a measured unprotected program may write: its job
 * directory, and nothing else of the host's.
 *
 * A program of DetailedUnprotectedExecutor (a compiler, a trusted checker,
 * a generator) sees the host's files, and as a uid of its own it could
 * still write wherever everyone may: /tmp, /var/tmp, /dev/shm, /run/lock,
 * leaving files there that outlive the run and that a later run under
 * another uid reads. A Landlock ruleset (Linux 5.13+, unprivileged, a few
 * microseconds) takes every write right away except beneath the job
 * directory: files there are created, written, renamed and removed as
 * usual; elsewhere only the harmless devices (/dev/null, /dev/zero, ...)
 * are writable. Creating device nodes is refused everywhere. Where the
 * ABI has it (Linux 6.12+), the program may also not signal, nor reach the
 * abstract unix sockets of, anything outside its run.
 */
#ifndef SIO_LANDLOCK_H
#define SIO_LANDLOCK_H

#include <stddef.h>

/* The Landlock ABI version of this kernel; 0 when Landlock is off. */
int sio_landlock_abi(void);

/* A ruleset (close-on-exec descriptor) that lets a program write beneath
 * dir alone, for sio_spec.landlock_fd; -2 when this kernel has no
 * Landlock (runs go on without it), -1 with a message in err. */
int sio_landlock_for_dir(const char *dir, char *err, size_t errlen);

/* The descriptors this process keeps for every ruleset (at most max), for
 * a check that nothing else stays open. */
size_t sio_landlock_kept(int *fds, size_t max);

#endif
