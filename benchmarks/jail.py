#!/usr/bin/env python3
"""The jail's costs, each interleaved with its baseline in the same run:
fixed overhead per run of a tiny static program, allowed and traced syscalls
under the jail, and the two ways of isolating a dynamically linked checker.

    .venv/bin/python benchmarks/jail.py [--rounds N] [--quick]
"""

import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sio._native import helper_path, supervise  # noqa: E402
from sio.workers.executors import (  # noqa: E402
    DetailedUnprotectedExecutor,
    PRootExecutor,
    Sio2JailExecutor,
    SupervisedExecutor,
    isolated_checker_executor,
)
from sio.workers.jobdir import TemporaryCwd, tempcwd  # noqa: E402

from common import build, interleaved, median, syscall_loop_times, table, workdir  # noqa: E402

JAIL = helper_path('sio2jail')


def fixed_overhead(tiny, rounds):
    devnull = open(os.devnull, 'wb')
    supervised, jailed = SupervisedExecutor(), Sio2JailExecutor()
    variants = {
        'subprocess.run': lambda: subprocess.run([tiny], stdout=devnull),
        'SupervisedExecutor': lambda: supervised([tiny], stdout=devnull),
        'sio2jail binary (all namespaces)':
            lambda: subprocess.run([JAIL, '--perf', 'off', tiny], stdout=devnull,
                                   stderr=devnull),
        'sio2jail binary (no net namespace)':
            lambda: subprocess.run([JAIL, '--perf', 'off', '--net-namespace', 'off', tiny],
                                   stdout=devnull, stderr=devnull),
        'Sio2JailExecutor': lambda: jailed([tiny], stdout=devnull),
    }
    if supervise.ids_available():
        # What Sio2JailExecutor does as root: join a kept, empty namespace.
        netns = supervise.new_net_namespace()
        variants['sio2jail binary (kept net namespace)'] = lambda: subprocess.run(
            [JAIL, '--perf', 'off', '--net-namespace-fd', str(netns), tiny],
            stdout=devnull, stderr=devnull, pass_fds=[netns])
    times = interleaved(variants, rounds)
    base = median(times['subprocess.run'])
    rows = []
    for name, values in times.items():
        over = (median(values) - base) * 1e3
        target = '<= 3 ms' if name == 'Sio2JailExecutor' else ''
        verdict = ('ok' if over <= 3.0 else 'MISSED') if target else ''
        rows.append([name, f'{median(values) * 1e3:.2f}', f'{over:+.2f}', target, verdict])
    return table(['tiny static program', 'ms/run', 'overhead ms', 'target', ''], rows)


def syscall_costs(write_loop, mmap_loop, writes, maps, rounds):
    t = syscall_loop_times(Sio2JailExecutor(), write_loop, mmap_loop, writes, maps, rounds,
                           tempcwd('writes.out'))
    ratio = t['write run'] / t['write direct']
    per_map = (t['mmap run'] - t['mmap direct']) / maps
    return table(['syscalls under the jail', 'direct ms', 'jail ms', 'cost'], [
        [f'{writes:,} x write, allowed', f'{t["write direct"] * 1e3:.1f}',
         f'{t["write run"] * 1e3:.1f}', f'{ratio:.3f}x'],
        [f'{maps:,} x 8 MiB mmap+munmap, traced', f'{t["mmap direct"] * 1e3:.1f}',
         f'{t["mmap run"] * 1e3:.1f}', f'{per_map * 1e6:.1f} us/stop'],
    ])


def checker_isolation(directory, rounds):
    src = os.path.join(directory, 'chk.c')
    with open(src, 'w') as f:
        f.write('#include <stdio.h>\nint main(int c, char **v) { FILE *f = fopen(v[1], "r");'
                ' puts(f ? "OK" : "WRONG"); return 0; }\n')
    chk = os.path.join(directory, 'chk')
    subprocess.run(['gcc', '-O2', '-o', chk, src], check=True)  # dynamic, like checkers
    with TemporaryCwd() as cwd:
        shutil.copy(chk, os.path.join(cwd, 'chk'))
        open(os.path.join(cwd, 'in'), 'w').close()
        cmd = [os.path.join(cwd, 'chk'), os.path.join(cwd, 'in')]
        jail = isolated_checker_executor()
        unprotected = DetailedUnprotectedExecutor()
        with PRootExecutor('null-sandbox') as proot:
            # PRoot needs the libraries inside its root: bind the host's.
            binds = [(p, p) for p in ('/usr', '/lib', '/lib64') if os.path.exists(p)]
            variants = {
                'unprotected': lambda: unprotected(cmd, capture_output=True),
                'jail (namespaces + seccomp)': lambda: jail(cmd, capture_output=True),
                'PRoot': lambda: proot(cmd, capture_output=True, binds=binds),
            }
            t = interleaved(variants, rounds)
    base = median(t['unprotected'])
    return table(['dynamic checker', 'ms/run', 'overhead ms'],
                 [[n, f'{median(v) * 1e3:.2f}', f'{(median(v) - base) * 1e3:+.2f}']
                  for n, v in t.items()])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--rounds', type=int, default=200)
    parser.add_argument('--quick', action='store_true')
    args = parser.parse_args()
    rounds = 30 if args.quick else args.rounds
    directory = workdir()
    try:
        tiny = build('tiny', directory)
        with TemporaryCwd():
            print(fixed_overhead(tiny, rounds))
            print()
            writes, maps = (200_000, 2_000) if args.quick else (2_000_000, 20_000)
            print(syscall_costs(build('write_loop', directory),
                                build('mmap_munmap_loop', directory), writes, maps,
                                3 if args.quick else 7))
        print()
        print(checker_isolation(directory, max(10, rounds // 4)))
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == '__main__':
    main()
