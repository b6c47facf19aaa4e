"""Containment II: the worker's secrets, files, kernel and clock stay out of
every program's reach.

Each class first shows the harm without a sandbox (a plain
``subprocess.run`` of the same hostile program; skipped where this machine
cannot show it, saying why), then asserts it is contained under every
executor concerned: ``sup`` (SupervisedExecutor), ``det``
(DetailedUnprotectedExecutor: compilers, trusted checkers, generators),
``jail`` (Sio2JailExecutor), ``rt`` (RealTimeSio2JailExecutor) and ``chk``
(the jail untrusted checkers, generators, verifiers and interactors get).
"""

import os
import shutil
import subprocess

import pytest

from tests.test_containment import ALL, RV, STATIC, executor, run

pytestmark = pytest.mark.usefixtures('job_dir')


@pytest.fixture(autouse=True)
def _nothing_left_behind(request):
    # Not with a Filetracker client, whose connections stay open by design.
    if 'ft_client' not in request.fixturenames:
        request.getfixturevalue('no_leaks')


def unsandboxed(programs, name, *args):
    """What the program does with nothing around it: its stdout."""
    done = subprocess.run([programs[name], *args], capture_output=True, timeout=60)
    return done.stdout


# --- 3. A program cannot steer its own policy --------------------------------

@pytest.mark.parametrize('how', ['syscall', 'prctl'])
@pytest.mark.parametrize('kind', ALL)
def test_no_program_installs_a_seccomp_filter(programs, kind, how):
    assert unsandboxed(programs, 'seccomp_steer', how) == b'installed\n'
    renv, out = run(programs, kind, 'seccomp_steer', how)
    if kind in STATIC:
        # no_new_privs is the first prctl it makes: every prctl but a few
        # harmless ones is RV there.
        assert (renv['result_code'], renv['result_string']) == ('RV', RV.format('prctl'))
    else:
        assert (renv['result_code'], out) == ('OK', b'refused EPERM\n'), renv


@pytest.mark.parametrize('how', ['unshare', 'clone', 'setns'])
@pytest.mark.parametrize('kind', ALL)
def test_no_program_makes_a_namespace(programs, kind, how):
    if os.geteuid() == 0 or how != 'setns':
        assert unsandboxed(programs, 'ns_create', how) == b'made\n'
    renv, out = run(programs, kind, 'ns_create', how)
    if kind in STATIC:
        # setns needs /proc/self/ns/net first: an open, which is RV.
        refused = {'unshare': RV.format('unshare'), 'clone': RV.format('clone'),
                   'setns': 'opening files is not allowed'}[how]
        if kind != 'sup' and how == 'setns':
            # The jail's minimal box has no /proc at all.
            assert (renv['result_code'], out) == ('OK', b'refused ENOENT\n'), renv
        else:
            assert (renv['result_code'], renv['result_string']) == ('RV', refused), renv
    elif kind == 'chk' and how == 'unshare':
        assert (renv['result_code'], renv['result_string']) == \
            ('RV', RV.format('unshare')), renv
    elif kind == 'chk' and how == 'setns':
        assert (renv['result_code'], out) == ('OK', b'refused ENOENT\n'), renv
    else:
        assert (renv['result_code'], out) == ('OK', b'refused EPERM\n'), renv


# --- 4. Append-only output, whatever write call is used -----------------------

@pytest.mark.parametrize('kind', ALL)
def test_rwf_noappend_cannot_rewrite_the_output(programs, kind, tmp_path):
    target = tmp_path / 'plain'
    with open(target, 'ab') as f:
        done = subprocess.run([programs['append_rewrite'], 'noappend'], stdout=f,
                              timeout=60)
    if done.returncode != 0 or target.stat().st_size != 1 << 20:
        pytest.skip('this kernel has no RWF_NOAPPEND (Linux 6.9+): nothing to refuse')
    renv, _ = run(programs, kind, 'append_rewrite', 'noappend', append=True,
                  output_limit=1 << 20)
    if kind in STATIC:
        assert (renv['result_code'], renv['result_string']) == \
            ('RV', RV.format('pwritev2')), renv
    else:
        # EPERM: the program gives up (exit 3), having written nothing.
        assert (renv['result_code'], renv['return_code']) == ('RE', 3), renv
    from sio.workers.util import tempcwd
    assert os.path.getsize(tempcwd('out')) == 0


