/*
 * jail_main.c - sio2jail: run one program in the jail and report on it.
 *
 * The process started as sio2jail (outside) parses the command line, opens
 * what the jail will need and clones the jail's first process into new
 * namespaces. That process (inside: pid 1 of its pid namespace) builds the
 * file system, then supervises the program with the same native supervisor
 * the Python executors use (supervisor.c), counting instructions with
 * perf.c. It sends the outcome back over a pipe; the outside process writes
 * the report. When the jail's first process ends, the kernel kills
 * whatever is left in its pid namespace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail_config.h"
#include "jail_ns.h"
#include "confine/netns.h"
#include "core/perf.h"
#include "core/procfs.h"
#include "core/seccomp_policy.h"
#include "confine/confine.h"
#include "core/supervisor.h"
#include "confine/uidpool.h"
#include "core/verdict.h"

/* Tools check the start of this line for the stock version they support
 * (sinol-make: "SIO2jail v1.5.0 "). */
#define JAIL_VERSION "SIO2jail v1.5.0 compatible: the jail bundled with sioworkers 2.0.0"
#define STACK_SIZE (1024 * 1024)
#define EXIT_BAD_ARGS 1
#define JAIL_STATIC_MAX_FILES 64
#define JAIL_MAX_FILES 128
#define JAIL_MAX_PROCESSES 32
#define EXIT_FATAL 2

int jail_check(const struct jail_config *cfg);

/* What the jail sends back. */
struct outcome {
    int supervised;           /* the program was supervised to the end */
    char error[512];          /* why not */
    struct sio_result res;
    uint64_t instructions;
    int perf_used;
};

struct jail_args {
    const struct jail_config *cfg;
    int switch_ids;           /* run the program as run_uid/run_gid */
    uid_t run_uid;            /* as seen inside the jail's namespaces */
    gid_t run_gid;
    int cgroup_procs_fd;      /* the run's memory cgroup; -1 */
    const char *program_outside;
    const char *program;      /* path to exec inside */
    int sync_fd;              /* read end: the outside is ready */
    int result_fd;            /* write end: the outcome */
};

/* --- instruction counting and extra CPU limits (inside) ---------------- */

#define OVERFLOW_SIGNAL (SIGRTMIN + 4)

struct watch_state {
    const struct jail_config *cfg;
    struct sio_pmu pmus[SIO_PERF_MAX_PMUS];
    int npmus;
    struct sio_perf perf;
    int perf_open;
    int proc_fd;
    long ticks;
    uint64_t instructions;
};

static volatile sig_atomic_t overflowed;
static volatile pid_t counted_child;

static void on_overflow(int sig, siginfo_t *info, void *ctx)
{
    (void)sig;
    (void)info;
    (void)ctx;
    overflowed = 1;
    if (counted_child > 0)
        kill(counted_child, SIGKILL);
}

static int child_stopped(void *ctx, pid_t pid, char *err, size_t errlen)
{
    struct watch_state *w = ctx;
    counted_child = pid;
    if (!w->cfg->perf)
        return 0;
    if (sio_perf_open(&w->perf, w->pmus, w->npmus, pid, w->cfg->instruction_limit,
                      OVERFLOW_SIGNAL, (pid_t)syscall(SYS_gettid), err, errlen) < 0) {
        size_t used = strlen(err);
        snprintf(err + used, errlen - used, "; --perf off measures CPU time instead");
        return -1;
    }
    w->perf_open = 1;
    return 0;
}

/* user and system CPU of the program (clock ticks), from its stat file. */
static int cpu_ticks(struct watch_state *w, uint64_t *utime, uint64_t *stime)
{
    char buf[1024];
    int fd = sio_proc_open(w->proc_fd, counted_child, "stat");
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long long u, s;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                     &u, &s) != 2)
        return -1;
    *utime = u;
    *stime = s;
    return 0;
}

static int watch(void *ctx, uint64_t *sleep_ns)
{
    struct watch_state *w = ctx;
    const struct jail_config *cfg = w->cfg;
    if (overflowed)
        return SIO_KILL_INSTRUCTIONS;
    if (w->perf_open && cfg->instruction_limit) {
        uint64_t count;
        if (sio_perf_read(&w->perf, &count) == 0) {
            if (count >= cfg->instruction_limit)
                return SIO_KILL_INSTRUCTIONS;
            /* No CPU retires much more than 5 instructions a nanosecond. */
            uint64_t left = (cfg->instruction_limit - count) / 5;
            if (left < *sleep_ns)
                *sleep_ns = left;
        }
    }
    if (cfg->stime_limit_us && counted_child > 0) {
        uint64_t u, s;
        if (cpu_ticks(w, &u, &s) == 0) {
            uint64_t us_per_tick = 1000000 / (uint64_t)w->ticks;
            if (s * us_per_tick >= cfg->stime_limit_us)
                return SIO_KILL_CPU_TIME;
        }
        if (*sleep_ns > 10000000)
            *sleep_ns = 10000000;
    }
    return 0;
}

