"""Sandboxes: lookup order, locks, safe extraction, recipes, PRoot."""

import http.server
import io
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time

import pytest

from sio._native import supervise
from sio.workers.executors import PRootExecutor, SandboxExecutor
from sio.workers.sandbox import SandboxError, extract_archive, get_sandbox
from sio.workers.util import tempcwd


@pytest.fixture
def basedir(tmp_path, monkeypatch):
    path = tmp_path / 'sandboxes'
    monkeypatch.setenv('SIO_SANDBOXES_BASEDIR', str(path))
    monkeypatch.delenv('SIO_SANDBOXES_URL', raising=False)
    monkeypatch.delenv('FILETRACKER_URL', raising=False)
    monkeypatch.setenv('FILETRACKER_DIR', str(tmp_path / 'ft-cache'))
    from sio.workers import ft

    monkeypatch.setattr(ft, '_clients', {})
    ft.set_instance(None)
    yield path
    ft.set_instance(None)


def make_tar(path, members):
    """members: {name: bytes | ('symlink', target) | ('hardlink', target) |
    ('dir',) | ('device',)}"""
    with tarfile.open(path, 'w:gz') as tar:
        for name, spec in members.items():
            info = tarfile.TarInfo(name)
            data = None
            if isinstance(spec, bytes):
                info.size = len(spec)
                info.mode = 0o755
                data = io.BytesIO(spec)
            elif spec[0] == 'symlink':
                info.type, info.linkname = tarfile.SYMTYPE, spec[1]
            elif spec[0] == 'hardlink':
                info.type, info.linkname = tarfile.LNKTYPE, spec[1]
            elif spec[0] == 'dir':
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif spec[0] == 'device':
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            tar.addfile(info, data)
    return str(path)


@pytest.mark.parametrize('name', ['null-sandbox', 'exec-sandbox', 'sio2jail_exec-sandbox',
                                  'proot-sandbox'])
def test_local_recipes(basedir, name):
    with get_sandbox(name) as sandbox:
        assert os.path.isdir(sandbox.path)
        assert sandbox.path == str(basedir / name)
        files = {os.path.relpath(os.path.join(d, f), sandbox.path)
                 for d, _, fs in os.walk(sandbox.path) for f in fs}
    expected = {
        'null-sandbox': set(),
        'exec-sandbox': {'bin/compare', 'bin/supervisor'},
        'sio2jail_exec-sandbox': {'sio2jail'},
        'proot-sandbox': {'bin/proot', 'README'},
    }[name]
    assert expected <= files - {'.sio-sandbox-info'}


def test_exec_sandbox_tools_work(basedir, programs, job_dir):
    """The seed's example: supervisor -f 3 ./exe < in 3> result > out."""
    shutil.copy(programs['hello'], tempcwd('exe'))
    with open(tempcwd('in'), 'w') as f:
        f.write('2 3\n')
    with open(tempcwd('hint'), 'w') as f:
        f.write('5\n')
    with get_sandbox('exec-sandbox') as sandbox:
        bin_dir = os.path.join(sandbox.path, 'bin')
        subprocess.run(f'{bin_dir}/supervisor -f 3 ./exe < in 3> result > out', shell=True,
                       cwd=tempcwd(), env=dict(os.environ, MEM_LIMIT='65536',
                                               TIME_LIMIT='1000'), check=True)
        with open(tempcwd('result')) as f:
            status, message = f.read().splitlines()
        assert status.split()[0] == 'OK' and message == 'ok'
        compared = subprocess.run([os.path.join(bin_dir, 'compare'), 'hint', 'out'],
                                  cwd=tempcwd(), capture_output=True, text=True)
        assert compared.stdout == 'OK\n'
    shutil.copy(programs['fork_bomb'], tempcwd('exe'))
    subprocess.run(f'{bin_dir}/supervisor -f 3 ./exe 3> result', shell=True, cwd=tempcwd(),
                   check=True)
    with open(tempcwd('result')) as f:
        lines = f.read().splitlines()
    assert lines[0].startswith('RV ') and lines[1] == 'intercepted forbidden syscall clone'


