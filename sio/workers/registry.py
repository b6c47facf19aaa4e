"""Entry-point lookup for jobs, filters and compilers.

A third-party package adds a job by declaring an entry point in the
``sio.jobs`` group (``sio.workers.filters`` for filters, ``sio.compilers``
for compilers); nothing else needs to know about it.
"""

import threading
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points

from sio.workers import Failure

JOBS = 'sio.jobs'
FILTERS = 'sio.workers.filters'
COMPILERS = 'sio.compilers'

_KINDS = {JOBS: 'job type', FILTERS: 'filter', COMPILERS: 'compiler'}

_lock = threading.Lock()
_cache: dict[str, dict[str, EntryPoint]] = {}
_loaded: dict[tuple[str, str], Callable] = {}


class UnknownEntryPoint(Failure, LookupError):
    """The name is not registered in its entry-point group."""


def _scan(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def names(group: str) -> list[str]:
    """Sorted names registered in ``group``."""
    with _lock:
        if group not in _cache:
            _cache[group] = _scan(group)
        return sorted(_cache[group])


def load(group: str, name: str) -> Callable:
    """The object registered as ``name`` in ``group`` (imported once)."""
    key = (group, name)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        found = _cache.get(group, {}).get(name)
        if found is None:
            # A package may have been installed since the last scan.
            _cache[group] = _scan(group)
            found = _cache[group].get(name)
        known = sorted(_cache[group])
    if found is None:
        kind = _KINDS.get(group, group)
        raise UnknownEntryPoint(
            f'unknown {kind} {name!r}; registered: {", ".join(known) or "none"}')
    obj = found.load()
    with _lock:
        _loaded[key] = obj
    return obj


def get_job(name: str) -> Callable[[dict], dict]:
    return load(JOBS, name)


def get_filter(name: str) -> Callable[[dict], dict]:
    return load(FILTERS, name)


def get_compiler(name: str) -> Callable[[dict], dict]:
    return load(COMPILERS, name)
