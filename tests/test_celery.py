import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from sio.celery.app import make_app
from sio.celery.worker import default_filetracker_url

import servers

WORKER = os.path.join(os.path.dirname(sys.executable), 'sio-celery-worker')


def test_task_in_eager_mode():
    app = make_app('memory://')
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    from sio.celery.job import sioworkers_job

    with app.connection_for_write():
        result = sioworkers_job.apply(args=({'job_type': 'ping', 'ping': 'e'},))
    env = result.get()
    assert env['pong'] == 'e' and env['result'] == 'SUCCESS'
    failed = sioworkers_job.apply(args=({'job_type': 'test-boom'},)).get()
    assert failed['result'] == 'FAILURE'


def test_default_config_is_celery5_json_late_ack():
    app = make_app('memory://')
    assert make_app().conf.broker_url.startswith('amqp://')  # RabbitMQ by default
    conf = app.conf
    assert conf.result_backend.startswith('redis://')
    assert conf.broker_transport_options['confirm_publish'] is True
    [queue] = conf.task_queues
    assert queue.durable and queue.queue_arguments == {'x-max-priority': 10}
    assert conf.task_default_delivery_mode == 'persistent'
    assert conf.task_acks_late is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_serializer == 'json' and list(conf.accept_content) == ['json']
    assert conf.task_default_queue == 'sioworkers'


def test_filetracker_url_defaults_to_broker_host():
    assert default_filetracker_url('redis://broker.example:6379/0') == \
        'http://broker.example:9999'
    assert default_filetracker_url('amqp://u:p@10.0.0.5//') == 'http://10.0.0.5:9999'
    assert default_filetracker_url('memory://') is None


class Workers:
    def __init__(self, broker, tmp_path):
        self.broker = broker
        self.procs = {}
        self.env = servers.scripts_env(CELERY_RESULT_BACKEND=broker,
                                       SIO_CELERY_VISIBILITY_TIMEOUT='3')
        self.tmp_path = tmp_path

    def start(self, name):
        log = open(self.tmp_path / f'{name}.log', 'wb')
        proc = subprocess.Popen(
            [WORKER, self.broker, '--pool', 'solo', '-n', f'{name}@127.0.0.1',
             '--without-gossip', '--without-mingle', '-l', 'INFO'],
            env=self.env, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True)
        self.procs[name] = proc
        return proc

    def stop_all(self):
        for proc in self.procs.values():
            servers.stop(proc, timeout=15)


@pytest.fixture
def celery_setup(redis_url, tmp_path, monkeypatch):
    monkeypatch.setenv('CELERY_RESULT_BACKEND', redis_url)
    monkeypatch.setenv('SIO_CELERY_VISIBILITY_TIMEOUT', '3')
    app = make_app(redis_url)
    workers = Workers(redis_url, tmp_path)
    try:
        for name in ('w1', 'w2'):
            workers.start(name)
        names = {'w1@127.0.0.1', 'w2@127.0.0.1'}
        servers.wait_until(
            lambda: names <= {k for r in (app.control.ping(timeout=0.5) or []) for k in r},
            60, 'two Celery workers')
        yield app, workers
    finally:
        workers.stop_all()
        app.close()


def submit(app, env):
    return app.send_task('sio.celery.job.sioworkers_job', args=(env,), queue='sioworkers')


@pytest.mark.slow
def test_two_workers_answer_50_pings(celery_setup):
    app, _ = celery_setup
    results = [submit(app, {'job_type': 'ping', 'ping': i}) for i in range(50)]
    answers = [r.get(timeout=60) for r in results]
    assert [a['pong'] for a in answers] == list(range(50))
    assert all(a['result'] == 'SUCCESS' for a in answers)
    assert {a['worker'] for a in answers}


@pytest.mark.slow
def test_killed_worker_job_is_redelivered_and_answered_once(celery_setup, tmp_path):
    app, workers = celery_setup
    done_log = tmp_path / 'done.log'
    started_log = tmp_path / 'started.log'
    tag = uuid.uuid4().hex
    result = submit(app, {'job_type': 'test-slow', 'seconds': 2, 'done_log': str(done_log),
                          'started_log': str(started_log), 'tag': tag})
    servers.wait_until(lambda: started_log.exists(), 30, 'the slow job to start')
    first_pid = int(started_log.read_text().split()[0])
    victim = [name for name, p in workers.procs.items() if p.pid == first_pid]
    assert victim, 'the job must run in one of the two workers'
    os.kill(first_pid, signal.SIGKILL)
    workers.procs[victim[0]].wait(timeout=10)

    env = result.get(timeout=90)
    assert env['result'] == 'SUCCESS' and env['slept'] is True
    pids = [int(line.split()[0]) for line in started_log.read_text().splitlines()]
    assert len(pids) == 2 and pids[1] != first_pid, 'redelivered to the other worker'
    time.sleep(4)  # a second visibility timeout: no third delivery
    assert done_log.read_text().splitlines() == [tag]


def test_seed_style_config_with_a_stock_celery_worker(redis_url, tmp_path):
    """The seed documents ``from sio.celery.default_config import *`` then
    ``BROKER_URL = ...`` in a celeryconfig.py for a stock ``celery worker``."""
    from celery import Celery

    broker = redis_url.rsplit('/', 1)[0] + '/5'
    (tmp_path / 'celeryconfig.py').write_text(
        'from sio.celery.default_config import *\n'
        f'BROKER_URL = {broker!r}\n'
        f'CELERY_RESULT_BACKEND = {broker!r}\n')
    celery = os.path.join(os.path.dirname(sys.executable), 'celery')
    log = open(tmp_path / 'worker.log', 'wb')
    worker = subprocess.Popen([celery, 'worker', '--pool', 'solo', '-l', 'INFO',
                               '--without-gossip', '--without-mingle'],
                              cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                              env=servers.scripts_env(), start_new_session=True)
    try:
        client = Celery(broker=broker, backend=broker)
        result = client.send_task('sio.celery.job.sioworkers_job',
                                  args=({'job_type': 'ping', 'ping': 'seed'},),
                                  queue='sioworkers')
        env = result.get(timeout=60)
        assert (env['result'], env['pong']) == ('SUCCESS', 'seed')
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        log.close()


def test_config_styles_set_the_broker(tmp_path, monkeypatch):
    from celery import Celery

    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / 'seedstyle.py').write_text(
        'from sio.celery.default_config import *\nBROKER_URL = "amqp://seed//"\n')
    (tmp_path / 'newstyle.py').write_text(
        'from sio.celery.default_config import *\nbroker_url = "amqp://new//"\n')
    for module, url in (('seedstyle', 'amqp://seed//'), ('newstyle', 'amqp://new//')):
        app = Celery()
        app.config_from_object(module)
        assert app.conf.broker_url == url
        assert app.conf.task_acks_late is True and app.conf.task_default_queue == 'sioworkers'
