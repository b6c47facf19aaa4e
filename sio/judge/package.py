"""A sinol-style task package, read by the rules sinol-make and OIOIOI use.

::

    TASK/config.yml       limits, scores, contest type, expected scores
    TASK/prog/ID.cpp      the model solution; IDs1.cpp, IDb2.py, ID1_name.rs...
    TASK/prog/IDchk.*     the checker; IDingen.* (IDingen.sh first), IDinwer.*,
                          IDsoc.* (the interactor of an interactive task)
    TASK/in/ID1a.in       tests: group 1, test a; ID0.in, ID1ocen.in: examples
    TASK/out/ID1a.out     expected outputs (made by the model solution when missing)

config.yml, as sinol-make reads it: ``time_limit`` (ms) and ``memory_limit``
(KiB), per group or test in ``time_limits``/``memory_limits``
(``{1: 2000, 1a: 3000}``; keys quoted or not), per language in
``override_limits: {cpp: {...}, py: {...}}`` (the same four keys; a
language's limit beats the global one at every level), ``scores``,
``sinol_contest_type`` (see :mod:`sio.judge.contest`),
``subtask_dependencies`` (``{3: [1, 2]}``), ``extra_compilation_args``
(``{cpp: [lib.cpp, -O1]}``; names of files in prog/ become their paths),
``extra_compilation_files``, ``extra_execution_files`` (``{py: [lib.py]}``),
``num_processes`` (interactive tasks), ``fake_time``,
``sinol_undocumented_test_limits``, ``sinol_expected_scores``.

Anything this module does not understand is a :class:`PackageError` that
names the file or key, never a guess.
"""

import glob
import os
import re
from dataclasses import dataclass, field

import yaml

from sio.judge.contest import DefaultContest, contest_type

#: Solution extensions judged and the compiler that builds each (sinol-make
#: judges c, cpp, cc, py and rs; OIOIOI also takes Java and Pascal).
COMPILERS = {'c': 'system-gcc', 'cpp': 'g++14_2_cpp23_amd64', 'cc': 'g++14_2_cpp23_amd64',
             'py': 'system-python', 'rs': 'system-rust', 'java': 'system-java',
             'pas': 'system-fpc'}
#: Extensions that are never a program (headers, data, documents).
NOT_PROGRAMS = {'h', 'hh', 'hpp', 'hxx', 'inc', 'txt', 'md', 'in', 'out', 'o', 'e', 'zip',
                'pdf', 'tex', 'yml', 'yaml', 'json', 'sh'}
HELPERS = ('chk', 'ingen', 'inwer', 'soc')
DEFAULT_SOURCE_LANGUAGES = ('c', 'cpp', 'cc', 'py', 'rs')


class PackageError(ValueError):
    """The directory is not a usable task package (the message says why)."""


@dataclass
class Test:
    name: str        # 'abc1a'
    test_id: str     # '1a'
    group: int       # 1 (0 for examples: ID0*.in and ID*ocen.in)
    input: str       # path
    output: str      # path (may not exist yet)


