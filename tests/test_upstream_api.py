"""The module API upstream sioworkers' code and job plugins import."""

import os
import shutil

import pytest
from jobs import LocalJobs

from sio._native import supervise
from sio.workers import util
from sio.workers.executors import (
    DetailedUnprotectedExecutor,
    PRoot32BitExecutor,
    PRootExecutor,
    Sio2JailExecutor,
    SupervisedExecutor,
    _SIOSupervisedExecutor,
)
from sio.workers.file_runners import get_file_runner
from sio.workers.util import TemporaryCwd, tempcwd


def test_time_helpers():
    assert util.s2ms(1.95) == 1950
    assert f'{util.ms2s(1190):.2f}' == '1.19'
    assert util.ceil_ms2s(1000) == 1 and util.ceil_ms2s(1001) == 2 and util.ceil_ms2s(0) == 0
    timer = util.PerfTimer()
    assert 0 <= timer.elapsed < 5


def test_path_and_text_helpers(tmp_path):
    assert util.path_join_abs('/usr', '/bin/sh') == '/usr/bin/sh'
    assert util.replace_invalid_UTF(b'ok \xff') == 'ok \ufffd'
    assert util.replace_invalid_UTF('ok \udcff') == 'ok ?'

    @util.decode_fields(['a'])
    def make():
        return {'a': b'x', 'b': b'y'}

    assert make() == {'a': 'x', 'b': b'y'}
    path = tmp_path / 'ro'
    path.write_text('x')
    os.chmod(path, 0o444)
    with util.Writable(str(path)):
        assert os.stat(path).st_mode & 0o200
    assert not os.stat(path).st_mode & 0o200


def test_first_entry_point():
    assert util.first_entry_point('sio.jobs', 'ping')({'ping': 1})['pong'] == 1
    with pytest.raises(RuntimeError, match='sio.jobs:nope'):
        util.first_entry_point('sio.jobs', 'nope')


def test_registered_subclasses():
    class Base(util.RegisteredSubclassesBase):
        abstract = True
        seen = []

        @classmethod
        def register_subclass(cls, subclass):
            if cls is Base:
                Base.seen.append(subclass.__name__)

    class A(Base):
        pass

    class B(A):
        pass

    class Hidden(Base):
        abstract = True

    assert Base.subclasses == [A, B] and A.subclasses == [A, B] and B.subclasses == [B]
    assert Base.seen == ['A', 'B']
    assert Hidden not in Base.subclasses


def test_upstream_executor_names():
    assert issubclass(_SIOSupervisedExecutor, SupervisedExecutor)
    assert issubclass(PRoot32BitExecutor, PRootExecutor)
    SupervisedExecutor(use_program_return_code=True)


def test_file_runners_run_by_mode(programs):
    with TemporaryCwd():
        shutil.copy(programs['hello'], tempcwd('exe'))
        with open(tempcwd('in'), 'w') as f:
            f.write('2 3\n')
        environ = {}
        with get_file_runner(SupervisedExecutor(), environ) as runner, \
                open(tempcwd('in'), 'rb') as stdin, open(tempcwd('out'), 'wb') as out:
            assert runner.preferred_filename() == 'exe'
            renv = runner(tempcwd('exe'), [], stdin=stdin, stdout=out)
        assert environ['exec_info'] == {'mode': 'executable'}
        assert renv['result_code'] == 'OK'
        with open(tempcwd('out'), 'rb') as f:
            assert f.read() == b'5\n'
        only = {'exec_info': {'mode': 'output-only'}}
        with get_file_runner(SupervisedExecutor(), only) as runner, \
                open(tempcwd('out2'), 'wb') as out:
            assert runner(tempcwd('in'), [], stdout=out)['result_code'] == 'OK'
        with open(tempcwd('out2'), 'rb') as f:
            assert f.read() == b'2 3\n'
    java = {'exec_info': {'mode': 'java', 'main_class': 'Sum'}}
    assert get_file_runner(DetailedUnprotectedExecutor(), java).preferred_filename() == \
        'Sum.jar'
    # The checking executors run the JVM in its jail (JvmJail).
    assert get_file_runner(SupervisedExecutor(), java).preferred_filename() == 'Sum.jar'
    with pytest.raises(SystemError, match='magic'):
        get_file_runner(SupervisedExecutor(), {'exec_info': {'mode': 'magic'}})


def test_exec_common_run_takes_an_executor(tmp_path, programs):
    """As upstream: sio.executors.common.run(environ, executor)."""
    from sio.executors import common
    from sio.workers.runner import run as run_job  # noqa: F401 (job registry warm-up)

    jobs = LocalJobs(tmp_path)
    shutil.copy(programs['hello'], jobs.path('hello'))
    environ = {'exe_file': jobs.path('hello'), 'in_file': jobs.write('in', '2 3\n'),
               'hint_file': jobs.write('hint', '5\n'), 'check_output': True,
               'use_filetracker': False}
    with TemporaryCwd():
        for executor in (SupervisedExecutor(), DetailedUnprotectedExecutor()):
            env = common.run(dict(environ), executor, use_sandboxes=False)
            assert (env['result_code'], env['result_percentage']) == ('OK', (100, 1))


