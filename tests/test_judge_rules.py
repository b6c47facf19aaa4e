"""sio-judge gives sinol-make's answers: the packages in
``tests/judge_packages/`` (written for the purpose, in the sinol layout)
judged by the real command, and checked against what sinol-make's rules
give (its solution names, languages, statuses, rounding, examples, limits,
contest types, dependencies, interactive tasks, helpers, config editing,
errors, format checks, re-runs, reports)."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest
import yaml

from sio.judge import config_edit, contest, testformat
from sio.judge import package as packages

JUDGE = os.path.join(os.path.dirname(sys.executable), 'sio-judge')
PACKAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'judge_packages')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def copy(name, tmp_path):
    path = tmp_path / name
    shutil.copytree(os.path.join(PACKAGES, name), path)
    return path


def judge(*args, timeout=600):
    return subprocess.run([JUDGE, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def judged(path, *args, mode='jail'):
    """(exit status, JSON report, stdout + stderr)."""
    report = path.parent / (path.name + '.json')
    out = judge(path, '--json', report, '--mode', mode, '--no-color', *args)
    data = json.loads(report.read_text()) if report.exists() else None
    return out.returncode, data, out.stdout + out.stderr


def groups(data, solution):
    return {int(g): (r['status'], r['points'])
            for g, r in data['solutions'][solution]['groups'].items()}


@pytest.fixture(scope='module')
def rules(tmp_path_factory):
    """The rules package judged once (its config lists what every
    solution must score, so exit 0 means every rule below held)."""
    path = copy('rules', tmp_path_factory.mktemp('rules'))
    status, data, said = judged(path)
    assert status == 0, said
    return path, data, said


def test_solution_names_and_languages(rules):
    """IDxxx_suffix names, Python and Rust judged, in sinol-make's order."""
    _, data, said = rules
    assert list(data['solutions']) == ['rul.c', 'rul2_python.py', 'rul3_rust.rs', 'ruls1.c',
                                       'rulb1.c', 'rulb2.c', 'rulb3.c']
    for name in ('rul2_python.py', 'rul3_rust.rs'):
        assert data['solutions'][name]['total'] == 100, said
    assert 'rulmod.py' not in data['solutions']  # a module, not a solution


def test_group_status_order_and_partial_points(rules):
    _, data, _ = rules
    # RE + TL -> TL, RE + ML -> ML (sinol-make's and OIOIOI's order).
    assert groups(data, 'rulb2.c') == {0: ('OK', 0), 1: ('TL', 0), 2: ('ML', 0), 3: ('WA', 0)}
    tests = data['solutions']['rulb2.c']['tests']
    assert tests['rul1a']['status'] == 'RE' and tests['rul1b']['status'] == 'TL'
    # 50% of 33 points is 16.5: 17, as both tools round.
    assert groups(data, 'ruls1.c')[1] == ('OK', 17)
    assert data['solutions']['ruls1.c']['total'] == 84


def test_examples_are_not_scored(rules):
    _, data, _ = rules
    assert groups(data, 'rulb1.c')[0] == ('WA', 0)
    assert data['solutions']['rulb1.c']['total'] == 100
    assert data['solutions']['rulb1.c']['tests']['rul1ocen']['group'] == 0


def test_limits_follow_sinol_makes_precedence(rules):
    _, data, _ = rules
    c = data['solutions']['rul.c']['tests']
    assert {t: c[t]['time_limit_ms'] for t in ('rul0', 'rul1a', 'rul1b', 'rul2a')} == \
        {'rul0': 1000, 'rul1a': 1500, 'rul1b': 3000, 'rul2a': 1000}
    py = data['solutions']['rul2_python.py']['tests']
    assert {t['time_limit_ms'] for t in py.values()} == {4000}  # the override beats all
    assert py['rul2a']['memory_limit_kib'] == 131072 and py['rul1a']['memory_limit_kib'] == 65536


def test_subtask_dependencies_lower_a_group(rules):
    _, data, said = rules
    assert groups(data, 'rulb3.c') == {0: ('OK', 0), 1: ('OK', 33), 2: ('WA', 0),
                                       3: ('WA', 0)}
    assert data['solutions']['rulb3.c']['groups']['3']['lowered_by_dependency']
    assert 'WA* 0' in said


