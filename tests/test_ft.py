import os
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest

from sio.workers import Failure, ft
from sio.workers.util import tempcwd

import servers
from conftest import processes_with_cmdline


def write(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def test_upload_then_download_with_versioned_names(ft_client, job_dir):
    write(tempcwd('a.txt'), b'first')
    env = {'f': '/tests/ft/a.txt'}
    name1 = ft.upload(env, 'f', 'a.txt')
    assert name1.startswith('/tests/ft/a.txt@')
    assert env['f'] == name1

    write(tempcwd('a.txt'), b'second')
    name2 = ft.upload(env, 'f', 'a.txt', dest='/tests/ft/a.txt')
    assert int(name2.split('@')[1]) >= int(name1.split('@')[1])

    fetched = {'f': '/tests/ft/a.txt'}
    path = ft.download(fetched, 'f', 'got.txt')
    assert path == tempcwd('got.txt')
    assert read(path) == b'second'
    assert fetched['f'].startswith('/tests/ft/a.txt@')

    # An old version by its versioned name, twice: the second time it comes
    # from the cache and the name must not grow a second '@version'.
    for _ in range(2):
        old = {'f': name1}
        ft.download(old, 'f', 'old.txt')
        assert read(tempcwd('old.txt')) in (b'first', b'second')
        assert old['f'].count('@') == 1


def test_download_defaults_and_directories(ft_client, job_dir):
    write(tempcwd('x.bin'), b'\0\1\2')
    env = {'k': '/tests/ft/dir/x.bin'}
    ft.upload(env, 'k', 'x.bin', dest='/tests/ft/dir/')
    assert env['k'].startswith('/tests/ft/dir/x.bin@')
    assert ft.download({'k': '/tests/ft/dir/x.bin'}, 'k') == tempcwd('x.bin')
    assert ft.download({'k': '/tests/ft/dir/x.bin'}, 'k', 'sub/') == tempcwd('sub', 'x.bin')
    assert read(tempcwd('sub', 'x.bin')) == b'\0\1\2'


def test_skip_if_exists(ft_client, job_dir):
    write(tempcwd('local'), b'mine')
    path = ft.download({'k': '/tests/ft/never-uploaded'}, 'k', 'local', skip_if_exists=True)
    assert read(path) == b'mine'


def test_downloads_are_cached(ft_client, job_dir, tmp_path):
    write(tempcwd('c.txt'), b'cached')
    name = ft.upload({'k': '/tests/ft/c.txt'}, 'k', 'c.txt')
    ft.download({'k': name}, 'k', 'c1')
    cache = tmp_path / 'cache'
    cached = [os.path.join(d, f) for d, _, files in os.walk(cache) for f in files
              if 'c.txt' in f or 'c.txt' in d]
    assert cached, 'the download was not added to the cache'


def test_missing_file_names_key_and_path(ft_client, job_dir):
    with pytest.raises(Failure) as err:
        ft.download({'in_file': '/tests/ft/missing.in'}, 'in_file')
    assert "'in_file'" in str(err.value) and '/tests/ft/missing.in' in str(err.value)


def test_absent_key_is_named(ft_client, job_dir):
    with pytest.raises(Failure, match="'absent_key'"):
        ft.download({}, 'absent_key')


def test_use_filetracker_false_uses_local_paths(job_dir, tmp_path):
    src = tmp_path / 'local.in'
    write(src, b'local data')
    env = {'use_filetracker': False, 'in_file': str(src), 'out_file': str(tmp_path / 'o' / 'out')}
    assert read(ft.download(env, 'in_file', 'in')) == b'local data'
    write(tempcwd('result'), b'res')
    assert ft.upload(env, 'out_file', 'result') == str(tmp_path / 'o' / 'out')
    assert read(tmp_path / 'o' / 'out') == b'res'
    with pytest.raises(Failure) as err:
        ft.download({'use_filetracker': False, 'in_file': str(tmp_path / 'nope')}, 'in_file')
    assert 'nope' in str(err.value) and "'in_file'" in str(err.value)


def test_use_filetracker_false_relative_to_process_cwd(job_dir, tmp_path, monkeypatch):
    write(tmp_path / 'rel.txt', b'relative')
    monkeypatch.chdir(tmp_path)
    env = {'use_filetracker': False, 'f': 'rel.txt'}
    assert read(ft.download(env, 'f', 'copy')) == b'relative'


def test_use_filetracker_auto(ft_client, job_dir, tmp_path, monkeypatch):
    write(tempcwd('r.txt'), b'remote')
    ft.upload({'k': '/tests/ft/auto.txt'}, 'k', 'r.txt')
    write(tmp_path / 'rel.txt', b'local')
    monkeypatch.chdir(tmp_path)
    env = {'use_filetracker': 'auto', 'remote': '/tests/ft/auto.txt', 'local': 'rel.txt'}
    assert read(ft.download(env, 'remote', 'a')) == b'remote'
    assert read(ft.download(env, 'local', 'b')) == b'local'
    with pytest.raises(Failure):
        ft.download({'use_filetracker': 'sometimes', 'k': 'x'}, 'k')


def test_filetracker_url_in_environ_selects_the_server(filetracker_url, tmp_path, monkeypatch):
    monkeypatch.delenv('FILETRACKER_URL', raising=False)
    monkeypatch.setenv('FILETRACKER_DIR', str(tmp_path / 'cache'))
    monkeypatch.setattr(ft, '_clients', {})
    ft.set_instance(None)
    with ft.using_url(filetracker_url):
        client = ft.instance()
        assert client.remote_store is not None
    assert ft._client_for(filetracker_url) is client
    assert ft._client_for('http://127.0.0.1:1') is not client
    assert ft._cache_dir_for(filetracker_url) != ft._cache_dir_for('http://127.0.0.1:1')


def test_clients_are_shared_across_threads(ft_client):
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(ft.instance())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(c is ft_client for c in seen)


@pytest.fixture
def public_url(tmp_path, monkeypatch):
    port = servers.free_port()
    url = f'http://127.0.0.1:{port}'
    server_dir = tmp_path / 'ftserver'
    monkeypatch.setenv('FILETRACKER_PUBLIC_URL', url)
    monkeypatch.setenv('FILETRACKER_SERVER_DIR', str(server_dir))
    monkeypatch.setenv('FILETRACKER_SERVER_WORKERS', '1')
    yield url
    # The server runs detached: find it by its port and stop it.
    for pid in listeners(port):
        try:
            proc = psutil.Process(pid)
            for child in proc.children(recursive=True):
                child.send_signal(signal.SIGKILL)
            proc.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    servers.wait_until(lambda: not ft.server_answers(url, 0.2), 10, 'server stop')


def listeners(port):
    """Pids of the processes listening on a TCP port (the server's master)."""
    pids = {c.pid for c in psutil.net_connections('tcp')
            if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.pid}
    masters = set()
    for pid in pids:
        try:
            parent = psutil.Process(pid).parent()
            masters.add(parent.pid if parent and pid in {
                c.pid for c in parent.children()} and parent.pid != 1 else pid)
        except psutil.NoSuchProcess:
            pass
    return masters | pids


def test_launch_filetracker_server_starts_once(public_url, tmp_path, job_dir):
    assert not ft.server_answers(public_url)
    assert ft.launch_filetracker_server() is True
    assert ft.server_answers(public_url)
    # Bound where the URL says, not on every interface.
    port = int(public_url.rsplit(':', 1)[1])
    listening = [c.laddr for c in psutil.net_connections('tcp')
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
    assert listening and all(addr.ip == '127.0.0.1' for addr in listening)
    # Idempotent: nothing new is started while one answers.
    before = processes_with_cmdline('filetracker.servers.run:gunicorn_entry')
    assert ft.launch_filetracker_server() is False
    assert processes_with_cmdline('filetracker.servers.run:gunicorn_entry') == before
    # And it is a working server.
    client = ft._client_for(public_url)
    write(tempcwd('f'), b'served')
    name = client.put_file('/x/f', tempcwd('f'))
    assert name.startswith('/x/f@')


def test_sio_run_filetracker_script(public_url):
    script = os.path.join(os.path.dirname(os.sys.executable), 'sio-run-filetracker')
    proc = subprocess.run([script], capture_output=True, text=True, timeout=60,
                          env=servers.scripts_env())
    assert proc.returncode == 0, proc.stderr
    assert ft.server_answers(public_url)
    assert proc.stdout.startswith('sio-run-filetracker: Filetracker server at ')


def test_launch_without_public_url_is_an_error(monkeypatch):
    monkeypatch.delenv('FILETRACKER_PUBLIC_URL', raising=False)
    with pytest.raises(RuntimeError, match='FILETRACKER_PUBLIC_URL'):
        ft.launch_filetracker_server()


def test_download_replaces_an_existing_file(ft_client, job_dir):
    write(tempcwd('v'), b'first version')
    ft.upload({'k': '/tests/ft/replace'}, 'k', 'v')
    write(tempcwd('dest'), b'stale local file')
    os.utime(tempcwd('dest'), (2**31 - 1, 2**31 - 1))  # newer than any version
    assert read(ft.download({'k': '/tests/ft/replace'}, 'k', 'dest')) == b'first version'


class TransferCounter:
    """Counts what the real remote store transfers (a spy: every call
    still goes to the Filetracker server)."""

    def __init__(self, client, monkeypatch):
        self.names = []
        real = client.remote_store.get_file

        def counted(name, *args, **kwargs):
            self.names.append(name)
            return real(name, *args, **kwargs)

        monkeypatch.setattr(client.remote_store, 'get_file', counted)


def test_cached_files_are_fetched_once_while_current(ft_client, job_dir, monkeypatch):
    write(tempcwd('chk.src'), b'checker v1')
    ft.upload({'f': '/cache-test/chk'}, 'f', 'chk.src', to_local_store=False)  # from elsewhere
    # Files are uploaded long before workers fetch them: the cached copy
    # must carry the server's version, not the time it was downloaded.
    time.sleep(1.1)
    transfers = TransferCounter(ft_client, monkeypatch)
    for i in range(5):
        env = {'chk_file': '/cache-test/chk'}  # unversioned, as OIOIOI sends them
        path = ft.download(env, 'chk_file', f'chk{i}', add_to_cache=True)
        assert read(path) == b'checker v1' and '@' in env['chk_file']
    assert len(transfers.names) == 1, transfers.names
    # A new version of the same name is fetched once more, then cached.
    # (Filetracker versions are upload times in seconds: a later second.)
    time.sleep(1.1)
    write(tempcwd('chk.src'), b'checker v2')
    ft.upload({'f': '/cache-test/chk'}, 'f', 'chk.src', to_local_store=False)  # from elsewhere
    time.sleep(1.1)
    for i in range(3):
        path = ft.download({'chk_file': '/cache-test/chk'}, 'chk_file', f'new{i}',
                           add_to_cache=True)
        assert read(path) == b'checker v2'
    assert len(transfers.names) == 2, transfers.names
    # Not marked for caching: every download is a transfer, as upstream.
    ft.download({'chk_file': '/cache-test/chk'}, 'chk_file', 'plain')
    assert len(transfers.names) == 3


def test_concurrent_jobs_share_the_cache_safely(ft_client, job_dir, monkeypatch):
    data = os.urandom(1 << 20)
    write(tempcwd('big.src'), data)
    ft.upload({'f': '/cache-test/big'}, 'f', 'big.src', to_local_store=False)  # from elsewhere
    transfers = TransferCounter(ft_client, monkeypatch)
    errors = []
    cwd = tempcwd()

    def job(i):
        try:
            from sio.workers.jobdir import _stack

            _stack().append(cwd)
            path = ft.download({'in_file': '/cache-test/big'}, 'in_file', f'in{i}',
                               add_to_cache=True)
            assert read(path) == data
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(transfers.names) == 1, transfers.names


def test_cache_is_kept_under_its_bound(ft_client, job_dir, tmp_path):
    for i in range(6):
        write(tempcwd(f'f{i}'), os.urandom(512 << 10))
        ft.upload({'f': f'/cache-test/f{i}'}, 'f', f'f{i}')
        ft.download({'in_file': f'/cache-test/f{i}'}, 'in_file', f'got{i}', add_to_cache=True)

    def cache_bytes():
        total = 0
        for d, _, files in os.walk(tmp_path / 'cache'):
            for f in files:
                try:
                    total += os.stat(os.path.join(d, f)).st_size
                except FileNotFoundError:
                    pass  # removed by the cleaner meanwhile
        return total

    assert cache_bytes() >= 3 << 20
    # The worker runs it as a thread; here a process of its own, stopped after.
    cleaner = subprocess.Popen(
        [sys.executable, '-c', 'from sio.workers import ft; '
         'ft.start_cache_cleaner(limit_mib=1, interval_s=0.2).join()'],
        env=dict(os.environ, FILETRACKER_DIR=str(tmp_path / 'cache')),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        servers.wait_until(lambda: cache_bytes() <= 1 << 20, 20, 'the cache to be trimmed',
                           cleaner)
    finally:
        servers.stop(cleaner)
