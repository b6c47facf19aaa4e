"""Throughput of the fleet and how fast a dead worker's job comes back.

A private RabbitMQ node, Redis (results), a Filetracker server and
sio-celery-worker processes, all on 127.0.0.1 (started here, stopped at the
end). Measured, in interleaved rounds:

* jobs/s through one worker with two slots: ping; exec of a tiny program
  with local files; the same exec with its program, input and hint in
  Filetracker, by versioned names (as OIOIOI sends them: after the first
  job every file comes from the machine's cache, no request) and by
  unversioned names (one version query per file and job);
* seconds from a worker's SIGKILL to its job starting on another worker;
* groups/s and jobs/s end to end through sio-workersd (``sync_run_group``
  from 4 clients at once, as OIOIOI's submissions come, two one-slot
  workers) against the same jobs through ``sio.workers.runner.run`` in one
  process, for ping jobs and tiny exec jobs.

Targets: Filetracker exec within 1.5x of local-file exec (jobs/s);
redelivery <= 2 s.
"""

import argparse
import concurrent.futures
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from common import ROOT, build, table

sys.path.insert(0, os.path.join(ROOT, 'tests'))
from sio.celery.app import make_app  # noqa: E402
from sio.celery.localnode import rabbitmq_node  # noqa: E402
from sio.celery.submit import submit  # noqa: E402

import servers  # noqa: E402

BIN = os.path.dirname(sys.executable)
PLUGINS = os.path.join(ROOT, 'tests', 'plugins')


class Bench:
    def __init__(self, work, broker_url, results_url, ft_url):
        self.work = work
        self.broker_url = broker_url
        self.env = dict(os.environ, CELERY_RESULT_BACKEND=results_url, FILETRACKER_URL=ft_url,
                        FILETRACKER_DIR=os.path.join(work, 'ft-cache'),
                        SIO_MACHINE_DIR=os.path.join(work, 'machine'),
                        PYTHONPATH=os.pathsep.join([PLUGINS, os.environ.get('PYTHONPATH', '')]))
        self.app = make_app(broker_url)
        self.app.conf.result_backend = results_url
        self.workers = {}

    def start(self, name, *options):
        log = open(os.path.join(self.work, f'{name}.log'), 'wb')
        proc = subprocess.Popen(
            [os.path.join(BIN, 'sio-celery-worker'), self.broker_url, '-n', f'{name}@bench',
             '-l', 'WARNING', '--without-gossip', '--without-mingle', *options],
            env=self.env, stdout=log, stderr=log, start_new_session=True)
        log.close()
        self.workers[name] = proc
        deadline = time.monotonic() + 60
        while f'{name}@bench' not in {k for r in self.app.control.ping(timeout=0.5) or []
                                      for k in r}:
            if time.monotonic() > deadline or proc.poll() is not None:
                sys.exit(f'worker {name} did not start (see {log.name})')
        return proc

    def stop(self, name):
        servers.stop(self.workers.pop(name), timeout=15)

    def throughput(self, make_env, count):
        start = time.perf_counter()
        pending = [submit(make_env(i), app=self.app, wait=False) for i in range(count)]
        for p in pending:
            env = p.get(timeout=300)
            if env.get('result') != 'SUCCESS' or env.get('result_code', 'OK') != 'OK':
                sys.exit(f'a benchmark job failed: {env}')
        return count / (time.perf_counter() - start)


