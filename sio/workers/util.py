"""Small helpers shared by jobs: the per-job temporary directory, environ
key access with clear errors, text decoding."""

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sio.workers import Failure

_state = threading.local()


def _stack() -> list[str]:
    stack = getattr(_state, 'dirs', None)
    if stack is None:
        stack = _state.dirs = []
    return stack


JOB_DIR_PREFIX = 'sio-job-'
_JOB_DIR = re.compile(re.escape(JOB_DIR_PREFIX) + r'(\d+)-')


def remove_abandoned_job_dirs(base: str | None = None) -> list[str]:
    """Remove the job directories (``sio-job-PID-*`` in the temporary
    directory) whose process is gone: what a killed worker left behind.
    Returns the paths removed."""
    import psutil

    base = base or tempfile.gettempdir()
    removed = []
    for entry in os.scandir(base):
        match = _JOB_DIR.match(entry.name)
        if not match or not entry.is_dir(follow_symlinks=False):
            continue
        pid = int(match.group(1))
        try:
            created = entry.stat(follow_symlinks=False).st_ctime
            alive = psutil.Process(pid).create_time() <= created + 1
        except psutil.NoSuchProcess:
            alive = False
        except (psutil.Error, OSError):
            continue
        if not alive:  # its process is dead, or the pid is another's now
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
    return removed


class TemporaryCwd:
    """Context manager giving the current thread a fresh working directory.

    The directory is *not* made the process's working directory (that is
    shared by all threads); jobs address files in it with :func:`tempcwd`,
    and executors run programs in it. It is removed on exit, whatever
    happened inside. Nested uses stack.
    """

    def __init__(self, inner_directory: str | None = None, prefix: str | None = None):
        self.inner_directory = inner_directory
        # The creator's pid in the name: remove_abandoned_job_dirs() knows
        # whose directory it is.
        self.prefix = prefix or f'{JOB_DIR_PREFIX}{os.getpid()}-'
        self.path: str | None = None
        self._root: str | None = None

    def __enter__(self) -> str:
        self._root = tempfile.mkdtemp(prefix=self.prefix)
        self.path = self._root
        if self.inner_directory:
            self.path = os.path.join(self._root, self.inner_directory)
            os.makedirs(self.path, mode=0o700)
            # Programs run as their own uid reach the inner directory (lent
            # to them for the run) by absolute path too (javac does): the
            # root may be crossed, not listed; the inner one stays private.
            os.chmod(self._root, 0o711)
        _stack().append(self.path)
        return self.path

    def __exit__(self, *exc_info: Any) -> None:
        stack = _stack()
        if stack and stack[-1] == self.path:
            stack.pop()
        elif self.path in stack:
            stack.remove(self.path)
        if self._root:
            rmtree(self._root)


def rmtree(path: str) -> None:
    """Remove a directory tree, also when the job left read-only parts."""

    def make_writable_and_retry(func, p, _exc):
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
        except OSError:
            pass
        func(p)

    try:
        shutil.rmtree(path, onexc=make_writable_and_retry)
    except TypeError:  # Python < 3.12
        shutil.rmtree(path, onerror=make_writable_and_retry)
    except FileNotFoundError:
        pass


_caller_cwd: str | None = None


def caller_cwd() -> str:
    """The working directory of whoever started the job: what relative
    local paths in an environ (``use_filetracker: false``) mean, even while
    the runner has made the job directory the process's."""
    return _caller_cwd or os.getcwd()


def set_caller_cwd(path: str | None) -> None:
    global _caller_cwd
    _caller_cwd = path


def tempcwd(*paths: str) -> str:
    """Path inside the current job's working directory.

    Without a job (no :class:`TemporaryCwd` entered in this thread) paths are
    relative to the process's working directory.
    """
    stack = _stack()
    base = stack[-1] if stack else os.getcwd()
    return os.path.join(base, *paths)


def in_job_directory() -> bool:
    """True when this thread runs inside a :class:`TemporaryCwd`."""
    return bool(_stack())


def require(environ: dict, key: str, job: str | None = None) -> Any:
    """``environ[key]``, or a :class:`Failure` naming the missing key."""
    try:
        return environ[key]
    except KeyError:
        who = f' by the {job} job' if job else ''
        raise Failure(f'environ key {key!r} is required{who}') from None


def decode_output(data: bytes) -> str:
    """Program output as text; invalid UTF-8 is replaced, never an error."""
    return data.decode('utf-8', errors='replace')


