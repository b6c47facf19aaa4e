"""Submitting jobs to the fleet: the client side of :mod:`sio.celery`.

::

    from sio.celery.submit import submit

    env = submit({'job_type': 'ping', 'ping': 'hello'})      # waits
    pending = submit(env, wait=False)                         # AsyncResult
    env = pending.get(timeout=60)

The broker and the result backend are those of
:mod:`sio.celery.default_config` (``CELERY_BROKER_URL`` and
``CELERY_RESULT_BACKEND`` override them), or of the ``app`` given.
Submitting returns once the broker has the job on disk (publisher
confirms), so an accepted job survives a broker crash; its result waits in
the result backend for a day, for this client or another (``AsyncResult(id)``).
"""

from celery import Celery
from celery.result import AsyncResult

from sio.celery.default_config import MAX_PRIORITY, QUEUE
from sio.celery.job import TASK_NAME

#: OIOIOI's default judging priority of a contest.
DEFAULT_CONTEST_PRIORITY = 10
#: How much contest_priority moves a job by one queue priority level.
CONTEST_PRIORITY_STEP = 10
DEFAULT_LEVEL = 4

_app: Celery | None = None


def default_app() -> Celery:
    global _app
    if _app is None:
        from sio.celery.app import make_app

        _app = make_app()
    return _app


def priority_of(env: dict) -> int:
    """The queue priority of a job, 0 (last) to 9 (first).

    ``priority`` in the environ sets it directly. Otherwise it starts at 4;
    ``contest_priority`` (OIOIOI's judging priority of the contest, 10 by
    default: a contest with a higher one is judged first) moves it one
    level per 10 above or below the default, up to 4 levels; a positive
    ``task_priority`` (OIOIOI's priority within a contest) adds one more.
    """
    if env.get('priority') is not None:
        return max(0, min(MAX_PRIORITY, int(env['priority'])))
    level = DEFAULT_LEVEL
    contest = env.get('contest_priority')
    if contest is not None:
        steps = (int(contest) - DEFAULT_CONTEST_PRIORITY) // CONTEST_PRIORITY_STEP
        level += max(-DEFAULT_LEVEL, min(DEFAULT_LEVEL, steps))
    if int(env.get('task_priority') or 0) > 0:
        level += 1
    return max(0, min(MAX_PRIORITY, level))


def submit(env: dict, *, app: Celery | None = None, wait: bool = True,
           timeout: float | None = None, task_id: str | None = None) -> dict | AsyncResult:
    """Queue the job ``env`` on the fleet. With ``wait`` (the default),
    block until its result environ comes back (``timeout`` seconds at
    most: :class:`celery.exceptions.TimeoutError`); otherwise return the
    :class:`~celery.result.AsyncResult`. ``task_id`` names the job (a
    resubmission with the same id is answered with the first result)."""
    if not isinstance(env, dict):
        raise TypeError(f'env must be a dict, not {type(env).__name__}')
    app = app or default_app()
    pending = app.send_task(TASK_NAME, args=(env,), queue=QUEUE, priority=priority_of(env),
                            task_id=task_id)
    if not wait:
        return pending
    return pending.get(timeout=timeout, propagate=True)