def test_limit_rules_unit(tmp_path):
    """Per-test limits: refused in an oi contest (when the package is read,
    before anything runs) unless sinol_undocumented_test_limits says so."""
    path = copy('rules', tmp_path)
    config = yaml.safe_load((path / 'config.yml').read_text())
    config.update(sinol_contest_type='oi')
    (path / 'config.yml').write_text(yaml.safe_dump(config))
    with pytest.raises(packages.PackageError, match='single test is not allowed in a oi'):
        packages.load(path)
    config.update(sinol_undocumented_test_limits=True)
    (path / 'config.yml').write_text(yaml.safe_dump(config))
    package = packages.load(path)
    test_1b = next(t for t in package.tests if t.name == 'rul1b')
    assert package.time_limit(test_1b, 'c') == 3000
    assert package.time_limit(test_1b, 'py') == 4000


@pytest.mark.parametrize('kind', ['oi', 'icpc'])
def test_contest_types(kind, tmp_path):
    path = copy('rules', tmp_path)
    config = yaml.safe_load((path / 'config.yml').read_text())
    config['sinol_contest_type'] = kind
    del config['time_limits']['1b']  # an oi contest has no per-test limits
    (path / 'config.yml').write_text(yaml.safe_dump(config))
    status, data, said = judged(path, 'rul.c', 'ruls1.c', 'rulb1.c', 'rulb3.c')
    # The expected scores are the default contest's: under oi the same
    # (every test is fast), under icpc not.
    assert status == (1 if kind == 'icpc' else 0), said
    totals = {n: s['total'] for n, s in data['solutions'].items()}
    if kind == 'icpc':
        # Every group is worth 1 (group 0 too), the total is the lowest.
        assert totals == {'rul.c': 1, 'ruls1.c': 1, 'rulb1.c': 0, 'rulb3.c': 0}
        assert groups(data, 'rulb1.c')[0] == ('WA', 0)
    else:
        assert totals == {'rul.c': 100, 'ruls1.c': 84, 'rulb1.c': 100, 'rulb3.c': 33}


def test_oi_time_scoring():
    """OIOIOI's formula: full points to half the limit, then down to 1."""
    oi = contest.OIContest()

    def score(ms):
        return oi.test_score(contest.TestOutcome('OK', 100, ms, 1000))

    assert [score(ms) for ms in (0, 500, 600, 750, 999, 1000)] == [100, 100, 80, 50, 1, 1]
    assert oi.test_score(contest.TestOutcome('TL', 100, 1200, 1000)) == 0
    assert oi.group_score([80, 100], 33) == 27  # ceil(26.4)


def test_interactive_task(tmp_path):
    path = copy('interactive', tmp_path)
    status, data, said = judged(path)
    assert status == 0, said
    assert data['solutions']['itr.c']['total'] == 100
    tests = data['solutions']['itrb1.c']['tests']
    assert tests['itr1a']['status'] == 'WA' and 'too many guesses' in tests['itr1a']['comment']
    assert tests['itr1b']['status'] == 'OK'


def test_helpers_with_headers_defines_and_generated_tests(tmp_path):
    """ingen/inwer/checker compiled with prog/oi.h and -D_INGEN/-D_INWER;
    the missing tests generated by a plain run, outputs by the model."""
    path = copy('helpers', tmp_path)
    status, data, said = judged(path)
    assert status == 0, said
    assert 'generated 3 tests with hlpingen.cpp' in said
    assert 'made 3 outputs with the model solution' in said
    assert sorted(os.listdir(path / 'in')) == ['hlp1a.in', 'hlp1b.in', 'hlp2a.in']
    inwer = judge('inwer', path)
    assert inwer.returncode == 0 and 'inwer: 3 of 3 tests are well formed' in inwer.stdout
    # A shell generator goes first, run from in/ beside prog/, as sinol-make runs it.
    (path / 'prog' / 'hlpingen.sh').write_text(
        '#!/bin/bash\nfor i in 1 2; do echo $((i * 10)) > hlp${i}a.in; done\n'
        'test -f "$(dirname "$0")/oi.h"\n')
    out = judge('ingen', path)
    assert out.returncode == 0, out.stderr
    assert (path / 'in' / 'hlp2a.in').read_text() == '20\n'
    status, data, said = judged(path, 'hlp.cpp')
    assert 'generated 2 tests with hlpingen.sh' in said  # prog/ changed: made again
    assert data['solutions']['hlp.cpp']['tests']['hlp2a']['status'] == 'OK'