# --- 2. The worker never follows what a program made -----------------------

@pytest.fixture
def secret(tmp_path):
    """A file only root may read, as /etc/shadow is."""
    path = tmp_path / 'secret'
    path.write_text('root:SECRET-HASH:19000::::::\n')
    path.chmod(0o600)
    return path


def exec_job(programs, tmp_path, stdin_text, job_type='unsafe-exec', **extra):
    from sio.workers.runner import run as run_job
    (tmp_path / 'in').write_text(stdin_text)
    (tmp_path / 'hint').write_text('x\n')
    env = {'job_type': job_type, 'exe_file': programs['replace_output'],
           'in_file': str(tmp_path / 'in'), 'out_file': str(tmp_path / 'result'),
           'hint_file': str(tmp_path / 'hint'), 'check_output': True,
           'use_filetracker': False, 'exec_time_limit': 5000, **extra}
    return run_job(env)


def test_a_program_that_links_its_output_elsewhere_reads_nothing(programs, tmp_path, secret):
    # Without the sandbox, a link in place of the output is what root
    # would read and upload.
    os.symlink(secret, tmp_path / 'shown')
    assert (tmp_path / 'shown').read_text().startswith('root:SECRET')
    result = exec_job(programs, tmp_path, f'symlink out {secret}')
    assert result['result'] == 'SUCCESS', result
    assert (result['result_code'], result['result_string']) == \
        ('RV', 'output file replaced by a symbolic link'), result
    uploaded = (tmp_path / 'result').read_bytes()
    assert b'SECRET' not in uploaded and uploaded == b''
    assert b'SECRET' not in repr(result).encode()


@pytest.mark.parametrize('how, what', [('fifo', 'a FIFO'), ('dir', 'a directory')])
def test_a_fifo_or_directory_in_place_of_the_output_is_a_verdict(programs, tmp_path,
                                                                 how, what):
    result = exec_job(programs, tmp_path, f'{how} out')
    assert (result['result_code'], result['result_string']) == \
        ('RV', f'output file replaced by {what}'), result


@pytest.mark.parametrize('how, message', [
    ('file', 'output file replaced by another file'),
    ('remove', 'output file removed'),
])
def test_another_file_in_place_of_the_output_is_not_the_output(programs, tmp_path,
                                                               how, message):
    """Even a regular file the program made itself is not the file it was
    given (a hard link to a file of the host's would look like one)."""
    result = exec_job(programs, tmp_path, f'{how} out')
    assert (result['result_code'], result['result_string']) == ('RV', message), result
    assert (tmp_path / 'result').read_bytes() == b''


@pytest.mark.parametrize('planted', ['hint', 'chk'])
def test_files_written_after_the_run_are_not_written_through_links(programs, tmp_path,
                                                                    secret, planted):
    """Local files (sio-batch, sio-judge): the hint and checker are copied
    into the job directory after the run, where the program may have
    planted links under their names."""
    before = secret.read_bytes()
    mode = secret.stat().st_mode
    extra = {}
    if planted == 'chk':
        checker = tmp_path / 'checker.sh'
        checker.write_text('#!/bin/sh\necho OK\n')
        extra['chk_file'] = str(checker)
    result = exec_job(programs, tmp_path, f'symlink {planted} {secret}', **extra)
    assert result['result'] == 'SUCCESS', result
    assert secret.read_bytes() == before
    assert secret.stat().st_mode == mode
    assert result['result_code'] == 'OK', result


def test_links_are_not_followed_with_filetracker(programs, tmp_path, secret, ft_client):
    from sio.workers.runner import run as run_job
    (tmp_path / 'in').write_text(f'symlink out {secret}')
    (tmp_path / 'hint').write_text('x\n')
    for name in ('in', 'hint'):
        ft_client.put_file(f'/iso/{name}', str(tmp_path / name))
    ft_client.put_file('/iso/exe', programs['replace_output'])
    result = run_job({'job_type': 'unsafe-exec', 'exe_file': '/iso/exe',
                      'in_file': '/iso/in', 'hint_file': '/iso/hint',
                      'out_file': '/iso/out', 'upload_out': True, 'check_output': True})
    assert (result['result_code'], result['result_string']) == \
        ('RV', 'output file replaced by a symbolic link'), result
    ft_client.get_file('/iso/out', str(tmp_path / 'got'), add_to_cache=False)
    assert b'SECRET' not in (tmp_path / 'got').read_bytes()


