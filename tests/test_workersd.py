"""sio-workersd as OIOIOI's SioworkersdBackend uses it: real RabbitMQ, Redis,
Filetracker, two sio-celery-workers and the daemon, all on 127.0.0.1; the
client is xmlrpc.client.ServerProxy with json.dumps arguments."""

import contextlib
import email
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
import xmlrpc.client

import pytest
from test_fleet import Fleet, lines

import servers

WORKERSD = os.path.join(os.path.dirname(sys.executable), 'sio-workersd')

pytestmark = pytest.mark.slow


class Daemon:
    def __init__(self, broker_url, results_url, tmp_path, *extra):
        self.port = servers.free_port()
        self.url = f'http://127.0.0.1:{self.port}/'
        self.args = [WORKERSD, '--port', str(self.port), '--broker', broker_url,
                     '--results', results_url, '--database', str(tmp_path / 'workersd.db'),
                     '--retry-delay', '0.3', '--window', '8', *extra]
        self.log_path = tmp_path / 'workersd.log'
        self.proc = None
        self.killed_at = []  # time.monotonic() of each kill -9

    def start(self):
        log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(self.args, stdout=log, stderr=log,
                                     env=servers.scripts_env(), start_new_session=True)
        log.close()
        servers.wait_until(self.answers, 30, 'sio-workersd', self.proc)

    def answers(self):
        try:
            self.client().get_queue()
            return True
        except OSError:
            return False

    def client(self):
        return xmlrpc.client.ServerProxy(self.url, allow_none=True)

    def kill9(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.killed_at.append(time.monotonic())

    def stop(self):
        if self.proc is not None:
            servers.stop(self.proc)

    def log(self):
        return self.log_path.read_text(errors='replace')


class ReturnServer:
    """OIOIOI's side of run_group: receives the POSTed groups (multipart
    field 'data'); answers 500 to the first ``fail_first`` posts."""

    def __init__(self, fail_first=0):
        self.groups = []
        self.arrived = []  # time.monotonic() of each group's arrival
        self.attempts = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers['Content-Length']))
                outer.attempts += 1
                if outer.attempts <= fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                message = email.message_from_bytes(
                    b'Content-Type: ' + self.headers['Content-Type'].encode() + b'\r\n\r\n'
                    + body)
                fields = {part.get_param('name', header='content-disposition'):
                          part.get_payload(decode=True) for part in message.get_payload()}
                outer.groups.append(json.loads(fields['data']))
                outer.arrived.append(time.monotonic())
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}/'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope='module')
def farm(tmp_path_factory, redis_url, filetracker_url):
    tmp = tmp_path_factory.mktemp('farm')
    results = redis_url.rsplit('/', 1)[0] + '/6'
    with servers.rabbitmq_server(str(tmp / 'rabbitmq')) as broker:
        fleet = Fleet(broker.url, results, tmp)
        fleet.env['FILETRACKER_URL'] = filetracker_url
        fleet.env['FILETRACKER_DIR'] = str(tmp / 'ft-cache')
        daemon = Daemon(broker.url, results, tmp, '--max-task-ram', '2048')
        try:
            fleet.start('w1')
            fleet.start('w2')
            daemon.start()
            yield fleet, daemon
        finally:
            daemon.stop()
            fleet.stop_all()


def slow(tmp_path, seconds, tag, **extra):
    return {'job_type': 'test-slow', 'seconds': seconds, 'tag': tag,
            'done_log': str(tmp_path / 'done.log'), 'started_log': str(tmp_path / 'started.log'),
            **extra}