def test_compiler_errors_name_the_authors_file(tmp_path):
    path = copy('rules', tmp_path)
    (path / 'prog' / 'rulb9_broken.c').write_text('int main(void) { return missing; }\n')
    status, data, said = judged(path, 'rulb9_broken.c')
    assert status == 1 and 'rulb9_broken.c:1:' in said and 'source.c' not in said
    assert data['solutions']['rulb9_broken.c']['compile_error']


def test_a_broken_checker_is_no_verdict(tmp_path):
    path = copy('rules', tmp_path)
    (path / 'prog' / 'rulchk.c').write_text('int main(void) { return 7; }\n')
    status, data, said = judged(path, 'rul.c')
    assert status == 3, said
    assert 'no verdict' in said and 'checker failed' in said
    assert all(t['status'] == 'error' for t in data['solutions']['rul.c']['tests'].values())
    assert ' RE ' not in said


def test_apply_suggestion_round_trips_config(tmp_path):
    path = copy('rules', tmp_path)
    text = (path / 'config.yml').read_text()
    before = text[:text.index('sinol_expected_scores')]
    stripped = before + 'fake_time: "off"   # kept, quoted and commented\n'
    (path / 'config.yml').write_text(stripped)
    status, _, said = judged(path)
    assert status == 1 and 'no sinol_expected_scores' in said
    assert judge(path, '--apply-suggestion').returncode == 0
    written = (path / 'config.yml').read_text()
    assert written.startswith(stripped)  # every byte of the rest kept
    scores = yaml.safe_load(written)['sinol_expected_scores']
    assert scores['rulb1.c']['expected'][0] == {'points': 0, 'status': 'WA'}  # group 0 kept
    assert judged(path)[0] == 0
    # Only some solutions: the others' entries stay.
    assert judge(path, 'rul.c', '--apply-suggestion').returncode == 0
    assert yaml.safe_load((path / 'config.yml').read_text())['sinol_expected_scores'] == scores


def test_config_block_replacement_unit():
    text = ('a: 1\nsinol_expected_scores:\n  x.cpp:\n    points: 3\n\n'
            '# about b\nb: 2\n')
    new = config_edit.replace_block(text, {'y.cpp': {'expected': {0: {'points': 0,
                                                                        'status': 'OK'}},
                                                     'points': 0}})
    assert new == ('a: 1\nsinol_expected_scores:\n  y.cpp:\n    expected:\n'
                   '      0: {points: 0, status: OK}\n    points: 0\n\n# about b\nb: 2\n')


@pytest.mark.parametrize('args,message', [
    (['--json', '/nonexistent/dir/r.json'], 'cannot write the JSON report'),
    (['--cpus', '0'], '--cpus must be at least 1'),
    (['--mode', 'bogus'], 'invalid choice'),
    (['nosuch.cpp'], "no solution 'nosuch.cpp'"),
])
def test_bad_arguments_are_one_line_errors_before_judging(args, message, tmp_path):
    path = copy('rules', tmp_path)
    started = time.monotonic()
    out = judge(path, *args)
    assert out.returncode == 2 and 'Traceback' not in out.stderr
    assert message in out.stderr and time.monotonic() - started < 20


@pytest.mark.parametrize('setting,message', [
    ({'time_limit': 'fast'}, 'time_limit must be a positive whole number'),
    ({'scores': [1, 2]}, 'scores must be a mapping'),
    ({'subtask_dependencies': {3: 2}}, 'subtask_dependencies.3 must be a list'),
    ({'subtask_dependencies': {2: [3], 3: [2]}}, 'circular dependency'),
    ({'sinol_contest_type': 'ioi'}, "unknown contest type 'ioi'"),
    ({'override_limits': {'c': {'memory_limit': -5}}}, 'memory_limit must be a positive'),
    ({'sinol_expected_scores': {'rul.c': 5}}, 'sinol_expected_scores.rul.c must have'),
    ({'fake_time': 'sometimes'}, 'fake_time must be off, zero or random'),
])
def test_malformed_config_values_are_one_line_errors(setting, message, tmp_path):
    path = copy('rules', tmp_path)
    config = yaml.safe_load((path / 'config.yml').read_text())
    config.update(setting)
    (path / 'config.yml').write_text(yaml.safe_dump(config))
    out = judge(path, 'rul.c', '--mode', 'unsafe')
    assert out.returncode == 2, out.stdout + out.stderr
    assert 'Traceback' not in out.stderr and message in out.stderr
    assert out.stderr.strip().startswith('sio-judge: ')


