"""Delivering an asynchronous group's result to OIOIOI's ``return_url``.

As upstream's daemon: an HTTP POST, multipart form with one field ``data``
holding the group environ as JSON, until the server answers 200. A failed
delivery is tried again after growing delays (``first_delay``, doubling, at
most an hour apart) for :data:`GIVE_UP_AFTER` (14 days; upstream's six
retries 10 s to 10^6 s apart span 12.9 days), counted in attempts so that
it holds across restarts of the daemon: the group stays in the database
until it is delivered or given up, and a restarted daemon goes on from the
attempt it had reached. The log says when delivery starts failing, every
attempt once the delay is an hour or more, and when it gets through.
"""

import json
import logging
import threading

import requests

logger = logging.getLogger(__name__)

MAX_DELAY = 3600.0
#: How long (s, the sum of the delays) delivery is tried before giving up.
GIVE_UP_AFTER = 14 * 24 * 3600.0


def delay_after(attempt: int, first_delay: float) -> float:
    """The wait after failed attempt number ``attempt`` (1, 2, ...)."""
    return min(MAX_DELAY, first_delay * 2 ** min(attempt - 1, 60))


def attempts_allowed(first_delay: float) -> int:
    """How many attempts fit in :data:`GIVE_UP_AFTER`."""
    total, attempt = 0.0, 0
    while total < GIVE_UP_AFTER:
        attempt += 1
        total += delay_after(attempt, first_delay)
    return attempt + 1


class Returner:
    def __init__(self, store=None, first_delay: float = 1.0, max_attempts: int | None = None,
                 timeout: float = 60.0):
        self.store = store
        self.first_delay = first_delay
        self.max_attempts = max_attempts or attempts_allowed(first_delay)
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
        failing = attempt > 0
        while not self._stop.is_set():
            attempt += 1
            try:
                response = requests.post(url, files={'data': (None, body)},
                                         headers={'User-Agent': 'sioworkersd'},
                                         timeout=self.timeout)
                if response.status_code == 200:
                    logger.info('group %s returned to %s%s', group_id, url,
                                f' at attempt {attempt}' if failing else '')
                    if self.store:
                        self.store.forget_group(group_id)
                    return
                problem = f'HTTP {response.status_code}'
            except requests.RequestException as exc:
                problem = str(exc)
            if self.store:
                self.store.return_attempted(group_id, attempt)
            if attempt >= self.max_attempts:
                logger.error('giving up returning group %s to %s after %d attempts over '
                             '%.0f days (%s)', group_id, url, attempt,
                             GIVE_UP_AFTER / 86400, problem)
                if self.store:
                    self.store.forget_group(group_id)
                return
            delay = delay_after(attempt, self.first_delay)
            if not failing or delay >= MAX_DELAY:
                logger.warning('returning group %s to %s failed (%s), attempt %d; retrying '
                               'in %.0f s, for up to %.0f days', group_id, url, problem,
                               attempt, delay, GIVE_UP_AFTER / 86400)
            failing = True
            self._stop.wait(delay)
