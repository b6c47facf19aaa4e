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
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sio._native import supervise  # noqa: E402
from sio.workers.executors import DetailedUnprotectedExecutor, SupervisedExecutor  # noqa: E402
from sio.workers.executors.base import LOCALE_ENV, process_environ  # noqa: E402
from sio.workers.executors.native import Confinement  # noqa: E402
from sio.workers.executors.unprotected import DETAILED_CONFINEMENT  # noqa: E402
from sio.workers.jobdir import TemporaryCwd, tempcwd  # noqa: E402
from sio.workers.limits import RunLimits  # noqa: E402

from common import build, interleaved, median, syscall_loop_times, table, workdir  # noqa: E402

TARGETS = {
    'DetailedUnprotectedExecutor': 1.3,
    'SupervisedExecutor': 1.3,
}


def native_call_of(executor, tiny: str, devnull) -> tuple:
    """The arguments ``executor`` gives :func:`supervise.run` for the tiny
    program (taken from one real call), so that the native call can be
    timed alone, exactly as the executor makes it."""
    calls = []
    real = supervise.run

    def recording(*args, **kwargs):
        calls.append((args, kwargs))
        return real(*args, **kwargs)

    supervise.run = recording
    try:
        executor([tiny], stdout=devnull)
    finally:
        supervise.run = real
    (args, kwargs), = calls
    return args, kwargs


