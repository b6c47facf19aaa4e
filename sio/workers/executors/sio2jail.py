"""Sio2JailExecutor: programs in the bundled sio2jail (namespaces, seccomp,
instruction counting), or in a stock sio2jail named by ``SIO2JAIL_PATH``."""

import glob
import logging
import os
import re
import subprocess
import threading

from sio._native import helper_path, supervise
from sio.workers.executors import native
from sio.workers.executors.base import BaseExecutor, Invocation, Limits
from sio.workers.executors.results import Outcome, system_error, to_renv
from sio.workers.executors.supervised import checking_defaults
from sio.workers.java import java_command

logger = logging.getLogger(__name__)

_SIGNAL = re.compile(r'process exited due to signal (\d+)')
_perf_lock = threading.Lock()
_perf_state: tuple[bool, str] | None = None
_netns_lock = threading.Lock()
_netns_warned = False
_jail_kinds_lock = threading.Lock()
_jail_kinds: dict[tuple, bool] = {}
#: What the bundled jail's --version says besides the stock version.
BUNDLED_MARK = 'bundled with sioworkers'


def instruction_counting() -> tuple[bool, str]:
    """Whether this machine counts instructions, checked once per process;
    ``(works, why not)``."""
    global _perf_state
    with _perf_lock:
        if _perf_state is None:
            _perf_state = supervise.perf_probe()
            if not _perf_state[0]:
                logger.warning('instruction counting is not available, sio2jail-exec '
                               'measures precise CPU time instead: %s', _perf_state[1])
        return _perf_state


def net_namespace_for(uid: int) -> int | None:
    """The empty network namespace (a descriptor the native core keeps)
    that jailed runs under ``uid`` join instead of making one each (a
    millisecond of every run): runs under one uid never overlap, and a
    program without capabilities over it leaves nothing behind. None where
    none can be made; the jail then makes its own."""
    global _netns_warned
    try:
        return supervise.net_namespace_for(uid)
    except supervise.SupervisionError as exc:
        with _netns_lock:
            if not _netns_warned:
                logger.warning('every jailed run makes its own network namespace: %s',
                               exc)
                _netns_warned = True
        return None


def is_bundled_jail(path: str) -> bool:
    """Whether the jail at ``path`` is sioworkers' own, which takes
    ``--uid``, ``--gid`` and ``--net-namespace-fd``; a stock sio2jail (from
    ``SIO2JAIL_PATH`` or a downloaded sandbox) does not. Its ``--version``
    is asked once per binary."""
    try:
        st = os.stat(path)
    except OSError:
        return False  # reported when the jail is started
    key = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)  # the binary itself
    with _jail_kinds_lock:
        if key not in _jail_kinds:
            try:
                version = subprocess.run([path, '--version'], capture_output=True,
                                         timeout=10).stdout
            except (OSError, subprocess.SubprocessError):
                version = b''
            _jail_kinds[key] = BUNDLED_MARK.encode() in version
        return _jail_kinds[key]


def jail_binary(sandbox_path: str | None = None, bundled_only: bool = False) -> str:
    """SIO2JAIL_PATH, else the sandbox's jail, else the bundled one; the
    bundled one alone with ``bundled_only``."""
    path = os.environ.get('SIO2JAIL_PATH')
    if path and not bundled_only:
        return path
    if sandbox_path:
        return os.path.join(sandbox_path, 'sio2jail')
    return helper_path('sio2jail')


def parse_report(text: str, wall_ms: int) -> Outcome:
    """An Outcome from the jail's report (oiaug/oireal format):
    ``CODE EXIT_STATUS TIME_MS 0 MEM_KIB SYSCALLS`` and the result string."""
    lines = text.splitlines()
    fields = lines[0].split() if lines else []
    if len(fields) != 6 or not all(f.isdigit() for f in fields[1:]):
        raise ValueError(f'not a sio2jail report: {text[:200]!r}')
    code, status, time_ms, _, mem, syscalls = fields
    message = lines[1] if len(lines) > 1 else ''
    signal = _SIGNAL.fullmatch(message)
    status = int(status)
    return Outcome(
        code=code, text=message,
        exit_code=None if signal else status,
        signal=int(signal.group(1)) if signal else None,
        time_ms=int(time_ms), mem_kib=int(mem), syscalls=int(syscalls), wall_ms=wall_ms)


