"""The job directory after a program has run in it.

A program lent the job directory (a compiler, a generator, an
``unsafe-exec`` solution) may leave anything under any name there: a
symbolic link to ``/etc/shadow`` where its output was, a FIFO that would
block whoever opens it, a directory where the worker will write ``hint``.
The worker, root, must then never follow, block on or write through what
the program made. The rules, which every job keeps through these helpers:

* what the worker reads is opened with ``O_NOFOLLOW | O_NONBLOCK`` and
  accepted only as a regular file (:func:`open_regular`); an output the
  worker gave the program is accepted only as that very file
  (:func:`replacement`);
* what the worker writes after a run is created afresh, ``O_EXCL |
  O_NOFOLLOW``, once whatever the program left under that name is removed
  without being followed (:func:`create_fresh`), and its mode is set
  through its descriptor (:func:`chmod_regular`).

Paths checked so stay safe to use afterwards: when a run ends, every
process it started is gone and the directory is no longer lent to its ids.
"""

import contextlib
import os
import shutil
import stat

from sio.workers import Failure

_KINDS = (
    (stat.S_ISLNK, 'a symbolic link'),
    (stat.S_ISFIFO, 'a FIFO'),
    (stat.S_ISSOCK, 'a socket'),
    (stat.S_ISCHR, 'a device'),
    (stat.S_ISBLK, 'a device'),
    (stat.S_ISDIR, 'a directory'),
)


class NotRegularFile(Failure):
    """A path where the worker expects a regular file names something else."""

    def __init__(self, path: str, kind: str):
        super().__init__(f'{path} is {kind}, not a regular file')
        self.path = path
        self.kind = kind


def kind_of(mode: int) -> str:
    """'a symbolic link', 'a FIFO', ... for a non-regular ``st_mode``."""
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return 'not a regular file'


def open_regular(path: str, flags: int = os.O_RDONLY) -> int:
    """A descriptor of the regular file at ``path``, never through a link
    and never blocking (a FIFO is refused before it is opened).
    :class:`NotRegularFile` for anything else; OSError (FileNotFoundError)
    when nothing is there."""
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(path, kind_of(st.st_mode))
    fd = os.open(path, flags | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise NotRegularFile(path, kind_of(now.st_mode) if not stat.S_ISREG(now.st_mode)
                                 else 'a file that changed while it was opened')
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_regular(path: str) -> None:
    """:class:`NotRegularFile` unless ``path`` is a regular file (not a
    link to one)."""
    os.close(open_regular(path))


def replacement(kept_fd: int, path: str) -> str | None:
    """What a program put at ``path`` in place of the file the worker gave
    it (``kept_fd``): None when it is still that file, else a phrase such
    as ``'a symbolic link'`` or ``'nothing'``."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return 'nothing'
    if not stat.S_ISREG(st.st_mode):
        return kind_of(st.st_mode)
    kept = os.fstat(kept_fd)
    if (st.st_dev, st.st_ino) != (kept.st_dev, kept.st_ino):
        return 'another file'
    return None


def clear(path: str) -> None:
    """Remove whatever is at ``path`` without following it: a link goes,
    never its target; a directory goes with what is in it (fd-based, so
    links inside are not followed either)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(st.st_mode):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def create_fresh(path: str, mode: int = 0o644, readable: bool = False) -> int:
    """A new, empty regular file at ``path`` (whatever was there removed
    first), open for writing (and reading, if ``readable``): ``O_EXCL |
    O_NOFOLLOW``, so nothing the program planted is written through."""
    clear(path)
    access = os.O_RDWR if readable else os.O_WRONLY
    return os.open(path, access | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                   mode)


def copy_fresh(source_fd: int, path: str, mode: int = 0o644) -> None:
    """Copy an open file into a fresh file at ``path`` (see
    :func:`create_fresh`)."""
    out = create_fresh(path, mode)
    try:
        copy_fd(source_fd, out)
    finally:
        os.close(out)


def copy_fd(source_fd: int, dest_fd: int) -> None:
    """Copy from the start of ``source_fd`` to ``dest_fd``."""
    offset = 0
    size = os.fstat(source_fd).st_size
    while True:
        try:
            sent = os.sendfile(dest_fd, source_fd, offset, max(size - offset, 1 << 20))
        except OSError:
            sent = -1
        if sent < 0:  # e.g. a file system without sendfile: read and write
            os.lseek(source_fd, offset, os.SEEK_SET)
            while chunk := os.read(source_fd, 1 << 20):
                os.write(dest_fd, chunk)
            return
        if sent == 0:
            return
        offset += sent


def chmod_regular(path: str, mode: int) -> None:
    """chmod the regular file at ``path`` through a descriptor (never a
    link's target); :class:`NotRegularFile` otherwise."""
    fd = open_regular(path)
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def private_directory(path: str) -> str:
    """A directory at ``path`` that the worker made (root's, or this
    process user's), writable by everyone who may reach it (sticky, 01777:
    it lies in a job directory lent to one run at a time). One found
    there is kept; anything else under that name (what a program left) is
    removed first. (The native check of a run's private TMPDIR,
    ``confine/scratch.c``, calls a directory ours by the same rule.)"""
    try:
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and \
                stat.S_IMODE(st.st_mode) == 0o1777:
            return path
        clear(path)
    except FileNotFoundError:
        pass
    os.mkdir(path, 0o700)
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        os.fchmod(fd, 0o1777)
    finally:
        os.close(fd)
    return path


def empty_directory(path: str) -> None:
    """Remove everything in the directory at ``path`` (what a run left in
    its private TMPDIR), never following a link; the directory goes too
    when it is not one :func:`private_directory` made (a program replaced
    it)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        clear(path)
        return
    # A directory of ours, not a link (checked above): nothing of the run
    # is alive to change that, so its path is safe to use.
    with os.scandir(path) as entries:
        left = [(entry.path, entry.is_dir(follow_symlinks=False)) for entry in entries]
    for entry, is_dir in left:
        if is_dir:
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(entry)
