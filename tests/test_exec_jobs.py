"""exec, cpu-exec and unsafe-exec jobs: verdicts, output, checking."""

import logging
import os
import shutil

import pytest
from jobs import LocalJobs

EXEC_JOBS = ['exec', 'cpu-exec', 'unsafe-exec']


@pytest.fixture
def jobs(tmp_path, programs):
    j = LocalJobs(tmp_path)
    for name in ('hello', 'sum_wrong', 'infinite_loop', 'malloc_bomb', 'exit42',
                 'output_flood', 'seek_back', 'read_extra', 'sigsegv'):
        shutil.copy(programs[name], j.path(name))
    return j


def exec_env(jobs, exe, **extra):
    env = {'exe_file': jobs.path(exe), 'in_file': jobs.write('in.txt', '2 3\n'),
           'hint_file': jobs.write('hint.txt', '5\n'), 'exec_time_limit': 1000,
           'exec_mem_limit': 64 << 10}
    env.update(extra)
    return env


@pytest.mark.parametrize('job', EXEC_JOBS)
@pytest.mark.parametrize('exe, extra, code, text', [
    ('hello', {}, 'OK', 'ok'),
    ('infinite_loop', {'exec_time_limit': 300}, 'TLE', 'time limit exceeded'),
    ('malloc_bomb', {'exec_mem_limit': 32 << 10}, 'MLE', 'memory limit exceeded'),
    ('exit42', {}, 'RE', 'runtime error 42'),
    ('sigsegv', {}, 'RE', 'process exited due to signal 11'),
    ('output_flood', {'exec_out_limit': 100_000}, 'OLE', 'output limit exceeded'),
])
def test_verdicts(jobs, job, exe, extra, code, text):
    if job in ('exec', 'cpu-exec') and code == 'TLE':
        # As upstream 1.5.9 (sio2jail -o oireal for both): the wall clock's.
        text = 'real time limit exceeded'
    if job == 'unsafe-exec' and code == 'RE':
        # Upstream's DetailedUnprotectedExecutor's own words.
        text = text.replace('runtime error', 'program exited with code') \
            .replace('process exited', 'program exited')
    env = jobs.run(job_type=job, **exec_env(jobs, exe, **extra))
    assert env['result'] == 'SUCCESS', env.get('exception')
    assert env['result_code'] == code
    assert env['result_string'] == text
    for key in ('time_used', 'mem_used', 'num_syscalls'):
        assert isinstance(env[key], int)
    # As upstream, every result has a percentage; unchecked, it is (0, 1).
    assert env['result_percentage'] == (0, 1)


@pytest.mark.parametrize('job', EXEC_JOBS)
def test_output_is_checked_with_the_native_comparator(jobs, job):
    ok = jobs.run(job_type=job, check_output=True, **exec_env(jobs, 'hello'))
    assert ok['result_code'] == 'OK'
    assert ok['result_percentage'] == (100, 1)
    wa = jobs.run(job_type=job, check_output=True, **exec_env(jobs, 'sum_wrong'))
    assert wa['result_code'] == 'WA'
    if job == 'unsafe-exec':
        # As upstream: without sandboxes, `diff -b`, and no comment.
        assert wa['result_string'] == ''
    else:
        assert wa['result_string'] == 'WRONG: line 1: expected "5", got "6"'
    assert wa['result_percentage'] == (0, 1)


@pytest.mark.parametrize('output, hint, code', [
    ('5\n', '5\n', 'OK'),
    ('5  \n', '5\n', 'OK'),          # trailing white space
    ('1   2\n', '1 2\n', 'OK'),      # amounts of white space
    ('5', '5\n', 'OK'),               # no final newline
    ('1\n2\n', '1 2\n', 'WA'),       # lines count: not the token comparator's rule
    ('5\n\n', '5\n', 'WA'),          # an extra empty line
])
def test_unsafe_exec_compares_as_diff_b(jobs, output, hint, code):
    """Upstream's unsafe-exec checks with `diff -b -q` (the token comparator
    would accept the WA cases)."""
    program = jobs.write('print.sh', f'#!/bin/sh\nprintf {output!r}\n')
    os.chmod(program, 0o755)
    env = jobs.run(job_type='unsafe-exec', check_output=True, exe_file=program,
                   in_file=jobs.write('in.txt', ''), hint_file=jobs.write('hint.txt', hint))
    assert env['result'] == 'SUCCESS', env.get('exception')
    assert env['result_code'] == code, env
    assert env['result_string'] == ('ok' if code == 'OK' else '')