def map_leaves(value: Any, convert: Callable[[Any], Any]) -> Any:
    """``value`` with ``convert`` applied to every leaf (what is not a
    dict, list or tuple; dict keys are kept) and tuples made lists."""
    if isinstance(value, dict):
        return {key: map_leaves(item, convert) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [map_leaves(item, convert) for item in value]
    return convert(value)


def jsonable(value: Any) -> Any:
    """``value`` with every bytes inside (dict values, list items) decoded
    as :func:`decode_output` does and tuples made lists: what a result
    environ becomes before it crosses a process boundary as JSON."""
    return map_leaves(value, lambda v: decode_output(v) if isinstance(v, bytes) else v)


def truncate_bytes(data: bytes, limit: int, marker: bytes = b'[...]') -> bytes:
    """``data`` cut to at most ``limit`` bytes, ending with ``marker`` when cut."""
    if len(data) <= limit:
        return data
    return data[: max(0, limit - len(marker))] + marker


@contextmanager
def null_ctx_manager() -> Iterator[None]:
    """A context manager that does nothing (kept for job-writers' code)."""
    yield


# --- Helpers upstream sioworkers' util module has (plugins import them) ---

def first_entry_point(group: str, name: str | None = None) -> Any:
    """The object of the first entry point of ``group`` (named ``name``,
    when given) that imports; RuntimeError when none does."""
    import logging
    from importlib.metadata import entry_points

    for ep in entry_points(group=group):
        if name is not None and ep.name != name:
            continue
        try:
            return ep.load()
        except ImportError as exc:
            logging.getLogger(__name__).warning('cannot import %s: %s', ep, exc)
    raise RuntimeError(f"Module providing '{group}:{name or ''}' not found")


class PerfTimer:
    """Wall-clock seconds since creation, as ``elapsed``."""

    def __init__(self) -> None:
        import time

        self._clock = time.time
        self.start_time = time.time()

    @property
    def elapsed(self) -> float:
        return self._clock() - self.start_time


def s2ms(seconds: float) -> int:
    """Seconds to whole milliseconds (rounded down): ``s2ms(1.95) == 1950``."""
    return int(1000 * seconds)


def ms2s(milliseconds: float) -> float:
    """Milliseconds to seconds: ``ms2s(1190) == 1.19``."""
    return milliseconds / 1000.0


def ceil_ms2s(milliseconds: float) -> int:
    """The fewest whole seconds not less than ``milliseconds``:
    ``ceil_ms2s(1000) == 1``, ``ceil_ms2s(1001) == 2``."""
    return int(-(-milliseconds // 1000))


class Writable:
    """Context manager making a file writable by its owner for a while
    (nesting is fine, concurrent use on one file is not)."""

    def __init__(self, fname: str):
        self.fname = fname
        self.orig_mode = os.stat(fname).st_mode

    def __enter__(self) -> 'Writable':
        if not self.orig_mode & 0o200:
            os.chmod(self.fname, self.orig_mode | 0o200)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if not self.orig_mode & 0o200:
            os.chmod(self.fname, self.orig_mode)


def path_join_abs(base: str, subpath: str) -> str:
    """``subpath`` (absolute or not) inside ``base``:
    ``path_join_abs('/usr', '/bin/sh') == '/usr/bin/sh'``."""
    return os.path.join(base, subpath.strip(os.sep))


def replace_invalid_UTF(text: str | bytes) -> str:  # noqa: N802 (upstream's name)
    """Text with anything that is not valid UTF-8 replaced (bytes are
    decoded, lone surrogates in a str replaced)."""
    if isinstance(text, bytes):
        return text.decode('utf-8', 'replace')
    return text.encode('utf-8', 'replace').decode()


def decode_fields(fields: list[str]):
    """Decorator: the listed keys of the dict a function returns are
    decoded from bytes when they are bytes."""
    import functools

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            result = func(*args, **kwargs)
            for field in fields:
                if isinstance(result.get(field), bytes):
                    result[field] = result[field].decode()
            return result
        return wrapper
    return decorate


class RegisteredSubclassesBase:
    """A base class whose subclasses are listed: every class deriving from
    it has ``subclasses`` (itself and its non-abstract descendants, in
    definition order); a class setting ``abstract = True`` itself is not
    listed. A superclass defining ``register_subclass(cls, subclass)`` (a
    classmethod) is told of each one."""

    subclasses: list = []
    abstract = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.subclasses = []
        cls.abstract = cls.__dict__.get('abstract', False)
        if cls.abstract:
            return
        for klass in cls.__mro__:
            if klass is RegisteredSubclassesBase or \
                    not issubclass(klass, RegisteredSubclassesBase):
                continue
            klass.subclasses.append(cls)
            if 'register_subclass' in vars(klass) or hasattr(klass, 'register_subclass'):
                klass.register_subclass(cls)
