"""Filetracker glue: how jobs fetch their inputs and store their results.

Jobs name files by Filetracker paths (``/tests/1.in``) in their environ.
:func:`download` fetches one into the job's directory and :func:`upload`
stores one, updating the environ with the versioned name.

``environ['use_filetracker']`` chooses where paths point:

* ``True`` (default): every path is a Filetracker name;
* ``False``: paths are local files, relative to the directory the worker
  process started in;
* ``'auto'``: absolute paths are Filetracker names, relative ones local.

The client comes from ``FILETRACKER_URL`` (or :func:`init_instance`);
``environ['filetracker_url']`` makes one job use another server.
"""

import contextlib
import hashlib
import io
import logging
import os
import stat
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

from filetracker.client import Client, FiletrackerError
from requests import RequestException

from sio.workers import Failure, jobfiles
from sio.workers.environ import require
from sio.workers.jobdir import tempcwd

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_clients: dict[str | None, Client] = {}
_negotiated: set[int] = set()
_default: Client | None = None
_thread = threading.local()


def _cache_root() -> str:
    return os.environ.get('FILETRACKER_DIR') or Client.DEFAULT_CACHE_DIR


def _cache_dir_for(url: str | None) -> str:
    """Each server gets its own cache: '/x' on one is not '/x' on another."""
    root = _cache_root()
    if not url:
        return root
    parts = urlsplit(url)
    label = (parts.hostname or 'server') + '_' + str(parts.port or '')
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return os.path.join(root, 'servers', f'{label}_{digest}')


#: Default bound of the machine's Filetracker cache, MiB (SIO_FT_CACHE_MIB).
DEFAULT_CACHE_MIB = 4096


def start_cache_cleaner(limit_mib: int | None = None,
                        interval_s: float = 60.0) -> threading.Thread:
    """Keep this machine's Filetracker cache (every server's) under
    ``limit_mib`` (``SIO_FT_CACHE_MIB``, default 4 GiB): filetracker's own
    cache cleaner, in a daemon thread, deleting the least recently stored
    files down to half the limit whenever a scan finds it exceeded."""
    import datetime

    from filetracker.scripts.cachecleaner import CacheCleaner

    if limit_mib is None:
        limit_mib = int(os.environ.get('SIO_FT_CACHE_MIB', DEFAULT_CACHE_MIB))
    root = _cache_root()
    cleaner = CacheCleaner(limit_mib << 20, [root, os.path.join(root, 'servers', '*')],
                           scan_interval=datetime.timedelta(seconds=interval_s))
    thread = threading.Thread(target=cleaner.run, name='ft-cache-cleaner', daemon=True)
    thread.start()
    return thread


def current_version(client: Client, name: str) -> int:
    """The version of ``name`` the server has now: filetracker's own query
    (a HEAD request), over a connection this thread keeps open, since
    every job asks it for each of its cached files."""
    store = client.remote_store
    session = getattr(_thread, 'http', None)
    if session is None:
        import requests

        session = _thread.http = requests.Session()
        session.trust_env = False  # no proxy look-ups per request
    url, _ = store._parse_name(name)
    try:
        response = session.head(url, allow_redirects=True, timeout=60)
        response.raise_for_status()
    except Exception as exc:
        raise FiletrackerError(f'cannot query the version of {name}: {exc}') from exc
    version = store._parse_last_modified(response)
    if version is None:
        raise FiletrackerError(f'the server gave no version of {name}')
    return version


def _client_for(url: str | None) -> Client:
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = Client(remote_url=url or None, cache_dir=_cache_dir_for(url))
            _clients[url] = client
        return client


def init_instance(url: str | None) -> Client:
    """Make the client for ``url`` (one per URL, cached) the default one."""
    client = _client_for(url)
    set_instance(client)
    return client


def set_instance(client: Client | None) -> None:
    """Use ``client`` as the default Filetracker client (None: forget it)."""
    global _default
    with _lock:
        _default = client


def instance() -> Client:
    """The Filetracker client jobs in this thread use."""
    override = getattr(_thread, 'client', None)
    if override is not None:
        return override
    global _default
    if _default is None:
        client = _client_for(os.environ.get('FILETRACKER_URL'))
        with _lock:
            if _default is None:
                _default = client
    return _default


@contextlib.contextmanager
def using_url(url: str | None) -> Iterator[None]:
    """Within the block, this thread's jobs talk to the server at ``url``."""
    if not url:
        yield
        return
    previous = getattr(_thread, 'client', None)
    _thread.client = _client_for(url)
    try:
        yield
    finally:
        _thread.client = previous


def negotiate_quietly(client: Client) -> None:
    """The filetracker client prints its protocol version to stdout the
    first time it talks to a server; keep that out of our stdout (sio-batch
    prints its result there)."""
    remote = client.remote_store
    if remote is None or id(remote) in _negotiated:
        return
    with _lock:
        if id(remote) in _negotiated:
            return
        with contextlib.redirect_stdout(io.StringIO()):
            remote._protocol_version()
        _negotiated.add(id(remote))


