# cython: language_level=3, boundscheck=False, wraparound=False
"""Python binding of the native process supervisor.

One call of :func:`run` starts one program and returns a :class:`Result`
once it and everything it left behind are gone. All the work happens in C
(``core/supervisor.c``) with the GIL released; this module only converts
arguments and results. Executors in :mod:`sio.workers.executors` are the
public interface; this module is their engine. The C declarations it
uses are in ``supervise.pxd``.
"""

from libc.stdint cimport uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.errno cimport errno as c_errno
from libc.string cimport memcpy, memset, strerror


def let_others_execute(path):
    """Make a program that this (root) process made executable for itself
    only (chmod 0700, as upstream's callers leave them) executable, and
    readable if it was, by the ids of its own a run gets: exec checks the
    ids a program runs as. Runs confined by :func:`run` get this done
    already; this is for programs another process starts under such ids
    (a stock jail). Nothing changes for other files or callers."""
    cdef bytes p = _as_bytes(path, 'path')
    if sio_let_others_execute(AT_FDCWD, p) < 0:
        raise OSError(c_errno, 'cannot let a run\'s ids execute it', path)


#: Pending signals, POSIX message-queue bytes and locked memory (bytes) a
#: run gets with ``confine_quotas``.
QUOTA_SIGPENDING = SIO_QUOTA_SIGPENDING
QUOTA_MSGQUEUE = SIO_QUOTA_MSGQUEUE
QUOTA_MEMLOCK = SIO_QUOTA_MEMLOCK


class SupervisionError(RuntimeError):
    """Raised for arguments the supervisor cannot work with."""


_KILL_REASONS = {
    SIO_KILL_NONE: None,
    SIO_KILL_CPU_TIME: 'cpu-time',
    SIO_KILL_REAL_TIME: 'real-time',
    SIO_KILL_MEMORY: 'memory',
    SIO_KILL_OUTPUT: 'output',
    SIO_KILL_OPEN: 'open',
    SIO_KILL_SYSCALL: 'syscall',
    SIO_KILL_INSTRUCTIONS: 'instructions',
    SIO_KILL_SUPERVISOR: 'supervisor',
}

_LEND_BITS = {'x': 0o010, 'rx': 0o050, 'rwx': 0o070}

_FILES_MODES = {
    'forbid': SIO_FILES_FORBID,
    'local-readonly': SIO_FILES_LOCAL_READONLY,
}

#: Address space granted above a memory limit (KiB) before allocations fail.
def as_margin_kib(uint64_t mem_limit_kib):
    return sio_as_margin_kib(mem_limit_kib)

def default_real_time_limit_ms(uint64_t time_limit_ms):
    """The wall-clock limit (ms) of a run given a CPU-time limit alone: 64
    times it and a second; 0 (none) for none. The one rule, in C, that the
    checking executors and the command-line supervisor apply."""
    return sio_default_real_time_ms(time_limit_ms)

#: mmap/mremap calls at least this long (bytes) stop for memory accounting.
TRACED_MAP_MIN = SIO_TRACED_MAP_MIN


cdef class Result:
    """What happened to one supervised program.

    ``code`` and ``text`` are the verdict (``'OK'``/``'ok'``,
    ``'RE'``/``'runtime error 3'``, ...); the other attributes are the raw
    measurements it was decided from.
    """

    cdef readonly str code
    cdef readonly str text
    cdef readonly bint exited
    cdef readonly int exit_code
    cdef readonly bint signaled
    cdef readonly int term_signal
    cdef readonly unsigned long long user_us
    cdef readonly unsigned long long sys_us
    cdef readonly unsigned long long cpu_us
    cdef readonly unsigned long long tracer_us
    cdef readonly object memory_bound
    cdef readonly unsigned long long memcg_peak_kib
    cdef readonly unsigned long long wall_us
    cdef readonly unsigned long long peak_vm_kib
    cdef readonly unsigned long long peak_rss_kib
    cdef readonly unsigned long long syscalls
    cdef readonly object kill_reason
    cdef readonly bint exec_failed
    cdef readonly int exec_errno
    cdef readonly bint internal_error
    cdef readonly str detail

    @property
    def user_ms(self):
        return self.user_us // 1000

    @property
    def cpu_ms(self):
        """Precise CPU time of the whole run, user + system: what the time
        limit was judged on."""
        return self.cpu_us // 1000

    @property
    def wall_ms(self):
        return self.wall_us // 1000

    @property
    def return_code(self):
        """Exit code, or -signal for a program killed by a signal."""
        if self.signaled:
            return -self.term_signal
        return self.exit_code

    def __repr__(self):
        return ('<Result %s %r exit=%s signal=%s cpu=%dms wall=%dms '
                'vm=%dKiB rss=%dKiB syscalls=%d>' % (
                    self.code, self.text,
                    self.exit_code if self.exited else None,
                    self.term_signal if self.signaled else None,
                    self.cpu_us // 1000, self.wall_us // 1000,
                    self.peak_vm_kib, self.peak_rss_kib, self.syscalls))