def test_sync_group_compiles_then_runs(farm, tmp_path, filetracker_url):
    from filetracker.client import Client

    fleet, daemon = farm
    source = tmp_path / 'sum.c'
    source.write_text('#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);'
                      'printf("%ld\\n",a+b);return 0;}\n')
    uploader = Client(remote_url=filetracker_url, cache_dir=str(tmp_path / 'up'))
    tag = uuid.uuid4().hex
    src = uploader.put_file(f'/wd-{tag}/sum.c', str(source), to_local_store=False)
    server = daemon.client()
    compiled = server.sync_run_group(json.dumps({'workers_jobs': {'compile': {
        'job_type': 'compile', 'source_file': src, 'out_file': f'/wd-{tag}/sum',
        'compiler': 'system-gcc'}}}))
    assert 'error' not in compiled, compiled.get('error')
    assert compiled['group_id'].startswith('GROUP_urn:uuid:')
    result = compiled['workers_jobs.results']['compile']
    assert result['result_code'] == 'OK', result
    assert result['task_id'].startswith('urn:uuid:') and result['group_id'] == \
        compiled['group_id']
    tests = {}
    for i in range(4):
        for kind, text in (('in', f'{i} {i}\n'), ('out', f'{2 * i}\n')):
            path = tmp_path / f'{i}.{kind}'
            path.write_text(text)
            tests[i, kind] = uploader.put_file(f'/wd-{tag}/{i}.{kind}', str(path),
                                               to_local_store=False)
    jobs = {f'test{i}': {'job_type': 'exec', 'exe_file': result['out_file'],
                         'in_file': tests[i, 'in'], 'hint_file': tests[i, 'out'],
                         'check_output': True, 'exec_time_limit': 1000,
                         'exec_mem_limit': 65536} for i in range(4)}
    ran = server.sync_run_group(json.dumps({'workers_jobs': jobs}))
    assert 'error' not in ran, ran.get('error')
    assert {n: r['result_code'] for n, r in ran['workers_jobs.results'].items()} == \
        {f'test{i}': 'OK' for i in range(4)}
    workers = {r['worker'] for r in ran['workers_jobs.results'].values()}
    assert workers and all(w.startswith(('w1@', 'w2@')) for w in workers)
    assert 'job urn:uuid:' in daemon.log() and 'judged: 4 jobs, all succeeded' in daemon.log()


def test_async_group_is_returned_despite_failing_posts(farm, tmp_path):
    fleet, daemon = farm
    receiver = ReturnServer(fail_first=2)
    try:
        jobs = {f'p{i}': {'job_type': 'ping', 'ping': i} for i in range(5)}
        group_id = daemon.client().run_group(json.dumps(
            {'workers_jobs': jobs, 'return_url': receiver.url, 'submission_id': 7}))
        assert group_id.startswith('GROUP_urn:uuid:')
        servers.wait_until(lambda: receiver.groups, 60, 'the group to be returned')
        [group] = receiver.groups
        assert receiver.attempts == 3
        assert group['group_id'] == group_id and group['submission_id'] == 7
        assert {n: r['pong'] for n, r in group['workers_jobs.results'].items()} == \
            {f'p{i}': i for i in range(5)}
        assert 'retrying' in daemon.log()
    finally:
        receiver.close()


def test_bad_jobs_make_the_group_an_error(farm):
    fleet, daemon = farm
    server = daemon.client()
    ans = server.sync_run_group(json.dumps({'workers_jobs': {
        'ok': {'job_type': 'ping', 'ping': 1}, 'bad': {'job_type': 'test-boom'}}}))
    assert 'Some tasks in a group failed' in ans['error']['message']
    assert 'boom' in ans['error']['message'] and 'traceback' in ans['error']
    assert ans['workers_jobs.results']['ok']['pong'] == 1
    huge = server.sync_run_group(json.dumps({'workers_jobs': {
        'big': {'job_type': 'exec', 'exec_mem_limit': 4 << 20}}}))
    assert 'more than the maximum of 2048 MiB' in huge['error']['message']
    with pytest.raises(xmlrpc.client.Fault):
        server.run_group(json.dumps({'workers_jobs': {'x': {'job_type': 'ping'}}}))


def test_worker_killed_mid_group(farm, tmp_path):
    fleet, daemon = farm
    tags = [f't{i}' for i in range(6)]
    answer = {}
    caller = threading.Thread(target=lambda: answer.update(daemon.client().sync_run_group(
        json.dumps({'workers_jobs': {t: slow(tmp_path, 1.0, t) for t in tags}}))))
    caller.start()
    servers.wait_until(lambda: len(lines(tmp_path / 'started.log')) >= 2, 30, 'jobs to start')
    victim_pid = int(lines(tmp_path / 'started.log')[0])
    victim = next(n for n, p in fleet.procs.items() if p.pid == victim_pid)
    os.kill(victim_pid, signal.SIGKILL)
    fleet.procs.pop(victim).wait()
    caller.join(120)
    fleet.start(victim)
    assert 'error' not in answer, answer.get('error')
    assert sorted(answer['workers_jobs.results']) == tags
    assert sorted(lines(tmp_path / 'done.log')) == tags, 'each job done once'


def test_daemon_restart_mid_group_resumes(farm, tmp_path):
    fleet, daemon = farm
    receiver = ReturnServer()
    try:
        tags = [f'r{i}' for i in range(10)]
        daemon.client().run_group(json.dumps({
            'workers_jobs': {t: slow(tmp_path, 0.5, t) for t in tags},
            'return_url': receiver.url}))
        servers.wait_until(lambda: len(lines(tmp_path / 'done.log')) >= 3, 60, 'some jobs')
        daemon.kill9()
        time.sleep(0.5)
        daemon.start()
        servers.wait_until(lambda: receiver.groups, 90, 'the resumed group to be returned')
        time.sleep(1)
        [group] = receiver.groups
        assert sorted(group['workers_jobs.results']) == tags
        assert sorted(lines(tmp_path / 'done.log')) == tags, 'no job done twice'
        assert 'resumed' in daemon.log()
    finally:
        receiver.close()


