"""A sinol-style task package, as sinol-make and OIOIOI read it.

::

    TASK/config.yml     time_limit (ms), time_limits ({group: ms}),
                        memory_limit (KiB), scores ({group: points}),
                        override_limits ({lang: {time_limit, memory_limit}}),
                        extra_compilation_args ({lang: [args]}),
                        extra_compilation_files ([file in prog/]),
                        sinol_expected_scores, sinol_task_id
    TASK/prog/ID.cpp    the model solution; IDs1.cpp, IDb2.py...: others
    TASK/prog/IDchk.*   the checker (optional), IDingen.*, IDinwer.*
    TASK/in/ID1a.in     tests: group 1, test a; ID0.in: examples (group 0)
    TASK/out/ID1a.out   expected outputs (made by the model when missing)
"""

import os
import re
from dataclasses import dataclass, field

import yaml

#: Source extensions sio-judge compiles, and their language names.
LANGUAGES = {'.c': 'c', '.cpp': 'cpp', '.cc': 'cpp', '.pas': 'pas', '.java': 'java'}
_HELPERS = ('chk', 'ingen', 'inwer')


class PackageError(ValueError):
    """The directory is not a usable task package (the message says why)."""


@dataclass
class Test:
    name: str        # 'pai1a'
    group: int
    input: str       # path
    output: str      # path (may not exist yet)


@dataclass
class Package:
    root: str
    task_id: str
    config: dict
    tests: list[Test] = field(default_factory=list)
    solutions: list[str] = field(default_factory=list)   # paths in prog/
    model: str | None = None
    checker: str | None = None
    ingen: str | None = None
    inwer: str | None = None

    @property
    def groups(self) -> list[int]:
        return sorted({t.group for t in self.tests})

    def time_limit(self, group: int, language: str) -> int:
        return self._limit('time', group, language, 1000)

    def memory_limit(self, group: int, language: str) -> int:
        return self._limit('memory', group, language, 262144)

    def _limit(self, kind: str, group: int, language: str, default: int) -> int:
        """``KIND_limits[group]``, else ``KIND_limit``, else ``default``;
        ``override_limits[language]`` first at each step."""
        override = (self.config.get('override_limits') or {}).get(language) or {}
        per_group = override.get(f'{kind}_limits') or self.config.get(f'{kind}_limits') or {}
        if group in per_group:
            return int(per_group[group])
        return int(override.get(f'{kind}_limit') or self.config.get(f'{kind}_limit') or default)

    def scores(self) -> dict[int, int]:
        """Points of each scored group: ``scores``, else 100 split evenly
        over the groups above 0 (the remainder to the last ones)."""
        configured = self.config.get('scores')
        if configured:
            return {int(g): int(p) for g, p in configured.items()}
        groups = [g for g in self.groups if g > 0]
        if not groups:
            return {}
        base, extra = divmod(100, len(groups))
        return {g: base + (1 if i >= len(groups) - extra else 0) for i, g in enumerate(groups)}


def language_of(path: str) -> str:
    return LANGUAGES.get(os.path.splitext(path)[1], '')


def load(root: str) -> Package:
    """The package in ``root``; :class:`PackageError` when it is not one."""
    root = os.path.abspath(root)
    if not os.path.isdir(os.path.join(root, 'prog')):
        raise PackageError(f'{root} is not a task package (no prog/ directory)')
    config_path = os.path.join(root, 'config.yml')
    config = {}
    if os.path.exists(config_path):
        try:
            with open(config_path) as f:
                config = yaml.safe_load(f) or {}
        except yaml.YAMLError as exc:
            raise PackageError(f'{config_path}: not valid YAML ({exc})') from None
        if not isinstance(config, dict):
            raise PackageError(f'{config_path}: must be a mapping of settings')
    task_id = str(config.get('sinol_task_id') or os.path.basename(root))
    package = Package(root, task_id, config)
    prog = os.path.join(root, 'prog')
    for name in sorted(os.listdir(prog)):
        stem, ext = os.path.splitext(name)
        if ext not in LANGUAGES or not stem.startswith(task_id):
            continue
        rest = stem[len(task_id):]
        path = os.path.join(prog, name)
        if rest in _HELPERS:
            setattr(package, 'checker' if rest == 'chk' else rest, path)
        elif rest == '' or re.fullmatch(r'[sb]?\d*', rest):
            package.solutions.append(path)
            if rest == '':
                package.model = path
    test_name = re.compile(re.escape(task_id) + r'(\d+)([a-z]*)\.in$')
    in_dir, out_dir = os.path.join(root, 'in'), os.path.join(root, 'out')
    for name in sorted(os.listdir(in_dir)) if os.path.isdir(in_dir) else ():
        match = test_name.match(name)
        if match:
            base = name[:-3]
            package.tests.append(Test(base, int(match.group(1)), os.path.join(in_dir, name),
                                      os.path.join(out_dir, base + '.out')))
    package.tests.sort(key=lambda t: (t.group, len(t.name), t.name))
    return package
