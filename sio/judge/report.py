"""The results of a judging run: the table, JSON, HTML (with each test's
time against its limit as a chart), and the comparison with the scores the
package expects (``sinol_expected_scores``), as sinol-make compares them."""

import html
import json

from sio.judge.judging import SolutionResult
from sio.judge.package import Package

COLOURS = {'OK': '32', 'WA': '31', 'TL': '33', 'ML': '35', 'RE': '31', 'CE': '41',
           'error': '41'}


def _paint(text: str, status: str, colour: bool) -> str:
    return f'\x1b[{COLOURS.get(status, "0")}m{text}\x1b[0m' if colour else text


def as_dict(package: Package, results: list[SolutionResult], mode: str, measure: str) -> dict:
    return {
        'task': package.task_id, 'contest_type': package.contest.name, 'mode': mode,
        'time_measure': measure,
        'groups': {str(g): p for g, p in package.scores().items()},
        'solutions': {r.name: {
            'compile_error': r.compile_error,
            'total': r.total,
            'groups': {str(g): {'status': gr.status, 'points': gr.points,
                                'lowered_by_dependency': gr.lowered}
                       for g, gr in r.groups.items()},
            'tests': {t.test: {'group': t.group, 'status': t.status, 'verdict': t.verdict,
                               'time_ms': t.time_ms, 'time_limit_ms': t.time_limit_ms,
                               'memory_kib': t.memory_kib,
                               'memory_limit_kib': t.memory_limit_kib,
                               'points': round(t.points, 4), 'comment': t.comment,
                               'error': t.error}
                      for t in r.tests.values()},
        } for r in results},
    }


def table(package: Package, results: list[SolutionResult], colour: bool) -> str:
    """Solutions x groups: each group's status and points (``*``: lowered by
    a group it depends on), the total; then each solution's tests (time,
    % of the limit, memory) and its slowest test; compile errors in full."""
    scores = package.scores()
    groups = list(scores)
    head = ['solution'] + [f'group {g} ({scores[g]})' for g in groups] + ['total']
    rows = []
    for r in results:
        cells = [r.name]
        for g in groups:
            gr = r.groups.get(g)
            text = f'{gr.status}{"*" if gr.lowered else ""} {gr.points}' if gr else '-'
            cells.append((text, gr.status if gr else ''))
        cells.append(str(r.total))
        rows.append(cells)
    widths = [max(len(head[i]), *(len(c[0] if isinstance(c, tuple) else c) for c in
                                  (row[i] for row in rows))) for i in range(len(head))]
    lines = ['  '.join(h.ljust(w) for h, w in zip(head, widths, strict=True)),
             '  '.join('-' * w for w in widths)]
    for row in rows:
        out = []
        for cell, width in zip(row, widths, strict=True):
            if isinstance(cell, tuple):
                out.append(_paint(cell[0].ljust(width), cell[1], colour))
            else:
                out.append(cell.ljust(width))
        lines.append('  '.join(out))
    if any(gr.lowered for r in results for gr in r.groups.values()):
        lines.append('(*: lowered by a group it depends on, subtask_dependencies)')
    for r in results:
        lines.append('')
        if r.compile_error is not None:
            lines.append(f'{r.name}: compilation failed')
            lines.extend('    ' + line for line in r.compile_error.rstrip().splitlines()[:20])
            continue
        lines.append(f'{r.name}:')
        for t in sorted(r.tests.values(), key=lambda t: (t.group, t.test)):
            share = f'{100 * t.time_ms / t.time_limit_ms:3.0f}%' if t.time_limit_ms else '   -'
            shown = t.status if t.status == STATUS_NAMES.get(t.verdict) else \
                f'{t.status} ({t.verdict})'
            note = t.error or t.comment
            lines.append(f'    {t.test:<10} {_paint(shown.ljust(4), t.status, colour)} '
                         f'{t.time_ms:>6} ms {share} of {t.time_limit_ms} ms '
                         f'{t.memory_kib:>8} KiB  {note}'.rstrip())
        if r.tests:
            slowest = max(r.tests.values(), key=lambda t: t.time_ms)
            lines.append(f'    slowest: {slowest.test} ({slowest.time_ms} ms)')
    return '\n'.join(lines) + '\n'


STATUS_NAMES = {'OK': 'OK', 'WA': 'WA', 'TLE': 'TL', 'MLE': 'ML', 'RE': 'RE'}


