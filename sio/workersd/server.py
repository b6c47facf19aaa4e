"""``sio-workersd``: OIOIOI's sioworkersd protocol, served by the Celery fleet.

An OIOIOI deployment switches to it by pointing ``SIOWORKERSD_URL`` at it.
XML-RPC on ``http://HOST:PORT/``; arguments are JSON strings (plain
XML-RPC structures are accepted too):

``sync_run_group(env)``
    runs every job of ``env['workers_jobs']`` ({name: job environ}) and
    returns the group environ with ``workers_jobs.results`` ({name: result
    environ}); with ``error`` ({``message``, ``traceback``}) when the group
    could not run or a job's result is FAILURE.
``run_group(env)``
    returns the group id at once; when every job is done, the group environ
    is POSTed to ``env['return_url']`` (see :mod:`sio.workersd.returner`).
    Accepted groups survive a restart of the daemon (``--database``).
``get_workers()``
    ``[{'name', 'info', 'tasks', 'is_running_cpu_exec'}]``, one per worker, as
    the workers last answered (they are asked every 2 s; a call takes
    milliseconds).
``get_queue()``
    the jobs waiting to be sent to the fleet.

As upstream, the group gets ``group_id`` (``GROUP_urn:uuid:…``) and each job
``group_id`` and ``task_id`` (``urn:uuid:…``); jobs are otherwise passed on
as they are. The group's contest is OIOIOI's, given on the group as
upstream's sioworkersd reads it: ``oioioi_instance`` and ``contest_id``
name it (every job of the group gets ``contest_uid``
``"INSTANCE/CONTEST_ID"``), ``contest_priority`` and ``contest_weight``
(integers; the weight at least 1) apply to every job of the group; a group
without them keeps what its jobs say. ``task_priority`` is each job's own
(an integer). A value that is not such an integer makes the group an error
before anything runs. Order: :mod:`sio.workersd.fairqueue`. A job needing more memory
than ``--max-task-ram`` makes its group an error before anything runs.
"""

import argparse
import json
import logging
import os
import signal
import socketserver
import sys
import threading
import time
import uuid
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

from sio.celery.app import unanswered
from sio.celery.default_config import MAX_PRIORITY
from sio.workers.environ import map_leaves
from sio.workers.machine import is_exclusive, required_ram_mib
from sio.workersd.dispatcher import Dispatcher, error_env
from sio.workersd.returner import Returner
from sio.workersd.store import Store

logger = logging.getLogger('sio.workersd')

DEFAULT_PORT = 7889



#: The range of priorities and weights (upstream's are Python ints; these
#: bounds keep them inside what every part of the fleet stores).
PRIORITY_RANGE = (-2 ** 31, 2 ** 31 - 1)


def _check_priority(what: str, value, is_weight: bool = False) -> None:
    low = 1 if is_weight else PRIORITY_RANGE[0]
    if isinstance(value, bool) or not isinstance(value, int) or \
            not low <= value <= PRIORITY_RANGE[1]:
        raise GroupRejected(f'{what} must be an integer from {low} to {PRIORITY_RANGE[1]}, '
                            f'not {value!r}')


def _group_contest(env: dict) -> dict:
    """What the group says of its contest, for each of its jobs (upstream's
    sioworkersd reads these from the group alone)."""
    given = {}
    if 'oioioi_instance' in env or 'contest_id' in env:
        given['contest_uid'] = f'{env.get("oioioi_instance")}/{env.get("contest_id")}'
    for key in ('contest_priority', 'contest_weight'):
        if key in env:
            _check_priority(key, env[key], key == 'contest_weight')
            given[key] = env[key]
    return given

class GroupRejected(ValueError):
    pass


#: Largest limit a job may ask for: a day of time (ms), a TiB of memory
#: (KiB), a TiB of output (bytes). More is a typo, not a task.
ABSURD_LIMIT = 1 << 40


