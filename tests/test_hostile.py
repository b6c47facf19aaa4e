"""Hostile programs (tests/programs/) under the native executors.

Every case checks the verdict and, through the ``no_leaks`` and ``job_dir``
fixtures, that no process, zombie, descriptor or temporary directory is
left behind.
"""

import os
import re
import resource
import threading
import time

import psutil
import pytest
from hostile_cases import DET, LOCAL, SUP, case_ids, cases, check

from sio._native import supervise
from sio.workers.executors import DetailedUnprotectedExecutor, SupervisedExecutor
from sio.workers.util import TemporaryCwd, tempcwd

pytestmark = pytest.mark.usefixtures('job_dir', 'no_leaks')

CASES = cases(SUP, LOCAL, DET)


def executor_for(kind):
    if kind == DET:
        return DetailedUnprotectedExecutor()
    return SupervisedExecutor(allow_local_open=(kind == LOCAL))


def run_program(programs, name, kind, **limits):
    with open(tempcwd('in'), 'w') as f:
        f.write('2 3\n')
    with open(tempcwd('data'), 'w') as f:
        f.write('local contents\n')
    with open(tempcwd('in'), 'rb') as stdin, open(tempcwd('out'), 'wb') as stdout:
        renv = executor_for(kind)([programs[name]], stdin=stdin, stdout=stdout,
                                  ignore_errors=True, **limits)
    with open(tempcwd('out'), 'rb') as f:
        return renv, f.read()


@pytest.mark.parametrize('name, kind, limits, code, text, stdout', CASES, ids=case_ids(CASES))
def test_hostile_program(programs, name, kind, limits, code, text, stdout):
    renv, out = run_program(programs, name, kind, **limits)
    check(renv, out, code, text, stdout)
    for key in ('time_used', 'mem_used', 'num_syscalls', 'return_code', 'real_time_used'):
        assert isinstance(renv[key], int) and renv[key] >= 0, (key, renv)
    if renv['result_code'] == 'RE' and renv['result_string'].startswith('process exited'):
        assert renv['exit_signal'] == int(renv['result_string'].rsplit(' ', 1)[1])


@pytest.mark.parametrize('kind', [SUP, DET])
def test_cpu_limit_is_precise(programs, kind):
    limit = 1000
    renv, _ = run_program(programs, 'infinite_loop', kind, time_limit=limit)
    assert renv['result_code'] == 'TLE'
    # Killed within 5% + 20 ms of the limit.
    assert limit <= renv['time_used'] <= limit * 1.05 + 20, renv


def test_real_time_limit_default_is_64_times_cpu_plus_one_second(programs):
    start = time.monotonic()
    renv, _ = run_program(programs, 'sleep_forever', SUP, time_limit=10)
    assert renv['result_code'] == 'TLE'
    assert renv['result_string'] == 'real time limit exceeded'
    assert 1640 - 20 <= renv['real_time_used'] <= 1640 + 200
    assert time.monotonic() - start < 5


def test_real_time_limit_zero_means_none(programs):
    renv, _ = run_program(programs, 'hello', SUP, time_limit=10, real_time_limit=0)
    assert renv['result_code'] == 'OK'


def test_output_flood_file_stays_at_the_limit(programs):
    limit = 1 << 20
    run_program(programs, 'output_flood', SUP, output_limit=limit)
    assert os.path.getsize(tempcwd('out')) <= limit + 64 * 1024


def test_memory_is_measured(programs):
    sup, _ = run_program(programs, 'bss_30m', SUP, mem_limit=36 << 10)
    assert 30 << 10 <= sup['mem_used'] <= 36 << 10  # peak virtual memory
    det, _ = run_program(programs, 'bss_30m', DET)
    assert 30 << 10 <= det['mem_used'] <= 34 << 10  # peak RSS, of the program only


def test_supervised_counts_inspected_syscalls(programs):
    renv, _ = run_program(programs, 'hello', SUP)
    # At least the fstat of stdout (newfstatat, a file rule's stop); the
    # break moves without a stop.
    assert renv['num_syscalls'] >= 1
    det, _ = run_program(programs, 'hello', DET)
    assert det['num_syscalls'] == 0


def test_orphan_in_new_session_is_killed(programs):
    renv, out = run_program(programs, 'setsid_orphan', DET)
    assert renv['result_code'] == 'OK'
    orphan = int(out)
    deadline = time.monotonic() + 2
    while psutil.pid_exists(orphan) and time.monotonic() < deadline:
        try:
            if psutil.Process(orphan).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.01)
    alive = psutil.pid_exists(orphan) and \
        psutil.Process(orphan).status() != psutil.STATUS_ZOMBIE
    assert not alive, f'orphan {orphan} outlived the run'


