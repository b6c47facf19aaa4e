"""Running an :class:`~sio.workers.executors.base.Invocation` on the native
supervisor (``sio._native.supervise``): command planning, redirections and
the mapping of limits. Shared by every executor that supervises in-process."""

import errno
import os
import time
from dataclasses import dataclass
from functools import cached_property

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
    """What a run may take beyond its limits: RLIMIT_NOFILE and RLIMIT_NPROC
    (0: inherited; processes only count with ids of its own), the small
    signal/message-queue/locked-memory quotas, its own memory cgroup, the
    access to the job directory its ids get (``'x'``, ``'rx'``,
    ``'rwx'``; None: none, the program is started through a descriptor
    opened before the switch), and what of the host it sees."""

    open_files: int = 0
    processes: int = 0
    quotas: bool = True
    memcg: bool = True
    directory_access: str | None = None
    #: For programs that see the host (unprotected runs): whether they keep
    #: the host's network (else an empty namespace of their ids'), see the
    #: host's other processes in /proc, and may write outside the job
    #: directory.
    network: bool = True
    see_processes: bool = True
    write_anywhere: bool = True

    @cached_property
    def supervisor_options(self) -> dict:
        """The options of :func:`sio._native.supervise.run` this means
        (made once: executors share their confinement)."""
        return {
            'own_ids': True,
            'lend': self.directory_access,
            'max_open_files': self.open_files,
            'max_processes': self.processes,
            'confine_quotas': self.quotas,
            'memcg': self.memcg,
            'own_network': not self.network,
            'hide_processes': not self.see_processes,
            'write_only_cwd': not self.write_anywhere,
        }


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
        confinement: Confinement | None = None, lend_to=None,
        lend_access: str | None = None, run_as_lent: bool = False):
    """Run ``program`` for ``call``; the native Result, or an SE
    :class:`Outcome` when the run could not even start.

    With a ``confinement`` the program runs under a uid/gid pair of its own
    when this process is root (leased for the run from ``SIO_RUN_UIDS``, see
    :func:`sio._native.supervise.lease_ids`), with no capabilities, and the
    job directory lent to the pair's group as the confinement says. With
    ``lend_to`` (a leased :class:`~sio._native.supervise.Ids`) the job
    directory is lent to that pair for ``lend_access`` while the program
    (a jail, which applies the pair itself) keeps this process's ids, or,
    with ``run_as_lent``, runs as that pair (a jail that cannot apply it).

    A spawn refused with EAGAIN at exec is tried again for up to
    :data:`NPROC_RETRY_SECONDS`: the processes of the previous run under
    the same ids may be zombies for a moment (a killed pipeline's orphans
    wait for init to reap them), and they still count against
    RLIMIT_NPROC. Not a run that was handed descriptors (``close_fds``):
    they went with the first try."""
    if lend_to is not None:
        options = {'ids': lend_to, 'lend': lend_access, 'keep_caller_ids': not run_as_lent}
    elif confinement is not None:
        options = confinement.supervisor_options
    else:
        options = {}
    fds = [call.stdin, call.stdout, call.stderr]
    opened = []
    try:
        for fd, (path, flags) in program.redirects.items():
            try:
                fds[fd] = os.open(os.path.join(call.cwd, path), flags | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                return system_error(f'cannot open {exc.filename}: {exc.strerror}')
            opened.append(fds[fd])
        if program.stderr_to_stdout:
            fds[2] = fds[1]
        close_fds = tuple(call.options.get('close_fds') or ())
        pass_fds = tuple(call.options.get('pass_fds') or ())
        # From here the supervisor closes them, however the run ends.
        call.close_fds_taken = True
        deadline = None
        delay = 0.005
        while True:
            try:
                result = supervise.run(
                    program.path, program.argv, call.env, cwd=call.cwd,
                    stdin=-1 if fds[0] is None else fds[0],
                    stdout=-1 if fds[1] is None else fds[1],
                    stderr=-1 if fds[2] is None else fds[2],
                    limits=call.limits,
                    trace=trace, follow_forks=follow_forks, policy=policy, files=files,
                    trace_memory=trace_memory,
                    local_root=(os.path.realpath(call.cwd) if files == 'local-readonly'
                                else None),
                    single_threaded=single_threaded, ignore_return=ignore_return,
                    pass_fds=pass_fds, fake_time=call.options.get('fake_time'),
                    close_fds=close_fds, **options)
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
