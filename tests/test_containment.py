"""Containment: what a hostile program may not do to the worker, the host or
the clock, in every executor that runs untrusted code.

Executors: ``sup`` (SupervisedExecutor), ``det`` (DetailedUnprotectedExecutor,
which runs compilers, trusted checkers, generators and verifiers), ``jail``
(Sio2JailExecutor, CPU-time mode on machines without perf counters), ``rt``
(RealTimeSio2JailExecutor) and ``chk`` (the jail as untrusted checkers get
it: permissive policy, host libraries). Every case also checks, through
``no_leaks`` and ``job_dir``, that nothing is left behind; the signal cases
check that the worker and an unrelated process got nothing.
"""

import errno
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from sio._native import supervise, testhooks
from sio.workers.executors import (
    DetailedUnprotectedExecutor,
    RealTimeSio2JailExecutor,
    Sio2JailExecutor,
    SupervisedExecutor,
    isolated_checker_executor,
)
from sio.workers.executors.unprotected import DETAILED_CONFINEMENT
from sio.workers.util import tempcwd

pytestmark = pytest.mark.usefixtures('job_dir', 'no_leaks')

ALL = ('sup', 'det', 'jail', 'rt', 'chk')
CPU_TIMED = ('sup', 'det', 'jail', 'chk')  # rt measures the wall clock
STATIC = ('sup', 'jail', 'rt')  # the static policy: refusals are RV
RV = 'intercepted forbidden syscall {}'
AS_ROOT = supervise.ids_available()


def executor(kind, local_open=False):
    return {
        'sup': lambda: SupervisedExecutor(allow_local_open=local_open),
        'det': DetailedUnprotectedExecutor,
        'jail': Sio2JailExecutor,
        'rt': RealTimeSio2JailExecutor,
        'chk': isolated_checker_executor,
    }[kind]()


def run(programs, kind, name, *args, stdout='file', append=False, local_open=False,
        **limits):
    """Run a program; (renv, what it wrote to stdout)."""
    with open(tempcwd('in'), 'w') as f:
        f.write('2 3\n')
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    if append:
        flags |= os.O_APPEND
    out_fd = os.open(tempcwd('out'), flags, 0o644)
    try:
        with open(tempcwd('in'), 'rb') as stdin, \
                os.fdopen(out_fd, 'wb', closefd=False) as out:
            with executor(kind, local_open) as ex:
                renv = ex([programs[name], *args], stdin=stdin,
                          stdout=out if stdout == 'file' else stdout,
                          ignore_errors=True, **limits)
    finally:
        os.close(out_fd)
    with open(tempcwd('out'), 'rb') as f:
        return renv, f.read()


# --- 1. Signals routed through descriptors --------------------------------

ROUTES = ['setown', 'setown_pgrp', 'setown_ex', 'fiosetown', 'lease', 'notify']


@pytest.fixture
def victim():
    """An unrelated process, and a count of SIGUSR2 the worker receives."""
    proc = subprocess.Popen(['sleep', '60'], start_new_session=True)
    received = []
    old = signal.signal(signal.SIGUSR2, lambda *_: received.append(1))
    try:
        yield proc, received
    finally:
        signal.signal(signal.SIGUSR2, old)
        proc.kill()
        proc.wait()


@pytest.mark.parametrize('route', ROUTES)
@pytest.mark.parametrize('kind', ALL)
def test_signal_routing_is_refused(programs, victim, kind, route):
    proc, received = victim
    for target, sig in ((proc.pid, signal.SIGKILL), (os.getpid(), signal.SIGUSR2)):
        renv, out = run(programs, kind, 'sigio_owner', route, str(target), str(int(sig)))
        if kind in STATIC:
            assert renv['result_code'] == 'RV', renv
            assert renv['result_string'] == RV.format(
                'ioctl' if route == 'fiosetown' else 'fcntl'), renv
        elif kind == 'det' and AS_ROOT:
            # A uid of its own: the kernel refuses its signals to anyone
            # else, so the filter need not (whatever the program was told).
            assert renv['result_code'] == 'OK', renv
        else:
            assert renv['result_code'] == 'OK', renv
            assert out.startswith(b'refused ') and out.endswith(b' EPERM\n'), out
    time.sleep(0.1)
    assert proc.poll() is None, 'the unrelated process was killed'
    assert not received, 'the worker was signalled'


