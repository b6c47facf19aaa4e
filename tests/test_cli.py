"""The command line as a new user meets it: --help everywhere, one-line
errors instead of tracebacks, exit statuses, hints for common mistakes."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from jobs import LocalJobs

import servers

BIN = os.path.dirname(sys.executable)


def run(cmd, *args, env=None, stdin=None, timeout=60):
    return subprocess.run([os.path.join(BIN, cmd), *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, input=stdin,
                          env=dict(os.environ, **(env or {})))


def one_line_error(proc, code):
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert 'Traceback' not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.parametrize('cmd, args, says', [
    ('sio-batch', ['--help'], 'SIO_BATCH_MAX_ENVIRON'),
    ('sio-compile', ['--help'], 'SOURCE OUTPUT'),
    ('sio-get-sandbox', ['--help'], 'SIO_SANDBOXES_BASEDIR'),
    ('sio-run-filetracker', ['--help'], 'FILETRACKER_PUBLIC_URL'),
    ('sio-celery-worker', ['-h'], 'CELERY_BROKER_URL'),
    ('sio-fleet', ['--help'], 'CELERY_BROKER_URL'),
    ('sio-workersd', ['--help'], '--max-task-ram'),
    ('sio-judge', ['--help'], '--apply-suggestion'),
    ('python', ['-m', 'sio.compare', '--help'], 'checker_format'),
    ('sio-compare', ['--help'], 'checker_format'),
])
def test_help_everywhere(cmd, args, says):
    proc = run(cmd, *args)
    assert proc.returncode == 0, proc.stderr
    assert says in proc.stdout


def test_sio_batch_bad_input_exit_statuses_and_pretty(tmp_path):
    one_line_error(run('sio-batch', '--environ-file', '/bin/ls'), 2)
    one_line_error(run('sio-batch', '--environ-file', '/dev/zero',
                       env={'SIO_BATCH_MAX_ENVIRON': '100000'}), 2)
    failed = run('sio-batch', env={'environ': json.dumps({'job_type': 'test-boom'})})
    assert failed.returncode == 1 and '"result": "FAILURE"' in failed.stdout
    pretty = run('sio-batch', '--pretty', env={'environ': '{"job_type": "ping", "ping": 3}'})
    assert pretty.returncode == 0 and '\n  "pong": 3' in pretty.stdout


def test_celery_worker_errors_are_one_line():
    for args in (['notaurl://x'], ['--bogus']):
        proc = run('sio-celery-worker', *args)
        assert proc.returncode == 2 and 'Traceback' not in proc.stderr, proc.stderr
        assert proc.stderr.strip().splitlines()[-1].startswith('sio-celery-worker: ')


def test_run_filetracker_errors_start_status_stop(tmp_path):
    one_line_error(run('sio-run-filetracker', env={'FILETRACKER_PUBLIC_URL': 'http://x:port'}),
                   2)
    blocked = tmp_path / 'file'
    blocked.write_text('not a directory')
    port = servers.free_port()
    url = f'http://127.0.0.1:{port}'
    one_line_error(run('sio-run-filetracker', env={
        'FILETRACKER_PUBLIC_URL': url, 'FILETRACKER_SERVER_DIR': str(blocked / 'dir')}), 1)
    env = {'FILETRACKER_PUBLIC_URL': url, 'FILETRACKER_SERVER_DIR': str(tmp_path / 'srv')}
    started = run('sio-run-filetracker', env=env)
    try:
        assert started.returncode == 0, started.stderr
        assert 'pid ' in started.stdout and 'pid None' not in started.stdout
        assert run('sio-run-filetracker', 'status', env=env).returncode == 0
    finally:
        stopped = run('sio-run-filetracker', 'stop', env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert run('sio-run-filetracker', 'status', env=env).returncode == 1


def test_get_sandbox_with_an_unusable_directory(tmp_path):
    blocked = tmp_path / 'file'
    blocked.write_text('x')
    one_line_error(run('sio-get-sandbox', 'exec-sandbox',
                       env={'SIO_SANDBOXES_BASEDIR': str(blocked / 'sandboxes')}), 1)
    one_line_error(run('sio-get-sandbox', '--bogus'), 2)


def test_sio_compile_refuses_bad_outputs(tmp_path):
    source = tmp_path / 'a.c'
    source.write_text('int main(void) { return 0; }\n')
    one_line_error(run('sio-compile', source, tmp_path), 2)
    one_line_error(run('sio-compile', source, tmp_path / 'missing' / 'dir' / 'out'), 2)
    assert not (tmp_path / 'missing').exists() and not (tmp_path / 'out').exists()


def test_hints_for_common_mistakes(tmp_path, caplog):
    from sio.workers.runner import run as run_job

    relative = run_job({'job_type': 'exec', 'exe_file': 'prog', 'in_file': 'in'})
    assert "set 'use_filetracker': false" in relative['exception']
    missing = run_job({'job_type': 'exec', 'exe_file': '/nowhere/prog', 'in_file': '/nowhere/in'})
    assert 'no Filetracker server is configured' in missing['exception']
    caplog.set_level('WARNING')
    run_job({'job_type': 'ping', 'ping': 1, 'exec_time_limt': 5})
    assert "did you mean 'exec_time_limit'" in caplog.text


@pytest.fixture
def jobs(tmp_path, programs):
    j = LocalJobs(tmp_path)
    shutil.copy(programs['hello'], j.path('static'))
    return j


@pytest.mark.parametrize('job', ['exec', 'sio2jail-exec'])
def test_dynamic_program_is_named_as_such(jobs, job, tmp_path):
    source = tmp_path / 'dyn.c'
    source.write_text('#include <stdio.h>\nint main(void){puts("hi");return 0;}\n')
    subprocess.run(['gcc', '-o', jobs.path('dynamic'), str(source)], check=True)
    env = jobs.run(job_type=job, exe_file=jobs.path('dynamic'),
                   in_file=jobs.write('in', '1 2\n'))
    assert env['result_code'] == 'RV' and 'dynamically linked' in env['result_string'], env
    ok = jobs.run(job_type=job, exe_file=jobs.path('static'), in_file=jobs.write('in', '1 2\n'))
    assert ok['result_code'] == 'OK'


def test_jar_without_exec_info_says_so(jobs):
    src = 'public class Main { public static void main(String[] a) { } }\n'
    compiled = jobs.compile('Main.java', src, 'system-java', out='main.jar')
    assert compiled['result_code'] == 'OK'
    env = jobs.run(job_type='exec', exe_file=jobs.path('main.jar'),
                   in_file=jobs.write('in', '\n'))
    assert env['result'] == 'FAILURE' and 'exec_info' in env['exception']


# Keys OIOIOI's handlers put in the environs they send (a compile job gets a
# copy of the whole evaluation environ; a test job its test's), and the
# group-level ones of sio-workersd.
OIOIOI_KEYS = '''
contest_id check_outputs oioioi_instance contest_priority contest_weight task_priority
submission_id problem_instance_id problem_id round_id is_rejudge language exec_mode
task_type_suffix compiled_file compilation_result compilation_message recipe
error_handlers kind group max_score to_judge name save_outputs submission_kind
untrusted_checker checker_format sioworkers_extra_args fake_time extra_execution_args
job_id group_id return_url
'''.split()


def test_no_warning_for_the_keys_oioioi_and_upstream_send(caplog):
    from sio.workers.keys import warn_about_misspelt_keys
    caplog.set_level('WARNING')
    assert warn_about_misspelt_keys({key: 1 for key in OIOIOI_KEYS}) == []
    assert 'did you mean' not in caplog.text
    # A real slip is still caught.
    assert warn_about_misspelt_keys({'check_ouptut': True}) != []


@pytest.mark.parametrize('cmd, args', [
    ('sio-compare', ['only-one']),
    ('sio-compile', []),
    ('sio-get-sandbox', ['--bogus']),
    ('sio-batch', ['a', 'b']),
    ('sio-judge', ['--bogus']),
    ('sio-fleet', ['bogus']),
    ('sio-workersd', ['--port', 'x']),
    ('sio-celery-worker', ['--env-file']),
])
def test_bad_arguments_are_exit_status_2_everywhere(cmd, args):
    assert run(cmd, *args).returncode == 2


def test_fleet_status_without_a_broker_is_one_line_quickly():
    import time
    started = time.monotonic()
    done = run('sio-fleet', 'status', env={'CELERY_BROKER_URL':
                                          f'amqp://sio:pw@127.0.0.1:{servers.free_port()}//'})
    one_line_error(done, 1)
    assert 'does not answer' in done.stderr and 'pw' not in done.stderr
    assert time.monotonic() - started < 3


def test_worker_starts_without_deprecation_warnings(tmp_path):
    """Celery warns once per old setting name in a configuration (27 lines
    at every start); the app is configured with the new names alone."""
    import time
    log = tmp_path / 'worker.log'
    with open(log, 'wb') as out:
        proc = subprocess.Popen([os.path.join(BIN, 'sio-celery-worker'),
                                 f'amqp://127.0.0.1:{servers.free_port()}//', '--pool', 'solo'],
                                stdout=out, stderr=out, stdin=subprocess.DEVNULL,
                                env=servers.scripts_env(), start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while b'[queues]' not in log.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        servers.stop(proc)
    text = log.read_text(errors='replace')
    assert '[queues]' in text, text[-2000:]
    assert 'DeprecationWarning' not in text, text[:3000]