def _uses_filetracker(environ: dict, path: str) -> bool:
    mode = environ.get('use_filetracker', True)
    if mode == 'auto':
        return os.path.isabs(path)
    if mode not in (True, False):
        raise Failure(f"environ key 'use_filetracker' must be True, False or 'auto', "
                      f'not {mode!r}')
    return mode


def _local_path(path: str) -> str:
    # Relative to the caller's working directory, not the job directory the
    # runner may have made the process's while the job runs.
    from sio.workers.jobdir import caller_cwd

    return os.path.join(caller_cwd(), path)


def _strip_version(path: str) -> str:
    return path.split('@', 1)[0]


def _normalize_versioned(name: str) -> str:
    """The client answers '/p@V@V' for '/p@V' served from its cache."""
    base, _, versions = name.partition('@')
    if not versions:
        return name
    return f'{base}@{versions.split("@")[-1]}'


class FiletrackerUnavailable(RuntimeError):
    """The Filetracker server did not answer (not: the file is missing).
    A fault of the fleet, not of the job: not a :class:`~sio.workers.Failure`
    the job records, but an exception :func:`sio.workers.runner.run` lets
    through (as upstream's Filetracker errors went); the Celery task waits
    for the server and runs the job again (see :mod:`sio.celery.job`)."""


def _is_missing(exc: FiletrackerError) -> bool:
    text = str(exc)
    return '404' in text or 'not available' in text.lower() or 'not found' in text.lower()


def download(environ: dict, key: str, dest: str | None = None,
             skip_if_exists: bool = False, **kwargs) -> str:
    """Fetch the file ``environ[key]`` into the job directory.

    ``dest`` defaults to the file's base name; one ending with ``/`` is a
    directory to put it in. Returns the local path. With Filetracker,
    ``environ[key]`` becomes the versioned name that was fetched; extra
    keyword arguments go to :meth:`filetracker.client.Client.get_file`.

    ``add_to_cache=True`` (as upstream's jobs ask for checkers, inputs and
    programs) keeps the file in the machine's Filetracker cache
    (``FILETRACKER_DIR``), shared by every job and worker process there
    (the client's per-file locks make that safe): the next download of the
    same version, or of the same unversioned name while its version is
    current, costs one version query instead of a transfer. Hard links to
    the cache: a downloaded file must not be changed in place.
    A file that does not exist is a :class:`~sio.workers.Failure` naming the
    key and the path.
    """
    ft_path = require(environ, key)
    if not isinstance(ft_path, str) or not ft_path:
        raise Failure(f'environ[{key!r}] must be a non-empty path, not {ft_path!r}')
    base_name = os.path.basename(_strip_version(ft_path))
    if dest is None:
        dest = base_name
    elif dest.endswith(os.sep):
        dest = os.path.join(dest, base_name)
    dest = tempcwd(dest)
    if skip_if_exists and os.path.exists(dest):
        return dest
    os.makedirs(os.path.dirname(dest) or '.', exist_ok=True)

    if not _uses_filetracker(environ, ft_path):
        source = _local_path(ft_path)
        logger.debug('copying %s (%s) to %s', key, source, dest)
        try:
            fd = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise Failure(f'file for environ[{key!r}] does not exist: {source}') from None
        try:
            # A program that ran in this directory may have planted a link
            # or FIFO under this name: never written through.
            jobfiles.copy_fresh(fd, dest)
        finally:
            os.close(fd)
        return dest

    if not ft_path.startswith('/'):
        raise Failure(f"environ[{key!r}] is the relative path {ft_path!r}, but files come "
                      f"from Filetracker (whose names start with '/'); for local files "
                      f"set 'use_filetracker': false")
    # The client keeps an existing file that is at least as new as the
    # version asked for: never let an old file stand in for the download.
    # (And what a program planted under this name is not written through.)
    jobfiles.clear(dest)
    client = instance()
    logger.debug('downloading %s (%s) to %s', key, ft_path, dest)
    add_to_cache = bool(kwargs.pop('add_to_cache', False))
    try:
        negotiate_quietly(client)
        wanted = ft_path
        if add_to_cache and '@' not in ft_path and client.remote_store:
            # The machine's cache holds versions: ask which one is current
            # (a HEAD request) and take that one from the cache if it is there.
            wanted = f'{ft_path}@{current_version(client, ft_path)}'
        if add_to_cache and client.local_store is not None:
            _drop_stale_cache_entry(client, wanted)
        vname = client.get_file(wanted, dest, add_to_cache=add_to_cache, **kwargs)
        if add_to_cache:
            _stamp_version(dest, vname)
    except RequestException as exc:  # the server does not answer at all
        raise FiletrackerUnavailable(f'cannot download environ[{key!r}] ({ft_path}): '
                                     f'{exc}') from exc
    except FiletrackerError as exc:
        if _is_missing(exc):
            hint = ''
            if not client.remote_store:
                hint = ("; no Filetracker server is configured (FILETRACKER_URL or "
                        "environ['filetracker_url']): for local files set "
                        "'use_filetracker': false")
            raise Failure(f'file for environ[{key!r}] does not exist in Filetracker: '
                          f'{ft_path}{hint}') from exc
        raise FiletrackerUnavailable(f'cannot download environ[{key!r}] ({ft_path}): '
                                     f'{exc}') from exc
    if not os.path.exists(dest):
        raise Failure(f'file for environ[{key!r}] does not exist in Filetracker: {ft_path}')
    environ[key] = _normalize_versioned(vname)
    return dest


