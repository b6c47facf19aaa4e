"""The Celery task that runs sioworkers jobs."""

import copy
import logging
import os
import signal
import time

from celery import shared_task
from celery.utils.log import get_task_logger

from sio.workers.ft import FiletrackerUnavailable
from sio.workers.runner import record_failure, run_reporting_errors

logger = get_task_logger(__name__)

TASK_NAME = 'sio.celery.job.sioworkers_job'

#: How billiard ends a pool process that a signal stops (its handlers call
#: ``sys.exit(-(256 - signum))``: -241 for SIGTERM, which Celery sends to
#: the jobs it cancels when the broker connection is lost). Such a job did
#: not fail: it goes through as a lost run, and the broker gives it out
#: again.
STOPPED_BY_SIGNAL = frozenset(-(256 - s) for s in (signal.SIGTERM, signal.SIGINT,
                                                    signal.SIGQUIT, signal.SIGHUP))


def worker_name(task) -> str:
    """This worker process's name: its Celery node name (unique per
    ``sio-celery-worker``) and the pid of the process running the job."""
    node = getattr(task.request, 'hostname', None) or 'local'
    return f'{node}/{os.getpid()}'


@shared_task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True)
def sioworkers_job(self, env: dict) -> dict:
    """Run the job described by ``env`` (see :func:`sio.workers.runner.run`)
    and return its environ. Never raises for a failed job: every exception
    is a FAILURE in the returned environ.

    A job delivered again (the broker restarted after the job had finished
    but before it heard so, or the same task id was submitted again) is
    answered with its first result, not run twice.

    While the result store does not answer, the job waits for it, before
    running (so that a worker does not drain the queue into results
    nobody can store) and before returning (so that its result is stored).
    """
    task_id = self.request.id
    _wait_for_result_store(self)
    previous = _earlier_result(self)
    if previous is not None:
        logger.info('job %s was already done; its result stands', task_id)
        return previous
    start = time.monotonic()
    result = _run_through_outages(env)
    result['worker'] = worker_name(self)
    log_job(task_id, result, time.monotonic() - start)
    _wait_for_result_store(self)
    return result


#: How long a job waits for a Filetracker server that does not answer
#: before that is its result (s), and how often it asks.
FILETRACKER_PATIENCE = 600.0
FILETRACKER_RETRY_SECONDS = 2.0


def _run_through_outages(env: dict) -> dict:
    """Run the job; when the Filetracker server does not answer, wait for
    it (one log line) and run the job again from its environ as it came,
    for up to :data:`FILETRACKER_PATIENCE`: an outage of the server is not
    the job's failure."""
    original = copy.deepcopy(env)
    deadline = None
    while True:
        try:
            return run_reporting_errors(env, stop_codes=STOPPED_BY_SIGNAL,
                                        passthrough=(FiletrackerUnavailable,))
        except FiletrackerUnavailable as exc:
            now = time.monotonic()
            if deadline is None:
                deadline = now + FILETRACKER_PATIENCE
                logger.warning('Filetracker does not answer (%s); the job waits for it', exc)
            if now >= deadline:
                return record_failure(env, exc)
            time.sleep(FILETRACKER_RETRY_SECONDS)
            env = copy.deepcopy(original)


#: How often a worker asks a result store that does not answer (s).
STORE_RETRY_SECONDS = 1.0


def _wait_for_result_store(task) -> None:
    """Block while the result store (Redis) does not answer; one log line
    when it stops answering, one when it is back."""
    if task.request.is_eager:
        return
    client = getattr(task.backend, 'client', None)
    if client is None or not hasattr(client, 'ping'):
        return
    since = None
    while True:
        try:
            client.ping()
        except Exception as exc:  # redis' errors: wait and ask again
            if since is None:
                since = time.monotonic()
                logger.warning('the result store does not answer (%s); job %s waits for it',
                               exc, task.request.id)
            time.sleep(STORE_RETRY_SECONDS)
            continue
        if since is not None:
            logger.warning('the result store answers again after %.0f s',
                           time.monotonic() - since)
        return


def _earlier_result(task) -> dict | None:
    """The stored result of this task id, when a run of it finished before
    (a redelivery, or a resubmission under the same id)."""
    if task.request.is_eager or not task.request.id or not task.request.delivery_info:
        return None
    try:
        previous = task.AsyncResult(task.request.id)
        if previous.state == 'SUCCESS' and isinstance(previous.result, dict):
            return previous.result
    except Exception as exc:  # the job runs; a backend hiccup is no reason not to
        logger.warning('cannot look up an earlier result of %s: %s', task.request.id, exc)
    return None


def log_job(task_id: str | None, result: dict, seconds: float) -> None:
    """The one log line of a job: task id, job type, result and verdict,
    duration, worker; a FAILURE is logged as an error with its exception."""
    fields = (f'task={task_id} job_type={result.get("job_type")} '
              f'result={result.get("result")} '
              f'result_code={result.get("result_code", "-")} '
              f'duration={seconds:.3f}s worker={result.get("worker")}')
    if result.get('result') == 'FAILURE':
        if task_id:
            _failed_ids.add(task_id)
        logger.error('job failed: %s exception=%r', fields, result.get('exception'))
    else:
        logger.info('job done: %s', fields)


_failed_ids: set[str] = set()


class _NoSuccessLineForFailures(logging.Filter):
    """Celery logs "Task ... succeeded" for every task that returned; for a
    job whose result is FAILURE that line would mislead (log_job says it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        data = getattr(record, 'data', None)
        if isinstance(data, dict) and data.get('id') in _failed_ids:
            _failed_ids.discard(data['id'])
            return False
        return True


class _StoreRetriesLoggedOnce(logging.Filter):
    """Celery logs every retry of a result-store operation, traceback and
    all; one line a minute says it (the outage's start and end are the
    job's log lines, see :func:`_wait_for_result_store`)."""

    def __init__(self) -> None:
        super().__init__()
        self._last = float('-inf')

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith('Failed operation'):
            return True
        now = time.monotonic()
        if now - self._last < 60:
            return False
        self._last = now
        record.exc_info = record.exc_text = None
        return True


logging.getLogger('celery.app.trace').addFilter(_NoSuccessLineForFailures())
logging.getLogger('celery.backends.base').addFilter(_StoreRetriesLoggedOnce())