def test_signal_routing_through_a_job_leaves_sio_batch_alive(programs, tmp_path):
    """The issue's end-to-end case: the exec job, through sio-batch."""
    import json
    import sys
    env = {'job_type': 'exec', 'exe_file': programs['sigio_owner'],
           'in_file': str(tmp_path / 'in'), 'use_filetracker': False}
    (tmp_path / 'in').write_text('')
    done = subprocess.run([sys.executable, '-m', 'sio.workers.batch'],
                          env=dict(os.environ, environ=json.dumps(env)),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.split('--- BEGIN ENVIRON ---')[1]
                        .split('--- END ENVIRON ---')[0])
    assert result['result_code'] == 'RV'


# --- 2. Memory held by the kernel ------------------------------------------

@pytest.mark.parametrize('kind', ALL)
def test_pipe_buffers_are_bounded(programs, kind):
    renv, out = run(programs, kind, 'pipe_hoard', 'grow', mem_limit=64 << 10)
    if kind in STATIC:
        assert (renv['result_code'], renv['result_string']) == ('RV', RV.format('fcntl'))
    renv, out = run(programs, kind, 'pipe_hoard', 'plain', mem_limit=64 << 10)
    assert renv['result_code'] == 'OK', renv
    # Descriptors bound the pipes: 64 (static), 128 (checker), 256 (detailed)
    # descriptors, two a pipe, 64 KiB each.
    files = {'sup': 64, 'jail': 64, 'rt': 64, 'chk': 128,
             'det': DETAILED_CONFINEMENT.max_open_files}[kind]
    assert int(out) <= files // 2 * 64 // 1024 + 1, out


@pytest.mark.parametrize('kind', ALL)
def test_memfd_memory_is_refused(programs, kind):
    renv, out = run(programs, kind, 'memfd_hoard', mem_limit=64 << 10)
    if kind in STATIC:
        assert (renv['result_code'], renv['result_string']) == \
            ('RV', RV.format('memfd_create'))
    else:
        assert renv['result_code'] == 'OK' and out == b'0\n', (renv, out)


@pytest.mark.skipif(not supervise.memcg_version(),
                    reason='no memory cgroup can be made here (needs root and the cgroup '
                           'v1 memory controller or a delegated v2 one)')
@pytest.mark.parametrize('kind', ['det', 'chk'])
def test_memory_cgroup_holds_the_run(programs, kind):
    renv, _ = run(programs, kind, 'hello', mem_limit=64 << 10)
    assert renv['memory_bound'] == f'cgroup-v{supervise.memcg_version()}', renv


@pytest.mark.parametrize('kind', STATIC)
def test_static_programs_are_bounded_by_the_address_space(programs, kind):
    """The static policy leaves nothing to hold outside the address space
    (the cases above), so no cgroup is joined."""
    renv, _ = run(programs, kind, 'hello', mem_limit=64 << 10)
    assert renv['memory_bound'] == 'rlimit'


@pytest.mark.skipif(not supervise.memcg_version(),
                    reason='no memory cgroup can be made here (needs root and the cgroup '
                           'v1 memory controller or a delegated v2 one)')
def test_memory_cgroup_bounds_memory_held_outside_the_address_space(programs, monkeypatch):
    """A program of the detailed executor writes files in its job
    directory; where that directory is on a tmpfs, the files are memory:
    200 MiB written under a 64 MiB limit is MLE, and the pages it left
    charged to its cgroup do not spoil the next run under the same ids.
    (Shared tmpfs directories such as /dev/shm it may not write at all:
    test_isolation.)"""
    import tempfile

    from sio.workers.util import TemporaryCwd
    if not os.path.isdir('/dev/shm'):
        pytest.skip('no /dev/shm: no tmpfs to hold a job directory')
    monkeypatch.setattr(tempfile, 'tempdir', '/dev/shm')
    with TemporaryCwd(), DetailedUnprotectedExecutor() as ex:
        renv = ex(['dd', 'if=/dev/zero', f'of={tempcwd("big")}', 'bs=1M', 'count=200'],
                  mem_limit=64 << 10, ignore_errors=True)
        bound = f'cgroup-v{supervise.memcg_version()}'
        assert (renv['result_code'], renv['memory_bound']) == ('MLE', bound), renv
        assert os.path.getsize(tempcwd('big')) <= (64 << 20) + (8 << 20)
        again = ex(['true'], mem_limit=32 << 10)
        assert again['result_code'] == 'OK', again


