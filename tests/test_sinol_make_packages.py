"""sio-judge on every package of sinol-make's own test suite
(``tests/packages/`` of a sinol-make checkout), against the scores their
config.yml expects and, when given, what sinol-make itself gave.

Skipped unless ``SIO_SINOL_MAKE`` names a sinol-make checkout (this
machine's tests do not download one). As a script it prints the table::

    .venv/bin/python tests/test_sinol_make_packages.py CHECKOUT \\
        [--sinol-make-results DIR] [--only NAME...]

``--sinol-make-results DIR``: DIR/NAME/config.yml holds the expected scores
``sinol-make run --apply-suggestions`` wrote for package NAME (a reference
run of sinol-make on copies of the same packages).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import pytest
import yaml

JUDGE = os.path.join(os.path.dirname(sys.executable), 'sio-judge')
CHECKOUT = os.environ.get('SIO_SINOL_MAKE')

#: Packages sinol-make's own suite uses where judging is not the point,
#: with what sio-judge must do with them.
NOT_JUDGED = {
    'bad_tests': 'inputs break the format rules: exit 2 (sinol-make gen stops too)',
    'doc': 'no solutions (a package for sinol-make doc): exit 2, as sinol-make stops',
}

#: Where sinol-make's own tests expect other scores than the package's
#: config.yml lists: theirs, and why.
SINOL_TESTS_EXPECT = {
    # test_mem_limit_kill: a 30 MB array on the stack under a 1000 KiB
    # limit is killed (ML), so the run differs from the config (exit 1).
    'stc': {'stc.cpp': ({1: ('ML', 0)}, 0)},
}


def packages(checkout: str) -> list[str]:
    root = os.path.join(checkout, 'tests', 'packages')
    return sorted(name for name in os.listdir(root)
                  if os.path.isdir(os.path.join(root, name, 'prog')))


def scores_of(config: dict) -> dict:
    """{solution: ({group: (status, points)}, total)} of sinol_expected_scores."""
    out = {}
    for name, entry in (config.get('sinol_expected_scores') or {}).items():
        groups = {}
        for group, result in (entry.get('expected') or {}).items():
            if isinstance(result, str):
                result = {'status': result, 'points': None}
            groups[int(group)] = (result['status'], result.get('points'))
        out[name] = (groups, entry.get('points'))
    return out


def judge_package(checkout: str, name: str, scratch: str) -> dict:
    """Run sio-judge on a copy; its exit status, scores and what it said."""
    copy = os.path.join(scratch, name)
    shutil.copytree(os.path.join(checkout, 'tests', 'packages', name), copy)
    report = os.path.join(scratch, name + '.json')
    run = subprocess.run([JUDGE, copy, '--json', report, '--no-color', '--cpus', '2'],
                         capture_output=True, text=True, timeout=1800)
    scores = {}
    if os.path.exists(report):
        with open(report) as f:
            data = json.load(f)
        for solution, sol in data['solutions'].items():
            scores[solution] = ({int(g): (r['status'], r['points'])
                                 for g, r in sol['groups'].items()}, sol['total'])
    with open(os.path.join(copy, 'config.yml')) as f:
        expected = scores_of(yaml.safe_load(f) or {})
    return {'status': run.returncode, 'scores': scores, 'expected': expected,
            'said': (run.stdout + run.stderr)[-3000:]}


def _summary(scores: dict) -> str:
    return ' '.join(f'{n.split(".")[0]}={total}' for n, (_, total) in sorted(scores.items()))


def verdict(name: str, got: dict, sinol: dict | None) -> str:
    """Whether sio-judge gave what sinol-make's suite expects: the scores
    its tests expect, else those the config lists, else (packages that list
    none) what sinol-make gave in the reference run."""
    if name in NOT_JUDGED:
        return 'yes (neither judges)' if got['status'] == 2 else f'NO (exit {got["status"]})'
    if got['status'] not in (0, 1):
        return f'NO (exit {got["status"]})'
    want = SINOL_TESTS_EXPECT.get(name) or got['expected'] or sinol
    if want is None:
        return 'yes (nothing to compare)'
    return 'yes' if got['scores'] == want else 'NO'


def compare(checkout: str, names: list[str], reference: str | None) -> list[list[str]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix='sio-sinol-') as scratch:
        for name in names:
            got = judge_package(checkout, name, scratch)
            sinol = None
            if reference and os.path.exists(os.path.join(reference, name, 'config.yml')):
                with open(os.path.join(reference, name, 'config.yml')) as f:
                    sinol = scores_of(yaml.safe_load(f) or {})
            agree = verdict(name, got, sinol)
            rows.append([name, _summary(got['expected']) or '-',
                         _summary(sinol) if sinol else '-',
                         f'exit {got["status"]}: ' + (_summary(got['scores']) or '-'), agree])
            if agree.startswith('NO'):
                print(f'--- {name}: {got["said"]}', file=sys.stderr)
    return rows


@pytest.mark.skipif(not CHECKOUT, reason='needs a sinol-make checkout: set SIO_SINOL_MAKE')
@pytest.mark.parametrize('name', packages(CHECKOUT) if CHECKOUT else [])
def test_sinol_make_package(name, tmp_path):
    got = judge_package(CHECKOUT, name, str(tmp_path))
    if name in NOT_JUDGED:
        assert got['status'] == 2, got['said']
        return
    assert got['status'] in (0, 1), got['said']
    if name in SINOL_TESTS_EXPECT:
        assert got['status'] == 1 and got['scores'] == SINOL_TESTS_EXPECT[name], got['said']
    elif got['expected']:
        assert got['status'] == 0, got['said']
        assert got['scores'] == got['expected']


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkout')
    parser.add_argument('--sinol-make-results', metavar='DIR')
    parser.add_argument('--only', nargs='*')
    args = parser.parse_args()
    names = args.only or packages(args.checkout)
    rows = compare(args.checkout, names, args.sinol_make_results)
    head = ['package', 'config.yml expects', 'sinol-make', 'sio-judge', 'agree']
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    for row in [head, ['-' * w for w in widths]] + rows:
        print(' | '.join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return 0 if all(r[-1].startswith('yes') for r in rows) else 1


if __name__ == '__main__':
    sys.exit(main())
