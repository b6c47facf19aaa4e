/*
 * jail_ns.c - namespaces, the jail's file system and privileges.
 *
 * The new root is an empty tmpfs. A bind to "/" (the box) is reproduced
 * entry by entry (each top-level directory or file of the box bound at the
 * same name, its links copied), so mount points for other binds and for
 * /exe can be created in the tmpfs without touching the box. Everything is
 * read-only unless a bind says rw; the tmpfs itself is remounted read-only.
 */
#define _GNU_SOURCE
#include "jail_ns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define STAGING "/tmp"

static int fail(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, len, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < len)
        snprintf(err + n, len - (size_t)n, ": %s", strerror(saved));
    return -1;
}

int jail_clone_flags(const struct jail_config *cfg)
{
    int flags = 0;
    if (cfg->ns_user)
        flags |= CLONE_NEWUSER;
    if (cfg->ns_mount)
        flags |= CLONE_NEWNS;
    if (cfg->ns_pid)
        flags |= CLONE_NEWPID;
    if (cfg->ns_net && cfg->net_fd < 0)
        flags |= CLONE_NEWNET;  /* else the outside joined one (jail_main.c) */
    if (cfg->ns_ipc)
        flags |= CLONE_NEWIPC;
    if (cfg->ns_uts)
        flags |= CLONE_NEWUTS;
    return flags;
}

int jail_open_sources(const struct jail_config *cfg, const char *program,
                      struct jail_sources *src, char *err, size_t errlen)
{
    src->exe_fd = -1;
    src->devnull_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (src->devnull_fd < 0)
        return fail(err, errlen, "cannot open /dev/null");
    src->fds = calloc(cfg->nbinds + 1, sizeof *src->fds);
    if (!src->fds)
        return fail(err, errlen, "out of memory");
    for (size_t i = 0; i < cfg->nbinds; i++)
        src->fds[i] = -1;
    for (size_t i = 0; i < cfg->nbinds; i++) {
        src->fds[i] = open(cfg->binds[i].outside, O_PATH | O_CLOEXEC);
        if (src->fds[i] < 0)
            return fail(err, errlen, "cannot open bind source %s",
                        cfg->binds[i].outside);
    }
    if (cfg->default_binds && cfg->ns_mount) {
        src->exe_fd = open(program, O_PATH | O_CLOEXEC);
        if (src->exe_fd < 0)
            return fail(err, errlen, "cannot open the program %s", program);
        struct stat st;
        if (fstat(src->exe_fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            errno = EINVAL;
            return fail(err, errlen, "the program %s is not a regular file", program);
        }
    }
    return 0;
}

void jail_close_sources(const struct jail_config *cfg, struct jail_sources *src)
{
    if (src->fds) {
        for (size_t i = 0; i < cfg->nbinds; i++)
            if (src->fds[i] >= 0)
                close(src->fds[i]);
        free(src->fds);
        src->fds = NULL;
    }
    if (src->exe_fd >= 0)
        close(src->exe_fd);
    if (src->devnull_fd >= 0)
        close(src->devnull_fd);
    src->exe_fd = src->devnull_fd = -1;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    ssize_t got = write(fd, text, len);
    int saved = errno;
    if (close(fd) < 0 && got == (ssize_t)len)
        return -1;
    errno = saved;
    return got == (ssize_t)len ? 0 : -1;
}

/* /proc/CHILD/<file>: inside id 0 is the caller's id; with a pair of the
 * run's own, inside id 1 is the run's. */
static int write_id_map(pid_t child, const char *file, unsigned id, unsigned run_id,
                        int own_pair, char *err, size_t errlen)
{
    char path[64], map[96];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)child, file);
    if (own_pair)
        snprintf(map, sizeof map, "0 %u 1\n1 %u 1\n", id, run_id);
    else
        snprintf(map, sizeof map, "0 %u 1\n", id);
    if (write_file(path, map) < 0)
        return fail(err, errlen, "cannot write %s", path);
    return 0;
}

