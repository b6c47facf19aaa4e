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

from sio.judge.cache import file_digest
from sio.judge.judging import JudgeError

logger = logging.getLogger(__name__)

#: How long one test may take on the fleet, queueing included (s).
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
        """The Filetracker name of the local file ``path`` (stored once)."""
        name = f'/sio-judge/{file_digest(path)}/{os.path.basename(path)}'
        with self._lock:
            stored = self._stored.get(name)
            if stored is None:
                stored = self._stored[name] = self.client.put_file(
                    name, path, to_local_store=False)
        return stored

    def run(self, env: dict) -> dict:
        from sio.celery.submit import submit

        job = dict(env, filetracker_url=self.filetracker_url)
        try:
            return submit(job, app=self.app, timeout=JOB_TIMEOUT)
        except Exception as exc:  # the fleet's errors: no verdict, said
            logger.debug('fleet job failed', exc_info=True)
            return dict(job, result='FAILURE', exception=f'the fleet: {exc}')

    def close(self) -> None:
        self.app.close()