static void finished(void *ctx, struct sio_result *res)
{
    struct watch_state *w = ctx;
    if (w->perf_open) {
        if (sio_perf_read(&w->perf, &w->instructions) < 0)
            w->instructions = 0;
        sio_perf_close(&w->perf);
        w->perf_open = 0;
    }
    if (overflowed && !res->kill_reason)
        res->kill_reason = SIO_KILL_INSTRUCTIONS;
}

/* --- the jail's first process ----------------------------------------- */

static void send_outcome(int fd, const struct outcome *o)
{
    const char *p = (const char *)o;
    size_t left = sizeof *o;
    while (left) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        left -= (size_t)n;
    }
}

static int jail_fail(const struct jail_args *a, const char *error)
{
    struct outcome o;
    memset(&o, 0, sizeof o);
    snprintf(o.error, sizeof o.error, "%s", error);
    send_outcome(a->result_fd, &o);
    return EXIT_FATAL;
}

static uint64_t us_to_ms_up(uint64_t us)
{
    return (us + 999) / 1000;
}

/* --utimelimit and --ustimelimit both limit precise CPU time (user +
 * system: tick-sampled user time alone can be dodged); the lower wins. */
static uint64_t cpu_limit_us(const struct jail_config *cfg)
{
    uint64_t a = cfg->utime_limit_us, b = cfg->ustime_limit_us;
    if (!a)
        return b;
    return b && b < a ? b : a;
}

static int jail_run(void *arg)
{
    const struct jail_args *a = arg;
    const struct jail_config *cfg = a->cfg;
    char err[512] = "";

    /* Die with the outside process (it may be killed by its own limits). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        return jail_fail(a, "PR_SET_PDEATHSIG failed");
    char go;
    ssize_t got;
    do {
        got = read(a->sync_fd, &go, 1);
    } while (got < 0 && errno == EINTR);
    if (got != 1)
        return EXIT_FATAL;  /* the outside is gone */
    close(a->sync_fd);
    if (cfg->ns_uts && sethostname("sio2jail", 8) < 0)
        return jail_fail(a, "sethostname failed");

    /* Bind sources are opened in this (new, still identical) mount
     * namespace, before anything is mounted over them. */
    struct jail_sources src = {0};
    if (jail_open_sources(cfg, a->program_outside, &src, err, sizeof err) < 0)
        return jail_fail(a, err);
    int proc_fd;
    if (jail_setup_filesystem(cfg, &src, &proc_fd, err, sizeof err) < 0)
        return jail_fail(a, err);

    struct watch_state w;
    memset(&w, 0, sizeof w);
    w.cfg = cfg;
    w.proc_fd = proc_fd;
    w.ticks = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    if (cfg->perf) {
        w.npmus = sio_pmu_discover("/sys", w.pmus, SIO_PERF_MAX_PMUS);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_overflow;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        if (sigaction(OVERFLOW_SIGNAL, &sa, NULL) < 0)
            return jail_fail(a, "cannot install the overflow handler");
    }

    const struct sock_fprog *filter = NULL;
    if (cfg->seccomp) {
        filter = sio_policy_get(cfg->policy, SIO_PF_TRACE_MEMORY |
                                (cfg->fake_time ? SIO_PF_FAKE_TIME : 0), err, sizeof err);
        if (!filter)
            return jail_fail(a, err);
    }
    struct sio_hooks hooks = {&w, child_stopped, watch, finished};
    struct sio_spec spec;
    memset(&spec, 0, sizeof spec);
    spec.path = a->program;
    spec.argv = cfg->argv;
    char *empty_env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", NULL};
    spec.envp = empty_env;
    spec.cwd = cfg->ns_mount ? cfg->workdir : NULL;
    spec.stdin_fd = 0;
    spec.stdout_fd = 1;
    spec.stderr_fd = cfg->pass_stderr ? 2 : src.devnull_fd;
    spec.mem_limit_kib = cfg->memory_limit_kib;
    spec.time_limit_ms = us_to_ms_up(cpu_limit_us(cfg));
    spec.real_time_limit_ms = us_to_ms_up(cfg->rtime_limit_us);
    spec.output_limit_bytes = cfg->output_limit_bytes;
    spec.trace = 1;
    spec.filter = filter;
    spec.fake_time = cfg->fake_time;
    spec.follow_forks = !cfg->seccomp || cfg->policy != SIO_POLICY_STATIC;
    spec.files_mode = SIO_FILES_FORBID;
    spec.proc_dirfd = proc_fd;
    /* Counters must be attached before the exec, to a stopped child;
     * without them vfork is cheaper (no copy of this process's tables). */
    spec.spawn_mode = cfg->perf ? SIO_SPAWN_FORK_STOPPED : SIO_SPAWN_VFORK;
    spec.single_threaded = cfg->seccomp && cfg->policy == SIO_POLICY_STATIC;
    spec.hooks = &hooks;
    spec.child_hook = jail_drop_privileges;
    spec.child_hook_arg = cfg;
    spec.keep_fds = cfg->pass_fds;
    spec.nkeep_fds = cfg->npass_fds;
    spec.switch_ids = a->switch_ids;
    spec.run_uid = a->run_uid;
    spec.run_gid = a->run_gid;
    spec.cgroup_procs_fd = a->cgroup_procs_fd;
    /* Quotas: descriptors (hence pipe buffers), pending signals, message
     * queues, locked memory; processes when the uid is the run's own. */
    int is_static = cfg->seccomp && cfg->policy == SIO_POLICY_STATIC;
    spec.confine_quotas = 1;
    spec.max_open_files = is_static ? JAIL_STATIC_MAX_FILES : JAIL_MAX_FILES;
    if (a->switch_ids)
        spec.max_processes = is_static ? 1 : JAIL_MAX_PROCESSES;

    struct outcome o;
    memset(&o, 0, sizeof o);
    sio_supervise(&spec, &o.res);
    o.supervised = !o.res.internal_error;
    if (!o.supervised)
        snprintf(o.error, sizeof o.error, "%s", o.res.detail);
    o.instructions = w.instructions;
    o.perf_used = cfg->perf;
    send_outcome(a->result_fd, &o);
    return 0;
}