class Sio2JailExecutor(BaseExecutor):
    """Runs a program in sio2jail: its own user, mount, pid, net, ipc and uts
    namespaces, an empty read-only root (or the ``sandbox``'s
    ``boxes/minimal``) with the program at /exe, no capabilities, the
    seccomp policy for static programs, memory/output/time limits.

    time_used is instructions / 2*10^9 per second (``time_measure:
    'instructions'``); where hardware counters are unavailable it is the
    precise CPU time, user + system (``time_measure: 'cpu'``, with a
    warning in the log), or SE when ``SIO2JAIL_REQUIRE_PERF=1``. mem_used
    is peak virtual memory. As root, the program runs as a uid/gid of its
    own (mapped inside the jail's user namespace); with the permissive
    policy it also gets a memory cgroup where one can be made
    (``memory_bound``).

    Options: ``binds`` (list of ``(outside, inside, read_only)``),
    ``policy`` (``'default'`` or ``'permissive'``), ``measure`` (``'cpu'``
    to skip instruction counting), ``workdir`` (the working directory
    inside), ``pass_fds`` (descriptors the program keeps), ``close_fds``
    (closed here once the program has them), ``procfs`` (a /proc of the
    jail's own), ``cgroup_memory_limit`` (KiB the run may hold, by a
    memory cgroup alone, for programs whose address space is no measure).
    Strict: extra files are not exposed.
    """

    extra_options = ('binds', 'policy', 'measure', 'workdir', 'pass_fds', 'close_fds',
                     'procfs', 'cgroup_memory_limit', 'fake_time')
    measure_real_time = False
    #: Run the bundled jail even where SIO2JAIL_PATH names another: the
    #: package's own uses (checkers, generators, the JVM) need its options.
    bundled_only = False

    def __init__(self, sandbox: str | None = None, measure_real_time: bool | None = None):
        self.sandbox_name = sandbox
        if measure_real_time is not None:
            self.measure_real_time = measure_real_time
        self._sandbox = None

    def __enter__(self):
        if self.sandbox_name:
            from sio.workers.sandbox import get_sandbox

            self._sandbox = get_sandbox(self.sandbox_name).__enter__()
        return self

    def __exit__(self, *exc_info):
        if self._sandbox is not None:
            self._sandbox.__exit__(*exc_info)
            self._sandbox = None

    def base_env(self) -> dict[bytes, bytes]:
        return {b'PATH': b'/usr/local/bin:/usr/bin:/bin'}

    def default_limits(self, limits: Limits) -> Limits:
        return checking_defaults(limits)

    def _time_options(self, limits: Limits, use_perf: bool) -> list[str]:
        real = limits.real_time_limit_ms
        if self.measure_real_time:
            # The time limit is a wall-clock limit here.
            if limits.time_limit_ms:
                real = min(real, limits.time_limit_ms) if real else limits.time_limit_ms
            return ['--rtimelimit', f'{real}ms'] if real else []
        opts = []
        if limits.time_limit_ms:
            if use_perf:
                opts += ['--instruction-count-limit',
                         str(supervise.ms_to_instructions(limits.time_limit_ms))]
            else:
                opts += ['--utimelimit', f'{limits.time_limit_ms}ms']
        if real:
            opts += ['--rtimelimit', f'{real}ms']
        return opts

    def jail_command(self, call: Invocation, program: native.Program) -> tuple[list, str]:
        """The jail's command line and how time is measured."""
        options = call.options
        use_perf = False
        measure = 'real' if self.measure_real_time else 'cpu'
        if not self.measure_real_time and options.get('measure') != 'cpu':
            use_perf, why = instruction_counting()
            if use_perf:
                measure = 'instructions'
            elif os.environ.get('SIO2JAIL_REQUIRE_PERF') == '1':
                raise RuntimeError(f'instruction counting is required '
                                   f'(SIO2JAIL_REQUIRE_PERF=1) but unavailable: {why}')
        limits = call.limits
        sandbox_path = self._sandbox.path if self._sandbox else None
        cmd = [jail_binary(sandbox_path, self.bundled_only), '-f', '2',
               '-o', 'oireal' if self.measure_real_time else 'oiaug']
        if not use_perf:
            cmd += ['--perf', 'off']
        if limits.mem_limit_kib:
            cmd += ['-m', f'{limits.mem_limit_kib}k']
        cmd += self._time_options(limits, use_perf)
        if limits.output_limit_bytes:
            cmd += ['--output-limit', f'{limits.output_limit_bytes}b']
        if sandbox_path and os.path.isdir(os.path.join(sandbox_path, 'boxes', 'minimal')):
            cmd += ['-b', os.path.join(sandbox_path, 'boxes', 'minimal') + ':/:ro']
        for outside, inside, read_only in options.get('binds') or ():
            cmd += ['-b', f'{outside}:{inside}:{"ro" if read_only else "rw"}']
        if options.get('policy'):
            cmd += ['-p', options['policy']]
        if options.get('workdir'):
            cmd += ['-c', options['workdir']]
        if options.get('procfs'):
            cmd += ['--procfs', 'on']
        if options.get('cgroup_memory_limit'):
            cmd += ['--cgroup-memory-limit', f"{options['cgroup_memory_limit']}k"]
        if options.get('fake_time') not in (None, 'off'):
            cmd += ['--fake-time', native.check_fake_time(options['fake_time'])]
        for fd in options.get('pass_fds') or ():
            cmd += ['--pass-fd', str(fd)]
        exe = os.path.join(call.cwd, program.path)
        cmd += ['--', exe] + program.argv[1:]
        return cmd, measure

    def _execute(self, call: Invocation) -> dict:
        try:
            program = native.plan(call, shell='never')
            cmd, measure = self.jail_command(call, program)
        except (native.NeedsShell, FileNotFoundError, RuntimeError) as exc:
            return to_renv(system_error(str(exc)))
        # The bundled jail needs root's powers to build itself; the program
        # runs as ids leased here (the jail maps them inside its user
        # namespace), lent the job directory when it is bound (a checker's,
        # a generator's). A stock jail cannot take the ids: it runs as them
        # itself, without root's powers, in a user namespace of its own.
        try:
            ids = supervise.lease_ids()
        except supervise.SupervisionError as exc:
            return to_renv(system_error(f'cannot give the program ids of its own: {exc}'))
        with ids:
            leased = ids.leased
            bundled = leased and is_bundled_jail(cmd[0])
            if leased and not bundled:
                # The bundled jail does this itself (confine.h).
                try:
                    supervise.let_others_execute(os.path.join(call.cwd, program.path))
                except OSError as exc:
                    return to_renv(system_error(str(exc)))
            net_fd = None
            if bundled:
                extra = ['--uid', str(ids.uid), '--gid', str(ids.gid)]
                net_fd = net_namespace_for(ids.uid)
                if net_fd is not None:
                    extra += ['--net-namespace-fd', str(net_fd)]
                at = cmd.index('--')
                cmd[at:at] = extra
            renv = self._run_jail(call, program, cmd, ids, net_fd,
                                  jail_as_ids=leased and not bundled)
        if renv.get('result_code') != 'SE':
            renv['time_measure'] = measure
            if call.limits.mem_limit_kib:
                # Only programs the static policy does not bound get one.
                permissive = call.options.get('policy') == 'permissive'
                version = supervise.memcg_version() if bundled and permissive else 0
                renv['memory_bound'] = f'cgroup-v{version}' if version else 'rlimit'
        return renv

    def _run_jail(self, call: Invocation, program: native.Program, cmd: list,
                  ids: supervise.Ids, net_fd: int | None, jail_as_ids: bool) -> dict:
        # The report comes on the jail's stderr (-f 2): a pipe, read when
        # the jail is done (it is a few lines, far below a pipe's buffer).
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        try:
            jail_call = Invocation(
                command=cmd, env=call.env, stdin=call.stdin, stdout=call.stdout,
                stderr=write_end,
                # The jail enforces the limits; this only guards against a
                # jail that hangs itself.
                limits=Limits(real_time_limit_ms=call.limits.real_time_limit_ms + 10_000
                              if call.limits.real_time_limit_ms else None),
                cwd=call.cwd,
                options={'pass_fds': tuple(call.options.get('pass_fds') or ())
                         + ((net_fd,) if net_fd is not None else ()),
                         'close_fds': call.options.get('close_fds') or ()})
            jail = native.Program(cmd[0], cmd, program.redirects, False)
            call.close_fds_taken = True  # by the jail's own run
            # A jail running as the ids must reach the program in the job
            # directory itself.
            access = _job_dir_access(call) or ('x' if jail_as_ids else None)
            lent = (native.Confinement(ids=ids, lend=access, keep_caller_ids=not jail_as_ids)
                    if ids.leased else None)
            result = native.run(jail_call, jail, trace=False, confinement=lent)
            os.close(write_end)
            write_end = -1
            with os.fdopen(read_end, 'rb') as report:
                read_end = -1
                text = report.read(1 << 16).decode('utf-8', errors='replace')
        finally:
            for fd in (read_end, write_end):
                if fd >= 0:
                    os.close(fd)
        outcome = native.outcome_of(result)
        if outcome.code == 'SE' and not text:
            return to_renv(outcome)
        try:
            parsed = parse_report(text, outcome.wall_ms)
        except ValueError:
            message = text.strip().splitlines()[-1] if text.strip() else outcome.text
            return to_renv(system_error(f'sio2jail failed: {message}', outcome.wall_ms))
        return to_renv(parsed)


