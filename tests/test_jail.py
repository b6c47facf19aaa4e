"""The bundled sio2jail: the binary, Sio2JailExecutor, RealTimeSio2JailExecutor
and the sio2jail-exec job."""

import errno
import logging
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import psutil
import pytest
from hostile_cases import JAIL, RT, case_ids, cases, check

from sio._native import helper_path, supervise
from sio.workers.executors import (
    RealTimeSio2JailExecutor,
    Sio2JailExecutor,
    isolated_checker_executor,
)
from sio.workers.executors import sio2jail as jail_module
from sio.workers.util import tempcwd

JAIL_BINARY = helper_path('sio2jail')
PERF_WORKS, PERF_WHY = supervise.perf_probe()

CASES = cases(JAIL, RT)


def run_in_jail(programs, name, kind, **options):
    shutil.copy(programs[name], tempcwd('prog'))
    with open(tempcwd('in'), 'w') as f:
        f.write('2 3\n')
    executor = RealTimeSio2JailExecutor() if kind == RT else Sio2JailExecutor()
    with open(tempcwd('in'), 'rb') as stdin, open(tempcwd('out'), 'wb') as stdout:
        renv = executor([tempcwd('prog')], stdin=stdin, stdout=stdout, ignore_errors=True,
                        **options)
    with open(tempcwd('out'), 'rb') as f:
        return renv, f.read()


@pytest.mark.usefixtures('job_dir', 'no_leaks')
@pytest.mark.parametrize('name, kind, limits, code, text, stdout', CASES, ids=case_ids(CASES))
def test_hostile_program_in_jail(programs, name, kind, limits, code, text, stdout):
    renv, out = run_in_jail(programs, name, kind, **limits)
    check(renv, out, code, text, stdout)
    assert renv['time_measure'] in ('instructions', 'cpu', 'real')


@pytest.mark.usefixtures('job_dir', 'no_leaks')
def test_time_limits_in_both_modes(programs):
    renv, _ = run_in_jail(programs, 'infinite_loop', JAIL, time_limit=700)
    assert renv['result_code'] == 'TLE'
    assert 700 <= renv['time_used'] <= 700 * 1.05 + 20
    renv, _ = run_in_jail(programs, 'infinite_loop', RT, time_limit=700)
    assert renv['result_code'] == 'TLE'
    assert renv['time_measure'] == 'real'
    assert 700 <= renv['time_used'] <= 700 * 1.05 + 40
    renv, _ = run_in_jail(programs, 'sleep_forever', RT, time_limit=300)
    assert renv['result_code'] == 'TLE' and renv['time_used'] >= 300


@pytest.mark.usefixtures('job_dir', 'no_leaks')
def test_memory_measured_as_peak_virtual_memory(programs):
    renv, _ = run_in_jail(programs, 'bss_30m', JAIL, mem_limit=36 << 10)
    assert 30 << 10 <= renv['mem_used'] <= 36 << 10


@pytest.mark.usefixtures('job_dir', 'no_leaks')
def test_socket_cannot_reach_the_hosts_loopback(programs):
    """Even where sockets are allowed (permissive policy) the jail's own
    network namespace has no route to the host's 127.0.0.1."""
    with socket.socket() as server:
        server.bind(('127.0.0.1', 0))
        server.listen(1)
        port = server.getsockname()[1]
        # The program can reach the server when it runs outside the jail...
        direct = subprocess.run([programs['socket_connect'], str(port)])
        assert direct.returncode == 0
        # ...but not from inside.
        shutil.copy(programs['socket_connect'], tempcwd('prog'))
        renv = Sio2JailExecutor()([tempcwd('prog'), str(port)], policy='permissive',
                                  ignore_errors=True)
        assert renv['result_code'] == 'RE' and renv['result_string'] == 'runtime error 3'


