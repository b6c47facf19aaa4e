"""``sio-judge --fleet BROKER_URL``: the solutions' tests run on the Celery
fleet (``sio-celery-worker`` on any number of machines) instead of in this
process; the same jobs, table and report.

Compiling, generating and making outputs stay on this machine (they run
once); every file a job needs (programs, inputs, outputs, the checker,
modules of Python programs) is put in the fleet's Filetracker under
``/sio-judge/<sha256>/<name>``, once per content, and the jobs name it
there, with the server's URL (``filetracker_url``), so that every worker
fetches it from the same place. Results come back through the fleet's
result store as every client's do.
"""

import logging
import os
import threading
import time

from sio.judge.cache import file_digest
from sio.judge.judging import JudgeError

logger = logging.getLogger(__name__)

#: How long a judging run's tests may take on the fleet, queueing included (s).
JOB_TIMEOUT = 3600


class FleetJobs:
    name = 'fleet'

    def __init__(self, broker_url: str, filetracker_url: str | None = None):
        from filetracker.client import Client

        from sio.celery.app import make_app, unanswered
        from sio.celery.worker import BadBrokerURL, check_broker_url, default_filetracker_url
        from sio.workers.ft import server_answers

        try:
            check_broker_url(broker_url)
        except BadBrokerURL as exc:
            raise JudgeError(f'--fleet: {exc}') from None
        self.app = make_app(broker_url)
        problem = unanswered(self.app)
        if problem:
            raise JudgeError(f'--fleet: {problem}')
        url = filetracker_url or os.environ.get('FILETRACKER_URL') or \
            default_filetracker_url(broker_url)
        if not url or not server_answers(url):
            raise JudgeError(f'--fleet: no Filetracker server answers at {url} '
                             f'(--filetracker URL or FILETRACKER_URL)')
        self.filetracker_url = url
        self.client = Client(remote_url=url, local_store=None)
        self._stored: dict[str, str] = {}
        self._lock = threading.Lock()

    def put(self, path: str) -> str:
        """The Filetracker name of the local file ``path``: stored once, by
        its content's digest, so a later run (or another author's) finds it
        there and sends nothing."""
        name = f'/sio-judge/{file_digest(path)}/{os.path.basename(path)}'
        with self._lock:
            stored = self._stored.get(name)
            if stored is None:
                stored = self._stored[name] = self._store(name, path)
        return stored

    def _store(self, name: str, path: str) -> str:
        from filetracker.client import FiletrackerError

        try:
            return f'{name}@{self.client.file_version(name)}'
        except FiletrackerError:
            pass  # not there yet
        # Uncompressed: on a judging farm's network, compressing programs
        # costs more than sending them.
        return self.client.put_file(name, path, to_local_store=False, compress_hint=False)

    def run_many(self, envs: list[dict]):
        """(index, result environ) of each of ``envs``. All are queued at
        once: the fleet's workers take them as fast as they can, with no
        round trip to this client between two jobs."""
        from sio.celery.submit import submit

        pending = []
        for index, env in enumerate(envs):
            job = dict(env, filetracker_url=self.filetracker_url)
            try:
                pending.append((index, job, submit(job, app=self.app, wait=False)))
            except Exception as exc:  # the broker's errors: no verdict, said
                yield index, _failed(job, exc)
        deadline = time.monotonic() + JOB_TIMEOUT
        for index, job, result in pending:
            try:
                yield index, result.get(timeout=max(1.0, deadline - time.monotonic()))
            except Exception as exc:
                yield index, _failed(job, exc)

    def close(self) -> None:
        self.app.close()


def _failed(job: dict, exc: Exception) -> dict:
    logger.debug('fleet job failed', exc_info=exc)
    return dict(job, result='FAILURE', exception=f'the fleet: {exc}')