# --- 1. The worker's secrets -------------------------------------------------

@pytest.fixture
def worker_secret(monkeypatch):
    """A secret in the worker's environment and on a command line, as a
    worker started with its broker URL has them."""
    monkeypatch.setenv('CELERY_BROKER_URL', 'amqp://sio:hunter2@broker//')
    import sys
    proc = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)',
                             'amqp://sio:hunter2@broker//'])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize('kind', ALL)
def test_no_program_reads_the_workers_environment(programs, kind, worker_secret):
    assert b'hunter2' in unsandboxed(programs, 'read_secrets', 'CELERY_BROKER_URL')
    renv, out = run(programs, kind, 'read_secrets', 'CELERY_BROKER_URL')
    assert renv['result_code'] == 'OK', renv
    assert out == b'env:- \n'


@pytest.mark.parametrize('kind', ['det', 'jail', 'rt', 'chk'])
def test_no_program_reads_another_processs_command_line(programs, kind, worker_secret):
    """(The static policy of ``sup`` opens no file at all: see
    test_containment.)"""
    pid = str(worker_secret)
    shown = unsandboxed(programs, 'read_secrets', '-', pid)
    assert b'hunter2' in shown, 'the harm cannot be shown: /proc hides it already'
    renv, out = run(programs, kind, 'read_secrets', '-', pid)
    assert renv['result_code'] == 'OK', renv
    assert b'hunter2' not in out
    assert b'cmdline:ENOENT' in out, out
    # Nor the worker's own.
    renv, out = run(programs, kind, 'read_secrets', '-', str(os.getpid()))
    assert b'cmdline:ENOENT' in out, out


@pytest.mark.skipif(not shutil.which('fpc'), reason='Free Pascal is not installed')
def test_a_compiler_cannot_compile_the_workers_secrets_in(tmp_path, worker_secret):
    from sio.workers.runner import run as run_job
    source = tmp_path / 'leak.pas'
    source.write_text("program leak; begin writeln('[{$I %CELERY_BROKER_URL%}]'); end.\n")
    result = run_job({'job_type': 'compile', 'source_file': str(source),
                      'out_file': str(tmp_path / 'leak'), 'compiler': 'system-pas',
                      'use_filetracker': False})
    assert result['result_code'] == 'OK', result.get('compiler_output')
    assert b'hunter2' not in (tmp_path / 'leak').read_bytes()


def test_detailed_programs_get_an_allow_listed_environment(worker_secret):
    from sio.workers.executors import DetailedUnprotectedExecutor
    from sio.workers.util import tempcwd
    with DetailedUnprotectedExecutor() as ex:
        renv = ex(['env'], capture_output=True)
    names = {line.split(b'=', 1)[0]: line.split(b'=', 1)[1]
             for line in renv['stdout'].splitlines()}
    assert set(names) == {b'PATH', b'HOME', b'TMPDIR', b'LC_ALL', b'LANGUAGE'}, names
    assert names[b'HOME'] == tempcwd().encode()
    assert os.path.dirname(names[b'TMPDIR']) == tempcwd().encode()
    assert os.listdir(names[b'TMPDIR']) == [], 'what the run left in its TMPDIR stayed'


# --- 5. Nothing outlives a run, nothing crosses between runs -----------------

def _ipc_objects():
    found = []
    for kind in ('shm', 'msg', 'sem'):
        with open(f'/proc/sysvipc/{kind}') as f:
            found += [line.split()[:2] for line in f.readlines()[1:]]
    return found


