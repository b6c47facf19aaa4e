"""The checker protocol: custom checkers, scores, broken checkers."""

import os
import shutil
import subprocess

import pytest
from jobs import LocalJobs

from sio._native import supervise
from sio.executors.checker import CheckerError, output_to_fraction


@pytest.mark.parametrize('text, fraction', [
    ('42', (42, 1)), ('42.123', (42123, 1000)), ('42/21', (2, 1)), ('1e5', (100000, 1)),
    ('', (100, 1)), ('  \n', (100, 1)), (b'50', (50, 1)), (' 7 ', (7, 1)), ('-3', (-3, 1)),
])
def test_output_to_fraction_accepts(text, fraction):
    assert output_to_fraction(text) == fraction


@pytest.mark.parametrize('text', ['42 2', '42,2', '42/0', 'abc', '1/2/3', '0x10'])
def test_output_to_fraction_rejects(text):
    with pytest.raises(CheckerError):
        output_to_fraction(text)


@pytest.fixture
def jobs(tmp_path, programs):
    j = LocalJobs(tmp_path)
    shutil.copy(programs['hello'], j.path('hello'))
    return j


def checker(jobs, body, name='chk'):
    path = jobs.write(name, '#!/bin/sh\n' + body)
    return path


def check(jobs, chk_body, **extra):
    env = {'job_type': 'exec', 'exe_file': jobs.path('hello'),
           'in_file': jobs.write('in', '2 3\n'), 'hint_file': jobs.write('hint', '5\n'),
           'check_output': True, 'chk_file': checker(jobs, chk_body)}
    env.update(extra)
    return jobs.run(**env)


@pytest.mark.parametrize('score, expected', [
    ('100', (100, 1)), ('37.5', (75, 2)), ('1/3', (1, 3)), ('', (100, 1)),
])
def test_scores(jobs, score, expected):
    env = check(jobs, f'echo OK\necho nice\necho "{score}"\n')
    assert env['result_code'] == 'OK'
    assert env['result_string'] == 'nice'
    assert env['result_percentage'] == expected


def test_checker_reads_in_out_and_hint(jobs):
    body = ('read a b < "$1"; read got < "$2"; read want < "$3"\n'
            'if [ "$got" = "$((a+b))" ] && [ "$got" = "$want" ]; then echo OK; '
            'else echo WRONG; echo "got $got"; fi\n')
    assert check(jobs, body)['result_code'] == 'OK'
    wa = check(jobs, body, hint_file=jobs.write('hint2', '6\n'))
    assert wa['result_code'] == 'WA' and wa['result_string'] == 'got 5'
    assert wa['result_percentage'] == (0, 1)


def test_ok_without_comment_keeps_ok(jobs):
    env = check(jobs, 'echo OK\n')
    assert env['result_code'] == 'OK' and env['result_string'] == 'ok'


def test_anything_but_ok_is_wrong(jobs):
    env = check(jobs, 'echo ok\necho lowercase is not OK\n')
    assert env['result_code'] == 'WA'
    assert check(jobs, 'true\n')['result_code'] == 'WA'


def test_comment_cut_to_1024_bytes(jobs):
    env = check(jobs, 'echo WRONG\nhead -c 5000 /dev/zero | tr "\\0" "x"; echo\n')
    assert env['result_code'] == 'WA'
    assert len(env['result_string'].encode()) == 1024
    assert env['result_string'].endswith('[...]')


@pytest.mark.parametrize('body, fragment', [
    ('echo OK; exit 2\n', 'exit status 2'),
    ('echo OK; echo; echo "42 2"\n', 'invalid score'),
    ('echo OK; echo; echo "1/0"\n', 'zero denominator'),
    ('kill -SEGV $$\n', 'signal'),
    ('while :; do :; done\n', 'time limit'),
])
def test_broken_checker_fails_the_job(jobs, body, fragment):
    env = check(jobs, body, checker_time_limit=300)
    assert env['result'] == 'FAILURE'
    assert fragment in env['exception']
    assert env['result_code'] == 'SE' and 'result_percentage' not in env