@pytest.mark.usefixtures('job_dir', 'no_leaks')
def test_forked_processes_die_with_the_jail(programs):
    renv, out = run_in_jail(programs, 'setsid_orphan', JAIL, policy='permissive')
    assert renv['result_code'] == 'OK'
    # The orphan's pid is one of the jail's; nothing of it may survive.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        survivors = [p for p in psutil.process_iter(['exe']) if
                     p.info['exe'] and p.info['exe'].endswith('/prog')
                     and p.status() != psutil.STATUS_ZOMBIE]
        if not survivors:
            break
        time.sleep(0.02)
    assert not survivors


@pytest.mark.usefixtures('job_dir')
def test_fallback_to_cpu_time_is_reported(programs, monkeypatch, caplog):
    monkeypatch.setattr(jail_module, '_perf_state', None)
    monkeypatch.setattr(supervise, 'perf_probe', lambda: (False, 'no PMU here'))
    with caplog.at_level(logging.WARNING):
        renv, _ = run_in_jail(programs, 'hello', JAIL)
    assert renv['result_code'] == 'OK' and renv['time_measure'] == 'cpu'
    assert 'no PMU here' in caplog.text
    monkeypatch.setenv('SIO2JAIL_REQUIRE_PERF', '1')
    renv, _ = run_in_jail(programs, 'hello', JAIL)
    assert renv['result_code'] == 'SE'
    assert 'SIO2JAIL_REQUIRE_PERF' in renv['result_string']


@pytest.mark.skipif(not PERF_WORKS, reason=f'no hardware instruction counters: {PERF_WHY}')
@pytest.mark.usefixtures('job_dir')
def test_instruction_counting(programs):
    renv, _ = run_in_jail(programs, 'cpu_and_print', JAIL)
    assert renv['time_measure'] == 'instructions' and renv['result_code'] == 'OK'
    again, _ = run_in_jail(programs, 'cpu_and_print', JAIL)
    assert abs(again['time_used'] - renv['time_used']) <= 1  # reproducible
    renv, _ = run_in_jail(programs, 'infinite_loop', JAIL, time_limit=300)
    assert renv['result_code'] == 'TLE' and 300 <= renv['time_used'] <= 320


def test_pmu_discovery_on_fake_sysfs(tmp_path):
    def pmu(root, name, type_):
        d = root / 'bus' / 'event_source' / 'devices' / name
        d.mkdir(parents=True)
        (d / 'type').write_text(f'{type_}\n')

    plain = tmp_path / 'plain'
    pmu(plain, 'cpu', 4)
    pmu(plain, 'software', 1)
    pmu(plain, 'msr', 9)
    assert supervise.discover_pmus(str(plain)) == [('cpu', 4)]
    hybrid = tmp_path / 'hybrid'
    pmu(hybrid, 'cpu_core', 4)
    pmu(hybrid, 'cpu_atom', 8)
    assert supervise.discover_pmus(str(hybrid)) == [('cpu_core', 4), ('cpu_atom', 8)]
    vm = tmp_path / 'vm'
    pmu(vm, 'software', 1)
    pmu(vm, 'breakpoint', 5)
    assert supervise.discover_pmus(str(vm)) == []
    broken = tmp_path / 'broken'
    (broken / 'bus' / 'event_source' / 'devices' / 'cpu').mkdir(parents=True)
    (broken / 'bus' / 'event_source' / 'devices' / 'cpu' / 'type').write_text('x')
    assert supervise.discover_pmus(str(broken)) == []


def test_instruction_arithmetic():
    assert supervise.ms_to_instructions(1000) == 2_000_000_000
    assert supervise.instructions_to_ms(2_000_000_000) == 1000
    assert supervise.instructions_to_ms(1_999_999) == 0
    assert supervise.ms_to_instructions(2**64 - 1) == 2**64 - 1  # saturates