@pytest.mark.parametrize('kind', ALL)
def test_nothing_is_left_in_shared_places(programs, kind):
    name = f'sio-leftover-{os.getpid()}'
    key = str(0x5100 + os.getpid() % 1000)
    ipc_before = _ipc_objects()
    try:
        renv, out = run(programs, kind, 'ipc_leftovers', 'plant', key, name)
        if kind in STATIC:
            assert (renv['result_code'], renv['result_string']) == \
                ('RV', RV.format('shmget')), renv
        elif kind == 'chk':  # the permissive policy: keyrings are RV
            assert (renv['result_code'], renv['result_string']) == \
                ('RV', RV.format('add_key')), renv
            assert out == b''
        else:
            assert renv['result_code'] == 'OK', renv
            assert b'made' not in out, out
        for where in ('/tmp', '/var/tmp', '/dev/shm'):
            assert not os.path.lexists(f'{where}/{name}')
        assert _ipc_objects() == ipc_before
    finally:
        for where in ('/tmp', '/var/tmp', '/dev/shm'):
            if os.path.lexists(f'{where}/{name}'):
                os.unlink(f'{where}/{name}')
        subprocess.run(['ipcrm', '-M', key, '-Q', key, '-S', key], capture_output=True)


def test_the_harm_of_shared_places_without_a_sandbox(programs, tmp_path):
    """What the test above keeps out: a program as it is plants them all."""
    name = f'sio-leftover-bare-{os.getpid()}'
    key = str(0x5200 + os.getpid() % 1000)
    try:
        out = unsandboxed(programs, 'ipc_leftovers', 'plant', key, name)
        assert out.split() == [b'shm:made', b'msg:made', b'sem:made', b'tmp:made',
                               b'vartmp:made', b'devshm:made', b'key:made'], out
    finally:
        for where in ('/tmp', '/var/tmp', '/dev/shm'):
            if os.path.lexists(f'{where}/{name}'):
                os.unlink(f'{where}/{name}')
        subprocess.run(['ipcrm', '-M', key, '-Q', key, '-S', key], capture_output=True)
        subprocess.run([programs['ipc_leftovers'], 'clean', key, name])


SLOW_TO_COMPILE = (
    'constexpr long f() { long s = 0; for (long i = 0; i < 4000000000L; i++) s += i % 7; '
    'return s; }\nstatic_assert(f() > 0);\nint main() {}\n')
SLOW_FLAGS = ['-fconstexpr-ops-limit=100000000000', '-fconstexpr-loop-limit=2000000000']


@pytest.mark.skipif(not shutil.which('g++'), reason='g++ is not installed')
def test_a_killed_compiler_leaves_no_temporary_files(tmp_path):
    """A compiler killed at its limit cannot remove its temporary files:
    bare, they stay in TMPDIR; its TMPDIR is private and goes with the run."""
    from sio.workers.executors import DetailedUnprotectedExecutor
    from sio.workers.util import tempcwd
    bare_tmp = tmp_path / 'bare'
    bare_tmp.mkdir()
    (tmp_path / 'slow.cpp').write_text(SLOW_TO_COMPILE)
    subprocess.run(['timeout', '-s', 'KILL', '1', 'g++', *SLOW_FLAGS, 'slow.cpp'],
                   cwd=tmp_path, env=dict(os.environ, TMPDIR=str(bare_tmp)))
    assert os.listdir(bare_tmp), 'the harm cannot be shown: g++ left nothing behind'

    with open(tempcwd('slow.cpp'), 'w') as f:
        f.write(SLOW_TO_COMPILE)
    shared_tmp = set(os.listdir('/tmp'))
    with DetailedUnprotectedExecutor() as ex:
        renv = ex(['g++', *SLOW_FLAGS, 'slow.cpp', '-o', 'slow'], time_limit=1000,
                  ignore_errors=True)
    assert renv['result_code'] == 'TLE', renv
    # The private TMPDIR stays for the job's next run, emptied.
    assert sorted(os.listdir(tempcwd())) == ['.sio-tmp', 'slow.cpp']
    assert os.listdir(tempcwd('.sio-tmp')) == []
    assert not {n for n in set(os.listdir('/tmp')) - shared_tmp if n.startswith('cc')}


