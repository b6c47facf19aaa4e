"""Interactive tasks: solution processes and an interactor joined by pipes."""

import os
import shutil

import pytest
from jobs import LocalJobs

from sio.workers.executors import DetailedUnprotectedExecutor, SupervisedExecutor
from sio.workers.util import TemporaryCwd

from conftest import _kept_by_design

pytestmark = pytest.mark.usefixtures('no_leaks')

INTERACTIVE_JOBS = ['interactive-exec', 'cpu-interactive-exec', 'unsafe-interactive-exec',
                    'sio2jail-interactive-exec']


@pytest.fixture
def jobs(tmp_path, programs):
    j = LocalJobs(tmp_path)
    for name in ('interactor_sum', 'interactor_crash', 'interactive_sum', 'interactive_wrong',
                 'interactive_quit', 'interactive_stall', 'interactor_flood',
                 'interactor_ok_silent'):
        shutil.copy(programs[name], j.path(name))
    return j


def interactive(jobs, job, solution, interactor='interactor_sum', processes=1, in_text=None,
                **extra):
    lines = in_text or ''.join(f'{i + 2} {i * 10 + 3}\n' for i in range(processes))
    env = {'job_type': job, 'exe_file': jobs.path(solution),
           'interactor_file': jobs.path(interactor), 'in_file': jobs.write('in', lines),
           'exec_time_limit': 1000, 'exec_mem_limit': 64 << 10}
    if processes != 1:
        env['num_processes'] = processes
    env.update(extra)
    return jobs.run(**env)


@pytest.mark.parametrize('job', INTERACTIVE_JOBS)
def test_correct_solution(jobs, job):
    env = interactive(jobs, job, 'interactive_sum')
    assert env['result'] == 'SUCCESS', env.get('traceback')
    assert (env['result_code'], env['result_string']) == ('OK', 'all 1 correct')
    assert env['result_percentage'] == (100, 1)
    assert isinstance(env['time_used'], int) and env['time_used'] >= 0


@pytest.mark.parametrize('job', INTERACTIVE_JOBS)
def test_wrong_answer_comes_from_the_interactor(jobs, job):
    env = interactive(jobs, job, 'interactive_wrong')
    assert (env['result_code'], env['result_string']) == ('WA', '0 of 1 correct')
    assert env['result_percentage'] == (0, 1)


@pytest.mark.parametrize('job', ['interactive-exec', 'unsafe-interactive-exec'])
def test_solution_exiting_early(jobs, job):
    env = interactive(jobs, job, 'interactive_quit')
    assert (env['result_code'], env['result_string']) == \
        ('WA', 'solution exited prematurely'), env


@pytest.mark.parametrize('job, verdict', [
    # Wall clock (as upstream 1.5.9): the solution is stopped at 300 ms, the
    # interactor then answers, and what it wrote is the verdict (upstream's
    # order).
    ('interactive-exec', ('WA', 'no answer from process 0')),
    # The solution's own time: it is stopped at its 1.5 s of wall time,
    # after the interactor ran out of its own (1.2 s) with nothing written.
    ('sio2jail-interactive-exec', ('TLE', 'real time limit exceeded')),
])
def test_stalling_solution(jobs, job, verdict):
    env = interactive(jobs, job, 'interactive_stall', exec_time_limit=300,
                      exec_real_time_limit=1500)
    assert (env['result_code'], env['result_string']) == verdict, env


def test_several_processes(jobs):
    env = interactive(jobs, 'interactive-exec', 'interactive_sum', processes=3)
    assert (env['result_code'], env['result_string']) == ('OK', 'all 3 correct'), env


def test_failing_interactor_fails_the_job(jobs):
    env = interactive(jobs, 'interactive-exec', 'interactive_sum',
                      interactor='interactor_crash')
    assert env['result'] == 'FAILURE'
    assert 'interactor failed' in env['exception'] and 'RE' in env['exception']


def test_bad_num_processes(jobs):
    env = interactive(jobs, 'interactive-exec', 'interactive_sum', num_processes=0)
    assert env['result'] == 'FAILURE' and 'num_processes' in env['exception']


