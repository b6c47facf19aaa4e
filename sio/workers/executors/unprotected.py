"""Executors without isolation, for trusted programs (compilers, checkers
run by trusted jobs, package tools)."""

import dataclasses
import logging

from sio._native import supervise
from sio.workers import jobfiles
from sio.workers.executors import native
from sio.workers.executors.base import BaseExecutor, Invocation
from sio.workers.executors.results import system_error, to_renv

logger = logging.getLogger(__name__)


class UnprotectedExecutor(BaseExecutor):
    """Runs the command through ``/bin/sh`` exactly as written (shell
    builtins and syntax work), with rlimits for memory (address space) and
    CPU time and a wall-clock limit that kills the whole process group.

    renv: ``return_code``, ``real_time_used`` (and ``stdout`` when captured).
    """

    def _execute(self, call: Invocation) -> dict:
        program = native.plan(call, shell='always')
        result = native.run(call, program, trace=False)
        outcome = native.outcome_of(result)
        return {'return_code': outcome.return_code, 'real_time_used': outcome.wall_ms}


#: Descriptors and processes (threads count) of a measured unprotected run
#: under ids of its own: enough for compilers and the JVM. It sees the
#: host's files but writes only in its job directory, sees no process but
#: its own, and has no network.
DETAILED_CONFINEMENT = native.Confinement(lease_ids=True, lend='rwx', max_open_files=256,
                                          max_processes=512, confine_quotas=True,
                                          memcg=True, own_network=True, hide_processes=True,
                                          write_only_cwd=True)
#: The private TMPDIR of a job directory's unprotected runs, kept for the
#: job (making and removing a directory costs a quarter of a run on some
#: file systems) and emptied after every run.
PRIVATE_TMP = '.sio-tmp'

#: The same, for a tool that needs the network (``network=True``).
NETWORKED_CONFINEMENT = dataclasses.replace(DETAILED_CONFINEMENT, own_network=False)


_warned_landlock = False


def _say_once_what_is_missing() -> None:
    """A kernel without Landlock cannot keep these programs from writing
    where everyone may (/tmp, /dev/shm): said once per process, not hidden."""
    global _warned_landlock
    if not _warned_landlock:
        _warned_landlock = True
        if supervise.landlock_abi() == 0:
            logger.warning('this kernel has no Landlock (Linux 5.13+ with the LSM on): '
                           'programs of DetailedUnprotectedExecutor may write outside '
                           'their job directory')


def _scratch_is(path: str, states: tuple[str, ...], look_inside: bool = True) -> bool:
    """Whether the private TMPDIR at ``path`` is in one of ``states``
    (:func:`~sio._native.supervise.scratch_state`); False when that
    cannot be told, which sends the caller the careful way."""
    try:
        return supervise.scratch_state(path, look_inside) in states
    except OSError:
        return False


class DetailedUnprotectedExecutor(BaseExecutor):
    """Runs the command without a sandbox but measured like a submission:
    directly (no shell) unless the command needs shell syntax, with the
    native supervisor's precise CPU-time and wall-time kill of the whole
    process tree, rlimits, and the checking executors' renv:
    ``result_code``, ``result_string``, ``time_used`` (precise CPU ms, user
    + system, of every process of the run), ``mem_used`` (peak RSS, KiB),
    ``num_syscalls``, ``return_code``, ``real_time_used``.

    The program sees the host's files, but never holds the worker's
    powers: as root it runs as a uid/gid of its own with no capabilities
    (the job directory lent to it for writing), its children cannot leave
    the trace (``CLONE_UNTRACED`` is EPERM, ``clone3`` ENOSYS so libc uses
    clone), routing signals through descriptors is EPERM, and it gets
    small signal/message-queue quotas and, with a memory limit, a memory
    cgroup where one can be made. It cannot install a seccomp filter, make
    a namespace or SysV IPC objects; it writes only beneath the job
    directory (Landlock, where the kernel has it), sees only its own
    processes in /proc, and has no network (an empty network namespace of
    its uid's) unless made with ``network=True``, for a tool that needs
    it. Its environment is the allow-list of
    :data:`~sio.workers.executors.base.INHERITED_ENV` with ``HOME`` the job
    directory and ``TMPDIR`` a private directory in it, removed with
    everything in it when the run ends.
    """

    extra_options = ('pass_fds', 'close_fds', 'fake_time')

    def __init__(self, network: bool = False):
        self.confinement = NETWORKED_CONFINEMENT if network else DETAILED_CONFINEMENT
        _say_once_what_is_missing()

    def _execute(self, call: Invocation) -> dict:
        try:
            program = native.plan(call, shell='when-needed')
        except FileNotFoundError as exc:
            return to_renv(system_error(f'cannot execute the program: {exc}'))
        private_tmp = None
        if call.env.get(b'TMPDIR') == call.cwd.encode():
            # Temporary files of its own, gone when the run is, however it
            # ends (a killed compiler's .o of a gigabyte included).
            private_tmp = f'{call.cwd}/{PRIVATE_TMP}'
            if not _scratch_is(private_tmp, ('used',), look_inside=False):
                jobfiles.private_directory(private_tmp)
            call.env[b'TMPDIR'] = private_tmp.encode()
        try:
            return self._run(call, program)
        finally:
            # The quick look (one descriptor) first; what it cannot call
            # ours and empty is removed the careful way.
            if private_tmp is not None and not _scratch_is(private_tmp, ('empty', 'missing')):
                jobfiles.empty_directory(private_tmp)

    def _run(self, call: Invocation, program: native.Program) -> dict:
        # Tracing stops at exec, fork and exit events (how every descendant
        # is found, timed and killed, and how the peak RSS of the program,
        # not of this process it was cloned from, is read) and, with a
        # memory limit, at allocations (how an allocation refused by the
        # limit becomes MLE). The observe policy's few refusals keep every
        # child traced and every signal at home; other syscalls run
        # untouched.
        mem_limited = bool(call.limits.mem_limit_kib)
        result = native.run(call, program, trace=True, follow_forks=True,
                            policy='observe', trace_memory=mem_limited,
                            confinement=self.confinement)
        outcome = native.outcome_of(result, mem='rss')
        if outcome.code == 'RE':
            # Upstream's words for this executor (OIOIOI shows them, and
            # its tests compare them).
            outcome.text = (f'program exited due to signal {outcome.signal}'
                            if outcome.signal is not None
                            else f'program exited with code {outcome.exit_code}')
        return to_renv(outcome)
