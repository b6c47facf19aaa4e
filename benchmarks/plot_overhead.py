"""Per-run cost of each executor for a tiny static program, as a bar chart
(SVG) for the documentation: ``docs/_static/overhead.svg``.

Each executor runs the program ``--rounds`` times, interleaved with
``subprocess.run`` as the baseline; the bars are median milliseconds per
run, labelled with the ratio to the baseline.
"""

import argparse
import os
import subprocess
import sys
import tempfile

from sio.workers.executors import (
    DetailedUnprotectedExecutor,
    Sio2JailExecutor,
    SupervisedExecutor,
)

from common import ROOT, build, interleaved, median

OUT = os.path.join(ROOT, 'docs', '_static', 'overhead.svg')


def measure(rounds: int) -> dict[str, float]:
    work = tempfile.mkdtemp(prefix='sio-bench-plot-')
    program = build('hello', work)
    data = os.path.join(work, 'in')
    with open(data, 'w') as f:
        f.write('2 3\n')

    def baseline():
        with open(data, 'rb') as stdin:
            subprocess.run([program], stdin=stdin, stdout=subprocess.DEVNULL, check=True)

    def with_executor(executor):
        def call():
            with executor, open(data, 'rb') as stdin:
                renv = executor([program], stdin=stdin, stdout=subprocess.DEVNULL,
                                ignore_errors=True)
            assert renv['result_code'] == 'OK', renv
        return call

    variants = {'subprocess.run': baseline,
                'DetailedUnprotected': with_executor(DetailedUnprotectedExecutor()),
                'Supervised': with_executor(SupervisedExecutor()),
                'Sio2Jail': with_executor(Sio2JailExecutor())}
    times = interleaved(variants, rounds)
    return {name: median(values) * 1000 for name, values in times.items()}


def svg(figures: dict[str, float]) -> str:
    width, bar_h, gap, left = 640, 28, 14, 170
    scale = (width - left - 120) / max(figures.values())
    base = figures['subprocess.run']
    rows = []
    for i, (name, ms) in enumerate(figures.items()):
        y = 40 + i * (bar_h + gap)
        w = max(1.0, ms * scale)
        rows.append(f'<text x="{left - 8}" y="{y + 19}" text-anchor="end">{name}</text>'
                    f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{"#888" if name == "subprocess.run" else "#4a7ebb"}"/>'
                    f'<text x="{left + w + 6:.1f}" y="{y + 19}">{ms:.2f} ms '
                    f'({ms / base:.2f}x)</text>')
    height = 40 + len(figures) * (bar_h + gap) + 10
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="sans-serif" font-size="13">'
            f'<text x="10" y="22" font-weight="bold">Time per run of a tiny static '
            f'program (median)</text>{"".join(rows)}</svg>\n')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=100)
    parser.add_argument('--out', default=OUT)
    args = parser.parse_args()
    figures = measure(args.rounds)
    with open(args.out, 'w') as f:
        f.write(svg(figures))
    for name, ms in figures.items():
        print(f'{name:<22} {ms:7.3f} ms')
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