def test_nose_style_assertion_helpers():
    from sio.assertion_utils import (
        assert_raises,
        eq_,
        in_,
        not_eq_,
        not_in_,
        nottest,
        ok_,
        raises,
        timed,
    )
    from sio.testing_utils import str_to_bool

    ok_(1), eq_(1, 1), not_eq_(1, 2), in_(1, [1]), not_in_(2, [1])
    for failing in (lambda: ok_(0), lambda: eq_(1, 2), lambda: not_eq_(1, 1),
                    lambda: in_(2, [1]), lambda: not_in_(1, [1])):
        assert_raises(AssertionError, failing)
    with pytest.raises(AssertionError):
        assert_raises(ValueError, lambda: None)
    raises(KeyError)(lambda: {}['x'])()
    with pytest.raises(AssertionError, match='took'):
        timed(0.01)(lambda: __import__('time').sleep(0.05))()
    assert nottest(lambda: None).__test__ is False
    assert [str_to_bool(v) for v in ('1', 'YES', 'on', 'true', True)] == [True] * 5
    assert [str_to_bool(v) for v in ('0', '', None, 'no', False, 1)] == [False] * 6


def test_output_only_needs_no_executor_nor_input(tmp_path):
    """upstream's run(environ, executor=None) for an output-only
    submission: the output is checked where it is."""
    from sio.executors.common import run as run_executor

    out = tmp_path / 'answer.txt'
    out.write_text('42\n')
    hint = tmp_path / 'hint'
    hint.write_text('42\n')
    with TemporaryCwd():
        env = run_executor({'exec_info': {'mode': 'output-only'}, 'exe_file': str(out),
                            'check_output': True, 'hint_file': str(hint),
                            'use_filetracker': False}, executor=None)
    assert env['result_code'] == 'OK' and env['out_file'] == str(out)


def test_program_left_executable_by_its_owner_only_still_runs(programs):
    """Upstream callers chmod 0700 the program; run under ids of its own it
    must still start (and, with local opens, read itself)."""
    with TemporaryCwd():
        shutil.copy(programs['hello'], tempcwd('exe'))
        with open(tempcwd('in'), 'w') as f:
            f.write('2 3\n')
        # The program by its absolute path and relative to the job directory.
        for executor, command in ((DetailedUnprotectedExecutor(), tempcwd('exe')),
                                  (DetailedUnprotectedExecutor(), './exe'),
                                  (SupervisedExecutor(allow_local_open=True), tempcwd('exe')),
                                  (Sio2JailExecutor(), tempcwd('exe'))):
            os.chmod(tempcwd('exe'), 0o700)
            with executor, open(tempcwd('in'), 'rb') as stdin:
                renv = executor([command], stdin=stdin, capture_output=True,
                                ignore_errors=True)
            assert renv['result_code'] == 'OK', (executor, command, renv)
            expected = 0o705 if supervise.ids_available() else 0o700
            assert os.stat(tempcwd('exe')).st_mode & 0o777 == expected


def test_inner_job_directory_is_private_and_reachable():
    """TemporaryCwd('compile'): its root may be crossed (javac opens sources
    by absolute path as the run's own uid), not listed."""
    with TemporaryCwd('compile') as path:
        assert os.path.basename(path) == 'compile'
        assert os.stat(path).st_mode & 0o777 == 0o700
        assert os.stat(os.path.dirname(path)).st_mode & 0o777 == 0o711


def test_java_runs_in_the_locally_served_java_sandbox(tmp_path):
    """compiler-java.1_8 under PRootExecutor, as upstream's tests run
    default-java programs: served by the machine's JDK."""
    if shutil.which('proot') is None or shutil.which('javac') is None:
        pytest.skip('proot or the JDK is not installed')
    jobs = LocalJobs(tmp_path)
    jobs.compile('hi.java', 'public class hi { public static void main(String[] a) '
                 '{ System.out.println("hi from java"); } }', compiler='default-java',
                 out='hi.jar')
    with TemporaryCwd():
        shutil.copy(jobs.path('hi.jar'), tempcwd('hi.jar'))
        executor = PRootExecutor('compiler-java.1_8')
        runner = get_file_runner(executor, {'exec_info': {'mode': 'java'}})
        with runner:
            renv = runner(tempcwd('hi.jar'), [], capture_output=True,
                          proot_options=['-b', '/proc'])
    assert renv['return_code'] == 0 and renv['stdout'].strip() == b'hi from java', renv