def show_config(*args):
    proc = subprocess.run([JAIL_BINARY, '--show-config', *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    config = {}
    for line in proc.stdout.splitlines():
        key, value = line.split('=', 1)
        config.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in config.items()}


def test_stock_compatible_options():
    c = show_config('-f', '3', '-o', 'oireal', '-s', '-m', '64M',
                    '--instruction-count-limit', '1g', '--rtimelimit', '10s',
                    '--utimelimit', '1500ms', '--stimelimit', '2', '--ustimelimit', '1m',
                    '--output-limit', '50m', '-b', '/box:/:ro', '-b', '/data:/data:rw',
                    '-B', '--perf', 'off', '--seccomp', 'on', '-p', 'permissive',
                    '--net-namespace', 'off', '-c', '/work', '--', './prog', '-x', 'y')
    assert c['results_fd'] == '3' and c['format'] == 'oireal' and c['pass_stderr'] == '1'
    assert c['memory_limit_kib'] == str(64 * 1024)
    assert c['instruction_limit'] == '1000000000'
    assert c['rtime_limit_us'] == '10000000' and c['utime_limit_us'] == '1500000'
    assert c['stime_limit_us'] == '2' and c['ustime_limit_us'] == '60000000'
    assert c['output_limit_bytes'] == str(50 << 20)
    assert c['bind'] == ['/box:/:ro', '/data:/data:rw']
    assert c['default_binds'] == '0' and c['perf'] == '0' and c['policy'] == 'permissive'
    assert c['net_namespace'] == '0' and c['pid_namespace'] == '1'
    assert c['workdir'] == '/work'
    assert c['arg'] == ['./prog', '-x', 'y']
    defaults = show_config('prog')
    assert defaults['format'] == 'oiaug' and defaults['memory_limit_kib'] == '0'
    assert show_config('-m', '1000', 'p')['memory_limit_kib'] == '1000'  # KiB by default
    assert show_config('-m', '1g', 'p')['memory_limit_kib'] == str(1 << 20)
    assert show_config('-o', 'oitt', 'p')['format'] == 'oitime'


def test_every_stock_option_is_accepted():
    """Options stock sio2jail 1.5 takes and tools pass (sinol-make passes
    --capability-drop, the switches take on/off/yes/no/1/0)."""
    c = show_config('--capability-drop', 'off', '--ptrace', 'on', '--procfs', 'yes',
                    '--user-namespace', 'no', '--mount-namespace', '1', '-l', '-',
                    '-b', '/box:/:ro,dev', '-b', '/d:/d:rw,dev', 'prog')
    assert c['bind'] == ['/box:/:ro', '/d:/d:rw'] and c['user_namespace'] == '0'
    proc = subprocess.run([JAIL_BINARY, '--ptrace', 'off', 'p'], capture_output=True, text=True)
    assert proc.returncode == 1 and '--ptrace off is not supported' in proc.stderr


def test_version_is_what_tools_check():
    out = subprocess.run([JAIL_BINARY, '--version'], capture_output=True, text=True).stdout
    assert out.startswith('SIO2jail v1.5.0 ')  # sinol-make's check


def test_stock_command_line_with_a_box(programs, tmp_path):
    """Upstream's Sio2JailExecutor command line: a box bound as / that has
    /exe and /proc of its own, the program given as ./exe."""
    box = tmp_path / 'box'
    (box / 'proc').mkdir(parents=True)
    (box / 'exe').touch()
    work = tmp_path / 'work'
    work.mkdir()
    shutil.copy(programs['hello'], work / 'exe')
    perf = [] if PERF_WORKS else ['--perf', 'off']
    count = ['--instruction-count-limit', '60000000000'] if PERF_WORKS else []
    proc = subprocess.run(
        [JAIL_BINARY, *perf, '-b', f'{box}:/:ro', '--memory-limit', '65536K', *count,
         '--rtimelimit', '481000ms', '--output-limit', '51200K', '--procfs', 'on',
         '-l', str(tmp_path / 'log'), '--', './exe'],
        input=b'2 3\n', capture_output=True, cwd=work, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b'5\n'
    assert proc.stderr.decode().splitlines()[:2][1] == 'ok'
    assert './exe: exit 0' in (tmp_path / 'log').read_text()


@pytest.mark.parametrize('args, fragment', [
    (['-m', 'lots', 'p'], '--memory-limit'),
    (['--rtimelimit', '5x', 'p'], 'bad time value'),
    (['-o', 'xml', 'p'], 'unknown --output format'),
    (['-b', 'nocolon', 'p'], '--bind'),
    (['--perf', 'maybe', 'p'], 'on or off'),
    (['-p', 'lax', 'p'], '--policy'),
    (['--bogus', 'p'], 'unknown option'),
    ([], 'no program given'),
    (['-f', '77', 'p'], 'not open'),
    (['--net-namespace-fd', '2', 'p'], 'bad --net-namespace-fd value'),
    (['--net-namespace', 'off', '--net-namespace-fd', '9', 'p'],
     '--net-namespace-fd needs --net-namespace on'),
])
def test_bad_arguments_exit_1(args, fragment):
    proc = subprocess.run([JAIL_BINARY, *args], capture_output=True, text=True)
    assert proc.returncode == 1
    assert fragment in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_fatal_errors_exit_2(tmp_path):
    proc = subprocess.run([JAIL_BINARY, str(tmp_path / 'missing')], capture_output=True, text=True)
    assert proc.returncode == 2 and 'cannot find the program' in proc.stderr
    proc = subprocess.run([JAIL_BINARY, '-b', f'{tmp_path}/nope:/x', '/bin/true'],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and 'bind source' in proc.stderr


def test_help_version_check():
    usage = subprocess.run([JAIL_BINARY, '--help'], capture_output=True, text=True).stdout
    assert usage.startswith('usage: sio2jail')
    assert 'sio2jail' in subprocess.run([JAIL_BINARY, '--version'], capture_output=True,
                                        text=True).stdout.lower()
    check = subprocess.run([JAIL_BINARY, '--check'], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    for mechanism in ('user namespace', 'mount namespace', 'pid namespace', 'net namespace',
                      'seccomp', 'ptrace', 'perf instructions'):
        assert mechanism in check.stdout
    # The bundled jail carries every policy's filter compiled at build time,
    # and they are what libseccomp compiles here.
    assert re.search(r'seccomp filters +ok \([1-9]\d* built in\)', check.stdout), \
        check.stdout
    if not PERF_WORKS:
        assert 'unavailable' in check.stdout and 'fix' not in check.stdout.split(
            'perf instructions')[0]
        required = subprocess.run([JAIL_BINARY, '--check'], capture_output=True, text=True,
                                  env=dict(os.environ, SIO2JAIL_REQUIRE_PERF='1'))
        assert required.returncode == 2 and 'FAILED' in required.stdout


@pytest.mark.parametrize('fmt, first_line', [
    ('oiaug', r'OK 0 \d+ 0 \d+ \d+'), ('oireal', r'OK 0 \d+ 0 \d+ \d+'),
    ('oitime', r'OK 0 \d+ 0 \d+ \d+'),
])
def test_report_formats(programs, tmp_path, fmt, first_line):
    import re

    proc = subprocess.run([JAIL_BINARY, '--perf', 'off', '-o', fmt, '-f', '1', programs['tiny']],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert re.fullmatch(first_line, lines[0]) and lines[1] == 'ok'
    parsed = jail_module.parse_report(proc.stdout, 0)
    assert parsed.code == 'OK' and parsed.exit_code == 0


def test_human_report(programs):
    proc = subprocess.run([JAIL_BINARY, '--perf', 'off', '-o', 'human', programs['exit42']],
                          capture_output=True, text=True)
    assert 'Verdict: RE (runtime error 42)' in proc.stderr
    assert 'Memory:' in proc.stderr and 'Syscalls:' in proc.stderr


def test_runs_as_an_unprivileged_user(programs):
    if not shutil.which('setpriv'):
        pytest.skip('setpriv (util-linux) is not installed')
    if os.geteuid() != 0:
        pytest.skip('already unprivileged: every other jail test covers this case')
    shared = tempfile.mkdtemp(prefix='sio-jail-nobody-')
    try:
        os.chmod(shared, 0o755)
        prog = os.path.join(shared, 'hello')
        shutil.copy(programs['hello'], prog)
        os.chmod(prog, 0o755)
        proc = subprocess.run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups',
                               JAIL_BINARY, '--perf', 'off', '-f', '2', '-m', '64m', prog],
                              input=b'20 22\n', capture_output=True, timeout=30)
    finally:
        shutil.rmtree(shared)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b'42\n'
    assert proc.stderr.startswith(b'OK 0 ')


def test_stock_binary_can_be_swapped_in(programs, tmp_path, monkeypatch, job_dir):
    other = tmp_path / 'other-sio2jail'
    shutil.copy(JAIL_BINARY, other)
    calls = tmp_path / 'calls'
    wrapper = tmp_path / 'wrapper'
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexec {other} "$@"\n')
    os.chmod(wrapper, 0o755)
    monkeypatch.setenv('SIO2JAIL_PATH', str(wrapper))
    renv, out = run_in_jail(programs, 'hello', JAIL)
    assert renv['result_code'] == 'OK' and out == b'5\n'
    assert '-o oiaug' in calls.read_text()


@pytest.mark.usefixtures('no_leaks')
def test_stock_jail_runs_under_ids_of_its_own(programs, monkeypatch, job_dir):
    """A stock sio2jail takes none of the bundled jail's extensions
    (--uid, --gid, --net-namespace-fd): it gets none, and as root it runs
    as the leased ids itself, never as root."""
    # Where a shell script (the stand-in) can be run by other ids.
    place = pathlib.Path(tempfile.mkdtemp(prefix='sio-stock-jail-'))
    try:
        os.chmod(place, 0o755)
        jail = place / 'jail-binary'
        shutil.copy(JAIL_BINARY, jail)
        calls = place / 'calls'
        calls.touch()
        os.chmod(calls, 0o666)
        stock = place / 'stock-sio2jail'
        # Says a stock version and refuses the extensions, as upstream's does.
        stock.write_text(f"""#!/bin/sh
case " $* " in
  *" --version "*) echo 'SIO2jail v1.4.4 compiled on Jan  1 2024'; exit 0 ;;
  *" --uid "*|*" --gid "*|*" --net-namespace-fd "*) echo "unrecognised option" >&2; exit 1 ;;
esac
echo "uid=$(id -u) $*" >> {calls}
exec {jail} "$@"
""")
        os.chmod(stock, 0o755)
        monkeypatch.setenv('SIO2JAIL_PATH', str(stock))
        renv, out = run_in_jail(programs, 'hello', JAIL)
        assert renv['result_code'] == 'OK' and out == b'5\n', renv
        uid = int(calls.read_text().split()[0].split('=')[1])
        # The package's own jails (checkers, generators, the JVM) need the
        # bundled one's options: SIO2JAIL_PATH is not for them.
        with open(tempcwd('in'), 'rb') as stdin:
            checker = isolated_checker_executor()([tempcwd('prog')], stdin=stdin,
                                                  capture_output=True)
        assert checker['result_code'] == 'OK' and checker['stdout'] == b'5\n', checker
        assert len(calls.read_text().splitlines()) == 1
    finally:
        shutil.rmtree(place, ignore_errors=True)
    if supervise.ids_available():
        assert uid != 0 and uid != os.getuid()


def test_sio2jail_exec_job(tmp_path, programs):
    from jobs import LocalJobs

    jobs = LocalJobs(tmp_path)
    shutil.copy(programs['hello'], jobs.path('hello'))
    shutil.copy(programs['sum_wrong'], jobs.path('wrong'))
    shutil.copy(programs['infinite_loop'], jobs.path('loop'))
    base = {'job_type': 'sio2jail-exec', 'in_file': jobs.write('in', '2 3\n'),
            'hint_file': jobs.write('hint', '5\n'), 'check_output': True,
            'exec_time_limit': 500}
    ok = jobs.run(exe_file=jobs.path('hello'), **base)
    assert ok['result'] == 'SUCCESS' and ok['result_code'] == 'OK'
    assert ok['time_measure'] in ('instructions', 'cpu')
    assert jobs.run(exe_file=jobs.path('wrong'), **base)['result_code'] == 'WA'
    assert jobs.run(exe_file=jobs.path('loop'), **base)['result_code'] == 'TLE'


@pytest.mark.usefixtures('job_dir', 'no_leaks')
def test_concurrent_jails(programs):
    from sio.workers.util import TemporaryCwd

    errors = []

    def worker():
        try:
            for _ in range(10):
                with TemporaryCwd():
                    renv, out = run_in_jail(programs, 'hello', JAIL)
                    if renv['result_code'] != 'OK' or out != b'5\n':
                        errors.append(renv)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_net_namespace_fd_must_be_another_network_namespace(programs, tmp_path):
    """--net-namespace-fd never lets a program into the caller's own
    network, nor takes a descriptor that is no network namespace."""
    own = os.open('/proc/self/ns/net', os.O_RDONLY)
    not_ns = os.open(programs['tiny'], os.O_RDONLY)
    try:
        for fd, fragment in ((own, "not a network namespace other than the jail's own"),
                             (not_ns, 'not a namespace')):
            proc = subprocess.run([JAIL_BINARY, '--perf', 'off', '--net-namespace-fd', str(fd),
                                   programs['tiny']], pass_fds=[fd], capture_output=True,
                                  text=True)
            assert proc.returncode == 1 and fragment in proc.stderr, proc.stderr
    finally:
        os.close(own)
        os.close(not_ns)


@pytest.mark.skipif(not supervise.ids_available(),
                    reason='the kept network namespaces are for runs under ids of their '
                           'own, which need root')
@pytest.mark.usefixtures('job_dir', 'no_leaks')
def test_kept_network_namespace_carries_nothing_between_runs(programs):
    """Jailed runs under one uid join the empty network namespace this
    process keeps for it (not the host's, not a fresh one each): what one
    run tries to leave there is gone for the next."""
    shutil.copy(programs['net_leftovers'], tempcwd('prog'))
    jail = Sio2JailExecutor()
    options = dict(policy='permissive', procfs=True, capture_output=True,
                   ignore_errors=True)
    planted = jail([tempcwd('prog'), 'plant'], **options)
    assert planted['result_code'] == 'OK', planted
    # No capability over the namespace: the loopback stays down.
    assert planted['stdout'].split() == [b'lo-up:%d' % errno.EPERM, b'listening:0']
    kept = {os.fstat(fd).st_ino for fd in supervise._kept_namespaces()}
    host = os.stat('/proc/self/ns/net').st_ino
    for _ in range(2):
        probe = jail([tempcwd('prog'), 'probe'], **options)
        assert probe['result_code'] == 'OK', probe
        lo, abstract, netns = probe['stdout'].decode().split()
        assert lo == 'lo:down'
        assert abstract == f'abstract:{errno.ECONNREFUSED}'
        inode = int(netns.split(':')[1])
        assert inode in kept and inode != host


@pytest.mark.usefixtures('job_dir', 'no_leaks')
def test_without_a_kept_network_namespace_the_jail_makes_its_own(programs, monkeypatch,
                                                                 caplog):
    """Where no namespace can be kept (the kernel refuses), each run gets a
    fresh one from the jail, as before: still no network."""
    def refuse():
        raise supervise.SupervisionError('cannot create a network namespace: '
                                         'Operation not permitted')
    monkeypatch.setattr(jail_module, '_netns_warned', False)
    monkeypatch.setattr(supervise, 'net_namespace_for', lambda uid: refuse())
    with socket.socket() as server:
        server.bind(('127.0.0.1', 0))
        server.listen(1)
        shutil.copy(programs['socket_connect'], tempcwd('prog'))
        with caplog.at_level(logging.WARNING):
            renv = Sio2JailExecutor()([tempcwd('prog'), str(server.getsockname()[1])],
                                      policy='permissive', ignore_errors=True)
    assert renv['result_code'] == 'RE' and renv['result_string'] == 'runtime error 3'
    if supervise.ids_available():
        assert 'makes its own network namespace' in caplog.text
