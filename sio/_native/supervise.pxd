# C declarations of the native core used by supervise.pyx, each header
# declared once (Cython reads this file with the module).

from libc.stdint cimport uint32_t, uint64_t

cdef extern from "linux/filter.h":
    struct sock_fprog:
        unsigned short len

cdef extern from "core/supervisor.h" nogil:
    enum:
        SIO_SPAWN_VFORK
        SIO_SPAWN_FORK_STOPPED
        SIO_FILES_FORBID
        SIO_FILES_LOCAL_READONLY
        SIO_KILL_NONE
        SIO_KILL_CPU_TIME
        SIO_KILL_REAL_TIME
        SIO_KILL_MEMORY
        SIO_KILL_OUTPUT
        SIO_KILL_OPEN
        SIO_KILL_SYSCALL
        SIO_KILL_INSTRUCTIONS
        SIO_KILL_SUPERVISOR
        SIO_TRACED_MAP_MIN

    struct sio_hooks:
        pass

    struct sio_spec:
        const char *path
        char **argv
        char **envp
        const char *cwd
        int stdin_fd
        int stdout_fd
        int stderr_fd
        uint64_t mem_limit_kib
        uint64_t time_limit_ms
        uint64_t real_time_limit_ms
        uint64_t output_limit_bytes
        int trace
        int follow_forks
        const sock_fprog *filter
        int exec_freely
        int files_mode
        const char *local_root
        int proc_dirfd
        int spawn_mode
        int single_threaded
        int keep_process_group
        const sio_hooks *hooks
        int switch_ids
        unsigned run_uid
        unsigned run_gid
        uint64_t max_open_files
        uint64_t max_processes
        int confine_quotas
        int cgroup_procs_fd
        int netns_fd
        int mntns_fd
        int landlock_fd
        int fake_time
        const int *keep_fds
        size_t nkeep_fds
        const int *close_fds
        size_t nclose_fds

    struct sio_result:
        int exited
        int exit_code
        int signaled
        int term_signal
        uint64_t user_us
        uint64_t sys_us
        uint64_t cpu_us
        uint64_t tracer_us
        uint64_t wall_us
        uint64_t peak_vm_kib
        uint64_t peak_rss_kib
        uint64_t syscalls
        int kill_reason
        int alloc_over_limit
        int exec_failed
        int died_in_exec
        int exec_errno
        int internal_error
        char detail[256]
        int memcg_version
        int memcg_oom
        uint64_t memcg_peak_kib

    uint64_t sio_as_margin_kib(uint64_t mem_limit_kib)
    uint64_t sio_default_real_time_ms(uint64_t time_limit_ms)
    int sio_supervise(const sio_spec *spec, sio_result *res)
    enum:
        SIO_QUOTA_SIGPENDING
        SIO_QUOTA_MSGQUEUE
        SIO_QUOTA_MEMLOCK

cdef extern from "confine/uidpool.h" nogil:
    struct sio_ids:
        unsigned uid
        unsigned gid
        int slot
    int sio_ids_available()
    int sio_ids_acquire(sio_ids *ids, char *err, size_t errlen)
    void sio_ids_release(sio_ids *ids)

cdef extern from "confine/confine.h" nogil:
    struct sio_confinement:
        int lease_ids
        sio_ids ids
        unsigned lend_bits
        int memcg
        int keep_caller_ids
        int own_network
        int hide_processes
        int write_only_cwd
    int sio_supervise_confined(sio_spec *spec, const sio_confinement *c,
                               sio_result *res)
    uint64_t sio_memcg_limit_bytes(uint64_t mem_limit_kib)
    int sio_let_others_execute(int dirfd, const char *path)

cdef extern from "fcntl.h" nogil:
    enum:
        AT_FDCWD

cdef extern from "confine/memcg.h" nogil:
    int sio_memcg_available()

cdef extern from "core/seccomp_policy.h" nogil:
    enum:
        SIO_POLICY_STATIC
        SIO_POLICY_PERMISSIVE
        SIO_POLICY_OBSERVE
        SIO_PF_TRACE_FILES
        SIO_PF_TRACE_MEMORY
        SIO_PF_OWN_UID
        SIO_PF_NO_OUTPUT
        SIO_PF_FAKE_TIME
    int sio_policy_by_name(const char *name)
    const sock_fprog *sio_policy_get(int policy, unsigned flags, char *err,
                                     size_t errlen)
    void sio_syscall_name(uint32_t audit_arch, uint64_t nr, char *buf,
                          size_t len)

cdef extern from "core/verdict.h" nogil:
    struct sio_verdict:
        int code
        char text[320]

    struct sio_verdict_input:
        uint64_t mem_limit_kib
        uint64_t time_limit_ms
        uint64_t time_used_ms
        int ignore_return

    const char *sio_code_name(int code)
    void sio_decide_verdict(const sio_result *res,
                            const sio_verdict_input *inp, sio_verdict *v)

cdef extern from "core/output_guard.h" nogil:
    int sio_output_guard_kept_fd()

cdef extern from "core/perf.h" nogil:
    enum:
        SIO_PERF_MAX_PMUS
    struct sio_pmu:
        char name[32]
        uint32_t type
    int sio_pmu_discover(const char *sysfs_root, sio_pmu *pmus, int max)
    uint64_t sio_instructions_to_ms(uint64_t instructions)
    uint64_t sio_ms_to_instructions(uint64_t ms)
    int sio_perf_probe(char *err, size_t errlen)

cdef extern from "confine/netns.h" nogil:
    int sio_netns_create(char *err, size_t errlen)
    int sio_netns_for_uid(unsigned uid, char *err, size_t errlen)
    size_t sio_netns_kept(int *fds, size_t max)

cdef extern from "confine/scratch.h" nogil:
    int sio_scratch_state(const char *path)
    int sio_scratch_kind(const char *path)

cdef extern from "confine/landlock.h" nogil:
    int sio_landlock_abi()
    size_t sio_landlock_kept(int *fds, size_t max)
