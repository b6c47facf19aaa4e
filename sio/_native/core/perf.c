/*
 * perf.c - instruction counting with perf_event_open. See perf.h.
 */
#define _GNU_SOURCE
#include "perf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const instruction_pmus[] = {"cpu", "cpu_core", "cpu_atom"};

static int read_type(const char *dir, uint32_t *type)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/type", dir);
    if (n < 0 || (size_t)n >= sizeof path)
        return -1;
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    unsigned long value;
    int ok = fscanf(f, "%lu", &value) == 1 && value <= UINT32_MAX;
    fclose(f);
    if (!ok)
        return -1;
    *type = (uint32_t)value;
    return 0;
}

int sio_pmu_discover(const char *sysfs_root, struct sio_pmu *pmus, int max)
{
    char base[4096];
    int n = snprintf(base, sizeof base, "%s/bus/event_source/devices",
                     sysfs_root ? sysfs_root : "/sys");
    if (n < 0 || (size_t)n >= sizeof base)
        return 0;
    int found = 0;
    int have_hybrid = 0;
    /* A hybrid system lists cpu_core and cpu_atom and no plain cpu. */
    for (size_t i = 0; i < sizeof instruction_pmus / sizeof *instruction_pmus; i++) {
        char dir[4096 + 64];
        snprintf(dir, sizeof dir, "%s/%s", base, instruction_pmus[i]);
        uint32_t type;
        if (found >= max || read_type(dir, &type) < 0)
            continue;
        if (i == 0 && have_hybrid)
            continue;
        snprintf(pmus[found].name, sizeof pmus[found].name, "%s",
                 instruction_pmus[i]);
        pmus[found].type = type;
        found++;
        if (i > 0)
            have_hybrid = 1;
    }
    /* Plain "cpu" next to hybrid ones would count twice: keep hybrids. */
    if (have_hybrid && found && !strcmp(pmus[0].name, "cpu")) {
        memmove(&pmus[0], &pmus[1], (size_t)(found - 1) * sizeof *pmus);
        found--;
    }
    return found;
}

static long perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu,
                            int group, unsigned long flags)
{
    return syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);
}

static void explain(int err, char *msg, size_t len)
{
    if (err == EACCES || err == EPERM) {
        int paranoid = -1;
        FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "re");
        if (f) {
            if (fscanf(f, "%d", &paranoid) != 1)
                paranoid = -1;
            fclose(f);
        }
        snprintf(msg, len,
                 "perf_event_open: %s (kernel.perf_event_paranoid is %d; "
                 "set it to 2 or less: sysctl kernel.perf_event_paranoid=2)",
                 strerror(err), paranoid);
    } else if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV) {
        snprintf(msg, len,
                 "perf_event_open: %s (no hardware counter for instructions: "
                 "PMU not available, e.g. virtualization without PMU "
                 "passthrough)",
                 strerror(err));
    } else {
        snprintf(msg, len, "perf_event_open: %s", strerror(err));
    }
}

static void fill_attr(struct perf_event_attr *attr, const struct sio_pmu *pmu,
                      int npmus, uint64_t period)
{
    memset(attr, 0, sizeof *attr);
    attr->size = sizeof *attr;
    if (npmus > 1) {
        /* Hybrid: the generic event on a given PMU (extended type). */
        attr->type = PERF_TYPE_HARDWARE;
        attr->config = ((uint64_t)pmu->type << 32) | PERF_COUNT_HW_INSTRUCTIONS;
    } else {
        attr->type = PERF_TYPE_HARDWARE;
        attr->config = PERF_COUNT_HW_INSTRUCTIONS;
    }
    attr->disabled = 1;
    attr->enable_on_exec = 1;
    attr->inherit = 1;
    attr->exclude_kernel = 1;
    attr->exclude_hv = 1;
    attr->exclude_idle = 1;
    if (period) {
        attr->sample_period = period;
        attr->wakeup_events = 1;
    }
}

int sio_perf_open(struct sio_perf *perf, const struct sio_pmu *pmus, int npmus,
                  pid_t child, uint64_t limit, int signo, pid_t notify_tid,
                  char *err, size_t errlen)
{
    memset(perf, 0, sizeof *perf);
    perf->limit = limit;
    if (npmus <= 0) {
        explain(ENOENT, err, errlen);
        return -1;
    }
    for (int i = 0; i < npmus && i < SIO_PERF_MAX_PMUS; i++) {
        struct perf_event_attr attr;
        /* With several PMUs the limit is checked on their sum by the
         * watchdog; a single PMU can interrupt exactly at the limit. */
        fill_attr(&attr, &pmus[i], npmus, npmus == 1 ? limit : 0);
        long fd = perf_event_open(&attr, child, -1, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            explain(errno, err, errlen);
            sio_perf_close(perf);
            return -1;
        }
        perf->fds[perf->nfds++] = (int)fd;
        if (npmus == 1 && limit) {
            struct f_owner_ex owner = {F_OWNER_TID, notify_tid};
            if (fcntl((int)fd, F_SETOWN_EX, &owner) < 0 ||
                fcntl((int)fd, F_SETSIG, signo) < 0 ||
                fcntl((int)fd, F_SETFL, fcntl((int)fd, F_GETFL) | O_ASYNC) < 0) {
                snprintf(err, errlen, "perf overflow signal: %s", strerror(errno));
                sio_perf_close(perf);
                return -1;
            }
        }
    }
    return 0;
}

int sio_perf_read(const struct sio_perf *perf, uint64_t *instructions)
{
    uint64_t total = 0;
    for (int i = 0; i < perf->nfds; i++) {
        uint64_t value;
        ssize_t got = read(perf->fds[i], &value, sizeof value);
        if (got != (ssize_t)sizeof value)
            return -1;
        total += value;
    }
    *instructions = total;
    return 0;
}

void sio_perf_close(struct sio_perf *perf)
{
    for (int i = 0; i < perf->nfds; i++)
        close(perf->fds[i]);
    perf->nfds = 0;
}

uint64_t sio_instructions_to_ms(uint64_t instructions)
{
    return instructions / SIO_INSTRUCTIONS_PER_MS;
}

uint64_t sio_ms_to_instructions(uint64_t ms)
{
    if (ms > UINT64_MAX / SIO_INSTRUCTIONS_PER_MS)
        return UINT64_MAX;
    return ms * SIO_INSTRUCTIONS_PER_MS;
}

int sio_perf_probe(char *err, size_t errlen)
{
    struct sio_pmu pmus[SIO_PERF_MAX_PMUS];
    int n = sio_pmu_discover("/sys", pmus, SIO_PERF_MAX_PMUS);
    if (n == 0) {
        explain(ENOENT, err, errlen);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct perf_event_attr attr;
        fill_attr(&attr, &pmus[i], n, 0);
        attr.enable_on_exec = 0;
        attr.disabled = 0;
        long fd = perf_event_open(&attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd < 0) {
            explain(errno, err, errlen);
            return -1;
        }
        uint64_t value = 0;
        volatile unsigned spin = 0;
        for (int k = 0; k < 100000; k++)
            spin += (unsigned)k;
        ssize_t got = read((int)fd, &value, sizeof value);
        close((int)fd);
        if (got != (ssize_t)sizeof value || value == 0) {
            snprintf(err, errlen, "the %s PMU counts no instructions "
                     "(a virtual PMU without passthrough?)", pmus[i].name);
            return -1;
        }
    }
    return 0;
}
