#!/usr/bin/env python3
"""Comparator throughput and memory, against cmp and diff -q -b in the same
run, on two 200 MB files of 10 numbers per line (identical, and differing
at the end).

    .venv/bin/python benchmarks/compare.py [--size MB] [--rounds N]
"""

import argparse
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sio._native import helper_path, supervise  # noqa: E402

from common import median, table, workdir  # noqa: E402


def make_files(directory: str, size: int) -> tuple[str, str, str]:
    rng = random.Random(2026)
    a = os.path.join(directory, 'expected')
    with open(a, 'w') as f:
        written = 0
        while written < size:
            block = ''.join(' '.join(str(rng.randrange(10**9)) for _ in range(10)) + '\n'
                            for _ in range(10000))
            f.write(block)
            written += len(block)
    same = os.path.join(directory, 'same')
    shutil.copyfile(a, same)
    differs = os.path.join(directory, 'differs')
    shutil.copyfile(a, differs)
    with open(differs, 'r+b') as f:
        f.seek(-3, os.SEEK_END)
        last = f.read(1)
        f.seek(-3, os.SEEK_END)
        f.write(b'7' if last != b'7' else b'8')
    return a, same, differs


def measure(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run. The native supervisor
    reads VmHWM at the program's exit; rusage would report this process's
    own RSS for a child cloned from it."""
    result = supervise.run(cmd[0], cmd, [f'PATH={os.environ["PATH"]}'], trace=True)
    return result.wall_us / 1e6, result.peak_rss_kib


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--size', type=int, default=200, help='file size in MB')
    parser.add_argument('--rounds', type=int, default=7)
    args = parser.parse_args()
    directory = workdir()
    try:
        expected, same, differs = make_files(directory, args.size * 1_000_000)
        size = os.path.getsize(expected)
        tools = {
            'sio compare (bin/compare)': [helper_path('compare'), expected],
            'python -m sio.compare': [sys.executable, '-m', 'sio.compare', expected],
            'cmp': [shutil.which('cmp'), expected],
            'diff -q -b': [shutil.which('diff'), '-q', '-b', expected],
        }
        rows = []
        for case, other in (('identical', same), ('differ at the end', differs)):
            for _ in range(2):  # warm the page cache
                subprocess.run(['cat', expected, other], stdout=subprocess.DEVNULL)
            results = {name: [] for name in tools}
            for r in range(args.rounds):
                for name in list(tools)[r % len(tools):] + list(tools)[:r % len(tools)]:
                    results[name].append(measure(tools[name] + [other]))
            for name, runs in results.items():
                seconds = median([t for t, _ in runs])
                rss = max(m for _, m in runs)
                rows.append([case, name, f'{size / seconds / 1e6:,.0f}', f'{rss / 1024:.1f}'])
        print(f'two files of {size / 1e6:.0f} MB, 10 numbers per line; '
              f'median of {args.rounds} interleaved runs')
        print(table(['case', 'tool', 'MB/s', 'peak RSS MiB'], rows))
        print('targets: sio compare >= 1,500 MB/s and <= 16 MiB peak RSS '
              '(anchors: oicompare 371 MB/s, 382 MiB)')
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == '__main__':
    main()