@pytest.mark.parametrize('checker_format, text', [
    ('english_abbreviated', 'WRONG: line 1: expected "5", got "6"'),
    ('english_full', 'WRONG: line 1: expected "5", got "6"'),
    ('english_terse', 'WRONG'),
    ('polish_abbreviated', 'ŹLE: wiersz 1: oczekiwano "5", otrzymano "6"'),
    ('polish_full', 'ŹLE: wiersz 1: oczekiwano "5", otrzymano "6"'),
    ('polish_terse', 'ŹLE'),
])
def test_checker_format(jobs, checker_format, text):
    """As oicompare: the default comparator's message in the language and
    form OIOIOI asks for."""
    wa = jobs.run(job_type='exec', check_output=True, checker_format=checker_format,
                  **exec_env(jobs, 'sum_wrong'))
    assert (wa['result_code'], wa['result_string']) == ('WA', text)
    bad = jobs.run(job_type='exec', check_output=True, checker_format='klingon_full',
                   **exec_env(jobs, 'sum_wrong'))
    assert bad['result'] == 'FAILURE' and 'checker_format' in bad['exception']


def test_output_checked_only_after_an_ok_run(jobs):
    env = jobs.run(job_type='exec', check_output=True,
                   **exec_env(jobs, 'exit42', hint_file='/nonexistent/hint'))
    assert env['result'] == 'SUCCESS' and env['result_code'] == 'RE'


def test_out_file_is_stored(jobs):
    env = jobs.run(job_type='exec', out_file=jobs.path('stored.out'), **exec_env(jobs, 'hello'))
    assert env['result_code'] == 'OK'
    assert jobs.read('stored.out') == b'5\n'


def test_output_is_append_only(jobs):
    env = jobs.run(job_type='exec', out_file=jobs.path('o'), **exec_env(jobs, 'seek_back'))
    assert env['result_code'] == 'OK'
    assert jobs.read('o') == b'AAAABB'


def test_zip_input_with_one_file(jobs):
    env = exec_env(jobs, 'hello', in_file=jobs.zip('in.zip', {'dir/test.in': '40 2\n'}),
                   out_file=jobs.path('o'))
    assert jobs.run(job_type='exec', **env)['result_code'] == 'OK'
    assert jobs.read('o') == b'42\n'
    two = exec_env(jobs, 'hello', in_file=jobs.zip('in2.zip', {'a': '1 1', 'b': '2 2'}))
    failed = jobs.run(job_type='exec', **two)
    assert failed['result'] == 'FAILURE' and 'exactly one' in failed['exception']


def test_extra_execution_files_only_where_allowed(jobs, caplog):
    extra = {'extra.txt': jobs.write('data/extra.txt', 'visible\n')}
    env = jobs.run(job_type='unsafe-exec', out_file=jobs.path('o1'),
                   extra_execution_files=extra, **exec_env(jobs, 'read_extra'))
    assert env['result_code'] == 'OK'
    assert jobs.read('o1') == b'EXTRA visible\n'
    with caplog.at_level(logging.WARNING):
        env = jobs.run(job_type='exec', out_file=jobs.path('o2'),
                       extra_execution_files=extra, **exec_env(jobs, 'read_extra'))
    assert env['result_code'] == 'RV'
    assert 'extra_execution_files ignored' in caplog.text


def test_output_only_mode(jobs):
    answer = jobs.write('answer.txt', '5\n')
    env = jobs.run(job_type='exec', exe_file=answer, exec_info={'mode': 'output-only'},
                   in_file=jobs.write('in.txt', '2 3\n'), hint_file=jobs.write('h', '5'),
                   check_output=True)
    assert env['result_code'] == 'OK' and env['time_used'] == 0
    wrong = jobs.write('wrong.txt', '6\n')
    env = jobs.run(job_type='exec', exe_file=wrong, exec_info={'mode': 'output-only'},
                   in_file=jobs.write('in.txt', '2 3\n'), hint_file=jobs.write('h', '5'),
                   check_output=True)
    assert env['result_code'] == 'WA'