def test_interactor_is_isolated(jobs, tmp_path):
    """The interactor runs in the jail: the host's files are not there."""
    import subprocess
    src = tmp_path / 'nosy.c'
    src.write_text('#include <stdio.h>\nint main(void) { FILE *f = fopen("/etc/passwd", "r");'
                   ' printf(f ? "OK\\nsaw the host\\n" : "OK\\nisolated\\n"); return 0; }\n')
    subprocess.run(['gcc', '-O2', '-o', jobs.path('nosy'), str(src)], check=True)
    env = interactive(jobs, 'unsafe-interactive-exec', 'interactive_quit', interactor='nosy')
    assert (env['result_code'], env['result_string']) == ('OK', 'isolated'), env


def _descriptors():
    """{number: what it is} of every descriptor this process holds."""
    out = {}
    for fd in os.listdir('/proc/self/fd'):
        try:
            out[fd] = os.readlink(f'/proc/self/fd/{fd}')
        except OSError:
            pass  # listdir's own
    return out


def test_runs_never_close_a_descriptor_they_do_not_own(jobs):
    """Each pipe end belongs to one run, which closes it: nothing closes it
    a second time, when its number may already be another descriptor. The
    ones watched are those the native core keeps for later runs (kept
    network namespaces, uid locks), which runs in other threads open while
    pipe ends are being handed over; other tests' leftovers may be closed
    by the garbage collector at any time."""
    interactive(jobs, 'sio2jail-interactive-exec', 'interactive_sum', processes=3)
    for job in INTERACTIVE_JOBS:
        before = {fd: what for fd, what in _descriptors().items() if _kept_by_design(fd)}
        env = interactive(jobs, job, 'interactive_sum', processes=3)
        assert env['result_code'] == 'OK', env
        after = _descriptors()
        assert {fd: what for fd, what in before.items() if after.get(fd) != what} == {}, job
    kept = {fd for fd in _descriptors() if _kept_by_design(fd)}
    assert kept, 'no descriptor kept for later runs: the test watches nothing'


def test_handed_descriptors_are_closed_when_the_run_cannot_start(tmp_path):
    """``close_fds`` belong to the run even when it never starts: refused
    before the supervisor (shell syntax, a program not on the PATH) or by
    it (a program that is not there)."""
    for executor, command in ((SupervisedExecutor(), 'prog | tee out'),
                              (DetailedUnprotectedExecutor(), ['no-such-program-here']),
                              (DetailedUnprotectedExecutor(), [str(tmp_path / 'missing')])):
        read_end, write_end = os.pipe()
        pipe = os.readlink(f'/proc/self/fd/{read_end}')
        with TemporaryCwd():
            renv = executor(command, close_fds=(read_end, write_end), ignore_errors=True)
        assert renv['result_code'] == 'SE', renv
        assert pipe not in _descriptors().values(), command


@pytest.mark.parametrize('how', ['signal', 'exit141'])
@pytest.mark.parametrize('job', ['interactive-exec', 'unsafe-interactive-exec'])
def test_interactor_losing_its_pipe_means_the_solution_stopped_early(jobs, job, how):
    """Killed by SIGPIPE or exiting with 141 on EPIPE: the same to upstream
    (whose executor saw the same return code), and so here, whatever the
    timing: never an interactor failure."""
    for _ in range(3):
        env = interactive(jobs, job, 'interactive_quit', interactor='interactor_flood',
                          in_text=f'{how}\n')
        assert env['result'] == 'SUCCESS', env.get('exception')
        assert (env['result_code'], env['result_string']) == \
            ('WA', 'solution exited prematurely'), env


@pytest.mark.parametrize('job', ['interactive-exec'])
def test_accepted_answer_without_a_comment_has_an_empty_result_string(jobs, job, programs):
    """As upstream: the interactor's comment, empty when it wrote none."""
    env = interactive(jobs, job, 'interactive_sum', interactor='interactor_ok_silent')
    assert (env['result_code'], env['result_string']) == ('OK', ''), env
