"""The one place that turns what happened to a program into a renv.

Every checking executor (native or jail) describes a run as an
:class:`Outcome`; :func:`to_renv` gives the keys contest systems read:
``result_code``, ``result_string``, ``time_used``, ``mem_used``,
``num_syscalls``, ``return_code``, ``real_time_used``, ``exit_signal``
(only when a signal ended the program) and ``memory_bound`` (what held the
memory limit: ``'cgroup-v1'``/``'cgroup-v2'``, a memory cgroup bounding
kernel-held memory too, or ``'rlimit'``, the address space alone).
"""

from dataclasses import dataclass

RESULT_CODES = ('OK', 'RE', 'TLE', 'MLE', 'OLE', 'RV', 'SE')


@dataclass
class Outcome:
    code: str
    text: str
    exit_code: int | None = None
    signal: int | None = None
    time_ms: int = 0
    mem_kib: int = 0
    syscalls: int = 0
    wall_ms: int = 0
    memory_bound: str | None = None

    @property
    def return_code(self) -> int:
        """The exit code, or 128 + signal as a shell would report it."""
        if self.signal is not None:
            return 128 + self.signal
        return self.exit_code or 0


def from_native(result, mem: str = 'vm') -> Outcome:
    """Outcome of a :class:`sio._native.supervise.Result`; ``mem`` picks the
    memory measure reported ('vm': peak virtual memory, 'rss': peak RSS)."""
    return Outcome(
        code=result.code,
        text=result.text,
        exit_code=result.exit_code if result.exited else None,
        signal=result.term_signal if result.signaled else None,
        time_ms=result.cpu_ms,
        mem_kib=result.peak_vm_kib if mem == 'vm' else result.peak_rss_kib,
        syscalls=result.syscalls,
        wall_ms=result.wall_ms,
        memory_bound=result.memory_bound,
    )


def system_error(message: str, wall_ms: int = 0) -> Outcome:
    """Outcome of a run the supervisor could not carry out."""
    return Outcome(code='SE', text=message, exit_code=None, wall_ms=wall_ms)


def to_renv(outcome: Outcome) -> dict:
    renv = {
        'result_code': outcome.code,
        'result_string': outcome.text,
        'time_used': int(outcome.time_ms),
        'mem_used': int(outcome.mem_kib),
        'num_syscalls': int(outcome.syscalls),
        'return_code': outcome.return_code,
        'real_time_used': int(outcome.wall_ms),
    }
    if outcome.signal is not None:
        renv['exit_signal'] = outcome.signal
    if outcome.memory_bound is not None:
        renv['memory_bound'] = outcome.memory_bound
    return renv
