/*
 * uidpool.h - a uid and gid of their own for every untrusted program.
 *
 * When the worker is root, each program it supervises runs as a uid/gid
 * pair that no other running program shares, taken from a range
 * (SIO_RUN_UIDS="FIRST-LAST", default 1900000000-1900000999; gid = uid),
 * like isolate's box uids. A pair is held with flock() on DIR/UID
 * (SIO_RUN_UIDS_DIR, default /run/sioworkers/uids), so every worker process
 * on the machine excludes the others and a dead worker's pairs come free
 * with its descriptors. A process keeps the pairs it has locked and reuses
 * them for later runs, never for two runs at once: after the first run a
 * lease costs no syscall.
 *
 * The range must not hold the uid of any account or other service: the
 * kernel counts processes, pending signals and pipe buffers per uid, and
 * lets a uid signal its own processes.
 */
#ifndef SIO_UIDPOOL_H
#define SIO_UIDPOOL_H

#include <stddef.h>
#include <sys/types.h>

#define SIO_RUN_UIDS_DEFAULT_FIRST 1900000000u
#define SIO_RUN_UIDS_DEFAULT_COUNT 1000u
#define SIO_RUN_UIDS_DIR_DEFAULT "/run/sioworkers/uids"

struct sio_ids {
    uid_t uid;
    gid_t gid;
    int slot;     /* -1: no pair leased (the caller cannot switch ids) */
};

/* Can this process run programs under other ids (it is root)? */
int sio_ids_available(void);

/* Lease a pair. 0 with ids filled (ids->slot -1 when this process is not
 * root: programs keep the caller's ids, which hold no privileges); -1 with
 * a message in err (a bad SIO_RUN_UIDS, an unusable lock directory, every
 * pair of the range in use). Thread-safe. */
int sio_ids_acquire(struct sio_ids *ids, char *err, size_t errlen);

/* Give a pair back for this process's next run. */
void sio_ids_release(struct sio_ids *ids);

/* Parse "FIRST-LAST" (inclusive). 0, or -1 when malformed, empty, or out
 * of the range of usable ids. Exposed for tests. */
int sio_ids_parse_range(const char *text, unsigned *first, unsigned *count);

#endif
