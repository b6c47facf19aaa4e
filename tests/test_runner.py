import os
import threading

import pytest

from sio.workers import Failure, registry
from sio.workers.runner import run, run_reporting_errors


def test_ping_job():
    env = run({'job_type': 'ping', 'ping': 'hello'})
    assert env['pong'] == 'hello'
    assert env['result'] == 'SUCCESS'
    assert env['worker']
    assert 'exception' not in env


def test_ping_without_ping_key_names_it():
    env = run({'job_type': 'ping'})
    assert env['result'] == 'FAILURE'
    assert "'ping'" in env['exception']


def test_missing_job_type_lists_registered_jobs():
    env = run({'foo': 1})
    assert env['result'] == 'FAILURE'
    assert 'job_type' in env['exception']
    assert 'ping' in env['exception']
    assert env['traceback']


def test_unknown_job_type_names_it_and_lists_jobs():
    env = run({'job_type': 'no-such-job'})
    assert env['result'] == 'FAILURE'
    assert 'no-such-job' in env['exception']
    assert 'ping' in env['exception'] and 'test-boom' in env['exception']


def test_non_dict_environ():
    with pytest.raises(TypeError, match='dict'):
        run(['not', 'a', 'dict'])
    env = run_reporting_errors(['not', 'a', 'dict'])
    assert env['result'] == 'FAILURE'
    assert 'dict' in env['exception']


def test_other_exceptions_propagate_as_upstream():
    """In-process callers (OIOIOI's LocalBackend) see the exception and
    report a system error; only Failure is a FAILURE environ."""
    with pytest.raises(ValueError, match='the boom job always fails'):
        run({'job_type': 'test-boom'})
    with pytest.raises(SystemExit):
        run({'job_type': 'test-exits'})
    with pytest.raises(TypeError, match='returned NoneType'):
        run({'job_type': 'test-returns-none'})


def test_process_boundaries_report_every_exception():
    env = run_reporting_errors({'job_type': 'test-boom'})
    assert env['result'] == 'FAILURE'
    assert env['exception'] == 'the boom job always fails'
    assert 'ValueError' in env['traceback']
    assert env['worker']
    assert run_reporting_errors({'job_type': 'test-exits'})['result'] == 'FAILURE'
    env = run_reporting_errors({'job_type': 'test-returns-none'})
    assert 'returned NoneType' in env['exception']


def test_postfilters_run_after_a_failure():
    env = run({'job_type': 'ping', 'postfilters': ['test-add-a']})
    assert env['result'] == 'FAILURE' and "'ping'" in env['exception']
    assert env['trail'] == ['a']


def test_filters_run_in_order_around_the_job():
    env = run({'job_type': 'ping', 'ping': 1, 'prefilters': ['test-add-a', 'test-add-b'],
               'postfilters': ['test-add-a']})
    assert env['result'] == 'SUCCESS'
    assert env['trail'] == ['a', 'b', 'a']


def test_unknown_filter_is_a_failure_naming_it():
    env = run({'job_type': 'ping', 'ping': 1, 'prefilters': ['nope-filter']})
    assert env['result'] == 'FAILURE'
    assert 'nope-filter' in env['exception'] and 'filter' in env['exception']


def test_job_directory_is_fresh_and_removed():
    env = run({'job_type': 'test-scratch', 'token': 'x'})
    assert env['result'] == 'SUCCESS'
    assert env['read_back'] == 'x'
    assert not os.path.exists(env['job_dir'])
    # The process's own working directory is never changed.
    assert os.getcwd() != env['job_dir']


def test_job_directory_removed_after_failure(tmp_path):
    env = run_reporting_errors({'job_type': 'test-scratch', 'token': 'x',
                                'pause': 'not-a-number'})
    assert env['result'] == 'FAILURE'
    assert 'job_dir' not in env or not os.path.exists(env['job_dir'])


def test_jobs_in_many_threads_are_isolated():
    results = []
    lock = threading.Lock()

    def worker(n):
        for i in range(25):
            env = run({'job_type': 'test-scratch', 'token': f'{n}-{i}', 'pause': 0.001})
            with lock:
                results.append(env)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 200
    assert all(r['result'] == 'SUCCESS' for r in results)
    assert all(r['read_back'] == r['token'] for r in results)
    dirs = {r['job_dir'] for r in results}
    assert len(dirs) == 200
    assert not any(os.path.exists(d) for d in dirs)


def test_registry_reports_third_party_entry_points():
    assert 'test-slow' in registry.names(registry.JOBS)
    with pytest.raises(Failure):
        registry.get_job('certainly-not-registered')
