"""SupervisedExecutor: statically linked contest solutions under ptrace
and a seccomp policy, in-process on the native supervisor."""

import functools

from sio._native import supervise
from sio.workers.executors import native
from sio.workers.executors.base import BaseExecutor, Invocation, Limits
from sio.workers.executors.results import system_error, to_renv
from sio.workers.limits import DEFAULTS

DEFAULT_MEM_LIMIT_KIB = DEFAULTS['exec'].mem_limit_kib
DEFAULT_TIME_LIMIT_MS = DEFAULTS['exec'].time_limit_ms
DEFAULT_OUTPUT_LIMIT = DEFAULTS['exec'].output_limit_bytes
MINIMAL_PATH = b'/usr/local/bin:/usr/bin:/bin'
#: Descriptors a static program may hold (also bounds its pipe buffers).
STATIC_OPEN_FILES = 64


@functools.lru_cache(maxsize=256)
def checking_defaults(limits: Limits) -> Limits:
    """Defaults of the checking executors: 64 MiB, 30 s, 50 MiB of output,
    real time 64 x time + 1 s (the native core's rule,
    :func:`~sio._native.supervise.default_real_time_limit_ms`); an
    explicit 0 means none. (Remembered: a problem's tests run under a few
    limits, many times.)"""
    mem = DEFAULT_MEM_LIMIT_KIB if limits.mem_limit_kib is None else limits.mem_limit_kib
    time = DEFAULT_TIME_LIMIT_MS if limits.time_limit_ms is None else limits.time_limit_ms
    out = DEFAULT_OUTPUT_LIMIT if limits.output_limit_bytes is None else limits.output_limit_bytes
    real = limits.real_time_limit_ms
    if real is None:
        real = supervise.default_real_time_limit_ms(time)
    return Limits(mem_limit_kib=mem, time_limit_ms=time, real_time_limit_ms=real,
                  output_limit_bytes=out)


class SupervisedExecutor(BaseExecutor):
    """Runs a statically linked program under the native supervisor:

    * a seccomp policy lets ordinary syscalls run at full speed and stops
      the program only where a decision is needed;
    * opening files is forbidden (RV ``opening files is not allowed``);
      with ``allow_local_open=True`` read-only opens inside the working
      directory succeed and other opens fail with EPERM/EACCES;
    * fork/clone/vfork/clone3, a second execve, sockets, ptrace, signals to
      other processes, routing signals through a descriptor
      (``fcntl(F_SETOWN/F_SETOWN_EX/F_SETSIG/F_SETLEASE/F_NOTIFY)``),
      growing pipe buffers, truncating files, personality, most prctl
      calls, mount, limit raising and foreign ABIs (``int 0x80``, x32) are
      RV ``intercepted forbidden syscall NAME``; clearing O_APPEND from its
      output fails with EPERM;
    * as root, the program runs as a uid/gid of its own with no
      capabilities (see :func:`sio.workers.executors.native.run`), at
      most 64 descriptors (which bound its pipe buffers to 2 MiB) and small
      signal/message-queue quotas; memory is bounded by the address-space
      limit (``memory_bound: 'rlimit'``), the policy leaving it nothing
      else to hold;
    * time_used is the precise CPU time (user + system) in ms, judged
      against the time limit; mem_used peak virtual memory KiB;
    * ``ignore_return=True`` makes a non-zero exit code OK;
    * ``measure_real_time=True`` (the ``cpu-exec`` job, as upstream 1.5.9
      and OIOIOI's 'cpu' mode expect) makes the time limit a wall-clock
      limit and time_used wall ms.

    Java (``exec_info`` mode ``java``, through :mod:`sio.executors.common`
    or the file runners) runs in :class:`~sio.workers.executors.JvmJail`.

    The command runs directly (no shell); simple redirections
    (``noquote('<')``, ``'>'``, ``'2>'``...) are applied by the executor.
    Defaults: 64 MiB, 30 s CPU, 50 MiB output, real time 64 x time + 1 s.
    """

    extra_options = ('ignore_return', 'pass_fds', 'close_fds', 'fake_time')

    def __init__(self, allow_local_open: bool = False, measure_real_time: bool = False,
                 use_program_return_code: bool = True):
        # use_program_return_code: upstream's switch between the program's
        # and the sandbox's exit code in return_code; here it is always the
        # program's, so it is accepted and changes nothing.
        self.allow_local_open = allow_local_open
        self.measure_real_time = measure_real_time
        # No memory cgroup: under the static policy nothing the program can
        # make the kernel hold lies outside what the limits bound already
        # (no memfd, shared memory, tmpfs or processes; pipe buffers bounded
        # by the descriptors), and joining one would cost a tenth of a run.
        self.confinement = native.Confinement(
            lease_ids=True, lend='rx' if allow_local_open else None,
            max_open_files=STATIC_OPEN_FILES, max_processes=1, confine_quotas=True)

    def base_env(self) -> dict[bytes, bytes]:
        return {b'PATH': MINIMAL_PATH}

    def default_limits(self, limits: Limits) -> Limits:
        limits = checking_defaults(limits)
        if self.measure_real_time and limits.time_limit_ms:
            # The time limit is on the wall clock (the CPU can only be less).
            real = limits.real_time_limit_ms
            limits = limits.replace(real_time_limit_ms=min(real, limits.time_limit_ms) if real
                                    else limits.time_limit_ms)
        return limits

    def _execute(self, call: Invocation) -> dict:
        try:
            program = native.plan(call, shell='never')
        except (native.NeedsShell, FileNotFoundError) as exc:
            return to_renv(system_error(str(exc)))
        result = native.run(
            call, program, trace=True, policy='static',
            files='local-readonly' if self.allow_local_open else 'forbid',
            trace_memory=True, single_threaded=True,
            ignore_return=bool(call.options.get('ignore_return', False)),
            confinement=self.confinement)
        outcome = native.outcome_of(result, mem='vm')
        if self.measure_real_time:
            outcome.time_ms = outcome.wall_ms
        return to_renv(outcome)


class _SIOSupervisedExecutor(SupervisedExecutor):
    """Upstream's base of SupervisedExecutor, which ran exec-sandbox's
    supervisor binary: here the same native supervisor. ``sandbox_name`` is
    accepted for compatibility."""

    def __init__(self, sandbox_name: str = 'exec-sandbox', **kwargs):
        super().__init__(**kwargs)
        self.sandbox_name = sandbox_name
