import concurrent.futures
import os
import shutil
import subprocess
import sys
import time

import psutil
import pytest

from sio.workers import ft, registry
from sio.workers.util import TemporaryCwd

TESTS = os.path.dirname(os.path.abspath(__file__))
PLUGINS = os.path.join(TESTS, 'plugins')
PROGRAMS = os.path.join(TESTS, 'programs')

sys.path.insert(0, TESTS)
# The tests' third-party job package, visible to this process and to every
# worker process the tests start.
sys.path.insert(0, PLUGINS)
os.environ['PYTHONPATH'] = os.pathsep.join(
    p for p in (PLUGINS, os.environ.get('PYTHONPATH')) if p)

import servers  # noqa: E402


def _own_machine_state():
    """The tests' own HOME, sandbox directory and temporary directory,
    fresh each session, for this process and every one it starts: a file
    the repository lacks must fail here, not be found where an earlier run
    (or a developer's machine) left it. The temporary directory may be
    crossed (0711) by the uids programs run as, as /tmp may."""
    import tempfile

    root = tempfile.mkdtemp(prefix='sio-tests-')
    os.chmod(root, 0o711)
    for name in ('home', 'sandboxes', 'tmp'):
        os.mkdir(os.path.join(root, name), 0o711 if name == 'tmp' else 0o700)
    os.environ['HOME'] = os.path.join(root, 'home')
    os.environ['SIO_SANDBOXES_BASEDIR'] = os.path.join(root, 'sandboxes')
    os.environ['TMPDIR'] = os.path.join(root, 'tmp')
    os.environ.pop('FILETRACKER_DIR', None)
    tempfile.tempdir = None  # gettempdir() asks TMPDIR again
    return root


MACHINE_STATE = _own_machine_state()


def pytest_unconfigure(config):
    shutil.rmtree(MACHINE_STATE, ignore_errors=True)


@pytest.fixture(autouse=True, scope='session')
def _nothing_written_where_the_tests_start():
    """A test that writes a job's files without a job directory
    (``job_dir``, :class:`TemporaryCwd`) writes them where pytest was
    started, the repository: a binary once got committed that way."""
    where = os.getcwd()
    before = set(os.listdir(where))
    yield
    left = sorted(name for name in set(os.listdir(where)) - before
                  if not name.startswith('.') and name != '__pycache__')
    assert not left, f'tests left files in {where}: {left}'


@pytest.fixture(autouse=True)
def _fresh_registry():
    registry._cache.clear()
    yield


@pytest.fixture
def job_dir():
    """Run the test as a job would: inside its own temporary directory."""
    with TemporaryCwd() as path:
        yield path
    assert not os.path.exists(path)


@pytest.fixture(scope='session')
def filetracker_url(tmp_path_factory):
    with servers.filetracker_server(str(tmp_path_factory.mktemp('filetracker'))) as url:
        yield url


@pytest.fixture
def ft_client(filetracker_url, tmp_path, monkeypatch):
    """The default Filetracker client talks to the test server, with a
    cache of this test's own."""
    monkeypatch.setenv('FILETRACKER_URL', filetracker_url)
    monkeypatch.setenv('FILETRACKER_DIR', str(tmp_path / 'cache'))
    monkeypatch.setattr(ft, '_clients', {})
    client = ft.init_instance(filetracker_url)
    yield client
    ft.set_instance(None)


@pytest.fixture(scope='session')
def redis_url():
    with servers.redis_server() as url:
        yield url


class Programs:
    """The hostile and helper C programs of tests/programs, built with
    gcc -static on first use (in parallel) and cached for the session."""

    def __init__(self, out_dir):
        self.out_dir = out_dir
        self._built = {}

    def build_all(self):
        sources = sorted(f[:-2] for f in os.listdir(PROGRAMS) if f.endswith('.c'))
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as pool:
            list(pool.map(self.__getitem__, sources))

    def __getitem__(self, name):
        if name not in self._built:
            src = os.path.join(PROGRAMS, name + '.c')
            out = os.path.join(self.out_dir, name)
            flags = ['-O2', '-static', '-Wall']
            with open(src) as f:
                first = f.readline()
            # A source may ask for more flags: "// cflags: -pthread".
            if first.startswith('// cflags:'):
                flags += first.split(':', 1)[1].split()
            subprocess.run(['gcc', *flags, '-o', out, src, '-lm'], check=True,
                           capture_output=True)
            self._built[name] = out
        return self._built[name]


@pytest.fixture(scope='session')
def programs(tmp_path_factory):
    progs = Programs(str(tmp_path_factory.mktemp('programs')))
    progs.build_all()
    return progs


def _live_descendants():
    me = psutil.Process()
    result = set()
    for child in me.children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                result.add((child.pid, child.create_time()))
        except psutil.NoSuchProcess:
            pass
    return result


def _zombie_children():
    out = []
    for child in psutil.Process().children():
        try:
            if child.status() == psutil.STATUS_ZOMBIE:
                out.append(child.pid)
        except psutil.NoSuchProcess:
            pass
    return out


def _open_fds():
    return set(os.listdir('/proc/self/fd'))


def _kept_by_design(fd):
    """Descriptors the native core keeps for later runs: the locks of uids
    this process leased, the control files of their memory cgroups, the
    network namespaces of their runs, the mount namespace of unprotected
    runs and the devices their Landlock rulesets name, the file this thread's runs
    write instead of /dev/null."""
    from sio._native import supervise

    if int(fd) in supervise._kept_descriptors() or \
            int(fd) == supervise._kept_output_file():
        return True
    lock_dir = os.environ.get('SIO_RUN_UIDS_DIR') or '/run/sioworkers/uids'
    try:
        target = os.readlink(f'/proc/self/fd/{fd}')
    except OSError:
        return False
    return (os.path.dirname(target) == lock_dir or
            os.path.basename(os.path.dirname(os.path.dirname(target))) == 'sioworkers')


@pytest.fixture
def no_leaks():
    """After the test: no process it started is left (alive or zombie) and
    no descriptor it opened is still open in this process."""
    before_procs = _live_descendants()
    before_fds = _open_fds()
    yield
    deadline = time.monotonic() + 2
    while True:
        leftover = _live_descendants() - before_procs
        zombies = _zombie_children()
        if (not leftover and not zombies) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert not leftover, f'processes left behind: {leftover}'
    assert not zombies, f'zombie children: {zombies}'
    leaked = _open_fds() - before_fds
    # listdir's own descriptor may show up, and what the native core keeps
    # for later runs by design. Anything else is a leak.
    leaked = {fd for fd in leaked if os.path.exists(f'/proc/self/fd/{fd}')
              and not _kept_by_design(fd)}
    assert not leaked, 'descriptors leaked: ' + ', '.join(
        f'{fd}->{os.readlink(f"/proc/self/fd/{fd}")}' for fd in leaked)


def processes_with_cmdline(fragment):
    found = []
    for p in psutil.process_iter(['pid', 'cmdline', 'status']):
        try:
            if p.info['status'] != psutil.STATUS_ZOMBIE and \
                    any(fragment in a for a in (p.info['cmdline'] or [])):
                found.append(p.info['pid'])
        except psutil.NoSuchProcess:
            pass
    return found


def have(tool):
    return shutil.which(tool) is not None


def matches(value, expected):
    """value == expected, or value among expected when it is a tuple."""
    return value in expected if isinstance(expected, tuple) else value == expected
