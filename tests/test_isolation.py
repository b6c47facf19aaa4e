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
import subprocess

import pytest

from tests.test_containment import ALL, RV, STATIC, run

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
        assert (renv['result_code'], renv['result_string']) == \
            ('RE', 'runtime error 3'), renv
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
