# cython: language_level=3
"""Pure helpers of the native core that the tests call directly, kept out
of :mod:`sio._native.supervise` (hooks that inspect that module's own
state, such as the descriptors it keeps, stay there: this module has its
own copy of the C core's statics)."""


def table_bound_kib(unsigned long long addr, unsigned long long length):
    """Page-table KiB a mapping of ``length`` bytes at ``addr`` can make the
    kernel hold (what the memory rule charges)."""
    return sio_table_bound_kib(addr, length)


def parse_uid_range(text):
    """(first, count) of a ``SIO_RUN_UIDS`` value, or None."""
    if not isinstance(text, (str, bytes)):
        raise TypeError(f'text must be str or bytes, not {type(text).__name__}')
    cdef bytes t = text.encode() if isinstance(text, str) else text
    cdef unsigned first = 0, count = 0
    if sio_ids_parse_range(t, &first, &count) < 0:
        return None
    return first, count