def test_checker_flooding_its_output_is_judged_on_what_it_wrote_first(jobs):
    """As upstream, a checker's long comment is cut, not an error: one that
    writes past checker_output_limit is stopped there."""
    env = check(jobs, 'echo WRONG\nhead -c 3000000 /dev/zero | tr "\\0" "x"; echo\n')
    assert env['result'] == 'SUCCESS', env.get('exception')
    assert env['result_code'] == 'WA' and env['result_string'].endswith('[...]')


def test_checker_error_is_a_system_error_as_upstream_raises():
    from sio.executors.checker import CheckerError
    from sio.workers import Failure

    assert issubclass(CheckerError, SystemError) and issubclass(CheckerError, Failure)


UNTRUSTED_CHECKER = r'''
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "r"), *hint = fopen(argv[3], "r");
    long a, b, got, want;
    if (!in || !out || !hint || fscanf(in, "%ld %ld", &a, &b) != 2 ||
        fscanf(out, "%ld", &got) != 1 || fscanf(hint, "%ld", &want) != 1) return 2;
    /* What an untrusted checker must not be able to do: */
    int shadow = fopen("/etc/shadow", "r") != NULL;
    int host_file = fopen("SECRET_PATH", "r") != NULL;
    FILE *w = fopen(argv[2], "w");
    if (got == a + b && got == want) puts("OK"); else puts("WRONG");
    printf("shadow=%d secret=%d write=%d\n", shadow, host_file, w != NULL);
    return 0;
}
'''


def test_untrusted_checker_runs_in_the_jail(jobs, tmp_path):
    secret = tmp_path / 'secret.txt'
    secret.write_text('not for checkers')
    src = tmp_path / 'chk.c'
    src.write_text(UNTRUSTED_CHECKER.replace('SECRET_PATH', str(secret)))
    # Dynamically linked on purpose: it needs the host's libraries.
    subprocess.run(['gcc', '-O2', '-o', jobs.path('chk-bin'), str(src)], check=True)
    env = {'job_type': 'exec', 'exe_file': jobs.path('hello'),
           'in_file': jobs.write('in', '2 3\n'), 'hint_file': jobs.write('hint', '5\n'),
           'check_output': True, 'chk_file': jobs.path('chk-bin'), 'untrusted_checker': True}
    result = jobs.run(**env)
    assert result['result'] == 'SUCCESS', result.get('exception')
    assert result['result_code'] == 'OK'
    assert result['result_string'] == 'shadow=0 secret=0 write=0'
    trusted = jobs.run(**dict(env, untrusted_checker=False))
    if supervise.ids_available():
        # Trusted (no jail) it sees the host's files, but as a uid of its
        # own, never with the worker's root powers.
        assert trusted['result_string'] == 'shadow=0 secret=0 write=0'
    else:
        # The same checker trusted (no jail), as the worker, can do all of it.
        readable = int(os.access('/etc/shadow', os.R_OK))
        assert trusted['result_string'] == f'shadow={readable} secret=1 write=1'


def test_untrusted_checker_limits(jobs, tmp_path):
    src = tmp_path / 'spin.c'
    src.write_text('int main(void) { for (;;); }')
    subprocess.run(['gcc', '-O2', '-o', jobs.path('spin'), str(src)], check=True)
    env = {'job_type': 'exec', 'exe_file': jobs.path('hello'),
           'in_file': jobs.write('in', '2 3\n'), 'hint_file': jobs.write('hint', '5\n'),
           'check_output': True, 'chk_file': jobs.path('spin'), 'untrusted_checker': True,
           'checker_time_limit': 300}
    result = jobs.run(**env)
    assert result['result'] == 'FAILURE' and 'time limit' in result['exception']
