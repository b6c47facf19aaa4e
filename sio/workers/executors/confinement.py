"""Who an untrusted program runs as, and what it may take from the machine.

When the worker is root, every program an executor supervises runs as a
uid/gid pair of its own (leased from ``SIO_RUN_UIDS``, see
:func:`sio._native.supervise.lease_ids`) with no capabilities and
``no_new_privs``: it cannot signal the worker or any other process, and
the kernel's per-uid quotas (processes, pending signals, pipe buffers)
count the run alone. The job directory is lent to the run's group for the
run's duration: search (``'x'``), reading (``'rx'``) or writing
(``'rwx'``), and given back afterwards.

A worker that is not root keeps its own ids for its programs, which then
hold no privileges either; the seccomp policies and per-run rlimits are the
same in both cases.
"""

import contextlib
import os
import stat
from collections.abc import Iterator

from sio._native import supervise

_ACCESS_BITS = {
    'x': stat.S_IXGRP,
    'rx': stat.S_IRGRP | stat.S_IXGRP,
    'rwx': stat.S_IRWXG,
}


@contextlib.contextmanager
def lent_directory(path: str, gid: int, access: str) -> Iterator[None]:
    """Give group ``gid`` ``access`` to directory ``path`` until the block
    ends, then restore its group and mode."""
    st = os.stat(path)
    mode = stat.S_IMODE(st.st_mode)
    os.chown(path, -1, gid)
    try:
        os.chmod(path, (mode & ~stat.S_IRWXG) | _ACCESS_BITS[access])
        yield
    finally:
        os.chmod(path, mode)
        os.chown(path, -1, st.st_gid)


@contextlib.contextmanager
def run_identity(cwd: str, access: str | None = 'x') -> Iterator[supervise.Ids]:
    """Lease the ids one run runs under and lend it ``cwd`` (unless
    ``access`` is None).

    Yields a :class:`~sio._native.supervise.Ids`; ``ids.leased`` is false
    (and nothing is lent) when this process cannot switch ids. The native
    executors do the same in C around each run (``supervise.run(own_ids=
    True, lend=...)``); this is for runs whose ids another program applies
    (the jail).
    """
    if access is not None and access not in _ACCESS_BITS:
        raise ValueError(f'access must be one of {sorted(_ACCESS_BITS)}, not {access!r}')
    with supervise.lease_ids() as ids:
        if not ids.leased or access is None:
            yield ids
            return
        with lent_directory(cwd, ids.gid, access):
            yield ids
