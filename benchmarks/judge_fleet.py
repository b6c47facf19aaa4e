"""sio-judge on the fleet against sio-judge on this machine.

A private RabbitMQ node, Redis (results), a Filetracker server and two
sio-celery-worker processes (one slot each), all on 127.0.0.1 (started
here, stopped at the end). The same package is judged from scratch
(``--fresh``) by ``sio-judge --cpus 2`` and by ``sio-judge --fleet ...
--cpus 2``, in alternating order, and the wall-clock times compared.

Target: the fleet within 1.3x of the local run.

    .venv/bin/python benchmarks/judge_fleet.py [--rounds N] [--package DIR]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from fleet import Bench

from common import ROOT, table

sys.path.insert(0, os.path.join(ROOT, 'tests'))
from sio.celery.localnode import rabbitmq_node  # noqa: E402

import servers  # noqa: E402

JUDGE = os.path.join(os.path.dirname(sys.executable), 'sio-judge')
TARGET = 1.3


def judge_seconds(package: str, env: dict, extra: list[str]) -> float:
    start = time.perf_counter()
    out = subprocess.run([JUDGE, package, '--fresh', '--mode', 'jail', '--cpus', '2', *extra],
                         capture_output=True, text=True, env=env, timeout=1800)
    seconds = time.perf_counter() - start
    if out.returncode not in (0, 1):
        sys.exit(f'sio-judge failed:\n{out.stdout}{out.stderr}')
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=4)
    parser.add_argument('--package', default=os.path.join(ROOT, 'tests', 'judge_packages',
                                                          'rules'))
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix='sio-bench-judge-fleet-')
    package = os.path.join(work, 'package')
    shutil.copytree(args.package, package, ignore=shutil.ignore_patterns('.cache'))
    os.makedirs(os.path.join(work, 'ft'))
    times = {'local': [], 'fleet': []}
    with rabbitmq_node(os.path.join(work, 'rabbitmq')) as broker, \
            servers.redis_server() as redis, \
            servers.filetracker_server(os.path.join(work, 'ft')) as ft_url:
        bench = Bench(work, broker.url, redis.rsplit('/', 1)[0] + '/2', ft_url)
        bench.start('w1', '--pool', 'solo')
        bench.start('w2', '--pool', 'solo')
        fleet = ['--fleet', broker.url, '--filetracker', ft_url]
        judge_seconds(package, bench.env, [])  # warm-up: tests, outputs, compilations
        judge_seconds(package, bench.env, fleet)
        for r in range(args.rounds):
            order = ['local', 'fleet'] if r % 2 == 0 else ['fleet', 'local']
            for where in order:
                times[where].append(judge_seconds(package, bench.env,
                                                  fleet if where == 'fleet' else []))
        for name in list(bench.workers):
            bench.stop(name)
        bench.app.close()
    shutil.rmtree(work, ignore_errors=True)
    local, fleet = statistics.median(times['local']), statistics.median(times['fleet'])
    rows = [[k, f'{statistics.median(v):.2f}', f'{min(v):.2f}-{max(v):.2f}'] for k, v in
            times.items()]
    print(f'sio-judge {os.path.basename(args.package)}, from scratch, {args.rounds} rounds:')
    print(table(['where', 's (median)', 'range'], rows))
    print(f'\nfleet (2 workers) vs local --cpus 2: {fleet / local:.2f}x (target <= {TARGET}x)')
    return 0 if fleet / local <= TARGET else 1


if __name__ == '__main__':
    sys.exit(main())