/* clone() ends its child with exit(2) of the calling thread only; the
 * watchdog thread would keep the jail (pid 1 of its namespace) alive. */
static int jail_main(void *arg)
{
    _exit(jail_run(arg));
}

/* --- the report --------------------------------------------------------- */

static const char *code_word(int code)
{
    return sio_code_name(code);
}

static void write_report(const struct jail_config *cfg, const struct outcome *o)
{
    const struct sio_result *r = &o->res;
    struct sio_verdict_input in = {.mem_limit_kib = cfg->memory_limit_kib};
    uint64_t time_ms;
    switch (cfg->format) {
    case JAIL_OIREAL:
        time_ms = r->wall_us / 1000;
        in.time_used_ms = time_ms;
        in.time_limit_ms = cfg->rtime_limit_us / 1000;
        break;
    case JAIL_OITIME:
        time_ms = r->cpu_us / 1000;
        in.time_used_ms = time_ms;
        in.time_limit_ms = cpu_limit_us(cfg) / 1000;
        break;
    default:
        if (o->perf_used) {
            time_ms = sio_instructions_to_ms(o->instructions);
            /* Compare in instructions: exact. */
            in.time_used_ms = o->instructions;
            in.time_limit_ms = cfg->instruction_limit;
        } else {
            time_ms = r->cpu_us / 1000;
            in.time_used_ms = time_ms;
            in.time_limit_ms = cpu_limit_us(cfg) / 1000;
        }
        break;
    }
    struct sio_verdict v;
    sio_decide_verdict(r, &in, &v);
    int status = r->exited ? r->exit_code : r->signaled ? 128 + r->term_signal : 0;
    if (cfg->format == JAIL_HUMAN) {
        dprintf(cfg->results_fd,
                "Verdict: %s (%s)\nExit status: %d\nTime: %" PRIu64 " ms%s\n"
                "Instructions: %" PRIu64 "\nCPU time: %" PRIu64 " ms\n"
                "Real time: %" PRIu64 " ms\nMemory: %" PRIu64 " KiB\n"
                "Syscalls: %" PRIu64 "\n",
                code_word(v.code), v.text, status, time_ms,
                o->perf_used ? " (instructions / 2e9 per s)" : " (CPU time)",
                o->instructions, r->cpu_us / 1000, r->wall_us / 1000,
                r->peak_vm_kib, r->syscalls);
        return;
    }
    dprintf(cfg->results_fd, "%s %d %" PRIu64 " 0 %" PRIu64 " %" PRIu64 "\n%s\n",
            code_word(v.code), status, time_ms, r->peak_vm_kib, r->syscalls, v.text);
}