int jail_write_id_maps(pid_t child, uid_t uid, gid_t gid, uid_t run_uid,
                       gid_t run_gid, char *err, size_t errlen)
{
    char path[64];
    int own_pair = run_uid != (uid_t)-1;
    /* An unprivileged map needs setgroups denied; the privileged one
     * keeps setgroups so the program can drop its groups. */
    snprintf(path, sizeof path, "/proc/%d/setgroups", (int)child);
    if (!own_pair && write_file(path, "deny") < 0 && errno != ENOENT)
        return fail(err, errlen, "cannot write %s", path);
    if (write_id_map(child, "gid_map", (unsigned)gid, (unsigned)run_gid, own_pair,
                     err, errlen) < 0)
        return -1;
    return write_id_map(child, "uid_map", (unsigned)uid, (unsigned)run_uid, own_pair,
                        err, errlen);
}

static void fd_path(int fd, char *buf, size_t len)
{
    snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* Flags a remount must keep: those of the original mount are locked in a
 * user namespace. */
static unsigned long locked_flags(const char *path)
{
    struct statvfs sv;
    unsigned long flags = MS_NOSUID | MS_NODEV;
    if (statvfs(path, &sv) < 0)
        return flags;
    if (sv.f_flag & ST_NOEXEC)
        flags |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME)
        flags |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        flags |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        flags |= MS_RELATIME;
    return flags;
}