def test_the_private_tmpdir_state_is_read_through_a_descriptor(tmp_path):
    from sio._native import supervise
    path = str(tmp_path / 'scratch')
    assert supervise.scratch_state(path) == 'missing'
    os.mkdir(path)
    assert supervise.scratch_state(path) == 'foreign'  # not mode 01777
    os.chmod(path, 0o1777)
    assert supervise.scratch_state(path) == 'empty'
    with open(os.path.join(path, 'left'), 'w') as f:
        f.write('x')
    assert supervise.scratch_state(path) == 'used'
    assert supervise.scratch_state(path, look_inside=False) == 'used'
    (tmp_path / 'link').symlink_to(path)
    os.mkfifo(tmp_path / 'fifo')
    (tmp_path / 'file').write_text('x')
    for name in ('link', 'fifo', 'file'):
        for look_inside in (True, False):
            assert supervise.scratch_state(str(tmp_path / name), look_inside) == 'foreign'
    if os.geteuid() == 0:
        os.chown(path, 12345, -1)
        assert supervise.scratch_state(path) == 'foreign'  # not ours
    # What the careful Python path makes and keeps is ours to the native
    # check too: the two rules agree.
    from sio.workers import jobfiles
    for name in ('link', 'fifo', 'file', 'scratch'):
        made = jobfiles.private_directory(str(tmp_path / name))
        assert supervise.scratch_state(made) == 'empty', name
        kept = os.lstat(made).st_ino
        jobfiles.private_directory(made)
        assert os.lstat(made).st_ino == kept, 'a directory of ours is kept'


@pytest.mark.parametrize('replacement', [
    'ln -s "$VICTIM" "$TMPDIR"',        # a link to a directory of the host's
    'mkfifo "$TMPDIR"',                 # a FIFO, which would block a reader
    'echo x > "$TMPDIR"',               # a file
    'mkdir "$TMPDIR" && echo x > "$TMPDIR/left"',  # a directory of its own
])
def test_a_replaced_private_tmpdir_is_never_followed(tmp_path, replacement):
    """A program that puts something else where its TMPDIR was: the worker
    removes that thing, never what a link points to, never blocks, and the
    next run gets a private TMPDIR of the worker's, empty."""
    from sio.workers.executors import DetailedUnprotectedExecutor
    from sio.workers.util import tempcwd
    # Empty, mode 01777 and ours: followed, it would pass for the private
    # TMPDIR, and the next run would get the link.
    victim = tmp_path / 'victim'
    victim.mkdir()
    victim.chmod(0o1777)
    with DetailedUnprotectedExecutor() as ex:
        renv = ex(['sh', '-c', f'rm -rf "$TMPDIR" && {replacement}'],
                  env={'VICTIM': str(victim)}, ignore_errors=True)
        assert renv['result_code'] == 'OK', renv
        assert not os.path.lexists(tempcwd('.sio-tmp')) or \
            os.path.isdir(tempcwd('.sio-tmp')) and not os.path.islink(tempcwd('.sio-tmp'))
        renv = ex(['sh', '-c', 'test -d "$TMPDIR" && test ! -L "$TMPDIR" && ls -A "$TMPDIR"'
                   ' && stat -c %a "$TMPDIR"'], capture_output=True)
    assert renv['stdout'] == b'1777\n', renv
    assert victim.is_dir() and os.listdir(victim) == []


# --- 6. No network for trusted tools by default ------------------------------

@pytest.fixture
def local_server():
    import socket
    with socket.socket() as server:
        server.bind(('127.0.0.1', 0))
        server.listen(8)
        yield server.getsockname()[1]


def test_detailed_programs_have_no_network(programs, local_server):
    port = str(local_server)
    assert subprocess.run([programs['socket_connect'], port]).returncode == 0
    renv, _ = run(programs, 'det', 'socket_connect', port)
    assert (renv['result_code'], renv['return_code']) == ('RE', 3), renv


def test_a_tool_that_needs_the_network_can_have_it(programs, local_server):
    from sio.workers.executors import DetailedUnprotectedExecutor
    with DetailedUnprotectedExecutor(network=True) as ex:
        renv = ex([programs['socket_connect'], str(local_server)], ignore_errors=True)
    assert renv['result_code'] == 'OK', renv


# --- 4. Memory the kernel holds: page tables ----------------------------------

