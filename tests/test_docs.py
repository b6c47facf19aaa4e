"""The documentation site (docs/): built warning-free, its Python snippets
run (Sphinx doctest), its commands run (the console blocks below), and
what it lists checked against the code, so it cannot drift."""

import importlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, 'docs')
BIN = os.path.dirname(sys.executable)

# Every auto* target of the seed's index.rst.
SEED_TARGETS = [
    'sio.workers.runner.run', 'sio.workers.sandbox.Sandbox', 'sio.workers.sandbox.get_sandbox',
    'sio.workers.executors.BaseExecutor', 'sio.workers.executors.SandboxExecutor',
    'sio.workers.executors.PRootExecutor', 'sio.workers.executors.UnprotectedExecutor',
    'sio.workers.executors.DetailedUnprotectedExecutor',
    'sio.workers.executors.SupervisedExecutor', 'sio.workers.executors.Sio2JailExecutor',
    'sio.workers.execute.execute', 'sio.workers.ft.download', 'sio.workers.ft.upload',
    'sio.workers.ft.instance', 'sio.workers.ft.launch_filetracker_server',
    'sio.celery.job.sioworkers_job',
]


def sphinx(builder, out):
    return subprocess.run([os.path.join(BIN, 'sphinx-build'), '-q', '-W', '--keep-going',
                           '-b', builder, DOCS, str(out)], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, PATH=BIN + os.pathsep +
                                                os.environ['PATH']))


def test_site_builds_without_warnings(tmp_path):
    out = sphinx('html', tmp_path / 'html')
    assert out.returncode == 0, out.stderr
    index = (tmp_path / 'html' / 'index.html').read_text()
    for target in SEED_TARGETS:
        assert target.rsplit('.', 1)[1] in index, target


def test_python_snippets_run(tmp_path):
    out = sphinx('doctest', tmp_path / 'doctest')
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]


@pytest.mark.parametrize('target', SEED_TARGETS)
def test_seed_targets_have_docstrings(target):
    module, name = target.rsplit('.', 1)
    obj = getattr(importlib.import_module(module), name)
    assert (obj.__doc__ or '').strip(), f'{target} has no docstring'


def console_blocks():
    """(page, [(command, expected lines)...]) of every console block."""
    for page in sorted(os.listdir(DOCS)):
        if not page.endswith('.rst'):
            continue
        text = open(os.path.join(DOCS, page)).read()
        for block in re.findall(r'\.\. code-block:: console\n\n((?:   .*\n|\n)+)', text):
            lines = [line[3:] for line in block.rstrip().split('\n')]
            steps, command, expected = [], None, []
            for line in lines + ['$ ']:
                if line.startswith('$ '):
                    if command:
                        steps.append((command, expected))
                    command, expected = line[2:], []
                elif line:
                    expected.append(line)
            yield page, steps


@pytest.mark.parametrize('page, steps', list(console_blocks()))
def test_commands_run_as_written(page, steps, tmp_path):
    """A block's commands run one after another in a scratch copy of the
    tree's examples (so the package's examples are not written to), with
    the package's commands on PATH; each prints what the block shows
    (``...`` stands for anything)."""
    shutil.copytree(os.path.join(ROOT, 'examples'), tmp_path / 'examples')
    os.symlink(os.path.join(ROOT, 'sio'), tmp_path / 'sio')
    for command, expected in steps:
        out = subprocess.run(['bash', '-c', command], cwd=tmp_path, capture_output=True,
                             text=True, timeout=600,
                             env=dict(os.environ, PATH=BIN + os.pathsep + os.environ['PATH']))
        assert out.returncode == 0, (command, out.stdout[-2000:], out.stderr[-2000:])
        position = 0
        for line in expected:
            prefix = line.split('...')[0].rstrip()
            if not prefix:
                continue
            found = out.stdout.find(prefix, position)
            assert found >= 0, f'{page}: {command!r} did not print {prefix!r}:\n{out.stdout}'
            position = found + len(prefix)


