"""The order in which sio-workersd hands jobs to the fleet.

As OIOIOI's contests expect it (and upstream's prioritizing scheduler does):

1. a contest with a higher ``contest_priority`` goes first, whatever the
   others wait with;
2. contests of the same priority share the fleet in proportion to their
   ``contest_weight`` (stride scheduling: deterministic, so a contest with
   10 jobs is served between another's 10,000, never behind them);
3. within a contest, a higher ``task_priority`` goes first, then the older
   job.
"""

import heapq
import itertools
from dataclasses import dataclass, field


@dataclass
class _Contest:
    uid: str
    priority: int
    weight: int
    pass_value: float = 0.0
    jobs: list = field(default_factory=list)  # heap of (-task_priority, seq, job)


class FairQueue:
    """Waiting jobs (environs with ``task_id``), taken in the order above.
    Not thread-safe: its owner locks."""

    def __init__(self):
        self._contests: dict[str, _Contest] = {}
        self._seq = itertools.count()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, job: dict) -> None:
        uid = str(job.get('contest_uid', ''))
        priority = int(job.get('contest_priority') or 0)
        weight = max(1, int(job.get('contest_weight') or 1))
        contest = self._contests.get(uid)
        if contest is None:
            # A newcomer starts level with the busiest rival, not behind it.
            start = min((c.pass_value for c in self._contests.values()
                         if c.priority == priority), default=0.0)
            contest = self._contests[uid] = _Contest(uid, priority, weight, start)
        else:
            contest.priority, contest.weight = priority, weight
        heapq.heappush(contest.jobs, (-int(job.get('task_priority') or 0),
                                      next(self._seq), job))
        self._size += 1

    def pop(self) -> dict | None:
        """The next job, or None when nothing waits."""
        if not self._size:
            return None
        top = max(c.priority for c in self._contests.values())
        contest = min((c for c in self._contests.values() if c.priority == top),
                      key=lambda c: (c.pass_value, c.uid))
        _, _, job = heapq.heappop(contest.jobs)
        contest.pass_value += 1.0 / contest.weight
        if not contest.jobs:
            del self._contests[contest.uid]
        self._size -= 1
        return job

    def remove_group(self, group_id: str) -> None:
        for uid in list(self._contests):
            contest = self._contests[uid]
            kept = [entry for entry in contest.jobs if entry[2].get('group_id') != group_id]
            self._size -= len(contest.jobs) - len(kept)
            heapq.heapify(kept)
            contest.jobs = kept
            if not kept:
                del self._contests[uid]

    def snapshot(self) -> list[dict]:
        """The waiting jobs, in no particular order (for get_queue)."""
        return [entry[2] for c in self._contests.values() for entry in c.jobs]