def test_high_priority_group_overtakes_200_low_ones(farm, tmp_path):
    fleet, daemon = farm
    receiver = ReturnServer()
    server = daemon.client()
    try:
        # Shaped as OIOIOI's SioworkersdBackend sends them: the contest and
        # its priority on the group, not on the jobs.
        for i in range(200):
            server.run_group(json.dumps({
                'workers_jobs': {'j': slow(tmp_path, 0.1, f'low{i}')},
                'oioioi_instance': 'site', 'contest_id': 'big', 'contest_priority': 10,
                'contest_weight': 1, 'return_url': receiver.url, 'name': f'low{i}'}))
        queue = server.get_queue()
        assert len(queue) > 100 and all(j['contest_uid'] == 'site/big' for j in queue)
        returned_at_submission = len(receiver.groups)
        server.run_group(json.dumps({
            'workers_jobs': {'j': slow(tmp_path, 0.02, 'high')},
            'oioioi_instance': 'site', 'contest_id': 'urgent', 'contest_priority': 100,
            'contest_weight': 1, 'return_url': receiver.url, 'name': 'high'}))
        workers = server.get_workers()
        assert sorted(w['name'] for w in workers) == ['w1@127.0.0.1', 'w2@127.0.0.1']
        assert all({'name', 'info', 'tasks', 'is_running_cpu_exec'} <= set(w) for w in workers)
        # Answered from the last asking, not a broadcast per call (~3 s).
        started = time.monotonic()
        for _ in range(5):
            assert len(server.get_workers()) == 2
        assert time.monotonic() - started < 1.0
        servers.wait_until(lambda: any(g['name'] == 'high' for g in receiver.groups), 120,
                           'the high-priority group')
        returned_before = [g['name'] for g in receiver.groups].index('high')
        # Only the jobs already out in the fleet (the window: 8) may finish
        # between its submission and its result.
        assert returned_before - returned_at_submission <= 10, (
            f'{returned_before - returned_at_submission} low-priority groups finished first')
        assert 200 - returned_before >= 100, 'the queue was still long'
        servers.wait_until(lambda: len(receiver.groups) == 201, 180, 'every group')
    finally:
        receiver.close()


def test_results_are_noticed_without_polling(farm):
    """With Redis results, a job's result is taken in as it is stored (a
    subscription), not at the next reading of every outstanding result:
    here those readings are a minute apart."""
    from sio.celery.app import make_app
    from sio.workersd.dispatcher import Dispatcher

    _, daemon = farm
    broker = daemon.args[daemon.args.index('--broker') + 1]
    app = make_app(broker)
    app.conf.result_backend = daemon.args[daemon.args.index('--results') + 1]
    dispatcher = Dispatcher(app, window=4, full_poll_interval=60)
    dispatcher.start()
    try:
        servers.wait_until(dispatcher.notices_results, 10, 'the result subscription')
        jobs = {f'p{i}': {'job_type': 'ping', 'ping': str(i), 'task_id': f'urn:uuid:n{i}',
                          'group_id': 'N'} for i in range(6)}
        started = time.monotonic()
        group = dispatcher.add_group({'group_id': 'N', 'workers_jobs': jobs})
        assert group.done.wait(30), 'the group was not judged'
        assert time.monotonic() - started < 20
        assert {name: r['result'] for name, r in group.results.items()} == \
            {name: 'SUCCESS' for name in jobs}
        # Celery's own per-task result subscription (for result.get(),
        # whose messages nobody here would read) was never made.
        consumer = getattr(dispatcher._backend, 'result_consumer', None)
        assert consumer is not None and consumer._pubsub is None
    finally:
        dispatcher.stop()