class RealTimeSio2JailExecutor(Sio2JailExecutor):
    """Sio2JailExecutor measuring wall-clock time (``-o oireal``): the time
    limit is a real-time limit and time_used is wall ms."""

    measure_real_time = True


def _job_dir_access(call: Invocation) -> str | None:
    """What the run's group must be lent of the job directory: what the
    binds of it (or of anything in it) expose."""
    job = os.path.realpath(call.cwd)
    access = None
    for outside, _, read_only in call.options.get('binds') or ():
        outside = os.path.realpath(outside)
        if outside == job or outside.startswith(job + os.sep):
            if not read_only:
                return 'rwx'
            access = 'rx'
    return access


def isolated_checker_executor() -> Sio2JailExecutor:
    """How an untrusted checker runs: in the jail with the permissive policy,
    the host's system directories (for its dynamic libraries) and the job
    directory bound read-only, CPU time measured."""
    return _IsolatedJail(writable=False)


def isolated_program_executor() -> Sio2JailExecutor:
    """How generators and verifiers run when a job asks for sandboxes
    (``use_sandboxes``): as untrusted checkers, but with the job directory
    bound writable and as the working directory, so a generator can write
    its tests there."""
    return _IsolatedJail(writable=True)


def task_program_executor(use_sandboxes: bool) -> BaseExecutor:
    """How a task's own programs (the ingen job's generator, the inwer
    job's verifier) run: in the jail as :func:`isolated_program_executor`
    makes it when the job asks for sandboxes (upstream used PRoot in
    null-sandbox; the jail isolates for real, under ids of its own),
    measured unprotected otherwise."""
    if use_sandboxes:
        return isolated_program_executor()
    from sio.workers.executors.unprotected import DetailedUnprotectedExecutor

    return DetailedUnprotectedExecutor()