cdef class _CStrings:
    """A NULL-terminated char*[] whose strings stay alive with it: of a
    sequence of str/bytes, or ``NAME=value`` strings of a mapping of bytes
    to bytes (an environment), made in one block without a Python object
    per variable."""

    cdef char **array
    cdef char *block
    cdef list keep

    def __cinit__(self, items):
        self.keep = []
        if isinstance(items, dict):
            self._from_mapping(<dict>items)
            return
        for item in items:
            if isinstance(item, str):
                item = (<str>item).encode()
            if not isinstance(item, bytes):
                raise TypeError('expected str or bytes, got %r' % (item,))
            if b'\0' in item:
                raise ValueError('embedded NUL byte in %r' % (item,))
            self.keep.append(item)
        self.array = <char **>malloc((len(self.keep) + 1) * sizeof(char *))
        if self.array == NULL:
            raise MemoryError()
        for i, item in enumerate(self.keep):
            self.array[i] = <char *>(<bytes>item)
        self.array[len(self.keep)] = NULL

    cdef _from_mapping(self, dict items):
        cdef Py_ssize_t size = 0, n = len(items), i = 0
        cdef Py_ssize_t klen, vlen
        cdef char *at
        for name, value in items.items():
            if not isinstance(name, bytes) or not isinstance(value, bytes):
                raise TypeError('environment names and values must be bytes, got %r=%r'
                                % (name, value))
            if b'\0' in name or b'\0' in value or b'=' in name:
                raise ValueError('bad environment variable %r=%r' % (name, value))
            size += len(<bytes>name) + len(<bytes>value) + 2
        self.array = <char **>malloc((n + 1) * sizeof(char *))
        self.block = <char *>malloc(size if size else 1)
        if self.array == NULL or self.block == NULL:
            raise MemoryError()
        at = self.block
        for name, value in items.items():
            klen = len(<bytes>name)
            vlen = len(<bytes>value)
            memcpy(at, <char *>(<bytes>name), klen)
            at[klen] = b'='
            memcpy(at + klen + 1, <char *>(<bytes>value), vlen)
            at[klen + 1 + vlen] = 0
            self.array[i] = at
            at += klen + vlen + 2
            i += 1
        self.array[n] = NULL

    def __dealloc__(self):
        free(self.array)
        free(self.block)


cdef bytes _as_bytes(object value, str name):
    if isinstance(value, str):
        return (<str>value).encode()
    if isinstance(value, bytes):
        return <bytes>value
    raise TypeError('%s must be str or bytes, got %r' % (name, value))


cdef int _policy_id(object policy) except -2:
    """The SIO_POLICY_* of a policy name; -1 for None."""
    if policy is None:
        return -1
    cdef int pol = sio_policy_by_name(_as_bytes(policy, 'policy'))
    if pol < 0:
        raise SupervisionError('unknown seccomp policy %r' % (policy,))
    return pol


#: sio2jail's --fake-time modes (enum sio_fake_time).
FAKE_TIME_MODES = {'off': 0, 'random': 1, 'zero': 2}


