#!/usr/bin/env python3
"""Supervisor overhead: each executor interleaved with a baseline in the
same run. Prints a table of median per-run times and ratios.

    .venv/bin/python benchmarks/supervisor.py [--rounds N] [--quick]
"""

import argparse
import os
import resource
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sio._native import supervise  # noqa: E402
from sio.workers.executors import DetailedUnprotectedExecutor, SupervisedExecutor  # noqa: E402
from sio.workers.util import TemporaryCwd  # noqa: E402

from common import build, interleaved, median, table, workdir  # noqa: E402

TARGETS = {
    'DetailedUnprotectedExecutor': 1.3,
    'SupervisedExecutor': 2.5,
}


def fixed_overhead(tiny: str, rounds: int):
    devnull = open(os.devnull, 'wb')
    detailed, supervised = DetailedUnprotectedExecutor(), SupervisedExecutor()
    # What the original sioworkers did for every run.
    old_shell = (f"ulimit -v {64 * 1024} && ulimit -t 31 && ulimit -f {100 * 1024} && "
                 f"bash -c 'time {tiny}' 2> /dev/null")
    variants = {
        'subprocess.run': lambda: subprocess.run([tiny], stdout=devnull),
        'DetailedUnprotectedExecutor': lambda: detailed([tiny], stdout=devnull),
        'SupervisedExecutor': lambda: supervised([tiny], stdout=devnull),
        'old shell path (ulimit + bash time)':
            lambda: subprocess.run(['/bin/sh', '-c', old_shell], stdout=devnull),
    }
    times = interleaved(variants, rounds)
    base = median(times['subprocess.run'])
    rows = []
    for name, values in times.items():
        ratio = median(values) / base
        target = TARGETS.get(name)
        verdict = '' if target is None else ('ok' if ratio <= target else 'MISSED')
        rows.append([name, f'{median(values) * 1e3:.3f}', f'{ratio:.2f}x',
                     f'<= {target}x' if target else '', verdict])
    return table(['tiny static program', 'ms/run', 'ratio', 'target', ''], rows)


def syscall_costs(write_loop: str, mmap_loop: str, writes: int, maps: int, rounds: int):
    devnull = open(os.devnull, 'wb')
    supervised = SupervisedExecutor()
    limits = {'time_limit': 120_000, 'mem_limit': 64 * 1024}
    null_fd = devnull.fileno()
    variants = {
        'write direct': lambda: subprocess.run([write_loop, str(writes)], stdout=devnull),
        # The kernel's own price of having any seccomp filter: the same loop
        # under a filter that allows everything.
        'write seccomp floor': lambda: supervise.run(
            write_loop, [write_loop, str(writes)], [], stdout=null_fd, trace=True,
            policy='observe'),
        'write supervised': lambda: supervised([write_loop, str(writes)], stdout=devnull,
                                               **limits),
        'mmap direct': lambda: subprocess.run([mmap_loop, str(maps)], stdout=devnull),
        'mmap supervised': lambda: supervised([mmap_loop, str(maps)], stdout=devnull,
                                              **limits),
    }
    times = interleaved(variants, rounds, warmup=1)
    w_ratio = median(times['write supervised']) / median(times['write direct'])
    floor = median(times['write seccomp floor']) / median(times['write direct'])
    per_write_ns = (median(times['write supervised']) - median(times['write direct'])) / writes
    per_map = (median(times['mmap supervised']) - median(times['mmap direct'])) / maps
    rows = [
        [f'{writes:,} x write(1, "x", 1), allowed',
         f'{median(times["write direct"]) * 1e3:.1f}',
         f'{median(times["write supervised"]) * 1e3:.1f}',
         f'{w_ratio:.3f}x ({per_write_ns * 1e9:.0f} ns each)', '<= 1.1x',
         'ok' if w_ratio <= 1.1 else 'MISSED'],
        ['  same under an allow-all filter (kernel floor)',
         f'{median(times["write direct"]) * 1e3:.1f}',
         f'{median(times["write seccomp floor"]) * 1e3:.1f}', f'{floor:.3f}x', '', ''],
        [f'{maps:,} x 8 MiB mmap+munmap, traced',
         f'{median(times["mmap direct"]) * 1e3:.1f}',
         f'{median(times["mmap supervised"]) * 1e3:.1f}', f'{per_map * 1e6:.1f} us/stop',
         '<= 25 us', 'ok' if per_map * 1e6 <= 25 else 'MISSED'],
    ]
    return table(['syscall cost', 'direct ms', 'supervised ms', 'cost', 'target', ''], rows)


def supervisor_memory(tiny: str, runs: int):
    supervised = SupervisedExecutor()
    devnull = open(os.devnull, 'wb')

    def rss_kib():
        with open('/proc/self/status') as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        return 0

    for _ in range(50):
        supervised([tiny], stdout=devnull)
    before = rss_kib()
    for _ in range(runs):
        supervised([tiny], stdout=devnull)
    after = rss_kib()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = [['RSS before', before], [f'RSS after {runs} more runs', after],
            ['growth', after - before], ['peak RSS (ru_maxrss)', peak]]
    return table(['supervising process (KiB)', 'value'], rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--rounds', type=int, default=300)
    parser.add_argument('--quick', action='store_true', help='fewer rounds, smaller loops')
    args = parser.parse_args()
    rounds = 40 if args.quick else args.rounds
    out = workdir()
    tiny = build('tiny', out)
    write_loop = build('write_loop', out)
    mmap_loop = build('mmap_munmap_loop', out)
    with TemporaryCwd():
        print(fixed_overhead(tiny, rounds))
        print()
        writes, maps = (200_000, 2_000) if args.quick else (2_000_000, 20_000)
        print(syscall_costs(write_loop, mmap_loop, writes, maps, 3 if args.quick else 7))
        print()
        print(supervisor_memory(tiny, 200 if args.quick else 2000))


if __name__ == '__main__':
    main()