class _IsolatedJail(Sio2JailExecutor):
    SYSTEM_DIRS = ('/usr', '/lib', '/lib64', '/lib32', '/bin', '/sbin', '/etc/ld.so.cache',
                   '/etc/alternatives')
    # The permissive policy, binds of /, a procfs, a memory cgroup: options
    # a stock jail does not have. SIO2JAIL_PATH is for contestants' programs.
    bundled_only = True

    def __init__(self, writable: bool):
        super().__init__()
        self.writable = writable

    def __call__(self, command, **kwargs):
        from sio.workers.jobdir import tempcwd

        binds = [(p, p, True) for p in self.SYSTEM_DIRS if os.path.exists(p)]
        job = os.path.realpath(tempcwd())
        binds.append((job, job, not self.writable))
        kwargs.setdefault('binds', binds)
        kwargs.setdefault('policy', 'permissive')
        kwargs.setdefault('measure', 'cpu')
        if self.writable:
            kwargs.setdefault('workdir', job)
        return super().__call__(command, **kwargs)


#: The dynamic loader the JVM is started through (see JvmJail).
_LOADER = '/lib64/ld-linux-x86-64.so.2'


class _InterpreterJail(_IsolatedJail):
    """A language runtime in the jail, read-only, with a memory cgroup
    instead of an address-space limit (a runtime reserves far more address
    space than it uses); CPU time measured, or wall time with
    ``measure_real_time``."""

    def __init__(self, measure_real_time: bool = False):
        super().__init__(writable=False)
        self.measure_real_time = measure_real_time

    def default_limits(self, limits: Limits) -> Limits:
        return super().default_limits(limits).replace(mem_limit_kib=None)

    def __call__(self, command, **kwargs):
        if self.measure_real_time:
            kwargs['measure'] = None
        return super().__call__(command, **kwargs)


