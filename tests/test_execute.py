"""UnprotectedExecutor and execute(): shell semantics, limits, capture."""

import os
import time

import pytest

from sio.workers.execute import execute
from sio.workers.executors import ExecError, UnprotectedExecutor, noquote
from sio.workers.util import tempcwd

from conftest import processes_with_cmdline

pytestmark = pytest.mark.usefixtures('job_dir', 'no_leaks')


def test_shell_builtins_and_exit_codes():
    assert execute('exit 0') == (0, b'')
    with pytest.raises(ExecError, match='exit status 1'):
        execute('exit 1')
    assert execute('exit 7', ignore_errors=True)[0] == 7
    assert execute('exit 7', extra_ignore_errors=(7,))[0] == 7
    with pytest.raises(ExecError):
        execute('exit 8', extra_ignore_errors=(7,))


def test_list_items_are_quoted_unless_noquote():
    rc, out = execute(['echo', 'a  b;', '$HOME', noquote('|'), 'tr', 'a', 'X'])
    assert rc == 0 and out == b'X  b; $HOME\n'


def test_runs_in_the_job_directory_with_locale():
    rc, out = execute('pwd; echo $LC_ALL $LANGUAGE')
    cwd, locale = out.decode().splitlines()
    assert os.path.realpath(cwd) == os.path.realpath(tempcwd())
    assert locale == 'en_US.UTF-8 en_US.UTF-8'


def test_env_is_added():
    assert execute('echo $FOO', env={'FOO': 'bar'})[1] == b'bar\n'


def test_split_lines_and_forward_stderr():
    _, lines = execute('echo a; echo b >&2; echo c', split_lines=True, forward_stderr=True)
    # As upstream: split at every newline, so a final one gives an empty line.
    assert sorted(lines) == [b'', b'a', b'b', b'c']
    assert execute('printf "a\\nb"', split_lines=True)[1] == [b'a', b'b']
    _, out = execute('echo a; echo b >&2')
    assert out == b'a\n'


def test_stdin_and_stdout_files():
    with open(tempcwd('in'), 'w') as f:
        f.write('3 4\n')
    with open(tempcwd('in')) as fin, open(tempcwd('out'), 'w') as fout:
        UnprotectedExecutor()('read a b; echo $((a*b))', stdin=fin, stdout=fout)
    with open(tempcwd('out')) as f:
        assert f.read() == '12\n'


def test_output_limit_stops_a_flood():
    rc, out = execute('yes', output_limit=10_000, ignore_errors=True)
    assert rc != 0
    assert len(out) <= 10_000


def test_memory_limit_is_an_address_space_rlimit():
    rc, _ = execute(['python3', '-c', 'x = bytearray(300 * 1024 * 1024)'],
                    mem_limit=100 * 1024, ignore_errors=True)
    assert rc != 0
    assert execute(['python3', '-c', 'x = bytearray(10 * 1024 * 1024)'],
                   mem_limit=300 * 1024)[0] == 0


def test_cpu_time_limit():
    start = time.monotonic()
    rc, _ = execute('while :; do :; done', time_limit=300, ignore_errors=True)
    assert rc != 0
    assert time.monotonic() - start < 5


def test_real_time_limit_kills_the_whole_group():
    marker = f'30.{os.getpid()}{time.monotonic_ns() % 1000000}'
    start = time.monotonic()
    rc, _ = execute(f'sh -c "sleep {marker}" & sleep {marker} & sleep 0.1; '
                    f'echo $(pgrep -c -f "sleep {marker}") > count; wait',
                    real_time_limit=400, ignore_errors=True)
    assert rc != 0
    assert time.monotonic() - start < 5
    with open(tempcwd('count')) as f:
        assert int(f.read()) >= 2  # the sleepers did run
    assert processes_with_cmdline(marker) == []


def test_limits_from_environ_with_prefix():
    environ = {'x_real_time_limit': 200}
    start = time.monotonic()
    rc, _ = execute('sleep 5', environ=environ, environ_prefix='x_', ignore_errors=True,
                    real_time_limit=10_000)
    assert rc != 0 and time.monotonic() - start < 3


def test_bad_limit_and_option_are_named():
    with pytest.raises(ValueError, match="environ\\['mem_limit'\\]"):
        execute('true', environ={'mem_limit': 'lots'})
    with pytest.raises(TypeError, match='frobnicate'):
        execute('true', frobnicate=True)
    with pytest.raises(ValueError, match='empty command'):
        execute([])