cdef const sock_fprog *_filter_for(object policy, object files,
                                   bint trace_memory, bint own_uid=False,
                                   bint no_output=False, bint fake_time=False) except? NULL:
    cdef char err[256]
    cdef unsigned flags = 0
    cdef int pol = _policy_id(policy)
    if pol < 0:
        return NULL
    if files is not None:
        flags |= SIO_PF_TRACE_FILES
    if trace_memory:
        flags |= SIO_PF_TRACE_MEMORY
    if fake_time:
        flags |= SIO_PF_FAKE_TIME
    if pol == SIO_POLICY_OBSERVE:
        if own_uid:
            flags |= SIO_PF_OWN_UID
        if no_output:
            flags |= SIO_PF_NO_OUTPUT
    cdef const sock_fprog *prog = sio_policy_get(pol, flags, err, sizeof(err))
    if prog == NULL:
        raise SupervisionError((<bytes>err).decode(errors='replace'))
    return prog


cdef class Ids:
    """A uid/gid pair leased for one run at a time (see :func:`lease_ids`).

    ``leased`` is false when this process cannot switch ids (it is not
    root): programs then keep the worker's unprivileged ids. A context
    manager; :meth:`release` gives the pair back for the next run.
    """

    cdef sio_ids _ids
    cdef readonly bint active

    @property
    def leased(self):
        return self._ids.slot >= 0

    @property
    def uid(self):
        return self._ids.uid if self._ids.slot >= 0 else None

    @property
    def gid(self):
        return self._ids.gid if self._ids.slot >= 0 else None

    def release(self):
        if self.active:
            sio_ids_release(&self._ids)
            self.active = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.release()

    def __dealloc__(self):
        if self.active:
            sio_ids_release(&self._ids)

    def __repr__(self):
        if not self.leased:
            return '<Ids: the caller\'s own>'
        return '<Ids uid=%d gid=%d>' % (self._ids.uid, self._ids.gid)


cdef enum:
    MAX_FDS = 64


cdef size_t _fill_fds(int *out, object fds, str name) except? 0:
    """Copy a sequence of descriptors into out (MAX_FDS at most)."""
    cdef size_t n = 0
    for fd in fds:
        if n == MAX_FDS:
            raise SupervisionError('%s: at most %d descriptors' % (name, MAX_FDS))
        out[n] = fd
        n += 1
    return n

cdef bint _read_confinement(object c, sio_confinement *conf,
                            sio_spec *spec) except -1:
    """Copy a Confinement (see :func:`run`) into conf and spec's confining
    fields (spec zeroed by the caller), by the same names; whether the run
    is confined at all."""
    memset(conf, 0, sizeof(conf[0]))
    conf.ids.slot = -1
    if c is None:
        return False
    cdef Ids ids = c.ids
    lend = c.lend
    conf.lease_ids = c.lease_ids
    conf.memcg = c.memcg
    conf.keep_caller_ids = c.keep_caller_ids
    conf.own_network = c.own_network
    conf.hide_processes = c.hide_processes
    conf.write_only_cwd = c.write_only_cwd
    spec.max_open_files = c.max_open_files
    spec.max_processes = c.max_processes
    spec.confine_quotas = c.confine_quotas
    if lend is not None:
        if lend not in _LEND_BITS:
            raise SupervisionError('lend must be one of %s, not %r'
                                   % (sorted(_LEND_BITS), lend))
        conf.lend_bits = _LEND_BITS[lend]
    if ids is not None:
        if not ids.active:
            raise SupervisionError('the ids were released already')
        conf.ids = ids._ids
    return conf.lease_ids or ids is not None or conf.write_only_cwd


