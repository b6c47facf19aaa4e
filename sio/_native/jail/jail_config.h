/*
 * jail_config.h - the sio2jail command line (compatible with sio2jail 1.4
 * for everything Sio2JailExecutor uses).
 *
 *   sio2jail [options] [--] program [args]
 */
#ifndef SIO_JAIL_CONFIG_H
#define SIO_JAIL_CONFIG_H

#include <stddef.h>
#include <stdint.h>

enum jail_format { JAIL_OIAUG = 0, JAIL_OIREAL, JAIL_OITIME, JAIL_HUMAN };

struct jail_bind {
    const char *outside;
    const char *inside;
    int read_only;
};

struct jail_config {
    int results_fd;              /* -f; default 2 */
    int pass_stderr;             /* -s */
    int format;                  /* -o */
    struct jail_bind *binds;     /* -b, in order */
    size_t nbinds;
    int default_binds;           /* cleared by -B */
    uint64_t memory_limit_kib;   /* -m / --memory-limit; 0: none */
    uint64_t cgroup_memory_kib;  /* --cgroup-memory-limit: memory cgroup only */
    uint64_t instruction_limit;  /* --instruction-count-limit; 0: none */
    uint64_t rtime_limit_us;     /* --rtimelimit */
    uint64_t utime_limit_us;     /* --utimelimit */
    uint64_t stime_limit_us;     /* --stimelimit */
    uint64_t ustime_limit_us;    /* --ustimelimit */
    uint64_t output_limit_bytes; /* --output-limit */
    int perf;                    /* --perf on|off */
    int seccomp;                 /* --seccomp on|off */
    int policy;                  /* -p: enum sio_policy */
    int fake_time;               /* --fake-time: enum sio_fake_time */
    int ns_user, ns_mount, ns_pid, ns_net, ns_ipc, ns_uts;
    int procfs;                  /* --procfs: a procfs at /proc inside */
    int capability_drop;         /* --capability-drop: accepted; capabilities
                                    are always dropped */
    int ptrace;                  /* --ptrace: accepted on; supervision needs it */
    const char *log_path;        /* -l/--log: a line per run ("-": stderr) */
    int net_fd;                  /* --net-namespace-fd: an empty network
                                    namespace to join instead of making
                                    one (netns.h); -1: none */
    int *pass_fds;               /* --pass-fd: descriptors the program keeps */
    size_t npass_fds;
    const char *workdir;         /* -c: working directory inside; "/" */
    char **argv;                 /* the program and its arguments */
    long long run_uid, run_gid;  /* --uid/--gid: the program's ids when the
                                    jail runs as root; -1: leased from the
                                    pool (uidpool.h) */
    int show_config;             /* --show-config: print this, run nothing */
    int check;                   /* --check: test the machine */
    int help, version;
};

/* Largest limits accepted: beyond them the arithmetic of the limits
 * (address space = limit + margin, times in ns) could wrap. */
#define JAIL_MAX_MEMORY_KIB (1ULL << 40)     /* 1 PiB */
#define JAIL_MAX_TIME_US (1ULL << 50)        /* about 35 years */
#define JAIL_MAX_COUNT (1ULL << 62)

/* Parse argv into cfg (allocates cfg->binds). 0, or -1 with a one-line
 * message in err naming the bad option or value. */
int jail_parse_args(int argc, char **argv, struct jail_config *cfg,
                    char *err, size_t errlen);

void jail_free_config(struct jail_config *cfg);

/* Value parsers, exposed for the configuration dump and tests.
 * Sizes: N[b|k|m|g] (KiB when no unit). Counts: N[k|m|g] (powers of 1000).
 * Times: N[u|ms|s|m|h|d] (microseconds when no unit). 0 or -1. */
int jail_parse_size_bytes(const char *text, uint64_t *bytes);
int jail_parse_count(const char *text, uint64_t *count);
int jail_parse_time_us(const char *text, uint64_t *us);

/* The configuration as "key=value" lines (--show-config). */
void jail_print_config(const struct jail_config *cfg, int fd);

extern const char jail_usage[];

#endif
