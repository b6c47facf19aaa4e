"""The limits of a job's runs: one table of defaults and one reader.

A job reads the limits of each program it runs from its environ as
``<prefix>_<name>`` (``exec_mem_limit``, ``checker_time_limit``,
``compilation_real_time_limit``, …; the exec jobs' output limit keeps
upstream's name, ``exec_out_limit``). Absent or None, a limit is the
default of :data:`DEFAULTS` for that prefix (None there: the executor's
own, or none). Every value is checked here, once: a bad one is a
:class:`~sio.workers.Failure` naming its environ key.

Machine admission (:mod:`sio.workers.machine`) reckons a job's memory
from the same table, so a job is admitted for the memory it may use.

Names and units are the native supervisor's (``struct sio_spec``):
``mem_limit_kib``, ``time_limit_ms``, ``real_time_limit_ms``,
``output_limit_bytes``.
"""

from dataclasses import dataclass, fields, replace
from typing import Any

from sio.workers import Failure


@dataclass(frozen=True)
class RunLimits:
    """The limits of one run; None means none (or the executor's own)."""

    mem_limit_kib: int | None = None
    time_limit_ms: int | None = None
    real_time_limit_ms: int | None = None
    output_limit_bytes: int | None = None

    def executor_options(self) -> dict[str, int | None]:
        """The limits as an executor's keyword options take them
        (``mem_limit``, ``time_limit``, ``real_time_limit``,
        ``output_limit``: upstream's names)."""
        return {EXECUTOR_OPTION[f.name]: getattr(self, f.name) for f in fields(self)}

    def replace(self, **changes: int | None) -> 'RunLimits':
        return replace(self, **changes)


#: Each limit's executor option (upstream's keyword) and environ suffix.
EXECUTOR_OPTION = {'mem_limit_kib': 'mem_limit', 'time_limit_ms': 'time_limit',
                   'real_time_limit_ms': 'real_time_limit',
                   'output_limit_bytes': 'output_limit'}

#: The largest value of each limit: beyond them the arithmetic of the
#: limits (address space = limit + margin, times in ns) could wrap. The
#: same bounds as the bundled sio2jail's.
MAXIMA = {
    'mem_limit_kib': 1 << 40,          # 1 PiB
    'time_limit_ms': 1 << 40,          # about 35 years
    'real_time_limit_ms': 1 << 40,
    'output_limit_bytes': 1 << 62,
}

#: Defaults by environ prefix. ``exec`` holds the checking executors'
#: defaults (SupervisedExecutor, the jails): the exec jobs leave an absent
#: limit to the executor, which applies these, and the JVM's heap and
#: machine admission use the memory limit.
DEFAULTS = {
    'exec': RunLimits(mem_limit_kib=64 << 10, time_limit_ms=30_000,
                      output_limit_bytes=50 << 20),
    'checker': RunLimits(mem_limit_kib=256 << 10, time_limit_ms=30_000,
                         output_limit_bytes=1 << 20),
    'interactor': RunLimits(mem_limit_kib=256 << 10),
    'ingen': RunLimits(mem_limit_kib=256 << 10, time_limit_ms=600_000,
                       output_limit_bytes=10 << 10),
    'inwer': RunLimits(mem_limit_kib=256 << 10, time_limit_ms=300_000,
                       real_time_limit_ms=900_000, output_limit_bytes=10 << 10),
    'compilation': RunLimits(mem_limit_kib=1 << 20, time_limit_ms=30_000,
                             real_time_limit_ms=60_000, output_limit_bytes=5 << 10),
}


def environ_key(prefix: str, limit: str) -> str:
    """The environ key of ``limit`` (a :class:`RunLimits` field) of
    ``prefix``'s runs."""
    if prefix == 'exec' and limit == 'output_limit_bytes':
        return 'exec_out_limit'  # upstream's name
    return f'{prefix}_{EXECUTOR_OPTION[limit]}'


def check(limit: str, value: Any, source: str) -> int | None:
    """``value`` as ``limit`` (a :class:`RunLimits` field; None: none), or
    ValueError naming ``source`` when it is not a number in range."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 \
            or value != value:
        raise ValueError(f'{source} must be a non-negative number, not {value!r}')
    if value > MAXIMA[limit]:
        raise ValueError(f'{source} is out of range: {value!r} (at most {MAXIMA[limit]})')
    return int(value)


def read_value(environ: dict, key: str, limit: str, default: int | None) -> int | None:
    """One limit from ``environ[key]`` (absent or None: ``default``); a
    :class:`~sio.workers.Failure` naming the key when it is bad."""
    value = environ.get(key)
    if value is None:
        return default
    try:
        return check(limit, value, f'environ[{key!r}]')
    except ValueError as exc:
        raise Failure(str(exc)) from None


def read(environ: dict, prefix: str, defaults: RunLimits | None = None) -> RunLimits:
    """The limits of ``prefix``'s runs (``exec``, ``checker``,
    ``interactor``, ``ingen``, ``inwer``, ``compilation``) from
    ``environ``, each absent one ``defaults``' (by default
    :data:`DEFAULTS`' for the prefix)."""
    if defaults is None:
        if prefix not in DEFAULTS:
            raise ValueError(f'no limits are known for {prefix!r} '
                             f'(known: {", ".join(sorted(DEFAULTS))})')
        defaults = DEFAULTS[prefix]
    return RunLimits(**{
        f.name: read_value(environ, environ_key(prefix, f.name), f.name,
                           getattr(defaults, f.name))
        for f in fields(RunLimits)})


def given(environ: dict, prefix: str) -> RunLimits:
    """Only the limits ``environ`` gives for ``prefix`` (absent: None),
    checked: for runs whose executor applies its own defaults."""
    return read(environ, prefix, RunLimits())