def test_page_table_bound_counts_every_level():
    from sio._native import testhooks
    gib = 1 << 30
    # One page: a table page at each of three levels.
    assert testhooks.table_bound_kib(gib, 4096) == 12
    # Pages side by side share their tables: 2 MiB needs one of each.
    assert testhooks.table_bound_kib(gib, 2 << 20) == 12
    # Straddling a 2 MiB boundary needs two last-level tables.
    assert testhooks.table_bound_kib(gib + (2 << 20) - 4096, 8192) == 16
    assert testhooks.table_bound_kib(0, 0) == 0
    assert testhooks.table_bound_kib(2 ** 64 - 4096, 8192) == 0  # wraps: not a mapping


def _page_tables_kib_without_a_sandbox(programs, count):
    """VmPTE of the hoarding program near its end, run bare."""
    import time
    proc = subprocess.Popen([programs['pgtable_hoard'], str(count)], stdout=subprocess.PIPE)
    try:
        proc.stdout.readline()
        time.sleep(0.02)
        with open(f'/proc/{proc.pid}/status') as f:
            return int(next(line for line in f if line.startswith('VmPTE:')).split()[1])
    finally:
        proc.wait(10)


@pytest.mark.parametrize('kind', ALL)
def test_page_tables_count_against_the_memory_limit(programs, kind):
    """30000 pages, each a gigabyte from the next: 117 MiB mapped, about
    235 MiB of page tables; under a 128 MiB limit that is MLE."""
    assert _page_tables_kib_without_a_sandbox(programs, 30000) > 200 << 10
    renv, out = run(programs, kind, 'pgtable_hoard', '30000', mem_limit=128 << 10,
                    time_limit=10000)
    assert (renv['result_code'], renv['result_string']) == \
        ('MLE', 'memory limit exceeded'), renv
    assert out == b''


@pytest.mark.parametrize('kind', ALL)
def test_a_few_placed_pages_are_not_mle(programs, kind):
    renv, out = run(programs, kind, 'pgtable_hoard', '100', mem_limit=128 << 10)
    assert (renv['result_code'], out) == ('OK', b'100\n'), renv


# --- 7. Runs in parallel never fail each other --------------------------------

@pytest.mark.parametrize('kind', ['sup', 'det'])
def test_parallel_runs_of_freshly_copied_programs_never_fail(programs, kind):
    """Each thread copies its program anew and runs it, while siblings
    spawn theirs: a sibling's child holds the copy's write descriptor for
    a moment (between its fork and its exec), and an exec of a file open
    for writing fails with ETXTBSY (about 1 run in 100 here without the
    supervisor's retry). No run may fail for that."""
    import threading

    from sio.workers.util import TemporaryCwd, tempcwd

    failures = []
    stop = threading.Event()

    def burn():  # CPU load: longer windows between fork and exec
        while not stop.is_set():
            sum(range(10000))

    def worker():
        with TemporaryCwd():
            for i in range(60):
                path = tempcwd(f'prog{i}')
                shutil.copyfile(programs['tiny'], path)
                os.chmod(path, 0o755)
                with executor(kind) as ex:
                    renv = ex([path], ignore_errors=True)
                if renv['result_code'] != 'OK':
                    failures.append(renv)

    burners = [threading.Thread(target=burn) for _ in range(2)]
    workers = [threading.Thread(target=worker) for _ in range(8)]
    for t in burners + workers:
        t.start()
    for t in workers:
        t.join()
    stop.set()
    for t in burners:
        t.join()
    assert not failures, failures[:3]


def test_worker_credentials_come_from_a_private_file(tmp_path, monkeypatch):
    from sio.celery.worker import load_env_file
    monkeypatch.setenv('CELERY_BROKER_URL', '')  # so that the test's value is undone
    monkeypatch.delenv('CELERY_BROKER_URL')
    env = tmp_path / 'env'
    env.write_text('# the fleet\nCELERY_BROKER_URL=amqp://sio:pw@broker//\n\n')
    env.chmod(0o644)
    with pytest.raises(ValueError, match='chmod 600'):
        load_env_file(str(env))
    assert 'CELERY_BROKER_URL' not in os.environ
    env.chmod(0o600)
    assert load_env_file(str(env)) == {'CELERY_BROKER_URL': 'amqp://sio:pw@broker//'}
    assert os.environ['CELERY_BROKER_URL'] == 'amqp://sio:pw@broker//'
    env.write_text('not a line\n')
    with pytest.raises(ValueError, match='expected NAME=value'):
        load_env_file(str(env))


