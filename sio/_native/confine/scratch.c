/*
 * scratch.c - is a job directory's private TMPDIR the worker's, and empty?
 * (see scratch.h).
 */
#define _GNU_SOURCE
#include "confine/scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int is_dot_or_dotdot(const char *name)
{
    return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* SIO_SCRATCH_EMPTY or SIO_SCRATCH_USED for an open directory; -1 with
 * errno when it cannot be read. */
static int entries_of(int fd)
{
    /* getdents64 writes at most sizeof buf; an entry that does not fit
     * waits for the next call (EINVAL only when not even one fits). */
    _Alignas(struct linux_dirent64) char buf[4096];
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (got == 0)
            return SIO_SCRATCH_EMPTY;
        for (long at = 0; at < got;) {
            const struct linux_dirent64 *d = (const void *)(buf + at);
            if (d->d_reclen == 0 || d->d_reclen > got - at) {
                errno = EIO;
                return -1;
            }
            if (!is_dot_or_dotdot(d->d_name))
                return SIO_SCRATCH_USED;
            at += d->d_reclen;
        }
    }
}

static int is_ours(const struct stat *st)
{
    return S_ISDIR(st->st_mode) && st->st_uid == geteuid() &&
           (st->st_mode & 07777) == 01777;
}

int sio_scratch_kind(const char *path)
{
    struct stat st;
    if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? SIO_SCRATCH_MISSING : -1;
    return is_ours(&st) ? SIO_SCRATCH_USED : SIO_SCRATCH_FOREIGN;
}

int sio_scratch_state(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return SIO_SCRATCH_MISSING;
        if (errno == ENOTDIR || errno == ELOOP)
            return SIO_SCRATCH_FOREIGN;
        return -1;
    }
    struct stat st;
    int state;
    if (fstat(fd, &st) < 0)
        state = -1;
    else if (!is_ours(&st))
        state = SIO_SCRATCH_FOREIGN;
    else
        state = entries_of(fd);
    int saved = errno;
    if (close(fd) < 0 && state >= 0)
        return -1;
    errno = saved;
    return state;
}
