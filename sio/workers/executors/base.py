"""What all executors share: option handling, limits, output capture and
the error rule. Subclasses implement :meth:`BaseExecutor._execute`."""

import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass
from typing import IO, Any

from sio.workers.executors.command import to_shell
from sio.workers.jobdir import tempcwd
from sio.workers.limits import EXECUTOR_OPTION, RunLimits, check

logger = logging.getLogger(__name__)

LOCALE_ENV = {b'LC_ALL': b'en_US.UTF-8', b'LANGUAGE': b'en_US.UTF-8'}


def _bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


#: Where programs look for commands when the worker has no PATH.
DEFAULT_PATH = b'/usr/local/bin:/usr/bin:/bin'

#: What a program gets of the worker's environment: nothing but these. The
#: worker's environment holds its secrets (a broker URL with its password,
#: Filetracker and cloud credentials), which a compiler would otherwise
#: hand to the program it compiles (Free Pascal's {$I %NAME%}).
INHERITED_ENV = (b'PATH',)


def process_environ() -> dict[bytes, bytes]:
    """The part of this process's environment a program inherits
    (:data:`INHERITED_ENV`), as bytes."""
    environ = os.environb
    env = {}
    for name in INHERITED_ENV:
        try:
            env[name] = environ[name]
        except KeyError:
            pass
    env.setdefault(b'PATH', DEFAULT_PATH)
    return env


class ExecError(RuntimeError):
    """A command failed and the caller did not ask to ignore that."""


#: The limits of one run (memory in KiB, times in ms, output in bytes;
#: None: none), as :mod:`sio.workers.limits` describes them; an executor
#: adjusts them (:meth:`BaseExecutor.default_limits`) and passes them whole.
Limits = RunLimits


#: A run without limits of its own (the executor's defaults apply).
NO_LIMITS = Limits()


def read_limits(explicit: dict[str, Any], environ: dict | None, prefix: str) -> Limits:
    """Limits from an executor's keyword options (upstream's names:
    ``mem_limit``, …), overridden by ``environ[prefix + name]``; a bad
    value is a ValueError naming the option or the environ key."""
    if environ is None and all(value is None for value in explicit.values()):
        return NO_LIMITS  # nothing to check
    values = {}
    for limit, option in EXECUTOR_OPTION.items():
        value, source = explicit.get(option), option
        if environ is not None and prefix + option in environ:
            value, source = environ[prefix + option], f'environ[{prefix + option!r}]'
        values[limit] = check(limit, value, source)
    return Limits(**values)


@dataclass
class Invocation:
    """One call of an executor, options normalized."""

    command: list | str
    env: dict[bytes, bytes]
    stdin: int | None        # descriptors; None means /dev/null
    stdout: int | None
    stderr: int | None
    limits: Limits
    cwd: str
    options: dict[str, Any]
    #: The ``close_fds`` option's descriptors were handed to the native
    #: supervisor, which closes them however the run ends.
    close_fds_taken: bool = False

    @property
    def shell(self) -> str:
        return to_shell(self.command)


def close_all(fds) -> None:
    """Close descriptors handed to a run that will not close them."""
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def _fileno(f: IO | int | None, name: str) -> int | None:
    if f is None or isinstance(f, int):
        return f
    try:
        if not getattr(f, 'closed', False):
            try:
                f.flush()  # what Python buffered goes before the program's output
            except (AttributeError, OSError, ValueError):
                pass
        return f.fileno()
    except (AttributeError, OSError, ValueError) as exc:
        raise ValueError(f'{name} must be a file object with a descriptor, not {f!r}') from exc


