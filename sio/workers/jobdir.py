"""The job directory: each job runs in a fresh temporary directory of its
own (:class:`TemporaryCwd`), named ``sio-job-PID-*`` so that a worker can
remove what dead workers left (:func:`remove_abandoned_job_dirs`);
:func:`tempcwd` names paths in the current one."""

import os
import re
import shutil
import tempfile
import threading
from typing import Any

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
    stack = getattr(_state, 'dirs', None)
    base = stack[-1] if stack else os.getcwd()
    return os.path.join(base, *paths) if paths else base


def in_job_directory() -> bool:
    """True when this thread runs inside a :class:`TemporaryCwd`."""
    return bool(_stack())