# filetracker's local store takes a cached file's mtime for its version
# and finds a version only on an exact match; but a file it caches from a
# download is a hard link of the downloaded copy, whose mtime is the time
# of the download. Unless the download fell in the second of the upload,
# the cache then never answered for it, and an entry stamped so blocked
# later versions too (a stored mtime at least as new is kept).

def _stamp_version(dest: str, vname: str) -> None:
    """Give the downloaded file (and the cache entry it is a hard link of)
    the server's version as its mtime."""
    version = _version_of(vname)
    if version is not None and int(os.stat(dest).st_mtime) != version:
        os.utime(dest, (version, version))


def _drop_stale_cache_entry(client: Client, name: str) -> None:
    """Remove the cache entry of ``name`` (versioned) when its mtime is not
    a version the server gave, so that this download can replace it."""
    version = _version_of(name)
    if version is None:
        return
    path, _ = client.local_store._parse_name(name)
    try:
        stamped = int(os.stat(path).st_mtime)
    except FileNotFoundError:
        return
    if stamped > version:
        # Newer than the version the server has now: a download time.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _version_of(name: str) -> int | None:
    _, _, version = name.rpartition('@')
    return int(version) if '@' in name and version.isdigit() else None


def upload(environ: dict, key: str, source: str, dest: str | None = None, **kwargs) -> str:
    """Store the job's file ``source`` as ``dest`` (default: ``environ[key]``).

    A ``dest`` ending with ``/`` is a directory to put it in. Sets and
    returns ``environ[key]``: the versioned Filetracker name, or the local
    path. Extra keyword arguments go to
    :meth:`filetracker.client.Client.put_file`.
    """
    if dest is None:
        dest = require(environ, key)
    if not isinstance(dest, str) or not dest:
        raise Failure(f'destination for environ[{key!r}] must be a non-empty path, not {dest!r}')
    if dest.endswith('/'):
        dest = dest + os.path.basename(source)
    local_source = tempcwd(source)
    # Programs ran here: only a regular file is read, never through a link
    # (the checked path stays so: nothing of a finished run is alive).
    try:
        fd = jobfiles.open_regular(local_source)
    except FileNotFoundError:
        raise Failure(f'cannot upload environ[{key!r}]: no file {local_source}') from None
    except jobfiles.NotRegularFile as exc:
        raise Failure(f'cannot upload environ[{key!r}]: {exc}') from None

    try:
        if not _uses_filetracker(environ, dest):
            target = _local_path(dest)
            os.makedirs(os.path.dirname(target) or '.', exist_ok=True)
            with open(target, 'wb') as out:
                jobfiles.copy_fd(fd, out.fileno())
                # With its mode: a compiled program stays runnable.
                os.fchmod(out.fileno(), stat.S_IMODE(os.fstat(fd).st_mode))
            environ[key] = dest
            return dest
    finally:
        os.close(fd)

    client = instance()
    logger.debug('uploading %s (%s) as %s', key, local_source, dest)
    try:
        negotiate_quietly(client)
        environ[key] = client.put_file(dest, local_source, **kwargs)
    except (FiletrackerError, RequestException) as exc:
        raise FiletrackerUnavailable(f'cannot upload environ[{key!r}] to {dest}: '
                                     f'{exc}') from exc
    return environ[key]


def _settings_of(environ: dict) -> dict:
    return {'use_filetracker': environ.get('use_filetracker', True)}


def download_path(environ: dict, path: str, dest: str | None = None, **kwargs) -> str:
    """:func:`download` of a path that is not under a key of ``environ``
    (an element of a list, a value of a dict), with ``environ``'s settings."""
    scratch = dict(_settings_of(environ), path=path)
    return download(scratch, 'path', dest, **kwargs)


def upload_path(environ: dict, source: str, dest: str, **kwargs) -> str:
    """:func:`upload` to a path not kept under a key of ``environ``; returns
    the stored (versioned) name."""
    scratch = _settings_of(environ)
    return upload(scratch, 'path', source, dest, **kwargs)


# The local server (upstream's names, kept here).
from sio.workers.ft_server import (  # noqa: E402, F401
    DEFAULT_SERVER_DIR,
    launch_filetracker_server,
    run_filetracker_main,
    server_answers,
)
