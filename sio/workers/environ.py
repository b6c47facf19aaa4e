"""Reading and shaping environs: required keys with clear errors, program
output as text, results made JSON-able."""

from collections.abc import Callable
from typing import Any

from sio.workers import Failure


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
