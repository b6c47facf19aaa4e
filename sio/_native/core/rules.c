/*
 * rules.c - per-syscall decisions of the tracer. See rules.h.
 */
#define _GNU_SOURCE
#include "rules.h"
#include "procfs.h"
#include "sio_limits.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* glibc's __O_TMPFILE includes O_DIRECTORY (opendir's flag); this is the
 * kernel's bit alone. */
#define KERNEL_O_TMPFILE 020000000

static void allow(struct sio_decision *d)
{
    d->action = SIO_ALLOW;
}

static void deny(struct sio_decision *d, int err)
{
    d->action = SIO_DENY;
    d->deny_errno = err;
}

static void kill_for(struct sio_decision *d, int reason)
{
    d->action = SIO_KILL;
    d->kill_reason = reason;
}

/* Copy a NUL-terminated string from the tracee, never reading past the page
 * that holds its end. 0, -EFAULT, or -ENAMETOOLONG. */
static int read_tracee_string(pid_t pid, uint64_t addr, char *buf,
                              size_t size)
{
    size_t used = 0;
    const uint64_t page = 4096;
    while (used < size) {
        uint64_t at = addr + used;
        size_t chunk = (size_t)(page - at % page);
        if (chunk > size - used)
            chunk = size - used;
        struct iovec local = {buf + used, chunk};
        struct iovec remote = {(void *)(uintptr_t)at, chunk};
        ssize_t got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (got <= 0)
            return -EFAULT;
        if (memchr(buf + used, '\0', (size_t)got))
            return 0;
        used += (size_t)got;
    }
    return -ENAMETOOLONG;
}

int sio_path_is_local(const char *path, const char *local_root)
{
    const char *rest = path;
    if (path[0] == '/') {
        if (!local_root)
            return 0;
        size_t n = strlen(local_root);
        while (n > 1 && local_root[n - 1] == '/')
            n--;
        if (strncmp(path, local_root, n) != 0 ||
            (path[n] != '/' && path[n] != '\0'))
            return 0;
        rest = path + n;
    }
    /* Walk the components; any ".." could leave the directory. */
    const char *p = rest;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchrnul(p, '/');
        if (end - p == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p = end;
    }
    return 1;
}

struct path_call {
    int dirfd;
    uint64_t path_addr;
    int flags;          /* open flags (writes?) */
    int is_open;
    int empty_path_ok;  /* AT_EMPTY_PATH given: "" means the fd itself */
};

static int classify(const struct sio_syscall *sc, struct path_call *pc)
{
    memset(pc, 0, sizeof *pc);
    pc->dirfd = AT_FDCWD;
    const uint64_t *a = sc->args;
    switch (sc->nr) {
    case SYS_open:
        pc->path_addr = a[0], pc->flags = (int)a[1], pc->is_open = 1;
        return 0;
    case SYS_openat:
        pc->dirfd = (int)a[0], pc->path_addr = a[1], pc->flags = (int)a[2];
        pc->is_open = 1;
        return 0;
    case SYS_creat:
        pc->path_addr = a[0], pc->flags = O_CREAT | O_WRONLY | O_TRUNC;
        pc->is_open = 1;
        return 0;
    case SYS_stat:
    case SYS_lstat:
    case SYS_access:
        pc->path_addr = a[0];
        return 0;
    case SYS_newfstatat:
        pc->dirfd = (int)a[0], pc->path_addr = a[1];
        pc->empty_path_ok = ((int)a[3] & AT_EMPTY_PATH) != 0;
        return 0;
    case SYS_statx:
        pc->dirfd = (int)a[0], pc->path_addr = a[1];
        pc->empty_path_ok = ((int)a[2] & AT_EMPTY_PATH) != 0;
        return 0;
    case SYS_faccessat:
    case SYS_faccessat2:
        pc->dirfd = (int)a[0], pc->path_addr = a[1];
        return 0;
    default:
        return -1;  /* openat2 and anything unexpected */
    }
}

