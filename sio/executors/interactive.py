"""Interactive tasks: the solution talks to an interactor through pipes.

Jobs: ``interactive-exec`` (the solution under SupervisedExecutor),
``cpu-interactive-exec`` (the same, wall-clock time), ``unsafe-interactive-
exec`` (DetailedUnprotectedExecutor) and ``sio2jail-interactive-exec``
(Sio2JailExecutor). Keys as the exec jobs' (``exe_file``, ``in_file``,
``exec_*`` limits, ``out_file``, ``upload_out``), plus:

``interactor_file``
    the interactor, run as ``interactor N R0 W0 R1 W1 ...``: N solution
    processes, each with a pipe pair (it reads what process i writes from
    Ri and writes to it on Wi), the test input on its stdin; it writes its
    verdict to stdout: ``OK`` (anything else is a wrong answer), a comment
    line and a score line, as checkers do;
``num_processes``
    how many solution processes (default 1); process i gets ``i`` as its
    argument and its pipes as stdin and stdout;
``interactor_mem_limit``, ``interactor_time_limit``, ``interactor_real_time_limit``
    the interactor's limits (256 MiB; twice the solution's time limit).

As upstream: a solution that exits before the interactor is done is WA
``solution exited prematurely``; an interactor that fails is a failure of
the job (SE, with the details); when either side stalls, TLE. Beyond
upstream, which runs the interactor unprotected as the worker's user, the
interactor runs in the jail under ids of its own (permissive policy, the
host's libraries, no files), and the solution keeps its executor's
isolation. A solution that broke a limit or a rule (TLE, MLE, OLE, RV)
keeps that verdict, whatever the interactor wrote; otherwise the
interactor's verdict counts.
"""

import logging
import os
import signal
import threading

from sio.executors import common
from sio.executors.checker import apply_verdict
from sio.workers import Failure, ft, jobfiles
from sio.workers import limits as run_limits
from sio.workers.environ import require
from sio.workers.executors import (
    DetailedUnprotectedExecutor,
    Sio2JailExecutor,
    SupervisedExecutor,
    isolated_checker_executor,
)
from sio.workers.executors.base import close_all
from sio.workers.jobdir import TemporaryCwd, tempcwd

logger = logging.getLogger(__name__)

DEFAULT_INTERACTOR_MEM_LIMIT = run_limits.DEFAULTS['interactor'].mem_limit_kib
MAX_PROCESSES = 16


class InteractorError(Failure):
    """The interactor failed: the job fails (SE), with what it said."""


def _in_thread(target, *args, **kwargs):
    """Run target in a thread with a job directory of its own (executors
    run programs in the calling thread's); (thread, result box)."""
    box = {}

    def body():
        try:
            with TemporaryCwd():
                box['value'] = target(*args, **kwargs)
        except BaseException as exc:  # reported by the caller
            box['error'] = exc

    thread = threading.Thread(target=body, daemon=True)
    return thread, box


def _num_processes(environ: dict) -> int:
    value = environ.get('num_processes', 1)
    if isinstance(value, bool) or not isinstance(value, int) or \
            not 1 <= value <= MAX_PROCESSES:
        raise Failure(f"environ['num_processes'] must be 1 to {MAX_PROCESSES}, "
                      f'not {value!r}')
    return value


def _interactor_limits(environ: dict, time_limit: int | None) -> run_limits.RunLimits:
    """The interactor's limits: its own, its CPU time twice the solution's
    by default and, as upstream, its wall time twice its CPU time (both
    sides may wait for each other)."""
    limits = run_limits.read(environ, 'interactor', run_limits.DEFAULTS['interactor'].replace(
        time_limit_ms=2 * time_limit if time_limit else None))
    if limits.real_time_limit_ms is None and limits.time_limit_ms:
        limits = limits.replace(real_time_limit_ms=2 * limits.time_limit_ms)
    return limits.replace(output_limit_bytes=None)


def run(environ: dict, executor_factory) -> dict:
    """Run an interactive task with solutions from ``executor_factory()``."""
    require(environ, 'interactor_file')
    require(environ, 'in_file')
    info = common.exec_mode(environ)
    if info.get('mode') != 'executable':
        raise Failure(f"interactive tasks run executables, not exec_info mode "
                      f"{info.get('mode')!r}")
    processes = _num_processes(environ)
    common.fetch_input(environ)
    ft.download(environ, 'exe_file', 'exe', add_to_cache=True)
    jobfiles.chmod_regular(tempcwd('exe'), 0o555)
    ft.download(environ, 'interactor_file', 'interactor', add_to_cache=True)
    jobfiles.chmod_regular(tempcwd('interactor'), 0o555)
    # The pipes are the solution's stdout: no output limit (the interactor
    # reads what it needs), and no relay in between.
    limits = common.limits_of(environ).replace(output_limit_bytes=0)

    # The interactor's verdict file, made before any program runs and read
    # back through this descriptor, never by its name.
    out_fd = jobfiles.create_fresh(tempcwd('out'), readable=True)
    try:
        return _interact(environ, executor_factory, processes, limits, out_fd)
    finally:
        os.close(out_fd)