def test_results_are_polled_where_they_cannot_be_subscribed_to(farm, caplog, monkeypatch):
    """A Redis that refuses the subscription still gives every result, read
    at each poll."""
    import redis

    from sio.celery.app import make_app
    from sio.workersd.dispatcher import Dispatcher

    _, daemon = farm
    app = make_app(daemon.args[daemon.args.index('--broker') + 1])
    app.conf.result_backend = daemon.args[daemon.args.index('--results') + 1]

    def refuse(self, *patterns, **_):
        raise redis.exceptions.ResponseError('pattern subscriptions refused')
    # For every Redis client of this process (the backend is per thread);
    # Celery's own result consumer subscribes to plain channels only.
    monkeypatch.setattr(redis.client.PubSub, 'psubscribe', refuse)
    dispatcher = Dispatcher(app, window=4, full_poll_interval=60)
    with caplog.at_level('WARNING', logger='sio.workersd.dispatcher'):
        dispatcher.start()
        try:
            jobs = {f'p{i}': {'job_type': 'ping', 'ping': str(i),
                              'task_id': f'urn:uuid:q{i}', 'group_id': 'Q'} for i in range(3)}
            group = dispatcher.add_group({'group_id': 'Q', 'workers_jobs': jobs})
            assert group.done.wait(30), 'the group was not judged'
            assert not dispatcher.notices_results()
        finally:
            dispatcher.stop()
    assert 'polling them' in caplog.text
    assert all(r['result'] == 'SUCCESS' for r in group.results.values())


def test_results_with_huge_integers_cross_xmlrpc(farm):
    fleet, daemon = farm
    ans = daemon.client().sync_run_group(json.dumps({'workers_jobs': {
        'p': {'job_type': 'ping', 'ping': 2**40, 'size_hint': 2**62}}}))
    assert ans['workers_jobs.results']['p']['pong'] == 2**40


def test_fair_queue_shares_between_contests():
    from sio.workersd.fairqueue import FairQueue

    queue = FairQueue()
    for i in range(1000):
        queue.push({'task_id': f'a{i}', 'contest_uid': 'A', 'contest_priority': 5})
    for i in range(10):
        queue.push({'task_id': f'b{i}', 'contest_uid': 'B', 'contest_priority': 5,
                    'task_priority': 1 if i == 9 else 0})
    order = [queue.pop()['task_id'] for _ in range(20)]
    assert sorted(t for t in order if t.startswith('b')) == [f'b{i}' for i in range(10)]
    assert order.index('b9') < order.index('b0'), 'task_priority first within a contest'
    queue.push({'task_id': 'c', 'contest_uid': 'C', 'contest_priority': 9})
    assert queue.pop()['task_id'] == 'c'
    heavy = FairQueue()
    for i in range(100):
        heavy.push({'task_id': f'h{i}', 'contest_uid': 'H', 'contest_weight': 3})
        heavy.push({'task_id': f'l{i}', 'contest_uid': 'L', 'contest_weight': 1})
    first = [heavy.pop()['task_id'][0] for _ in range(40)]
    assert first.count('h') == 30, 'shares follow contest_weight'