def test_compiler_names_listed_are_the_package_ones():
    text = open(os.path.join(DOCS, 'jobs.rst')).read()
    listed = text.split('.. compiler-names-start')[1].split('.. compiler-names-end')[0]
    documented = {n.strip() for n in listed.replace('\n', ' ').split(',') if n.strip()}
    ours = {ep.name for ep in importlib.metadata.entry_points(group='sio.compilers')
            if ep.dist is not None and ep.dist.name == 'sioworkers'}
    assert documented == ours


def test_seed_example_job_runs_as_written(tmp_path, programs):
    from sio.workers.runner import run

    shutil.copy(programs['hello'], tmp_path / 'prog')
    (tmp_path / 'in').write_text('2 3\n')
    env = run({'job_type': 'seed-exec', 'exe_file': str(tmp_path / 'prog'),
               'in_file': str(tmp_path / 'in'), 'out_file': str(tmp_path / 'out'),
               'use_filetracker': False})
    assert env['result'] == 'SUCCESS', env.get('exception')
    assert env['status_line'].startswith('OK 0 ')
    assert (tmp_path / 'out').read_text() == '5\n'


def test_seed_example_in_the_docs_runs_as_shown(tmp_path, programs):
    """The example job exactly as index.rst shows it, run as a job."""
    import textwrap

    from sio.workers import runner
    from sio.workers.util import TemporaryCwd

    text = open(os.path.join(DOCS, 'index.rst')).read()
    block = text.split("tested by\n``tests/test_docs.py``)::\n\n", 1)[1]
    code = textwrap.dedent(block.split('\n\nThe ``ping`` job', 1)[0])
    namespace = {}
    exec(compile(code, 'index.rst', 'exec'), namespace)
    shutil.copy(programs['hello'], tmp_path / 'prog')
    (tmp_path / 'in').write_text('4 5\n')
    with TemporaryCwd() as job_dir, runner._working_in(job_dir):
        env = namespace['run']({'exe_file': str(tmp_path / 'prog'),
                                'in_file': str(tmp_path / 'in'),
                                'out_file': str(tmp_path / 'out'), 'use_filetracker': False})
    assert env['status_line'].startswith('OK 0 ')
    assert (tmp_path / 'out').read_text() == '9\n'


def test_overhead_plot_is_drawn_by_its_script(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'benchmarks', 'plot_overhead.py'),
                          '--rounds', '3', '--out', str(tmp_path / 'o.svg')],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    drawn = (tmp_path / 'o.svg').read_text()
    assert drawn.startswith('<svg') and 'Supervised' in drawn and 'subprocess.run' in drawn
    assert open(os.path.join(DOCS, '_static', 'overhead.svg')).read().startswith('<svg')


def _git_head() -> str | None:
    done = subprocess.run(['git', '-C', ROOT, 'rev-parse', 'HEAD'], capture_output=True,
                          text=True)
    return done.stdout.strip() if done.returncode == 0 else None


@pytest.mark.skipif(_git_head() is None, reason='not a git checkout: nothing to compare with')
def test_before_after_benchmark_builds_a_revision_and_compares(tmp_path):
    def worktrees():
        listed = subprocess.run(['git', '-C', ROOT, 'worktree', 'list', '--porcelain'],
                                capture_output=True, text=True, check=True).stdout
        return {line for line in listed.splitlines() if line.startswith('worktree ')}

    before = worktrees()
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'benchmarks', 'before_after.py'),
                          '--before', _git_head(), '--batches', '2', '--rounds', '2'],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    for row in ('DetailedUnprotectedExecutor', 'SupervisedExecutor',
                'Sio2JailExecutor (fixed overhead)'):
        assert row in out.stdout
    assert worktrees() == before  # the checkout of the earlier revision is gone


@pytest.mark.skipif(_git_head() is None, reason='not a git checkout: nothing to compare with')
def test_before_after_benchmark_names_a_revision_it_cannot_check_out():
    out = subprocess.run([sys.executable, os.path.join(ROOT, 'benchmarks', 'before_after.py'),
                          '--before', 'no-such-revision'], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1
    assert out.stderr.strip().startswith('cannot check out no-such-revision: ')
    assert 'Traceback' not in out.stderr
