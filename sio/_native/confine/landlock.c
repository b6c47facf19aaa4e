/*
 * landlock.c - see landlock.h.
 */
#define _GNU_SOURCE
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#endif

/* The kernel's ABI, spelled out here: the build machine's headers may be
 * older than the kernel that runs it. */
struct ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;  /* ABI 4 */
    uint64_t scoped;              /* ABI 6 */
};

struct path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

#define RULE_PATH_BENEATH 1
#define CREATE_RULESET_VERSION (1U << 0)

#define FS_WRITE_FILE (1ULL << 1)
#define FS_REMOVE_DIR (1ULL << 4)
#define FS_REMOVE_FILE (1ULL << 5)
#define FS_MAKE_CHAR (1ULL << 6)
#define FS_MAKE_DIR (1ULL << 7)
#define FS_MAKE_REG (1ULL << 8)
#define FS_MAKE_SOCK (1ULL << 9)
#define FS_MAKE_FIFO (1ULL << 10)
#define FS_MAKE_BLOCK (1ULL << 11)
#define FS_MAKE_SYM (1ULL << 12)
#define FS_REFER (1ULL << 13)     /* ABI 2 */
#define FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)  /* ABI 6 */
#define SCOPE_SIGNAL (1ULL << 1)

/* Writable by everyone, holding nothing, and needed (shells redirect to
 * /dev/null with O_TRUNC). */
static const char *const harmless_devices[] = {
    "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
};

static pthread_once_t abi_once = PTHREAD_ONCE_INIT;
static int abi;

static void probe_abi(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, CREATE_RULESET_VERSION);
    abi = v > 0 ? (int)v : 0;
}

int sio_landlock_abi(void)
{
    pthread_once(&abi_once, probe_abi);
    return abi;
}

static int add_rule(int ruleset, int fd, const char *path, uint64_t access, char *err,
                    size_t errlen)
{
    struct path_beneath_attr rule = {.allowed_access = access, .parent_fd = fd};
    if (syscall(SYS_landlock_add_rule, ruleset, RULE_PATH_BENEATH, &rule, 0) < 0) {
        snprintf(err, errlen, "landlock: cannot allow writing to %s: %s", path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* The devices' O_PATH descriptors, opened once (-1: not on this host):
 * every run's ruleset names them. */
#define NDEVICES (sizeof harmless_devices / sizeof *harmless_devices)
static pthread_once_t devices_once = PTHREAD_ONCE_INIT;
static int device_fds[NDEVICES];

static void open_devices(void)
{
    for (size_t i = 0; i < NDEVICES; i++)
        device_fds[i] = open(harmless_devices[i], O_PATH | O_CLOEXEC);
}

size_t sio_landlock_kept(int *fds, size_t max)
{
    size_t n = 0;
    if (sio_landlock_abi() < 1)
        return 0;
    pthread_once(&devices_once, open_devices);
    for (size_t i = 0; i < NDEVICES && n < max; i++)
        if (device_fds[i] >= 0)
            fds[n++] = device_fds[i];
    return n;
}

int sio_landlock_for_dir(const char *dir, char *err, size_t errlen)
{
    int v = sio_landlock_abi();
    if (v < 1)
        return -2;
    uint64_t file_rights = FS_WRITE_FILE | (v >= 3 ? FS_TRUNCATE : 0);
    uint64_t handled = file_rights | FS_REMOVE_DIR | FS_REMOVE_FILE | FS_MAKE_CHAR |
                       FS_MAKE_DIR | FS_MAKE_REG | FS_MAKE_SOCK | FS_MAKE_FIFO |
                       FS_MAKE_BLOCK | FS_MAKE_SYM | (v >= 2 ? FS_REFER : 0);
    struct ruleset_attr attr = {.handled_access_fs = handled};
    size_t size = sizeof attr.handled_access_fs;
    if (v >= 6) {
        attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL;
        size = sizeof attr;
    }
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
    if (ruleset < 0) {
        snprintf(err, errlen, "landlock: cannot create a ruleset: %s", strerror(errno));
        return -1;
    }
    int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        snprintf(err, errlen, "landlock: cannot open %s: %s", dir, strerror(errno));
        goto fail;
    }
    /* Device nodes need a capability the program has not got anyway. */
    int rc = add_rule(ruleset, dirfd, dir, handled & ~(FS_MAKE_CHAR | FS_MAKE_BLOCK), err,
                      errlen);
    close(dirfd);
    if (rc < 0)
        goto fail;
    pthread_once(&devices_once, open_devices);
    for (size_t i = 0; i < NDEVICES; i++)
        if (device_fds[i] >= 0 && add_rule(ruleset, device_fds[i], harmless_devices[i],
                                           file_rights, err, errlen) < 0)
            goto fail;
    return ruleset;
fail:
    close(ruleset);
    return -1;
}
