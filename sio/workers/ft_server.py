"""A local Filetracker server: starting one for ``FILETRACKER_PUBLIC_URL``
(:func:`launch_filetracker_server`, upstream's) and the
``sio-run-filetracker`` command."""

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

DEFAULT_SERVER_DIR = os.path.expanduser(os.path.join('~', '.filetracker-server'))


def server_answers(url: str, timeout: float = 1.0) -> bool:
    """Does a Filetracker server answer its version probe at ``url``?"""
    try:
        with urllib.request.urlopen(url.rstrip('/') + '/version/', timeout=timeout) as r:
            return r.status == 200 and b'protocol_versions' in r.read()
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _scripts_path() -> str:
    """PATH with this interpreter's scripts first (filetracker-server runs
    gunicorn from PATH)."""
    here = os.path.dirname(sys.executable)
    return here + os.pathsep + os.environ.get('PATH', '')


def launch_filetracker_server(startup_timeout: float = 30.0) -> bool:
    """Start a Filetracker server for ``FILETRACKER_PUBLIC_URL`` if none answers.

    The server listens on the host and port the URL names (override the
    address with ``FILETRACKER_LISTEN_ADDR``), keeps its files in
    ``FILETRACKER_SERVER_DIR`` (default ``~/.filetracker-server``), runs
    detached from this process and is ready when this returns. Returns True
    when it started one, False when one was already answering. Raises
    RuntimeError naming the log file when the server does not come up.
    """
    public = os.environ.get('FILETRACKER_PUBLIC_URL', '').split()
    if not public:
        raise RuntimeError('FILETRACKER_PUBLIC_URL is not set: nothing to launch')
    url = public[0]
    if server_answers(url):
        logger.info('Filetracker server already answers at %s', url)
        return False
    parts = urlsplit(url)
    if not parts.hostname:
        raise RuntimeError(f'FILETRACKER_PUBLIC_URL has no host: {url!r}')
    port = parts.port or (443 if parts.scheme == 'https' else 80)
    listen = os.environ.get('FILETRACKER_LISTEN_ADDR', parts.hostname)
    server_dir = os.environ.get('FILETRACKER_SERVER_DIR', DEFAULT_SERVER_DIR)
    os.makedirs(server_dir, mode=0o700, exist_ok=True)
    log_path = os.path.join(server_dir, 'server.log')
    cmd = [shutil.which('filetracker-server', path=_scripts_path()) or 'filetracker-server',
           '-p', str(port), '-l', listen, '-d', server_dir, '-L', log_path]
    workers = os.environ.get('FILETRACKER_SERVER_WORKERS')
    if workers:
        cmd += ['--workers', workers]
    env = dict(os.environ, PATH=_scripts_path())
    logger.info('starting Filetracker server: %s', ' '.join(cmd))
    # Without -D the server daemonizes: the process we start exits once
    # gunicorn runs in the background, detached from us.
    with open(log_path, 'ab') as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                env=env, start_new_session=True, close_fds=True)
        try:
            code = proc.wait(timeout=startup_timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise RuntimeError(f'filetracker-server did not daemonize; see {log_path}') from None
    if code != 0:
        raise RuntimeError(f'filetracker-server exited with {code}; see {log_path}')
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if server_answers(url, timeout=0.5):
            logger.info('Filetracker server is up at %s', url)
            return True
        time.sleep(0.05)
    raise RuntimeError(f'Filetracker server does not answer at {url} after '
                       f'{startup_timeout:.0f} s; see {log_path}')


def _server_pid(url: str) -> int | None:
    """The pid of the server listening on the URL's port: the daemon's
    master (the listener's topmost ancestor that is still the server)."""
    import psutil

    port = urlsplit(url).port
    listener = next((c.pid for c in psutil.net_connections(kind='tcp')
                     if c.status == psutil.CONN_LISTEN and c.laddr
                     and c.laddr.port == port and c.pid), None)
    if listener is None:
        return None
    try:
        proc = psutil.Process(listener)
        while True:
            parent = proc.parent()
            if parent is None or not any(
                    word in ' '.join(parent.cmdline()) for word in ('filetracker', 'gunicorn')):
                return proc.pid
            proc = parent
    except psutil.Error:
        return listener


FT_SERVER_USAGE = """\
usage: sio-run-filetracker [start|stop|status]

Starts (the default) a Filetracker server in the background, stops it, or
says whether it runs; prints the server's pid.

Environment:
  FILETRACKER_PUBLIC_URL   the server's URL (required), e.g. http://127.0.0.1:9999
  FILETRACKER_LISTEN_ADDR  address to listen on (default: the URL's host)
  FILETRACKER_SERVER_DIR   where it keeps files (default ~/.filetracker-server)
  FILETRACKER_SERVER_WORKERS  server processes
"""


def run_filetracker_main(argv: list[str] | None = None) -> int:
    """``sio-run-filetracker [start|stop|status]``: the Filetracker server
    of FILETRACKER_PUBLIC_URL."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ('-h', '--help'):
        sys.stdout.write(FT_SERVER_USAGE)
        return 0
    if len(args) > 1 or (args and args[0] not in ('start', 'stop', 'status')):
        sys.stderr.write(FT_SERVER_USAGE.splitlines()[0] + '\n')
        return 2
    command = args[0] if args else 'start'
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format='%(levelname)s %(name)s: %(message)s')
    url = (os.environ.get('FILETRACKER_PUBLIC_URL', '').split() or [''])[0]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
        if url and (parts.scheme not in ('http', 'https') or not parts.hostname):
            raise ValueError('expected http://HOST:PORT')
    except ValueError as exc:
        print(f'sio-run-filetracker: bad FILETRACKER_PUBLIC_URL {url!r}: {exc}',
              file=sys.stderr)
        return 2
    try:
        if command == 'start':
            launch_filetracker_server()
            pid = _server_pid(url)
            print(f'sio-run-filetracker: Filetracker server at {url}, pid {pid} '
                  f'(sio-run-filetracker stop stops it)')
            return 0
        if not url:
            raise RuntimeError('FILETRACKER_PUBLIC_URL is not set')
        pid = _server_pid(url)
        if command == 'status':
            print(f'sio-run-filetracker: {url}: ' + (f'running, pid {pid}' if pid else
                                                      'no server'))
            return 0 if pid else 1
        if pid is None:
            print(f'sio-run-filetracker: no Filetracker server at {url}', file=sys.stderr)
            return 1
        import psutil

        try:
            server = psutil.Process(pid)
            workers = server.children(recursive=True)
            server.terminate()
            try:
                server.wait(timeout=10)  # gunicorn's master exits after its workers
            except psutil.TimeoutExpired:
                # A worker still booting when the TERM came may never see it
                # (gunicorn then waits out its 30 s graceful timeout).
                logger.warning('the server (pid %d) did not stop in 10 s: killing it', pid)
                for process in [server, *workers, *server.children(recursive=True)]:
                    with contextlib.suppress(psutil.NoSuchProcess):
                        process.kill()
                server.wait(timeout=10)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            print(f'sio-run-filetracker: the server (pid {pid}) is still stopping',
                  file=sys.stderr)
            return 1
        print(f'sio-run-filetracker: stopped the server at {url} (pid {pid})')
        return 0
    except (RuntimeError, OSError) as exc:
        print(f'sio-run-filetracker: {exc}', file=sys.stderr)
        return 1
