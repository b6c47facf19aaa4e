"""One description of a run's limits (sio.workers.limits) and one Java
launcher (sio.workers.java): every job reads its limits through them."""

import os
import shutil

import pytest
from jobs import LocalJobs

from sio.workers import Failure, limits
from sio.workers.java import JVM_OVERHEAD_KIB, MAX_STACK_KIB, java_command
from sio.workers.limits import DEFAULTS, RunLimits


@pytest.mark.parametrize('prefix', sorted(DEFAULTS))
def test_absent_limits_are_the_tables_and_given_ones_are_read(prefix):
    assert limits.read({}, prefix) == DEFAULTS[prefix]
    environ = {limits.environ_key(prefix, name): 1000 + i
               for i, name in enumerate(limits.EXECUTOR_OPTION)}
    assert limits.read(environ, prefix) == RunLimits(1000, 1001, 1002, 1003)
    # None is absent (OIOIOI sends None for limits it does not set).
    assert limits.read(dict.fromkeys(environ), prefix) == DEFAULTS[prefix]


@pytest.mark.parametrize('prefix', sorted(DEFAULTS))
@pytest.mark.parametrize('limit', sorted(limits.EXECUTOR_OPTION))
@pytest.mark.parametrize('value', ['lots', -1, True, float('nan'), 1 << 63])
def test_a_bad_value_of_any_prefix_is_a_failure_naming_its_key(prefix, limit, value):
    key = limits.environ_key(prefix, limit)
    with pytest.raises(Failure, match=rf"environ\['{key}'\]"):
        limits.read({key: value}, prefix)


def test_exec_jobs_keep_upstreams_key_for_the_output_limit():
    assert limits.environ_key('exec', 'output_limit_bytes') == 'exec_out_limit'
    assert limits.given({'exec_out_limit': 5}, 'exec') == RunLimits(output_limit_bytes=5)


def test_executor_options_are_upstreams_keywords():
    assert RunLimits(1, 2, 3, 4).executor_options() == {
        'mem_limit': 1, 'time_limit': 2, 'real_time_limit': 3, 'output_limit': 4}


def test_unknown_prefix_is_refused_by_name():
    with pytest.raises(ValueError, match="'exe'"):
        limits.read({}, 'exe')


@pytest.fixture
def jobs(tmp_path, programs):
    j = LocalJobs(tmp_path)
    for name in ('hello', 'gen_tests', 'inwer_pair', 'interactor_sum', 'interactive_sum'):
        shutil.copy(programs[name], j.path(name))
    j.write('in', '2 3\n')
    j.write('hint', '5\n')
    return j


def _job(jobs, kind):
    common = {'exe_file': jobs.path('hello'), 'in_file': jobs.path('in')}
    return {
        'exec': dict(common, job_type='exec'),
        'checker': dict(common, job_type='exec', check_output=True,
                        hint_file=jobs.path('hint'), chk_file=jobs.path('gen_tests')),
        'interactor': dict(common, job_type='interactive-exec',
                           exe_file=jobs.path('interactive_sum'),
                           interactor_file=jobs.path('interactor_sum')),
        'ingen': dict(job_type='ingen', exe_file=jobs.path('gen_tests'), re_string='.*',
                      collected_files_path=jobs.path('collected')),
        'inwer': dict(job_type='inwer', exe_file=jobs.path('inwer_pair'),
                      in_file=jobs.path('in'), in_file_name='1a.in'),
        'compilation': dict(job_type='compile', source_file=jobs.write('a.c', 'int main;'),
                            out_file=jobs.path('prog'), compiler='system-gcc'),
    }[kind]


@pytest.mark.parametrize('prefix', sorted(DEFAULTS))
@pytest.mark.parametrize('limit', ['mem_limit_kib', 'time_limit_ms'])
def test_every_job_refuses_a_bad_limit_naming_its_key(jobs, prefix, limit):
    """Before, a bad ``checker_mem_limit`` was a bare ValueError naming
    ``mem_limit``, neither the key nor the job's fault."""
    key = limits.environ_key(prefix, limit)
    message = f"environ['{key}'] must be a non-negative number, not 'lots'"
    try:
        env = jobs.run(**_job(jobs, prefix), **{key: 'lots'})
    except Failure as exc:
        assert str(exc) == message
    else:  # the interactive jobs report their failures in the environ, as upstream's
        assert env['result'] == 'FAILURE' and env['exception'] == message, env


