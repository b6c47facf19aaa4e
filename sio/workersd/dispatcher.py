"""Groups of jobs, fed to the Celery fleet in fair order, collected back.

Each job of a group is one Celery task (its id is the job's ``task_id``, so
a job sent twice is answered once, see :mod:`sio.celery.job`). At most
``window`` jobs are out in the fleet at a time; the rest wait here, in the
order of :class:`~sio.workersd.fairqueue.FairQueue`, so a high-priority
group overtakes everything not yet sent, and a contest's flood cannot
starve another contest.

Results are noticed as they are stored: the Redis result backend publishes
each on the channel of its key, and one pattern subscription hears them
all. Every outstanding result is also read now and then (and always, where
the backend is not Redis or the subscription is down), so a notice missed
while reconnecting costs a delay, never a job.
"""

import logging
import threading
import time
import traceback
from dataclasses import dataclass, field

from sio.celery.job import TASK_NAME
from sio.celery.submit import priority_of
from sio.workersd.fairqueue import FairQueue

logger = logging.getLogger(__name__)


@dataclass
class Group:
    env: dict
    persistent: bool
    names: dict  # task_id -> job name
    results: dict = field(default_factory=dict)  # job name -> result environ
    done: threading.Event = field(default_factory=threading.Event)
    on_done: object = None  # callable(group) for asynchronous groups


#: How long the loop waits for result notices before looking at the queue.
NOTICE_WAIT_SECONDS = 0.02
#: How long a broken subscription is left before subscribing again.
RESUBSCRIBE_SECONDS = 5.0