def test_memory_bound_without_cgroup_is_the_rlimit(programs):
    if supervise.memcg_version():
        pytest.skip('memory cgroups can be made here (see the tests above)')
    renv, _ = run(programs, 'det', 'hello', mem_limit=64 << 10)
    assert renv['memory_bound'] == 'rlimit'


# --- 3, 4. The clock --------------------------------------------------------

@pytest.mark.parametrize('kind', CPU_TIMED)
def test_kernel_time_counts_and_is_tle(programs, kind):
    renv, _ = run(programs, kind, 'sys_spin', time_limit=1000)
    assert (renv['result_code'], renv['result_string']) == \
        ('TLE', 'time limit exceeded'), renv
    assert 1000 <= renv['time_used'] <= 1050 + 20, renv


@pytest.mark.parametrize('how', ['syscall', 'sleep'])
@pytest.mark.parametrize('kind', CPU_TIMED)
def test_tick_dodging_does_not_hide_cpu_time(programs, kind, how):
    renv, _ = run(programs, kind, 'tick_dodger', how, '3000', time_limit=700)
    assert (renv['result_code'], renv['result_string']) == \
        ('TLE', 'time limit exceeded'), renv
    assert renv['time_used'] >= 700, renv


@pytest.mark.parametrize('kind', ['sup', 'det'])
def test_time_used_is_the_programs_whole_cpu_time(programs, kind):
    renv, out = run(programs, kind, 'tick_dodger', 'syscall', '800', time_limit=5000)
    assert renv['result_code'] == 'OK', renv
    measured = int(out)  # the program's own precise CPU clock
    assert measured <= renv['time_used'] <= measured + 30, (renv, out)


# --- 5. Processes the tracer would not see -----------------------------------

@pytest.mark.parametrize('how', ['untraced', 'parent'])
@pytest.mark.parametrize('kind', ALL)
def test_untraced_children_are_refused(programs, kind, how):
    renv, out = run(programs, kind, 'untraced_child', how, time_limit=2000)
    if kind in STATIC:
        assert (renv['result_code'], renv['result_string']) == ('RV', RV.format('clone'))
    else:
        assert renv['result_code'] == 'OK', renv
        assert out == b'refused EPERM\n'


@pytest.mark.parametrize('how', ['fork', 'parent_traced'])
@pytest.mark.parametrize('kind', ['det', 'chk'])
def test_childrens_cpu_time_counts(programs, kind, how):
    """A child's CPU time is the run's, and it dies with the run; one made
    the worker's child (CLONE_PARENT) is reaped, never left a zombie."""
    renv, _ = run(programs, kind, 'untraced_child', how, time_limit=1000)
    assert (renv['result_code'], renv['result_string']) == \
        ('TLE', 'time limit exceeded'), renv
    assert renv['time_used'] >= 1000


# --- 6. Quotas shared with other processes --------------------------------

@pytest.mark.parametrize('kind', ALL)
def test_pending_signals_are_bounded(programs, kind):
    renv, out = run(programs, kind, 'sigqueue_flood')
    assert renv['result_code'] == 'OK', renv
    assert int(out) <= supervise.QUOTA_SIGPENDING, out


# --- 7. Output limits --------------------------------------------------------

@pytest.mark.parametrize('how', ['seek', 'truncate'])
@pytest.mark.parametrize('kind', ALL)
def test_append_only_output_cannot_be_rewritten(programs, kind, how):
    renv, _ = run(programs, kind, 'append_rewrite', how, append=True,
                  output_limit=1 << 20)
    assert (renv['result_code'], renv['result_string']) == \
        ('OLE', 'output limit exceeded'), renv
    assert os.path.getsize(tempcwd('out')) <= 1 << 20


@pytest.mark.parametrize('kind', ALL)
def test_output_limit_without_a_file(programs, kind):
    renv, _ = run(programs, kind, 'output_flood', stdout=None, output_limit=1 << 20,
                  time_limit=5000)
    assert (renv['result_code'], renv['result_string']) == \
        ('OLE', 'output limit exceeded'), renv


