"""Real servers for the tests, always on 127.0.0.1 and always stopped."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile

from sio.celery.localnode import free_port, rabbitmq_node, wait_until
from sio.workers.ft_server import server_answers


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM the process, then SIGKILL its whole group if it lingers."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout)


def scripts_env(**extra) -> dict:
    """Environment whose PATH starts with this interpreter's scripts."""
    env = dict(os.environ)
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    env.update(extra)
    return env


class _Node:
    """A server process of the tests' own (its own session), killed with
    everything it started."""

    proc: subprocess.Popen | None = None

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop(self.proc)


class FiletrackerNode(_Node):
    """A filetracker-server that can be killed and started again on the
    same port and store."""

    def __init__(self, data_dir: str):
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.data_dir = data_dir
        self.proc = None

    def start(self) -> None:
        log = open(os.path.join(self.data_dir, 'server.log'), 'ab')
        self.proc = subprocess.Popen(
            [os.path.join(os.path.dirname(sys.executable), 'filetracker-server'),
             '-D', '-p', str(self.port), '-l', '127.0.0.1', '-d',
             os.path.join(self.data_dir, 'store'), '--workers', '1'],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=scripts_env(),
            start_new_session=True)
        log.close()
        wait_until(lambda: server_answers(self.url, 0.5), 30, 'filetracker-server', self.proc)


@contextlib.contextmanager
def filetracker_server(data_dir: str):
    """A real filetracker-server (foreground, one worker) on a free port."""
    node = FiletrackerNode(data_dir)
    node.start()
    try:
        yield node.url
    finally:
        node.stop()


@contextlib.contextmanager
def redis_server():
    """A real redis-server on 127.0.0.1, nothing persisted."""
    with tempfile.TemporaryDirectory(prefix='sio-redis-') as data_dir, \
            redis_node(data_dir) as node:
        yield node.url


class RedisNode(_Node):
    """A redis-server on 127.0.0.1 that can be killed (kill -9) and started
    again on the same port; nothing persisted unless ``appendonly``."""

    def __init__(self, data_dir: str, appendonly: bool = False):
        self.port = free_port()
        self.data_dir = data_dir
        self.appendonly = appendonly
        self.url = f'redis://127.0.0.1:{self.port}/0'
        self.proc = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(('127.0.0.1', self.port), timeout=0.5) as s:
                s.sendall(b'PING\r\n')
                return s.recv(16).startswith(b'+PONG')
        except OSError:
            return False

    def start(self) -> None:
        os.makedirs(self.data_dir, exist_ok=True)
        self.proc = subprocess.Popen(
            ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1', '--save', '',
             '--appendonly', 'yes' if self.appendonly else 'no', '--dir', self.data_dir,
             '--daemonize', 'no', '--loglevel', 'warning'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
            start_new_session=True)
        wait_until(self.answers, 15, 'redis-server', self.proc)


@contextlib.contextmanager
def redis_node(data_dir: str, appendonly: bool = False):
    node = RedisNode(data_dir, appendonly)
    node.start()
    try:
        yield node
    finally:
        node.stop()


rabbitmq_server = rabbitmq_node
