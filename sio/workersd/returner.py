"""Delivering an asynchronous group's result to OIOIOI's ``return_url``.

As upstream's daemon: an HTTP POST, multipart form with one field ``data``
holding the group environ as JSON, until the server answers 200; failures
are retried after growing delays (``first_delay``, doubling, at most 10
minutes apart) ``max_attempts`` times in all, each logged, then given up
with an error in the log.
"""

import json
import logging
import threading

import requests

logger = logging.getLogger(__name__)

MAX_DELAY = 600.0


class Returner:
    def __init__(self, store=None, first_delay: float = 1.0, max_attempts: int = 12,
                 timeout: float = 60.0):
        self.store = store
        self.first_delay = first_delay
        self.max_attempts = max_attempts
        self.timeout = timeout
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def deliver(self, group_env: dict, attempts_done: int = 0) -> threading.Thread:
        """Start delivering in the background."""
        thread = threading.Thread(target=self._deliver, args=(group_env, attempts_done),
                                  name=f'return {group_env.get("group_id")}', daemon=True)
        thread.start()
        return thread

    def _deliver(self, env: dict, attempt: int) -> None:
        group_id, url = env.get('group_id'), env.get('return_url')
        body = json.dumps(env)
        while not self._stop.is_set():
            attempt += 1
            try:
                response = requests.post(url, files={'data': (None, body)},
                                         headers={'User-Agent': 'sioworkersd'},
                                         timeout=self.timeout)
                if response.status_code == 200:
                    logger.info('group %s returned to %s', group_id, url)
                    if self.store:
                        self.store.forget_group(group_id)
                    return
                problem = f'HTTP {response.status_code}'
            except requests.RequestException as exc:
                problem = str(exc)
            if self.store:
                self.store.return_attempted(group_id, attempt)
            if attempt >= self.max_attempts:
                logger.error('giving up returning group %s to %s after %d attempts (%s)',
                             group_id, url, attempt, problem)
                if self.store:
                    self.store.forget_group(group_id)
                return
            delay = min(MAX_DELAY, self.first_delay * 2 ** (attempt - 1))
            logger.warning('returning group %s to %s failed (%s), attempt %d of %d; '
                           'retrying in %.0f s', group_id, url, problem, attempt,
                           self.max_attempts, delay)
            self._stop.wait(delay)