JAVA_SUM = ('import java.util.*;\npublic class Main { public static void main(String[] a)'
            ' { Scanner s = new Scanner(System.in);'
            ' System.out.println(s.nextLong() + s.nextLong()); } }\n')

JAVA_NOSY = (
    'import java.io.*; import java.net.*;\n'
    'public class Main { public static void main(String[] a) throws Exception {\n'
    '  String net, file;\n'
    '  try { new Socket("127.0.0.1", Integer.parseInt(a.length > 0 ? a[0] : "PORT")).close();'
    '        net = "net=open"; } catch (IOException e) { net = "net=refused"; }\n'
    '  try { new FileInputStream("SECRET").close(); file = "file=read"; }'
    '  catch (IOException e) { file = "file=denied"; }\n'
    '  System.out.println(net + " " + file); } }\n')

JAVA_SPIN = ('public class Main { public static void main(String[] a) '
             '{ long x = 0; for (;;) x += System.nanoTime(); } }\n')

JAVA_HEAP = ('public class Main { public static void main(String[] a) '
             '{ long[] big = new long[32 << 20]; System.out.println(big.length); } }\n')


def java_program(jobs, source, name='main.jar'):
    compiled = jobs.compile('Main.java', source, 'system-java', out=name)
    assert compiled['result_code'] == 'OK', compiled
    return compiled['exec_info']


@pytest.mark.parametrize('job', ['exec', 'cpu-exec', 'unsafe-exec', 'sio2jail-exec'])
def test_java_runs_under_every_exec_job(jobs, job):
    """Java under the checking executors runs in the JVM jail (upstream
    ran it in its java sandbox); unsafe-exec runs it unprotected."""
    info = java_program(jobs, JAVA_SUM)
    env = jobs.run(job_type=job, check_output=True,
                   **exec_env(jobs, 'main.jar', exec_info=info, exec_time_limit=10_000,
                              exec_mem_limit=64 << 10))
    assert env['result'] == 'SUCCESS', env.get('exception')
    assert env['result_code'] == 'OK', env


@pytest.mark.parametrize('job', ['exec', 'sio2jail-exec'])
def test_java_limits(jobs, job):
    spin = java_program(jobs, JAVA_SPIN, 'spin.jar')
    env = jobs.run(job_type=job, **exec_env(jobs, 'spin.jar', exec_info=spin,
                                            exec_time_limit=500))
    assert env['result_code'] == 'TLE', env
    heap = java_program(jobs, JAVA_HEAP, 'heap.jar')
    env = jobs.run(job_type=job, **exec_env(jobs, 'heap.jar', exec_info=heap,
                                            exec_mem_limit=64 << 10))
    assert env['result_code'] == 'RE', env  # OutOfMemoryError: 256 MiB > -Xmx64m
    roomy = jobs.run(job_type=job, **exec_env(jobs, 'heap.jar', exec_info=heap,
                                              exec_mem_limit=640 << 10,
                                              exec_time_limit=10_000))
    assert roomy['result_code'] == 'OK', roomy


JAVA_OFF_HEAP = (
    'import java.lang.reflect.Field;\n'
    'public class Main { public static void main(String[] a) throws Exception {\n'
    '  Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");\n'
    '  f.setAccessible(true);\n'
    '  sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);\n'
    '  for (long total = 0; total < (4L << 30); total += 64 << 20) {\n'
    '    long p = u.allocateMemory(64 << 20);\n'
    '    for (long i = 0; i < (64 << 20); i += 4096) u.putByte(p + i, (byte) 1);\n'
    '  }\n'
    '  System.out.println("held 4 GiB"); } }\n')


