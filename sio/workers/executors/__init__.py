"""Executors: environments that run commands and report what happened.

An executor is a context manager and a callable::

    with SupervisedExecutor() as run:
        renv = run(['./exe'], stdin=infile, stdout=outfile, time_limit=1000)

See :class:`BaseExecutor` for the options every executor takes and the
classes below for what each isolates and measures.
"""

from sio.workers.executors.base import BaseExecutor, ExecError, Limits
from sio.workers.executors.command import noquote
from sio.workers.executors.sandboxed import (
    CompoundSandboxExecutor,
    PRoot32BitExecutor,
    PRootExecutor,
    SandboxExecutor,
)
from sio.workers.executors.sio2jail import (
    JvmJail,
    PythonJail,
    RealTimeSio2JailExecutor,
    Sio2JailExecutor,
    isolated_checker_executor,
    isolated_program_executor,
    task_program_executor,
)
from sio.workers.executors.supervised import SupervisedExecutor, _SIOSupervisedExecutor
from sio.workers.executors.unprotected import (
    DetailedUnprotectedExecutor,
    UnprotectedExecutor,
)

__all__ = [
    'BaseExecutor',
    'CompoundSandboxExecutor',
    'DetailedUnprotectedExecutor',
    'ExecError',
    'Limits',
    'PRoot32BitExecutor',
    'PRootExecutor',
    'RealTimeSio2JailExecutor',
    'SandboxExecutor',
    'Sio2JailExecutor',
    'SupervisedExecutor',
    'UnprotectedExecutor',
    '_SIOSupervisedExecutor',
    'JvmJail',
    'PythonJail',
    'isolated_checker_executor',
    'isolated_program_executor',
    'task_program_executor',
    'noquote',
]
