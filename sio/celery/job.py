"""The Celery task that runs sioworkers jobs."""

import logging
import os
import time

from celery import shared_task
from celery.utils.log import get_task_logger

from sio.workers.runner import run_reporting_errors

logger = get_task_logger(__name__)

TASK_NAME = 'sio.celery.job.sioworkers_job'


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
    """
    task_id = self.request.id
    previous = _earlier_result(self)
    if previous is not None:
        logger.info('job %s was already done; its result stands', task_id)
        return previous
    start = time.monotonic()
    result = run_reporting_errors(env)
    result['worker'] = worker_name(self)
    log_job(task_id, result, time.monotonic() - start)
    return result


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


logging.getLogger('celery.app.trace').addFilter(_NoSuccessLineForFailures())