static int bind(int source_fd, const char *target, int read_only, char *err,
                size_t errlen)
{
    char from[64];
    fd_path(source_fd, from, sizeof from);
    if (mount(from, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        return fail(err, errlen, "cannot bind onto %s", target);
    unsigned long flags = MS_REMOUNT | MS_BIND | locked_flags(target);
    if (read_only)
        flags |= MS_RDONLY;
    if (mount(NULL, target, NULL, flags, NULL) < 0)
        return fail(err, errlen, "cannot remount %s", target);
    return 0;
}

/* mkdir -p of the directories leading to path (all inside the staging). */
static int make_parents(const char *path, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return fail(err, errlen, "path too long: %s", path);
    }
    for (char *p = buf + strlen(STAGING) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return fail(err, errlen, "cannot create mount point %s (is it inside a "
                        "read-only bind?)", buf);
        *p = '/';
    }
    return 0;
}

/* Create a mount point like the source: a directory or an empty file. */
static int make_mount_point(int source_fd, const char *target, char *err,
                            size_t errlen)
{
    struct stat st;
    if (fstat(source_fd, &st) < 0)
        return fail(err, errlen, "cannot stat the source of %s", target);
    if (make_parents(target, err, errlen) < 0)
        return -1;
    struct stat there;
    if (lstat(target, &there) == 0 &&
        (S_ISDIR(there.st_mode) != 0) == (S_ISDIR(st.st_mode) != 0))
        return 0;  /* the box has one already (a box with /exe, /proc) */
    if (S_ISDIR(st.st_mode)) {
        if (mkdir(target, 0755) < 0 && errno != EEXIST)
            return fail(err, errlen, "cannot create mount point %s", target);
    } else {
        int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return fail(err, errlen, "cannot create mount point %s", target);
        close(fd);
    }
    return 0;
}

/* The box as the root: each of its entries bound (or linked) at its name. */
static int populate_root(int box_fd, int read_only, char *err, size_t errlen)
{
    char from[64];
    fd_path(box_fd, from, sizeof from);
    int dirfd = open(from, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return fail(err, errlen, "the root bind is not a directory");
    DIR *dir = fdopendir(dirfd);
    if (!dir) {
        close(dirfd);
        return fail(err, errlen, "cannot list the root bind");
    }
    int rc = 0;
    struct dirent *e;
    errno = 0;
    while (rc == 0 && (e = readdir(dir)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char target[PATH_MAX];
        if (snprintf(target, sizeof target, STAGING "/%s", e->d_name) >=
            (int)sizeof target)
            continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISLNK(st.st_mode)) {
            char link[PATH_MAX];
            ssize_t n = readlinkat(dirfd, e->d_name, link, sizeof link - 1);
            if (n < 0)
                continue;
            link[n] = '\0';
            if (symlink(link, target) < 0)
                rc = fail(err, errlen, "cannot copy the link %s", target);
            continue;
        }
        if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
            continue;  /* no devices, sockets or fifos from the box */
        int fd = openat(dirfd, e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        rc = make_mount_point(fd, target, err, errlen);
        if (rc == 0)
            rc = bind(fd, target, read_only, err, errlen);
        close(fd);
    }
    closedir(dir);
    return rc;
}

static int mount_private_proc(int *proc_fd, char *err, size_t errlen)
{
    const char *where = STAGING "/.sio-proc";
    if (mkdir(where, 0700) < 0)
        return fail(err, errlen, "cannot create %s", where);
    if (mount("proc", where, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return fail(err, errlen, "cannot mount a procfs for the pid namespace");
    *proc_fd = open(where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*proc_fd < 0)
        return fail(err, errlen, "cannot open the jail's procfs");
    /* Detached, it stays usable through the descriptor and is invisible. */
    if (umount2(where, MNT_DETACH) < 0 || rmdir(where) < 0)
        return fail(err, errlen, "cannot hide the jail's procfs");
    return 0;
}

int jail_setup_filesystem(const struct jail_config *cfg,
                          const struct jail_sources *src, int *proc_fd,
                          char *err, size_t errlen)
{
    *proc_fd = -1;
    if (!cfg->ns_mount) {
        *proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*proc_fd < 0)
            return fail(err, errlen, "cannot open /proc");
        return 0;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return fail(err, errlen, "cannot make the mounts private");
    if (mount("sio2jail", STAGING, "tmpfs", MS_NOSUID | MS_NODEV,
              "mode=0755,size=1m") < 0)
        return fail(err, errlen, "cannot mount the jail's root tmpfs on " STAGING);
    for (size_t i = 0; i < cfg->nbinds; i++) {
        const struct jail_bind *b = &cfg->binds[i];
        if (!strcmp(b->inside, "/")) {
            if (populate_root(src->fds[i], b->read_only, err, errlen) < 0)
                return -1;
            continue;
        }
        char target[PATH_MAX];
        if (snprintf(target, sizeof target, STAGING "%s", b->inside) >=
            (int)sizeof target) {
            errno = ENAMETOOLONG;
            return fail(err, errlen, "bind target too long: %s", b->inside);
        }
        if (make_mount_point(src->fds[i], target, err, errlen) < 0 ||
            bind(src->fds[i], target, b->read_only, err, errlen) < 0)
            return -1;
    }
    if (src->exe_fd >= 0) {
        if (make_mount_point(src->exe_fd, STAGING "/exe", err, errlen) < 0 ||
            bind(src->exe_fd, STAGING "/exe", 1, err, errlen) < 0)
            return -1;
    }
    if (cfg->procfs) {
        const char *where = STAGING "/proc";
        if (mkdir(where, 0555) < 0 && errno != EEXIST)
            return fail(err, errlen, "cannot create %s", where);
        if (mount("proc", where, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            return fail(err, errlen, "cannot mount a procfs at /proc");
    }
    if (cfg->ns_pid) {
        if (mount_private_proc(proc_fd, err, errlen) < 0)
            return -1;
    } else {
        *proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (*proc_fd < 0)
            return fail(err, errlen, "cannot open /proc");
    }
    if (mount(NULL, STAGING, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
              NULL) < 0)
        return fail(err, errlen, "cannot make the jail's root read-only");
    if (chdir(STAGING) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
        umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        return fail(err, errlen, "cannot pivot into the jail's root");
    return 0;
}

int jail_drop_privileges(const void *arg)
{
    (void)arg;
    /* Only raw syscalls: this runs between fork and exec. */
    /* Root (in the namespace) must not get capabilities back at exec.
     * Without CAP_SETPCAP (an unprivileged caller with no user namespace)
     * this fails, but such a program has no capabilities to regain. */
    (void)prctl(PR_SET_SECUREBITS,
                SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
                    SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED,
                0, 0, 0);
    for (int cap = 0; cap < 64; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL &&
            errno != EPERM)
            return -1;
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capset, &header, data) < 0)
        return -1;
    return 0;
}