/* -l/--log: one line per run. */
static void write_log(const struct jail_config *cfg, const struct outcome *o)
{
    if (!cfg->log_path)
        return;
    int fd = strcmp(cfg->log_path, "-") ? open(cfg->log_path,
                                                O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                                                0644)
                                         : 2;
    if (fd < 0)
        return;
    dprintf(fd, "sio2jail: %s: exit %d, signal %d, cpu %" PRIu64 " ms, wall %" PRIu64
            " ms, memory %" PRIu64 " KiB\n", cfg->argv[0],
            o->res.exited ? o->res.exit_code : -1,
            o->res.signaled ? o->res.term_signal : 0, o->res.cpu_us / 1000,
            o->res.wall_us / 1000, o->res.peak_vm_kib);
    if (fd != 2)
        close(fd);
}

/* --- the outside process ---------------------------------------------- */

static char *find_program(const char *name)
{
    if (strchr(name, '/'))
        return realpath(name, NULL);
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    char buf[4096];
    for (const char *p = path; *p;) {
        const char *end = strchrnul(p, ':');
        int n = snprintf(buf, sizeof buf, "%.*s/%s", (int)(end - p), p, name);
        if (n > 0 && (size_t)n < sizeof buf && access(buf, X_OK) == 0)
            return realpath(buf, NULL);
        p = *end ? end + 1 : end;
    }
    return NULL;
}

/* Output to /dev/null is limited like output to a file: the program gets
 * an unnamed append-only file instead (made here, outside the jail, whose
 * root is read-only), which RLIMIT_FSIZE limits. Other kinds of stdout are
 * relayed and counted inside (output_guard.h). */
static int limit_null_output(void)
{
    struct stat st;
    if (fstat(1, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 ||
        minor(st.st_rdev) != 3)
        return 0;
    const char *dir = getenv("TMPDIR");
    int fd = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_EXCL | O_WRONLY | O_APPEND,
                  0600);  /* O_EXCL: it can never be given a name */
    if (fd < 0)
        return errno == EOPNOTSUPP || errno == EISDIR ? 0 : -1;  /* relay instead */
    int rc = dup2(fd, 1) < 0 ? -1 : 0;
    close(fd);
    return rc;
}

static int fatal(const char *fmt, const char *detail)
{
    fprintf(stderr, "sio2jail: ");
    fprintf(stderr, fmt, detail);
    fprintf(stderr, "\n");
    return EXIT_FATAL;
}