@dataclass
class Package:
    root: str
    task_id: str
    config: dict
    contest: DefaultContest
    tests: list[Test] = field(default_factory=list)
    solutions: list[str] = field(default_factory=list)   # paths in prog/, sinol-make's order
    model: str | None = None
    checker: str | None = None
    ingen: str | None = None
    inwer: str | None = None
    interactor: str | None = None
    dependencies: dict[int, list[int]] = field(default_factory=dict)

    @property
    def prog(self) -> str:
        return os.path.join(self.root, 'prog')

    @property
    def interactive(self) -> bool:
        return self.interactor is not None

    @property
    def groups(self) -> list[int]:
        return sorted({t.group for t in self.tests})

    # -- limits ----------------------------------------------------------

    def time_limit(self, test: Test, language: str) -> int:
        return self._limit('time', test, language)

    def memory_limit(self, test: Test, language: str) -> int:
        return self._limit('memory', test, language)

    def _limit(self, kind: str, test: Test, language: str) -> int:
        """sinol-make's precedence: ``override_limits[language]`` (its
        per-test, then per-group, then single limit) when it sets one, else
        the same three levels of the top level."""
        config = _stringify_keys(self.config)
        overrides = config.get('override_limits') or {}
        if not isinstance(overrides, dict):
            raise PackageError('config.yml: override_limits must be a mapping '
                               '{language: {time_limit: ..., ...}}')
        override = overrides.get(language) or {}
        for where, settings in ((f'override_limits.{language}.', override), ('', config)):
            value = self._limit_in(settings, kind, test, where)
            if value is not None:
                return value
        raise PackageError(f'config.yml: no {kind}_limit for test {test.name} '
                           f'(set {kind}_limit)')

    def _limit_in(self, settings: dict, kind: str, test: Test, where: str) -> int | None:
        if not isinstance(settings, dict):
            raise PackageError(f'config.yml: {where.rstrip(".")} must be a mapping')
        per = settings.get(f'{kind}_limits')
        if per is not None and not isinstance(per, dict):
            raise PackageError(f'config.yml: {where}{kind}_limits must be a mapping '
                               f'{{group or test: limit}}')
        per = per or {}
        if test.test_id in per and test.test_id != '0':
            if not self.per_test_limits:
                raise PackageError(
                    f'config.yml: {where}{kind}_limits.{test.test_id}: a limit for a single '
                    f'test is not allowed in a {self.contest.name} contest (set '
                    f'sinol_undocumented_test_limits: true to allow it)')
            return _positive(per[test.test_id], f'{where}{kind}_limits.{test.test_id}')
        if str(test.group) in per:
            return _positive(per[str(test.group)], f'{where}{kind}_limits.{test.group}')
        if f'{kind}_limit' in settings:
            return _positive(settings[f'{kind}_limit'], f'{where}{kind}_limit')
        return None

    @property
    def per_test_limits(self) -> bool:
        return bool(self.config.get('sinol_undocumented_test_limits')) or \
            self.contest.per_test_limits

    # -- scores ----------------------------------------------------------

    def scores(self) -> dict[int, int]:
        """Points of every group that has tests: ``scores``, else as the
        contest type assigns them; a group ``scores`` leaves out gets 0, as
        in sinol-make."""
        configured = self.config.get('scores')
        if configured is None:
            return self.contest.assign_scores(self.groups)
        if not isinstance(configured, dict):
            raise PackageError('config.yml: scores must be a mapping {group: points}')
        scores = {}
        for group, points in configured.items():
            scores[_group_number(group, 'scores')] = _non_negative(points, f'scores.{group}')
        return {g: scores.get(g, 0) for g in self.groups}

    # -- files -----------------------------------------------------------

    def language(self, path: str) -> str:
        return os.path.splitext(path)[1][1:].lower()

    def compiler(self, path: str) -> str:
        language = self.language(path)
        if language not in COMPILERS:
            raise PackageError(f'prog/{os.path.basename(path)}: no compiler for .{language} '
                               f'files (judged: {", ".join(sorted(COMPILERS))})')
        return COMPILERS[language]

    def compilation_args(self, language: str) -> list[str]:
        """``extra_compilation_args`` of a language; a name of a file in
        prog/ becomes its path (a library compiled with the program)."""
        value = (self.config.get('extra_compilation_args') or {})
        if not isinstance(value, dict):
            raise PackageError('config.yml: extra_compilation_args must be a mapping '
                               '{language: [arguments]}')
        args = value.get(language) or []
        if isinstance(args, str):
            args = [args]
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise PackageError(f'config.yml: extra_compilation_args.{language} must be a '
                               f'list of strings')
        return [os.path.join(self.prog, a) if os.path.isfile(os.path.join(self.prog, a))
                else a for a in args]

    def compilation_files(self) -> list[str]:
        return self._prog_files(self.config.get('extra_compilation_files') or [],
                                'extra_compilation_files')

    def execution_files(self, language: str) -> list[str]:
        """Files put next to a program of ``language`` when it runs:
        ``extra_execution_files``, and for Python the modules among
        ``extra_compilation_files`` (sinol-make runs a Python program from
        beside them)."""
        value = self.config.get('extra_execution_files') or {}
        if not isinstance(value, dict):
            raise PackageError('config.yml: extra_execution_files must be a mapping '
                               '{language: [files in prog/]}')
        files = self._prog_files(value.get(language) or [],
                                 f'extra_execution_files.{language}')
        if language == 'py':
            files += [p for p in self.compilation_files()
                      if p.endswith('.py') and p not in files]
        return files

    def _prog_files(self, names, key: str) -> list[str]:
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list):
            raise PackageError(f'config.yml: {key} must be a list of files in prog/')
        paths = []
        for name in names:
            path = os.path.join(self.prog, str(name))
            if not os.path.isfile(path):
                raise PackageError(f'config.yml: {key}: no file prog/{name}')
            paths.append(path)
        return paths

    def headers(self) -> list[str]:
        """Every header in prog/ (``#include "oi.h"`` of any program)."""
        return sorted(p for p in glob.glob(os.path.join(self.prog, '*'))
                      if self.language(p) in ('h', 'hh', 'hpp', 'hxx', 'inc')
                      and os.path.isfile(p))

    def expected_scores(self) -> dict:
        """``sinol_expected_scores`` as {solution: {'expected': {group:
        {'status', 'points'}}, 'points': total}}; the old form (a status for
        a group) is read as sinol-make reads it."""
        raw = self.config.get('sinol_expected_scores') or {}
        if not isinstance(raw, dict):
            raise PackageError('config.yml: sinol_expected_scores must be a mapping')
        scores = self.scores()
        out = {}
        for name, entry in raw.items():
            where = f'sinol_expected_scores.{name}'
            if not isinstance(entry, dict) or not isinstance(entry.get('expected', {}), dict):
                raise PackageError(f'config.yml: {where} must have "expected: {{group: '
                                   f'{{status, points}}}}" and "points"')
            groups = {}
            for group, result in (entry.get('expected') or {}).items():
                number = _group_number(group, f'{where}.expected')
                if isinstance(result, str):
                    result = {'status': result,
                              'points': scores.get(number, 0) if result == 'OK' else 0}
                if not isinstance(result, dict) or 'status' not in result:
                    raise PackageError(f'config.yml: {where}.expected.{group} must be '
                                       f'{{status: ..., points: ...}}')
                groups[number] = {'status': str(result['status']),
                                  'points': result.get('points')}
            out[str(name)] = {'expected': groups, 'points': entry.get('points')}
        return out


