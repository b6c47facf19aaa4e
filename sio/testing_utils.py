"""Helpers for tests written against upstream sioworkers.

Upstream's test modules (and plugins' tests copied from them) import
:func:`str_to_bool` from here to read switches such as ``TEST_SANDBOXES``.
"""


def str_to_bool(value: object) -> bool:
    """``True`` for a bool True or a string such as ``1``, ``yes``, ``on``,
    ``true`` (any case); ``False`` for anything else, unset included."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return False
    return value.strip().lower() in ('1', 'y', 'yes', 'true', 'on')
