"""Running an :class:`~sio.workers.executors.base.Invocation` on the native
supervisor (``sio._native.supervise``): command planning, redirections and
the mapping of limits. Shared by every executor that supervises in-process."""

import errno
import os
import time
from dataclasses import dataclass

from sio._native import supervise
from sio.workers.executors.base import Invocation, close_all
from sio.workers.executors.command import parse, resolve_program
from sio.workers.executors.results import Outcome, from_native, system_error

SHELL = '/bin/sh'


class NeedsShell(ValueError):
    """The command uses shell syntax an executor without a shell cannot run."""


@dataclass
class Program:
    path: str
    argv: list[str]
    redirects: dict[int, tuple[str, int]]
    stderr_to_stdout: bool


def plan(call: Invocation, shell: str) -> Program:
    """How to start the command. ``shell``: 'always' (through /bin/sh like
    the original executors), 'when-needed', or 'never'."""
    parsed = parse(call.command)
    if shell == 'always' or (parsed.argv is None and shell == 'when-needed'):
        return Program(SHELL, [SHELL, '-c', parsed.shell], {}, False)
    if parsed.argv is None:
        raise NeedsShell(f'this executor runs programs directly and cannot run '
                         f'shell syntax: {parsed.shell}')
    path = resolve_program(parsed.argv[0], call.env)
    if path is None:
        raise FileNotFoundError(f'{parsed.argv[0]}: command not found')
    return Program(path, parsed.argv, parsed.redirects, parsed.stderr_to_stdout)


@dataclass(frozen=True)
class Confinement:
    """What confines a run beyond its limits, taken whole by
    :func:`sio._native.supervise.run` (the names are those of ``struct
    sio_confinement`` and of ``struct sio_spec``'s confining fields; every
    default is "not at all", as the zeroed structs are). Executors make one
    and share it between their runs.

    ``lease_ids`` runs the program under a uid/gid pair leased for the run
    (:func:`~sio._native.supervise.lease_ids`; nothing changes where this
    process cannot switch ids), ``ids`` under a pair the caller leased;
    with either, ``lend`` (``'x'``, ``'rx'``, ``'rwx'``) lends the job
    directory to the pair's group for the run (None: not at all; the
    program is started through a descriptor opened before the switch), and
    ``keep_caller_ids`` lends it but runs the program with this process's
    ids (a jail, which applies the pair itself). ``max_open_files`` and
    ``max_processes`` are its RLIMIT_NOFILE and RLIMIT_NPROC (0: inherited;
    processes only count with a pair of its own); ``confine_quotas`` gives
    it small pending-signal, message-queue and locked-memory quotas;
    ``memcg`` puts it, when it has a memory limit, in its pair's memory
    cgroup limited to that plus a little kernel memory.

    For a program that sees the host's files (an unprotected run) with a
    pair of its own: ``own_network`` puts it in the pair's empty network
    namespace, ``hide_processes`` in a mount namespace whose /proc shows
    its own processes alone, and ``write_only_cwd`` lets it write nowhere
    but beneath the job directory (Landlock, where the kernel has it;
    without a pair too)."""

    lease_ids: bool = False
    ids: supervise.Ids | None = None
    lend: str | None = None
    keep_caller_ids: bool = False
    max_open_files: int = 0
    max_processes: int = 0
    confine_quotas: bool = False
    memcg: bool = False
    own_network: bool = False
    hide_processes: bool = False
    write_only_cwd: bool = False


def check_fake_time(value) -> str:
    """A ``fake_time`` option as the supervisor and the jail take it
    (``'off'``, ``'random'``, ``'zero'``: sio2jail's ``--fake-time``);
    ValueError naming the option otherwise."""
    if value not in supervise.FAKE_TIME_MODES:
        raise ValueError(f'fake_time must be one of {", ".join(supervise.FAKE_TIME_MODES)}, '
                         f'not {value!r}')
    return value


#: How long a spawn refused for the run's ids' process quota is retried.
NPROC_RETRY_SECONDS = 2.0


def run(call: Invocation, program: Program, *, trace: bool, follow_forks: bool = False,
        policy: str | None = None, files: str | None = None, trace_memory: bool = False,
        single_threaded: bool = False, ignore_return: bool = False,
        confinement: Confinement | None = None):
    """Run ``program`` for ``call``; the native Result, or an SE
    :class:`Outcome` when the run could not even start.

    ``confinement`` goes whole to the supervisor (None: the program keeps
    this process's ids). A spawn refused with EAGAIN at exec is tried
    again for up to :data:`NPROC_RETRY_SECONDS`: the processes of the
    previous run under the same ids may be zombies for a moment (a killed
    pipeline's orphans wait for init to reap them), and they still count
    against RLIMIT_NPROC. Not a run that was handed descriptors
    (``close_fds``): they went with the first try."""
    stdin, stdout, stderr = call.stdin, call.stdout, call.stderr
    opened = []
    try:
        if program.redirects:
            fds = [stdin, stdout, stderr]
            for fd, (path, flags) in program.redirects.items():
                try:
                    fds[fd] = os.open(os.path.join(call.cwd, path), flags | os.O_CLOEXEC,
                                      0o644)
                except OSError as exc:
                    return system_error(f'cannot open {exc.filename}: {exc.strerror}')
                opened.append(fds[fd])
            stdin, stdout, stderr = fds
        if program.stderr_to_stdout:
            stderr = stdout
        options = call.options
        if options:
            close_fds = tuple(options.get('close_fds') or ())
            pass_fds = tuple(options.get('pass_fds') or ())
            fake_time = options.get('fake_time')
        else:
            close_fds = pass_fds = ()
            fake_time = None
        # From here the supervisor closes them, however the run ends.
        call.close_fds_taken = True
        deadline = None
        delay = 0.005
        while True:
            try:
                result = supervise.run(
                    program.path, program.argv, call.env, cwd=call.cwd,
                    stdin=-1 if stdin is None else stdin,
                    stdout=-1 if stdout is None else stdout,
                    stderr=-1 if stderr is None else stderr,
                    limits=call.limits,
                    trace=trace, follow_forks=follow_forks, policy=policy, files=files,
                    trace_memory=trace_memory,
                    local_root=(os.path.realpath(call.cwd) if files == 'local-readonly'
                                else None),
                    single_threaded=single_threaded, ignore_return=ignore_return,
                    pass_fds=pass_fds, fake_time=fake_time,
                    close_fds=close_fds, confinement=confinement)
            except (supervise.SupervisionError, ValueError, TypeError) as exc:
                close_all(close_fds)  # refused before the native call, which closes them
                return system_error(f'supervisor error: {exc}')
            if close_fds or not (result.exec_failed and result.exec_errno == errno.EAGAIN):
                return result
            if deadline is None:
                deadline = time.monotonic() + NPROC_RETRY_SECONDS
            elif time.monotonic() >= deadline:
                return result
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
    finally:
        for fd in opened:
            os.close(fd)


def outcome_of(result, mem: str = 'vm') -> Outcome:
    if isinstance(result, Outcome):
        return result
    return from_native(result, mem=mem)