class BaseExecutor:
    """An environment for running commands; a context manager and a callable.

    ``with executor: renv = executor(command, **options)``. Common options:

    ``env``
        extra environment variables (added to the executor's base
        environment; LC_ALL and LANGUAGE are always en_US.UTF-8);
    ``stdin``, ``stdout``, ``stderr``
        file objects, or None for /dev/null;
    ``capture_output``, ``split_lines``
        put the program's stdout in ``renv['stdout']`` (bytes, or a list of
        lines with ``split_lines``); ``forward_stderr`` sends stderr there too;
    ``mem_limit`` (KiB), ``time_limit`` (ms of CPU), ``real_time_limit``
        (ms of wall clock), ``output_limit`` (bytes);
    ``environ``, ``environ_prefix``
        read ``<prefix>mem_limit`` etc. from an environ (these win);
    ``limits``
        instead of the four and ``environ``: a
        :class:`~sio.workers.limits.RunLimits` a job has read (and checked)
        already, taken whole;
    ``ignore_errors``, ``extra_ignore_errors``
        do not raise :class:`ExecError` for a failed run (at all, or for
        these return codes / result codes).

    Programs run in the current job directory (:func:`~sio.workers.util.tempcwd`).
    """

    #: Options this executor accepts beyond the common ones.
    extra_options: tuple[str, ...] = ()

    def __enter__(self) -> 'BaseExecutor':
        return self

    def __exit__(self, *exc_info: Any) -> None:
        return None

    def base_env(self) -> dict[bytes, bytes]:
        """Environment the program starts from (before ``env``): an
        allow-list of the worker's (:data:`INHERITED_ENV`), never the whole
        of it; ``HOME`` and ``TMPDIR`` are the job directory."""
        return process_environ()

    def default_limits(self, limits: Limits) -> Limits:
        """Fill in defaults for limits left unset."""
        return limits

    def __call__(self, command: list | str, env: dict | None = None,
                 split_lines: bool = False, ignore_errors: bool = False,
                 extra_ignore_errors: tuple = (), stdin: IO | None = None,
                 stdout: IO | None = None, stderr: IO | None = None,
                 forward_stderr: bool = False, capture_output: bool = False,
                 mem_limit: int | None = None, time_limit: int | None = None,
                 real_time_limit: int | None = None, output_limit: int | None = None,
                 environ: dict | None = None, environ_prefix: str = '',
                 limits: RunLimits | None = None, **options: Any) -> dict:
        call = None
        try:
            unknown = sorted(set(options) - set(self.extra_options)) if options else ()
            if unknown:
                raise TypeError(f'{type(self).__name__} got unknown option(s): '
                                f'{", ".join(unknown)}')
            no_options = (environ is None and mem_limit is None and time_limit is None and
                          real_time_limit is None and output_limit is None)
            if limits is None:
                limits = NO_LIMITS if no_options else read_limits(
                    {'mem_limit': mem_limit, 'time_limit': time_limit,
                     'real_time_limit': real_time_limit, 'output_limit': output_limit},
                    environ, environ_prefix)
            elif not no_options:
                raise TypeError('limits= is the whole of the run\'s limits: not with '
                                'mem_limit, time_limit, real_time_limit, output_limit '
                                'or environ')
            limits = self.default_limits(limits)
            cwd = tempcwd()
            full_env = self.base_env()
            bcwd = cwd.encode()
            full_env.setdefault(b'HOME', bcwd)
            full_env.setdefault(b'TMPDIR', bcwd)
            if env:
                full_env.update({_bytes(k): _bytes(v) for k, v in env.items()})
            full_env.update(LOCALE_ENV)

            capture = None
            if capture_output:
                capture = tempfile.TemporaryFile(dir=cwd)
                stdout = capture
            try:
                if forward_stderr:
                    stderr = stdout
                call = Invocation(
                    command=command, env=full_env,
                    stdin=stdin if stdin is None else _fileno(stdin, 'stdin'),
                    stdout=stdout if stdout is None else _fileno(stdout, 'stdout'),
                    stderr=stderr if stderr is None else _fileno(stderr, 'stderr'),
                    limits=limits, cwd=cwd,
                    options=options)
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug('%s: %s', type(self).__name__, call.shell)
                renv = self._execute(call)
                if capture is not None:
                    capture.seek(0)
                    data = capture.read()
                    # As upstream: split at each newline, so output ending in
                    # one ends in an empty line.
                    renv['stdout'] = data.split(b'\n') if split_lines else data
            finally:
                if capture is not None:
                    capture.close()
        finally:
            # ``close_fds`` belong to the run whatever happens; the caller
            # never closes them (their numbers may be another thread's by
            # then). Those the supervisor did not take are closed here.
            if options and not (call is not None and call.close_fds_taken):
                close_all(options.get('close_fds') or ())
        self._check(renv, call, ignore_errors, extra_ignore_errors)
        return renv

    def _execute(self, call: Invocation) -> dict:
        raise NotImplementedError

    def _check(self, renv: dict, call: Invocation, ignore_errors: bool,
               extra_ignore_errors: tuple) -> None:
        if ignore_errors:
            return
        code = renv.get('result_code')
        if code is not None:
            if code == 'OK' or code in extra_ignore_errors:
                return
            raise ExecError(f'{call.shell}: {code} ({renv.get("result_string", "")})')
        rc = renv.get('return_code', 0)
        if rc != 0 and rc not in extra_ignore_errors:
            raise ExecError(f'{call.shell}: exit status {rc}')
