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

/* /proc/PID/status into buf (NUL-ended); 0, or -1 with errno. */
static int read_status(int proc_dirfd, pid_t pid, char *buf, size_t size)
{
    int fd = sio_proc_open(proc_dirfd, pid, "status");
    if (fd < 0)
        return -1;
    ssize_t got = read_small(fd, buf, size);
    int saved = errno;
    close(fd);
    if (got < 0) {
        errno = saved;
        return -1;
    }
    return 0;
}

int sio_proc_memory_peaks(int proc_dirfd, pid_t pid, uint64_t *vm_peak_kib,
                          uint64_t *vm_hwm_kib)
{
    char buf[4096];
    if (read_status(proc_dirfd, pid, buf, sizeof buf) < 0)
        return -1;
    return sio_parse_status_peaks(buf, vm_peak_kib, vm_hwm_kib);
}

int sio_proc_page_tables_kib(int proc_dirfd, pid_t pid, uint64_t *kib)
{
    char buf[4096];
    if (read_status(proc_dirfd, pid, buf, sizeof buf) < 0)
        return -1;
    return parse_kib_field(buf, "VmPTE:", kib);
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

int sio_proc_fd_flags(int proc_dirfd, pid_t pid, int fd, int *flags)
{
    char name[32], buf[512];
    snprintf(name, sizeof name, "fdinfo/%d", fd);
    int f = sio_proc_open(proc_dirfd, pid, name);
    if (f < 0)
        return -1;
    ssize_t got = read_small(f, buf, sizeof buf);
    close(f);
    if (got <= 0)
        return -1;
    const char *p = strstr(buf, "flags:");
    if (!p)
        return -1;
    char *end;
    errno = 0;
    unsigned long v = strtoul(p + 6, &end, 8);
    if (errno || end == p + 6)
        return -1;
    *flags = (int)v;
    return 0;
}

static uint64_t overlap(uint64_t lo, uint64_t hi, uint64_t start, uint64_t end)
{
    uint64_t a = lo > start ? lo : start;
    uint64_t b = hi < end ? hi : end;
    return b > a ? b - a : 0;
}

/* One "lo-hi" range at the start of a line; 0 when the line has none. */
static int parse_range(const char *line, uint64_t *lo, uint64_t *hi)
{
    char *end;
    errno = 0;
    unsigned long long a = strtoull(line, &end, 16);
    if (errno || end == line || *end != '-')
        return 0;
    const char *second = end + 1;
    unsigned long long b = strtoull(second, &end, 16);
    if (errno || end == second)
        return 0;
    *lo = a;
    *hi = b;
    return 1;
}

uint64_t sio_parse_maps_overlap(const char *text, uint64_t start, uint64_t end)
{
    uint64_t total = 0;
    for (const char *line = text; *line;) {
        uint64_t lo, hi;
        if (parse_range(line, &lo, &hi))
            total += overlap(lo, hi, start, end);
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return total;
}

int sio_proc_mapped_bytes(int proc_dirfd, pid_t pid, uint64_t start,
                          uint64_t end, uint64_t *bytes)
{
    int fd = sio_proc_open(proc_dirfd, pid, "maps");
    if (fd < 0)
        return -1;
    /* Lines are read whole into buf; a line longer than buf (a very long
     * path name) is skipped past its range, which fits easily. */
    char buf[8192];
    size_t have = 0;
    int at_line_start = 1;
    uint64_t total = 0;
    for (;;) {
        ssize_t got = read(fd, buf + have, sizeof buf - 1 - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (got == 0)
            break;
        have += (size_t)got;
        buf[have] = '\0';
        char *p = buf;
        char *nl;
        while ((nl = strchr(p, '\n')) != NULL) {
            *nl = '\0';
            uint64_t lo, hi;
            if (at_line_start && parse_range(p, &lo, &hi))
                total += overlap(lo, hi, start, end);
            at_line_start = 1;
            p = nl + 1;
        }
        size_t rest = have - (size_t)(p - buf);
        if (rest == sizeof buf - 1) {
            /* One line fills the buffer: account its range, drop the rest. */
            uint64_t lo, hi;
            if (at_line_start && parse_range(buf, &lo, &hi))
                total += overlap(lo, hi, start, end);
            at_line_start = 0;
            rest = 0;
        }
        memmove(buf, p, rest);
        have = rest;
    }
    close(fd);
    *bytes = total;
    return 0;
}
