"""Sandboxes: named directory trees of tools jobs run programs with.

``get_sandbox(name)`` returns the shared :class:`Sandbox` for a name; use
it as a context manager and read ``path`` while inside::

    with get_sandbox('exec-sandbox') as sandbox:
        compare = os.path.join(sandbox.path, 'bin', 'compare')

A sandbox lives in ``SIO_SANDBOXES_BASEDIR`` (default ``~/.sio-sandboxes``).
When it is missing or stale it is installed from the first place that has
it:

1. Filetracker: ``/sandboxes/NAME.tar.gz``;
2. ``SIO_SANDBOXES_URL/NAME.tar.gz`` (http, https or file URLs);
3. a local recipe, ``sandboxes/NAME.sh`` of this package.

A shared file lock is held while a sandbox is in use and an exclusive one
while it is installed, so workers on one machine never see a half-built
sandbox. Archives are extracted safely: no absolute paths, no ``..``, no
links leading out, no device files. A sandbox that cannot be had is a
:class:`SandboxError` naming every place tried and why.
"""

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import urllib.error
import urllib.request

from sio.workers import Failure

logger = logging.getLogger(__name__)

INFO_FILE = '.sio-sandbox-info'
RECIPES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           '_native', 'sandboxes')


class SandboxError(Failure):
    """A sandbox could not be found, downloaded, built or extracted."""


def basedir() -> str:
    return os.path.expanduser(os.environ.get('SIO_SANDBOXES_BASEDIR', '~/.sio-sandboxes'))


def recipe_path(name: str) -> str:
    return os.path.join(os.environ.get('SIO_SANDBOX_RECIPES', RECIPES_DIR), name + '.sh')


def _check_name(name: str) -> None:
    if not name or '/' in name or name.startswith('.') or '\0' in name:
        raise SandboxError(f'bad sandbox name: {name!r}')


