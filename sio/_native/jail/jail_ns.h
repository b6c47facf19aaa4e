/*
 * jail_ns.h - the jail's isolation: namespaces, the file system the program
 * sees, and the privileges it keeps (none).
 */
#ifndef SIO_JAIL_NS_H
#define SIO_JAIL_NS_H

#include <stddef.h>
#include <sys/types.h>

#include "jail_config.h"

/* Bind sources opened before the mount namespace changes (so they stay
 * reachable whatever gets mounted over them). */
struct jail_sources {
    int *fds;         /* one per cfg->binds entry */
    int exe_fd;       /* the program, for the default /exe bind; -1 */
    int devnull_fd;   /* /dev/null, for the program's unused descriptors */
};

/* clone() flags for the namespaces cfg asks for. */
int jail_clone_flags(const struct jail_config *cfg);

int jail_open_sources(const struct jail_config *cfg, const char *program,
                      struct jail_sources *src, char *err, size_t errlen);
void jail_close_sources(const struct jail_config *cfg, struct jail_sources *src);

/* In the parent: map the child's root to our uid/gid, and when run_uid is
 * not -1 (we are root), 1 to the run's own uid/gid: the jail's first
 * process sets up as root, the program runs as 1. */
int jail_write_id_maps(pid_t child, uid_t uid, gid_t gid, uid_t run_uid,
                       gid_t run_gid, char *err, size_t errlen);

/* In the jail (new mount namespace, full capabilities there): build the
 * read-only root from the binds, mount a procfs for the supervisor (kept
 * only as a descriptor, invisible to the program), pivot into the new root.
 * *proc_fd receives that procfs (or the host's /proc without a pid
 * namespace). */
int jail_setup_filesystem(const struct jail_config *cfg,
                          const struct jail_sources *src, int *proc_fd,
                          char *err, size_t errlen);

/* Child hook (async-signal-safe): drop every capability for good (the
 * supervisor has already switched to the run's ids where it could). */
int jail_drop_privileges(const void *cfg);

#endif