def test_java_command_bounds_the_heap_and_the_jvm():
    argv, bound = java_command('/job/exe.jar', 64 << 10)
    assert argv == ['java', '-Xmx65536k', '-Xss65536k', '-XX:+UseSerialGC',
                    '-jar', '/job/exe.jar']
    assert bound == (64 << 10) * 2 + JVM_OVERHEAD_KIB
    argv, bound = java_command('A.jar', 1 << 20, 'Main', ['x'])
    assert argv[1:3] == [f'-Xmx{1 << 20}k', f'-Xss{MAX_STACK_KIB}k']
    assert argv[-4:] == ['-classpath', 'A.jar', 'Main', 'x']
    assert bound == (1 << 20) + MAX_STACK_KIB + JVM_OVERHEAD_KIB
    argv, bound = java_command('A.jar', None)
    assert not any(a.startswith(('-Xmx', '-Xss')) for a in argv)
    assert bound > 1 << 20


def test_the_supervisor_takes_the_limits_whole(programs, tmp_path):
    """supervise.run gets the RunLimits the executor adjusted, not four
    numbers copied out of it; None is no limit."""
    from sio._native import supervise
    spin = programs['infinite_loop']
    result = supervise.run(spin, [spin], [], cwd=str(tmp_path),
                           limits=RunLimits(time_limit_ms=200))
    assert result.code == 'TLE', result.text
    result = supervise.run(spin, [spin], [], cwd=str(tmp_path),
                           limits=RunLimits(real_time_limit_ms=200, time_limit_ms=None))
    assert result.code == 'TLE', result.text
    with pytest.raises(OverflowError):
        supervise.run(spin, [spin], [], limits=RunLimits(time_limit_ms=-1))


@pytest.mark.skipif(os.geteuid() != 0, reason='only root can give programs ids of their own')
def test_the_supervisor_takes_the_confinement_whole(tmp_path):
    """supervise.run reads an executor's Confinement by the C structs'
    names: the leased ids, the quotas; a bad field is refused by name;
    ids given back are not used."""
    from sio._native import supervise
    from sio.workers.executors.native import Confinement
    out = tmp_path / 'out'

    def ids_and_files(confinement):
        with open(out, 'wb') as f:
            result = supervise.run('/bin/sh', ['sh', '-c', 'id -u; ulimit -n'], [],
                                   cwd=str(tmp_path), stdout=f.fileno(),
                                   confinement=confinement)
        assert result.code == 'OK', result.text
        return out.read_text().split()

    uid, files = ids_and_files(Confinement(lease_ids=True, max_open_files=37))
    assert uid != '0' and files == '37'
    with supervise.lease_ids() as ids:
        assert ids_and_files(Confinement(ids=ids))[0] == str(ids.uid)
    with pytest.raises(supervise.SupervisionError, match='released already'):
        ids_and_files(Confinement(ids=ids))
    with pytest.raises(supervise.SupervisionError, match='lend must be one of'):
        ids_and_files(Confinement(lease_ids=True, lend='w'))
    assert ids_and_files(None)[0] == '0'


def test_executors_take_a_jobs_limits_whole_or_upstreams_keywords(programs):
    """A job hands the executor the RunLimits it read (checked once);
    upstream's keywords still work; both at once is a mistake, said so."""
    from sio.workers.executors import SupervisedExecutor
    from sio.workers.jobdir import TemporaryCwd

    spin = programs['infinite_loop']
    with TemporaryCwd():
        executor = SupervisedExecutor()
        renv = executor([spin], limits=RunLimits(time_limit_ms=100), ignore_errors=True)
        assert renv['result_code'] == 'TLE'
        renv = executor([spin], time_limit=100, ignore_errors=True)
        assert renv['result_code'] == 'TLE'
        with pytest.raises(TypeError, match='limits= is the whole'):
            executor([spin], limits=RunLimits(time_limit_ms=100), time_limit=100)
