/*
 * jail_config.c - parsing the sio2jail command line. See jail_config.h.
 */
#define _GNU_SOURCE
#include "jail_config.h"
#include "core/seccomp_policy.h"
#include "core/supervisor.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char jail_usage[] =
    "usage: sio2jail [options] [--] program [args]\n"
    "\n"
    "Runs a program in user, mount, pid, net, ipc and uts namespaces under a\n"
    "seccomp policy, with limits, and reports how it went.\n"
    "\n"
    "  -f, --resultsfd FD          write the report to FD (default 2)\n"
    "  -o, --output FORMAT         oiaug (default), oireal, oitime|oitt, human\n"
    "  -s, --stderr                let the program write to stderr\n"
    "  -b, --bind OUT:IN[:ro|rw]   bind OUT at IN (repeatable; ro by default);\n"
    "                              OUT:/ makes OUT the root, else it is empty\n"
    "  -B, --no-default-binds      do not bind the program at /exe\n"
    "  -c, --chdir DIR             working directory inside (default /)\n"
    "  -m, --memory-limit N[b|k|m|g]        address space (KiB by default)\n"
    "      --cgroup-memory-limit N[b|k|m|g] memory the run may hold (a memory\n"
    "                              cgroup; no address-space limit), e.g. for a JVM\n"
    "      --instruction-count-limit N[k|m|g]\n"
    "      --rtimelimit T          real time; T is N[u|ms|s|m|h|d] (us default)\n"
    "      --utimelimit T          CPU time: user + system, as the scheduler\n"
    "                              counts it (not tick-sampled user time)\n"
    "      --stimelimit T          system CPU time (clock ticks)\n"
    "      --ustimelimit T         CPU time, as --utimelimit\n"
    "      --output-limit N[b|k|m|g]        largest file written (KiB default)\n"
    "      --perf on|off           count instructions (default on)\n"
    "      --seccomp on|off        syscall policy (default on)\n"
    "  -p, --policy NAME           default (static programs) or permissive\n"
    "      --fake-time off|random|zero   the program reads no clock: clock\n"
    "                              syscalls fail (EPERM), RDTSC/RDTSCP give\n"
    "                              random numbers or 0 (default off)\n"
    "      --user-namespace, --mount-namespace, --pid-namespace,\n"
    "      --net-namespace, --ipc-namespace, --uts-namespace on|off\n"
    "      --check                 test what this machine supports and exit\n"
    "      --show-config           print the parsed configuration and exit\n"
    "      --uid N, --gid N        the program's ids when run as root (default:\n"
    "                              a pair of its own from SIO_RUN_UIDS)\n"
    "      --procfs on|off         mount a procfs at /proc (default off)\n"
    "      --capability-drop on|off, --ptrace on   accepted as stock sio2jail\n"
    "                              takes them (capabilities are always dropped)\n"
    "  -l, --log PATH              a line per run to PATH (- for stderr)\n"
    "      --pass-fd N             the program keeps descriptor N (repeatable)\n"
    "      --net-namespace-fd N    join the empty network namespace open at N\n"
    "                              instead of making one (saves a millisecond;\n"
    "                              needs root; sioworkers keeps one per uid)\n"
    "  -h, --help                  this text\n"
    "  -v, --version               the version\n"
    "\n"
    "Exit status: 0 when the program was supervised to the end (whatever\n"
    "its verdict), 1 for bad arguments, 2 when the jail could not be set up.\n";

enum long_only {
    OPT_INSTRUCTIONS = 1000, OPT_RTIME, OPT_UTIME, OPT_STIME, OPT_USTIME,
    OPT_OUTPUT_LIMIT, OPT_PERF, OPT_SECCOMP, OPT_NS_USER, OPT_NS_MOUNT,
    OPT_NS_PID, OPT_NS_NET, OPT_NS_IPC, OPT_NS_UTS, OPT_CHECK, OPT_SHOW,
    OPT_UID, OPT_GID, OPT_PROCFS, OPT_CAPABILITY_DROP, OPT_PTRACE, OPT_PASS_FD,
    OPT_CGROUP_MEMORY, OPT_NET_FD, OPT_FAKE_TIME,
};