def test_command_line_supervisor_has_the_executors_wall_clock_rule(programs, job_dir):
    """exec-sandbox's supervisor without HARD_LIMIT and SupervisedExecutor
    without a real-time limit both stop a sleeper after 64 x the CPU
    limit + 1 s: one rule, in the native core."""
    assert supervise.default_real_time_limit_ms(10) == 1640
    assert supervise.default_real_time_limit_ms(0) == 0  # no CPU limit: none
    assert supervise.default_real_time_limit_ms(2**64 - 1) == 2**64 - 1  # saturates
    shutil.copy(programs['sleep_forever'], tempcwd('exe'))
    with get_sandbox('exec-sandbox') as sandbox:
        supervisor = os.path.join(sandbox.path, 'bin', 'supervisor')
        start = time.monotonic()
        subprocess.run(f'{supervisor} -f 3 ./exe 3> result', shell=True, cwd=tempcwd(),
                       env=dict(os.environ, TIME_LIMIT='10'), check=True)
        elapsed_ms = (time.monotonic() - start) * 1000
    with open(tempcwd('result')) as f:
        assert f.read().splitlines()[1] == 'real time limit exceeded'
    assert 1640 - 20 <= elapsed_ms <= 1640 + 400


def test_download_from_filetracker(basedir, filetracker_url, tmp_path, monkeypatch):
    monkeypatch.setenv('FILETRACKER_URL', filetracker_url)
    archive = make_tar(tmp_path / 'a.tar.gz', {'bin/': ('dir',), 'bin/tool': b'#!/bin/sh\n'})
    from sio.workers import ft

    client = ft.instance()
    ft.negotiate_quietly(client)
    client.put_file('/sandboxes/ft-sandbox.tar.gz', archive)
    with get_sandbox('ft-sandbox') as sandbox:
        assert os.path.isfile(os.path.join(sandbox.path, 'bin', 'tool'))
        assert os.access(os.path.join(sandbox.path, 'bin', 'tool'), os.X_OK)


