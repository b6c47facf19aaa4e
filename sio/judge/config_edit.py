"""Writing ``sinol_expected_scores`` into config.yml and nothing else: the
rest of the file (comments, order, quoting, every other key) stays as the
author wrote it. The block is written as sinol-make writes it::

    sinol_expected_scores:
      abc.cpp:
        expected:
          0: {points: 0, status: OK}
          1: {points: 50, status: OK}
        points: 100

and the new file is read back and checked to say exactly the old settings
plus the new scores before it replaces the old one.
"""

import os
import re
import tempfile

import yaml

KEY = 'sinol_expected_scores'
_PLAIN = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.+-]*')


class ConfigEditError(RuntimeError):
    """config.yml cannot be rewritten safely (the message says why)."""


def render(scores: dict) -> str:
    lines = [f'{KEY}:']
    for name, entry in scores.items():
        lines.append(f'  {_key(name)}:')
        lines.append('    expected:')
        for group, result in sorted(entry['expected'].items()):
            lines.append(f'      {group}: {{points: {result["points"]}, '
                         f'status: {result["status"]}}}')
        lines.append(f'    points: {entry["points"]}')
    return '\n'.join(lines) + '\n'


def _key(name: str) -> str:
    plain = _PLAIN.fullmatch(name) and yaml.safe_load(name) == name
    return name if plain else '"' + name.replace('\\', '\\\\').replace('"', '\\"') + '"'


def replace_block(text: str, scores: dict) -> str:
    """``text`` with its top-level ``sinol_expected_scores`` (added at the
    end when there is none) replaced by ``scores``."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines)
                  if re.match(rf'{KEY}\s*:', line)), None)
    block = render(scores)
    if start is None:
        if text and not text.endswith('\n'):
            text += '\n'
        return text + block
    end = start + 1
    # The block: the lines indented under the key (and blank ones among
    # them); a comment or key at the left margin belongs to what follows.
    while end < len(lines) and (lines[end][:1] in (' ', '\t') or not lines[end].strip()):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return ''.join(lines[:start]) + block + ''.join(lines[end:])


def write_expected_scores(path: str, scores: dict) -> None:
    """Replace the expected scores in the config.yml at ``path``."""
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        text = ''
    before = yaml.safe_load(text) or {} if text else {}
    new_text = replace_block(text, scores)
    after = yaml.safe_load(new_text) or {}
    wanted = dict(before, **{KEY: _plain(scores)})
    if after != wanted:
        raise ConfigEditError(f'{path}: rewriting {KEY} would change other settings; '
                              f'edit it by hand')
    fd, scratch = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                                   prefix='.config.yml-')
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(new_text)
        if os.path.exists(path):
            os.chmod(scratch, os.stat(path).st_mode & 0o7777)
        os.replace(scratch, path)
    except BaseException:
        if os.path.exists(scratch):
            os.unlink(scratch)
        raise


def _plain(scores: dict) -> dict:
    return {name: {'expected': {int(g): {'points': r['points'], 'status': r['status']}
                                for g, r in entry['expected'].items()},
                   'points': entry['points']} for name, entry in scores.items()}
