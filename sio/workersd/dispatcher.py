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

Faults of the fleet are never a job's result:

* a run that lost its worker (the broker's connection dropped and Celery
  stopped the job, -241; the worker was killed) is no result: the broker
  gives the job to a worker again, and the dispatcher waits for that run
  (sending the job itself when the broker does not within
  :data:`LOST_RUN_RESEND_SECONDS` of a stored failure). A job started
  more than :data:`MAX_LOST_RUNS` + 1 times without a result is a poison
  job (it takes its worker down every time): that failure is its result,
  and it is revoked;
* a result store that comes back empty (Redis restarted: the results it
  held are gone) is noticed by its run id; every outstanding job without a
  result is sent again (a run that finds its result stored answers with
  it, see :mod:`sio.celery.job`);
* an outage of the broker or of the result store is logged when it starts
  and when it ends, not at every attempt.
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
#: Runs of one job that may lose their worker before that is its result.
MAX_LOST_RUNS = 3
#: How long a run that lost its worker waits for the broker to give the job
#: out again before the dispatcher sends it itself.
LOST_RUN_RESEND_SECONDS = 30.0
#: How long jobs to send again wait after the broker refused them.
RESEND_RETRY_SECONDS = 1.0
#: The daemon's database fact: the result store's run_id when last seen.
STORE_RUN_ID = 'result_store_run_id'
#: Celery's exceptions for a run that lost its worker (not the job's doing:
#: the task itself never raises, see sio.celery.job).
LOST_RUN_EXCEPTIONS = frozenset({'WorkerLostError', 'Terminated', 'SystemExit',
                                 'WorkerTerminate', 'WorkerShutdown', 'TaskRevokedError'})


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
        self._lost: dict[str, dict] = {}  # task_id -> {'starts', 'seen', 'since'}
        # Jobs to send again (task_id -> why), kept until the broker takes
        # them: one refused while the broker is away is tried again.
        self._to_resend: dict[str, str] = {}
        self._resend_after = 0.0
        self._broker_down_since: float | None = None
        self._store_down_since: float | None = None
        # Which result store process the outstanding jobs' results went
        # to: one restarted since (while this daemon was down too) lost them.
        self._store_run_id: str | None = store.fact(STORE_RUN_ID) if store else None
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
                if self._to_resend and time.monotonic() >= self._resend_after:
                    self._send_again()
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
            if self._store_down_since is None:
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
                result = self._send(job)
            except Exception as exc:  # the broker is away: the job waits here
                self._broker_down(exc)
                with self._lock:
                    self._queue.push(job)
                return
            self._broker_back()
            if group.persistent and self.store:
                self.store.job_sent(job['task_id'])
            with self._lock:
                self._outstanding[job['task_id']] = (result, group, time.monotonic())

    def _send(self, job: dict):
        return self.app.send_task(TASK_NAME, args=(job,), task_id=job['task_id'],
                                  queue='sioworkers', priority=priority_of(job))

    def _broker_down(self, exc: Exception) -> None:
        if self._broker_down_since is None:
            self._broker_down_since = time.monotonic()
            logger.warning('the broker does not answer (%s); jobs wait here until it does',
                           exc)

    def _broker_back(self) -> None:
        if self._broker_down_since is not None:
            logger.warning('the broker answers again (after %.0f s)',
                           time.monotonic() - self._broker_down_since)
            self._broker_down_since = None

    def _collect(self, only: set | None = None) -> None:
        """Take in the results of outstanding jobs (of ``only`` these)."""
        if only is None:
            self._check_result_store()
        with self._lock:
            if only is None:
                pending = list(self._outstanding.items())
            else:
                pending = [(t, self._outstanding[t]) for t in only if t in self._outstanding]
        for task_id, (_, group, sent_at) in pending:
            try:
                # Read afresh: a FAILURE may turn into the SUCCESS of a
                # later run (an AsyncResult would keep the first it saw).
                meta = self._backend.get_task_meta(task_id, cache=False)
            except Exception as exc:  # the result store is away: try later
                self._store_down(exc)
                return
            state = meta.get('status')
            if state == 'SUCCESS' and isinstance(meta.get('result'), dict):
                env = meta['result']
            elif state in ('FAILURE', 'REVOKED'):
                if self._lost_run(task_id, meta, group):
                    continue
                env = dict(group.env['workers_jobs'][group.names[task_id]],
                           result='FAILURE', exception=repr(meta.get('result')),
                           traceback=str(meta.get('traceback') or ''))
            elif state == 'STARTED':
                env = self._started(task_id, meta, group)
                if env is None:
                    continue
            else:
                continue
            self._lost.pop(task_id, None)
            self._job_done(task_id, env, group, time.monotonic() - sent_at)

    def _lost_run(self, task_id: str, meta: dict, group: Group) -> bool:
        """Whether a FAILURE is a run that lost its worker (and the job
        runs again), not the job's result."""
        exc = meta.get('result')
        kind = exc.get('exc_type') if isinstance(exc, dict) else type(exc).__name__
        if kind not in LOST_RUN_EXCEPTIONS:
            return False
        lost = self._lost_entry(task_id)
        stamp = str(meta.get('date_done'))
        now = time.monotonic()
        if lost['seen'] != stamp:
            lost.update(seen=stamp, since=now)
            logger.warning('job %s lost its worker (%s); it runs again', task_id, kind)
        elif now - lost['since'] >= LOST_RUN_RESEND_SECONDS:
            # The broker has not given it out again: send it once more.
            lost['since'] = now
            self._resend([task_id], f'no new run of it in {LOST_RUN_RESEND_SECONDS:.0f} s')
        return True

    def _lost_entry(self, task_id: str) -> dict:
        return self._lost.setdefault(task_id, {'starts': set(), 'seen': None, 'since': 0.0})

    def _started(self, task_id: str, meta: dict, group: Group) -> dict | None:
        """Count the runs of a started job (by the process that started
        it); the failure to report once more than :data:`MAX_LOST_RUNS`
        runs have started without a result: a poison job, which takes its
        worker down every time (the broker would give it out for ever)."""
        info = meta.get('result') if isinstance(meta.get('result'), dict) else {}
        lost = self._lost_entry(task_id)
        lost['starts'].add((info.get('hostname'), info.get('pid')))
        runs = len(lost['starts'])
        if runs <= MAX_LOST_RUNS + 1:
            return None
        logger.error('job %s started %d times and never finished: a poison job, its result '
                     'is the failure', task_id, runs)
        try:
            self.app.control.revoke(task_id)
        except Exception as exc:
            logger.warning('cannot revoke the poison job %s: %s', task_id, exc)
        return dict(group.env['workers_jobs'][group.names[task_id]], result='FAILURE',
                    exception=f'the job was started {runs} times and never finished: each '
                              f'run lost its worker (a poison job)', traceback='')

    def _store_down(self, exc: Exception) -> None:
        if self._store_down_since is None:
            self._store_down_since = time.monotonic()
            logger.warning('the result store does not answer (%s); results wait until it '
                           'does', exc)

    def _check_result_store(self) -> None:
        """Notice a result store that came back (logged once) or came back
        empty (Redis restarted: the results it held are gone), and then send
        every outstanding job that has no result again."""
        client = getattr(self._backend, 'client', None)
        if client is None or not hasattr(client, 'info'):
            return
        try:
            run_id = client.info('server').get('run_id')
        except Exception as exc:
            self._store_down(exc)
            return
        if self._store_down_since is not None:
            logger.warning('the result store answers again (after %.0f s)',
                           time.monotonic() - self._store_down_since)
            self._store_down_since = None
        restarted = self._store_run_id is not None and run_id != self._store_run_id
        if run_id != self._store_run_id:
            self._store_run_id = run_id
            if self.store and run_id:
                self.store.remember(STORE_RUN_ID, run_id)
        if not restarted:
            return
        with self._lock:
            outstanding = list(self._outstanding.items())
        lost = []
        for task_id, _ in outstanding:
            try:
                if self._backend.get_task_meta(task_id, cache=False).get('status') == 'PENDING':
                    lost.append(task_id)
            except Exception as exc:
                self._store_down(exc)
                return
        logger.warning('the result store restarted; %d outstanding jobs have no result '
                       'there', len(lost))
        self._resend(lost, 'the result store lost what it knew of it')

    def _resend(self, task_ids: list, why: str) -> None:
        for task_id in task_ids:
            self._to_resend.setdefault(task_id, why)
        self._send_again()

    def _send_again(self) -> None:
        """Send the jobs :meth:`_resend` was given; those the broker does
        not take now stay for the loop's next turn."""
        for task_id, why in list(self._to_resend.items()):
            with self._lock:
                entry = self._outstanding.get(task_id)
            if entry is not None:
                _, group, _ = entry
                try:
                    self._send(group.env['workers_jobs'][group.names[task_id]])
                except Exception as exc:
                    self._broker_down(exc)
                    self._resend_after = time.monotonic() + RESEND_RETRY_SECONDS
                    return
                self._broker_back()
                logger.info('job %s sent again: %s', task_id, why)
            del self._to_resend[task_id]

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