def test_worker_rlimits_untouched(programs):
    before = {r: resource.getrlimit(r) for r in
              (resource.RLIMIT_AS, resource.RLIMIT_STACK, resource.RLIMIT_FSIZE,
               resource.RLIMIT_CPU, resource.RLIMIT_CORE)}
    run_program(programs, 'malloc_bomb', SUP, mem_limit=20 << 10, time_limit=500,
                output_limit=1000)
    after = {r: resource.getrlimit(r) for r in before}
    assert before == after


def test_missing_program_is_se_not_a_traceback():
    renv = SupervisedExecutor()([tempcwd('does-not-exist')], ignore_errors=True)
    assert renv['result_code'] == 'SE'
    assert 'does-not-exist' in renv['result_string']
    renv = DetailedUnprotectedExecutor()(['no-such-command-xyz'], ignore_errors=True)
    assert renv['result_code'] == 'SE' and 'no-such-command-xyz' in renv['result_string']


def test_supervision_failure_is_se():
    result = supervise.run('/bin/true', ['true'], [], cwd='/nonexistent-dir', trace=True)
    assert result.code == 'SE'
    assert 'chdir' in result.text


def test_shell_syntax_is_refused_by_supervised_executor():
    renv = SupervisedExecutor()('echo a | cat', ignore_errors=True)
    assert renv['result_code'] == 'SE'
    assert 'shell' in renv['result_string']


def test_ignore_return(programs):
    renv = SupervisedExecutor()([programs['exit42']], ignore_return=True)
    assert renv['result_code'] == 'OK' and renv['return_code'] == 42


def test_non_ok_raises_exec_error_unless_ignored(programs):
    from sio.workers.executors import ExecError

    with pytest.raises(ExecError, match='RE'):
        SupervisedExecutor()([programs['exit42']])
    assert SupervisedExecutor()([programs['exit42']],
                                extra_ignore_errors=('RE',))['result_code'] == 'RE'


def test_many_runs_in_four_threads(programs):
    plan = [
        ('cpu_and_print', {}, 'OK'),
        ('exit42', {}, 'RE'),
        ('infinite_loop', {'time_limit': 100}, 'TLE'),
        ('open_passwd', {}, 'RV'),
        ('malloc_bomb', {'mem_limit': 16 << 10}, 'MLE'),
    ]
    expected_output = None
    errors = []
    outputs = []

    def worker(n):
        try:
            for i in range(50):
                name, limits, code = plan[(n + i) % len(plan)]
                with TemporaryCwd():
                    renv, out = run_program(programs, name, SUP, **limits)
                if renv['result_code'] != code:
                    errors.append((name, renv))
                if name == 'cpu_and_print':
                    outputs.append(out)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    expected_output = outputs[0]
    assert re.fullmatch(rb'\d+\n', expected_output)
    assert len(outputs) == 40 and all(o == expected_output for o in outputs)


def _vm_size_kib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmSize:'):
                return int(line.split()[1])
    raise AssertionError('no VmSize in /proc/self/status')


def test_threads_give_back_their_child_stacks(programs):
    """A supervising thread keeps the stack its programs start on for its
    next run, and gives it back when it ends: threads that come and go
    (a pool's) do not leave a mapping each."""
    def one_run():
        with TemporaryCwd():
            renv, _ = run_program(programs, 'hello', SUP)
        assert renv['result_code'] == 'OK'

    one_run()  # this thread's stack, the module's own state
    threading.Thread(target=one_run).start()  # glibc's thread-stack cache
    time.sleep(0.1)
    before = _vm_size_kib()
    for _ in range(30):
        thread = threading.Thread(target=one_run)
        thread.start()
        thread.join()
    # 30 kept stacks would be 30 x 128 KiB.
    assert _vm_size_kib() - before < 1024


def test_environment_reaches_the_program_and_bad_names_are_named():
    with TemporaryCwd():
        renv = DetailedUnprotectedExecutor()(['/usr/bin/env'], env={'SIO_A': 'x y', 'SIO_B': ''},
                                             capture_output=True)
        lines = renv['stdout'].splitlines()
        assert b'SIO_A=x y' in lines and b'SIO_B=' in lines and b'LC_ALL=en_US.UTF-8' in lines
        renv = DetailedUnprotectedExecutor()(['/usr/bin/env'], env={'SIO=A': '1'},
                                             ignore_errors=True)
        assert renv['result_code'] == 'SE' and "b'SIO=A'" in renv['result_string'], renv