void sio_rule_file(pid_t pid, const struct sio_syscall *sc, int files_mode,
                   const char *local_root, struct sio_decision *d)
{
    struct path_call pc;
    char path[PATH_MAX];
    if (classify(sc, &pc) < 0) {
        if (files_mode == SIO_FILES_FORBID)
            kill_for(d, SIO_KILL_OPEN);
        else
            deny(d, ENOSYS);
        return;
    }
    int rc = read_tracee_string(pid, pc.path_addr, path, sizeof path);
    if (rc < 0) {
        deny(d, -rc);
        return;
    }
    /* fstat() is newfstatat(fd, "", AT_EMPTY_PATH): no path involved. */
    if (path[0] == '\0' && pc.empty_path_ok) {
        allow(d);
        return;
    }
    if (files_mode == SIO_FILES_FORBID) {
        kill_for(d, SIO_KILL_OPEN);
        return;
    }
    if (pc.is_open &&
        ((pc.flags & O_ACCMODE) != O_RDONLY ||
         (pc.flags & (O_CREAT | O_TRUNC | O_APPEND | KERNEL_O_TMPFILE)))) {
        deny(d, EPERM);
        return;
    }
    if (path[0] != '/' && pc.dirfd != AT_FDCWD) {
        deny(d, EACCES);
        return;
    }
    if (!sio_path_is_local(path, local_root)) {
        deny(d, EACCES);
        return;
    }
    allow(d);
}

static uint64_t page_align(uint64_t bytes)
{
    return (bytes + 4095) & ~(uint64_t)4095;
}

/* What a MAP_FIXED mapping adds: its length less what it replaces. Only
 * read from /proc when the whole length would not fit. */
static uint64_t fixed_map_growth(pid_t pid, const struct sio_memory_limits *lim,
                                 uint64_t addr, uint64_t len, uint64_t size_kib)
{
    if (size_kib + len / 1024 <= lim->mem_limit_kib)
        return len;
    uint64_t mapped;
    if (addr + len < addr ||
        sio_proc_mapped_bytes(lim->proc_dirfd, pid, addr, addr + len, &mapped) < 0)
        return len;
    return mapped < len ? len - mapped : 0;
}

/* Page-table memory (KiB) a mapping of [addr, addr + len) can make the
 * kernel hold once its pages are touched: a table page for each 2 MiB,
 * 1 GiB and 512 GiB block it reaches into. Mappings the kernel places lie
 * side by side, and their tables cost about a 512th of their size; but a
 * program that places one page a gigabyte apart makes the kernel hold two
 * table pages per page it maps, far beyond any address-space limit. */
uint64_t sio_table_bound_kib(uint64_t addr, uint64_t len)
{
    static const unsigned block_shifts[] = {21, 30, 39};
    if (!len || addr + len < addr)
        return 0;
    uint64_t last = addr + len - 1, kib = 0;
    for (size_t i = 0; i < sizeof block_shifts / sizeof *block_shifts; i++)
        kib += ((last >> block_shifts[i]) - (addr >> block_shifts[i]) + 1) * 4;
    return kib;
}