def fixed_overhead(tiny: str, rounds: int):
    devnull = open(os.devnull, 'wb')
    detailed, supervised = DetailedUnprotectedExecutor(), SupervisedExecutor()
    # The executors' native calls alone: what is left of a row is its Python.
    det_args, det_kwargs = native_call_of(detailed, tiny, devnull)
    sup_args, sup_kwargs = native_call_of(supervised, tiny, devnull)
    # What the original sioworkers did for every run.
    old_shell = (f"ulimit -v {64 * 1024} && ulimit -t 31 && ulimit -f {100 * 1024} && "
                 f"bash -c 'time {tiny}' 2> /dev/null")
    variants = {
        'subprocess.run': lambda: subprocess.run([tiny], stdout=devnull),
        'DetailedUnprotectedExecutor': lambda: detailed([tiny], stdout=devnull),
        'SupervisedExecutor': lambda: supervised([tiny], stdout=devnull),
        '  its native call alone (Detailed)': lambda: supervise.run(*det_args, **det_kwargs),
        '  its native call alone (Supervised)': lambda: supervise.run(*sup_args, **sup_kwargs),
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


def containment_costs(tiny: str, rounds: int):
    """What each part of a run's confinement costs: the same raw native run
    with one more part each time, interleaved."""
    cwd = tempcwd()
    out = open(os.path.join(cwd, 'containment.out'), 'ab')
    static = dict(cwd=cwd, stdout=out.fileno(), trace=True, policy='static', files='forbid',
                  trace_memory=True, single_threaded=True,
                  limits=RunLimits(mem_limit_kib=64 << 10, time_limit_ms=30_000,
                                   real_time_limit_ms=64 * 30_000 + 1000,
                                   output_limit_bytes=50 << 20))
    own = Confinement(lease_ids=True)
    quotas = Confinement(lease_ids=True, confine_quotas=True, max_open_files=64, max_processes=1)
    cgroup = Confinement(lease_ids=True, confine_quotas=True, max_open_files=64, max_processes=1,
                         memcg=True)
    lent = Confinement(lease_ids=True, lend='rwx')
    netns = Confinement(lease_ids=True, lend='rwx', own_network=True)
    hidden = Confinement(lease_ids=True, lend='rwx', own_network=True, hide_processes=True)
    landlock = Confinement(lease_ids=True, lend='rwx', own_network=True, hide_processes=True,
                           write_only_cwd=True)
    detailed = dict(cwd=cwd, stdout=out.fileno(), trace=True, follow_forks=True)
    null_fd = os.open(os.devnull, os.O_WRONLY)
    variants = {
        'static': lambda: supervise.run(tiny, [tiny], [], **static),
        '+ own uid/gid': lambda: supervise.run(tiny, [tiny], [], confinement=own, **static),
        '+ quotas': lambda: supervise.run(tiny, [tiny], [], confinement=quotas, **static),
        '+ memory cgroup': lambda: supervise.run(tiny, [tiny], [], confinement=cgroup, **static),
        'static, stdout /dev/null (output guard file)': lambda: supervise.run(
            tiny, [tiny], [], **dict(static, stdout=null_fd)),
        'traced, no filter': lambda: supervise.run(tiny, [tiny], [], **detailed),
        '+ observe filter': lambda: supervise.run(tiny, [tiny], [], policy='observe',
                                                  **detailed),
        '+ own uid/gid, directory lent': lambda: supervise.run(
            tiny, [tiny], [], policy='observe', confinement=lent, **detailed),
        '+ empty network namespace': lambda: supervise.run(
            tiny, [tiny], [], policy='observe', confinement=netns, **detailed),
        '+ hidepid mount namespace': lambda: supervise.run(
            tiny, [tiny], [], policy='observe', confinement=hidden, **detailed),
        '+ Landlock write scope': lambda: supervise.run(
            tiny, [tiny], [], policy='observe', confinement=landlock, **detailed),
    }
    times = interleaved(variants, rounds)
    m = {name: median(values) * 1e6 for name, values in times.items()}
    rows = [
        ['uid/gid switch (lease, setgroups/setresgid/setresuid)',
         f'{m["+ own uid/gid"] - m["static"]:+.1f}'],
        ['quotas (5 more rlimits)', f'{m["+ quotas"] - m["+ own uid/gid"]:+.1f}'],
        ['memory cgroup (limit, join, peak, OOM count)',
         f'{m["+ memory cgroup"] - m["+ quotas"]:+.1f}'],
        ['output guard for /dev/null (O_TMPFILE)',
         f'{m["static, stdout /dev/null (output guard file)"] - m["static"]:+.1f}'],
        [f'observe filter ({supervise.policy_size("observe")} BPF instructions; Detailed '
         f'under its own uid: {supervise.policy_size("observe", own_uid=True, no_output=True)})',
         f'{m["+ observe filter"] - m["traced, no filter"]:+.1f}'],
        ['uid/gid switch + job directory lent (Detailed)',
         f'{m["+ own uid/gid, directory lent"] - m["+ observe filter"]:+.1f}'],
        ['joining its uid\'s empty network namespace (Detailed)',
         f'{m["+ empty network namespace"] - m["+ own uid/gid, directory lent"]:+.1f}'],
        ['joining the hidepid mount namespace (Detailed)',
         f'{m["+ hidepid mount namespace"] - m["+ empty network namespace"]:+.1f}'],
        [f'Landlock ruleset, writes only in the job directory (Detailed; ABI '
         f'{supervise.landlock_abi()})',
         f'{m["+ Landlock write scope"] - m["+ hidepid mount namespace"]:+.1f}'],
        ['process CPU clock read (one per process at exit, one per watchdog '
         'wake-up)', f'{cpu_clock_read_us():.2f}'],
    ]
    out.close()
    os.close(null_fd)
    note = '' if supervise.ids_available() else '  (not root: no ids are switched here)'
    return table(['containment part, per run' + note, 'us'], rows)


def detailed_breakdown(tiny: str, rounds: int):
    """Where a DetailedUnprotectedExecutor run's time goes: the kernel's
    part alone (posix_spawn and a wait, with hardly any Python), then the
    native supervisor adding one mechanism at a time, then the executor's
    Python; interleaved, each row against the one above."""
    cwd = tempcwd()
    null_fd = os.open(os.devnull, os.O_WRONLY)
    devnull = open(os.devnull, 'wb')
    detailed = DetailedUnprotectedExecutor()
    # Every row passes the environment the executor passes (each variable
    # costs the kernel and libc's start-up about 1.5 us here), so that the
    # last step is the executor's Python alone.
    env = {**process_environ(), **LOCALE_ENV}
    base = dict(cwd=cwd, stdout=null_fd)
    traced = dict(base, trace=True, follow_forks=True)

    def spawn_and_wait():
        pid = os.posix_spawn(tiny, [tiny], env,
                             file_actions=[(os.POSIX_SPAWN_DUP2, null_fd, 1)])
        os.waitpid(pid, 0)

    variants = {
        'posix_spawn + waitpid (the kernel\'s part)': spawn_and_wait,
        'supervise.run, untraced': lambda: supervise.run(tiny, [tiny], env, **base),
        '+ ptrace (exec and exit stops, peak memory read)':
            lambda: supervise.run(tiny, [tiny], env, **traced),
        '+ observe filter': lambda: supervise.run(tiny, [tiny], env, policy='observe',
                                                  **traced),
        '+ own uid/gid, quotas, job directory lent, namespaces, Landlock': lambda: supervise.run(
            tiny, [tiny], env, policy='observe', confinement=DETAILED_CONFINEMENT,
            **traced),
        'DetailedUnprotectedExecutor (+ its Python)': lambda: detailed([tiny], stdout=devnull),
        'subprocess.run (for comparison)': lambda: subprocess.run([tiny], stdout=devnull),
    }
    times = interleaved(variants, rounds)
    os.close(null_fd)
    devnull.close()
    rows, previous = [], None
    for name, values in times.items():
        us = median(values) * 1e6
        delta = '' if previous is None or name.startswith('subprocess') else f'{us - previous:+.0f}'
        rows.append([name, f'{us:.0f}', delta])
        if not name.startswith('subprocess'):
            previous = us
    return table(['DetailedUnprotectedExecutor, tiny program', 'us/run', 'added'], rows)


def cpu_clock_read_us(reads: int = 20000) -> float:
    """One clock_gettime of a process's CPU clock (what the watchdog and the
    exit events read), less a CLOCK_MONOTONIC read: the clock's own cost."""
    child = subprocess.Popen(['sleep', '5'])
    clock = (~child.pid << 3) | 2  # CPUCLOCK_SCHED of a whole process
    try:
        start = time.perf_counter()
        for _ in range(reads):
            time.clock_gettime_ns(clock)
        cpu = time.perf_counter() - start
        start = time.perf_counter()
        for _ in range(reads):
            time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        mono = time.perf_counter() - start
    finally:
        child.kill()
        child.wait()
    return max(cpu - mono, 0) / reads * 1e6


def syscall_costs(write_loop: str, mmap_loop: str, writes: int, maps: int, rounds: int):
    # The kernel's own price of having a seccomp filter: the same loop
    # under the small observe filter, which allows write at once.
    floor_run = {'write seccomp floor': lambda out: supervise.run(
        write_loop, [write_loop, str(writes)], [], stdout=out.fileno(), trace=True,
        policy='observe')}
    t = syscall_loop_times(SupervisedExecutor(), write_loop, mmap_loop, writes, maps, rounds,
                           tempcwd('writes.out'), extra=floor_run)
    w_ratio = t['write run'] / t['write direct']
    floor = t['write seccomp floor'] / t['write direct']
    per_write_ns = (t['write run'] - t['write direct']) / writes
    per_map = (t['mmap run'] - t['mmap direct']) / maps
    rows = [
        [f'{writes:,} x write(1, "x", 1), allowed', f'{t["write direct"] * 1e3:.1f}',
         f'{t["write run"] * 1e3:.1f}', f'{w_ratio:.3f}x ({per_write_ns * 1e9:.0f} ns each)',
         '<= 1.1x', 'ok' if w_ratio <= 1.1 else 'MISSED'],
        ['  same under the observe filter (kernel floor)', f'{t["write direct"] * 1e3:.1f}',
         f'{t["write seccomp floor"] * 1e3:.1f}', f'{floor:.3f}x', '', ''],
        [f'{maps:,} x 8 MiB mmap+munmap, traced', f'{t["mmap direct"] * 1e3:.1f}',
         f'{t["mmap run"] * 1e3:.1f}', f'{per_map * 1e6:.1f} us/stop', '<= 25 us',
         'ok' if per_map * 1e6 <= 25 else 'MISSED'],
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
        print(containment_costs(tiny, rounds))
        print()
        print(detailed_breakdown(tiny, rounds))
        print()
        writes, maps = (200_000, 2_000) if args.quick else (2_000_000, 20_000)
        print(syscall_costs(write_loop, mmap_loop, writes, maps, 3 if args.quick else 7))
        print()
        print(supervisor_memory(tiny, 200 if args.quick else 2000))


if __name__ == '__main__':
    main()