class JvmJail(_InterpreterJail):
    """The JVM, for Java submissions under the checking executors
    (``SupervisedExecutor``, the jails): in the jail with the permissive
    policy, the host's system directories read-only, a /proc of its own,
    no network, ids of its own; CPU time measured (wall time with
    ``measure_real_time``). As upstream, the memory limit is the heap
    (``-Xmx`` in the command), not the JVM's address space.

    All the JVM holds (heap, threads, off-heap memory) is bounded by a
    memory cgroup: the heap and thread stack of the command plus
    :data:`~sio.workers.java.JVM_OVERHEAD_KIB` (the bound
    :func:`~sio.workers.java.java_command` gives); past it the run is MLE.

    The launcher finds its libraries relative to itself (``$ORIGIN``),
    which a program started from a descriptor does not know, so the JVM is
    started by the dynamic loader, by path; it is kept from raising its
    descriptor limit (``-XX:-MaxFDLimit``), a forbidden syscall here.
    """

    def __call__(self, command, **kwargs):
        from shutil import which

        java = which('java')
        if not java or not os.path.exists(_LOADER):
            raise FileNotFoundError('java is not installed (apt-get install '
                                    'default-jdk-headless)')
        if isinstance(command, (list, tuple)) and command and command[0] == 'java':
            command = [_LOADER, os.path.realpath(java), '-XX:-MaxFDLimit', *command[1:]]
        binds = [(p, p, True) for p in self.SYSTEM_DIRS if os.path.exists(p)]
        binds += [(p, p, True) for p in sorted(glob.glob('/etc/java*'))]
        from sio.workers.jobdir import tempcwd

        job = os.path.realpath(tempcwd())
        binds.append((job, job, True))
        kwargs.setdefault('binds', binds)
        kwargs.setdefault('procfs', True)
        kwargs['mem_limit'] = None
        # Callers pass what the JVM they start may hold (java_command's
        # bound); a JVM without a heap limit may hold this much.
        kwargs.setdefault('cgroup_memory_limit', java_command('', None)[1])
        return super().__call__(command, **kwargs)


class PythonJail(_InterpreterJail):
    """Python 3 programs under the checking executors (``SupervisedExecutor``,
    the jails): the interpreter in the jail with the permissive policy, the
    host's system directories and the job directory read-only (modules put
    next to the program, ``extra_execution_files``, import from there), no
    network, ids of its own. The memory limit bounds what the run holds (a
    memory cgroup: resident memory, as sinol-make's time tool measures it),
    not its address space, which the interpreter's start-up alone takes
    tens of MiB of; past it the run is MLE."""

    def __call__(self, command, **kwargs):
        from sio.workers.executors.supervised import DEFAULT_MEM_LIMIT_KIB

        mem_limit = kwargs.pop('mem_limit', None)
        if kwargs.get('limits') is not None:
            mem_limit = kwargs['limits'].mem_limit_kib
        kwargs.setdefault('cgroup_memory_limit', mem_limit or DEFAULT_MEM_LIMIT_KIB)
        return super().__call__(command, **kwargs)


def python_executor_for(executor) -> PythonJail:
    """The PythonJail standing in for a checking ``executor`` (same time
    measure)."""
    return PythonJail(measure_real_time=bool(getattr(executor, 'measure_real_time', False)))


def runs_jvm(executor) -> bool:
    """Whether Java submissions under ``executor`` run in :class:`JvmJail`."""
    from sio.workers.executors.supervised import SupervisedExecutor

    return isinstance(executor, (SupervisedExecutor, Sio2JailExecutor))


def jvm_executor_for(executor) -> JvmJail:
    """The JvmJail standing in for ``executor`` (same time measure)."""
    return JvmJail(measure_real_time=bool(getattr(executor, 'measure_real_time', False)))