@pytest.mark.parametrize('kind', ['sup', 'det'])
def test_kept_file_for_null_output_starts_empty_every_run(programs, kind):
    """The unnamed file a thread's runs write instead of /dev/null is kept
    for its next run, emptied: what one run wrote counts against no other
    run's limit, and nothing of it stays on disk."""
    for _ in range(3):
        renv, _ = run(programs, kind, 'write_loop', '700000', stdout=None,
                      output_limit=1 << 20)
        assert renv['result_code'] == 'OK', renv
        kept = supervise._kept_output_file()
        assert kept >= 0 and os.fstat(kept).st_size == 0
    renv, _ = run(programs, kind, 'write_loop', '1100000', stdout=None, output_limit=1 << 20)
    assert renv['result_code'] == 'OLE', renv


def test_file_for_null_output_can_never_be_given_a_name(programs):
    """Not even by its owner, with every power (linkat of the descriptor
    itself): it cannot outlive the runs that write it, nor be opened."""
    import ctypes

    renv, _ = run(programs, 'det', 'write_loop', '10', stdout=None, output_limit=1 << 20)
    assert renv['result_code'] == 'OK'
    kept = supervise._kept_output_file()
    assert kept >= 0
    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd, at_empty_path = -100, 0x1000
    rc = libc.linkat(kept, b'', at_fdcwd, tempcwd('named').encode(), at_empty_path)
    assert rc == -1 and ctypes.get_errno() == errno.ENOENT
    assert not os.path.exists(tempcwd('named'))


def test_kept_file_for_null_output_is_not_shared_with_a_forked_worker(programs):
    """A worker process forked after runs (a prefork pool's) makes a file of
    its own: two processes writing one file would count each other's
    output."""
    renv, _ = run(programs, 'sup', 'write_loop', '10', stdout=None, output_limit=1 << 20)
    assert renv['result_code'] == 'OK'
    parent_file = os.fstat(supervise._kept_output_file()).st_ino
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked worker: report its file's inode, nothing else
        try:
            os.close(read_end)
            before = supervise._kept_output_file()
            renv, _ = run(programs, 'sup', 'write_loop', '10', stdout=None,
                          output_limit=1 << 20)
            inode = os.fstat(supervise._kept_output_file()).st_ino
            os.write(write_end, f'{before} {renv["result_code"]} {inode}'.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, 'rb') as f:
        before, code, inode = f.read().decode().split()
    os.waitpid(pid, 0)
    assert (before, code) == ('-1', 'OK')
    assert int(inode) != parent_file


@pytest.mark.parametrize('kind', ['sup', 'det'])
def test_output_limit_through_a_pipe(programs, kind):
    read_end, write_end = os.pipe()
    got = []

    def drain():
        with os.fdopen(read_end, 'rb') as f:
            while chunk := f.read(65536):
                got.append(len(chunk))

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        with os.fdopen(write_end, 'wb') as w:
            renv, _ = run(programs, kind, 'output_flood', stdout=w, output_limit=1 << 20,
                          time_limit=5000)
    finally:
        reader.join(10)
    assert (renv['result_code'], renv['result_string']) == \
        ('OLE', 'output limit exceeded'), renv
    assert sum(got) <= 1 << 20


# --- 8. Growth the tracer must see -------------------------------------------

@pytest.mark.parametrize('name', ['mremap_dontunmap', 'mmap_fixed_over'])
@pytest.mark.parametrize('kind', ALL)
def test_hidden_growth_is_mle(programs, kind, name):
    renv, _ = run(programs, kind, name, mem_limit=64 << 10)
    assert (renv['result_code'], renv['result_string']) == \
        ('MLE', 'memory limit exceeded'), renv


def test_refused_reservation_reports_the_limit_not_the_request(programs):
    renv, _ = run(programs, 'sup', 'noreserve_huge', mem_limit=64 << 10)
    assert renv['result_code'] == 'MLE'
    assert 64 << 10 < renv['mem_used'] <= (64 << 10) + 1024, renv


# --- 9. Directories ----------------------------------------------------------

def test_opendir_in_local_open_mode(programs):
    with open(tempcwd('data'), 'w') as f:
        f.write('x')
    renv, out = run(programs, 'sup', 'opendir_cwd', 'data', local_open=True)
    assert renv['result_code'] == 'OK', renv
    assert out == b'found data\n'