@pytest.mark.parametrize('job', ['exec', 'sio2jail-exec'])
def test_java_off_heap_memory_is_bounded(jobs, job):
    """Memory the heap limit does not see (Unsafe.allocateMemory) is bounded
    by the JVM jail's memory cgroup: MLE, not 4 GiB of the machine."""
    from sio._native import supervise

    if not supervise.ids_available():
        pytest.skip('memory cgroups need the worker to be root')
    info = java_program(jobs, JAVA_OFF_HEAP, 'offheap.jar')
    env = jobs.run(job_type=job, **exec_env(jobs, 'offheap.jar', exec_info=info,
                                            exec_time_limit=20_000, exec_mem_limit=64 << 10))
    assert env['result_code'] == 'MLE', env


def test_java_under_supervision_reaches_no_network_nor_host_file(jobs, tmp_path):
    """The JVM jail has no network (a server listening on the host's
    127.0.0.1 is unreachable) and sees none of the host's other files."""
    import socket

    secret = tmp_path / 'secret.txt'
    secret.write_text('host secret')
    secret.chmod(0o644)
    server = socket.socket()
    server.bind(('127.0.0.1', 0))
    server.listen()
    try:
        source = JAVA_NOSY.replace('SECRET', str(secret)).replace(
            '"PORT"', f'"{server.getsockname()[1]}"')
        info = java_program(jobs, source)
        env = jobs.run(job_type='exec', out_file=jobs.path('nosy.out'),
                       **exec_env(jobs, 'main.jar', exec_info=info, exec_time_limit=10_000))
    finally:
        server.close()
    assert env['result_code'] == 'OK', env
    with open(jobs.path('nosy.out')) as f:
        assert f.read().split() == ['net=refused', 'file=denied']


def test_unknown_exec_mode_is_a_failure(jobs):
    env = jobs.run(job_type='exec', **exec_env(jobs, 'hello', exec_info={'mode': 'magic'}))
    assert env['result'] == 'FAILURE' and 'magic' in env['exception']


def test_missing_input_names_key_and_path(jobs):
    env = jobs.run(job_type='exec', **exec_env(jobs, 'hello', in_file=jobs.path('nope.in')))
    assert env['result'] == 'FAILURE'
    assert "'in_file'" in env['exception'] and 'nope.in' in env['exception']


def test_output_uploaded_to_filetracker(ft_client, tmp_path, programs):
    jobs = LocalJobs(tmp_path)
    names = {key: ft_client.put_file(f'/jobs-test/{key}', local) for key, local in (
        ('exe', programs['hello']), ('in', jobs.write('in', '20 22\n')),
        ('hint', jobs.write('hint', '42\n')))}
    env = jobs.run(job_type='exec', use_filetracker=True, exe_file='/jobs-test/exe',
                   in_file=names['in'], hint_file=names['hint'], check_output=True,
                   out_file='/jobs-test/out', upload_out=True)
    assert env['result'] == 'SUCCESS', env.get('exception')
    assert env['result_code'] == 'OK'
    assert env['exe_file'] == names['exe']  # the version that was run
    assert env['out_file'].startswith('/jobs-test/out@')
    ft_client.get_file(env['out_file'], str(tmp_path / 'fetched'))
    assert (tmp_path / 'fetched').read_bytes() == b'42\n'


def test_exec_and_cpu_exec_limit_the_wall_clock(jobs, programs):
    """exec and cpu-exec measure wall-clock time, as upstream 1.5.9 does for
    both (sio2jail -o oireal): a program that sleeps past the limit is TLE;
    sio2jail-exec measures the program's own time and lets it pass."""
    shutil.copy(programs['nap_then_sum'], jobs.path('nap'))
    for job in ('exec', 'cpu-exec'):
        env = jobs.run(job_type=job, **exec_env(jobs, 'nap', check_output=True))
        assert (env['result_code'], env['result_string']) == \
            ('TLE', 'real time limit exceeded'), job
        assert env['time_used'] >= 1000
    env = jobs.run(job_type='sio2jail-exec', **exec_env(jobs, 'nap', check_output=True))
    assert env['result_code'] == 'OK', env
    assert env['time_used'] < 100
    env = jobs.run(job_type='cpu-exec', **exec_env(jobs, 'nap', check_output=True,
                                                   exec_time_limit=3000))
    assert env['result_code'] == 'OK', env
    assert 1500 <= env['time_used'] < 3000