static const struct option long_options[] = {
    {"resultsfd", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'},
    {"stderr", no_argument, NULL, 's'},
    {"bind", required_argument, NULL, 'b'},
    {"no-default-binds", no_argument, NULL, 'B'},
    {"chdir", required_argument, NULL, 'c'},
    {"memory-limit", required_argument, NULL, 'm'},
    {"cgroup-memory-limit", required_argument, NULL, OPT_CGROUP_MEMORY},
    {"instruction-count-limit", required_argument, NULL, OPT_INSTRUCTIONS},
    {"rtimelimit", required_argument, NULL, OPT_RTIME},
    {"utimelimit", required_argument, NULL, OPT_UTIME},
    {"stimelimit", required_argument, NULL, OPT_STIME},
    {"ustimelimit", required_argument, NULL, OPT_USTIME},
    {"output-limit", required_argument, NULL, OPT_OUTPUT_LIMIT},
    {"perf", required_argument, NULL, OPT_PERF},
    {"seccomp", required_argument, NULL, OPT_SECCOMP},
    {"policy", required_argument, NULL, 'p'},
    {"fake-time", required_argument, NULL, OPT_FAKE_TIME},
    {"user-namespace", required_argument, NULL, OPT_NS_USER},
    {"mount-namespace", required_argument, NULL, OPT_NS_MOUNT},
    {"pid-namespace", required_argument, NULL, OPT_NS_PID},
    {"net-namespace", required_argument, NULL, OPT_NS_NET},
    {"ipc-namespace", required_argument, NULL, OPT_NS_IPC},
    {"uts-namespace", required_argument, NULL, OPT_NS_UTS},
    {"procfs", required_argument, NULL, OPT_PROCFS},
    {"capability-drop", required_argument, NULL, OPT_CAPABILITY_DROP},
    {"ptrace", required_argument, NULL, OPT_PTRACE},
    {"log", required_argument, NULL, 'l'},
    {"pass-fd", required_argument, NULL, OPT_PASS_FD},
    {"net-namespace-fd", required_argument, NULL, OPT_NET_FD},
    {"uid", required_argument, NULL, OPT_UID},
    {"gid", required_argument, NULL, OPT_GID},
    {"check", no_argument, NULL, OPT_CHECK},
    {"show-config", no_argument, NULL, OPT_SHOW},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

static int fail(char *err, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, len, fmt, ap);
    va_end(ap);
    return -1;
}

/* A memory size option (KiB by default) into *kib, within the jail's range. */
static int parse_memory_kib(const char *arg, const char *option, uint64_t *kib,
                            char *err, size_t errlen)
{
    uint64_t bytes;
    if (jail_parse_size_bytes(arg, &bytes) < 0)
        return fail(err, errlen, "bad %s value: %s", option, arg);
    if (bytes / 1024 > JAIL_MAX_MEMORY_KIB)
        return fail(err, errlen, "%s %s is too large (at most %llug)", option, arg,
                    (unsigned long long)(JAIL_MAX_MEMORY_KIB >> 20));
    *kib = (bytes + 1023) / 1024;
    return 0;
}

/* A decimal number and what follows it. */
static int parse_number(const char *text, uint64_t *value, const char **unit)
{
    if (!text || !isdigit((unsigned char)text[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno)
        return -1;
    *value = v;
    *unit = end;
    return 0;
}

static int scale(uint64_t value, uint64_t factor, uint64_t *out)
{
    if (factor && value > UINT64_MAX / factor)
        return -1;
    *out = value * factor;
    return 0;
}

/* A unit a number may end with, and what it multiplies it by. */
struct unit {
    const char *name;  /* "": no unit */
    uint64_t factor;
};

/* A number ending in one of the units (matched ignoring case or not). */
static int parse_with_units(const char *text, const struct unit *units, int ignore_case,
                            uint64_t *out)
{
    uint64_t v;
    const char *unit;
    if (parse_number(text, &v, &unit) < 0)
        return -1;
    for (const struct unit *u = units; u->name; u++)
        if (ignore_case ? !strcasecmp(unit, u->name) : !strcmp(unit, u->name))
            return scale(v, u->factor, out);
    return -1;
}

static const struct unit size_units[] = {
    {"", 1024}, {"k", 1024}, {"b", 1}, {"m", 1024 * 1024}, {"g", 1024ULL * 1024 * 1024},
    {NULL, 0},
};
static const struct unit count_units[] = {
    {"", 1}, {"k", 1000}, {"m", 1000000}, {"g", 1000000000}, {NULL, 0},
};
static const struct unit time_units[] = {
    {"", 1}, {"u", 1}, {"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60ULL * 1000000},
    {"h", 3600ULL * 1000000}, {"d", 86400ULL * 1000000}, {NULL, 0},
};

int jail_parse_size_bytes(const char *text, uint64_t *bytes)
{
    return parse_with_units(text, size_units, 1, bytes);
}

int jail_parse_count(const char *text, uint64_t *count)
{
    return parse_with_units(text, count_units, 1, count);
}

int jail_parse_time_us(const char *text, uint64_t *us)
{
    return parse_with_units(text, time_units, 0, us);
}

/* The option as the user would name it: "--seccomp", "-m". */
static const char *option_name(int opt, int longindex, char *buf, size_t len)
{
    if (longindex >= 0)
        snprintf(buf, len, "--%s", long_options[longindex].name);
    else
        snprintf(buf, len, "-%c", opt);
    return buf;
}

static int parse_id(const char *text, long long *out)
{
    char *end;
    if (!text || !isdigit((unsigned char)text[0]))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    /* 0 is root, 2^32-1 means "unchanged" to setresuid. */
    if (errno || *end || v == 0 || v >= 0xffffffffULL)
        return -1;
    *out = (long long)v;
    return 0;
}

static int parse_switch(const char *text, int *out)
{
    if (!strcmp(text, "on") || !strcmp(text, "yes") || !strcmp(text, "true") ||
        !strcmp(text, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(text, "off") || !strcmp(text, "no") || !strcmp(text, "false") ||
        !strcmp(text, "0")) {
        *out = 0;
        return 0;
    }
    return -1;
}

static int parse_bind(char *spec, struct jail_bind *bind)
{
    /* OUT:IN[:ro|rw]; OUT may not contain ':' (as in sio2jail). */
    char *first = strchr(spec, ':');
    if (!first || first == spec || !first[1])
        return -1;
    *first = '\0';
    bind->outside = spec;
    bind->inside = first + 1;
    bind->read_only = 1;
    char *second = strchr(first + 1, ':');
    if (second) {
        *second = '\0';
        /* MODE[,dev]: device files cannot work in a user namespace's mounts
         * anyway, so "dev" is accepted and changes nothing. */
        char *mode = second + 1;
        char *flag = strchr(mode, ',');
        if (flag) {
            *flag++ = '\0';
            if (strcmp(flag, "dev") != 0)
                return -1;
        }
        if (!strcmp(mode, "ro"))
            bind->read_only = 1;
        else if (!strcmp(mode, "rw"))
            bind->read_only = 0;
        else
            return -1;
    }
    return bind->inside[0] == '/' ? 0 : -1;
}

int jail_parse_args(int argc, char **argv, struct jail_config *cfg, char *err,
                    size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->results_fd = 2;
    cfg->format = JAIL_OIAUG;
    cfg->default_binds = 1;
    cfg->perf = 1;
    cfg->seccomp = 1;
    cfg->policy = SIO_POLICY_STATIC;
    cfg->ns_user = cfg->ns_mount = cfg->ns_pid = cfg->ns_net = 1;
    cfg->ns_ipc = cfg->ns_uts = 1;
    cfg->capability_drop = cfg->ptrace = 1;
    cfg->workdir = "/";
    cfg->binds = calloc((size_t)argc + 1, sizeof *cfg->binds);
    cfg->pass_fds = calloc((size_t)argc + 1, sizeof *cfg->pass_fds);
    if (!cfg->binds || !cfg->pass_fds)
        return fail(err, errlen, "out of memory");

    optind = 0;  /* reset getopt (also for repeated parses in tests) */
    opterr = 0;
    int opt;
    /* '+': options end at the program name, its own options are its own. */
    cfg->run_uid = cfg->run_gid = -1;
    cfg->net_fd = -1;
    int longindex = -1;
    char name[48];
    while ((opt = getopt_long(argc, argv, "+:f:o:sb:Bc:m:p:l:hv", long_options,
                              &longindex)) != -1) {
        const char *arg = optarg;
        int *target = NULL;
        uint64_t *us_target = NULL;
        option_name(opt, longindex, name, sizeof name);
        longindex = -1;
        switch (opt) {
        case 'f': {
            char *end;
            errno = 0;
            long fd = strtol(arg, &end, 10);
            if (errno || *end || fd < 0 || fd > 65535)
                return fail(err, errlen, "bad --resultsfd value: %s", arg);
            cfg->results_fd = (int)fd;
            break;
        }
        case 'o':
            if (!strcmp(arg, "oiaug"))
                cfg->format = JAIL_OIAUG;
            else if (!strcmp(arg, "oireal"))
                cfg->format = JAIL_OIREAL;
            else if (!strcmp(arg, "oitime") || !strcmp(arg, "oitt"))
                cfg->format = JAIL_OITIME;
            else if (!strcmp(arg, "human"))
                cfg->format = JAIL_HUMAN;
            else
                return fail(err, errlen, "unknown --output format: %s", arg);
            break;
        case 's':
            cfg->pass_stderr = 1;
            break;
        case 'b': {
            char shown[256];
            snprintf(shown, sizeof shown, "%s", arg);  /* parsing cuts it */
            if (parse_bind(optarg, &cfg->binds[cfg->nbinds]) < 0)
                return fail(err, errlen,
                            "bad --bind value (OUT:/IN[:ro|rw] expected, IN "
                            "absolute): %s", shown);
            cfg->nbinds++;
            break;
        }
        case 'B':
            cfg->default_binds = 0;
            break;
        case 'c':
            if (arg[0] != '/')
                return fail(err, errlen, "--chdir needs an absolute path: %s", arg);
            cfg->workdir = arg;
            break;
        case 'm':
            if (parse_memory_kib(arg, "--memory-limit", &cfg->memory_limit_kib,
                                 err, errlen) < 0)
                return -1;
            break;
        case OPT_CGROUP_MEMORY:
            if (parse_memory_kib(arg, "--cgroup-memory-limit", &cfg->cgroup_memory_kib,
                                 err, errlen) < 0)
                return -1;
            break;
        case OPT_INSTRUCTIONS:
            if (jail_parse_count(arg, &cfg->instruction_limit) < 0 ||
                cfg->instruction_limit > JAIL_MAX_COUNT)
                return fail(err, errlen, "bad --instruction-count-limit value: %s",
                            arg);
            break;
        case OPT_UID:
        case OPT_GID:
            if (parse_id(arg, opt == OPT_UID ? &cfg->run_uid : &cfg->run_gid) < 0)
                return fail(err, errlen, "bad %s value (a non-root id): %s", name,
                            arg);
            break;
        case OPT_RTIME:
            us_target = &cfg->rtime_limit_us;
            break;
        case OPT_UTIME:
            us_target = &cfg->utime_limit_us;
            break;
        case OPT_STIME:
            us_target = &cfg->stime_limit_us;
            break;
        case OPT_USTIME:
            us_target = &cfg->ustime_limit_us;
            break;
        case OPT_OUTPUT_LIMIT:
            if (jail_parse_size_bytes(arg, &cfg->output_limit_bytes) < 0 ||
                cfg->output_limit_bytes > JAIL_MAX_COUNT)
                return fail(err, errlen, "bad --output-limit value: %s", arg);
            break;
        case OPT_PERF:
            target = &cfg->perf;
            break;
        case OPT_SECCOMP:
            target = &cfg->seccomp;
            break;
        case 'p': {
            int policy = sio_policy_by_name(arg);
            if (policy < 0 || policy == SIO_POLICY_OBSERVE)
                return fail(err, errlen, "unknown --policy: %s (default or permissive)",
                            arg);
            cfg->policy = policy;
            break;
        }
        case OPT_FAKE_TIME:
            if (!strcmp(arg, "off"))
                cfg->fake_time = SIO_FAKE_TIME_OFF;
            else if (!strcmp(arg, "random"))
                cfg->fake_time = SIO_FAKE_TIME_RANDOM;
            else if (!strcmp(arg, "zero"))
                cfg->fake_time = SIO_FAKE_TIME_ZERO;
            else
                return fail(err, errlen, "option --fake-time takes off, random or zero, "
                            "not %s", arg);
            break;
        case OPT_NS_USER:
            target = &cfg->ns_user;
            break;
        case OPT_NS_MOUNT:
            target = &cfg->ns_mount;
            break;
        case OPT_NS_PID:
            target = &cfg->ns_pid;
            break;
        case OPT_NS_NET:
            target = &cfg->ns_net;
            break;
        case OPT_NS_IPC:
            target = &cfg->ns_ipc;
            break;
        case OPT_NS_UTS:
            target = &cfg->ns_uts;
            break;
        case OPT_PROCFS:
            target = &cfg->procfs;
            break;
        case OPT_CAPABILITY_DROP:
            target = &cfg->capability_drop;
            break;
        case OPT_PTRACE:
            target = &cfg->ptrace;
            break;
        case 'l':
            cfg->log_path = arg;
            break;
        case OPT_PASS_FD:
        case OPT_NET_FD: {
            char *end;
            errno = 0;
            long fd = strtol(arg, &end, 10);
            if (errno || *end || fd < 3 || fd > 65535)
                return fail(err, errlen, "bad %s value (a descriptor above 2): %s",
                            name, arg);
            if (opt == OPT_NET_FD)
                cfg->net_fd = (int)fd;
            else
                cfg->pass_fds[cfg->npass_fds++] = (int)fd;
            break;
        }
        case OPT_CHECK:
            cfg->check = 1;
            break;
        case OPT_SHOW:
            cfg->show_config = 1;
            break;
        case 'h':
            cfg->help = 1;
            break;
        case 'v':
            cfg->version = 1;
            break;
        case ':':
            return fail(err, errlen, "option %s needs a value", argv[optind - 1]);
        default:
            return fail(err, errlen, "unknown option: %s", argv[optind - 1]);
        }
        if (target && parse_switch(arg, target) < 0)
            return fail(err, errlen, "option %s takes on or off, not %s", name, arg);
        if (us_target && (jail_parse_time_us(arg, us_target) < 0 ||
                          *us_target > JAIL_MAX_TIME_US))
            return fail(err, errlen, "bad time value for %s (N[u|ms|s|m|h|d], at "
                        "most %llud): %s", name, JAIL_MAX_TIME_US / 86400000000ULL,
                        arg);
    }
    cfg->argv = argv + optind;
    if (!cfg->help && !cfg->version && !cfg->check &&
        (!cfg->argv[0] || !cfg->argv[0][0]))
        return fail(err, errlen, "no program given");
    if (cfg->ns_mount == 0 && cfg->nbinds)
        return fail(err, errlen, "--bind needs the mount namespace");
    if (!cfg->ptrace)
        return fail(err, errlen, "--ptrace off is not supported: the supervisor traces "
                    "the program");
    if (cfg->procfs && !cfg->ns_mount)
        return fail(err, errlen, "--procfs needs the mount namespace");
    if (cfg->net_fd >= 0 && !cfg->ns_net)
        return fail(err, errlen, "--net-namespace-fd needs --net-namespace on");
    if (cfg->fake_time) {
        /* As stock sio2jail: a faked clock comes with the default policy,
         * whatever -p and --seccomp said. */
        cfg->seccomp = 1;
        cfg->policy = SIO_POLICY_STATIC;
    }
    return 0;
}

void jail_free_config(struct jail_config *cfg)
{
    free(cfg->binds);
    cfg->binds = NULL;
    free(cfg->pass_fds);
    cfg->pass_fds = NULL;
}

static const char *const format_names[] = {"oiaug", "oireal", "oitime", "human"};

void jail_print_config(const struct jail_config *c, int fd)
{
    dprintf(fd, "results_fd=%d\nformat=%s\npass_stderr=%d\n", c->results_fd,
            format_names[c->format], c->pass_stderr);
    for (size_t i = 0; i < c->nbinds; i++)
        dprintf(fd, "bind=%s:%s:%s\n", c->binds[i].outside, c->binds[i].inside,
                c->binds[i].read_only ? "ro" : "rw");
    dprintf(fd,
            "default_binds=%d\nworkdir=%s\nmemory_limit_kib=%llu\n"
            "instruction_limit=%llu\nrtime_limit_us=%llu\nutime_limit_us=%llu\n"
            "stime_limit_us=%llu\nustime_limit_us=%llu\noutput_limit_bytes=%llu\n"
            "perf=%d\nseccomp=%d\npolicy=%s\nuser_namespace=%d\n"
            "mount_namespace=%d\npid_namespace=%d\nnet_namespace=%d\n"
            "ipc_namespace=%d\nuts_namespace=%d\nnet_namespace_fd=%d\nfake_time=%s\n",
            c->default_binds, c->workdir,
            (unsigned long long)c->memory_limit_kib,
            (unsigned long long)c->instruction_limit,
            (unsigned long long)c->rtime_limit_us,
            (unsigned long long)c->utime_limit_us,
            (unsigned long long)c->stime_limit_us,
            (unsigned long long)c->ustime_limit_us,
            (unsigned long long)c->output_limit_bytes, c->perf, c->seccomp,
            c->policy == SIO_POLICY_STATIC ? "default" : "permissive",
            c->ns_user, c->ns_mount, c->ns_pid, c->ns_net, c->ns_ipc, c->ns_uts,
            c->net_fd, (const char *[]){"off", "random", "zero"}[c->fake_time]);
    for (char **a = c->argv; a && *a; a++)
        dprintf(fd, "arg=%s\n", *a);
}