def _file_hash(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


# --- safe extraction ---------------------------------------------------------

def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def _check_member(root: str, member: tarfile.TarInfo) -> str:
    """Where a member may go, or SandboxError."""
    name = member.name
    parts = [p for p in name.split('/') if p not in ('', '.')]
    if name.startswith('/') or '..' in parts:
        raise SandboxError(f'unsafe path in the archive: {name!r}')
    if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
        raise SandboxError(f'special file in the archive: {name!r}')
    target = os.path.join(root, *parts) if parts else root
    parent = os.path.realpath(os.path.dirname(target))
    if not _inside(root, parent):
        raise SandboxError(f'archive member {name!r} would be written through a link '
                           f'out of the sandbox')
    if member.issym():
        # Links are resolved inside the sandbox (it becomes / for programs):
        # an absolute target is fine, climbing out of it is not.
        link = member.linkname
        base = root if link.startswith('/') else os.path.dirname(target)
        resolved = os.path.normpath(os.path.join(base, link.lstrip('/')))
        if not _inside(root, resolved):
            raise SandboxError(f'link {name!r} -> {link!r} leads out of the sandbox')
    if member.islnk():
        linked = os.path.normpath(os.path.join(root, member.linkname))
        if member.linkname.startswith('/') or not _inside(root, linked):
            raise SandboxError(f'hard link {name!r} -> {member.linkname!r} leads out of '
                               f'the sandbox')
    return target


def extract_archive(archive: str, root: str) -> None:
    """Extract a tar archive (any compression) into the directory root,
    refusing anything unsafe (the whole archive then fails)."""
    root = os.path.realpath(root)
    try:
        tar = tarfile.open(archive)
    except (tarfile.TarError, OSError) as exc:
        raise SandboxError(f'{os.path.basename(archive)} is not a tar archive: {exc}') from exc
    with tar:
        for member in tar:
            target = _check_member(root, member)
            if member.isdir():
                os.makedirs(target, exist_ok=True)
                os.chmod(target, (member.mode & 0o777) | 0o700)
            elif member.issym():
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if os.path.lexists(target):
                    os.unlink(target)
                os.symlink(member.linkname, target)
            elif member.islnk():
                source = os.path.join(root, member.linkname)
                if not os.path.isfile(source) or os.path.islink(source):
                    raise SandboxError(f'hard link {member.name!r} to a missing file')
                os.makedirs(os.path.dirname(target), exist_ok=True)
                os.link(source, target)
            else:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                src = tar.extractfile(member)
                with src, open(target, 'wb') as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                # Permissions, never set-id bits.
                os.chmod(target, member.mode & 0o777)


# --- sources -------------------------------------------------------------------

def _from_filetracker(name: str, work: str) -> dict:
    from filetracker.client import FiletrackerError

    from sio.workers import ft

    client = ft.instance()
    if client.remote_store is None:
        raise LookupError('no Filetracker server configured (FILETRACKER_URL)')
    path = f'/sandboxes/{name}.tar.gz'
    archive = os.path.join(work, 'archive')
    try:
        ft.negotiate_quietly(client)
        vname = client.get_file(path, archive, add_to_cache=False)
    except FiletrackerError as exc:
        raise LookupError(f'{path}: {exc}') from exc
    return {'source': 'filetracker', 'archive': archive, 'version': vname}


def _newer_in_filetracker(name: str, installed: str) -> bool:
    """Is there a newer /sandboxes/NAME.tar.gz than the installed version?
    (Checked once per process; an unreachable server keeps what is here.)"""
    from sio.workers import ft

    try:
        client = ft.instance()
        if client.remote_store is None:
            return False
        ft.negotiate_quietly(client)
        current = client.file_version(f'/sandboxes/{name}.tar.gz')
        return int(current) > int(installed.rsplit('@', 1)[-1])
    except Exception as exc:  # any failure: keep the installed sandbox
        logger.debug('cannot check sandbox %s for updates: %s', name, exc)
        return False


def _from_url(name: str, work: str) -> dict:
    base = os.environ.get('SIO_SANDBOXES_URL')
    if not base:
        raise LookupError('SIO_SANDBOXES_URL is not set')
    url = f'{base.rstrip("/")}/{name}.tar.gz'
    archive = os.path.join(work, 'archive')
    try:
        with urllib.request.urlopen(url, timeout=60) as r, open(archive, 'wb') as f:
            shutil.copyfileobj(r, f, 1 << 20)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise LookupError(f'{url}: {exc}') from exc
    return {'source': 'url', 'archive': archive, 'version': url}


def _recipe_version(recipe: str) -> str:
    """What a sandbox built by ``recipe`` is made of: the recipe and the
    package's helper binaries it may copy (a rebuilt supervisor or jail
    rebuilds the sandboxes holding them)."""
    from sio._native import BIN_DIR

    digest = hashlib.sha256(_file_hash(recipe).encode())
    for name in sorted(os.listdir(BIN_DIR)) if os.path.isdir(BIN_DIR) else ():
        path = os.path.join(BIN_DIR, name)
        if os.path.isfile(path):
            digest.update(name.encode() + b'\0' + _file_hash(path).encode())
    return digest.hexdigest()


def _from_recipe(name: str, work: str) -> dict:
    recipe = recipe_path(name)
    if not os.path.isfile(recipe):
        raise LookupError(f'no recipe {recipe}')
    tree = os.path.join(work, 'tree')
    os.mkdir(tree)
    from sio._native import BIN_DIR

    env = dict(os.environ, SIO_NATIVE_BIN=BIN_DIR)
    proc = subprocess.run(['/bin/sh', recipe, tree], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise LookupError(f'recipe {recipe} failed: {proc.stderr.strip()[-500:]}')
    return {'source': 'recipe', 'tree': tree, 'version': _recipe_version(recipe)}


SOURCES = (('Filetracker', _from_filetracker), ('SIO_SANDBOXES_URL', _from_url),
           ('local recipe', _from_recipe))


# --- the sandbox -----------------------------------------------------------------

class Sandbox:
    """One named sandbox. Enter it to use ``path`` (entering installs it
    when missing or stale, under an exclusive lock, and keeps it from
    being replaced while inside). Reading ``path`` outside a ``with``
    installs it first too, as upstream's examples use it."""

    def __init__(self, name: str):
        _check_name(name)
        self.name = name
        self._path = os.path.join(basedir(), name)
        self._lock_path = os.path.join(basedir(), f'.{name}.lock')
        self._held = threading.local()
        self._checked = False
        # Upstream's count of entries (its tests and subclasses read it).
        self._in_context = 0
        self._count_lock = threading.Lock()

    @property
    def path(self) -> str:
        """The real, absolute path of the sandbox's root directory."""
        if not getattr(self._held, 'fds', None) and not self._checked:
            with self:
                pass
        return self._path

    def __repr__(self) -> str:
        return f'<Sandbox {self.name} at {self._path}>'

    def _info(self) -> dict | None:
        try:
            with open(os.path.join(self._path, INFO_FILE)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _fresh(self) -> bool:
        info = self._info()
        if info is None:
            return False
        if self._checked:
            return True
        if info.get('source') == 'recipe':
            recipe = recipe_path(self.name)
            # A changed recipe (a new package version) rebuilds the sandbox.
            return not os.path.isfile(recipe) or info.get('version') == _recipe_version(recipe)
        if info.get('source') == 'filetracker':
            return not _newer_in_filetracker(self.name, info.get('version', ''))
        return True

    def _install(self) -> None:
        os.makedirs(basedir(), exist_ok=True)
        tried = []
        work = tempfile.mkdtemp(prefix=f'.{self.name}.', dir=basedir())
        try:
            for label, source in SOURCES:
                try:
                    got = source(self.name, work)
                except LookupError as exc:
                    tried.append(f'{label}: {exc}')
                    continue
                tree = got.pop('tree', None)
                if tree is None:
                    tree = os.path.join(work, 'tree')
                    os.mkdir(tree)
                    extract_archive(got.pop('archive'), tree)
                with open(os.path.join(tree, INFO_FILE), 'w') as f:
                    json.dump(got, f)
                if os.path.lexists(self._path):  # the stale one goes with `work`
                    os.rename(self._path, os.path.join(work, 'old'))
                os.rename(tree, self._path)
                logger.info('installed sandbox %s from %s', self.name, label)
                return
            raise SandboxError(f'sandbox {self.name!r} is not available; tried: '
                               + '; '.join(tried))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _get(self) -> None:
        """Make the sandbox usable (install it when missing or stale), with
        this thread's shared lock held; upstream's hook, which subclasses
        may override. Upgrades the lock to install."""
        fd = self._held.entering
        if not self._fresh():
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits for other users to leave
            try:
                if not self._fresh():
                    self._install()
            finally:
                fcntl.flock(fd, fcntl.LOCK_SH)
        self._checked = True

    def __enter__(self) -> 'Sandbox':
        os.makedirs(basedir(), exist_ok=True)
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        with self._count_lock:
            self._in_context += 1
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            self._held.entering = fd
            self._get()
        except BaseException:
            with self._count_lock:
                self._in_context -= 1
            os.close(fd)
            raise
        finally:
            self._held.entering = None
        stack = getattr(self._held, 'fds', None)
        if stack is None:
            stack = self._held.fds = []
        stack.append(fd)
        return self

    def __exit__(self, *exc_info) -> None:
        fd = self._held.fds.pop()
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        with self._count_lock:
            self._in_context -= 1


_sandboxes: dict[tuple[str, str], Sandbox] = {}
_sandboxes_lock = threading.Lock()


def get_sandbox(name: str) -> Sandbox:
    """The shared :class:`Sandbox` called ``name`` (enter it to use it)."""
    key = (basedir(), name)
    with _sandboxes_lock:
        if key not in _sandboxes:
            _sandboxes[key] = Sandbox(name)
        return _sandboxes[key]


SANDBOX_USAGE = """\
usage: sio-get-sandbox NAME

Installs the sandbox NAME if it is not yet installed (from Filetracker, from
SIO_SANDBOXES_URL, or built by a local recipe) and prints its path.

Environment:
  SIO_SANDBOXES_BASEDIR  where sandboxes are installed (default ~/.sio-sandboxes)
  SIO_SANDBOXES_URL      a URL to download NAME.tar.gz from
  FILETRACKER_URL        a Filetracker server holding /sandboxes/NAME.tar.gz
"""


def main(argv: list[str] | None = None) -> int:
    """``sio-get-sandbox NAME``: install the sandbox if needed, print its path."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ('-h', '--help'):
        sys.stdout.write(SANDBOX_USAGE)
        return 0
    if len(args) != 1 or args[0].startswith('-'):
        sys.stderr.write(SANDBOX_USAGE.splitlines()[0] + '\n')
        return 2
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(levelname)s %(name)s: %(message)s')
    try:
        with get_sandbox(args[0]) as sandbox:
            print(sandbox.path)
    except SandboxError as exc:
        sys.stderr.write(f'sio-get-sandbox: {exc}\n')
        return 1
    except OSError as exc:
        sys.stderr.write(f'sio-get-sandbox: cannot use the sandboxes directory {basedir()}: '
                         f'{exc.strerror or exc}\n')
        return 1
    return 0
