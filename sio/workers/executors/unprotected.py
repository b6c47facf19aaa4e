"""Executors without isolation, for trusted programs (compilers, checkers
run by trusted jobs, package tools)."""

from sio.workers.executors import native
from sio.workers.executors.base import BaseExecutor, Invocation
from sio.workers.executors.results import system_error, to_renv


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


class DetailedUnprotectedExecutor(BaseExecutor):
    """Runs the command without isolation but measured like a submission:
    directly (no shell) unless the command needs shell syntax, with the
    native supervisor's precise CPU-time and wall-time kill of the whole
    process tree, rlimits, and the checking executors' renv:
    ``result_code``, ``result_string``, ``time_used`` (user CPU ms),
    ``mem_used`` (peak RSS, KiB), ``num_syscalls``, ``return_code``,
    ``real_time_used``.
    """

    def _execute(self, call: Invocation) -> dict:
        try:
            program = native.plan(call, shell='when-needed')
        except FileNotFoundError as exc:
            return to_renv(system_error(f'cannot execute the program: {exc}'))
        # Tracing stops at exec, fork and exit events (how every descendant
        # is found and killed, and how the peak RSS of the program, not of
        # this process it was cloned from, is read) and, with a memory
        # limit, at allocations (how an allocation refused by the limit
        # becomes MLE). Every other syscall runs untouched.
        mem_limited = bool(call.limits.mem_limit)
        result = native.run(call, program, trace=True, follow_forks=True,
                            policy='observe' if mem_limited else None,
                            trace_memory=mem_limited)
        return to_renv(native.outcome_of(result, mem='rss'))