def _interact(environ: dict, executor_factory, processes: int, limits: run_limits.RunLimits,
              out_fd: int) -> dict:
    handed_over = False
    pipes = []  # per process: (interactor reads, solution writes, solution reads,
    try:        # interactor writes)
        for _ in range(processes):
            to_interactor = os.pipe2(os.O_CLOEXEC)
            to_solution = os.pipe2(os.O_CLOEXEC)
            pipes.append((to_interactor[0], to_interactor[1], to_solution[0],
                          to_solution[1]))
        interactor_fds = [fd for p in pipes for fd in (p[0], p[3])]
        args = [str(processes)] + [str(fd) for fd in interactor_fds]

        interactor_limits = _interactor_limits(environ, limits.time_limit_ms)
        solution_threads = []
        for i, (_, sol_w, sol_r, _) in enumerate(pipes):
            executor = executor_factory()
            solution_threads.append(_in_thread(
                _run_solution, executor, tempcwd('exe'), i, sol_r, sol_w, limits,
                common.fake_time_of(environ, executor)))
        interactor_thread = _in_thread(
            _run_interactor, tempcwd('interactor'), args, tempcwd('in'), out_fd,
            interactor_fds, interactor_limits)
        # From here on every pipe end belongs to one run, which closes it
        # (executors close ``close_fds`` however the run ends); closing it
        # here too could close another thread's descriptor that took its
        # number in between.
        handed_over = True
        for thread, _ in solution_threads:
            thread.start()
        interactor_thread[0].start()
        for thread, _ in solution_threads:
            thread.join()
        interactor_thread[0].join()
    finally:
        if not handed_over:
            for fds in pipes:
                close_all(fds)
    for _, box in solution_threads + [interactor_thread]:
        if 'error' in box:
            raise box['error']
    renvs = [box['value'] for _, box in solution_threads]
    irenv = interactor_thread[1]['value']
    renv = _solution_result(renvs)
    verdict = os.pread(out_fd, 1 << 20, 0).split(b'\n')
    _decide(renv, irenv, verdict + [b''] * 3)
    for key in common.RENV_KEYS:
        environ.pop(key, None)
        if key in renv:
            environ[key] = renv[key]
    environ['result_percentage'] = renv.get('result_percentage', (0, 1))
    if environ.get('out_file'):
        if jobfiles.replacement(out_fd, tempcwd('out')) is not None:
            jobfiles.copy_fresh(out_fd, tempcwd('out'))
        ft.upload(environ, 'out_file', 'out', **common.upload_options(environ))
    return environ


def _run_solution(executor, exe, index, stdin_fd, stdout_fd, limits, options):
    with executor:
        return executor([exe, str(index)], stdin=stdin_fd, stdout=stdout_fd,
                        ignore_errors=True, close_fds=(stdin_fd, stdout_fd), limits=limits,
                        **options)


def _run_interactor(interactor, args, infile, outfile, fds, limits):
    executor = isolated_checker_executor()
    with executor, open(infile, 'rb') as stdin, \
            os.fdopen(outfile, 'wb', closefd=False) as stdout:
        return executor([interactor, *args], stdin=stdin, stdout=stdout,
                        ignore_errors=True, pass_fds=fds, close_fds=fds, limits=limits)


def _solution_result(renvs: list) -> dict:
    """The first failed process's result, else the first with the largest
    time and memory of all."""
    for renv in renvs:
        if renv['result_code'] != 'OK':
            return renv
    renv = dict(renvs[0])
    renv['time_used'] = max(r['time_used'] for r in renvs)
    renv['mem_used'] = max(r['mem_used'] for r in renvs)
    return renv


def _killed_by_sigpipe(renv: dict) -> bool:
    """Killed by SIGPIPE, or exited with 128 + SIGPIPE as a program that
    handles EPIPE that way does (OIOIOI's test interactors do): upstream
    saw both as the same return code, and so judged them alike."""
    return renv.get('exit_signal') == signal.SIGPIPE or \
        renv.get('return_code') == 128 + signal.SIGPIPE


def _decide(renv: dict, irenv: dict, verdict: list) -> None:
    """The verdict of the run into renv, from both sides' results and what
    the interactor wrote, in upstream's order: what the interactor wrote
    first; then a failed interactor (not one that lost its pipe) is an
    error; then the solution's own failure; then an interactor that lost
    its pipe means the solution stopped early; then the interactor's
    time limit."""
    if verdict[0].rstrip():
        renv['result_string'] = ''
        apply_verdict(renv, [line.rstrip() for line in verdict[:3]])
        return
    if irenv['result_code'] not in ('OK', 'TLE') and not _killed_by_sigpipe(irenv):
        raise InteractorError(
            f'interactor failed: {irenv["result_code"]} ({irenv.get("result_string", "")});'
            f' it wrote nothing')
    if renv['result_code'] != 'OK' and not _killed_by_sigpipe(renv):
        return  # the solution's own failure
    if _killed_by_sigpipe(irenv):
        renv['result_code'] = 'WA'
        renv['result_string'] = 'solution exited prematurely'
        return
    if irenv['result_code'] == 'TLE':
        renv['result_code'] = 'TLE'
        renv['result_string'] = ("interactor time limit exceeded (user's solution or "
                                 'interactor can be the cause)')
        return
    raise InteractorError('the interactor ended without a verdict')


def run_supervised(environ: dict) -> dict:
    # As upstream 1.5.9's interactive-exec: the wall clock.
    return run(environ, lambda: SupervisedExecutor(measure_real_time=True))


def run_cpu(environ: dict) -> dict:
    return run(environ, lambda: SupervisedExecutor(measure_real_time=True))


def run_unsafe(environ: dict) -> dict:
    return run(environ, DetailedUnprotectedExecutor)


def run_sio2jail(environ: dict) -> dict:
    return run(environ, Sio2JailExecutor)