class CountingHandler(http.server.SimpleHTTPRequestHandler):
    hits = []

    def do_GET(self):  # noqa: N802 - the http.server API
        CountingHandler.hits.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_sandboxes(tmp_path, monkeypatch):
    served = tmp_path / 'served'
    served.mkdir()
    CountingHandler.hits = []
    handler = lambda *a, **kw: CountingHandler(*a, directory=str(served), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv('SIO_SANDBOXES_URL', f'http://127.0.0.1:{server.server_port}')
    try:
        yield served
    finally:
        server.shutdown()
        server.server_close()


def test_download_from_url(basedir, http_sandboxes):
    make_tar(http_sandboxes / 'web-sandbox.tar.gz', {'data.txt': b'hello'})
    with get_sandbox('web-sandbox') as sandbox:
        with open(os.path.join(sandbox.path, 'data.txt')) as f:
            assert f.read() == 'hello'
    with get_sandbox('web-sandbox'):
        pass
    assert CountingHandler.hits == ['/web-sandbox.tar.gz']


def test_two_processes_install_once(basedir, http_sandboxes, tmp_path):
    make_tar(http_sandboxes / 'shared-sandbox.tar.gz',
             {f'file{i}': os.urandom(200_000) for i in range(20)})
    script = ('import sys; from sio.workers.sandbox import get_sandbox\n'
              'with get_sandbox("shared-sandbox") as s:\n'
              '    import os; print(len(os.listdir(s.path)))\n')
    procs = [subprocess.Popen([sys.executable, '-c', script], stdout=subprocess.PIPE,
                              text=True, env=dict(os.environ)) for _ in range(2)]
    outputs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs == ['21', '21']  # 20 files and the info file, never half
    assert CountingHandler.hits == ['/shared-sandbox.tar.gz']


def test_missing_sandbox_names_every_place(basedir, http_sandboxes):
    with pytest.raises(SandboxError) as err:
        with get_sandbox('no-such-sandbox'):
            pass
    text = str(err.value)
    assert 'no-such-sandbox' in text
    for place in ('Filetracker', 'SIO_SANDBOXES_URL', 'local recipe'):
        assert place in text


@pytest.mark.parametrize('members, fragment', [
    ({'/etc/evil': b'x'}, 'unsafe path'),
    ({'../evil': b'x'}, 'unsafe path'),
    ({'a/../../evil': b'x'}, 'unsafe path'),
    ({'link': ('symlink', '../../outside')}, 'leads out'),
    ({'link': ('symlink', '/etc'), 'link/passwd': b'pwned'}, 'through a link'),
    ({'hard': ('hardlink', '/etc/passwd')}, 'hard link'),
    ({'dev': ('device',)}, 'special file'),
])
def test_malicious_archives_are_refused(tmp_path, members, fragment):
    archive = make_tar(tmp_path / 'bad.tar.gz', members)
    root = tmp_path / 'root'
    root.mkdir()
    with pytest.raises(SandboxError, match=fragment):
        extract_archive(archive, str(root))
    assert not (tmp_path / 'evil').exists()
    assert not (tmp_path / 'outside').exists()


def test_safe_archive_with_links_inside(tmp_path):
    archive = make_tar(tmp_path / 'ok.tar.gz', {
        'usr/lib/libx.so': b'lib', 'lib': ('symlink', 'usr/lib'),
        'lib64': ('symlink', '/usr/lib'), 'copy': ('hardlink', 'usr/lib/libx.so')})
    root = tmp_path / 'root'
    root.mkdir()
    extract_archive(archive, str(root))
    assert os.readlink(root / 'lib') == 'usr/lib'
    assert (root / 'copy').read_bytes() == b'lib'


def test_sio_get_sandbox_script(basedir):
    script = os.path.join(os.path.dirname(sys.executable), 'sio-get-sandbox')
    proc = subprocess.run([script, 'null-sandbox'], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == str(basedir / 'null-sandbox')
    bad = subprocess.run([script, 'nothing-here'], capture_output=True, text=True)
    assert bad.returncode == 1 and 'nothing-here' in bad.stderr


def test_sandbox_executor_runs_shipped_tools(basedir, job_dir):
    with open(tempcwd('a'), 'w') as f:
        f.write('1 2\n')
    with open(tempcwd('b'), 'w') as f:
        f.write('1   2')
    with SandboxExecutor('exec-sandbox') as run:
        renv = run(['compare', tempcwd('a'), tempcwd('b')], capture_output=True)
    assert renv['stdout'] == b'OK\n'


@pytest.mark.usefixtures('job_dir', 'no_leaks')
def test_proot_isolation(basedir, programs):
    shutil.copy(programs['open_passwd'], tempcwd('prog'))
    shutil.copy(programs['read_local'], tempcwd('reader'))
    with open(tempcwd('data'), 'w') as f:
        f.write('visible\n')
    with PRootExecutor('null-sandbox') as run:
        renv = run([tempcwd('prog')], capture_output=True)
        # The host's /etc/passwd is not in the sandbox.
        assert renv['return_code'] == 0 and renv['stdout'] == b'ERR\n'
        # The job directory is visible as itself (and as /tmp).
        renv = run([tempcwd('reader')], capture_output=True)
        assert renv['stdout'] == b'DATA visible\n'
        renv = run(['/tmp/reader'], capture_output=True)
        assert renv['stdout'] == b'DATA visible\n'


def test_compound_sandbox_executor(basedir, job_dir):
    from sio.workers.executors import CompoundSandboxExecutor, DetailedUnprotectedExecutor

    with open(tempcwd('a'), 'w') as f:
        f.write('7\n')
    with CompoundSandboxExecutor(DetailedUnprotectedExecutor(), 'exec-sandbox') as run:
        compare = os.path.join(run.rpath, 'bin', 'compare')
        renv = run([compare, tempcwd('a'), tempcwd('a')], capture_output=True)
    assert renv['result_code'] == 'OK' and renv['stdout'] == b'OK\n'


def test_recipe_sandboxes_follow_the_helper_binaries(tmp_path, monkeypatch):
    """A sandbox built by a recipe that copies the package's helpers is
    stale once a helper is rebuilt (its version covers them)."""
    import sio._native
    from sio.workers import sandbox

    helpers = tmp_path / 'bin'
    helpers.mkdir()
    (helpers / 'supervisor').write_bytes(b'old build')
    recipe = tmp_path / 'r.sh'
    recipe.write_text('#!/bin/sh\n')
    monkeypatch.setattr(sio._native, 'BIN_DIR', str(helpers))
    before = sandbox._recipe_version(str(recipe))
    assert sandbox._recipe_version(str(recipe)) == before
    (helpers / 'supervisor').write_bytes(b'new build')
    assert sandbox._recipe_version(str(recipe)) != before


def test_upstream_hooks_get_and_in_context(basedir):
    """Upstream's own test_setting_in_context: a subclass's _get that fails
    leaves no entry counted; entries nest and are counted."""
    from sio.workers.sandbox import Sandbox

    class SandboxDummy(Sandbox):
        def _get(self):
            raise RuntimeError

    s = SandboxDummy('test')
    with pytest.raises(RuntimeError):
        with s:
            pass
    assert s._in_context == 0

    calls = []

    class Counting(Sandbox):
        def _get(self):
            calls.append(self._in_context)

    c = Counting('counted')
    with c:
        with c:
            assert c._in_context == 2
        assert c._in_context == 1
    assert c._in_context == 0
    assert calls == [1, 2]
