"""Running a compiled file the way its kind needs, in a given executor.

:func:`get_file_runner` picks, by ``environ['exec_info']['mode']``
(``executable`` by default, ``java``, ``output-only``) and the executor's
class, a wrapper that is a context manager around the executor and a
callable ``runner(file, args, **executor_options)``;
``preferred_filename()`` says what to name the file. The module upstream
sioworkers' plugins import; the exec jobs (:mod:`sio.executors.common`)
use it too.
"""

import os
import shutil
from typing import Any

from sio.workers.compat import RegisteredSubclassesBase
from sio.workers.executors import (
    BaseExecutor,
    DetailedUnprotectedExecutor,
    PRootExecutor,
    RealTimeSio2JailExecutor,
    Sio2JailExecutor,
    SupervisedExecutor,
    UnprotectedExecutor,
)
from sio.workers.executors.sio2jail import jvm_executor_for, runs_jvm
from sio.workers.java import java_command
from sio.workers.limits import check, read_value


class LanguageModeWrapper(RegisteredSubclassesBase):
    """Runs files of one execution mode (``handled_exec_mode``) in the
    executors listed in ``handled_executors`` (or their subclasses)."""

    abstract = True
    handled_exec_mode: str | None = None
    handled_executors: tuple = ()
    #: {mode: {executor class: wrapper class}}
    wrappers: dict = {}

    @classmethod
    def register_subclass(cls, subclass: type) -> None:
        if cls is LanguageModeWrapper:
            for executor in subclass.handled_executors:
                cls.wrappers.setdefault(subclass.handled_exec_mode, {})[executor] = subclass

    @classmethod
    def execution_mode_wrapper(cls, executor: BaseExecutor,
                               environ: dict) -> 'LanguageModeWrapper':
        mode = (environ.get('exec_info') or {}).get('mode', 'executable')
        for klass in type(executor).__mro__:
            found = LanguageModeWrapper.wrappers.get(mode, {}).get(klass)
            if found is not None:
                return found(executor, environ)
        raise SystemError(f'No way of running file of kind {mode} in executor '
                          f'{type(executor).__name__}.')

    def __init__(self, executor: BaseExecutor, environ: dict):
        self.executor = executor
        self.environ = environ

    def __enter__(self) -> 'LanguageModeWrapper':
        self.executor.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.executor.__exit__(*exc_info)

    def __call__(self, file: str, args: list, **kwargs: Any) -> dict:
        """Run ``file`` with ``args``; keyword options go to the executor."""
        raise NotImplementedError

    def preferred_filename(self) -> str:
        """The name to download the file under."""
        raise NotImplementedError


class Executable(LanguageModeWrapper):
    """A directly executable file, run as ``./file`` (or by its absolute path)."""

    handled_exec_mode = 'executable'
    handled_executors = (UnprotectedExecutor, DetailedUnprotectedExecutor, PRootExecutor,
                         Sio2JailExecutor, RealTimeSio2JailExecutor, SupervisedExecutor)

    def __call__(self, file, args, **kwargs):
        command = file if os.path.isabs(file) else './' + file
        return self.executor([command, *args], **kwargs)

    def preferred_filename(self):
        return 'exe'


class Java(LanguageModeWrapper):
    """A jar, run by the JVM: its heap limited to the memory limit (the
    JVM's address space is not the program's), the main class from
    ``exec_info`` when given."""

    handled_exec_mode = 'java'
    handled_executors = (UnprotectedExecutor, DetailedUnprotectedExecutor, PRootExecutor,
                         SupervisedExecutor, Sio2JailExecutor)

    def __call__(self, file, args, entry_point=None, **kwargs):
        environ = kwargs.get('environ') or {}
        key = kwargs.get('environ_prefix', '') + 'mem_limit'
        if kwargs.get('limits') is not None:
            mem_limit = kwargs['limits'].mem_limit_kib
            kwargs['limits'] = kwargs['limits'].replace(mem_limit_kib=None)
        elif key in environ:
            mem_limit = read_value(environ, key, 'mem_limit_kib', None)
        else:
            mem_limit = check('mem_limit_kib', kwargs.get('mem_limit'), 'mem_limit')
        # The limit is the heap's, in the command, not the JVM's address space.
        kwargs['mem_limit'] = None
        if key in environ:
            kwargs['environ'] = {k: v for k, v in environ.items() if k != key}
        command, jvm_memory_kib = java_command(
            file, mem_limit, entry_point or self.environ['exec_info'].get('main_class'), args)
        executor = self.executor
        if runs_jvm(executor):
            # The checking executors run the JVM in the jail made for it.
            executor = jvm_executor_for(executor)
            kwargs.setdefault('cgroup_memory_limit', jvm_memory_kib)
        return executor(command, **kwargs)

    def preferred_filename(self):
        main_class = self.environ['exec_info'].get('main_class', 'a')
        return f'{main_class}.jar'


class OutputOnly(LanguageModeWrapper):
    """An output-only submission: nothing runs; "running" it writes the file
    to ``stdout`` and succeeds."""

    handled_exec_mode = 'output-only'
    handled_executors = Executable.handled_executors

    def __call__(self, file, args, stdout=None, **kwargs):
        if stdout is not None:
            with open(file, 'rb') as source:
                shutil.copyfileobj(source, stdout)
                stdout.flush()
        return {'result_code': 'OK', 'result_string': 'ok', 'time_used': 0, 'mem_used': 0,
                'num_syscalls': 0, 'return_code': 0, 'real_time_used': 0}

    def preferred_filename(self):
        return 'out'


def get_file_runner(executor: BaseExecutor, environ: dict) -> LanguageModeWrapper:
    """The wrapper running ``environ['exe_file']``'s kind in ``executor``
    (``exec_info`` defaults to ``{'mode': 'executable'}``); SystemError
    when the executor cannot run that kind."""
    environ.setdefault('exec_info', {'mode': 'executable'})
    return LanguageModeWrapper.execution_mode_wrapper(executor, environ)