def run(path, argv, env, *, cwd=None, int stdin=-1, int stdout=-1,
        int stderr=-1, limits=None, bint trace=False,
        bint follow_forks=False, policy=None, files=None,
        bint trace_memory=False, local_root=None,
        bint single_threaded=False, bint ignore_return=False,
        confinement=None, pass_fds=(), close_fds=(), fake_time=None):
    """Run one program under supervision and return its :class:`Result`.

    ``path`` is what execve gets (relative paths are relative to ``cwd``);
    ``argv`` and ``env`` (``'NAME=value'`` items, or a dict of bytes to
    bytes) are passed as they are.
    Descriptors -1 mean /dev/null. ``limits`` is the run's
    :class:`sio.workers.limits.RunLimits` (any object with its four
    attributes ``mem_limit_kib``, ``time_limit_ms``, ``real_time_limit_ms``,
    ``output_limit_bytes``), taken whole: None or 0 means none; the time
    limit is on the precise CPU time (user + system) of every process of
    the run.
    ``trace`` follows the program with ptrace (needed for
    memory peaks, ``policy`` and ``follow_forks``); ``policy`` is a seccomp
    policy name (``'static'``, ``'permissive'``); ``files`` (``'forbid'`` or
    ``'local-readonly'``) makes path syscalls stop for a decision, inside
    ``local_root`` for the latter; ``trace_memory`` makes big or placed
    mmap/mremap stop for memory accounting (the break, small mappings and
    the stack grow without a stop, under the address-space limit; the
    size is read at every stop).

    ``confinement`` is the run's
    :class:`sio.workers.executors.native.Confinement` (any object with its
    attributes, the names of ``struct sio_confinement`` and of the
    confining fields of ``struct sio_spec``: ``lease_ids``, ``ids``,
    ``lend``, ``keep_caller_ids``, ``max_open_files``, ``max_processes``,
    ``confine_quotas``, ``memcg``, ``own_network``, ``hide_processes``,
    ``write_only_cwd``), taken whole; None: the program keeps this
    process's ids and nothing more is confined.

    ``fake_time`` (``'random'``, ``'zero'``; None or ``'off'``: the real
    one), as sio2jail's ``--fake-time``: the program reads no clock (the
    clock syscalls are EPERM, RDTSC/RDTSCP are answered by the tracer with
    random numbers or 0); needs ``trace``. ``pass_fds`` are descriptors the
    program keeps at their numbers (every other one but 0-2 is closed);
    ``close_fds`` are closed in this process once the program has them
    (handed over).
    """
    cdef sio_spec spec
    cdef sio_result res
    cdef sio_verdict verdict
    cdef sio_verdict_input vin
    memset(&spec, 0, sizeof(spec))
    memset(&vin, 0, sizeof(vin))
    cdef unsigned long long mem_limit_kib = 0, time_limit_ms = 0
    cdef unsigned long long real_time_limit_ms = 0, output_limit_bytes = 0
    if limits is not None:
        mem_limit_kib = limits.mem_limit_kib or 0
        time_limit_ms = limits.time_limit_ms or 0
        real_time_limit_ms = limits.real_time_limit_ms or 0
        output_limit_bytes = limits.output_limit_bytes or 0

    if policy is not None and not trace:
        raise SupervisionError('a seccomp policy needs trace=True')
    cdef int fake = FAKE_TIME_MODES.get(fake_time or 'off', -1)
    if fake < 0:
        raise ValueError('fake_time must be one of %s, not %r'
                         % (', '.join(FAKE_TIME_MODES), fake_time))
    if fake and not trace:
        raise SupervisionError('fake_time needs trace=True')
    if files is not None and files not in _FILES_MODES:
        raise SupervisionError('unknown files mode %r' % (files,))
    cdef bytes bpath = _as_bytes(path, 'path')
    cdef _CStrings cargv = _CStrings(argv)
    cdef _CStrings cenv = _CStrings(env)
    cdef bytes bcwd = _as_bytes(cwd, 'cwd') if cwd is not None else None
    cdef bytes broot = (_as_bytes(local_root, 'local_root')
                        if local_root is not None else None)

    spec.path = bpath
    spec.argv = cargv.array
    spec.envp = cenv.array
    spec.cwd = NULL
    if bcwd is not None:
        spec.cwd = bcwd
    spec.stdin_fd = stdin
    spec.stdout_fd = stdout
    spec.stderr_fd = stderr
    spec.mem_limit_kib = mem_limit_kib
    spec.time_limit_ms = time_limit_ms
    spec.real_time_limit_ms = real_time_limit_ms
    spec.output_limit_bytes = output_limit_bytes
    spec.trace = trace
    spec.follow_forks = follow_forks
    cdef sio_confinement conf
    cdef bint confined = _read_confinement(confinement, &conf, &spec)
    # The observe policy leaves out what a run does not need: with a uid of
    # its own (leased in C below: root can always lease one, or the run
    # fails) signals cannot be routed to anyone else; without an output
    # limit there is no output to keep append-only.
    spec.filter = _filter_for(policy, files, trace_memory,
                              (conf.lease_ids or conf.ids.slot >= 0)
                              and sio_ids_available() and not conf.keep_caller_ids,
                              output_limit_bytes == 0, fake != 0)
    spec.fake_time = fake
    # Measured unprotected programs are trusted to exec again (env, nice,
    # wrapper scripts); under the isolating policies the image judged is
    # the one started.
    spec.exec_freely = _policy_id(policy) == SIO_POLICY_OBSERVE
    spec.files_mode = _FILES_MODES[files] if files is not None else 0
    spec.local_root = NULL
    if broot is not None:
        spec.local_root = broot
    spec.proc_dirfd = -1
    spec.spawn_mode = SIO_SPAWN_VFORK
    spec.single_threaded = single_threaded
    spec.hooks = NULL
    spec.cgroup_procs_fd = -1
    cdef int keep[MAX_FDS]
    cdef int to_close[MAX_FDS]
    spec.keep_fds = keep
    spec.nkeep_fds = _fill_fds(keep, pass_fds, 'pass_fds')
    spec.close_fds = to_close
    spec.nclose_fds = _fill_fds(to_close, close_fds, 'close_fds')

    with nogil:
        if confined:
            sio_supervise_confined(&spec, &conf, &res)
        else:
            sio_supervise(&spec, &res)

    vin.mem_limit_kib = mem_limit_kib
    vin.time_limit_ms = time_limit_ms
    vin.time_used_ms = res.cpu_us // 1000
    vin.ignore_return = ignore_return
    sio_decide_verdict(&res, &vin, &verdict)

    cdef Result out = Result.__new__(Result)
    out.code = sio_code_name(verdict.code).decode()
    out.text = (<bytes>verdict.text).decode(errors='replace')
    out.exited = res.exited
    out.exit_code = res.exit_code
    out.signaled = res.signaled
    out.term_signal = res.term_signal
    out.user_us = res.user_us
    out.sys_us = res.sys_us
    out.cpu_us = res.cpu_us
    out.tracer_us = res.tracer_us
    out.memcg_peak_kib = res.memcg_peak_kib
    if res.memcg_version:
        out.memory_bound = 'cgroup-v%d' % res.memcg_version
    elif mem_limit_kib:
        out.memory_bound = 'rlimit'
    else:
        out.memory_bound = None
    out.wall_us = res.wall_us
    out.peak_vm_kib = res.peak_vm_kib
    out.peak_rss_kib = res.peak_rss_kib
    out.syscalls = res.syscalls
    out.kill_reason = _KILL_REASONS.get(res.kill_reason)
    out.exec_failed = res.exec_failed
    out.exec_errno = res.exec_errno
    out.internal_error = res.internal_error
    out.detail = (<bytes>res.detail).decode(errors='replace')
    return out