int main(int argc, char **argv)
{
    struct jail_config cfg;
    char err[512];
    if (jail_parse_args(argc, argv, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "sio2jail: %s (see --help)\n", err);
        return EXIT_BAD_ARGS;
    }
    if (cfg.help) {
        fputs(jail_usage, stdout);
        return 0;
    }
    if (cfg.version) {
        puts(JAIL_VERSION);
        return 0;
    }
    if (cfg.show_config) {
        jail_print_config(&cfg, 1);
        return 0;
    }
    if (cfg.check)
        return jail_check(&cfg);
    for (size_t i = 0; i < cfg.npass_fds; i++) {
        if (fcntl(cfg.pass_fds[i], F_GETFD) < 0) {
            fprintf(stderr, "sio2jail: --pass-fd %d is not open\n", cfg.pass_fds[i]);
            return EXIT_BAD_ARGS;
        }
    }
    if (fcntl(cfg.results_fd, F_GETFD) < 0) {
        fprintf(stderr, "sio2jail: results descriptor %d is not open\n",
                cfg.results_fd);
        return EXIT_BAD_ARGS;
    }
    if (cfg.net_fd >= 0) {
        /* Never the host's network by mistake: only another namespace. */
        int other = sio_netns_is_other(cfg.net_fd, err, sizeof err);
        if (other <= 0) {
            fprintf(stderr, "sio2jail: --net-namespace-fd %d: %s\n", cfg.net_fd,
                    other < 0 ? err : "not a network namespace other than the "
                                      "jail's own");
            return EXIT_BAD_ARGS;
        }
    }
    if (cfg.output_limit_bytes && limit_null_output() < 0)
        return fatal("cannot set up the output limit: %s", strerror(errno));
    char *program = find_program(cfg.argv[0]);
    if (!program)
        return fatal("cannot find the program %s", cfg.argv[0]);
    const char *inside = (cfg.default_binds && cfg.ns_mount) ? "/exe" : program;

    int sync[2], result[2];
    if (pipe2(sync, O_CLOEXEC) < 0 || pipe2(result, O_CLOEXEC) < 0)
        return fatal("pipe: %s", strerror(errno));
    /* Root runs the program as a uid/gid of its own: leased here unless
     * the caller (Sio2JailExecutor) leased it and says which. */
    struct sio_ids lease = {(uid_t)-1, (gid_t)-1, -1};
    uid_t run_uid = (uid_t)-1;
    gid_t run_gid = (gid_t)-1;
    if (sio_ids_available()) {
        if (cfg.run_uid < 0 && sio_ids_acquire(&lease, err, sizeof err) < 0)
            return fatal("%s", err);
        run_uid = cfg.run_uid >= 0 ? (uid_t)cfg.run_uid : lease.uid;
        run_gid = cfg.run_gid >= 0 ? (gid_t)cfg.run_gid
                  : cfg.run_uid >= 0 ? (gid_t)cfg.run_uid : lease.gid;
    }
    /* The program runs as those ids: a 0700 program of root's must let
     * them execute it (confine.h). */
    if (run_uid != (uid_t)-1 && sio_let_others_execute(AT_FDCWD, program) < 0)
        return fatal("cannot let the program's ids execute it: %s", strerror(errno));
    /* A memory cgroup for programs that could make the kernel hold memory
     * outside their address space; the static policy leaves them none. */
    int is_static = cfg.seccomp && cfg.policy == SIO_POLICY_STATIC;
    struct sio_memcg cg;
    sio_memcg_init(&cg);
    uint64_t cg_limit_kib = cfg.memory_limit_kib ? cfg.memory_limit_kib
                                                 : cfg.cgroup_memory_kib;
    if (run_uid != (uid_t)-1 && cg_limit_kib && !is_static &&
        sio_memcg_enter(&cg, run_uid, cg_limit_kib, err, sizeof err) < 0)
        return fatal("%s", err);
    struct jail_args args = {
        .cfg = &cfg, .program_outside = program, .program = inside,
        .sync_fd = sync[0], .result_fd = result[1],
        .switch_ids = run_uid != (uid_t)-1,
        /* In the user namespace the pair is mapped to 1 (see below). */
        .run_uid = cfg.ns_user ? 1 : run_uid,
        .run_gid = cfg.ns_user ? 1 : run_gid,
        .cgroup_procs_fd = cg.version ? cg.procs_fd : -1,
    };
    /* This process joins the caller's namespace and the jail inherits it. */
    if (cfg.net_fd >= 0) {
        if (setns(cfg.net_fd, CLONE_NEWNET) < 0)
            return fatal("cannot join the network namespace of --net-namespace-fd: %s",
                         strerror(errno));
        close(cfg.net_fd);
    }
    void *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED)
        return fatal("cannot allocate a stack: %s", strerror(errno));
    pid_t jail = clone(jail_main, (char *)stack + STACK_SIZE,
                       jail_clone_flags(&cfg) | SIGCHLD, &args);
    if (jail < 0) {
        snprintf(err, sizeof err,
                 "cannot create the namespaces: %s (are unprivileged user "
                 "namespaces enabled? see sio2jail --check)", strerror(errno));
        return fatal("%s", err);
    }
    close(sync[0]);
    close(result[1]);
    if (cfg.ns_user &&
        jail_write_id_maps(jail, getuid(), getgid(), run_uid, run_gid, err,
                           sizeof err) < 0) {
        kill(jail, SIGKILL);
        waitpid(jail, NULL, 0);
        return fatal("%s", err);
    }
    if (write(sync[1], "g", 1) != 1) {
        kill(jail, SIGKILL);
        waitpid(jail, NULL, 0);
        return fatal("cannot start the jail: %s", strerror(errno));
    }
    close(sync[1]);

    struct outcome o;
    size_t have = 0;
    while (have < sizeof o) {
        ssize_t n = read(result[0], (char *)&o + have, sizeof o - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
    }
    int status;
    while (waitpid(jail, &status, 0) < 0 && errno == EINTR)
        ;
    free(program);
    if (have != sizeof o) {
        snprintf(err, sizeof err, "the jail ended without a result (status 0x%x)",
                 status);
        return fatal("%s", err);
    }
    if (cg.version) {
        uint64_t peak;
        sio_memcg_finish(&cg, &peak, &o.res.memcg_oom);
        o.res.memcg_version = cg.version;
        o.res.memcg_peak_kib = peak / 1024;
    }
    sio_memcg_close(&cg);
    sio_ids_release(&lease);
    if (!o.supervised)
        return fatal("%s", o.error);
    write_report(&cfg, &o);
    write_log(&cfg, &o);
    jail_free_config(&cfg);
    return 0;
}