def test_opendir_in_the_checker_jail(programs):
    with open(tempcwd('data'), 'w') as f:
        f.write('x')
    # The checker jail binds the job directory read-only at its own path.
    with isolated_checker_executor() as ex, open(tempcwd('out'), 'wb') as out:
        renv = ex(['/bin/ls', tempcwd()], stdout=out, ignore_errors=True)
    assert renv['result_code'] == 'OK', renv
    with open(tempcwd('out'), 'rb') as f:
        assert b'data' in f.read().split()


# --- 10, 11. Limits and messages --------------------------------------------

@pytest.mark.parametrize('option, value', [
    ('time_limit', 2 ** 63), ('mem_limit', 2 ** 64), ('mem_limit', 2 ** 54),
    ('real_time_limit', 2 ** 64), ('real_time_limit', 18446744073710),
    ('output_limit', 2 ** 64), ('time_limit', float('nan')), ('mem_limit', -1),
])
@pytest.mark.parametrize('kind', ALL)
def test_absurd_limits_are_refused_by_name(programs, kind, option, value):
    with pytest.raises(ValueError, match=option):
        run(programs, kind, 'hello', **{option: value})


def test_absurd_limit_in_a_job_is_a_failure_naming_the_key(programs, tmp_path):
    from sio.workers.runner import run as run_job
    (tmp_path / 'in').write_text('2 3\n')
    result = run_job({'job_type': 'exec', 'exe_file': programs['hello'],
                      'in_file': str(tmp_path / 'in'), 'use_filetracker': False,
                      'exec_time_limit': 2 ** 63})
    assert result['result'] == 'FAILURE'
    assert 'exec_time_limit' in result['exception']


def test_impossible_syscall_is_named_plainly(programs):
    renv, _ = run(programs, 'sup', 'bad_syscall')
    assert (renv['result_code'], renv['result_string']) == ('RV', RV.format('#-1'))


# --- 12. What one run costs the worker ---------------------------------------

def test_traced_syscalls_cost_the_worker_at_most_the_time_limit(programs):
    before = time.thread_time()
    renv, _ = run(programs, 'sup', 'map_storm', time_limit=1000)
    spent = time.thread_time() - before
    assert (renv['result_code'], renv['result_string']) == \
        ('TLE', 'time limit exceeded'), renv
    assert spent <= 1.5, f'the supervisor spent {spent:.2f} s of CPU'


@pytest.mark.parametrize('kind', STATIC)
def test_failing_execs_tell_nothing_about_the_host(programs, kind):
    renv, out = run(programs, kind, 'exec_probe')
    assert (renv['result_code'], renv['result_string']) == ('RV', RV.format('execve'))
    assert out == b''