def test_command_line_errors_are_one_line(tmp_path):
    for args in (['--port', '70000'], ['--broker', 'nope://x'],
                 ['--database', str(tmp_path / 'missing' / 'x.db')]):
        out = subprocess.run([WORKERSD, *args], capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and 'Traceback' not in out.stderr, out.stderr
    help_text = subprocess.run([WORKERSD, '--help'], capture_output=True, text=True, timeout=60)
    assert help_text.returncode == 0 and '--max-task-ram' in help_text.stdout


def test_jobs_wait_while_the_broker_is_away():
    """A job the broker cannot take (it is down) stays in the daemon's queue
    to be sent later, instead of being lost."""
    from sio.celery.app import make_app
    from sio.workersd.dispatcher import Dispatcher

    app = make_app(f'amqp://guest:guest@127.0.0.1:{servers.free_port()}//')
    app.conf.broker_connection_max_retries = 0
    app.conf.task_publish_retry_policy = {'max_retries': 0}
    dispatcher = Dispatcher(app, window=4)
    dispatcher.add_group({'group_id': 'G', 'workers_jobs': {
        'j': {'job_type': 'ping', 'task_id': 'urn:uuid:t', 'group_id': 'G'}}})
    started = time.monotonic()
    dispatcher._release()
    assert time.monotonic() - started < 30
    assert [j['task_id'] for j in dispatcher.waiting()] == ['urn:uuid:t']
    assert dispatcher.in_fleet() == 0


def test_group_level_contest_applies_to_its_jobs():
    """As upstream's sioworkersd: OIOIOI names the contest and gives its
    priority and weight on the group; every job gets them."""
    from sio.workersd.server import Service
    service = Service.__new__(Service)
    service.max_task_ram_mib = 0
    env = service._prepare({'workers_jobs': {'a': {'job_type': 'ping', 'task_priority': 5},
                                             'b': {'job_type': 'ping',
                                                   'contest_priority': 1}},
                            'oioioi_instance': 'site', 'contest_id': 7,
                            'contest_priority': 100, 'contest_weight': 3})
    for job in env['workers_jobs'].values():
        assert (job['contest_uid'], job['contest_priority'], job['contest_weight']) == \
            ('site/7', 100, 3)
    assert env['workers_jobs']['a']['task_priority'] == 5
    # Without them on the group, the jobs' own stay.
    env = service._prepare({'workers_jobs': {'a': {'job_type': 'ping', 'contest_uid': 'x',
                                                   'contest_priority': 4}}})
    assert env['workers_jobs']['a']['contest_uid'] == 'x'
    assert env['workers_jobs']['a']['contest_priority'] == 4


@pytest.mark.parametrize('group, job, message', [
    ({'contest_priority': 'high'}, {}, 'contest_priority must be an integer'),
    ({'contest_weight': 0}, {}, 'contest_weight must be an integer from 1'),
    ({}, {'task_priority': 'urgent'}, "job 'a': task_priority must be an integer"),
    ({}, {'task_priority': 10 ** 40}, "job 'a': task_priority must be an integer"),
    ({}, {'task_priority': True}, "job 'a': task_priority must be an integer"),
    ({}, {'priority': 'urgent'}, "job 'a': priority must be an integer from 0 to 9"),
    ({}, {'priority': 1000}, "job 'a': priority must be an integer from 0 to 9"),
    ({}, {'job_type': 'no-such-job'}, "job 'a': unknown job_type 'no-such-job'"),
    ({}, {'job_type': ''}, "job 'a' has no 'job_type'"),
    ({}, {'exec_time_limit': 'fast'}, "job 'a': exec_time_limit must be a whole number"),
    ({}, {'exec_mem_limit': -1}, "job 'a': exec_mem_limit must be a whole number"),
    ({}, {'exec_mem_limit': 10 ** 30}, "job 'a': exec_mem_limit must be a whole number"),
])
def test_bad_jobs_are_refused_before_anything_runs(group, job, message):
    """A bad value fails its group at once (an XML-RPC fault for run_group,
    an error environ for sync_run_group): it never reaches the queue."""
    from sio.workersd.server import GroupRejected, Service
    service = Service.__new__(Service)
    service.max_task_ram_mib = 0
    service.job_types = {'ping', 'exec'}
    with pytest.raises(GroupRejected, match=message):
        service._prepare({'workers_jobs': {'a': {'job_type': 'ping', **job}}, **group})


def _documented_commands() -> list[str]:
    """The supervisord command= lines of docs/fleet.rst's OIOIOI deployment."""
    docs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        'docs', 'fleet.rst')
    with open(docs) as f:
        text = f.read()
    block = text[text.index(':name: oioioi-supervisord'):]
    block = block[:block.index('\n   ``--database``')]
    return [line.strip()[len('command='):] for line in block.splitlines()
            if line.strip().startswith('command=')]


def test_the_documented_oioioi_deployment(tmp_path, redis_url):
    """docs/fleet.rst's replacement lines for OIOIOI's supervisord, started
    as they are written (their paths and port made the test's own), judge
    a group shaped as OIOIOI's SioworkersdBackend sends it."""
    import shlex
    commands = _documented_commands()
    assert [shlex.split(c)[0] for c in commands] == ['sio-workersd', 'sio-celery-worker']
    port = servers.free_port()
    env_file = tmp_path / 'env'
    procs = []
    receiver = ReturnServer()
    with servers.rabbitmq_server(str(tmp_path / 'rabbitmq')) as broker:
        try:
            env_file.write_text(f'CELERY_BROKER_URL={broker.url}\n'
                                f'CELERY_RESULT_BACKEND={redis_url.rsplit("/", 1)[0]}/7\n')
            env_file.chmod(0o600)
            for command in commands:
                command = (command.replace('/etc/sioworkers/env', str(env_file))
                           .replace('{{ PROJECT_DIR }}', str(tmp_path))
                           .replace('--port 7889', f'--port {port}'))
                argv = shlex.split(command)
                argv[0] = os.path.join(os.path.dirname(sys.executable), argv[0])
                log = open(tmp_path / f'{os.path.basename(argv[0])}.log', 'wb')
                procs.append(subprocess.Popen(argv, stdout=log, stderr=log,
                                              stdin=subprocess.DEVNULL, cwd=tmp_path,
                                              env=servers.scripts_env(),
                                              start_new_session=True))
                log.close()
            server = xmlrpc.client.ServerProxy(f'http://127.0.0.1:{port}/', allow_none=True)

            def answers():
                try:
                    return server.get_workers() != []
                except OSError:
                    return False

            servers.wait_until(answers, 60, 'the documented daemon and worker', procs[0])
            server.run_group(json.dumps({
                'workers_jobs': {f'test{i}': {'job_type': 'ping', 'ping': f'p{i}',
                                              'task_priority': 100} for i in range(3)},
                'workers_jobs.extra_args': {}, 'oioioi_instance': 'oioioi',
                'contest_id': 'c1', 'contest_priority': 10, 'contest_weight': 1,
                'submission_id': 7, 'return_url': receiver.url}))
            servers.wait_until(lambda: receiver.groups, 60, 'the group back')
            group = receiver.groups[0]
            assert 'error' not in group, group['error']
            assert {name: r['pong'] for name, r in group['workers_jobs.results'].items()} == \
                {'test0': 'p0', 'test1': 'p1', 'test2': 'p2'}
            assert (tmp_path / 'sioworkersd.db').exists()  # where the line says
        finally:
            receiver.close()
            for proc in procs:
                servers.stop(proc)