def syscall_name(uint32_t audit_arch, uint64_t nr):
    """Name of syscall ``nr`` in the ABI ``audit_arch`` (AUDIT_ARCH_*)."""
    cdef char buf[128]
    sio_syscall_name(audit_arch, nr, buf, sizeof(buf))
    return (<bytes>buf).decode()


def policy_size(policy, files=None, bint trace_memory=False, bint own_uid=False,
                bint no_output=False):
    """Number of BPF instructions of a policy (builds and caches it)."""
    return _filter_for(policy, files, trace_memory, own_uid, no_output).len


def _kept_output_file():
    """Unit-test hook: the descriptor of the file this thread's runs write
    instead of /dev/null (kept for its next run), or -1."""
    return sio_output_guard_kept_fd()


def perf_probe():
    """Can this machine count user-space instructions (perf_event_open)?
    ``(True, '')``, or ``(False, reason and fix)``."""
    cdef char err[512]
    memset(err, 0, sizeof(err))
    cdef int rc
    with nogil:
        rc = sio_perf_probe(err, sizeof(err))
    return rc == 0, (<bytes>err).decode(errors='replace')


def discover_pmus(sysfs_root='/sys'):
    """The PMUs that count instructions: [(name, perf type)], read from
    ``sysfs_root``/bus/event_source/devices (hybrid CPUs list two)."""
    cdef sio_pmu pmus[SIO_PERF_MAX_PMUS]
    cdef bytes root = _as_bytes(sysfs_root, 'sysfs_root')
    cdef int n = sio_pmu_discover(root, pmus, SIO_PERF_MAX_PMUS)
    return [((<bytes>pmus[i].name).decode(), pmus[i].type) for i in range(n)]