def workersd_rates(bench, work, broker_url, results_url, make_job, groups, size):
    """(groups/s, jobs/s) through sio-workersd, and jobs/s of the same jobs
    through runner.run in this process."""
    import xmlrpc.client

    from sio.workers.runner import run

    port = servers.free_port()
    log = open(os.path.join(work, 'workersd.log'), 'ab')
    daemon = subprocess.Popen(
        [os.path.join(BIN, 'sio-workersd'), '--port', str(port), '--broker', broker_url,
         '--results', results_url, '--database', os.path.join(work, f'wd-{port}.db'),
         '-l', 'WARNING'], env=bench.env, stdout=log, stderr=log, start_new_session=True)
    log.close()
    url = f'http://127.0.0.1:{port}/'

    def answers():
        try:
            xmlrpc.client.ServerProxy(url).get_queue()
            return True
        except OSError:
            return False

    try:
        servers.wait_until(answers, 30, 'sio-workersd', daemon)

        def one_group(g):
            ans = xmlrpc.client.ServerProxy(url, allow_none=True).sync_run_group(json.dumps(
                {'workers_jobs': {f'j{i}': make_job(g * size + i) for i in range(size)}}))
            if 'error' in ans:
                sys.exit(f'a benchmark group failed: {ans["error"]}')

        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            list(pool.map(one_group, range(groups)))
        seconds = time.perf_counter() - start
    finally:
        servers.stop(daemon)
    start = time.perf_counter()
    for i in range(groups * size):
        env = run(make_job(i))
        if env.get('result') != 'SUCCESS':
            sys.exit(f'a benchmark job failed in process: {env}')
    local = groups * size / (time.perf_counter() - start)
    return groups / seconds, groups * size / seconds, local


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--jobs', type=int, default=120, help='jobs per round and kind')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--kills', type=int, default=5, help='SIGKILL trials')
    parser.add_argument('--groups', type=int, default=20, help='groups through sio-workersd')
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix='sio-bench-fleet-')
    os.makedirs(os.path.join(work, 'ft'))
    hello = build('hello', work)
    with open(os.path.join(work, 'in'), 'w') as f:
        f.write('2 3\n')
    with open(os.path.join(work, 'hint'), 'w') as f:
        f.write('5\n')
    with rabbitmq_node(os.path.join(work, 'rabbitmq')) as broker, \
            servers.redis_server() as redis, \
            servers.filetracker_server(os.path.join(work, 'ft')) as ft_url:
        bench = Bench(work, broker.url, redis.rsplit('/', 1)[0] + '/2', ft_url)
        from filetracker.client import Client

        uploader = Client(remote_url=ft_url, cache_dir=os.path.join(work, 'uploader'))
        versioned = {}
        for name, path in (('exe', hello), ('in', os.path.join(work, 'in')),
                           ('hint', os.path.join(work, 'hint'))):
            versioned[name] = uploader.put_file(f'/bench/{name}', path, to_local_store=False)
        os.chmod(hello, 0o755)

        def ping(i):
            return {'job_type': 'ping', 'ping': i}

        def local_exec(i):
            return {'job_type': 'exec', 'exe_file': hello, 'in_file': os.path.join(work, 'in'),
                    'hint_file': os.path.join(work, 'hint'), 'check_output': True,
                    'use_filetracker': False}

        def ft_exec(i):
            return {'job_type': 'exec', 'exe_file': versioned['exe'],
                    'in_file': versioned['in'], 'hint_file': versioned['hint'],
                    'check_output': True}

        def ft_exec_unversioned(i):
            return {'job_type': 'exec', 'exe_file': '/bench/exe', 'in_file': '/bench/in',
                    'hint_file': '/bench/hint', 'check_output': True}

        kinds = {'ping': ping, 'exec, local files': local_exec, 'exec, Filetracker': ft_exec,
                 'exec, Filetracker, unversioned': ft_exec_unversioned}
        bench.start('w1', '--concurrency', '2')
        for make in kinds.values():  # warm-up: caches, pools
            bench.throughput(make, 10)
        rates = {k: [] for k in kinds}
        for r in range(args.rounds):
            names = list(kinds)
            for name in names[r % len(names):] + names[:r % len(names)]:
                rates[name].append(bench.throughput(kinds[name], args.jobs))
        bench.stop('w1')

        delays = []
        bench.start('k1', '--pool', 'solo')
        bench.start('k2', '--pool', 'solo')
        for _ in range(args.kills):
            started = os.path.join(work, f'started-{uuid.uuid4().hex}')
            job = submit({'job_type': 'test-slow', 'seconds': 2, 'started_log': started,
                          'done_log': os.path.join(work, 'done')}, app=bench.app, wait=False)
            while not os.path.exists(started):
                time.sleep(0.01)
            with open(started) as f:
                pid = int(f.read().split()[0])
            victim = next(n for n, p in bench.workers.items() if p.pid == pid)
            os.kill(pid, signal.SIGKILL)
            killed = time.monotonic()
            while True:
                with open(started) as f:
                    if len(f.read().split()) >= 2:
                        break
                time.sleep(0.005)
            delays.append(time.monotonic() - killed)
            job.get(timeout=60)
            bench.workers.pop(victim).wait()
            bench.start(victim, '--pool', 'solo')
        # The daemon's workers run the default pool (prefork), one slot
        # each: Celery's solo pool takes a job from the broker about every
        # 2 s once its queue runs low (50 ping jobs/s here against 300).
        for name in list(bench.workers):
            bench.stop(name)
        bench.start('d1', '--concurrency', '1')
        bench.start('d2', '--concurrency', '1')
        daemon_rates = {}
        for kind, make in (('ping', ping), ('exec, local files', local_exec)):
            daemon_rates[kind] = workersd_rates(bench, work, broker.url,
                                                redis.rsplit('/', 1)[0] + '/2', make,
                                                args.groups, 10)
        for name in list(bench.workers):
            bench.stop(name)
        bench.app.close()

    local = statistics.median(rates['exec, local files'])
    rows = [[k, f'{statistics.median(v):.1f}', f'{min(v):.1f}-{max(v):.1f}',
             f'{local / statistics.median(v):.2f}x' if k.startswith('exec') else '']
            for k, v in rates.items()]
    print(f'Throughput, one worker with 2 slots, {args.jobs} jobs x {args.rounds} rounds:')
    print(table(['jobs', 'jobs/s (median)', 'range', 'slowdown vs local'], rows))
    ft_ratio = local / statistics.median(rates['exec, Filetracker'])
    print(f'\nFiletracker exec vs local-file exec: {ft_ratio:.2f}x (target <= 1.5x)')
    print(f'SIGKILL -> redelivery: median {statistics.median(delays):.3f} s, max '
          f'{max(delays):.3f} s over {len(delays)} kills (target <= 2 s)')
    print(f'\nThrough sio-workersd ({args.groups} groups of 10 jobs, sync_run_group from 4 '
          f'clients, two one-slot workers) vs runner.run in one process:')
    print(table(['jobs', 'groups/s', 'jobs/s', 'in process jobs/s', 'ratio'],
                [[k, f'{g:.2f}', f'{j:.1f}', f'{p:.1f}', f'{p / j:.2f}x']
                 for k, (g, j, p) in daemon_rates.items()]))
    return 0 if ft_ratio <= 1.5 and max(delays) <= 2 else 1


if __name__ == '__main__':
    sys.exit(main())