def _check_job(name: str, job: dict, job_types: set | None) -> None:
    """A job environ fit to be queued, or GroupRejected naming the job and
    key: a known job type (when the daemon knows the fleet's), a queue
    priority 0-9, whole, non-negative, sane limits."""
    job_type = job.get('job_type')
    if not isinstance(job_type, str) or not job_type:
        raise GroupRejected(f"job {name!r} has no 'job_type'")
    if job_types is not None and job_type not in job_types:
        raise GroupRejected(f'job {name!r}: unknown job_type {job_type!r} (--any-job-type '
                            f'queues job types this daemon does not know)')
    if job.get('priority') is not None:
        value = job['priority']
        if isinstance(value, bool) or not isinstance(value, int) or \
                not 0 <= value <= MAX_PRIORITY:
            raise GroupRejected(f'job {name!r}: priority must be an integer from 0 to '
                                f'{MAX_PRIORITY}, not {value!r}')
    for key, value in job.items():
        if key.endswith('_limit') and value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or \
                    not 0 <= value <= ABSURD_LIMIT:
                raise GroupRejected(f'job {name!r}: {key} must be a whole number from 0 to '
                                    f'{ABSURD_LIMIT}, not {value!r}')


def _unpack(value):
    if isinstance(value, (str, bytes)):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


_XMLRPC_INT_MAX = 2**31 - 1


def xmlrpc_safe(value):
    """``value`` as XML-RPC can carry it: integers beyond 32 bits (a huge
    output limit, say) become floats, which it can; tuples become lists."""
    return map_leaves(value, _xmlrpc_int)


def _xmlrpc_int(value):
    if isinstance(value, int) and not isinstance(value, bool) and \
            not -_XMLRPC_INT_MAX - 1 <= value <= _XMLRPC_INT_MAX:
        return float(value)
    return value


