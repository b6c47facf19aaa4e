/*
 * netns.h - namespaces kept open for runs: an empty network namespace
 * per uid (jailed and unprotected runs), and one mount namespace whose
 * /proc hides other users' processes (unprotected runs).
 *
 * Creating a network namespace costs about a millisecond (its loopback
 * device, its sysctls); a jail that made one at every run spent a fifth of
 * its time there. A worker that runs programs under uids of its own
 * (uidpool.h) keeps one empty namespace per uid and the jail joins it
 * (sio2jail --net-namespace-fd): runs of one uid never overlap, and a
 * program without capabilities over the namespace (it belongs to the
 * worker's user namespace, not the jail's) can leave nothing in it: its
 * loopback stays down, and its sockets go with its processes.
 */
#ifndef SIO_NETNS_H
#define SIO_NETNS_H

#include <stddef.h>

/* A descriptor (close-on-exec) of a new network namespace with nothing in
 * it, owned by the caller's user namespace; -1 with a message in err. The
 * caller needs CAP_SYS_ADMIN. Safe in a multithreaded process. */
int sio_netns_create(char *err, size_t errlen);

/* The empty network namespace kept for runs under uid (made on first use,
 * then kept open by this process: runs of one uid never overlap); -1 with
 * a message in err. Thread-safe. */
int sio_netns_for_uid(unsigned uid, char *err, size_t errlen);

/* The descriptors sio_netns_for_uid and sio_procns_get keep (at most max
 * of them), for a check that nothing else stays open. */
size_t sio_netns_kept(int *fds, size_t max);

/* A mount namespace, made once and kept, that differs from this process's
 * own in one thing: its /proc is mounted with hidepid, so that a program
 * there, under a uid of its own, sees its own processes alone (never the
 * worker's command line, nor another run's). Joined by unprotected runs
 * (sio_spec.mntns_fd); -1 with a message in err where it cannot be made
 * (not root). */
int sio_procns_get(char *err, size_t errlen);

/* Whether fd is a network namespace other than the calling process's own:
 * 1 yes, 0 no, -1 with a message in err when it cannot be told. */
int sio_netns_is_other(int fd, char *err, size_t errlen);

#endif
