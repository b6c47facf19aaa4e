"""A private RabbitMQ node for demos and tests (``./setup.sh demo``, the
fleet tests): Debian's rabbitmq-server run on 127.0.0.1 with everything of
its own. Production brokers are ordinary RabbitMQ services."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, proc=None) -> None:
    """Poll ``predicate`` until true; RuntimeError after ``timeout`` s or
    when ``proc`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f'{what} exited with {proc.returncode} before it was ready')
        time.sleep(0.05)
    raise RuntimeError(f'{what} not ready after {timeout} s')


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


#: How many times a server that exits before it answers is started.
START_ATTEMPTS = 3


class RabbitMQNode:
    """A private rabbitmq-server node (Debian's package) on 127.0.0.1: its own
    ports, data directory and Erlang port mapper, so it can run beside a
    system RabbitMQ, be SIGKILLed and restarted with its durable queues and
    persistent messages intact, and leave nothing running once stopped."""

    def __init__(self, base: str):
        self.base = base
        self.port = free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.url = f'amqp://guest:guest@127.0.0.1:{self.port}//'
        self.proc: subprocess.Popen | None = None
        self.epmd: subprocess.Popen | None = None
        os.makedirs(base, exist_ok=True)
        with open(os.path.join(base, 'rabbitmq.conf'), 'w') as f:
            f.write(f'listeners.tcp.default = 127.0.0.1:{self.port}\n'
                    # Above the longest job: a late-acknowledged job is
                    # never taken back from a worker still running it.
                    'consumer_timeout = 21600000\n'
                    'log.console = false\n')
        with open(os.path.join(base, 'enabled_plugins'), 'w') as f:
            f.write('[].\n')

    def env(self) -> dict:
        b = self.base
        return dict(
            os.environ, HOME=b, RABBITMQ_NODENAME=f'sio{self.port}@localhost',
            RABBITMQ_NODE_IP_ADDRESS='127.0.0.1', RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=os.path.join(b, 'mnesia'),
            RABBITMQ_LOG_BASE=os.path.join(b, 'log'),
            RABBITMQ_CONFIG_FILE=os.path.join(b, 'rabbitmq'),
            RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(b, 'enabled_plugins'),
            RABBITMQ_PID_FILE=os.path.join(b, 'pid'),
            ERL_EPMD_ADDRESS='127.0.0.1', ERL_EPMD_PORT=str(self.epmd_port),
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}')

    def answers(self) -> bool:
        try:
            with socket.create_connection(('127.0.0.1', self.port), timeout=0.5) as s:
                s.sendall(b'AMQP\x00\x00\x09\x01')
                return s.recv(8).startswith(b'\x01')  # connection.start frame
        except OSError:
            return False

    def start(self) -> None:
        if self.epmd is None:
            # Erlang's port mapper, ours (not a daemon outliving the tests).
            self.epmd = subprocess.Popen(
                ['epmd', '-address', '127.0.0.1', '-port', str(self.epmd_port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL, start_new_session=True)
        # Right after a SIGKILL the port mapper may still hold the old
        # node's name for a moment, and the new server exits at once:
        # start it again, a few times.
        for attempt in range(START_ATTEMPTS):
            log = open(os.path.join(self.base, 'server.log'), 'ab')
            self.proc = subprocess.Popen(
                [SERVER], env=self.env(), stdout=log,
                stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
            log.close()
            try:
                wait_until(self.answers, 60, 'rabbitmq-server', self.proc)
                return
            except RuntimeError:
                if self.proc.poll() is None or attempt == START_ATTEMPTS - 1:
                    raise
                time.sleep(1)

    def kill9(self) -> None:
        """SIGKILL every process of the node (beam.smp and its helpers)."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
            self.proc = None

    def stop(self) -> None:
        self.kill9()
        if self.epmd is not None:
            _stop(self.epmd)
            self.epmd = None




@contextlib.contextmanager
def rabbitmq_node(base: str) -> Iterator[RabbitMQNode]:
    """A started :class:`RabbitMQNode` with its files in ``base``; stopped
    on exit."""
    node = RabbitMQNode(base)
    try:
        node.start()
        yield node
    finally:
        node.stop()