class Dispatcher:
    def __init__(self, app, store=None, window: int = 32, poll_interval: float = 0.05,
                 full_poll_interval: float = 2.0):
        """``poll_interval``: how often every outstanding result is read
        where results cannot be subscribed to; ``full_poll_interval``: how
        often where they can (a safety net for missed notices)."""
        self.app = app
        self.store = store
        self.window = window
        self.poll_interval = poll_interval
        self.full_poll_interval = full_poll_interval
        self._notices = None  # a Redis pubsub of result keys, once subscribed
        self._backend = None  # the result backend of the dispatcher's thread
        self._prefix = b''
        self._subscribe_at = 0.0
        self._queue = FairQueue()
        self._groups: dict[str, Group] = {}
        self._outstanding: dict[str, tuple] = {}  # task_id -> (AsyncResult, group, sent_at)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name='dispatcher', daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)
        if self._notices is not None and not self._thread.is_alive():
            try:
                self._notices.close()
            except Exception:  # closing a connection that is gone
                pass
            self._notices = None

    def notices_results(self) -> bool:
        """Whether results are noticed as they come (a Redis backend)."""
        return self._notices is not None

    # --- groups in --------------------------------------------------------

    def add_group(self, group_env: dict, on_done=None, persistent: bool = False,
                  done_jobs: dict | None = None, sent: set | None = None) -> Group:
        """Take a group (``workers_jobs`` with ``task_id``s set). ``done_jobs``
        {task_id: result} and ``sent`` (task ids already in the fleet) are
        what a restart found in the store."""
        jobs = group_env['workers_jobs']
        group = Group(group_env, persistent, {job['task_id']: name for name, job in jobs.items()},
                      on_done=on_done)
        done_jobs = done_jobs or {}
        sent = sent or set()
        with self._lock:
            self._groups[group_env['group_id']] = group
            for task_id, name in group.names.items():
                if task_id in done_jobs:
                    group.results[name] = done_jobs[task_id]
                elif task_id in sent:
                    self._outstanding[task_id] = (self.app.AsyncResult(task_id), group,
                                                  time.monotonic())
                else:
                    self._queue.push(jobs[name])
            finished = len(group.results) == len(group.names)
        logger.info('group %s accepted: %d jobs%s', group_env['group_id'], len(jobs),
                    f', {len(done_jobs)} already done' if done_jobs else '')
        if finished:
            self._finish(group)
        self._wake.set()
        return group

    def waiting(self) -> list[dict]:
        with self._lock:
            return [{'task_id': j.get('task_id'), 'group_id': j.get('group_id'),
                     'job_type': j.get('job_type'), 'contest_uid': j.get('contest_uid'),
                     'contest_priority': j.get('contest_priority'),
                     'task_priority': j.get('task_priority')} for j in self._queue.snapshot()]

    def in_fleet(self) -> int:
        with self._lock:
            return len(self._outstanding)

    # --- the loop ---------------------------------------------------------

    def _loop(self) -> None:
        # This thread's backend (Celery keeps one per thread). Sending a
        # task would subscribe it to the task's result channel, for a
        # result.get() that never comes here: the messages would pile up
        # unread on that connection, one per job, for the daemon's life.
        self._backend = self.app.backend
        self._backend.on_task_call = _no_result_subscription
        last_full_poll = 0.0
        while not self._stop.is_set():
            try:
                self._release()
                if self._notices is None and time.monotonic() >= self._subscribe_at:
                    self._subscribe()
                    last_full_poll = 0.0  # what came while unsubscribed
                now = time.monotonic()
                if self._notices is None or now - last_full_poll >= self.full_poll_interval:
                    self._collect()
                    last_full_poll = now
                if self._notices is not None:
                    self._collect(self._noticed())
                    continue
            except Exception:  # one bad moment must not stop the daemon
                logger.exception('dispatcher error')
            self._wake.wait(self.poll_interval)
            self._wake.clear()

    def _subscribe(self) -> None:
        backend = self.app.backend
        client = getattr(backend, 'client', None)
        prefix = getattr(backend, 'task_keyprefix', None)
        if client is None or not hasattr(client, 'pubsub') or not prefix:
            self._subscribe_at = float('inf')  # not Redis: polling it is
            return
        prefix = prefix.encode() if isinstance(prefix, str) else bytes(prefix)
        try:
            notices = client.pubsub(ignore_subscribe_messages=True)
            notices.psubscribe(prefix + b'*')
        except Exception as exc:
            logger.warning('cannot subscribe to results (%s); polling them', exc)
            self._subscribe_at = time.monotonic() + RESUBSCRIBE_SECONDS
            return
        self._prefix = prefix
        self._notices = notices
        logger.info('results are noticed as they are stored')

    def _noticed(self) -> set:
        """Task ids whose results were stored since the last call; waits a
        little for the first one."""
        ready = set()
        try:
            message = self._notices.get_message(timeout=NOTICE_WAIT_SECONDS)
            while message is not None:
                channel = message.get('channel') or b''
                if isinstance(channel, str):
                    channel = channel.encode()
                if message.get('type') == 'pmessage' and channel.startswith(self._prefix):
                    ready.add(channel[len(self._prefix):].decode(errors='replace'))
                message = self._notices.get_message(timeout=0)
        except Exception as exc:  # the backend is away: poll until it is back
            logger.warning('result notices lost (%s); polling results', exc)
            try:
                self._notices.close()
            except Exception:
                pass
            self._notices = None
            self._subscribe_at = time.monotonic() + RESUBSCRIBE_SECONDS
        return ready

    def _release(self) -> None:
        while True:
            with self._lock:
                if len(self._outstanding) >= self.window:
                    return
                job = self._queue.pop()
                if job is None:
                    return
                group = self._groups.get(job['group_id'])
            if group is None:
                continue
            try:
                result = self.app.send_task(TASK_NAME, args=(job,), task_id=job['task_id'],
                                            queue='sioworkers', priority=priority_of(job))
            except Exception as exc:  # the broker is away: the job waits here
                logger.warning('cannot send job %s to the fleet (%s); will retry',
                               job['task_id'], exc)
                with self._lock:
                    self._queue.push(job)
                return
            if group.persistent and self.store:
                self.store.job_sent(job['task_id'])
            with self._lock:
                self._outstanding[job['task_id']] = (result, group, time.monotonic())

    def _collect(self, only: set | None = None) -> None:
        """Take in the results of outstanding jobs (of ``only`` these)."""
        with self._lock:
            if only is None:
                pending = list(self._outstanding.items())
            else:
                pending = [(t, self._outstanding[t]) for t in only if t in self._outstanding]
        for task_id, (result, group, sent_at) in pending:
            try:
                if not result.ready():
                    continue
                if result.successful() and isinstance(result.result, dict):
                    env = result.result
                else:
                    env = dict(group.env['workers_jobs'][group.names[task_id]],
                               result='FAILURE', exception=repr(result.result),
                               traceback=str(result.traceback or ''))
            except Exception as exc:  # the result backend is away: try later
                logger.warning('cannot read the result of %s: %s', task_id, exc)
                continue
            self._job_done(task_id, env, group, time.monotonic() - sent_at)

    def _job_done(self, task_id: str, env: dict, group: Group, seconds: float) -> None:
        name = group.names[task_id]
        logger.info('job %s (%s %s of group %s): %s%s in %.2f s on %s', task_id, name,
                    env.get('job_type'), group.env['group_id'], env.get('result'),
                    f" {env['result_code']}" if 'result_code' in env else '', seconds,
                    env.get('worker'))
        if group.persistent and self.store:
            self.store.job_done(task_id, env)
        with self._lock:
            self._outstanding.pop(task_id, None)
            group.results[name] = env
            finished = len(group.results) == len(group.names)
        if finished:
            self._finish(group)
        self._wake.set()

    def _finish(self, group: Group) -> None:
        env = group.env
        env['workers_jobs.results'] = group.results
        failed = {name: r for name, r in group.results.items() if r.get('result') != 'SUCCESS'}
        if failed:
            env['error'] = failure_report(failed)
        with self._lock:
            self._groups.pop(env['group_id'], None)
        logger.info('group %s judged: %d jobs, %s', env['group_id'], len(group.results),
                    f'{len(failed)} failed' if failed else 'all succeeded')
        group.done.set()
        if group.on_done is not None:
            group.on_done(group)


def _no_result_subscription(producer, task_id) -> None:
    """The dispatcher's stand-in for its backend's ``on_task_call``."""


def failure_report(failed: dict) -> dict:
    """The group's ``error`` when some jobs failed, as upstream reports it."""
    parts, tracebacks = [], []
    for name, result in sorted(failed.items()):
        parts.append(f'{name}: {result.get("exception") or result.get("result")}')
        tracebacks.append(f'{name}:\n{result.get("traceback", "")}')
    return {'message': 'Some tasks in a group failed.\n' + '\n'.join(parts),
            'traceback': ('\n' + '=' * 80 + '\n').join(tracebacks)}


def error_env(group_env: dict, exc: BaseException) -> dict:
    group_env['error'] = {'message': str(exc) or type(exc).__name__,
                          'traceback': ''.join(traceback.format_exception(exc))}
    return group_env
