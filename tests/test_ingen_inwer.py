"""ingen and inwer jobs."""

import shutil

import pytest
from jobs import LocalJobs


@pytest.fixture
def jobs(tmp_path, programs):
    j = LocalJobs(tmp_path)
    for name in ('gen_tests', 'gen_fail', 'inwer_pair', 'chatty_inwer', 'infinite_loop'):
        shutil.copy(programs[name], j.path(name))
    return j


def test_ingen_collects_matching_files_to_filetracker(ft_client, jobs, tmp_path):
    exe = ft_client.put_file('/ingen-test/gen', jobs.path('gen_tests'))
    env = jobs.run(job_type='ingen', use_filetracker=True, exe_file=exe,
                   re_string=r'^t\d+\.in$', collected_files_path='/ingen-test/tests')
    assert env['result'] == 'SUCCESS', env.get('exception')
    assert env['return_code'] == 0
    assert env['stdout'] == [b'generated 2 tests']
    assert sorted(env['collected_files']) == ['t1.in', 't2.in']
    for name, path in env['collected_files'].items():
        assert path.startswith(f'/ingen-test/tests/{name}@')
        ft_client.get_file(path, str(tmp_path / name))
        n = int(name[1])
        assert (tmp_path / name).read_text() == f'{n} {n * 10}\n'


def test_ingen_in_the_jail_writes_its_tests(jobs):
    """With use_sandboxes the generator runs in the jail (own ids, the job
    directory bound writable as its working directory)."""
    env = jobs.run(job_type='ingen', exe_file=jobs.path('gen_tests'), use_sandboxes=True,
                   re_string=r'^t\d+\.in$', collected_files_path=jobs.path('tests'))
    assert env['result'] == 'SUCCESS', env.get('exception')
    assert (env['return_code'], env['stdout']) == (0, [b'generated 2 tests']), env
    assert sorted(env['collected_files']) == ['t1.in', 't2.in']
    for name, path in env['collected_files'].items():
        n = int(name[1])
        with open(path) as f:
            assert f.read() == f'{n} {n * 10}\n'
    spin = jobs.run(job_type='ingen', exe_file=jobs.path('infinite_loop'), use_sandboxes=True,
                    re_string='.*', collected_files_path=jobs.path('out'),
                    ingen_time_limit=200)
    assert spin['return_code'] != 0 and spin['collected_files'] == {}
    assert spin['result_string'] == 'time limit exceeded'


def test_ingen_failure_collects_nothing(jobs):
    env = jobs.run(job_type='ingen', exe_file=jobs.path('gen_fail'), re_string='.*',
                   collected_files_path=jobs.path('out'))
    assert env['result'] == 'SUCCESS'
    assert env['return_code'] == 4
    assert env['collected_files'] == {}
    assert env['stdout'] == [b'something went wrong']


def test_ingen_limits_and_bad_regexp(jobs):
    env = jobs.run(job_type='ingen', exe_file=jobs.path('infinite_loop'), re_string='.*',
                   collected_files_path=jobs.path('out'), ingen_time_limit=200)
    assert env['return_code'] != 0 and env['collected_files'] == {}
    bad = jobs.run(job_type='ingen', exe_file=jobs.path('gen_tests'), re_string='(',
                   collected_files_path=jobs.path('out'))
    assert bad['result'] == 'FAILURE' and 're_string' in bad['exception']


@pytest.mark.parametrize('sandboxed', [False, True])
@pytest.mark.parametrize('data, code, line', [
    ('3 4\n', 'OK', 'OK 1a.in'),
    ('3 4000\n', 'RE', 'WRONG numbers out of range'),
    ('3 4 5\n', 'RE', 'WRONG trailing data'),
])
def test_inwer(jobs, data, code, line, sandboxed):
    env = jobs.run(job_type='inwer', exe_file=jobs.path('inwer_pair'),
                   in_file=jobs.write('1a.in', data), in_file_name='1a.in',
                   use_sandboxes=sandboxed)
    assert env['result'] == 'SUCCESS', env.get('exception')
    assert env['result_code'] == code
    assert env['stdout'] == [line.encode()]


def test_inwer_big_output_is_cut(jobs):
    env = jobs.run(job_type='inwer', exe_file=jobs.path('chatty_inwer'),
                   in_file=jobs.write('x.in', '1 1\n'), in_file_name='x.in')
    assert env['result_code'] == 'OK'
    assert sum(len(line) + 1 for line in env['stdout']) <= 10 * 1024 + 1
    smaller = jobs.run(job_type='inwer', exe_file=jobs.path('chatty_inwer'),
                       in_file=jobs.write('x.in', '1 1\n'), in_file_name='x.in',
                       inwer_output_limit=100)
    assert sum(len(line) + 1 for line in smaller['stdout']) <= 101


def test_inwer_big_output_is_ole_when_isolated(jobs):
    """As upstream: with sandboxes the output limit is a limit (OLE)."""
    env = jobs.run(job_type='inwer', exe_file=jobs.path('chatty_inwer'),
                   in_file=jobs.write('x.in', '1 1\n'), in_file_name='x.in',
                   inwer_output_limit=100, use_sandboxes=True)
    assert env['result_code'] == 'OLE', env


def test_stdout_lines_are_bytes_in_process_and_text_across_processes(jobs):
    """In-process run() returns upstream's bytes lines; sio-batch and the
    Celery task (run_reporting_errors) return the same as text."""
    from sio.workers.runner import run_reporting_errors

    env = dict(job_type='inwer', exe_file=jobs.path('inwer_pair'), use_filetracker=False,
               in_file=jobs.write('1a.in', '3 4\n'), in_file_name='1a.in')
    assert jobs.run(**dict(env))['stdout'] == [b'OK 1a.in']
    assert run_reporting_errors(dict(env))['stdout'] == ['OK 1a.in']


def test_inwer_time_limit(jobs):
    env = jobs.run(job_type='inwer', exe_file=jobs.path('infinite_loop'),
                   in_file=jobs.write('x.in', ''), in_file_name='x.in', inwer_time_limit=200)
    assert env['result_code'] == 'TLE'
