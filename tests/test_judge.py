"""sio-judge on the demo package: in a real terminal (a pty: the live
progress bar and coloured table a person sees) and without one."""

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JUDGE = os.path.join(os.path.dirname(sys.executable), 'sio-judge')


@pytest.fixture(scope='module')
def package(tmp_path_factory):
    """The demo package with its big tests generated."""
    path = tmp_path_factory.mktemp('judge') / 'pairsum'
    shutil.copytree(os.path.join(ROOT, 'examples', 'pairsum'), path)
    out = subprocess.run([JUDGE, 'ingen', str(path)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert 'pai2a.in pai2b.in' in out.stdout
    return path


def judge(*args, cwd=None):
    return subprocess.run([JUDGE, *map(str, args)], capture_output=True, text=True,
                          timeout=600, cwd=cwd)


def test_judges_the_package_without_a_terminal(package, tmp_path):
    report = tmp_path / 'r.json'
    page = tmp_path / 'r.html'
    out = judge(package, '--mode', 'supervised', '--json', report, '--html', page)
    assert out.returncode == 0, out.stdout + out.stderr
    assert 'mode supervised, time: CPU time' in out.stdout
    assert '\x1b[' not in out.stdout and '\r' not in out.stderr  # no colours, no bar
    assert '[15/15]' in out.stderr and 'made 2 outputs with the model solution' in out.stderr
    data = json.loads(report.read_text())
    totals = {name: sol['total'] for name, sol in data['solutions'].items()}
    assert totals == {'pai.cpp': 100, 'paib1.cpp': 40, 'pais1.cpp': 40}
    # The table says what the JSON says.
    for name, sol in data['solutions'].items():
        row = next(line for line in out.stdout.splitlines() if line.startswith(name + ' '))
        for group, g in sol['groups'].items():
            if group != '0':
                assert f"{g['status']} {g['points']}" in row
        assert row.split()[-1] == str(sol['total'])
    slow = data['solutions']['pais1.cpp']['tests']['pai2a']
    assert slow['status'] == 'TL' and slow['verdict'] == 'TLE'
    assert slow['time_limit_ms'] == 1000
    assert 'slowest: pai2' in out.stdout and '% of 1000 ms' in out.stdout
    assert '<table>' in page.read_text() and 'paib1.cpp' in page.read_text()


def test_live_progress_and_colours_in_a_terminal(package):
    """What a person sees: run in a pseudo-terminal, read what it draws."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(JUDGE, [JUDGE, str(package), 'pai.cpp', '--mode', 'supervised', '--fresh',
                         '--cpus', '2'])
    screen = b''
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = screen.decode(errors='replace')
    assert os.waitstatus_to_exitcode(status) == 0, text
    assert '\r\x1b[K[' in text and 'ETA' in text and '5/5 tests' in text  # the live bar
    assert '\x1b[32m' in text  # OK in green
    assert '[1/5]' not in text  # no plain lines on a terminal


def test_expected_scores_mismatch_and_apply_suggestion(package, tmp_path):
    copy = tmp_path / 'pkg'
    shutil.copytree(package, copy)
    config = yaml.safe_load((copy / 'config.yml').read_text())
    config['sinol_expected_scores']['paib1.cpp']['points'] = 100
    (copy / 'config.yml').write_text(yaml.safe_dump(config))
    out = judge(copy, 'paib1.cpp', '--mode', 'supervised')
    assert out.returncode == 1
    assert 'paib1.cpp: expected 100 points, got 40' in out.stdout
    applied = judge(copy, 'paib1.cpp', '--mode', 'supervised', '--apply-suggestion')
    assert applied.returncode == 0, applied.stderr
    written = yaml.safe_load((copy / 'config.yml').read_text())
    assert written['sinol_expected_scores']['paib1.cpp']['points'] == 40
    assert written['sinol_expected_scores']['paib1.cpp']['expected'][2] == \
        {'status': 'WA', 'points': 0}
    assert written['time_limit'] == 1000  # the rest of the config kept
    assert judge(copy, 'paib1.cpp', '--mode', 'supervised').returncode == 0


def test_compile_errors_are_shown(package, tmp_path):
    copy = tmp_path / 'pkg'
    shutil.copytree(package, copy)
    (copy / 'prog' / 'paib9.cpp').write_text('int main() { return missing; }\n')
    out = judge(copy, 'paib9.cpp', '--mode', 'unsafe')
    assert out.returncode == 1  # a solution sinol_expected_scores does not list
    assert 'paib9.cpp: not in sinol_expected_scores' in out.stdout
    assert 'paib9.cpp: compilation failed' in out.stdout and 'missing' in out.stdout
    assert 'paib9.cpp:1:' in out.stdout  # the compiler names the author's file
    row = next(line for line in out.stdout.splitlines() if line.startswith('paib9.cpp '))
    assert row.split()[1:] == ['CE', '0', 'CE', '0', 'CE', '0', '0']


def test_inwer_command_and_errors(package, tmp_path):
    out = judge('inwer', package)
    assert out.returncode == 0 and 'inwer: 5 of 5 tests are well formed' in out.stdout
    for args in (['/nonexistent/task'], [package, '--mode', 'bogus'], [package, '--cpus', '0'],
                 [package, 'nosuch.cpp']):
        bad = judge(*args)
        assert bad.returncode == 2, (args, bad.stdout, bad.stderr)
        assert 'Traceback' not in bad.stderr
        assert bad.stderr.strip().splitlines()[-1].startswith('sio-judge: ')
    assert judge('--help').returncode == 0
