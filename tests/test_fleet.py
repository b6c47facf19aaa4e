"""The fleet on RabbitMQ: real rabbitmq-server, Redis for results and
sio-celery-worker processes, all on 127.0.0.1; faults are real SIGKILLs."""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from sio.celery.app import make_app
from sio.celery.submit import priority_of, submit

import servers

WORKER = os.path.join(os.path.dirname(sys.executable), 'sio-celery-worker')
FLEET = os.path.join(os.path.dirname(sys.executable), 'sio-fleet')

pytestmark = pytest.mark.slow


class Fleet:
    """Workers on one broker; each a real sio-celery-worker process."""

    def __init__(self, broker_url, results_url, tmp_path):
        self.broker_url = broker_url
        self.tmp_path = tmp_path
        self.procs: dict[str, subprocess.Popen] = {}
        self.machine_dir = tmp_path / 'machine'
        self.env = servers.scripts_env(CELERY_RESULT_BACKEND=results_url,
                                       SIO_MACHINE_DIR=str(self.machine_dir))
        self.app = make_app(broker_url)
        self.app.conf.result_backend = results_url

    def start(self, name, *options, env=None):
        log = open(self.tmp_path / f'{name}.log', 'wb')
        proc = subprocess.Popen(
            [WORKER, self.broker_url, '-n', f'{name}@127.0.0.1', '--without-gossip',
             '--without-mingle', '-l', 'INFO', *(options or ('--pool', 'solo'))],
            env=dict(self.env, **(env or {})), stdout=log, stderr=log,
            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.procs[name] = proc
        servers.wait_until(lambda: self.answering({f'{name}@127.0.0.1'}), 60,
                           f'worker {name}', proc)
        return proc

    def answering(self, names) -> bool:
        try:
            # A connection of its own each time: a pooled one may be to a
            # broker that was killed and restarted since.
            with self.app.connection_for_write() as connection:
                replies = self.app.control.ping(timeout=0.5, connection=connection) or []
        except OSError:
            return False
        return set(names) <= {k for r in replies for k in r}

    def log(self, name) -> str:
        return (self.tmp_path / f'{name}.log').read_text(errors='replace')

    def stop_all(self):
        for proc in self.procs.values():
            servers.stop(proc, timeout=15)
        self.app.close()


@pytest.fixture(scope='module')
def rabbitmq(tmp_path_factory):
    with servers.rabbitmq_server(str(tmp_path_factory.mktemp('rabbitmq'))) as broker:
        yield broker


def _purge(app):
    with app.connection_for_write() as conn:
        from sio.celery.default_config import task_queues

        task_queues[0](conn.default_channel).declare()
        conn.default_channel.queue_purge('sioworkers')


@pytest.fixture
def fleet(rabbitmq, redis_url, tmp_path):
    results = redis_url.rsplit('/', 1)[0] + '/3'
    fleet = Fleet(rabbitmq.url, results, tmp_path)
    _purge(fleet.app)
    try:
        yield fleet
    finally:
        fleet.stop_all()


def slow_job(tmp_path, seconds, tag=None, **extra):
    return {'job_type': 'test-slow', 'seconds': seconds, 'tag': tag or uuid.uuid4().hex,
            'done_log': str(tmp_path / 'done.log'), 'started_log': str(tmp_path / 'started.log'),
            **extra}


def lines(path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_worker_sigkill_job_redelivered_at_once_and_answered_once(fleet, tmp_path):
    fleet.start('w1')
    fleet.start('w2')
    pending = submit(slow_job(tmp_path, 3), app=fleet.app, wait=False)
    servers.wait_until(lambda: lines(tmp_path / 'started.log'), 30, 'the job to start')
    first_pid = int(lines(tmp_path / 'started.log')[0])
    victim = next(n for n, p in fleet.procs.items() if p.pid == first_pid)
    os.kill(first_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    servers.wait_until(lambda: len(lines(tmp_path / 'started.log')) == 2, 10,
                       'the job to be redelivered')
    redelivery = time.monotonic() - killed_at
    env = pending.get(timeout=60)
    assert env['result'] == 'SUCCESS' and env['slept'] is True
    pids = [int(p) for p in lines(tmp_path / 'started.log')]
    assert pids[1] != first_pid and victim not in env['worker']
    assert redelivery < 2.0, f'redelivered after {redelivery:.2f} s'
    time.sleep(1)
    assert len(lines(tmp_path / 'done.log')) == 1, 'answered exactly once'


def test_job_longer_than_any_timeout_runs_once(fleet, tmp_path):
    """No visibility timeout with RabbitMQ (its consumer timeout is above
    the longest job): a long job is never handed to the idle worker."""
    fleet.start('w1', env={'SIO_CELERY_VISIBILITY_TIMEOUT': '2'})
    fleet.start('w2', env={'SIO_CELERY_VISIBILITY_TIMEOUT': '2'})
    env = submit(slow_job(tmp_path, 8), app=fleet.app, timeout=60)
    assert env['result'] == 'SUCCESS'
    time.sleep(2)
    assert len(lines(tmp_path / 'started.log')) == 1
    assert len(lines(tmp_path / 'done.log')) == 1


def test_broker_killed_and_restarted_loses_and_repeats_nothing(redis_url, tmp_path):
    """kill -9 of RabbitMQ mid-run, then a restart: every job it accepted
    is done, none twice (done.log counts completions)."""
    results = redis_url.rsplit('/', 1)[0] + '/4'
    with servers.rabbitmq_server(str(tmp_path / 'broker')) as broker:
        fleet = Fleet(broker.url, results, tmp_path)
        try:
            fleet.start('w1')
            fleet.start('w2')
            tags = [f'job{i}' for i in range(40)]
            pending = [submit(slow_job(tmp_path, 0.25, tag), app=fleet.app, wait=False)
                       for tag in tags]
            servers.wait_until(lambda: len(lines(tmp_path / 'done.log')) >= 8, 60,
                               'some jobs to be done')
            broker.kill9()
            time.sleep(1)
            broker.start()
            answers = [p.get(timeout=180) for p in pending]
        finally:
            fleet.stop_all()
    assert [a['tag'] for a in answers] == tags
    done = lines(tmp_path / 'done.log')
    assert sorted(done) == sorted(tags), (
        f'lost: {sorted(set(tags) - set(done))}, '
        f'twice: {sorted(t for t in set(done) if done.count(t) > 1)}')


def test_high_priority_job_overtakes_the_queue(fleet, tmp_path):
    fleet.start('w1')
    low = [submit(slow_job(tmp_path, 0.1, f'low{i}', task_priority=0), app=fleet.app,
                  wait=False) for i in range(30)]
    high = submit(slow_job(tmp_path, 0.1, 'high', contest_priority=50), app=fleet.app,
                  wait=False)
    high.get(timeout=60)
    for p in low:
        p.get(timeout=60)
    order = lines(tmp_path / 'done.log')
    assert order.index('high') <= 3, order


def test_priority_levels():
    assert priority_of({}) == 4
    assert priority_of({'priority': 12}) == 9 and priority_of({'priority': -1}) == 0
    assert priority_of({'contest_priority': 30}) == 6
    assert priority_of({'contest_priority': 0, 'task_priority': 5}) == 4
    assert priority_of({'contest_priority': 1000}) == 8


def test_wall_clock_jobs_run_alone_on_their_machine(fleet, tmp_path):
    """A worker with two slots runs ordinary jobs two at a time, but an
    exclusive (wall-clock) job alone, whatever the other worker does."""
    fleet.start('w1', '--pool', 'prefork', '--concurrency', '2')
    fleet.start('w2', '--pool', 'solo')
    spans = tmp_path / 'spans.log'
    jobs = [{'job_type': 'test-span', 'seconds': 0.6, 'log': str(spans), 'name': f'x{i}',
             'exclusive': True} for i in range(3)]
    jobs += [{'job_type': 'test-span', 'seconds': 0.6, 'log': str(spans), 'name': f's{i}'}
             for i in range(6)]
    pending = [submit(j, app=fleet.app, wait=False) for j in jobs]
    for p in pending:
        assert p.get(timeout=120)['result'] == 'SUCCESS'
    intervals = {}
    for line in lines(spans):
        name, start, end = line.split()
        intervals[name] = (float(start), float(end))
    for name, (start, end) in intervals.items():
        if not name.startswith('x'):
            continue
        overlapping = [other for other, (s, e) in intervals.items()
                       if other != name and s < end and start < e]
        assert not overlapping, f'{name} shared the machine with {overlapping}'
    shared = [v for k, v in intervals.items() if k.startswith('s')]
    assert any(s1 < e2 and s2 < e1 for i, (s1, e1) in enumerate(shared)
               for (s2, e2) in shared[i + 1:]), 'ordinary jobs ran concurrently'


def test_worker_hygiene(fleet, tmp_path):
    abandoned = tmp_path / 'tmp'
    abandoned.mkdir()
    dead = abandoned / 'sio-job-4194000-left'  # a pid no process has
    dead.mkdir()
    fleet.start('w1', env={'TMPDIR': str(abandoned), 'FILETRACKER_URL': 'http://127.0.0.1:9'})
    fleet.start('w2', env={'TMPDIR': str(abandoned)})
    assert not dead.exists(), 'a dead worker\'s job directory is removed at start'
    log = fleet.log('w1')
    assert 'Filetracker http://127.0.0.1:9' in log and '1 abandoned job directories' in log
    answers = [submit({'job_type': 'ping', 'ping': i}, app=fleet.app, wait=False)
               for i in range(12)]
    names = {a.get(timeout=60)['worker'] for a in answers}
    assert len(names) == 2, names  # one name per worker process
    failed = submit({'job_type': 'test-boom'}, app=fleet.app, wait=False)
    env = failed.get(timeout=60)
    assert env['result'] == 'FAILURE'
    servers.wait_until(lambda: failed.id in fleet.log('w1') + fleet.log('w2'), 10, 'its log')
    text = fleet.log('w1') + fleet.log('w2')
    failure_lines = [line for line in text.splitlines() if failed.id in line]
    assert any('job failed: task=' in line and 'result=FAILURE' in line and 'ERROR' in line
               for line in failure_lines), failure_lines
    assert not any('succeeded' in line for line in failure_lines), failure_lines
    assert any('job done: task=' in line and 'job_type=ping' in line
               and 'duration=' in line for line in text.splitlines())


def test_fleet_status_lists_workers_jobs_and_queue(fleet, tmp_path):
    # prefork: the worker's main process answers while a child runs the job
    fleet.start('w1', '--pool', 'prefork', '--concurrency', '1')
    running = submit(slow_job(tmp_path, 8), app=fleet.app, wait=False)
    waiting = [submit(slow_job(tmp_path, 0.1), app=fleet.app, wait=False) for _ in range(3)]
    servers.wait_until(lambda: lines(tmp_path / 'started.log'), 30, 'the job to start')
    env = dict(fleet.env, CELERY_BROKER_URL=fleet.broker_url)
    out = subprocess.run([FLEET, 'status', '--json'], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    [worker] = data['workers']
    assert data['consumers'] == 1
    assert data['waiting'] + worker['reserved'] == 3, data
    assert worker['name'] == 'w1@127.0.0.1'
    assert [j['task_id'] for j in worker['running']] == [running.id]
    assert worker['running'][0]['job_type'] == 'test-slow'
    text = subprocess.run([FLEET, 'status'], env=env, capture_output=True, text=True,
                          timeout=60).stdout
    assert 'w1@127.0.0.1' in text and '3 waiting' in text
    for p in [running, *waiting]:
        p.get(timeout=60)


def test_bad_broker_urls_are_one_line_errors():
    for argv in ([WORKER, 'notaurl://x'], [FLEET, 'status', '--broker', 'nope://']):
        out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        assert out.returncode == 2, out
        assert len(out.stderr.strip().splitlines()) == 1 and 'Traceback' not in out.stderr
    help_text = subprocess.run([WORKER, '--help'], capture_output=True, text=True, timeout=60)
    assert help_text.returncode == 0 and 'CELERY_RESULT_BACKEND' in help_text.stdout


def test_results_outlive_the_client(fleet, tmp_path):
    """A client that submitted and went away: a new one (another process)
    gets the result by task id from the result backend."""
    fleet.start('w1')
    task_id = submit({'job_type': 'ping', 'ping': 'later'}, app=fleet.app, wait=False).id
    fleet.app.close()
    code = ('import sys; from celery import Celery; '
            'app = Celery(broker=sys.argv[1], backend=sys.argv[2]); '
            'print(app.AsyncResult(sys.argv[3]).get(timeout=60)["pong"])')
    out = subprocess.run([sys.executable, '-c', code, fleet.broker_url,
                          fleet.env['CELERY_RESULT_BACKEND'], task_id],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == 'later', out.stderr


def test_sio_judge_on_the_fleet_gives_the_local_table(fleet, filetracker_url, tmp_path):
    """sio-judge --fleet: the same package judged by two workers, its files
    through Filetracker, gives the table and scores a local run gives."""
    import shutil

    judge = os.path.join(os.path.dirname(sys.executable), 'sio-judge')
    package = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'judge_packages',
                           'rules')
    fleet.start('w1')
    fleet.start('w2')
    results = {}
    for where, extra in (('local', []), ('fleet', ['--fleet', fleet.broker_url,
                                                   '--filetracker', filetracker_url])):
        copy = tmp_path / where
        shutil.copytree(package, copy)
        report = tmp_path / f'{where}.json'
        out = subprocess.run([judge, str(copy), '--mode', 'jail', '--cpus', '2', '--json',
                              str(report), *extra], capture_output=True, text=True,
                             timeout=600, env=fleet.env)
        assert out.returncode == 0, out.stdout + out.stderr
        data = json.loads(report.read_text())
        results[where] = {n: (s['total'], {g: (r['status'], r['points'])
                                           for g, r in s['groups'].items()})
                          for n, s in data['solutions'].items()}
        if where == 'fleet':
            assert 'on the fleet' in out.stdout
    assert results['fleet'] == results['local']
    # Both workers judged.
    assert 'sio2jail-exec' in fleet.log('w1') and 'sio2jail-exec' in fleet.log('w2')
    bad = subprocess.run([judge, package, '--fleet', 'amqp://127.0.0.1:1//'],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and 'Traceback' not in bad.stderr
    assert bad.stderr.startswith('sio-judge: --fleet: ') and len(bad.stderr.splitlines()) == 1


def test_worker_says_at_start_what_does_not_answer(fleet):
    """A Filetracker server that does not answer when a worker starts is a
    line in its log (the jobs that need it would fail), not silence."""
    fleet.start('w1', env={'FILETRACKER_URL': 'http://127.0.0.1:1'})
    log = fleet.log('w1')
    assert 'the Filetracker server http://127.0.0.1:1 does not answer' in log
    assert 'the broker' not in log.split('abandoned job directories removed')[1][:200]


def test_filetracker_outage_is_not_the_jobs_failure(fleet, tmp_path, programs):
    """The Filetracker server killed while jobs need files from it, back
    after 3 s: the jobs wait for it and succeed, none is a FAILURE."""
    from filetracker.client import Client

    node = servers.FiletrackerNode(str(tmp_path))
    node.start()
    try:
        uploader = Client(remote_url=node.url, local_store=None)
        hint = tmp_path / 'hint'
        hint.write_text('5\n')
        data = tmp_path / 'in'
        data.write_text('2 3\n')
        files = {key: uploader.put_file(f'/ft-outage/{key}', str(path), to_local_store=False)
                 for key, path in (('exe', programs['hello']), ('in', data), ('hint', hint))}
        fleet.env['FILETRACKER_DIR'] = str(tmp_path / 'ft-cache')
        fleet.start('w1')
        node.kill9()
        pending = [submit({'job_type': 'exec', 'exe_file': files['exe'],
                           'in_file': files['in'], 'hint_file': files['hint'],
                           'check_output': True, 'filetracker_url': node.url,
                           'tag': i}, app=fleet.app, wait=False) for i in range(3)]
        time.sleep(3)
        node.start()
        answers = [p.get(timeout=120) for p in pending]
    finally:
        node.stop()
    assert [(a['result'], a.get('result_code')) for a in answers] == [('SUCCESS', 'OK')] * 3, \
        [a.get('exception') for a in answers]
    assert 'Filetracker does not answer' in fleet.log('w1')