def test_the_default_database_is_a_state_directory(monkeypatch, tmp_path):
    from sio.workersd import server
    monkeypatch.setattr(os, 'geteuid', lambda: 0)
    assert server.default_database() == '/var/lib/sioworkers/sio-workersd.sqlite3'
    monkeypatch.setattr(os, 'geteuid', lambda: 1000)
    monkeypatch.setenv('XDG_STATE_HOME', str(tmp_path / 'state'))
    assert server.default_database() == str(tmp_path / 'state/sioworkers/sio-workersd.sqlite3')


@pytest.mark.parametrize('what', ['broker', 'results'])
def test_a_broker_or_result_store_that_does_not_answer_is_one_line(tmp_path, redis_url, what):
    closed = servers.free_port()
    broker = f'amqp://guest:guest@127.0.0.1:{closed}//' if what == 'broker' else None
    args = [WORKERSD, '--port', str(servers.free_port()), '--database',
            str(tmp_path / 'db'), '--wait', '1',
            '--results', f'redis://127.0.0.1:{closed}/1' if what == 'results'
            else f'{redis_url.rsplit("/", 1)[0]}/7']
    if broker:
        args += ['--broker', broker]
    else:
        with servers.rabbitmq_server(str(tmp_path / 'rabbitmq')) as node:
            done = subprocess.run(args + ['--broker', node.url], capture_output=True,
                                  text=True, timeout=120, env=servers.scripts_env())
    if broker:
        done = subprocess.run(args, capture_output=True, text=True, timeout=120,
                              env=servers.scripts_env())
    assert done.returncode == 2, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith('sio-workersd: the ' + ('broker' if what == 'broker'
                                                   else 'result store')), done.stderr
    assert 'does not answer' in last and 'Traceback' not in done.stderr


