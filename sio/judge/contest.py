"""Scoring as sinol-make does it, per ``sinol_contest_type``.

A test's result is a status (``OK``, ``WA``, ``TL``, ``ML``, ``RE``) and
the checker's points, 0 to 100. The contest type turns that into the test's
score, a group's tests' scores into the group's points, and the groups'
points into the solution's total:

``default``
    a test scores the checker's points; a group gets
    ``ceil(group's points * lowest test score / 100)``; the total is the sum;
``oi``, ``oij``
    as ``default``, but under ``oi`` a test that took more than half its
    time limit loses points linearly down to 1 (OIOIOI's formula); ``oi``
    forbids per-test limits, ``oij`` allows them;
``icpc``
    every group is worth 1 (group 0 too), a test scores 1 when OK, a group
    the lowest of its tests, the total the lowest group.

A group's status is the worst of its tests' in sinol-make's and OIOIOI's
order: ``CE``, ``TL``, ``ML``, ``RE``, ``WA``, ``OK``.
"""

import math
from dataclasses import dataclass

#: Worst first.
STATUS_ORDER = ('CE', 'TL', 'ML', 'RE', 'WA', 'OK')


def worst_status(statuses) -> str:
    """The worst of ``statuses`` (``OK`` for none)."""
    return min(statuses, key=STATUS_ORDER.index, default='OK')


@dataclass(frozen=True)
class TestOutcome:
    status: str          # one of STATUS_ORDER but CE
    points: float        # the checker's, 0..100 (0 unless OK)
    time_ms: int
    time_limit_ms: int


class DefaultContest:
    name = 'default'
    per_test_limits = True

    def assign_scores(self, groups: list[int]) -> dict[int, int]:
        """Points of each group when config.yml has no ``scores``: 100 split
        evenly over the groups above 0, the remainder to the last; group 0
        (the examples) scores 0."""
        scores = {0: 0} if 0 in groups else {}
        scored = [g for g in groups if g != 0]
        if not scored:
            return scores
        share = 100 // len(scored)
        scores.update({g: share for g in scored})
        scores[scored[-1]] += 100 - share * len(scored)
        return scores

    def test_score(self, outcome: TestOutcome) -> float:
        return outcome.points if outcome.status == 'OK' else 0

    def group_score(self, test_scores: list[float], group_points: int) -> int:
        return int(math.ceil(group_points * (min(test_scores) / 100.0)))

    def total(self, group_points: dict[int, int]) -> int:
        return sum(group_points.values())


class OIContest(DefaultContest):
    name = 'oi'
    per_test_limits = False

    def test_score(self, outcome: TestOutcome) -> float:
        """Full points up to half the time limit, then linearly less, down
        to 1 at the limit (OIOIOI's ``oioioi.programs.utils``, which
        sinol-make copies)."""
        if outcome.status != 'OK' or outcome.points == 0:
            return 0
        limit = outcome.time_limit_ms
        if outcome.time_ms <= limit / 2.0:
            return outcome.points
        return 1 + int((outcome.points - 1) * ((limit - outcome.time_ms) / (limit / 2.0)))


class OIJContest(DefaultContest):
    name = 'oij'


class ICPCContest(DefaultContest):
    name = 'icpc'

    def assign_scores(self, groups: list[int]) -> dict[int, int]:
        return {g: 1 for g in groups}

    def test_score(self, outcome: TestOutcome) -> float:
        return 1 if outcome.status == 'OK' else 0

    def group_score(self, test_scores: list[float], group_points: int) -> int:
        return int(min(test_scores))

    def total(self, group_points: dict[int, int]) -> int:
        return min(group_points.values(), default=0)


CONTEST_TYPES = {c.name: c for c in (DefaultContest, OIContest, OIJContest, ICPCContest)}


def contest_type(name) -> DefaultContest:
    """The contest type named in config.yml (``sinol_contest_type``,
    case-insensitive); ValueError naming the known ones otherwise."""
    key = str(name).lower()
    if key not in CONTEST_TYPES:
        raise ValueError(f'sinol_contest_type: unknown contest type {name!r} (known: '
                         f'{", ".join(CONTEST_TYPES)})')
    return CONTEST_TYPES[key]()


@dataclass
class GroupResult:
    status: str
    points: int
    #: Lowered by a group it depends on (``subtask_dependencies``).
    lowered: bool = False


def group_result(contest: DefaultContest, own: list[TestOutcome],
                 prerequisites: list[TestOutcome], group_points: int) -> GroupResult:
    """A group's status and points from its tests; with the tests of the
    groups it depends on, the group is scored as if they were its own when
    that lowers its points (never raises them), as OIOIOI's
    ``apply_subtask_dependencies`` and sinol-make do."""

    def score(outcomes):
        status = worst_status(o.status for o in outcomes)
        points = contest.group_score([contest.test_score(o) for o in outcomes], group_points)
        return status, points

    status, points = score(own)
    if prerequisites:
        combined_status, combined_points = score(own + prerequisites)
        if combined_points < points:
            return GroupResult(combined_status, combined_points, lowered=True)
    return GroupResult(status, points)