def instructions_to_ms(unsigned long long instructions):
    """Time of ``instructions`` at 2*10^9 instructions a second, in ms."""
    return sio_instructions_to_ms(instructions)


def ms_to_instructions(unsigned long long ms):
    """Instructions in ``ms`` milliseconds at 2*10^9 a second."""
    return sio_ms_to_instructions(ms)


def lease_ids():
    """Lease a uid/gid of its own for a run: from ``SIO_RUN_UIDS`` (default
    1900000000-1900000999) when this process is root, held with a lock in
    ``SIO_RUN_UIDS_DIR`` (default /run/sioworkers/uids) so no other run on
    the machine shares it. Raises :class:`SupervisionError` when no pair can
    be had."""
    cdef char err[256]
    cdef Ids out = Ids.__new__(Ids)
    cdef int rc
    with nogil:
        rc = sio_ids_acquire(&out._ids, err, sizeof(err))
    if rc < 0:
        raise SupervisionError((<bytes>err).decode(errors='replace'))
    out.active = True
    return out


def ids_available():
    """Does this process run programs under uids of their own (is it root)?"""
    return bool(sio_ids_available())


def memcg_limit_bytes(unsigned long long mem_limit_kib):
    """The memory cgroup limit (bytes) of a run with this memory limit."""
    return sio_memcg_limit_bytes(mem_limit_kib)


def memcg_version():
    """The memory cgroup version runs get on this machine (1 or 2), or 0
    when none can be made (not root, or no memory controller to use)."""
    return sio_memcg_available()


def landlock_abi():
    """The Landlock ABI version of this kernel (0: none), which decides
    whether unprotected runs can be kept from writing outside their job
    directory."""
    return sio_landlock_abi()


#: What :func:`scratch_state` says, by ``enum sio_scratch_state``.
SCRATCH_STATES = ('empty', 'used', 'missing', 'foreign')


def scratch_state(path, bint look_inside=True):
    """Whether the directory at ``path`` (a job directory's private
    TMPDIR) is one this process made and what is in it: ``'empty'`` or
    ``'used'`` (a directory of this euid, mode 01777), ``'missing'``, or
    ``'foreign'`` (a link, a FIFO, a file, a directory of another owner or
    mode). Read through a descriptor, never following a link nor blocking;
    OSError when it cannot be told. ``look_inside=False`` (one lstat,
    before a run) says ``'used'`` for any directory of ours."""
    cdef bytes bpath = _as_bytes(path, 'path')
    cdef const char *cpath = bpath
    cdef int state, err = 0
    with nogil:
        state = sio_scratch_state(cpath) if look_inside else sio_scratch_kind(cpath)
        if state < 0:
            err = c_errno
    if state < 0:
        raise OSError(err, strerror(err).decode(), path)
    return SCRATCH_STATES[state]


def net_namespace_for(unsigned uid):
    """The empty network namespace kept for runs under ``uid`` (a
    descriptor this process keeps: do not close it). Needs root; raises
    :class:`SupervisionError` when one cannot be made."""
    cdef char err[256]
    cdef int fd
    with nogil:
        fd = sio_netns_for_uid(uid, err, sizeof(err))
    if fd < 0:
        raise SupervisionError((<bytes>err).decode(errors='replace'))
    return fd


def _kept_namespaces():
    """Test hook: the namespace descriptors this process keeps."""
    cdef int fds[4096]
    cdef size_t n = sio_netns_kept(fds, 4096)
    return [fds[i] for i in range(n)]


def _kept_descriptors():
    """Test hook: every descriptor the native core keeps for later runs
    (namespaces, the devices Landlock rulesets name)."""
    cdef int fds[64]
    cdef size_t n = sio_landlock_kept(fds, 64)
    return _kept_namespaces() + [fds[i] for i in range(n)]


def new_net_namespace():
    """A descriptor (close-on-exec) of a new, empty network namespace, for
    ``sio2jail --net-namespace-fd``; the caller closes it. Needs root.
    Raises :class:`SupervisionError` when one cannot be made."""
    cdef char err[256]
    cdef int fd
    with nogil:
        fd = sio_netns_create(err, sizeof(err))
    if fd < 0:
        raise SupervisionError((<bytes>err).decode(errors='replace'))
    return fd