class Service:
    """The XML-RPC methods, over a dispatcher, a store and a returner."""

    #: The job types a group may have (those installed here), or None: any.
    job_types: set | None = None

    def __init__(self, app, dispatcher: Dispatcher, store: Store | None,
                 returner: Returner, max_task_ram_mib: int | None = None,
                 any_job_type: bool = False):
        from sio.workers.registry import JOBS, names

        self.app = app
        self.job_types = None if any_job_type else set(names(JOBS))
        self.dispatcher = dispatcher
        self.store = store
        self.returner = returner
        self.max_task_ram_mib = max_task_ram_mib
        self._workers: list[dict] = []
        self._workers_lock = threading.Lock()
        self._workers_ready = threading.Event()
        self._workers_thread: threading.Thread | None = None

    def _prepare(self, env) -> dict:
        env = _unpack(env)
        if not isinstance(env, dict):
            raise GroupRejected(f'the group environ must be a dict, not {type(env).__name__}')
        jobs = env.get('workers_jobs')
        if not isinstance(jobs, dict) or not all(isinstance(j, dict) for j in jobs.values()):
            raise GroupRejected("env['workers_jobs'] must be a dict {name: job environ}")
        env['group_id'] = 'GROUP_' + uuid.uuid4().urn
        group_level = _group_contest(env)
        for name, job in jobs.items():
            _check_job(name, job, self.job_types)
            job.update(group_level)
            for key in ('contest_priority', 'contest_weight', 'task_priority'):
                if key in job:
                    _check_priority(f'job {name!r}: {key}', job[key], key == 'contest_weight')
            job['group_id'] = env['group_id']
            job['task_id'] = uuid.uuid4().urn
            need = required_ram_mib(job)
            if self.max_task_ram_mib and need > self.max_task_ram_mib:
                raise GroupRejected(f'job {name!r} needs {need} MiB of memory, more than the '
                                    f'maximum of {self.max_task_ram_mib} MiB (--max-task-ram)')
        return env

    def sync_run_group(self, env):
        try:
            env = self._prepare(env)
        except GroupRejected as exc:
            logger.warning('group rejected: %s', exc)
            return error_env(env if isinstance(env, dict) else {}, exc)
        group = self.dispatcher.add_group(env)
        group.done.wait()
        return xmlrpc_safe(group.env)

    def run_group(self, env):
        env = self._prepare(env)  # a rejected group is an XML-RPC fault
        if not env.get('return_url'):
            raise GroupRejected("run_group needs env['return_url']")
        if self.store:
            self.store.add_group(env)
        self.dispatcher.add_group(env, on_done=self._judged, persistent=True)
        return env['group_id']

    def _judged(self, group) -> None:
        if self.store:
            self.store.group_judged(group.env)
        self.returner.deliver(group.env)

    #: How often the workers are asked what they run (a broadcast that
    #: takes its whole timeout): get_workers answers from the last answer.
    WORKERS_REFRESH_S = 2.0

    def get_workers(self):
        """The fleet's workers as of their last answer (at most a couple of
        seconds old): milliseconds, not a broadcast per call. The first call
        waits for the first answer."""
        with self._workers_lock:
            if self._workers_thread is None:
                self._workers_thread = threading.Thread(
                    target=self._refresh_workers, name='sio-workersd-workers', daemon=True)
                self._workers_thread.start()
        self._workers_ready.wait(timeout=5.0)
        with self._workers_lock:
            return list(self._workers)

    def _refresh_workers(self) -> None:
        from sio.celery.fleet import workers

        failing = False
        while True:
            try:
                found = []
                for w in workers(self.app, timeout=1.0):
                    found.append({
                        'name': w['name'],
                        'info': {'concurrency': w['slots'], 'pid': w['pid'],
                                 'can_run_cpu_exec': True},
                        'tasks': [j['task_id'] for j in w['running']],
                        'is_running_cpu_exec': any(
                            is_exclusive({'job_type': j['job_type']}) for j in w['running'])})
                with self._workers_lock:
                    self._workers = found
                if failing:
                    logger.info('the workers answer again')
                failing = False
            except Exception as exc:  # the broker is away: keep the last answer
                if not failing:
                    logger.warning('cannot ask the workers what they run: %s', exc)
                failing = True
            self._workers_ready.set()
            time.sleep(self.WORKERS_REFRESH_S)

    def get_queue(self):
        return self.dispatcher.waiting()

    def resume(self) -> None:
        """Take back what the store remembers (after a restart)."""
        if not self.store:
            return
        for saved in self.store.unfinished():
            env = saved['env']
            if saved['status'] == 'to_return':
                logger.info('group %s: result not yet returned, returning it',
                            env['group_id'])
                self.returner.deliver(env, saved['retries'])
                continue
            done = {t: r for t, (state, r) in saved['jobs'].items() if state == 'done'}
            sent = {t for t, (state, _) in saved['jobs'].items() if state == 'sent'}
            logger.info('group %s resumed: %d of %d jobs done, %d in the fleet',
                        env['group_id'], len(done), len(saved['jobs']), len(sent))
            self.dispatcher.add_group(env, on_done=self._judged, persistent=True,
                                      done_jobs=done, sent=sent)


class _Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ('/', '/RPC2')

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        logger.debug('%s %s', self.address_string(), format % args)