class FaultFarm:
    """A farm of its own for fault tests: RabbitMQ, a Redis that can be
    killed, two workers, the daemon, a return_url; groups of slow jobs."""

    def __init__(self, tmp_path, redis_appendonly=False):
        self.tmp_path = tmp_path
        self.stack = contextlib.ExitStack()
        self.broker = self.stack.enter_context(
            servers.rabbitmq_server(str(tmp_path / 'rabbitmq')))
        self.redis = self.stack.enter_context(
            servers.redis_node(str(tmp_path / 'redis'), appendonly=redis_appendonly))
        self.fleet = Fleet(self.broker.url, self.redis.url, tmp_path)
        self.stack.callback(self.fleet.stop_all)
        self.daemon = Daemon(self.broker.url, self.redis.url, tmp_path)
        self.stack.callback(self.daemon.stop)
        self.receiver = ReturnServer()
        self.stack.callback(self.receiver.close)
        # The pool sio-celery-worker runs by default (prefork): on a lost
        # broker connection Celery stops the jobs it is running.
        self.fleet.start('w1', '--concurrency', '1')
        self.fleet.start('w2', '--concurrency', '1')
        self.daemon.start()

    def submit(self, groups, jobs, seconds):
        self.tags = {}
        for g in range(groups):
            tags = [f'g{g}j{j}' for j in range(jobs)]
            group_id = self.daemon.client().run_group(json.dumps({
                'workers_jobs': {t: slow(self.tmp_path, seconds, t) for t in tags},
                'return_url': self.receiver.url, 'contest_uid': f'c{g % 2}'}))
            self.tags[group_id] = tags

    def done(self):
        return lines(self.tmp_path / 'done.log')

    def outcome(self, timeout=300):
        """Wait for every group; (returned, lost, twice, failed) counts.

        A group whose result reached return_url less than a second before
        the daemon was killed may come again (``redelivered``, not
        ``twice``): the daemon forgets a group once the POST is answered,
        and a kill between the two is a delivery it cannot know of.
        OIOIOI ignores such a repeat (``delay_environ`` of an environ
        resumed already does nothing)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.receiver.groups) < len(self.tags):
            time.sleep(0.2)
        time.sleep(1)  # a group returned twice would come now
        returned = [g['group_id'] for g in self.receiver.groups]
        first_arrival, repeats, redelivered = {}, 0, 0
        for group_id, at in zip(returned, self.receiver.arrived, strict=False):
            if group_id not in first_arrival:
                first_arrival[group_id] = at
            elif any(0 <= kill - first_arrival[group_id] < 1.0
                     for kill in self.daemon.killed_at):
                redelivered += 1
            else:
                repeats += 1
        failed = [g for g in self.receiver.groups if 'error' in g or any(
            r.get('result') != 'SUCCESS' or r.get('tag') != name
            for name, r in g['workers_jobs.results'].items())]
        return {'returned': len(set(returned)), 'lost': len(set(self.tags) - set(returned)),
                'twice': repeats, 'redelivered': redelivered, 'failed': len(failed),
                'failures': [g.get('error', {}).get('message', '')[:300] for g in failed]}

    def close(self):
        self.stack.close()


@pytest.fixture
def fault_farm(tmp_path):
    farm = FaultFarm(tmp_path)
    try:
        yield farm
    finally:
        farm.close()


def _clean(outcome, groups):
    return {k: outcome[k] for k in ('returned', 'lost', 'twice', 'failed')} == \
        {'returned': groups, 'lost': 0, 'twice': 0, 'failed': 0}


@pytest.mark.parametrize('appendonly', [False, True], ids=['no persistence', 'aof'])
def test_result_store_killed_and_restarted_loses_no_group(tmp_path, appendonly):
    """Redis kill -9 mid-load, back after 3 s, nothing persisted (or an
    append-only file that may miss the last second): what it held is gone
    or partly gone; the daemon runs the jobs without a result again and
    every group comes back once, with correct results."""
    farm = FaultFarm(tmp_path, redis_appendonly=appendonly)
    try:
        _result_store_killed(farm)
    finally:
        farm.close()


def _kill_worker(farm):
    os.killpg(farm.fleet.procs.pop('w1').pid, signal.SIGKILL)


#: Each process a fault kills, how, and how it comes back; restarted in
#: this order (the daemon and the workers need the servers to start).
FAULTS = {
    'result store': (lambda farm: farm.redis.kill9(), lambda farm: farm.redis.start()),
    'broker': (lambda farm: farm.broker.kill9(), lambda farm: farm.broker.start()),
    'daemon': (lambda farm: farm.daemon.kill9(), lambda farm: farm.daemon.start()),
    'worker': (_kill_worker, lambda farm: farm.fleet.start('w1', '--concurrency', '1')),
}


def _killed_and_restarted(farm, faults, *, groups, jobs, seconds, done_first, down):
    """Submit ``groups`` of slow jobs; once ``done_first`` jobs are done
    kill the ``faults`` processes together, restart them ``down`` seconds
    later; the returned/lost/twice/failed counts."""
    farm.submit(groups=groups, jobs=jobs, seconds=seconds)
    servers.wait_until(lambda: len(farm.done()) >= done_first, 60, 'some jobs to be done')
    for fault in faults:
        FAULTS[fault][0](farm)
    time.sleep(down)
    for fault, (_, restart) in FAULTS.items():
        if fault in faults:
            restart(farm)
    return farm.outcome()


def _result_store_killed(farm):
    outcome = _killed_and_restarted(farm, ['result store'], groups=12, jobs=5, seconds=0.2,
                                    done_first=10, down=3)
    assert _clean(outcome, 12), json.dumps(outcome)
    log = farm.daemon.log()
    assert log.count('result store does not answer') <= 2, 'one line per outage'


def test_broker_killed_and_restarted_fails_no_group(fault_farm):
    """RabbitMQ kill -9 mid-load, back after 5 s: the jobs the workers were
    running when the connection went are run again, never reported as a
    failure (upstream's -241)."""
    outcome = _killed_and_restarted(fault_farm, ['broker'], groups=10, jobs=5, seconds=1.0,
                                    done_first=4, down=5)
    assert _clean(outcome, 10), json.dumps(outcome)


@pytest.mark.parametrize('faults', [
    ('worker',), ('daemon',),
    ('broker', 'result store'), ('worker', 'daemon'), ('worker', 'broker'),
    ('worker', 'result store'), ('daemon', 'broker'), ('daemon', 'result store'),
], ids=' + '.join)
def test_processes_killed_together_lose_fail_and_repeat_no_group(fault_farm, faults):
    """The table's rows the other tests do not cover (a worker SIGKILLed,
    the daemon kill -9), and every two of the processes killed at once
    mid-load and restarted 3 s later: every group comes back once, with
    the right results."""
    outcome = _killed_and_restarted(fault_farm, faults, groups=8, jobs=5, seconds=0.3,
                                    done_first=8, down=3)
    assert _clean(outcome, 8), json.dumps(outcome)


def test_result_store_restarted_while_the_daemon_was_down(fault_farm):
    """The results the workers stored while the daemon was down are lost
    with the result store: the daemon, started again, knows the store is
    not the one it sent the jobs to, and sends those jobs again."""
    farm = fault_farm
    farm.submit(groups=6, jobs=5, seconds=0.2)
    servers.wait_until(lambda: len(farm.done()) >= 5, 60, 'some jobs to be done')
    farm.daemon.kill9()
    done = len(farm.done())
    servers.wait_until(lambda: len(farm.done()) >= done + 4, 60, 'jobs done unseen')
    farm.redis.kill9()
    farm.redis.start()
    farm.daemon.start()
    outcome = farm.outcome()
    assert _clean(outcome, 6), json.dumps(outcome)
    assert 'the result store restarted' in farm.daemon.log()


def test_a_poison_job_fails_its_group_alone(fault_farm):
    """A job that kills the process running it, every time: after a few
    lost runs its group is returned with the failure, once; the other
    groups are judged as if nothing happened."""
    farm = fault_farm
    farm.submit(groups=4, jobs=3, seconds=0.1)
    client = farm.daemon.client()
    poison = client.run_group(json.dumps({
        'workers_jobs': {'ok': {'job_type': 'ping', 'ping': 1},
                         'poison': {'job_type': 'test-kills-worker'}},
        'return_url': farm.receiver.url}))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(farm.receiver.groups) < 5:
        time.sleep(0.2)
    time.sleep(1)
    returned = [g['group_id'] for g in farm.receiver.groups]
    assert sorted(returned) == sorted([*farm.tags, poison])  # each once
    [bad] = [g for g in farm.receiver.groups if g['group_id'] == poison]
    assert 'poison' in bad['error']['message']
    assert bad['workers_jobs.results']['ok']['pong'] == 1
    assert all('error' not in g for g in farm.receiver.groups if g['group_id'] != poison)
    assert 'a poison job' in farm.daemon.log()


def test_return_url_is_retried_for_as_long_as_upstream_does():
    """Upstream retries 6 times, 10 s to 10^6 s apart: 12.9 days. Ours
    retries with doubling delays up to an hour apart for 14 days, counted
    in attempts (kept in the database, so across restarts)."""
    from sio.workersd.returner import GIVE_UP_AFTER, Returner, attempts_allowed, delay_after

    upstream = sum(10 ** i for i in range(1, 7))
    returner = Returner(first_delay=1.0)
    total = sum(delay_after(a, 1.0) for a in range(1, returner.max_attempts))
    assert total >= GIVE_UP_AFTER > upstream
    assert [delay_after(a, 1.0) for a in (1, 2, 3, 13, 50)] == [1, 2, 4, 3600, 3600]
    assert attempts_allowed(0.3) > attempts_allowed(1.0) > 300


def test_two_contests_of_equal_weight_progress_at_equal_rates(farm, tmp_path):
    """Contest C (same priority and weight as A) submitted a second after
    A's backlog: its groups are judged alongside A's, not after all of A."""
    fleet, daemon = farm
    receiver = ReturnServer()
    server = daemon.client()
    try:
        def submit(contest, i):
            server.run_group(json.dumps({
                'workers_jobs': {f'j{k}': slow(tmp_path, 0.3, f'{contest}{i}.{k}')
                                 for k in range(4)},
                'oioioi_instance': 'site', 'contest_id': contest, 'contest_priority': 10,
                'contest_weight': 1, 'return_url': receiver.url, 'name': f'{contest}{i}'}))

        for i in range(16):  # 9.6 s of work for the two workers
            submit('A', i)
        time.sleep(1)
        for i in range(12):
            submit('C', i)
        servers.wait_until(lambda: len(receiver.groups) == 28, 240, 'every group')
        order = [g['name'][0] for g in receiver.groups]
        # When C's sixth group is back, A has not had all its groups judged:
        # the two shared the fleet (unfair: all 16 of A first).
        a_before = order[:[i for i, c in enumerate(order) if c == 'C'][5]].count('A')
        assert a_before <= 12, ''.join(order)
        # And once both were queued, they alternated: no long run of one.
        tail = ''.join(order[order.index('C'):])
        assert 'AAAAAA' not in tail and 'CCCCCC' not in tail.rstrip('C'), ''.join(order)
    finally:
        receiver.close()
