/*
 * procfs.c - /proc readings for memory accounting.
 */
#define _GNU_SOURCE
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sio_proc_open(int proc_dirfd, pid_t pid, const char *name)
{
    char path[64];
    int n;
    if (proc_dirfd >= 0)
        n = snprintf(path, sizeof path, "%d/%s", (int)pid, name);
    else
        n = snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return openat(proc_dirfd >= 0 ? proc_dirfd : AT_FDCWD, path,
                  O_RDONLY | O_CLOEXEC);
}

/* Read a whole small proc file (truncated to size-1 bytes, NUL-ended). */
static ssize_t read_small(int fd, char *buf, size_t size)
{
    size_t used = 0;
    while (used < size - 1) {
        ssize_t got = pread(fd, buf + used, size - 1 - used, (off_t)used);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (got == 0)
            break;
        used += (size_t)got;
    }
    buf[used] = '\0';
    return (ssize_t)used;
}

static int parse_kib_field(const char *text, const char *key, uint64_t *out)
{
    const char *p = text;
    size_t keylen = strlen(key);
    while ((p = strstr(p, key)) != NULL) {
        if (p == text || p[-1] == '\n') {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(p + keylen, &end, 10);
            if (errno || end == p + keylen)
                return -1;
            *out = v;
            return 0;
        }
        p += keylen;
    }
    return -1;
}

int sio_parse_status_peaks(const char *text, uint64_t *vm_peak_kib,
                           uint64_t *vm_hwm_kib)
{
    if (parse_kib_field(text, "VmPeak:", vm_peak_kib) < 0)
        return -1;
    return parse_kib_field(text, "VmHWM:", vm_hwm_kib);
}

int sio_proc_memory_peaks(int proc_dirfd, pid_t pid, uint64_t *vm_peak_kib,
                          uint64_t *vm_hwm_kib)
{
    char buf[4096];
    int fd = sio_proc_open(proc_dirfd, pid, "status");
    if (fd < 0)
        return -1;
    ssize_t got = read_small(fd, buf, sizeof buf);
    int saved = errno;
    close(fd);
    if (got < 0) {
        errno = saved;
        return -1;
    }
    return sio_parse_status_peaks(buf, vm_peak_kib, vm_hwm_kib);
}

int sio_proc_statm_size_kib(int statm_fd, uint64_t *size_kib)
{
    char buf[128];
    if (read_small(statm_fd, buf, sizeof buf) <= 0)
        return -1;
    char *end;
    errno = 0;
    unsigned long long pages = strtoull(buf, &end, 10);
    if (errno || end == buf)
        return -1;
    long page = sysconf(_SC_PAGESIZE);
    *size_kib = pages * (uint64_t)(page > 0 ? page : 4096) / 1024;
    return 0;
}

int sio_proc_start_brk(int proc_dirfd, pid_t pid, uint64_t *start_brk)
{
    char buf[2048];
    int fd = sio_proc_open(proc_dirfd, pid, "stat");
    if (fd < 0)
        return -1;
    ssize_t got = read_small(fd, buf, sizeof buf);
    close(fd);
    if (got <= 0)
        return -1;
    /* The command name (field 2) may hold spaces and parentheses; fields
     * after it start past the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    /* We are now before field 3; skip to field 48. */
    for (int field = 3; field <= 48; field++) {
        while (*p == ' ')
            p++;
        if (!*p)
            return -1;
        if (field == 48) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(p, &end, 10);
            if (errno || end == p)
                return -1;
            *start_brk = v;
            return 0;
        }
        while (*p && *p != ' ')
            p++;
    }
    return -1;
}