class RPCServer(socketserver.ThreadingMixIn, SimpleXMLRPCServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(service: Service, host: str, port: int) -> RPCServer:
    server = RPCServer((host, port), requestHandler=_Handler, allow_none=True,
                       logRequests=False)
    for name in ('sync_run_group', 'run_group', 'get_workers', 'get_queue'):
        server.register_function(getattr(service, name), name)
    return server


def default_database() -> str:
    """Where the groups are kept without ``--database``: the system's state
    directory for root, the user's otherwise (never the current one)."""
    if os.geteuid() == 0:
        base = '/var/lib'
    else:
        base = os.environ.get('XDG_STATE_HOME') or os.path.expanduser('~/.local/state')
    return os.path.join(base, 'sioworkers', 'sio-workersd.sqlite3')


def wait_for_services(app, patience: float, every: float = 5.0) -> str | None:
    """Wait up to ``patience`` seconds for the broker and the result store,
    with a log line every ``every`` seconds; None once both answer, else
    why not (what to say and exit on)."""
    deadline = time.monotonic() + patience
    next_line = 0.0
    while True:
        problem = unanswered(app)
        if problem is None:
            return None
        now = time.monotonic()
        if now >= deadline:
            return problem
        if now >= next_line:
            logger.warning('%s; waiting (up to %.0f s more)', problem, deadline - now)
            next_line = now + every
        time.sleep(min(1.0, max(0.0, deadline - now)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog='sio-workersd', description="OIOIOI's sioworkersd protocol (XML-RPC), "
        'its jobs run by the Celery fleet.',
        epilog='Environment: CELERY_BROKER_URL, CELERY_RESULT_BACKEND (see '
               'sio-celery-worker --help).')
    parser.add_argument('--host', default='127.0.0.1', help='address to listen on '
                        '(default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=DEFAULT_PORT,
                        help=f'port to listen on (default {DEFAULT_PORT}, OIOIOI\'s)')
    parser.add_argument('--env-file', metavar='FILE',
                        help='NAME=value lines (CELERY_BROKER_URL, CELERY_RESULT_BACKEND) '
                             'read first: credentials off the command line; readable by '
                             'its owner alone')
    parser.add_argument('--broker', help='the fleet\'s broker URL')
    parser.add_argument('--results', help='the result backend URL')
    parser.add_argument('--database', default=None,
                        help='SQLite file keeping accepted asynchronous groups (default '
                             f'{default_database()})')
    parser.add_argument('--wait', type=float, default=60, metavar='S',
                        help='how long to wait at start for the broker and the result '
                             'store to answer (default 60 s; a line every 5 s meanwhile)')
    parser.add_argument('--max-task-ram', type=int, metavar='MB',
                        help='reject groups with a job needing more memory')
    parser.add_argument('--any-job-type', action='store_true',
                        help='queue job types this daemon does not know (plugins only the '
                             'workers have); by default a group with one is rejected')
    parser.add_argument('--window', type=int, default=32,
                        help='jobs out in the fleet at a time (default 32)')
    parser.add_argument('--retry-delay', type=float, default=1.0, metavar='S',
                        help='first delay before returning a result again (default 1 s)')
    parser.add_argument('-l', '--log-level', default='INFO')
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f'--port {args.port}: not a TCP port')
    if args.window < 1:
        parser.error('--window must be at least 1')
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    from sio.celery.app import make_app
    from sio.celery.worker import BadBrokerURL, check_broker_url, load_env_file

    if args.env_file:
        try:
            load_env_file(args.env_file)
        except (OSError, ValueError) as exc:
            sys.stderr.write(f'sio-workersd: --env-file: {exc}\n')
            return 2
    app = make_app(args.broker)
    if args.results:
        app.conf.result_backend = args.results
    database = args.database or default_database()
    try:
        check_broker_url(app.conf.broker_url)
        if not args.database:
            os.makedirs(os.path.dirname(database), mode=0o700, exist_ok=True)
        store = Store(database)
    except BadBrokerURL as exc:
        sys.stderr.write(f'sio-workersd: {exc}\n')
        return 2
    except Exception as exc:  # sqlite3 errors: a one-line reason
        sys.stderr.write(f'sio-workersd: cannot open the database {database}: {exc}\n')
        return 2
    problem = wait_for_services(app, args.wait)
    if problem:
        store.close()
        sys.stderr.write(f'sio-workersd: {problem}\n')
        return 2
    dispatcher = Dispatcher(app, store, window=args.window)
    returner = Returner(store, first_delay=args.retry_delay)
    service = Service(app, dispatcher, store, returner, args.max_task_ram, args.any_job_type)
    try:
        server = make_server(service, args.host, args.port)
    except OSError as exc:
        sys.stderr.write(f'sio-workersd: cannot listen on {args.host}:{args.port}: '
                         f'{exc.strerror or exc}\n')
        return 2
    dispatcher.start()
    service.resume()
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logger.info('listening on http://%s:%d/, broker %s, database %s', args.host, args.port,
                app.conf.broker_url.split('@')[-1], database)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        returner.stop()
        dispatcher.stop()
        server.server_close()
        store.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
