"""Helpers upstream sioworkers' ``sio.workers.util`` has, which job plugins
written for it import (re-exported there)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


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
