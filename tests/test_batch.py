import json
import os
import subprocess
import sys

import pytest

SIO_BATCH = os.path.join(os.path.dirname(sys.executable), 'sio-batch')


def sio_batch(*args, environ=None, stdin=None, extra_env=None):
    env = dict(os.environ)
    env.pop('environ', None)
    if environ is not None:
        env['environ'] = environ
    env.update(extra_env or {})
    return subprocess.run([SIO_BATCH, *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=60)


def result_of(proc):
    lines = proc.stdout.splitlines()
    assert lines[0] == '--- BEGIN ENVIRON ---'
    assert lines[-1] == '--- END ENVIRON ---'
    assert len(lines) == 3, proc.stdout
    return json.loads(lines[1])


def test_ping_through_environ_variable():
    proc = sio_batch(environ=json.dumps({'job_type': 'ping', 'ping': 'p'}))
    assert proc.returncode == 0
    env = result_of(proc)
    assert env['pong'] == 'p' and env['result'] == 'SUCCESS'


def test_job_type_argument_and_json_inside_a_json_string():
    proc = sio_batch('ping', environ=json.dumps(json.dumps({'ping': 5})))
    env = result_of(proc)
    assert env['job_type'] == 'ping' and env['pong'] == 5


def test_environ_file_and_stdin(tmp_path):
    f = tmp_path / 'env.json'
    f.write_text(json.dumps({'job_type': 'ping', 'ping': 'file'}))
    assert result_of(sio_batch('--environ-file', str(f)))['pong'] == 'file'
    proc = sio_batch('--environ-file', '-', stdin=json.dumps({'job_type': 'ping', 'ping': 'in'}))
    assert result_of(proc)['pong'] == 'in'


def test_filters_from_environment_variables():
    proc = sio_batch(environ=json.dumps({'job_type': 'ping', 'ping': 1}),
                     extra_env={'prefilters': 'test-add-a', 'postfilters': 'test-add-b'})
    assert result_of(proc)['trail'] == ['a', 'b']


def test_failure_is_reported_in_the_environ_and_the_exit_status():
    proc = sio_batch(environ=json.dumps({'job_type': 'test-boom'}))
    assert proc.returncode == 1
    env = result_of(proc)
    assert env['result'] == 'FAILURE'
    assert 'boom' in env['exception']


def test_stdout_holds_only_the_result_block():
    proc = sio_batch(environ=json.dumps({'job_type': 'test-noisy'}))
    env = result_of(proc)
    assert env['noisy'] is True
    assert 'printed by the job' in proc.stderr
    assert 'written to fd 1' in proc.stderr
    assert 'echoed by a child process' in proc.stderr


@pytest.mark.parametrize('args, environ, fragment', [
    ((), '{not json', 'invalid JSON'),
    ((), '[1, 2]', 'JSON object'),
    ((), '"just a string"', 'invalid JSON'),
    (('ping', 'extra'), '{}', "unexpected argument 'extra'"),
    (('--bogus',), '{}', "unknown option '--bogus'"),
    (('--environ-file',), None, 'needs a FILE'),
    (('--environ-file', '/nonexistent/env.json'), None, 'cannot read'),
    ((), None, 'no environ'),
])
def test_bad_input_is_one_line_and_exit_2(args, environ, fragment):
    proc = sio_batch(*args, environ=environ)
    assert proc.returncode == 2
    assert proc.stdout == ''
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith('sio-batch: ')
    assert fragment in lines[0]
    assert 'Traceback' not in proc.stderr