def test_worker_refuses_an_env_file_open_to_others(tmp_path):
    import sys
    env = tmp_path / 'env'
    env.write_text('CELERY_BROKER_URL=amqp://sio:pw@broker//\n')
    env.chmod(0o640)
    done = subprocess.run([sys.executable, '-m', 'sio.celery.worker', '--env-file',
                           str(env)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f'sio-celery-worker: --env-file: {env} is open to others (mode 640): '
        f'chmod 600 it, it holds credentials']


# --- fake_time, as upstream passes it on to its jail ---------------------------

@pytest.mark.parametrize('mode', ['zero', 'random'])
@pytest.mark.parametrize('kind', ['sup', 'det', 'jail', 'rt'])
def test_fake_time_hides_every_clock(programs, kind, mode):
    bare = unsandboxed(programs, 'read_clock').split()
    assert bare[0] == b'syscall:OK'
    from sio.workers.util import tempcwd
    with open(tempcwd('out'), 'wb') as out, executor(kind) as ex:
        renv = ex([programs['read_clock']], stdout=out, ignore_errors=True,
                  fake_time=mode)
    assert renv['result_code'] == 'OK', renv
    with open(tempcwd('out'), 'rb') as f:
        words = dict(w.split(b':', 1) for w in f.read().split())
    assert words[b'syscall'] == b'EPERM'
    a, b = (int(x) for x in words[b'rdtsc'].split(b','))
    if mode == 'zero':
        assert (a, b, int(words[b'rdtscp']), words[b'aux']) == (0, 0, 0, b'0')
    else:
        assert a != b  # fresh random numbers, not a clock: no order between them


def test_fake_time_through_jobs_as_upstream_passes_it(programs, tmp_path):
    from sio.workers.runner import run as run_job
    (tmp_path / 'in').write_text('')
    for job_type in ('exec', 'sio2jail-exec'):
        result = run_job({'job_type': job_type, 'exe_file': programs['read_clock'],
                          'in_file': str(tmp_path / 'in'), 'use_filetracker': False,
                          'out_file': str(tmp_path / 'out'), 'fake_time': 'zero'})
        assert result['result_code'] == 'OK', result
        assert (tmp_path / 'out').read_bytes().startswith(b'syscall:EPERM rdtsc:0,0 ')
    bad = run_job({'job_type': 'exec', 'exe_file': programs['read_clock'],
                   'in_file': str(tmp_path / 'in'), 'use_filetracker': False,
                   'fake_time': 'sometimes'})
    assert bad['result'] == 'FAILURE' and "environ['fake_time']" in bad['exception']


def test_the_jail_takes_fake_time_as_stock_sio2jail():
    from sio._native import helper_path
    done = subprocess.run([helper_path('sio2jail'), '--fake-time', 'never', '/bin/true'],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1
    assert 'option --fake-time takes off, random or zero, not never' in done.stderr
    shown = subprocess.run([helper_path('sio2jail'), '--fake-time', 'random', '-p',
                            'permissive', '--show-config', '--', '/bin/true'],
                           capture_output=True, text=True, timeout=30).stdout
    # As stock sio2jail: a faked clock comes with the default policy.
    assert 'fake_time=random' in shown and 'policy=default' in shown


def test_a_compiler_that_leaves_a_link_as_its_output_produced_nothing(tmp_path, secret):
    """What a compiler left where its output should be is never followed:
    a link to a file of the host's is no output (and nothing is read)."""
    from sio.compilers.common import Compiler

    class LinkingCompiler(Compiler):
        source_extension = '.c'

        def command(self, source, sources, extra_args):
            return ['ln', '-s', str(secret), self.output_name()]

    (tmp_path / 'a.c').write_text('int main(void) { return 0; }\n')
    environ = {'source_file': str(tmp_path / 'a.c'), 'out_file': str(tmp_path / 'a.out'),
               'use_filetracker': False}
    result = LinkingCompiler(environ).compile()
    assert result['result_code'] == 'CE'
    assert 'produced no output file' in result['compiler_output']
    assert not (tmp_path / 'a.out').exists()
