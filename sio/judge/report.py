"""The results of a judging run: the table, JSON, HTML, and the comparison
with the scores the package expects (``sinol_expected_scores``)."""

import html
import json

from sio.judge.judging import SolutionResult
from sio.judge.package import Package

COLOURS = {'OK': '32', 'WA': '31', 'TLE': '33', 'MLE': '35', 'RE': '31', 'RV': '31',
           'OLE': '35', 'SE': '41', 'CE': '41'}
# sinol-make's names of the verdicts in expected scores.
SINOL_STATUS = {'OK': 'OK', 'WA': 'WA', 'TLE': 'TL', 'MLE': 'ML', 'RE': 'RE', 'RV': 'RE',
                'OLE': 'ML', 'SE': 'RE', 'CE': 'CE'}


def _paint(text: str, verdict: str, colour: bool) -> str:
    return f'\x1b[{COLOURS.get(verdict, "0")}m{text}\x1b[0m' if colour else text


def as_dict(package: Package, results: list[SolutionResult], mode: str, measure: str) -> dict:
    scores = package.scores()
    return {
        'task': package.task_id, 'mode': mode, 'time_measure': measure,
        'groups': {str(g): scores.get(g, 0) for g in package.groups},
        'solutions': {r.name: {
            'compile_error': r.compile_error,
            'total': r.total,
            'groups': {str(g): {'status': r.group_status(g), 'points': r.points.get(g, 0)}
                       for g in package.groups},
            'tests': {t.test: {'group': t.group, 'verdict': t.verdict, 'time_ms': t.time_ms,
                               'time_limit_ms': t.time_limit_ms, 'memory_kib': t.memory_kib,
                               'fraction': round(t.fraction, 4), 'comment': t.comment}
                      for t in r.tests.values()},
        } for r in results},
    }


def table(package: Package, results: list[SolutionResult], colour: bool) -> str:
    """Solutions x groups: each group's worst verdict and points, the total;
    then each solution's tests (time, % of the limit, memory) and its
    slowest test; compile errors in full."""
    scores = package.scores()
    groups = package.groups
    head = ['solution'] + [f'group {g}' + (f' ({scores[g]})' if g in scores else '')
                           for g in groups] + ['total']
    rows = []
    for r in results:
        cells = [r.name]
        for g in groups:
            status = r.group_status(g)
            cells.append((f'{status} {r.points.get(g, 0)}' if g in scores else status, status))
        cells.append(str(r.total) if r.compile_error is None else 'CE')
        rows.append(cells)
    widths = [max(len(head[i]), *(len(c[0] if isinstance(c, tuple) else c) for c in
                                  (row[i] for row in rows))) for i in range(len(head))]
    lines = ['  '.join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
             '  '.join('-' * w for w in widths)]
    for row in rows:
        out = []
        for cell, width in zip(row, widths, strict=True):
            if isinstance(cell, tuple):
                text, status = cell
                out.append(_paint(text.ljust(width), status, colour))
            else:
                out.append(cell.ljust(width))
        lines.append('  '.join(out))
    for r in results:
        lines.append('')
        if r.compile_error is not None:
            lines.append(f'{r.name}: compilation failed')
            lines.extend('    ' + line for line in r.compile_error.rstrip().splitlines()[:20])
            continue
        lines.append(f'{r.name}:')
        for t in sorted(r.tests.values(), key=lambda t: (t.group, len(t.test), t.test)):
            share = f'{100 * t.time_ms / t.time_limit_ms:3.0f}%' if t.time_limit_ms else '   -'
            lines.append(f'    {t.test:<10} {_paint(t.verdict.ljust(4), t.verdict, colour)} '
                         f'{t.time_ms:>6} ms {share} of {t.time_limit_ms} ms '
                         f'{t.memory_kib:>8} KiB  {t.comment}'.rstrip())
        if r.tests:
            slowest = max(r.tests.values(), key=lambda t: t.time_ms)
            lines.append(f'    slowest: {slowest.test} ({slowest.time_ms} ms)')
    return '\n'.join(lines) + '\n'


def to_html(data: dict) -> str:
    groups = list(data['groups'])
    rows = []
    for name, sol in data['solutions'].items():
        cells = [f'<td>{html.escape(name)}</td>']
        for g in groups:
            status = sol['groups'][g]['status']
            cells.append(f'<td class="{status}">{status} {sol["groups"][g]["points"]}</td>')
        cells.append(f'<td>{sol["total"]}</td>')
        rows.append('<tr>' + ''.join(cells) + '</tr>')
        for test, t in sol['tests'].items():
            rows.append(f'<tr class="test"><td>&nbsp;&nbsp;{html.escape(test)}</td>'
                        f'<td class="{t["verdict"]}" colspan="{len(groups) + 1}">'
                        f'{t["verdict"]} {t["time_ms"]} ms of {t["time_limit_ms"]} ms, '
                        f'{t["memory_kib"]} KiB {html.escape(t["comment"])}</td></tr>')
    head = ''.join(f'<th>group {g} ({p})</th>' for g, p in data['groups'].items())
    return f'''<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(data["task"])}: sio-judge</title>
<style>body{{font-family:sans-serif}} td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}
.OK{{background:#cfc}} .WA,.RE,.RV{{background:#fcc}} .TLE{{background:#ffc}}
.MLE,.OLE{{background:#fcf}} .SE,.CE{{background:#f99}} tr.test td{{font-size:small}}</style>
</head><body><h1>{html.escape(data["task"])}</h1>
<p>mode {html.escape(data["mode"])}; time measured as {html.escape(data["time_measure"])}</p>
<table><tr><th>solution</th>{head}<th>total</th></tr>
{chr(10).join(rows)}
</table></body></html>
'''


def expected_scores(package: Package, results: list[SolutionResult]) -> dict:
    """The results in ``sinol_expected_scores`` form."""
    scores = package.scores()
    return {r.name: {'expected': {g: {'status': SINOL_STATUS[r.group_status(g)],
                                      'points': r.points.get(g, 0)} for g in scores},
                     'points': r.total} for r in results}


def mismatches(package: Package, results: list[SolutionResult]) -> list[str]:
    """How the results differ from ``sinol_expected_scores`` (empty when
    the package lists none, or they all match)."""
    expected = package.config.get('sinol_expected_scores') or {}
    actual = expected_scores(package, results)
    out = []
    for name, got in actual.items():
        want = expected.get(name)
        if want is None:
            continue
        for group, result in got['expected'].items():
            wanted = (want.get('expected') or {}).get(group)
            if wanted is not None and (wanted.get('status'), wanted.get('points')) != \
                    (result['status'], result['points']):
                out.append(f'{name}: group {group}: expected {wanted.get("status")} '
                           f'{wanted.get("points")}, got {result["status"]} {result["points"]}')
        if want.get('points') is not None and want['points'] != got['points']:
            out.append(f'{name}: expected {want["points"]} points, got {got["points"]}')
    return out


def dump_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + '\n'
