"""Small helpers shared by jobs: the per-job temporary directory, environ
key access with clear errors, text decoding."""

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sio.workers import Failure

_state = threading.local()


def _stack() -> list[str]:
    stack = getattr(_state, 'dirs', None)
    if stack is None:
        stack = _state.dirs = []
    return stack


class TemporaryCwd:
    """Context manager giving the current thread a fresh working directory.

    The directory is *not* made the process's working directory (that is
    shared by all threads); jobs address files in it with :func:`tempcwd`,
    and executors run programs in it. It is removed on exit, whatever
    happened inside. Nested uses stack.
    """

    def __init__(self, inner_directory: str | None = None, prefix: str = 'sio-job-'):
        self.inner_directory = inner_directory
        self.prefix = prefix
        self.path: str | None = None
        self._root: str | None = None

    def __enter__(self) -> str:
        self._root = tempfile.mkdtemp(prefix=self.prefix)
        self.path = self._root
        if self.inner_directory:
            self.path = os.path.join(self._root, self.inner_directory)
            os.makedirs(self.path)
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


def truncate_bytes(data: bytes, limit: int, marker: bytes = b'[...]') -> bytes:
    """``data`` cut to at most ``limit`` bytes, ending with ``marker`` when cut."""
    if len(data) <= limit:
        return data
    return data[: max(0, limit - len(marker))] + marker


@contextmanager
def null_ctx_manager() -> Iterator[None]:
    """A context manager that does nothing (kept for job-writers' code)."""
    yield
