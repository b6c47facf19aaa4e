/*
 * supervisor_main.c - exec-sandbox's bin/supervisor: one statically linked
 * program under ptrace + seccomp, as SupervisedExecutor runs it.
 *
 *   MEM_LIMIT=KiB TIME_LIMIT=ms [HARD_LIMIT=ms] [OUT_LIMIT=bytes] \
 *       supervisor [-f FD] [-a] [--] program [args] < in > out
 *
 * -a lets the program open files for reading inside its working directory.
 * The report goes to FD (default 3):
 *   CODE EXIT_STATUS TIME_MS 0 MEM_KIB SYSCALLS
 *   result string
 * Exit status 0 when the program was supervised (whatever its verdict),
 * 1 for bad arguments, 2 when supervision failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine/confine.h"
#include "core/seccomp_policy.h"
#include "core/supervisor.h"
#include "confine/uidpool.h"
#include "core/verdict.h"

extern char **environ;

static int env_limit(const char *name, uint64_t fallback, uint64_t *out)
{
    const char *text = getenv(name);
    if (!text || !*text) {
        *out = fallback;
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end) {
        fprintf(stderr, "supervisor: bad %s: %s\n", name, text);
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    int report_fd = 3, local_open = 0, i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (!strcmp(argv[i], "-a")) {
            local_open = 1;
        } else if (!strcmp(argv[i], "-f") && i + 1 < argc) {
            report_fd = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: supervisor [-f FD] [-a] [--] program [args]\n");
            return 1;
        }
    }
    if (i >= argc) {
        fprintf(stderr, "supervisor: no program given\n");
        return 1;
    }
    if (fcntl(report_fd, F_GETFD) < 0) {
        fprintf(stderr, "supervisor: report descriptor %d is not open\n", report_fd);
        return 1;
    }
    uint64_t mem, time, hard, out;
    if (env_limit("MEM_LIMIT", 64 * 1024, &mem) < 0 ||
        env_limit("TIME_LIMIT", 30000, &time) < 0 ||
        env_limit("HARD_LIMIT", sio_default_real_time_ms(time), &hard) < 0 ||
        env_limit("OUT_LIMIT", 50 * 1024 * 1024, &out) < 0)
        return 1;
    char err[256], cwd[PATH_MAX];
    const struct sock_fprog *filter = sio_policy_get(
        SIO_POLICY_STATIC, SIO_PF_TRACE_FILES | SIO_PF_TRACE_MEMORY, err, sizeof err);
    if (!filter || !getcwd(cwd, sizeof cwd)) {
        fprintf(stderr, "supervisor: %s\n", filter ? strerror(errno) : err);
        return 2;
    }
    char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=en_US.UTF-8", NULL};
    struct sio_spec spec = {
        .path = argv[i], .argv = argv + i, .envp = envp, .cwd = NULL,
        .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = -1,
        .mem_limit_kib = mem, .time_limit_ms = time, .real_time_limit_ms = hard,
        .output_limit_bytes = out, .trace = 1, .filter = filter,
        .files_mode = local_open ? SIO_FILES_LOCAL_READONLY : SIO_FILES_FORBID,
        .local_root = cwd, .proc_dirfd = -1, .single_threaded = 1,
    };
    /* As root, the program runs as a uid/gid of its own (uidpool.h), in
     * its memory cgroup, lent the directory when it may read there. */
    spec.confine_quotas = 1;
    spec.max_open_files = 64;
    spec.max_processes = 1;
    struct sio_confinement confinement = {
        .lease_ids = 1, .ids = {(uid_t)-1, (gid_t)-1, -1},
        .lend_bits = local_open ? S_IRGRP | S_IXGRP : 0, .memcg = 1,
    };
    spec.cwd = cwd;
    struct sio_result res;
    int rc = sio_supervise_confined(&spec, &confinement, &res);
    if (rc < 0) {
        fprintf(stderr, "supervisor: %s\n", res.detail);
        return 2;
    }
    struct sio_verdict_input in = {mem, time, res.cpu_us / 1000, 0};
    struct sio_verdict v;
    sio_decide_verdict(&res, &in, &v);
    int status = res.exited ? res.exit_code : res.signaled ? 128 + res.term_signal : 0;
    dprintf(report_fd, "%s %d %" PRIu64 " 0 %" PRIu64 " %" PRIu64 "\n%s\n",
            sio_code_name(v.code), status, res.cpu_us / 1000, res.peak_vm_kib,
            res.syscalls, v.text);
    return 0;
}