void sio_rule_memory(pid_t pid, const struct sio_syscall *sc,
                     const struct sio_memory_limits *lim,
                     struct sio_memory_state *st, uint64_t *peak_vm_kib,
                     struct sio_decision *d)
{
    const uint64_t *a = sc->args;
    uint64_t growth = 0, tables_kib = 0;
    int fixed = 0;
    switch (sc->nr) {
    case SYS_mmap:
        growth = page_align(a[1]);
        /* MAP_FIXED replaces what is there (MAP_FIXED_NOREPLACE fails
         * instead, so it grows by its whole length). */
        fixed = ((int)a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)) == MAP_FIXED;
        if (a[0])  /* placed by the program (a hint is honoured if free) */
            tables_kib = sio_table_bound_kib(a[0], growth);
        break;
    case SYS_mremap:
        if ((int)a[3] & MREMAP_DONTUNMAP)
            growth = page_align(a[2]);  /* the old mapping stays */
        else if (a[2] > a[1])
            growth = page_align(a[2]) - page_align(a[1]);
        if ((int)a[3] & MREMAP_FIXED)
            tables_kib = sio_table_bound_kib(a[4], page_align(a[2]));
        break;
    default:
        break;
    }
    if (!lim->mem_limit_kib) {
        /* Nothing to decide; the peak is read at the exit event. */
        allow(d);
        return;
    }
    /* The size now: what the program grew without a stop since the last
     * one (the break, small mappings, its stack) counts. A pread of statm,
     * kept open. */
    if (st->statm_fd < 0)
        st->statm_fd = sio_proc_open(lim->proc_dirfd, pid, "statm");
    uint64_t current_kib;
    if (st->statm_fd >= 0 && sio_proc_statm_size_kib(st->statm_fd, &current_kib) == 0) {
        st->size_kib = current_kib;
        if (current_kib > *peak_vm_kib)
            *peak_vm_kib = current_kib;
    }
    /* Page tables count once the program has placed mappings itself: what
     * it holds now (munmap may have freed some), read only when the bound
     * says the limit is near (a read of /proc/PID/status). */
    uint64_t held_kib;
    if ((st->tables_kib || tables_kib) &&
        st->size_kib + st->tables_kib + tables_kib + page_align(growth) / 1024 >
            lim->mem_limit_kib &&
        sio_proc_page_tables_kib(lim->proc_dirfd, pid, &held_kib) == 0)
        st->tables_kib = held_kib;
    if (fixed)
        growth = fixed_map_growth(pid, lim, a[0], growth, st->size_kib);
    const uint64_t growth_kib = page_align(growth) / 1024;
    uint64_t after_kib = st->size_kib + growth_kib;
    if (st->tables_kib + tables_kib &&
        after_kib + st->tables_kib + tables_kib > lim->mem_limit_kib) {
        /* Its pages fit, the tables the kernel would hold for them do not. */
        uint64_t shown = lim->mem_limit_kib + sio_as_margin_kib(lim->mem_limit_kib);
        if (shown > *peak_vm_kib)
            *peak_vm_kib = shown;
        kill_for(d, SIO_KILL_MEMORY);
        return;
    }
    st->tables_kib += tables_kib;
    if (after_kib > lim->mem_limit_kib) {
        /* Report the program as over its limit, not the size of whatever
         * it asked for (a 1 TiB reservation is not 1 TiB used). */
        uint64_t shown = lim->mem_limit_kib + sio_as_margin_kib(lim->mem_limit_kib);
        if (after_kib < shown)
            shown = after_kib;
        if (shown > *peak_vm_kib)
            *peak_vm_kib = shown;
        kill_for(d, SIO_KILL_MEMORY);
        return;
    }
    st->size_kib = after_kib;
    allow(d);
}

void sio_rule_fd_flags(pid_t pid, const struct sio_syscall *sc, int proc_dirfd,
                       struct sio_decision *d)
{
    int fd = (int)sc->args[0];
    /* fcntl(fd, F_SETFL, flags) may keep O_APPEND; ftruncate never does. */
    int keeps_append = sc->nr == SYS_fcntl && ((int)sc->args[2] & O_APPEND);
    int current;
    if (keeps_append ||
        sio_proc_fd_flags(proc_dirfd, pid, fd, &current) < 0 ||
        !(current & O_APPEND)) {
        /* Unreadable: a bad descriptor, which the call itself reports. */
        allow(d);
        return;
    }
    deny(d, EPERM);
}

void sio_rule_signal(pid_t pid, const struct sio_syscall *sc,
                     struct sio_decision *d)
{
    pid_t target = (pid_t)sc->args[0];
    switch (sc->nr) {
    case SYS_kill:
    case SYS_tkill:
    case SYS_tgkill:
    case SYS_rt_sigqueueinfo:
    case SYS_rt_tgsigqueueinfo:
        if (target == pid) {
            allow(d);
            return;
        }
        break;
    default:
        break;
    }
    kill_for(d, SIO_KILL_SYSCALL);
}