def test_a_solution_in_a_language_it_cannot_judge_is_an_error(tmp_path):
    path = copy('rules', tmp_path)
    (path / 'prog' / 'rul5.go').write_text('package main\n')
    out = judge(path)
    assert out.returncode == 2 and 'prog/rul5.go' in out.stderr and '.go' in out.stderr


def test_test_format_checks(tmp_path):
    assert testformat.problems(os.path.join(PACKAGES, 'rules', 'in', 'rul1a.in')) is None
    cases = {b'1 2 \n': 'Trailing whitespace in t.in:1', b' 1\n': 'Leading whitespace',
             b'1  2\n': 'Tokens not separated by one space', b'1\r\n': 'Carriage return',
             b'1': 'No newline at the end', b'1\n\n': 'Exactly one empty line expected'}
    for content, problem in cases.items():
        (tmp_path / 't.in').write_bytes(content)
        assert problem in testformat.problems(str(tmp_path / 't.in'))
    path = copy('rules', tmp_path)
    (path / 'in' / 'rul2a.in').write_text('gamma \n')
    out = judge(path, 'rul.c')
    assert out.returncode == 2 and 'Trailing whitespace in rul2a.in:1' in out.stderr
    assert judge(path, 'rul.c', '--no-test-checks').returncode in (0, 1)


def test_rerun_judges_only_what_changed(tmp_path):
    path = copy('rules', tmp_path)
    args = ('rul.c', 'ruls1.c', '--mode', 'unsafe')
    assert judge(path, *args).returncode == 0
    again = judge(path, *args)
    assert again.returncode == 0 and '(14 results unchanged' in again.stdout
    source = path / 'prog' / 'ruls1.c'
    source.write_text(source.read_text() + '/* changed */\n')
    changed = judge(path, *args)
    assert '(7 results unchanged' in changed.stdout  # only ruls1.c ran again
    (path / 'out' / 'rul3a.out').write_text('eps\n\n')  # an output changed
    assert '(12 results unchanged' in judge(path, *args).stdout
    assert '(14 results unchanged' not in judge(path, *args, '--fresh').stdout


def test_html_report_charts_time_against_the_limit(rules, tmp_path):
    path, _, _ = rules
    page = tmp_path / 'r.html'
    out = judge(path, 'rulb2.c', '--mode', 'jail', '--html', page)
    assert out.returncode == 0, out.stderr
    text = page.read_text()
    assert text.count('<svg class="chart"') == 1
    assert 'rul1b: TL' in text and 'of 3000 ms' in text  # a bar per test, with its limit


def test_readme_example_on_a_fresh_clone(tmp_path):
    """The README's first sio-judge example, on a copy of the package as it
    is committed (its big tests not generated yet)."""
    path = tmp_path / 'pairsum'
    shutil.copytree(os.path.join(ROOT, 'examples', 'pairsum'), path,
                    ignore=shutil.ignore_patterns('.cache'))
    assert not (path / 'in' / 'pai2a.in').exists()
    out = judge(path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_shell_generator_cannot_make_the_judge_read_host_files(tmp_path):
    """A shell ingen that puts a link to a directory of the host's where
    its in/ was (and links in it) gets nothing of the host's copied: the
    tests are read through the directory made for it, never through links."""
    secret_dir = tmp_path / 'secret'
    secret_dir.mkdir(mode=0o700)
    (secret_dir / 'hlp1a.in').write_text('root only\n')
    (secret_dir / 'hlp1a.in').chmod(0o600)
    path = copy('helpers', tmp_path)
    (path / 'prog' / 'hlpingen.sh').write_text(
        '#!/bin/bash\necho 4 > hlp2a.in\nln -s /etc/shadow hlp3a.in\n'
        f'cd .. && mv in gone && ln -s {secret_dir} in\n')
    out = judge('ingen', path)
    assert out.returncode == 0, out.stderr
    assert sorted(os.listdir(path / 'in')) == ['hlp2a.in']
    assert (path / 'in' / 'hlp2a.in').read_text() == '4\n'