@pytest.mark.parametrize('args, message', [
    (['--seccomp', 'maybe'], 'option --seccomp takes on or off, not maybe'),
    (['--utimelimit', '12xs'], 'bad time value for --utimelimit'),
    (['--rtimelimit', '18446744073710ms'], 'bad time value for --rtimelimit'),
    (['-m', '18446744073709550592b'], '--memory-limit 18446744073709550592b is too large'),
    (['-m', '18446744073709551615b'], '--memory-limit 18446744073709551615b is too large'),
    (['--output-limit', '99999999999g'], 'bad --output-limit value'),
    (['-b', '/etc:relative'], 'bad --bind value (OUT:/IN[:ro|rw] expected, IN absolute): '
                              '/etc:relative'),
    (['--uid', '0'], 'bad --uid value'),
    (['--'], 'no program given'),
    (['--', ''], 'no program given'),
])
def test_jail_refuses_bad_options_by_name(args, message):
    from sio._native import helper_path
    done = subprocess.run([helper_path('sio2jail'), *args, *([] if '--' in args else
                                                             ['/bin/true'])],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1, done
    assert message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


# --- Identity ----------------------------------------------------------------

@pytest.mark.skipif(not AS_ROOT, reason='only root can give programs ids of their own')
@pytest.mark.parametrize('kind', ['sup', 'det'])
def test_programs_run_under_ids_of_their_own(programs, kind):
    seen = []
    lock = threading.Lock()

    def one():
        from sio.workers.util import TemporaryCwd
        with TemporaryCwd():
            _, out = run(programs, kind, 'whoami')
        with lock:
            seen.append(out.split())

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    uids = set()
    for words in seen:
        assert words[0] == b'uid' and words[2] == b'gid', words
        uid, gid = int(words[1]), int(words[3])
        assert uid not in (0, os.getuid()) and uid == gid, words
        assert words[5] == b'0', 'supplementary groups kept'
        uids.add(uid)
    assert len(uids) >= 1
    # Concurrent runs never share one: four threads, at most one run each at
    # a time, so any repeat must come from runs that did not overlap.


@pytest.mark.skipif(not AS_ROOT, reason='only root can give programs ids of their own')
def test_worker_stays_dumpable(programs):
    """The vfork child switching ids shares the worker's memory for a
    moment; the worker must not be left non-dumpable by it."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    pr_get_dumpable = 3
    before = libc.prctl(pr_get_dumpable, 0, 0, 0, 0)
    run(programs, 'sup', 'hello')
    run(programs, 'det', 'hello')
    assert libc.prctl(pr_get_dumpable, 0, 0, 0, 0) == before == 1


@pytest.mark.skipif(not AS_ROOT, reason='only root can give programs ids of their own')
def test_concurrent_runs_get_distinct_ids():
    with supervise.lease_ids() as a, supervise.lease_ids() as b:
        assert a.leased and b.leased
        assert a.uid != b.uid
    first, count = testhooks.parse_uid_range('1900000000-1900000999')
    assert (first, count) == (1900000000, 1000)


@pytest.mark.skipif(not AS_ROOT, reason='only root can give programs ids of their own')
def test_ids_are_machine_wide_exclusive(tmp_path):
    """Another process cannot lease the pair this one holds."""
    import sys
    script = ('from sio._native import supervise\n'
              'with supervise.lease_ids() as ids:\n'
              '    print(ids.uid)\n')
    with supervise.lease_ids() as mine:
        others = {int(subprocess.run([sys.executable, '-c', script], check=True,
                                     capture_output=True, text=True).stdout)
                  for _ in range(3)}
        assert mine.uid not in others


@pytest.mark.skipif(not AS_ROOT, reason='only root can give programs ids of their own')
def test_detailed_has_no_capabilities(tmp_path):
    with DetailedUnprotectedExecutor() as ex:
        renv = ex(['grep', '-E', '^(Uid|CapEff|CapPrm|NoNewPrivs)', '/proc/self/status'],
                  capture_output=True)
    fields = dict(line.split(b':\t') for line in renv['stdout'].splitlines())
    assert fields[b'CapEff'].strip() == b'0000000000000000'
    assert fields[b'CapPrm'].strip() == b'0000000000000000'
    assert fields[b'NoNewPrivs'].strip() == b'1'
    assert fields[b'Uid'].split()[0] != b'0'


@pytest.mark.parametrize('text', ['', '5', '10-5', '0-10', '60000-70000', 'a-b',
                                  '1-4294967295'])
def test_bad_uid_ranges_are_refused(text):
    assert testhooks.parse_uid_range(text) is None


@pytest.mark.skipif(not AS_ROOT, reason='only root leases ids')
def test_bad_uid_range_setting_is_a_clear_error(monkeypatch, programs):
    monkeypatch.setenv('SIO_RUN_UIDS', 'lots')
    renv, _ = run(programs, 'sup', 'hello')
    assert renv['result_code'] == 'SE'
    assert 'SIO_RUN_UIDS' in renv['result_string']


UNPRIVILEGED_SCRIPT = r"""
import json, os, sys
from sio.workers.executors import (DetailedUnprotectedExecutor, SupervisedExecutor,
                                   Sio2JailExecutor, isolated_checker_executor)
from sio.workers.util import TemporaryCwd
progs = sys.argv[1]
kinds = {'sup': SupervisedExecutor, 'det': DetailedUnprotectedExecutor,
         'jail': Sio2JailExecutor, 'chk': isolated_checker_executor}
cases = [('sigio_owner', ['setown', str(os.getppid()), '12']),
         ('sigqueue_flood', []), ('pipe_hoard', ['plain']), ('untraced_child', ['untraced']),
         ('sys_spin', [])]
results = {}
with TemporaryCwd() as cwd:
    for kind, make in kinds.items():
        for name, args in cases:
            with open(os.path.join(cwd, 'out'), 'wb') as out, make() as ex:
                renv = ex([os.path.join(progs, name), *args], stdout=out, ignore_errors=True,
                          time_limit=1000, mem_limit=64 << 10)
            with open(os.path.join(cwd, 'out'), 'rb') as f:
                renv['out'] = f.read().decode()
            results[f'{kind} {name}'] = renv
print(json.dumps(results))
"""


@pytest.mark.skipif(not AS_ROOT, reason='needs root to start a worker as another user')
def test_unprivileged_worker_keeps_containment(programs):
    """A worker that is not root keeps its ids for its programs: the
    policies and per-run quotas still hold. Run as nobody, with a Python that
    nobody can run (the system's, when it has this one's ABI)."""
    import json
    import shutil
    import sys
    import sysconfig
    python = shutil.which('python3', path='/usr/bin:/bin') or sys.executable
    abi = subprocess.run([python, '-c', 'import sysconfig; print(sysconfig.get_config_var('
                          '"EXT_SUFFIX"))'], capture_output=True, text=True).stdout.strip()
    if abi != sysconfig.get_config_var('EXT_SUFFIX'):
        pytest.skip(f'no Python for nobody with this build\'s ABI ({abi!r})')
    import pathlib
    import tempfile
    shared = pathlib.Path(tempfile.mkdtemp(prefix='sio-unprivileged-'))
    os.chmod(shared, 0o755)
    for name in ('sigio_owner', 'sigqueue_flood', 'pipe_hoard', 'untraced_child', 'sys_spin'):
        shutil.copy(programs[name], shared / name)
        os.chmod(shared / name, 0o755)
    root = os.path.dirname(os.path.dirname(os.path.abspath(supervise.__file__)))
    received = []
    old = signal.signal(signal.SIGUSR2, lambda *_: received.append(1))
    try:
        done = subprocess.run(
            [python, '-c', UNPRIVILEGED_SCRIPT, str(shared)], capture_output=True, text=True,
            timeout=120, user=65534, group=65534, extra_groups=[],
            env={'PYTHONPATH': os.path.dirname(root), 'HOME': str(shared),
                 'PATH': '/usr/bin:/bin'})
    finally:
        signal.signal(signal.SIGUSR2, old)
        shutil.rmtree(shared)
    if 'ModuleNotFoundError' in done.stderr:
        pytest.skip(f'nobody cannot import this checkout: {done.stderr.strip()[-200:]}')
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for kind in ('sup', 'jail'):
        assert results[f'{kind} sigio_owner']['result_code'] == 'RV'
        assert results[f'{kind} untraced_child']['result_code'] == 'RV'
    for kind in ('det', 'chk'):
        assert results[f'{kind} sigio_owner']['out'].endswith('EPERM\n')
        assert results[f'{kind} untraced_child']['out'] == 'refused EPERM\n'
    for kind in ('sup', 'det', 'jail', 'chk'):
        assert int(results[f'{kind} sigqueue_flood']['out']) <= supervise.QUOTA_SIGPENDING
        assert int(results[f'{kind} pipe_hoard']['out']) <= 8
        assert results[f'{kind} sys_spin']['result_code'] == 'TLE'
        assert results[f'{kind} sys_spin']['memory_bound'] == 'rlimit'
    assert not received


def test_namespaces_made_at_once_by_threads_do_not_deadlock(tmp_path):
    """Each kept namespace is made by a short-lived child holding it until
    a pipe closes. Made by several threads at once, each child once kept
    copies of the others' pipes (and of the host's stdout): two children
    each waited for the other to close, the threads waited for them, for
    ever. Now each child keeps only its own two descriptors."""
    script = tmp_path / 'race.py'
    script.write_text(
        'import os, threading\n'
        'from sio._native import supervise\n'
        'def work():\n'
        '    for _ in range(200):\n'
        '        os.close(supervise.new_net_namespace())\n'
        'threads = [threading.Thread(target=work) for _ in range(4)]\n'
        '[t.start() for t in threads]\n'
        '[t.join() for t in threads]\n'
        'print("done")\n')
    # stdout through a pipe: a child still holding it would keep run() waiting.
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout == 'done\n', out.stderr
