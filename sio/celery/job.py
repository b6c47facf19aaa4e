"""The Celery task that runs sioworkers jobs."""

from celery import shared_task

from sio.workers.runner import run_reporting_errors


@shared_task(name='sio.celery.job.sioworkers_job', acks_late=True,
             reject_on_worker_lost=True)
def sioworkers_job(env: dict) -> dict:
    """Run the job described by ``env`` (see :func:`sio.workers.runner.run`)
    and return its environ. Never raises for a failed job: every exception
    is a FAILURE in the returned environ."""
    return run_reporting_errors(env)