def _stringify_keys(value):
    if isinstance(value, dict):
        return {str(k): _stringify_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify_keys(v) for v in value]
    return value


def _positive(value, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
            or value != int(value):
        raise PackageError(f'config.yml: {key} must be a positive whole number, '
                           f'not {value!r}')
    return int(value)


def _non_negative(value, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PackageError(f'config.yml: {key} must be a whole number of points, '
                           f'not {value!r}')
    return value


def _group_number(group, key: str) -> int:
    try:
        number = int(str(group))
    except ValueError:
        raise PackageError(f'config.yml: {key}: {group!r} is not a group number') from None
    if number < 0:
        raise PackageError(f'config.yml: {key}: {group!r} is not a group number')
    return number


def test_pattern(task_id: str, extension: str) -> re.Pattern:
    """sinol-make's names of tests: ID, a group number, a suffix."""
    return re.compile(rf'^{re.escape(task_id)}(([0-9]+)([a-z]?[a-z0-9]*))\.{extension}$')


def group_of(test_id: str) -> int:
    if test_id.endswith('ocen'):
        return 0
    return int(re.match(r'\d+', test_id).group())


def solution_pattern(task_id: str) -> re.Pattern:
    """sinol-make's solution names: ID, ``s`` (slow) or ``b`` (wrong)
    and a number, an optional ``_anything``, an extension."""
    return re.compile(rf'^{re.escape(task_id)}[bs]?[0-9]*(_.*)?\.([A-Za-z0-9]+)$')


def solution_key(path: str, task_id: str) -> tuple:
    """sinol-make's order: the model solutions, then slow, then wrong ones,
    each by number."""
    stem = os.path.basename(path).split('.')[0][len(task_id):]
    kind = {'s': 1, 'b': 2}.get(stem[:1], 0)
    rest = stem[1:] if kind else stem
    digits = re.match(r'\d*', rest).group()
    return kind, int(digits) if digits else 0, os.path.basename(path)


def load(root: str) -> Package:
    """The package in ``root``; :class:`PackageError` when it is not one."""
    root = os.path.abspath(root)
    if not os.path.isdir(os.path.join(root, 'prog')):
        raise PackageError(f'{root} is not a task package (no prog/ directory)')
    config = _read_config(os.path.join(root, 'config.yml'))
    task_id = str(config.get('sinol_task_id') or os.path.basename(root))
    try:
        contest = contest_type(config.get('sinol_contest_type', 'default'))
    except ValueError as exc:
        raise PackageError(f'config.yml: {exc}') from None
    package = Package(root, task_id, config, contest)
    _check_settings(package)
    _find_programs(package)
    _find_tests(package)
    package.dependencies = _dependencies(package)
    _check_values(package)
    return package


def _check_values(package: Package) -> None:
    """Read every setting a run will use now, so that a bad value is an
    error before anything is judged, not in the middle."""
    languages = sorted({package.language(p) for p in package.solutions})
    for language in languages:
        package.compilation_args(language)
        package.execution_files(language)
        for test in package.tests:
            package.time_limit(test, language)
            package.memory_limit(test, language)
    package.compilation_files()
    package.expected_scores()


def _read_config(path: str) -> dict:
    if not os.path.exists(path):
        return {}
    try:
        with open(path) as f:
            config = yaml.safe_load(f) or {}
    except yaml.YAMLError as exc:
        raise PackageError(f'{path}: not valid YAML ({exc})') from None
    if not isinstance(config, dict):
        raise PackageError(f'{path}: must be a mapping of settings')
    return config


def _check_settings(package: Package) -> None:
    config = package.config
    fake_time = config.get('fake_time', 'off')
    if fake_time not in ('off', 'zero', 'random'):
        raise PackageError(f'config.yml: fake_time must be off, zero or random, '
                           f'not {fake_time!r}')
    processes = config.get('num_processes', 1)
    if isinstance(processes, bool) or not isinstance(processes, int) or not 1 <= processes <= 16:
        raise PackageError(f'config.yml: num_processes must be 1 to 16, not {processes!r}')


def _find_programs(package: Package) -> None:
    task_id = package.task_id
    solution_re = solution_pattern(task_id)
    helpers = {}
    for name in sorted(os.listdir(package.prog)):
        path = os.path.join(package.prog, name)
        if not os.path.isfile(path):
            continue
        stem, dot, extension = name.partition('.')
        extension = extension.lower()
        helper = stem[len(task_id):] if stem.startswith(task_id) else None
        if helper in HELPERS and (extension in COMPILERS or
                                  (helper == 'ingen' and extension == 'sh')):
            helpers.setdefault(helper, []).append(path)
            continue
        match = solution_re.match(name)
        if not match or extension in NOT_PROGRAMS:
            continue
        if extension not in COMPILERS:
            raise PackageError(f'prog/{name}: a solution in a language sio-judge cannot '
                               f'compile (.{extension}; judged: {", ".join(sorted(COMPILERS))})')
        package.solutions.append(path)
    package.solutions.sort(key=lambda p: solution_key(p, task_id))
    models = [p for p in package.solutions
              if os.path.basename(p).split('.')[0] == task_id]
    package.model = models[0] if models else None
    ingens = helpers.get('ingen', [])
    # As SIO2 (and sinol-make): a shell ingen first.
    package.ingen = next((p for p in ingens if p.endswith('.sh')), ingens[0] if ingens else None)
    for helper, attribute in (('chk', 'checker'), ('inwer', 'inwer'), ('soc', 'interactor')):
        found = helpers.get(helper)
        if found and len(found) > 1:
            raise PackageError(f'prog/: more than one {task_id}{helper}.* '
                               f'({", ".join(os.path.basename(p) for p in found)})')
        setattr(package, attribute, found[0] if found else None)
    if package.interactor and package.checker:
        raise PackageError(f'prog/: an interactive task ({os.path.basename(package.interactor)})'
                           f' cannot have a checker ({os.path.basename(package.checker)})')


def _find_tests(package: Package) -> None:
    in_dir, out_dir = os.path.join(package.root, 'in'), os.path.join(package.root, 'out')
    for directory, extension in ((in_dir, 'in'), (out_dir, 'out')):
        pattern = test_pattern(package.task_id, extension)
        names = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
        bad = [n for n in names if n.endswith('.' + extension) and not pattern.match(n)]
        if bad:
            raise PackageError(f'{extension}/: tests with names that are not '
                               f'{package.task_id}<group><suffix>.{extension}: {", ".join(bad)}')
    pattern = test_pattern(package.task_id, 'in')
    for name in sorted(os.listdir(in_dir)) if os.path.isdir(in_dir) else ():
        match = pattern.match(name)
        if match:
            test_id = match.group(1)
            package.tests.append(Test(name[:-3], test_id, group_of(test_id),
                                      os.path.join(in_dir, name),
                                      os.path.join(out_dir, name[:-3] + '.out')))
    package.tests.sort(key=lambda t: (t.group, t.name))


def _dependencies(package: Package) -> dict[int, list[int]]:
    """``subtask_dependencies``, checked as sinol-make and OIOIOI check it:
    lists of scored groups, never group 0, no cycles."""
    raw = package.config.get('subtask_dependencies')
    if not raw:
        return {}
    if not isinstance(raw, dict):
        raise PackageError('config.yml: subtask_dependencies must be a mapping '
                           '{group: [groups it depends on]}')
    scored = set(package.groups) - {0}
    deps = {}
    for group, prerequisites in raw.items():
        if not isinstance(prerequisites, list):
            raise PackageError(f'config.yml: subtask_dependencies.{group} must be a list '
                               f'(use [{prerequisites}])')
        number = _group_number(group, 'subtask_dependencies')
        deps[number] = [_group_number(p, f'subtask_dependencies.{group}')
                        for p in prerequisites]
        for g in [number, *deps[number]]:
            if g == 0:
                raise PackageError('config.yml: subtask_dependencies: group 0 (the examples) '
                                   'is not scored and cannot be used')
            if package.tests and g not in scored:
                raise PackageError(f'config.yml: subtask_dependencies: group {g} has no tests '
                                   f'(groups: {sorted(scored)})')
    state = {}

    def visit(node):
        state[node] = 'visiting'
        for next_node in deps.get(node, []):
            if state.get(next_node) == 'visiting':
                raise PackageError(f'config.yml: subtask_dependencies: circular dependency '
                                   f'involving group {next_node}')
            if next_node not in state:
                visit(next_node)
        state[node] = 'done'

    for node in deps:
        if node not in state:
            visit(node)
    return deps