def _chart(tests: dict) -> str:
    """Each test's time as a bar against its limit (the limit at 80% of the
    width; a bar past it is red), as inline SVG."""
    rows = sorted(tests.items(), key=lambda kv: (kv[1]['group'], kv[0]))
    bar_height, label_width, width = 14, 90, 420
    scale = (width - label_width) * 0.8
    parts = []
    for i, (name, t) in enumerate(rows):
        y = i * (bar_height + 4)
        limit = t['time_limit_ms'] or 1
        share = t['time_ms'] / limit
        length = max(1.0, min(share, 1.25) * scale)
        colour = {'OK': '#4a4', 'TL': '#d33'}.get(t['status'], '#c80') \
            if share <= 1 else '#d33'
        title = html.escape(f'{name}: {t["status"]}, {t["time_ms"]} ms of {limit} ms, '
                            f'{t["memory_kib"]} KiB')
        parts.append(
            f'<g><title>{title}</title>'
            f'<text x="0" y="{y + bar_height - 3}" font-size="11">{html.escape(name)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{colour}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + bar_height - 3}" '
            f'font-size="10">{t["time_ms"]} ms ({100 * share:.0f}%)</text></g>')
    height = len(rows) * (bar_height + 4) + 4
    limit_x = label_width + scale
    parts.append(f'<line x1="{limit_x:.1f}" y1="0" x2="{limit_x:.1f}" y2="{height}" '
                 f'stroke="#000" stroke-dasharray="3,3"/>')
    return (f'<svg class="chart" width="{width + 110}" height="{height}" '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(parts)}</svg>')


def to_html(data: dict) -> str:
    groups = list(data['groups'])
    rows = []
    for name, sol in data['solutions'].items():
        cells = [f'<td>{html.escape(name)}</td>']
        for g in groups:
            gr = sol['groups'].get(g, {'status': '-', 'points': 0})
            cells.append(f'<td class="{gr["status"]}">{gr["status"]} {gr["points"]}</td>')
        cells.append(f'<td>{sol["total"]}</td>')
        rows.append('<tr>' + ''.join(cells) + '</tr>')
    details = []
    for name, sol in data['solutions'].items():
        details.append(f'<h2>{html.escape(name)}</h2>')
        if sol['compile_error'] is not None:
            details.append(f'<pre>{html.escape(sol["compile_error"])}</pre>')
            continue
        details.append(_chart(sol['tests']))
        details.append('<table><tr><th>test</th><th>status</th><th>time</th><th>memory</th>'
                       '<th>comment</th></tr>')
        for test, t in sorted(sol['tests'].items(), key=lambda kv: (kv[1]['group'], kv[0])):
            details.append(
                f'<tr><td>{html.escape(test)}</td><td class="{t["status"]}">{t["status"]}'
                f'</td><td>{t["time_ms"]} / {t["time_limit_ms"]} ms</td>'
                f'<td>{t["memory_kib"]} / {t["memory_limit_kib"]} KiB</td>'
                f'<td>{html.escape(t["error"] or t["comment"])}</td></tr>')
        details.append('</table>')
    head = ''.join(f'<th>group {g} ({p})</th>' for g, p in data['groups'].items())
    return f'''<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(data["task"])}: sio-judge</title>
<style>body{{font-family:sans-serif}} td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}
.OK{{background:#cfc}} .WA,.RE{{background:#fcc}} .TL{{background:#ffc}}
.ML{{background:#fcf}} .CE,.error{{background:#f99}} svg.chart{{display:block;margin:6px 0}}
</style></head><body><h1>{html.escape(data["task"])}</h1>
<p>contest type {html.escape(data["contest_type"])}; mode {html.escape(data["mode"])};
time measured as {html.escape(data["time_measure"])}</p>
<table><tr><th>solution</th>{head}<th>total</th></tr>
{chr(10).join(rows)}
</table>
{chr(10).join(details)}
</body></html>
'''


def expected_scores(package: Package, results: list[SolutionResult]) -> dict:
    """The results in ``sinol_expected_scores`` form."""
    return {r.name: {'expected': {g: {'points': gr.points, 'status': gr.status}
                                  for g, gr in r.groups.items()},
                     'points': r.total} for r in results}


def mismatches(package: Package, results: list[SolutionResult], all_solutions: bool) -> list[str]:
    """How the results differ from ``sinol_expected_scores``, as sinol-make
    finds it: a judged solution the config does not list, a listed one
    missing from prog/ (when every solution was judged), a group added or
    gone, a group's status or points, a total."""
    expected = package.expected_scores()
    actual = expected_scores(package, results)
    out = []
    if not expected:
        return ['config.yml has no sinol_expected_scores']
    for name, got in actual.items():
        want = expected.get(name)
        if want is None:
            out.append(f'{name}: not in sinol_expected_scores')
            continue
        for group in sorted(set(got['expected']) | set(want['expected'])):
            have, wanted = got['expected'].get(group), want['expected'].get(group)
            if wanted is None:
                out.append(f'{name}: group {group} is not in sinol_expected_scores')
            elif have is None:
                out.append(f'{name}: group {group} is expected but has no tests')
            elif (wanted['status'], wanted['points']) != (have['status'], have['points']):
                out.append(f'{name}: group {group}: expected {wanted["status"]} '
                           f'{wanted["points"]}, got {have["status"]} {have["points"]}')
        if want.get('points') is not None and want['points'] != got['points']:
            out.append(f'{name}: expected {want["points"]} points, got {got["points"]}')
    if all_solutions:
        for name in expected:
            if name not in actual:
                out.append(f'{name}: in sinol_expected_scores but not in prog/')
    return out


def dump_json(data: dict) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + '\n'
